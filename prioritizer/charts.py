"""Altair charts for the app and for briefing slides; PNG/SVG export through vl-convert.

Every chart function takes DataFrames and returns an Altair chart with a common style (large labels,
Okabe–Ito colour-blind-safe palette) and no title: titles, the scenario name, the date and the
marking line are added by :func:`with_meta` from a :class:`ChartMeta`, so a slide never shows a
chart without its marking. All data are embedded inline: nothing is fetched at run time, and
:func:`to_png` / :func:`to_svg` forbid vl-convert any URL or file access (``allowed_base_urls=[]``).
Scores are 0–100 (higher = better for security cooperation); money is US$ millions per year.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import vl_convert as vlc

from prioritizer.domain import CATEGORY_LABELS
from prioritizer.errors import InputError

AnyChart = alt.Chart | alt.LayerChart | alt.VConcatChart | alt.HConcatChart | alt.ConcatChart | alt.FacetChart

# --- style ---------------------------------------------------------------------------------------
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
LABEL_SIZE = 14
TITLE_SIZE = 15
TEXT_SIZE = 13

# Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "vermillion": "#D55E00",
    "yellow": "#F0E442",
    "black": "#000000",
}
GREY = "#9E9E9E"
NO_DATA = "#DADADA"
COMMAND_COLOURS = {
    "AFRICOM": OKABE_ITO["green"],
    "CENTCOM": OKABE_ITO["orange"],
    "EUCOM": OKABE_ITO["sky"],
    "INDOPACOM": OKABE_ITO["blue"],
    "NORTHCOM": OKABE_ITO["vermillion"],
    "SOUTHCOM": OKABE_ITO["purple"],
}
QUADRANT_COLOURS = {
    "invest": OKABE_ITO["green"],
    "manage expectations": OKABE_ITO["vermillion"],
    "opportunity": OKABE_ITO["blue"],
    "deprioritise": GREY,
}
INCREASE, DECREASE = OKABE_ITO["blue"], OKABE_ITO["vermillion"]
# Classification-banner colours for common marking lines (text is white on the bar).
MARKING_COLOURS = {
    "TOP SECRET": "#FF8C00",
    "SECRET": "#C8102E",
    "CONFIDENTIAL": "#0033A0",
    "CUI": "#502B85",
    "CONTROLLED": "#502B85",
    "UNCLASSIFIED": "#007A33",
}
TOOL_NAME = "Partner Prioritizer"
DEFAULT_WIDTH = 640


def _style(chart: AnyChart) -> AnyChart:
    """Apply the shared look: font, large labels, no view border, left-aligned titles."""
    return (
        chart.configure(font=FONT, background="white", padding={"left": 8, "right": 16, "top": 8, "bottom": 8})
        .configure_axis(labelFontSize=LABEL_SIZE, titleFontSize=TITLE_SIZE, labelLimit=260,
                        titleFontWeight="normal", gridColor="#E6E6E6")
        .configure_legend(labelFontSize=LABEL_SIZE, titleFontSize=LABEL_SIZE, labelLimit=260,
                          symbolSize=140, orient="bottom", direction="horizontal", columns=3)
        .configure_header(labelFontSize=LABEL_SIZE, titleFontSize=TITLE_SIZE)
        .configure_title(fontSize=20, subtitleFontSize=15, anchor="start", subtitleColor="#444444")
        .configure_view(strokeWidth=0)
    )


def _colour_scale(values: pd.Series, colours: Mapping[str, str]) -> alt.Scale:
    """An ordinal colour scale with a fixed colour per known value and grey for any other value."""
    present = [v for v in colours if v in set(values.dropna())]
    others = sorted({str(v) for v in values.dropna()} - set(colours))
    return alt.Scale(domain=present + others, range=[colours[v] for v in present] + [GREY] * len(others))


def _frame(df: pd.DataFrame, id_col: str = "partner_id") -> pd.DataFrame:
    """A copy with the partner id as a column (scores frames carry it as the index)."""
    out = df.copy()
    if id_col not in out.columns:
        out = out.rename_axis(id_col).reset_index()
    return out


def _require(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"{what} needs column(s) {', '.join(missing)}; got {', '.join(map(str, df.columns))}")


def _cat_label(cat: str) -> str:
    key = str(cat).removesuffix("_score")
    return CATEGORY_LABELS.get(key, key.replace("_", " ").capitalize())


def _money(x: float) -> str:
    sign = "+" if x > 0 else "−" if x < 0 else ""
    return f"{sign}${abs(x):,.1f}M"


def _stable_jitter(keys: pd.Series, width: float) -> np.ndarray:
    """Deterministic jitter in [-width, width] from each key's CRC32 (same partner, same place)."""
    h = np.array([zlib.crc32(str(k).encode("utf-8")) for k in keys], dtype=float)
    return (h / 0xFFFFFFFF * 2.0 - 1.0) * width


# --- ranking, matrix, map --------------------------------------------------------------------------
def ranking_bar(scores: pd.DataFrame, top_n: int = 30) -> AnyChart:
    """Horizontal propensity bars (0–100, longer = SC more likely to work) for the top ``top_n``
    partners by rank, coloured by command; low-confidence partners are faded and labelled."""
    df = _frame(scores)
    _require(df, ["name", "command", "propensity", "rank"], "ranking_bar")
    df = df[df["propensity"].notna()].sort_values(["rank", "name"]).head(int(top_n)).copy()
    low = df["low_confidence"].fillna(False).astype(bool) if "low_confidence" in df else False
    df["coverage_flag"] = np.where(low, "low (below threshold)", "adequate")
    df["label"] = df["rank"].map(lambda r: f"{int(r)}." if pd.notna(r) else "") + " " + df["name"].astype(str)
    df["value_text"] = df["propensity"].map(lambda v: f"{v:.0f}") + np.where(low, "  low confidence", "")
    order = df["label"].tolist()
    tooltip = [alt.Tooltip("name:N", title="Partner"), alt.Tooltip("command:N", title="Command"),
               alt.Tooltip("rank:Q", title="Rank"), alt.Tooltip("propensity:Q", title="Propensity", format=".1f")]
    if "coverage" in df:
        tooltip.append(alt.Tooltip("coverage:Q", title="Data coverage", format=".0%"))
    base = alt.Chart(df).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelFontSize=LABEL_SIZE)),
        tooltip=tooltip,
    )
    bars = base.mark_bar(height={"band": 0.8}).encode(
        x=alt.X("propensity:Q", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(values=list(range(0, 101, 10))),
                title="Propensity (0–100, higher = SC more likely to work)"),
        color=alt.Color("command:N", scale=_colour_scale(df["command"], COMMAND_COLOURS), title="Command"),
        opacity=alt.Opacity("coverage_flag:N", title="Data coverage",
                            scale=alt.Scale(domain=["adequate", "low (below threshold)"], range=[1.0, 0.35]),
                            legend=alt.Legend() if bool(np.any(low)) else None),
    )
    text = base.mark_text(align="left", dx=4, fontSize=TEXT_SIZE, color="#222222").encode(
        x="propensity:Q", text="value_text:N")
    height = max(120, 24 * len(df))
    return _style(alt.layer(bars, text).properties(width=DEFAULT_WIDTH, height=height))


def _place_labels(px: np.ndarray, py: np.ndarray, texts: list[str], width: float, height: float,
                  font_size: float = 12.0, point_r: float = 6.0,
                  obstacles: list[tuple[float, float, float, float]] | None = None) -> list[tuple[float, float, str]]:
    """Greedy label placement in pixel space: for each point (in order) take the first candidate
    position (right, left, above, below, diagonals) whose text box overlaps no placed label, no
    point and stays inside the plot; else the least-overlapping one. Returns (x, y, align) per label."""
    boxes: list[tuple[float, float, float, float]] = list(obstacles or [])
    points = [(x - point_r, y - point_r, x + point_r, y + point_r) for x, y in zip(px, py, strict=True)]
    cands = [(9, 0, "left"), (-9, 0, "right"), (0, -13, "center"), (0, 13, "center"),
             (8, -11, "left"), (-8, -11, "right"), (8, 11, "left"), (-8, 11, "right")]

    def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
        w = min(a[2], b[2]) - max(a[0], b[0])
        h = min(a[3], b[3]) - max(a[1], b[1])
        return w * h if w > 0 and h > 0 else 0.0

    out = []
    for x, y, text in zip(px, py, texts, strict=True):
        w, h = 0.56 * font_size * len(text) + 2, font_size + 2
        best, best_cost = None, np.inf
        for dx, dy, align in cands:
            ax, ay = x + dx, y + dy
            left = ax if align == "left" else ax - w if align == "right" else ax - w / 2
            box = (left, ay - h / 2, left + w, ay + h / 2)
            outside = (max(0.0, -box[0]) + max(0.0, box[2] - width)) * h + (
                max(0.0, -box[1]) + max(0.0, box[3] - height)) * w
            own = (x - point_r, y - point_r, x + point_r, y + point_r)
            cost = outside * 10 + sum(overlap(box, b) for b in boxes) + sum(
                overlap(box, p) for p in points if p != own)
            if cost < best_cost:
                best, best_cost = (ax, ay, align, box), cost
            if cost == 0:
                break
        assert best is not None
        boxes.append(best[3])
        out.append((best[0], best[1], best[2]))
    return out


def matrix_chart(scores: pd.DataFrame, priority_threshold: float, propensity_threshold: float,
                 label_top: int = 10, width: int = DEFAULT_WIDTH, height: int = 460,
                 label_per_quadrant: int | None = None) -> AnyChart:
    """Priority (1–5, jittered) × propensity (0–100) scatter with the quadrant rules and labels.

    High priority = priority ≥ ``priority_threshold``; high propensity = propensity ≥
    ``propensity_threshold``. The ``label_top`` best-ranked partners are named on the chart, with
    labels placed so they do not overlap each other or the points (placement assumes the plot is
    ``width`` × ``height`` pixels, so size the chart here rather than with ``.properties``). With
    ``label_per_quadrant`` the best-ranked few of *each* quadrant are named instead (the others on hover).
    """
    df = _frame(scores)
    _require(df, ["name", "propensity", "priority"], "matrix_chart")
    df = df[df["propensity"].notna() & df["priority"].notna()].copy()
    prio = df["priority"].astype(float)
    integer_valued = bool(np.allclose(prio, np.round(prio))) if len(prio) else True
    df["priority_jitter"] = prio + (_stable_jitter(df["partner_id"], 0.3) if integer_valued else 0.0)
    x_rule = float(np.ceil(priority_threshold) - 0.5) if integer_valued else float(priority_threshold)
    if "quadrant" not in df or df["quadrant"].isna().all():
        hp, hs = prio >= priority_threshold, df["propensity"] >= propensity_threshold
        df["quadrant"] = np.select([hp & hs, hp & ~hs, ~hp & hs],
                                   ["invest", "manage expectations", "opportunity"], "deprioritise")
    if "rank" not in df:
        df["rank"] = df["propensity"].rank(ascending=False, method="min")
    if "command" not in df:
        df["command"] = ""

    xd, yd = (0.5, 5.5), (0.0, 100.0)
    px = (df["priority_jitter"].to_numpy(float) - xd[0]) / (xd[1] - xd[0]) * width
    py = height - (df["propensity"].to_numpy(float) - yd[0]) / (yd[1] - yd[0]) * height
    if label_per_quadrant is not None:
        within = df.groupby("quadrant")["rank"].rank(method="first").astype(float).fillna(np.inf)
        top = within.to_numpy(dtype=float) <= label_per_quadrant
    else:
        top = df["rank"].rank(method="first").to_numpy() <= label_top
    order = np.argsort(df["rank"].astype("float64").to_numpy()[top], kind="stable")  # unranked = NaN
    idx = np.flatnonzero(top)[order]
    placed = _place_labels(px[idx], py[idx], df["name"].astype(str).iloc[idx].tolist(), width, height,
                           obstacles=[(0, 0, 160, 22), (width - 160, 0, width, 22),
                                      (0, height - 22, 200, height), (width - 200, height - 22, width, height)])
    lab = pd.DataFrame({
        "name": df["name"].astype(str).iloc[idx].to_numpy(),
        "lx": [xd[0] + ax / width * (xd[1] - xd[0]) for ax, _, _ in placed],
        "ly": [yd[0] + (height - ay) / height * (yd[1] - yd[0]) for _, ay, _ in placed],
        "align": [a for _, _, a in placed],
    })

    x_scale = alt.Scale(domain=list(xd), nice=False)
    y_scale = alt.Scale(domain=list(yd), nice=False)
    x = alt.X("priority_jitter:Q", scale=x_scale,
              axis=alt.Axis(values=[1, 2, 3, 4, 5], grid=False,
                            labelExpr="datum.value == 1 ? '1 low' : datum.value == 5 ? '5 critical' : ''"
                                      " + datum.value"),
              title="US priority (1 = low, 5 = critical)")
    y = alt.Y("propensity:Q", scale=y_scale, title="Propensity (0–100)")
    points = alt.Chart(df).mark_circle(size=90, opacity=0.85, stroke="white", strokeWidth=0.8).encode(
        x=x, y=y,
        color=alt.Color("quadrant:N", scale=_colour_scale(df["quadrant"], QUADRANT_COLOURS), title="Quadrant"),
        tooltip=[alt.Tooltip("name:N", title="Partner"), alt.Tooltip("command:N", title="Command"),
                 alt.Tooltip("priority:Q", title="Priority"),
                 alt.Tooltip("propensity:Q", title="Propensity", format=".1f"),
                 alt.Tooltip("quadrant:N", title="Quadrant")],
    )
    labels = [
        alt.Chart(lab[lab["align"] == a]).mark_text(align=a, baseline="middle", fontSize=12, color="#222222")
        .encode(x=alt.X("lx:Q", scale=x_scale), y=alt.Y("ly:Q", scale=y_scale), text="name:N")
        for a in ("left", "right", "center") if (lab["align"] == a).any()
    ]
    vrule = alt.Chart(pd.DataFrame({"x": [x_rule]})).mark_rule(strokeDash=[6, 4], color="#555555").encode(
        x=alt.X("x:Q", scale=x_scale))
    hrule = alt.Chart(pd.DataFrame({"y": [float(propensity_threshold)]})).mark_rule(
        strokeDash=[6, 4], color="#555555").encode(y=alt.Y("y:Q", scale=y_scale))
    corners = [("Opportunity", 0.55, 99.5, "left", "top"), ("Invest", 5.45, 99.5, "right", "top"),
               ("Deprioritise", 0.55, 0.5, "left", "bottom"), ("Manage expectations", 5.45, 0.5, "right", "bottom")]
    quad_text = [
        alt.Chart(pd.DataFrame({"text": [t], "x": [qx], "y": [qy]})).mark_text(
            fontSize=15, fontWeight="bold", color="#666666", align=al, baseline=bl,
        ).encode(x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), text="text:N")
        for t, qx, qy, al, bl in corners
    ]
    chart = alt.layer(vrule, hrule, *quad_text, points, *labels).properties(width=width, height=height)
    return _style(chart)


def load_topojson(topojson_path: str | Path, feature: str = "countries") -> dict[str, Any]:
    """Read a TopoJSON file and check it has the ``feature`` object with ISO3 ids in ``properties.iso3``."""
    path = Path(topojson_path)
    try:
        topo = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("map file not found", file=path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"map file is not readable TopoJSON ({exc})", file=path) from None
    if not isinstance(topo, dict) or topo.get("type") != "Topology":
        raise InputError("map file is not TopoJSON (no \"type\": \"Topology\")", file=path)
    obj = topo.get("objects", {}).get(feature)
    if not isinstance(obj, dict):
        raise InputError(f"map file has no '{feature}' object", file=path, key=f"objects.{feature}")
    geoms = obj.get("geometries", [])
    if not any(isinstance(g.get("properties"), dict) and g["properties"].get("iso3") for g in geoms):
        raise InputError("map file has no ISO3 codes in properties.iso3", file=path, key="properties.iso3")
    return topo


def world_map(scores: pd.DataFrame, topojson_path: str | Path, value: str = "propensity",
              full_scale: bool = True) -> AnyChart:
    """Choropleth of ``value`` (default propensity, 0–100) by country; countries without a score are grey.

    The TopoJSON (Natural Earth 110m with ``properties.iso3``) is embedded inline — no URL — and
    joined to the scores on ``properties.iso3`` = ``partner_id``. Antarctica is left out. Scores use
    the fixed 0–100 colour scale (comparable across scenarios) unless ``full_scale=False``, which
    stretches the colours over the values shown.
    """
    topo = load_topojson(topojson_path)
    df = _frame(scores)
    _require(df, ["name", value], "world_map")
    cols = ["partner_id", "name", value] + [c for c in ("rank", "command") if c in df and c != value]
    lookup = df[cols].copy()
    lookup["partner_id"] = lookup["partner_id"].astype(str)
    lookup = lookup[lookup[value].notna()]
    field = "map_value"
    lookup = lookup.rename(columns={value: field, "name": "partner_name"})
    is_score = value == "propensity" or value.endswith("_score")
    legend_title = ("Propensity (0–100)" if value == "propensity"
                    else f"{_cat_label(value)} (0–100)" if value.endswith("_score")
                    else value.replace("_", " ").capitalize())
    domain = [0, 100] if is_score and full_scale else alt.Undefined
    countries = alt.InlineData(values=topo, format=alt.DataFormat(type="topojson", feature="countries"))
    fields = [c for c in lookup.columns if c != "partner_id"]
    tooltip = [alt.Tooltip("properties.name:N", title="Country"),
               alt.Tooltip(f"{field}:Q", title=legend_title, format=".1f")]
    if "rank" in fields:
        tooltip.append(alt.Tooltip("rank:Q", title="Rank"))
    shapes = alt.Chart().mark_geoshape(stroke="white", strokeWidth=0.4)
    no_data = shapes.mark_geoshape(fill=NO_DATA, stroke="white", strokeWidth=0.4).encode(
        tooltip=[alt.Tooltip("properties.name:N", title="Country")])
    scored = shapes.transform_lookup(
        lookup="properties.iso3", from_=alt.LookupData(data=lookup, key="partner_id", fields=fields),
    ).transform_filter(f"isValid(datum.{field})").encode(
        color=alt.Color(f"{field}:Q", title=legend_title, scale=alt.Scale(scheme="viridis", domain=domain),
                        legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=320,
                                          titleOrient="top")),
        tooltip=tooltip,
    )
    # Grey layer first (every country), scored countries drawn over it; one inline copy of the map.
    chart = (
        alt.layer(no_data, scored, data=countries)
        .transform_filter("datum.properties.iso3 != 'ATA'")
        .project(type="equalEarth")
        .properties(width=820, height=380)
    )
    return _style(chart)


# --- partner profile ----------------------------------------------------------------------------------
def category_bars(profile_row: pd.Series, reference: pd.Series | None = None) -> AnyChart:
    """Category scores (0–100) of one partner as bars; ``reference`` (e.g. the median partner) as ticks.

    ``profile_row`` is a scores row (its ``<category>_score`` entries are used) or a Series indexed
    by category id.
    """
    row = profile_row
    keys = [k for k in row.index if str(k).endswith("_score")] or list(row.index)
    df = pd.DataFrame({"category": [_cat_label(k) for k in keys],
                       "score": pd.to_numeric(row[keys], errors="coerce").to_numpy(dtype=float)})
    df["score_text"] = df["score"].map(lambda v: "no data" if pd.isna(v) else f"{v:.0f}")
    order = df["category"].tolist()
    y = alt.Y("category:N", sort=order, title=None)
    x = alt.X("score:Q", scale=alt.Scale(domain=[0, 100]), title="Category score (0–100, higher = better)")
    bars = alt.Chart(df).mark_bar(color=OKABE_ITO["blue"], height={"band": 0.7}).encode(
        y=y, x=x, tooltip=[alt.Tooltip("category:N", title="Category"),
                           alt.Tooltip("score:Q", title="Score", format=".1f")])
    text = alt.Chart(df).mark_text(align="left", dx=4, fontSize=TEXT_SIZE).encode(
        y=y, x=alt.X("score:Q", impute=None), text="score_text:N")
    layers = [bars, text]
    if reference is not None:
        ref_keys = [k for k in keys if k in reference.index]
        ref = pd.DataFrame({"category": [_cat_label(k) for k in ref_keys],
                            "reference": pd.to_numeric(reference[ref_keys], errors="coerce").to_numpy(dtype=float),
                            "what": "median partner"})
        layers.append(alt.Chart(ref).mark_tick(thickness=3, size=26).encode(
            y=y, x="reference:Q",
            color=alt.Color("what:N", title=None, scale=alt.Scale(range=["#000000"])),
            tooltip=[alt.Tooltip("reference:Q", title="Median partner", format=".1f")]))
    return _style(alt.layer(*layers).properties(width=DEFAULT_WIDTH - 120, height=40 * len(df)))


def construct_bars(construct_scores: pd.Series, constructs: pd.DataFrame | None = None,
                   overridden: pd.Series | None = None) -> AnyChart:
    """Construct scores (0–100) of one partner, coloured by category; planner overrides are marked.

    ``constructs`` is the construct table (index construct_id; construct_label, category_id);
    ``overridden`` a bool Series by construct id.
    """
    df = pd.DataFrame({"construct_id": construct_scores.index.astype(str),
                       "score": pd.to_numeric(construct_scores, errors="coerce").to_numpy(dtype=float)})
    if constructs is not None and len(constructs):
        meta = constructs.reindex(df["construct_id"])
        df["construct"] = meta.get("construct_label", pd.Series(index=meta.index, dtype=object)).fillna(
            pd.Series(df["construct_id"].to_numpy(), index=meta.index)).to_numpy()
        df["category"] = [_cat_label(c) if pd.notna(c) else "other"
                          for c in meta.get("category_id", pd.Series(np.nan, index=meta.index))]
    else:
        df["construct"] = df["construct_id"].str.replace("_", " ").str.capitalize()
        df["category"] = "construct"
    ov = (overridden.reindex(df["construct_id"]).fillna(False).astype(bool).to_numpy()
          if overridden is not None else np.zeros(len(df), dtype=bool))
    df["source"] = np.where(ov, "planner override", "indicators")
    df["score_text"] = [("no data" if pd.isna(v) else f"{v:.0f}") + ("  override" if o else "")
                        for v, o in zip(df["score"], ov, strict=True)]
    cat_colours = dict(zip(CATEGORY_LABELS.values(), [OKABE_ITO[k] for k in
                       ("blue", "purple", "vermillion", "orange", "green", "sky")], strict=True))
    y = alt.Y("construct:N", sort=df["construct"].tolist(), title=None, axis=alt.Axis(labelLimit=380))
    bars = alt.Chart(df).mark_bar(height={"band": 0.7}).encode(
        y=y, x=alt.X("score:Q", scale=alt.Scale(domain=[0, 100]), title="Construct score (0–100, higher = better)"),
        color=alt.Color("category:N", scale=_colour_scale(df["category"], cat_colours), title="Category"),
        opacity=alt.Opacity("source:N", title="Source", legend=None,  # the bar label says "override"
                            scale=alt.Scale(domain=["indicators", "planner override"], range=[1.0, 0.45])),
        tooltip=[alt.Tooltip("construct:N", title="Construct"), alt.Tooltip("category:N", title="Category"),
                 alt.Tooltip("score:Q", title="Score", format=".1f"), alt.Tooltip("source:N", title="Source")],
    )
    text = alt.Chart(df).mark_text(align="left", dx=4, fontSize=TEXT_SIZE).encode(
        y=y, x=alt.X("score:Q", impute=None), text="score_text:N")
    return _style(alt.layer(bars, text).properties(width=DEFAULT_WIDTH - 120, height=max(120, 30 * len(df))))


# --- allocation --------------------------------------------------------------------------------------
def _pick(df: pd.DataFrame, wanted: str | None, candidates: tuple[str, ...], what: str) -> str:
    if wanted is not None:
        _require(df, [wanted], what)
        return wanted
    for c in candidates:
        if c in df.columns:
            return c
    raise InputError(f"{what} needs one of the columns {', '.join(candidates)}")


_RECOMMENDED = ("recommended_usd_m", "allocation_usd_m", "allocated_usd_m", "total_usd_m")


def allocation_by_command(partners_alloc: pd.DataFrame, recommended_col: str | None = None,
                          baseline_col: str = "baseline_usd_m") -> AnyChart:
    """Baseline vs recommended annual SC dollars (US$ M) per command, side by side."""
    df = _frame(partners_alloc)
    rec = _pick(df, recommended_col, _RECOMMENDED, "allocation_by_command")
    _require(df, ["command", baseline_col], "allocation_by_command")
    tot = df.groupby("command", dropna=False)[[baseline_col, rec]].sum(min_count=1).fillna(0.0)
    long = tot.rename(columns={baseline_col: "Baseline", rec: "Recommended"}).reset_index().melt(
        id_vars="command", var_name="series", value_name="usd_m")
    long["usd_text"] = long["usd_m"].map(lambda v: f"${v:,.1f}M")
    order = tot.sort_values(rec, ascending=False).index.astype(str).tolist()
    y = alt.Y("command:N", sort=order, title=None)
    colour = alt.Color("series:N", title=None, scale=alt.Scale(domain=["Baseline", "Recommended"],
                                                               range=[GREY, OKABE_ITO["blue"]]))
    bars = alt.Chart(long).mark_bar().encode(
        y=y, yOffset=alt.YOffset("series:N", sort=["Baseline", "Recommended"]),
        x=alt.X("usd_m:Q", title="US$ millions per year"), color=colour,
        tooltip=[alt.Tooltip("command:N", title="Command"), alt.Tooltip("series:N", title="Series"),
                 alt.Tooltip("usd_m:Q", title="US$ M", format=",.1f")])
    text = alt.Chart(long).mark_text(align="left", dx=4, fontSize=12).encode(
        y=y, yOffset=alt.YOffset("series:N", sort=["Baseline", "Recommended"]), x="usd_m:Q", text="usd_text:N")
    chart = alt.layer(bars, text).properties(width=DEFAULT_WIDTH - 80, height=alt.Step(22))
    return _style(chart)


MECHANISM_LABELS = {
    "education": "Professional military education",
    "institution_building": "Defense-institution building",
    "exercises": "Exercises & mil-to-mil",
    "train_equip": "Training & equipping",
    "fmf": "Foreign Military Financing",
}


def allocation_by_mechanism(mech_long: pd.DataFrame, value_col: str | None = None,
                            commands: pd.Series | None = None,
                            labels: Mapping[str, str] | None = None) -> AnyChart:
    """Recommended US$ M per year by mechanism, stacked per command (or one bar per mechanism).

    ``mech_long`` has one row per (partner, mechanism): ``mechanism``, a US$ M column (default the
    first of usd_m, amount_usd_m, recommended_usd_m, allocation_usd_m), optional ``command``;
    ``commands`` (partner_id → command, e.g. the scores' command column) adds it when missing.
    ``labels`` maps mechanism ids to display names (default: the shipped mechanisms' short names).
    """
    df = _frame(mech_long)
    val = _pick(df, value_col, ("usd_m", "amount_usd_m", *_RECOMMENDED), "allocation_by_mechanism")
    _require(df, ["mechanism"], "allocation_by_mechanism")
    names = {**MECHANISM_LABELS, **(labels or {})}
    df["mechanism"] = df["mechanism"].map(lambda m: names.get(m, m))
    if "command" not in df and commands is not None and "partner_id" in df:
        df["command"] = df["partner_id"].map(commands).fillna("other")
    mech_order = df.groupby("mechanism")[val].sum().sort_values(ascending=False).index.astype(str).tolist()
    palette = [OKABE_ITO[k] for k in ("blue", "orange", "green", "purple", "sky", "vermillion", "yellow")]
    colour = alt.Color("mechanism:N", title="Mechanism", sort=mech_order,
                       scale=alt.Scale(domain=mech_order,
                                       range=(palette * (len(mech_order) // len(palette) + 1))[:len(mech_order)]))
    tooltip = [alt.Tooltip("mechanism:N", title="Mechanism"), alt.Tooltip(f"{val}:Q", title="US$ M", format=",.1f")]
    if "command" in df:
        agg = df.groupby(["command", "mechanism"], as_index=False)[val].sum()
        order = agg.groupby("command")[val].sum().sort_values(ascending=False).index.astype(str).tolist()
        chart = alt.Chart(agg).mark_bar().encode(
            y=alt.Y("command:N", sort=order, title=None),
            x=alt.X(f"{val}:Q", stack="zero", title="US$ millions per year"),
            color=colour, order=alt.Order("mech_rank:Q"),
            tooltip=[alt.Tooltip("command:N", title="Command"), *tooltip],
        ).transform_calculate(mech_rank=f"indexof({json.dumps(mech_order)}, datum.mechanism)")
        height = alt.Step(34)
    else:
        agg = df.groupby("mechanism", as_index=False)[val].sum()
        chart = alt.Chart(agg).mark_bar().encode(
            y=alt.Y("mechanism:N", sort=mech_order, title=None),
            x=alt.X(f"{val}:Q", title="US$ millions per year"), color=colour, tooltip=tooltip)
        height = alt.Step(34)
    # Mechanism names are long ("Professional military education (IMET-type)"): two legend columns, never cut.
    return _style(chart.properties(width=DEFAULT_WIDTH - 80, height=height)).configure_legend(
        labelFontSize=LABEL_SIZE, titleFontSize=LABEL_SIZE, labelLimit=0, symbolSize=140, orient="bottom",
        direction="horizontal", columns=2)


def change_bars(partners_alloc: pd.DataFrame, top_n: int = 15, change_col: str | None = None,
                recommended_col: str | None = None, baseline_col: str = "baseline_usd_m") -> AnyChart:
    """Diverging bars of the change vs baseline (US$ M per year) for the ``top_n`` largest movers.

    Uses ``change_usd_m`` if present, else recommended − baseline. Blue = increase, vermillion = cut.
    """
    df = _frame(partners_alloc)
    _require(df, ["name"], "change_bars")
    if change_col is None and "change_usd_m" in df:
        change_col = "change_usd_m"
    if change_col is None:
        rec = _pick(df, recommended_col, _RECOMMENDED, "change_bars")
        _require(df, [baseline_col], "change_bars")
        df["change_usd_m"] = df[rec].fillna(0.0) - df[baseline_col].fillna(0.0)
        change_col = "change_usd_m"
    df = df[df[change_col].notna() & (df[change_col] != 0)].copy()
    df = df.reindex(df[change_col].abs().sort_values(ascending=False).index).head(int(top_n))
    df = df.sort_values(change_col, ascending=False)
    df["direction"] = np.where(df[change_col] > 0, "increase", "decrease")
    df["change_text"] = df[change_col].map(_money)
    df["align_pos"] = df[change_col] > 0
    y = alt.Y("name:N", sort=df["name"].tolist(), title=None)
    # Room for the value labels on both sides of zero.
    lo, hi = (float(df[change_col].min()), float(df[change_col].max())) if len(df) else (-1.0, 1.0)
    span = max(hi - min(lo, 0.0), max(hi, 0.0) - lo, 1e-9)
    x_scale = alt.Scale(domain=[min(lo, 0.0) - 0.28 * span * (lo < 0), max(hi, 0.0) + 0.28 * span * (hi > 0)])
    bars = alt.Chart(df).mark_bar(height={"band": 0.75}).encode(
        y=y, x=alt.X(f"{change_col}:Q", title="Change vs baseline (US$ millions per year)", scale=x_scale),
        color=alt.Color("direction:N", title=None,
                        scale=alt.Scale(domain=["increase", "decrease"], range=[INCREASE, DECREASE])),
        tooltip=[alt.Tooltip("name:N", title="Partner"), alt.Tooltip("change_text:N", title="Change")])
    pos = alt.Chart(df[df["align_pos"]]).mark_text(align="left", dx=4, fontSize=12).encode(
        y=y, x=f"{change_col}:Q", text="change_text:N")
    neg = alt.Chart(df[~df["align_pos"]]).mark_text(align="right", dx=-4, fontSize=12).encode(
        y=y, x=f"{change_col}:Q", text="change_text:N")
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#333333").encode(x="x:Q")
    chart = alt.layer(bars, zero, pos, neg).properties(width=DEFAULT_WIDTH - 80, height=max(120, 26 * len(df)))
    return _style(chart)


def frontier_chart(frontier_df: pd.DataFrame, current_budget: float | None = None) -> AnyChart:
    """Total benefit vs budget (US$ M per year); optimal points joined, infeasible/unsolved budget
    levels marked × on the zero line (tooltip shows the solver note) with a shaded band over the budgets too
    small for any feasible allocation; a dashed rule marks ``current_budget``."""
    df = _frame(frontier_df, id_col="_row")
    _require(df, ["budget_usd_m", "total_benefit"], "frontier_chart")
    status = df["status"].astype(str) if "status" in df else pd.Series("Optimal", index=df.index)
    solved = (status.str.lower() == "optimal") & df["total_benefit"].notna()
    states = ["optimal", "infeasible / not solved"]
    df["solved"] = np.where(solved, *states)
    df["status"] = status
    # Budgets with no feasible allocation have no benefit: show them as crosses on the zero line.
    df["plot_benefit"] = df["total_benefit"].where(solved, 0.0)
    if "note" not in df:
        df["note"] = ""
    x = alt.X("budget_usd_m:Q", title="Budget (US$ millions per year)")
    y = alt.Y("plot_benefit:Q", title="Total expected benefit")
    ok = df[df["solved"] == "optimal"]
    tooltip = [alt.Tooltip("budget_usd_m:Q", title="Budget US$ M", format=",.1f"),
               alt.Tooltip("total_benefit:Q", title="Benefit", format=",.2f"),
               alt.Tooltip("status:N", title="Solver status"), alt.Tooltip("note:N", title="Note")]
    layers = [
        alt.Chart(ok).mark_line(color=OKABE_ITO["blue"], strokeWidth=3).encode(x=x, y=y),
        alt.Chart(df).mark_point(filled=True, size=80).encode(
            x=x, y=y, tooltip=tooltip,
            shape=alt.Shape("solved:N", title="Allocation", scale=alt.Scale(domain=states, range=["circle", "cross"])),
            color=alt.Color("solved:N", title="Allocation",
                            scale=alt.Scale(domain=states, range=[OKABE_ITO["blue"], DECREASE]))),
    ]
    below = df[(df["solved"] != "optimal") & (df["budget_usd_m"] < (ok["budget_usd_m"].min() if len(ok) else np.inf))]
    if len(below):
        # The budgets too small for any feasible allocation (floors, minimums, locks): a shaded band, so the
        # crosses on the zero line are not read as "zero benefit".
        band = pd.DataFrame({"x": [float(below["budget_usd_m"].min())], "x2": [float(below["budget_usd_m"].max())],
                             "label": [f"no feasible allocation up to ${below['budget_usd_m'].max():,.0f}M"]})
        layers.insert(0, alt.Chart(band).mark_rect(color="#d9d9d9", opacity=0.5).encode(x="x:Q", x2="x2:Q"))
        layers.append(alt.Chart(band).mark_text(align="left", dx=4, baseline="top", fontSize=TEXT_SIZE - 1,
                                                color="#555555").encode(x="x:Q", y=alt.value(24), text="label:N"))
    if current_budget is not None:
        cur = pd.DataFrame({"x": [float(current_budget)], "label": [f"current budget ${current_budget:,.0f}M"]})
        layers.append(alt.Chart(cur).mark_rule(strokeDash=[6, 4], color="#333333", strokeWidth=2).encode(x="x:Q"))
        # Label low on the rule: the curve flattens out near the top, where a label would cover it.
        layers.append(alt.Chart(cur).mark_text(align="left", dx=6, baseline="bottom", fontSize=TEXT_SIZE,
                                               color="#333333").encode(x="x:Q", y=alt.value(364), text="label:N"))
    return _style(alt.layer(*layers).properties(width=DEFAULT_WIDTH, height=380))


# --- robustness ------------------------------------------------------------------------------------
def rank_interval_chart(robust_df: pd.DataFrame, top_n: int = 30) -> AnyChart:
    """Rank (1 = best) with its 5th–95th percentile interval under weight uncertainty, per partner."""
    df = _frame(robust_df)
    _require(df, ["name", "rank", "rank_p5", "rank_p95"], "rank_interval_chart")
    df = df[df["rank"].notna()].sort_values("rank").head(int(top_n)).copy()
    df["label"] = df["rank"].map(lambda r: f"{int(r)}.") + " " + df["name"].astype(str)
    y = alt.Y("label:N", sort=df["label"].tolist(), title=None)
    tooltip = [alt.Tooltip("name:N", title="Partner"), alt.Tooltip("rank:Q", title="Rank"),
               alt.Tooltip("rank_p5:Q", title="Rank, 5th percentile", format=".0f"),
               alt.Tooltip("rank_p95:Q", title="Rank, 95th percentile", format=".0f")]
    hi = float(max(df["rank_p95"].max(), df["rank"].max(), 1.0)) if len(df) else 1.0
    x_scale = alt.Scale(domain=[0.5, hi + 0.5], nice=False)
    bars = alt.Chart(df).mark_rule(strokeWidth=5, color=OKABE_ITO["sky"]).encode(
        y=y, x=alt.X("rank_p5:Q", scale=x_scale, title="Rank (1 = best); bar = 5th–95th percentile"),
        x2="rank_p95:Q", tooltip=tooltip)
    pts = alt.Chart(df).mark_point(filled=True, size=90, color=OKABE_ITO["blue"], shape="diamond").encode(
        y=y, x="rank:Q", tooltip=tooltip)
    return _style(alt.layer(bars, pts).properties(width=DEFAULT_WIDTH - 80, height=max(120, 24 * len(df))))


_TORNADO_PAIRS = {
    # (value with the weight lowered, value with it raised) first; plain ranges after.
    "score": [("score_at_low", "score_at_high", True), ("low_score", "high_score", True),
              ("score_low", "score_high", False)],
    "rank": [("rank_at_low", "rank_at_high", True), ("low_rank", "high_rank", True),
             ("rank_low", "rank_high", True), ("rank_best", "rank_worst", False)],
}


def tornado_chart(tornado_df: pd.DataFrame, base: float | None = None, partner_id: str | None = None,
                  kind: str = "score") -> AnyChart:
    """One-way sensitivity of one partner: its propensity (``kind="score"``, 0–100) or rank
    (``kind="rank"``, 1 = best) as each category weight is lowered and raised; widest swing first.

    Accepts :func:`prioritizer.robustness.tornado` output (long, all partners: pass ``partner_id``;
    uses score_at_low/score_at_high and score_base) or a small frame with category, low_score,
    high_score (or low_rank/high_rank) and optional base_score/base_rank. With a base value the
    bars run from it to each end, coloured by direction; without, each bar spans low–high.
    """
    df = tornado_df.copy()
    _require(df, ["category"], "tornado_chart")
    if kind not in _TORNADO_PAIRS:
        raise InputError(f"tornado_chart kind must be 'score' or 'rank', not '{kind}'")
    if "partner_id" in df:
        if partner_id is not None:
            df = df[df["partner_id"].astype(str) == str(partner_id)]
            if df.empty:
                raise InputError(f"tornado_chart: no rows for partner '{partner_id}'")
        elif df["partner_id"].nunique() > 1:
            raise InputError("tornado_chart shows one partner; pass partner_id")
    found = next(((lo, hi, directed) for lo, hi, directed in _TORNADO_PAIRS[kind] if lo in df and hi in df), None)
    if found is None:
        other = "rank" if kind == "score" else "score"
        found_other = next((p for p in _TORNADO_PAIRS[other] if p[0] in df and p[1] in df), None)
        if found_other is None:
            raise InputError("tornado_chart needs columns low_score/high_score or low_rank/high_rank "
                             "(or score_at_low/score_at_high)")
        kind, found = other, found_other
    lo, hi, directed = found
    for col in (f"{kind}_base", f"base_{kind}", "base"):
        if base is None and col in df and df[col].notna().any():
            base = float(df[col].dropna().iloc[0])
    df["label"] = df["category"].map(_cat_label)
    lo_v, hi_v = df[lo].astype(float), df[hi].astype(float)
    if base is not None:
        df["width"] = np.maximum(np.abs(lo_v - base), np.abs(hi_v - base)) + np.abs(hi_v - lo_v) * 1e-6
    else:
        df["width"] = (hi_v - lo_v).abs()
    order = df.sort_values("width", ascending=False, kind="stable")["label"].tolist()
    title = "Propensity (0–100)" if kind == "score" else "Rank (1 = best)"
    y = alt.Y("label:N", sort=order, title=None)
    if base is None or not directed:
        seg = pd.DataFrame({"label": df["label"], "start": lo_v, "end": hi_v, "side": "range"})
        colour = alt.value(OKABE_ITO["sky"])
    else:
        seg = pd.concat([
            pd.DataFrame({"label": df["label"], "start": base, "end": lo_v, "side": "weight lowered"}),
            pd.DataFrame({"label": df["label"], "start": base, "end": hi_v, "side": "weight raised"}),
        ], ignore_index=True)
        colour = alt.Color("side:N", title="Category weight",
                           scale=alt.Scale(domain=["weight lowered", "weight raised"], range=[DECREASE, INCREASE]))
    values = pd.concat([seg["start"], seg["end"]]).astype(float).dropna()
    if kind == "rank":
        lo_d = float(values.min()) - 0.5 if len(values) else 0.5
        hi_d = float(values.max()) + 0.5 if len(values) else 1.5
        x_scale = alt.Scale(reverse=True, domain=[max(0.5, lo_d), hi_d], nice=False)
        ticks = list(range(int(np.ceil(max(0.5, lo_d))), int(np.floor(hi_d)) + 1))
        axis = alt.Axis(values=ticks, format="d") if len(ticks) <= 15 else alt.Axis(format="d", tickMinStep=1)
    else:
        x_scale, axis = alt.Scale(zero=False, nice=True), alt.Axis()
    width, height = DEFAULT_WIDTH - 120, max(120, 40 * len(df))
    bars = alt.Chart(seg).mark_bar(height={"band": 0.6}).encode(
        y=y, x=alt.X("start:Q", title=title, scale=x_scale, axis=axis), x2="end:Q", color=colour,
        tooltip=[alt.Tooltip("label:N", title="Category"), alt.Tooltip("side:N", title="Swing"),
                 alt.Tooltip("end:Q", title=kind.capitalize(), format=".1f")])
    layers = [bars]
    if base is not None:
        layers.append(alt.Chart(pd.DataFrame({"x": [base]})).mark_rule(color="#222222", strokeWidth=2)
                      .encode(x=alt.X("x:Q", scale=x_scale)))
    if len(values) and float(values.max() - values.min()) < 1e-9:
        what = f"rank stays {values.iloc[0]:.0f}" if kind == "rank" else f"score stays {values.iloc[0]:.1f}"
        note = pd.DataFrame({"text": [f"No change over the weight swings: {what}"]})
        layers.append(alt.Chart(note).mark_text(fontSize=TITLE_SIZE, color="#333333", align="left").encode(
            x=alt.value(width / 2 + 12), y=alt.value(height / 2), text="text:N"))
    return _style(alt.layer(*layers).properties(width=width, height=height))


# --- meta, banners, export ----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ChartMeta:
    """What a slide image must carry: title, scenario, date (ISO, default today) and marking line."""

    title: str = ""
    scenario: str = "default"
    date: str = dataclasses.field(default_factory=lambda: dt.date.today().isoformat())
    marking: str = "UNCLASSIFIED"
    subtitle: str | None = None

    @property
    def footer(self) -> str:
        return f"Scenario: {self.scenario} · generated {self.date} · {TOOL_NAME}"


def marking_colour(marking: str) -> str:
    """Banner colour for a marking line (US classification-banner convention; dark grey if unknown)."""
    text = marking.upper()
    for key, colour in MARKING_COLOURS.items():
        if key in text and not (key == "SECRET" and "UNCLASSIFIED" in text):
            return colour
    return "#333333"


_LEGEND_CHANNELS = ("color", "fill", "stroke", "opacity", "shape", "size", "strokeDash")


def _wrap(chart: AnyChart, title: alt.TitleParams) -> alt.VConcatChart:
    """A one-panel concat carrying ``title``, keeping the panel's legends inside it."""
    return alt.vconcat(chart, title=title, spacing=0).resolve_legend(
        **dict.fromkeys(_LEGEND_CHANNELS, "independent"))


def with_meta(chart: AnyChart, meta: ChartMeta) -> alt.VConcatChart:
    """Wrap a chart for a slide: the marking line at top and bottom centre (bold, banner colour),
    the title (and subtitle) above the chart, and the footer
    "Scenario: … · generated YYYY-MM-DD · Partner Prioritizer" under it.

    Vega-Lite titles anchored to the full bounds keep the banners centred on the whole image.
    """
    inner = chart.copy(deep=True)
    config = inner.config
    inner.config = alt.Undefined
    if meta.title or meta.subtitle:
        inner = inner.properties(title=alt.TitleParams(
            text=meta.title or " ", subtitle=meta.subtitle or alt.Undefined, anchor="start", offset=12))
    marking = meta.marking.strip() or "UNCLASSIFIED"
    colour = marking_colour(marking)

    def banner(orient: str) -> alt.TitleParams:
        return alt.TitleParams(marking, orient=orient, anchor="middle", frame="bounds", fontSize=17,
                               fontWeight="bold", color=colour, offset=12)

    footed = _wrap(inner, alt.TitleParams(meta.footer, orient="bottom", anchor="middle", frame="bounds",
                                          fontSize=13, fontWeight="normal", color="#444444", offset=14))
    out = _wrap(_wrap(footed, banner("bottom")), banner("top"))
    out.config = config if config is not alt.Undefined else alt.Config(font=FONT)
    return out


def _spec(chart: AnyChart, meta: ChartMeta | None) -> str:
    return (with_meta(chart, meta) if meta is not None else chart).to_json()


def _convert(fn: Any, spec: str, **kwargs: Any) -> Any:
    try:
        return fn(spec, allowed_base_urls=[], **kwargs)
    except ValueError as exc:
        raise RuntimeError(f"chart export failed (charts must use inline data only): {exc}") from None


def to_png(chart: AnyChart, meta: ChartMeta | None, scale: float = 2) -> bytes:
    """PNG bytes of the chart with its banners, title and footer (``scale`` 2 ≈ slide resolution).

    vl-convert renders in-process with no browser; ``allowed_base_urls=[]`` blocks every URL and file.
    """
    return _convert(vlc.vegalite_to_png, _spec(chart, meta), scale=scale)


def to_svg(chart: AnyChart, meta: ChartMeta | None) -> str:
    """SVG text of the chart with its banners, title and footer (text stays selectable/editable)."""
    return _convert(vlc.vegalite_to_svg, _spec(chart, meta))


def to_png_and_svg(chart: AnyChart, meta: ChartMeta | None, scale: float = 2) -> tuple[bytes, str]:
    """Both exports from one Vega render: the SVG, then its PNG rasterised by vl-convert (same image
    as :func:`to_png`, about half the time of rendering twice)."""
    svg = to_svg(chart, meta)
    try:
        return vlc.svg_to_png(svg, scale=scale), svg
    except ValueError as exc:
        raise RuntimeError(f"chart export failed: {exc}") from None


# --- back-test (prioritizer.validate) ----------------------------------------------------------------
def backtest_chart(table: pd.DataFrame) -> AnyChart:
    """Partial Spearman of the as-of propensity with the later change per outcome, with its bootstrap interval.

    ``table``: :func:`prioritizer.validate.backtest` rows (outcome, label, as_of, horizon, n, rho_partial,
    ci_low, ci_high). One point per outcome × horizon (colour = horizon), rule = interval, zero line;
    rows without a correlation (too few partners) are left out.
    """
    _require(table, ["label", "as_of", "horizon", "n", "rho_partial", "ci_low", "ci_high"], "backtest_chart")
    df = table[table["rho_partial"].notna()].copy()
    df["years"] = df["as_of"].astype(int).astype(str) + "→" + df["horizon"].astype(int).astype(str)
    df["short"] = df["label"].astype(str).str.split(" (", regex=False).str[0]
    order = list(dict.fromkeys(df["short"]))
    palette = [OKABE_ITO[c] for c in ("blue", "orange", "green", "purple", "vermillion", "sky")]
    years = list(dict.fromkeys(df["years"]))
    colour = alt.Color("years:N", title="Change over", scale=alt.Scale(
        domain=years, range=[palette[i % len(palette)] for i in range(len(years))]))
    y = alt.Y("short:N", sort=order, title=None)
    offset = alt.YOffset("years:N", sort=years)
    tooltip = [alt.Tooltip("label:N", title="Outcome"), alt.Tooltip("years:N", title="Change over"),
               alt.Tooltip("n:Q", title="Partners"), alt.Tooltip("rho_partial:Q", title="Partial Spearman",
                                                                 format="+.2f"),
               alt.Tooltip("ci_low:Q", title="Interval low", format="+.2f"),
               alt.Tooltip("ci_high:Q", title="Interval high", format="+.2f")]
    title = "Partial Spearman with later improvement (given the starting level); bar = bootstrap interval"
    scale = alt.Scale(domain=[-1, 1])
    x = alt.X("rho_partial:Q", scale=scale, title=title)
    rules = alt.Chart(df).mark_rule(strokeWidth=4).encode(
        y=y, yOffset=offset, x=alt.X("ci_low:Q", scale=scale, title=title), x2="ci_high:Q", color=colour,
        tooltip=tooltip)
    pts = alt.Chart(df).mark_point(filled=True, size=90, shape="diamond").encode(
        y=y, yOffset=offset, x=x, color=colour, tooltip=tooltip)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=GREY, strokeDash=[4, 3]).encode(x="x:Q")
    height = max(140, 30 * len(order) * max(1, len(years)))
    return _style(alt.layer(zero, rules, pts).properties(width=DEFAULT_WIDTH - 80, height=height))
