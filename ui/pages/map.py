"""World map: countries coloured by propensity, a category score, priority or baseline funding."""

from __future__ import annotations

from typing import Any

import streamlit as st

from prioritizer.charts import map as charts_map
from prioritizer.report.view_tables import MAP_VALUES, filter_scores, map_value_label
from ui import layout, sidebar

VIEW = "map"
ss = st.session_state


@st.fragment
def world_map(shown: Any, scen: dict[str, Any]) -> None:
    """The value picker and the map: changing the value reruns this part only."""
    if "map_value" not in ss:
        ss["map_value"] = "propensity"
    value = st.selectbox("Colour countries by", MAP_VALUES, key="map_value", format_func=map_value_label,
                         persist_state="session")
    width, height = (1640, 740) if scen["presentation"] else (1320, 620)
    chart = charts_map.world_map(shown, sidebar.MAP_TOPOJSON, value=value).properties(width=width, height=height)
    layout.show_chart(chart, scen, f"World map — {map_value_label(value)}", "map", stretch=False, grow=False)


def render(ctx: dict[str, Any]) -> None:
    scen, scores = ctx["scenario"], ctx["result"].scores
    world_map(filter_scores(scores, scen["filters"]), scen)
    st.caption("Grey: no score or filtered out. Non-state partners have no country shape. Boundaries: Natural Earth "
               "110m (public domain); shapes do not imply a position on any territorial question.")


if __name__ == "__main__":
    layout.run_page(VIEW, render)
