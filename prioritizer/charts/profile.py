"""Partner profile view: one partner's category scores and construct scores (0–100, higher = better for SC)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from prioritizer.charts.style import (
    DEFAULT_WIDTH,
    OKABE_ITO,
    AnyChart,
    category_text,
    colour_scale,
    style,
    text_size,
)
from prioritizer.domain import CATEGORY_LABELS


def category_bars(profile_row: pd.Series, reference: pd.Series | None = None, *,
                  presentation: bool = False) -> AnyChart:
    """Category scores (0–100) of one partner as bars; ``reference`` (e.g. the median partner) as ticks.

    ``profile_row`` is a scores row (its ``<category>_score`` entries are used) or a Series indexed
    by category id.
    """
    row = profile_row
    keys = [k for k in row.index if str(k).endswith("_score")] or list(row.index)
    df = pd.DataFrame({"category": [category_text(k) for k in keys],
                       "score": pd.to_numeric(row[keys], errors="coerce").to_numpy(dtype=float)})
    df["score_text"] = df["score"].map(lambda v: "no data" if pd.isna(v) else f"{v:.0f}")
    df["text_x"] = df["score"].fillna(0.0)  # "no data" sits at 0 (a NaN position would drop the label)
    order = df["category"].tolist()
    y = alt.Y("category:N", sort=order, title=None)
    x_title = "Category score (0–100, higher = better)"
    x = alt.X("score:Q", scale=alt.Scale(domain=[0, 100]), title=x_title)
    bars = alt.Chart(df).mark_bar(color=OKABE_ITO["blue"], height={"band": 0.7}).encode(
        y=y, x=x, tooltip=[alt.Tooltip("category:N", title="Category"),
                           alt.Tooltip("score:Q", title="Score", format=".1f")])
    text = alt.Chart(df).mark_text(align="left", dx=4, fontSize=text_size(presentation)).encode(
        y=y, x=alt.X("text_x:Q", title=x_title), text="score_text:N")
    layers = [bars, text]
    if reference is not None:
        ref_keys = [k for k in keys if k in reference.index]
        ref = pd.DataFrame({"category": [category_text(k) for k in ref_keys],
                            "reference": pd.to_numeric(reference[ref_keys], errors="coerce").to_numpy(dtype=float),
                            "what": "median partner"})
        layers.append(alt.Chart(ref).mark_tick(thickness=3, size=26).encode(
            y=y, x="reference:Q",
            color=alt.Color("what:N", title=None, scale=alt.Scale(range=["#000000"])),
            tooltip=[alt.Tooltip("reference:Q", title="Median partner", format=".1f")]))
    return style(alt.layer(*layers).properties(width=DEFAULT_WIDTH - 120, height=40 * len(df)),
                 presentation=presentation)


def construct_bars(construct_scores: pd.Series, constructs: pd.DataFrame | None = None,
                   overridden: pd.Series | None = None, *, presentation: bool = False) -> AnyChart:
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
        df["category"] = [category_text(c) if pd.notna(c) else "other"
                          for c in meta.get("category_id", pd.Series(np.nan, index=meta.index))]
    else:
        df["construct"] = df["construct_id"].str.replace("_", " ").str.capitalize()
        df["category"] = "construct"
    ov = (overridden.reindex(df["construct_id"]).fillna(False).astype(bool).to_numpy()
          if overridden is not None else np.zeros(len(df), dtype=bool))
    df["source"] = np.where(ov, "planner override", "indicators")
    df["score_text"] = [("no data" if pd.isna(v) else f"{v:.0f}") + ("  override" if o else "")
                        for v, o in zip(df["score"], ov, strict=True)]
    df["text_x"] = df["score"].fillna(0.0)
    palette = [OKABE_ITO[k] for k in ("blue", "purple", "vermillion", "orange", "green", "sky")]
    cat_colours = {label: palette[i % len(palette)] for i, label in enumerate(CATEGORY_LABELS.values())}
    y = alt.Y("construct:N", sort=df["construct"].tolist(), title=None, axis=alt.Axis(labelLimit=380))
    x_title = "Construct score (0–100, higher = better)"
    bars = alt.Chart(df).mark_bar(height={"band": 0.7}).encode(
        y=y, x=alt.X("score:Q", scale=alt.Scale(domain=[0, 100]), title=x_title),
        color=alt.Color("category:N", scale=colour_scale(df["category"], cat_colours), title="Category"),
        opacity=alt.Opacity("source:N", title="Source", legend=None,  # the bar label says "override"
                            scale=alt.Scale(domain=["indicators", "planner override"], range=[1.0, 0.45])),
        tooltip=[alt.Tooltip("construct:N", title="Construct"), alt.Tooltip("category:N", title="Category"),
                 alt.Tooltip("score:Q", title="Score", format=".1f"), alt.Tooltip("source:N", title="Source")],
    )
    text = alt.Chart(df).mark_text(align="left", dx=4, fontSize=text_size(presentation)).encode(
        y=y, x=alt.X("text_x:Q", title=x_title), text="score_text:N")
    return style(alt.layer(bars, text).properties(width=DEFAULT_WIDTH - 120, height=max(120, 30 * len(df))),
                 presentation=presentation)
