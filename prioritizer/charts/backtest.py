"""Back-test view: partial Spearman of the as-of propensity with later improvement, per outcome."""

from __future__ import annotations

import altair as alt
import pandas as pd

from prioritizer.charts.style import (
    DEFAULT_WIDTH,
    GREY,
    OKABE_ITO,
    AnyChart,
    require,
    style,
)


def backtest_chart(table: pd.DataFrame, *, presentation: bool = False) -> AnyChart:
    """Partial Spearman of the as-of propensity with the later change per outcome, with its bootstrap interval.

    ``table``: :func:`prioritizer.validate.backtest` rows (outcome, label, as_of, horizon, n, rho_partial,
    ci_low, ci_high). One point per outcome × horizon (colour = horizon), rule = interval, zero line;
    rows without a correlation (too few partners) are left out.
    """
    require(table, ["label", "as_of", "horizon", "n", "rho_partial", "ci_low", "ci_high"], "backtest_chart")
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
    chart = alt.layer(zero, rules, pts).properties(width=DEFAULT_WIDTH - 80, height=height)
    return style(chart, presentation=presentation)
