"""Robustness view: rank intervals under weight uncertainty and one partner's tornado (one-way sensitivity)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from prioritizer.charts.style import (
    DECREASE,
    DEFAULT_WIDTH,
    INCREASE,
    OKABE_ITO,
    AnyChart,
    category_text,
    require,
    style,
    text_size,
    with_id_column,
)
from prioritizer.errors import InputError


def rank_interval_chart(robust_df: pd.DataFrame, top_n: int = 30, *, presentation: bool = False) -> AnyChart:
    """Rank (1 = best) with its 5th–95th percentile interval under weight uncertainty, per partner."""
    df = with_id_column(robust_df)
    require(df, ["name", "rank", "rank_p5", "rank_p95"], "rank_interval_chart")
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
    return style(alt.layer(bars, pts).properties(width=DEFAULT_WIDTH - 80, height=max(120, 24 * len(df))),
                 presentation=presentation)


_TORNADO_PAIRS = {
    # (value with the weight lowered, value with it raised) first; plain ranges after.
    "score": [("score_at_low", "score_at_high", True), ("low_score", "high_score", True),
              ("score_low", "score_high", False)],
    "rank": [("rank_at_low", "rank_at_high", True), ("low_rank", "high_rank", True),
             ("rank_low", "rank_high", True), ("rank_best", "rank_worst", False)],
}


def tornado_chart(tornado_df: pd.DataFrame, base: float | None = None, partner_id: str | None = None,
                  kind: str = "score", *, presentation: bool = False) -> AnyChart:
    """One-way sensitivity of one partner: its propensity (``kind="score"``, 0–100) or rank
    (``kind="rank"``, 1 = best) as each category weight is lowered and raised; widest swing first.

    Accepts :func:`prioritizer.robustness.tornado` output (long, all partners: pass ``partner_id``;
    uses score_at_low/score_at_high and score_base) or a small frame with category, low_score,
    high_score (or low_rank/high_rank) and optional base_score/base_rank. With a base value the
    bars run from it to each end, coloured by direction; without, each bar spans low–high.
    """
    df = tornado_df.copy()
    require(df, ["category"], "tornado_chart")
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
    df["label"] = df["category"].map(category_text)
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
        layers.append(alt.Chart(note).mark_text(fontSize=text_size(presentation) + 2, color="#333333",
                                                align="left").encode(
            x=alt.value(width / 2 + 12), y=alt.value(height / 2), text="text:N"))
    return style(alt.layer(*layers).properties(width=width, height=height), presentation=presentation)
