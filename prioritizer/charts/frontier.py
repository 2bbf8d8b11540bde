"""Frontier view: total expected benefit against the budget (US$ M per year), infeasible budgets marked."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from prioritizer.charts.style import (
    DECREASE,
    DEFAULT_WIDTH,
    OKABE_ITO,
    AnyChart,
    require,
    style,
    text_size,
    with_id_column,
)


def frontier_chart(frontier_df: pd.DataFrame, current_budget: float | None = None, *,
                   presentation: bool = False) -> AnyChart:
    """Total benefit vs budget (US$ M per year); optimal points joined, infeasible/unsolved budget
    levels marked × on the zero line (tooltip shows the solver note) with a shaded band over the budgets too
    small for any feasible allocation; a dashed rule marks ``current_budget``."""
    df = with_id_column(frontier_df, id_col="_row")
    require(df, ["budget_usd_m", "total_benefit"], "frontier_chart")
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
        layers.append(alt.Chart(band).mark_text(align="left", dx=4, baseline="top", color="#555555",
                                                fontSize=text_size(presentation) - 1).encode(
            x="x:Q", y=alt.value(24), text="label:N"))
    if current_budget is not None:
        cur = pd.DataFrame({"x": [float(current_budget)], "label": [f"current budget ${current_budget:,.0f}M"]})
        layers.append(alt.Chart(cur).mark_rule(strokeDash=[6, 4], color="#333333", strokeWidth=2).encode(x="x:Q"))
        # Label low on the rule: the curve flattens out near the top, where a label would cover it.
        layers.append(alt.Chart(cur).mark_text(align="left", dx=6, baseline="bottom", color="#333333",
                                               fontSize=text_size(presentation)).encode(
            x="x:Q", y=alt.value(364), text="label:N"))
    return style(alt.layer(*layers).properties(width=DEFAULT_WIDTH, height=380), presentation=presentation)
