"""Ranking view: propensity bars of the best-ranked partners (0–100, longer = SC more likely to work)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from prioritizer.charts.style import (
    COMMAND_COLOURS,
    DEFAULT_WIDTH,
    LABEL_SIZE,
    LARGE_LABEL_SIZE,
    AnyChart,
    colour_scale,
    require,
    style,
    text_size,
    with_id_column,
)


def ranking_bar(scores: pd.DataFrame, top_n: int = 30, *, presentation: bool = False) -> AnyChart:
    """Horizontal propensity bars (0–100, longer = SC more likely to work) for the top ``top_n``
    partners by rank, coloured by command; low-confidence partners are faded and labelled.
    ``presentation``: projector text sizes."""
    df = with_id_column(scores)
    require(df, ["name", "command", "propensity", "rank"], "ranking_bar")
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
        y=alt.Y("label:N", sort=order, title=None,
                axis=alt.Axis(labelFontSize=LARGE_LABEL_SIZE if presentation else LABEL_SIZE)),
        tooltip=tooltip,
    )
    bars = base.mark_bar(height={"band": 0.8}).encode(
        x=alt.X("propensity:Q", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(values=list(range(0, 101, 10))),
                title="Propensity (0–100, higher = SC more likely to work)"),
        color=alt.Color("command:N", scale=colour_scale(df["command"], COMMAND_COLOURS), title="Command"),
        opacity=alt.Opacity("coverage_flag:N", title="Data coverage",
                            scale=alt.Scale(domain=["adequate", "low (below threshold)"], range=[1.0, 0.35]),
                            legend=alt.Legend() if bool(np.any(low)) else None),
    )
    text = base.mark_text(align="left", dx=4, fontSize=text_size(presentation), color="#222222").encode(
        x="propensity:Q", text="value_text:N")
    height = max(120, (32 if presentation else 24) * len(df))
    return style(alt.layer(bars, text).properties(width=DEFAULT_WIDTH, height=height), presentation=presentation)
