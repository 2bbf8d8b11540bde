"""World map view: a choropleth of propensity (or a category score) by country, the map embedded inline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from prioritizer.charts.style import (
    NO_DATA,
    AnyChart,
    category_text,
    require,
    style,
    with_id_column,
)
from prioritizer.errors import InputError


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
              full_scale: bool = True, *, presentation: bool = False) -> AnyChart:
    """Choropleth of ``value`` (default propensity, 0–100) by country; countries without a score are grey.

    The TopoJSON (Natural Earth 110m with ``properties.iso3``) is embedded inline — no URL — and
    joined to the scores on ``properties.iso3`` = ``partner_id``. Antarctica is left out. Scores use
    the fixed 0–100 colour scale (comparable across scenarios) unless ``full_scale=False``, which
    stretches the colours over the values shown.
    """
    topo = load_topojson(topojson_path)
    df = with_id_column(scores)
    require(df, ["name", value], "world_map")
    cols = ["partner_id", "name", value] + [c for c in ("rank", "command") if c in df and c != value]
    lookup = df[cols].copy()
    lookup["partner_id"] = lookup["partner_id"].astype(str)
    lookup = lookup[lookup[value].notna()]
    field = "map_value"
    lookup = lookup.rename(columns={value: field, "name": "partner_name"})
    is_score = value == "propensity" or value.endswith("_score")
    legend_title = ("Propensity (0–100)" if value == "propensity"
                    else f"{category_text(value)} (0–100)" if value.endswith("_score")
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
    return style(chart, presentation=presentation)
