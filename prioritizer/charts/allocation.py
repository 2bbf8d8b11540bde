"""Allocation view: baseline vs recommended by command, recommended by mechanism, the largest changes.

Money is US$ millions per year. Mechanism names come from the allocation settings (``labels``) or
prioritizer.domain; legends use their short form (:func:`short_mechanism_label`)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from prioritizer.charts.style import (
    DECREASE,
    DEFAULT_WIDTH,
    GREY,
    INCREASE,
    LABEL_SIZE,
    LARGE_LEGEND_SIZE,
    OKABE_ITO,
    AnyChart,
    money_text,
    require,
    style,
    text_size,
    with_id_column,
)
from prioritizer.domain import MECHANISM_LABELS
from prioritizer.errors import InputError


def _pick(df: pd.DataFrame, wanted: str | None, candidates: tuple[str, ...], what: str) -> str:
    if wanted is not None:
        require(df, [wanted], what)
        return wanted
    for c in candidates:
        if c in df.columns:
            return c
    raise InputError(f"{what} needs one of the columns {', '.join(candidates)}")


_RECOMMENDED = ("recommended_usd_m", "allocation_usd_m", "allocated_usd_m", "total_usd_m")


def allocation_by_command(partners_alloc: pd.DataFrame, recommended_col: str | None = None,
                          baseline_col: str = "baseline_usd_m", *, presentation: bool = False) -> AnyChart:
    """Baseline vs recommended annual SC dollars (US$ M) per command, side by side."""
    df = with_id_column(partners_alloc)
    rec = _pick(df, recommended_col, _RECOMMENDED, "allocation_by_command")
    require(df, ["command", baseline_col], "allocation_by_command")
    tot = df.groupby("command", dropna=False)[[baseline_col, rec]].sum(min_count=1).fillna(0.0)
    long = tot.rename(columns={baseline_col: "Baseline", rec: "Recommended"}).reset_index().melt(
        id_vars="command", var_name="series", value_name="usd_m")
    long["usd_text"] = long["usd_m"].map(money_text)
    order = tot.sort_values(rec, ascending=False).index.astype(str).tolist()
    y = alt.Y("command:N", sort=order, title=None)
    colour = alt.Color("series:N", title=None, scale=alt.Scale(domain=["Baseline", "Recommended"],
                                                               range=[GREY, OKABE_ITO["blue"]]))
    bars = alt.Chart(long).mark_bar().encode(
        y=y, yOffset=alt.YOffset("series:N", sort=["Baseline", "Recommended"]),
        x=alt.X("usd_m:Q", title="US$ millions per year"), color=colour,
        tooltip=[alt.Tooltip("command:N", title="Command"), alt.Tooltip("series:N", title="Series"),
                 alt.Tooltip("usd_m:Q", title="US$ M", format=",.1f")])
    text = alt.Chart(long).mark_text(align="left", dx=4, fontSize=text_size(presentation) - 1).encode(
        y=y, yOffset=alt.YOffset("series:N", sort=["Baseline", "Recommended"]), x="usd_m:Q", text="usd_text:N")
    chart = alt.layer(bars, text).properties(width=DEFAULT_WIDTH - 80, height=alt.Step(28 if presentation else 22))
    return style(chart, presentation=presentation)


def short_mechanism_label(mechanism: str, labels: Mapping[str, str] | None = None,
                          short_labels: Mapping[str, str] | None = None) -> str:
    """Legend name of a mechanism: its ``short_labels`` entry, else its label (``labels``, then
    prioritizer.domain) without a trailing parenthesis — "Professional military education (IMET-type)"
    → "Professional military education"; an unknown id is kept as it is."""
    if short_labels and mechanism in short_labels:
        return str(short_labels[mechanism])
    label = str((labels or {}).get(mechanism) or MECHANISM_LABELS.get(mechanism) or mechanism)
    return label.split(" (", 1)[0].strip() or label


def allocation_by_mechanism(mech_long: pd.DataFrame, value_col: str | None = None,
                            commands: pd.Series | None = None,
                            labels: Mapping[str, str] | None = None, *,
                            short_labels: Mapping[str, str] | None = None,
                            presentation: bool = False) -> AnyChart:
    """Recommended US$ M per year by mechanism, stacked per command (or one bar per mechanism).

    ``mech_long`` has one row per (partner, mechanism): ``mechanism``, a US$ M column (default the
    first of usd_m, amount_usd_m, recommended_usd_m, allocation_usd_m), optional ``command``;
    ``commands`` (partner_id → command, e.g. the scores' command column) adds it when missing.
    ``labels`` maps mechanism ids to display names (default: prioritizer.domain's), shown in the tooltip;
    the legend shows :func:`short_mechanism_label` (``short_labels`` when given), whole, in two columns.
    """
    df = with_id_column(mech_long)
    val = _pick(df, value_col, ("usd_m", "amount_usd_m", *_RECOMMENDED), "allocation_by_mechanism")
    require(df, ["mechanism"], "allocation_by_mechanism")
    ids = df["mechanism"].astype(str)
    df["mechanism_name"] = ids.map(lambda m: str((labels or {}).get(m) or MECHANISM_LABELS.get(m) or m))
    df["mechanism"] = ids.map(lambda m: short_mechanism_label(m, labels, short_labels))
    if "command" not in df and commands is not None and "partner_id" in df:
        df["command"] = df["partner_id"].map(commands).fillna("other")
    mech_order = df.groupby("mechanism")[val].sum().sort_values(ascending=False).index.astype(str).tolist()
    palette = [OKABE_ITO[k] for k in ("blue", "orange", "green", "purple", "sky", "vermillion", "yellow")]
    colour = alt.Color("mechanism:N", title="Mechanism", sort=mech_order,
                       scale=alt.Scale(domain=mech_order,
                                       range=(palette * (len(mech_order) // len(palette) + 1))[:len(mech_order)]))
    tooltip = [alt.Tooltip("mechanism_name:N", title="Mechanism"),
               alt.Tooltip(f"{val}:Q", title="US$ M", format=",.1f")]
    step = alt.Step(44 if presentation else 34)
    if "command" in df:
        agg = df.groupby(["command", "mechanism", "mechanism_name"], as_index=False)[val].sum()
        order = agg.groupby("command")[val].sum().sort_values(ascending=False).index.astype(str).tolist()
        chart = alt.Chart(agg).mark_bar().encode(
            y=alt.Y("command:N", sort=order, title=None),
            x=alt.X(f"{val}:Q", stack="zero", title="US$ millions per year"),
            color=colour, order=alt.Order("mech_rank:Q"),
            tooltip=[alt.Tooltip("command:N", title="Command"), *tooltip],
        ).transform_calculate(mech_rank=f"indexof({json.dumps(mech_order)}, datum.mechanism)")
    else:
        agg = df.groupby(["mechanism", "mechanism_name"], as_index=False)[val].sum()
        chart = alt.Chart(agg).mark_bar().encode(
            y=alt.Y("mechanism:N", sort=mech_order, title=None),
            x=alt.X(f"{val}:Q", title="US$ millions per year"), color=colour, tooltip=tooltip)
    # Mechanism names are long: two legend columns with whole labels (labelLimit 0), never "IMET-ty…".
    size = LARGE_LEGEND_SIZE if presentation else LABEL_SIZE
    return style(chart.properties(width=DEFAULT_WIDTH - 80, height=step), presentation=presentation,
                 ).configure_legend(labelFontSize=size, titleFontSize=size, labelLimit=0,
                                    symbolSize=180 if presentation else 140, orient="bottom",
                                    direction="horizontal", columns=2)


def change_bars(partners_alloc: pd.DataFrame, top_n: int = 15, change_col: str | None = None,
                recommended_col: str | None = None, baseline_col: str = "baseline_usd_m", *,
                presentation: bool = False,
                x_title: str = "Change vs baseline (US$ millions per year)") -> AnyChart:
    """Diverging bars of a change (US$ M per year) for the ``top_n`` largest movers.

    Uses ``change_col``, else ``change_usd_m`` if present, else recommended − baseline. Blue = increase,
    vermillion = cut; ``x_title`` names what the change is measured from.
    """
    df = with_id_column(partners_alloc)
    require(df, ["name"], "change_bars")
    if change_col is None and "change_usd_m" in df:
        change_col = "change_usd_m"
    if change_col is None:
        rec = _pick(df, recommended_col, _RECOMMENDED, "change_bars")
        require(df, [baseline_col], "change_bars")
        df["change_usd_m"] = df[rec].fillna(0.0) - df[baseline_col].fillna(0.0)
        change_col = "change_usd_m"
    df = df[df[change_col].notna() & (df[change_col] != 0)].copy()
    df = df.reindex(df[change_col].abs().sort_values(ascending=False).index).head(int(top_n))
    df = df.sort_values(change_col, ascending=False)
    df["direction"] = np.where(df[change_col] > 0, "increase", "decrease")
    df["change_text"] = df[change_col].map(lambda v: money_text(v, signed=True))
    df["align_pos"] = df[change_col] > 0
    y = alt.Y("name:N", sort=df["name"].tolist(), title=None)
    # Room for the value labels on both sides of zero.
    lo, hi = (float(df[change_col].min()), float(df[change_col].max())) if len(df) else (-1.0, 1.0)
    span = max(hi - min(lo, 0.0), max(hi, 0.0) - lo, 1e-9)
    x_scale = alt.Scale(domain=[min(lo, 0.0) - 0.28 * span * (lo < 0), max(hi, 0.0) + 0.28 * span * (hi > 0)])
    bars = alt.Chart(df).mark_bar(height={"band": 0.75}).encode(
        y=y, x=alt.X(f"{change_col}:Q", title=x_title, scale=x_scale),
        color=alt.Color("direction:N", title=None,
                        scale=alt.Scale(domain=["increase", "decrease"], range=[INCREASE, DECREASE])),
        tooltip=[alt.Tooltip("name:N", title="Partner"), alt.Tooltip("change_text:N", title="Change")])
    size = text_size(presentation) - 1
    pos = alt.Chart(df[df["align_pos"]]).mark_text(align="left", dx=4, fontSize=size).encode(
        y=y, x=f"{change_col}:Q", text="change_text:N")
    neg = alt.Chart(df[~df["align_pos"]]).mark_text(align="right", dx=-4, fontSize=size).encode(
        y=y, x=f"{change_col}:Q", text="change_text:N")
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#333333").encode(x="x:Q")
    chart = alt.layer(bars, zero, pos, neg).properties(width=DEFAULT_WIDTH - 80,
                                                       height=max(120, (34 if presentation else 26) * len(df)))
    return style(chart, presentation=presentation)
