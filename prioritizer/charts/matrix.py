"""Priority × propensity matrix: the quadrant scatter, with a few partners named per quadrant.

Which partners are named (the others show on hover): in each quadrant the ``label_per_quadrant`` (default
3) partners **deepest in it**, i.e. with the largest product of their distances from the two threshold
lines — |priority − priority line| / 5 × |propensity − propensity line| / 100 — ties broken by rank
(1 = best). These are the clearest cases of each quadrant (high priority and lowest propensity in "manage
expectations", and so on); partners close to a line are the ones a small weight change could move, and
stay unnamed. A label is placed only where it overlaps no other label, no quadrant title and stays in the
plot; a label with no free place is left to the hover tooltip, so labels never overlap.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from prioritizer.charts.style import (
    DEFAULT_WIDTH,
    LARGE_TITLE_SIZE,
    QUADRANT_COLOURS,
    TITLE_SIZE,
    AnyChart,
    colour_scale,
    require,
    stable_jitter,
    style,
    text_size,
    with_id_column,
)

Box = tuple[float, float, float, float]
CHAR_WIDTH_EM = 0.6  # average glyph width of Liberation Sans / Arial, generous so estimates err wide
X_DOMAIN, Y_DOMAIN = (0.5, 5.5), (0.0, 100.0)
QUADRANT_CORNERS = [("Opportunity", 0.55, 99.5, "left", "top"), ("Invest", 5.45, 99.5, "right", "top"),
                    ("Deprioritise", 0.55, 0.5, "left", "bottom"),
                    ("Manage expectations", 5.45, 0.5, "right", "bottom")]


def text_box(x: float, y: float, text: str, align: str, font_size: float) -> Box:
    """Pixel box (left, top, right, bottom) of ``text`` anchored at (x, y) with ``align``, vertically centred."""
    w, h = CHAR_WIDTH_EM * font_size * len(text) + 2, font_size + 2
    left = x if align == "left" else x - w if align == "right" else x - w / 2
    return left, y - h / 2, left + w, y + h / 2


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def place_labels(px: np.ndarray, py: np.ndarray, texts: list[str], width: float, height: float,
                 font_size: float = 12.0, point_r: float = 6.0, obstacles: list[Box] | None = None,
                 avoid: tuple[np.ndarray, np.ndarray] | None = None,
                 lines: list[Box] | None = None) -> list[tuple[float, float, str] | None]:
    """Greedy label placement in pixel space (y grows downwards).

    For each point in order, candidate positions are tried: right, left, above, below and the diagonals,
    then the same one step further out. A position is allowed only if its text box lies inside the
    ``width`` × ``height`` plot, overlaps no label placed before and no ``obstacles`` box, and covers at most
    a quarter of any other point. Among allowed positions the first that covers no point and no ``lines``
    box (the threshold rules) is taken, else the one covering the least. ``avoid`` = (x, y) of every point
    drawn (default: the labelled ones). Returns (x, y, align) per label, or None when no position is allowed
    (that partner is named on hover only).
    """
    boxes: list[Box] = list(obstacles or [])
    ax, ay = avoid if avoid is not None else (px, py)
    pad = point_r + 1  # a little air around each point
    points = [(x - pad, y - pad, x + pad, y + pad) for x, y in zip(ax, ay, strict=True)]
    point_area = (2 * pad) ** 2
    gap, rise = point_r + 3, point_r + font_size / 2 + 2
    ring = [(gap, 0, "left"), (-gap, 0, "right"), (0, -rise, "center"), (0, rise, "center"),
            (gap - 1, -rise + 2, "left"), (-gap + 1, -rise + 2, "right"),
            (gap - 1, rise - 2, "left"), (-gap + 1, rise - 2, "right")]
    cands = ring + [(dx * 1.6, dy * 1.7, align) for dx, dy, align in ring]
    out: list[tuple[float, float, str] | None] = []
    for x, y, text in zip(px, py, texts, strict=True):
        own = (x - pad, y - pad, x + pad, y + pad)
        best: tuple[float, float, str, Box] | None = None
        best_cost = np.inf
        for dx, dy, align in cands:
            box = text_box(x + dx, y + dy, text, align, font_size)
            if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
                continue
            if any(_overlap(box, b) > 0 for b in boxes):
                continue
            covered = [_overlap(box, p) for p in points if p != own]
            if any(c > point_area / 4 for c in covered):
                continue
            cost = sum(covered) + 0.2 * sum(_overlap(box, b) for b in lines or [])
            if cost < best_cost:
                best, best_cost = (x + dx, y + dy, align, box), cost
            if cost == 0:
                break
        if best is None:
            out.append(None)
            continue
        boxes.append(best[3])
        out.append((best[0], best[1], best[2]))
    return out


def quadrant_depth(priority: pd.Series, propensity: pd.Series, priority_line: float,
                   propensity_line: float) -> pd.Series:
    """How deep each partner sits in its quadrant: |priority − line| / 5 × |propensity − line| / 100 (0–1)."""
    return ((priority.astype(float) - priority_line).abs() / 5.0
            * (propensity.astype(float) - propensity_line).abs() / 100.0)


def labelled_partners(df: pd.DataFrame, priority_line: float, propensity_line: float,
                      per_quadrant: int) -> pd.Index:
    """Row labels of the partners to name: the ``per_quadrant`` deepest of each quadrant (ties: better rank),
    in order of depth (deepest first), so the clearest cases get the free places first."""
    depth = quadrant_depth(df["priority"], df["propensity"], priority_line, propensity_line)
    ranked = df.assign(_depth=depth, _rank=df["rank"].astype(float).fillna(np.inf))
    ranked = ranked.sort_values(["_depth", "_rank"], ascending=[False, True], kind="stable")
    chosen = ranked.groupby("quadrant", sort=False).head(max(int(per_quadrant), 0))
    return chosen.index


def _quadrants(df: pd.DataFrame, priority_threshold: float, propensity_threshold: float) -> pd.Series:
    hp, hs = df["priority"].astype(float) >= priority_threshold, df["propensity"] >= propensity_threshold
    return pd.Series(np.select([hp & hs, hp & ~hs, ~hp & hs], ["invest", "manage expectations", "opportunity"],
                               "deprioritise"), index=df.index)


def matrix_chart(scores: pd.DataFrame, priority_threshold: float, propensity_threshold: float,
                 label_top: int | None = None, width: int = DEFAULT_WIDTH, height: int = 460,
                 label_per_quadrant: int = 3, *, presentation: bool = False) -> AnyChart:
    """Priority (1–5, jittered) × propensity (0–100) scatter with the quadrant rules and a few labels.

    High priority = priority ≥ ``priority_threshold``; high propensity = propensity ≥
    ``propensity_threshold``. Named partners: the ``label_per_quadrant`` deepest of each quadrant (module
    docstring); with ``label_top`` instead the ``label_top`` best-ranked overall. Labels never overlap:
    placement is in pixels for a ``width`` × ``height`` plot, so size the chart here rather than with
    ``.properties`` (a larger rendering keeps them apart, a smaller one may not). ``presentation``: larger
    label, point and axis text for a projector.
    """
    df = with_id_column(scores)
    require(df, ["name", "propensity", "priority"], "matrix_chart")
    df = df[df["propensity"].notna() & df["priority"].notna()].reset_index(drop=True)
    prio = df["priority"].astype(float)
    integer_valued = bool(np.allclose(prio, np.round(prio))) if len(prio) else True
    df["priority_jitter"] = prio + (stable_jitter(df["partner_id"], 0.3) if integer_valued else 0.0)
    x_rule = float(np.ceil(priority_threshold) - 0.5) if integer_valued else float(priority_threshold)
    if "quadrant" not in df or df["quadrant"].isna().all():
        df["quadrant"] = _quadrants(df, priority_threshold, propensity_threshold)
    if "rank" not in df:
        df["rank"] = df["propensity"].rank(ascending=False, method="min")
    if "command" not in df:
        df["command"] = ""

    font = text_size(presentation) - (0 if presentation else 1)  # 12 px standard, 17 px on a projector
    point_r = 7.0 if presentation else 6.0
    quad_font = LARGE_TITLE_SIZE if presentation else TITLE_SIZE
    if label_top is not None:
        chosen = df.sort_values(["rank", "name"], na_position="last").head(int(label_top)).index
    else:
        chosen = labelled_partners(df, x_rule, float(propensity_threshold), label_per_quadrant)
    xd, yd = X_DOMAIN, Y_DOMAIN
    px = (df["priority_jitter"].to_numpy(float) - xd[0]) / (xd[1] - xd[0]) * width
    py = height - (df["propensity"].to_numpy(float) - yd[0]) / (yd[1] - yd[0]) * height
    corner_boxes = []
    for text, qx, qy, align, baseline in QUADRANT_CORNERS:
        cx = (qx - xd[0]) / (xd[1] - xd[0]) * width
        cy = height - (qy - yd[0]) / (yd[1] - yd[0]) * height
        cy += quad_font / 2 + 1 if baseline == "top" else -quad_font / 2 - 1
        corner_boxes.append(text_box(cx, cy, text, align, quad_font * 1.1))  # bold: a little wider
    rule_x = (x_rule - xd[0]) / (xd[1] - xd[0]) * width
    rule_y = height - (float(propensity_threshold) - yd[0]) / (yd[1] - yd[0]) * height
    # Points first in the order of `df`, labels in the order chosen (deepest first).
    pos = df.index.get_indexer(chosen)
    order_px, order_py = px[pos], py[pos]
    placed = place_labels(order_px, order_py, df["name"].astype(str).iloc[pos].tolist(), width, height,
                          font_size=font, point_r=point_r, obstacles=corner_boxes, avoid=(px, py),
                          lines=[(rule_x - 1, 0, rule_x + 1, height), (0, rule_y - 1, width, rule_y + 1)])
    keep = [(i, p) for i, p in zip(pos, placed, strict=True) if p is not None]
    lab = pd.DataFrame({
        "name": [str(df.at[i, "name"]) for i, _ in keep],
        "lx": [xd[0] + p[0] / width * (xd[1] - xd[0]) for _, p in keep],
        "ly": [yd[0] + (height - p[1]) / height * (yd[1] - yd[0]) for _, p in keep],
        "align": [p[2] for _, p in keep],
    })
    df["labelled"] = df.index.isin([i for i, _ in keep])

    x_scale = alt.Scale(domain=list(xd), nice=False)
    y_scale = alt.Scale(domain=list(yd), nice=False)
    x = alt.X("priority_jitter:Q", scale=x_scale,
              axis=alt.Axis(values=[1, 2, 3, 4, 5], grid=False,
                            labelExpr="datum.value == 1 ? '1 low' : datum.value == 5 ? '5 critical' : ''"
                                      " + datum.value"),
              title="US priority (1 = low, 5 = critical)")
    y = alt.Y("propensity:Q", scale=y_scale, title="Propensity (0–100)")
    points = alt.Chart(df).mark_circle(size=140 if presentation else 90, opacity=0.85, stroke="white",
                                       strokeWidth=0.8).encode(
        x=x, y=y,
        color=alt.Color("quadrant:N", scale=colour_scale(df["quadrant"], QUADRANT_COLOURS), title="Quadrant"),
        tooltip=[alt.Tooltip("name:N", title="Partner"), alt.Tooltip("command:N", title="Command"),
                 alt.Tooltip("priority:Q", title="Priority"),
                 alt.Tooltip("propensity:Q", title="Propensity", format=".1f"),
                 alt.Tooltip("quadrant:N", title="Quadrant")],
    )
    labels = [
        alt.Chart(lab[lab["align"] == a]).mark_text(align=a, baseline="middle", fontSize=font, color="#222222")
        .encode(x=alt.X("lx:Q", scale=x_scale), y=alt.Y("ly:Q", scale=y_scale), text="name:N")
        for a in ("left", "right", "center") if (lab["align"] == a).any()
    ]
    vrule = alt.Chart(pd.DataFrame({"x": [x_rule]})).mark_rule(strokeDash=[6, 4], color="#555555").encode(
        x=alt.X("x:Q", scale=x_scale))
    hrule = alt.Chart(pd.DataFrame({"y": [float(propensity_threshold)]})).mark_rule(
        strokeDash=[6, 4], color="#555555").encode(y=alt.Y("y:Q", scale=y_scale))
    quad_text = [
        alt.Chart(pd.DataFrame({"text": [t], "x": [qx], "y": [qy]})).mark_text(
            fontSize=quad_font, fontWeight="bold", color="#666666", align=al, baseline=bl,
        ).encode(x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), text="text:N")
        for t, qx, qy, al, bl in QUADRANT_CORNERS
    ]
    chart = alt.layer(vrule, hrule, *quad_text, points, *labels).properties(width=width, height=height)
    return style(chart, presentation=presentation)
