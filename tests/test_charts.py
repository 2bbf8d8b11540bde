"""Charts build from small synthetic frames, carry marking/scenario/date, and export offline."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pytest

from prioritizer.charts.allocation import allocation_by_command, allocation_by_mechanism, change_bars
from prioritizer.charts.export.image import to_png, to_png_and_svg, to_svg, with_meta
from prioritizer.charts.frontier import frontier_chart
from prioritizer.charts.map import load_topojson, world_map
from prioritizer.charts.matrix import matrix_chart, place_labels, text_box
from prioritizer.charts.profile import category_bars, construct_bars
from prioritizer.charts.ranking import ranking_bar
from prioritizer.charts.robustness import rank_interval_chart, tornado_chart
from prioritizer.charts.style import COMMAND_COLOURS, FONT, NO_DATA, OKABE_ITO, ChartMeta, marking_colour
from prioritizer.domain import CATEGORY_LABELS, COMMANDS
from prioritizer.errors import InputError
from prioritizer.paths import PROJECT_ROOT

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _square(x0: float, y0: float, side: float) -> list[list[float]]:
    # Clockwise in lon/lat, as d3-geo expects for an exterior ring.
    return [[x0, y0], [x0, y0 + side], [x0 + side, y0 + side], [x0 + side, y0], [x0, y0]]


@pytest.fixture()
def topojson_path(tmp_path: Path) -> Path:
    """Tiny hand-written TopoJSON: three square 'countries' and an Antarctica that must be left out."""
    topo = {
        "type": "Topology",
        "arcs": [_square(-60, -20, 40), _square(0, -20, 40), _square(60, -20, 40), _square(-20, -80, 10)],
        "objects": {"countries": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "arcs": [[0]], "properties": {"name": "Aland", "iso3": "AAA"}},
            {"type": "Polygon", "arcs": [[1]], "properties": {"name": "Bland", "iso3": "BBB"}},
            {"type": "Polygon", "arcs": [[2]], "properties": {"name": "Cland", "iso3": "CCC"}},
            {"type": "Polygon", "arcs": [[3]], "properties": {"name": "Antarctica", "iso3": "ATA"}},
        ]}},
    }
    path = tmp_path / "mini-topo.json"
    path.write_text(json.dumps(topo), encoding="utf-8")
    return path


@pytest.fixture()
def scores() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 14
    ids = ["AAA", "BBB"] + [f"P{i:02d}" for i in range(n - 2)]
    df = pd.DataFrame({
        "name": ["Aland", "Bland"] + [f"Partner {i}" for i in range(n - 2)],
        "command": [COMMANDS[i % 6] for i in range(n)],
        "propensity": np.linspace(92, 15, n).round(1),
        "priority": rng.integers(1, 6, n).astype(float),
        "low_confidence": [False, True] + [i % 5 == 0 for i in range(n - 2)],
        "coverage": rng.uniform(0.4, 1.0, n),
    }, index=pd.Index(ids, name="partner_id"))
    df["rank"] = df["propensity"].rank(ascending=False, method="min").astype(int)
    for cat in CATEGORY_LABELS:
        df[f"{cat}_score"] = rng.uniform(0, 100, n)
    return df


def _datasets(chart: alt.TopLevelMixin) -> list[list[dict]]:
    return list(chart.to_dict()["datasets"].values())


def _walk(obj: object):
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)


def _builders(scores: pd.DataFrame, topojson_path: Path) -> dict[str, alt.TopLevelMixin]:
    alloc = scores[["name", "command"]].copy()
    alloc["baseline_usd_m"] = np.linspace(5, 30, len(alloc))
    alloc["recommended_usd_m"] = alloc["baseline_usd_m"] * np.where(np.arange(len(alloc)) % 2, 1.5, 0.6)
    mech = pd.DataFrame([(pid, alloc.loc[pid, "command"], m, 2.0 + i)
                         for i, m in enumerate(["PME", "Train & equip", "DIB", "FMF"]) for pid in alloc.index],
                        columns=["partner_id", "command", "mechanism", "usd_m"])
    frontier = pd.DataFrame({"budget_usd_m": [100.0, 200, 300, 400],
                             "total_benefit": [10.0, 17, 21, 23],
                             "status": ["Infeasible", "Optimal", "Optimal", "Optimal"]})
    robust = scores[["name", "rank"]].copy()
    robust["rank_p5"] = np.maximum(1, robust["rank"] - 2)
    robust["rank_p95"] = robust["rank"] + 3
    tornado = pd.DataFrame({"category": list(CATEGORY_LABELS), "low_score": [60, 58, 65, 62, 63, 61.0],
                            "high_score": [70, 66, 61, 64, 72, 63.0], "base_score": 63.0})
    constructs = pd.DataFrame({"construct_label": ["Effectiveness", "Rule of law"],
                               "category_id": ["governance", "governance"]},
                              index=pd.Index(["effectiveness", "rule_of_law"], name="construct_id"))
    return {
        "ranking": ranking_bar(scores, top_n=10),
        "matrix": matrix_chart(scores, priority_threshold=4, propensity_threshold=50),
        "map": world_map(scores, topojson_path),
        "category": category_bars(scores.iloc[0], scores.filter(like="_score").median()),
        "construct": construct_bars(pd.Series({"effectiveness": 70.0, "rule_of_law": 40.0}), constructs,
                                      pd.Series({"effectiveness": False, "rule_of_law": True})),
        "alloc_command": allocation_by_command(alloc),
        "alloc_mechanism": allocation_by_mechanism(mech),
        "change": change_bars(alloc, top_n=6),
        "frontier": frontier_chart(frontier, current_budget=250),
        "rank_interval": rank_interval_chart(robust),
        "tornado": tornado_chart(tornado),
    }


def test_every_chart_converts_to_png_and_svg_with_meta(scores, topojson_path):
    meta = ChartMeta(title="Test chart", scenario="Budget cut −10 %", date="2025-03-04",
                       marking="UNCLASSIFIED//FOR TRAINING")
    for name, chart in _builders(scores, topojson_path).items():
        spec = chart.to_dict()
        assert "title" not in spec, f"{name}: chart functions must not hard-code a title"
        png, svg = to_png_and_svg(chart, meta, scale=1)  # one render; to_png itself is tested below
        assert png.startswith(PNG_MAGIC) and len(png) > 5_000, name
        assert svg.lstrip().startswith("<svg"), name
        # Drawn text (not just aria labels): marking top and bottom, the footer and the title.
        assert svg.count(">UNCLASSIFIED//FOR TRAINING</text>") == 2, f"{name}: marking top and bottom"
        assert ">Scenario: Budget cut −10 % · generated 2025-03-04 · Partner Prioritizer</text>" in svg, name
        assert ">Test chart</text>" in svg, name


def test_png_scale_doubles_pixels(scores):
    chart = ranking_bar(scores, top_n=3)
    meta = ChartMeta(title="x")

    def width(png: bytes) -> int:
        return int.from_bytes(png[16:20], "big")

    assert width(to_png(chart, meta, scale=2)) == pytest.approx(2 * width(to_png(chart, meta, scale=1)), abs=2)


def test_png_and_svg_from_one_render_match_to_png(scores):
    chart, meta = category_bars(scores.iloc[0]), ChartMeta(title="Profile", date="2025-01-01")
    png, svg = to_png_and_svg(chart, meta, scale=1)
    assert png.startswith(PNG_MAGIC) and ">Profile</text>" in svg
    assert png[16:24] == to_png(chart, meta, scale=1)[16:24]  # same pixel width and height


def test_export_refuses_any_url_so_nothing_is_fetched():
    chart = alt.Chart(alt.UrlData("https://example.com/data.csv")).mark_point().encode(x="a:Q")
    with pytest.raises(RuntimeError, match="not allowed"):
        to_png(chart, ChartMeta(title="t"))
    relative = alt.Chart(alt.UrlData("data/cars.json")).mark_point().encode(x="a:Q")
    with pytest.raises(RuntimeError):
        to_svg(relative, ChartMeta(title="t"))


def test_chart_meta_defaults_and_marking_colours():
    meta = ChartMeta(title="t")
    assert meta.date == dt.date.today().isoformat()
    assert meta.marking == "UNCLASSIFIED"
    assert meta.footer.endswith("· Partner Prioritizer")
    assert marking_colour("UNCLASSIFIED") == "#007A33"
    assert marking_colour("UNCLASSIFIED//FOUO") == "#007A33"
    assert marking_colour("SECRET//NOFORN") == "#C8102E"
    assert marking_colour("TOP SECRET//SI") == "#FF8C00"
    assert marking_colour("CUI") == "#502B85"
    assert marking_colour("DRAFT") == "#333333"


def test_with_meta_keeps_style_at_top_level_and_legends_inside(scores):
    wrapped = with_meta(ranking_bar(scores), ChartMeta(title="Ranking", subtitle="default weights"))
    spec = wrapped.to_dict()
    assert spec["config"]["font"] == FONT
    assert spec["title"]["text"] == "UNCLASSIFIED" and spec["title"]["orient"] == "top"
    inner = spec["vconcat"][0]
    assert inner["title"]["text"] == "UNCLASSIFIED" and inner["title"]["orient"] == "bottom"
    assert spec["resolve"]["legend"]["color"] == "independent"
    titles = [d["title"] for d in _walk(spec) if isinstance(d.get("title"), dict)]
    assert any(t.get("text") == "Ranking" and t.get("subtitle") == "default weights" for t in titles)


def test_ranking_bar_top_n_order_and_low_confidence(scores):
    chart = ranking_bar(scores, top_n=5)
    rows = _datasets(chart)[0]
    assert len(rows) == 5
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
    bland = next(r for r in rows if r["name"] == "Bland")
    assert bland["coverage_flag"].startswith("low") and "low confidence" in bland["value_text"]
    assert all(r["propensity"] <= 100 for r in rows)


def test_ranking_colours_are_fixed_per_command(scores):
    spec = ranking_bar(scores).to_dict()
    scale = next(d["color"]["scale"] for d in _walk(spec) if isinstance(d.get("color"), dict)
                 and d["color"].get("field") == "command")
    mapping = dict(zip(scale["domain"], scale["range"], strict=True))
    assert mapping["EUCOM"] == COMMAND_COLOURS["EUCOM"] and mapping["AFRICOM"] == COMMAND_COLOURS["AFRICOM"]


def test_matrix_rules_jitter_and_labels(scores):
    chart = matrix_chart(scores, priority_threshold=4, propensity_threshold=50, label_top=4)
    spec = chart.to_dict()
    data = spec["datasets"]
    rows = max(data.values(), key=len)
    # Jitter keeps each partner within ±0.3 of its priority, deterministically.
    for r in rows:
        assert abs(r["priority_jitter"] - r["priority"]) <= 0.3 + 1e-9
    assert json.dumps(matrix_chart(scores, 4, 50, label_top=4).to_dict(), sort_keys=True) == json.dumps(
        spec, sort_keys=True)
    # Integer priorities: the vertical rule sits between 3 and 4, so a priority-4 partner is on the right.
    assert any(r == [{"x": 3.5}] for r in data.values())
    assert any(r == [{"y": 50.0}] for r in data.values())
    labels = [r for v in data.values() for r in v if "lx" in r]
    assert sorted(r["name"] for r in labels) == sorted(scores.sort_values("rank")["name"].head(4))
    # Quadrant computed from the thresholds when the scores frame has none.
    q = {r["name"]: r["quadrant"] for r in rows}
    for _, s in scores.iterrows():
        high_p, high_s = s["priority"] >= 4, s["propensity"] >= 50
        expected = {(True, True): "invest", (True, False): "manage expectations",
                    (False, True): "opportunity", (False, False): "deprioritise"}[(high_p, high_s)]
        assert q[s["name"]] == expected


def _boxes_disjoint(boxes):
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            if min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1]):
                return False
    return True


def test_label_placement_avoids_overlaps():
    px = np.array([100.0, 104, 108, 112, 300])
    py = np.array([100.0, 102, 104, 100, 50])
    texts = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    placed = place_labels(px, py, texts, width=640, height=460)
    assert all(p is not None for p in placed)  # room for all five
    boxes = [text_box(x, y, t, a, 12) for (x, y, a), t in zip(placed, texts, strict=True)]
    assert _boxes_disjoint(boxes)
    assert all(b[0] >= 0 and b[2] <= 640 and b[1] >= 0 and b[3] <= 460 for b in boxes)


def test_label_without_a_free_place_is_left_to_the_tooltip():
    # Twenty partners on one spot: the ring of places round it fills, the rest are not drawn.
    px, py = np.full(20, 320.0), np.full(20, 230.0)
    texts = [f"Partner {i}" for i in range(20)]
    placed = place_labels(px, py, texts, width=640, height=460)
    kept = [(p, t) for p, t in zip(placed, texts, strict=True) if p is not None]
    assert 0 < len(kept) < 20
    assert _boxes_disjoint([text_box(x, y, t, a, 12) for (x, y, a), t in kept])


def test_world_map_is_inline_and_joins_on_iso3(scores, topojson_path):
    chart = world_map(scores, topojson_path)
    spec = chart.to_dict()
    assert not any("url" in d for d in _walk(spec)), "the map must embed its data, never a URL"
    fmt = spec["data"]["format"]
    assert fmt == {"type": "topojson", "feature": "countries"}
    topo = spec["data"].get("values") or spec["datasets"][spec["data"]["name"]]
    assert topo["objects"]["countries"]["geometries"][0]["properties"]["iso3"] == "AAA"
    lookups = [d for d in _walk(spec) if d.get("lookup") == "properties.iso3"]
    assert lookups and lookups[0]["from"]["key"] == "partner_id"
    svg = to_svg(chart, ChartMeta(title="Map"))
    fills = re.findall(r'<path[^>]*fill="([^"]+)"', svg)
    assert NO_DATA in fills, "the unscored country (CCC) is drawn grey"
    coloured = {f for f in fills if f.lower() not in {NO_DATA.lower(), "#fff", "white", "none"}}
    assert len(coloured) >= 2, "the two scored countries get score colours"


def test_world_map_other_value_and_bad_files(scores, topojson_path, tmp_path):
    chart = world_map(scores, topojson_path, value="governance_score")
    assert "Governance & institutions (0–100)" in json.dumps(chart.to_dict(), ensure_ascii=False)
    with pytest.raises(InputError, match="not found") as exc:
        world_map(scores, tmp_path / "missing.json")
    assert "missing.json" in str(exc.value)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="broken.json"):
        load_topojson(broken)
    no_iso = tmp_path / "noiso.json"
    topo = json.loads(topojson_path.read_text(encoding="utf-8"))
    for g in topo["objects"]["countries"]["geometries"]:
        g["properties"].pop("iso3")
    no_iso.write_text(json.dumps(topo), encoding="utf-8")
    with pytest.raises(InputError, match="iso3"):
        load_topojson(no_iso)


def test_shipped_world_map_if_present(scores):
    path = PROJECT_ROOT / "sample_data" / "world-110m.json"
    if not path.exists():
        pytest.skip("sample_data/world-110m.json not shipped yet")
    topo = load_topojson(path)
    iso = {g["properties"].get("iso3") for g in topo["objects"]["countries"]["geometries"]}
    assert {"USA", "FRA", "NOR", "CHN"} <= iso


def test_change_bars_picks_largest_movers_both_signs():
    df = pd.DataFrame({"name": list("ABCDE"), "baseline_usd_m": [10.0, 10, 10, 10, 10],
                       "recommended_usd_m": [30.0, 9, 2, 10, 12]})
    rows = _datasets(change_bars(df, top_n=3))[0]
    # |change|: A +20, C −8, E +2, B −1, D 0 → the three largest, ordered from biggest rise to biggest cut.
    assert [r["name"] for r in rows] == ["A", "E", "C"]
    assert [r["change_usd_m"] for r in rows] == [20.0, 2.0, -8.0]
    assert [r["change_text"] for r in rows] == ["+$20.0M", "+$2.0M", "−$8.0M"]
    assert {r["direction"] for r in rows} == {"increase", "decrease"}


def test_allocation_by_command_totals():
    df = pd.DataFrame({"name": list("ABC"), "command": ["EUCOM", "EUCOM", "AFRICOM"],
                       "baseline_usd_m": [1.0, 2.0, 4.0], "recommended_usd_m": [3.0, 0.5, 4.0]})
    rows = _datasets(allocation_by_command(df))[0]
    got = {(r["command"], r["series"]): r["usd_m"] for r in rows}
    assert got == {("EUCOM", "Baseline"): 3.0, ("AFRICOM", "Baseline"): 4.0,
                   ("EUCOM", "Recommended"): 3.5, ("AFRICOM", "Recommended"): 4.0}
    with pytest.raises(InputError, match="recommended_usd_m"):
        allocation_by_command(df.drop(columns="recommended_usd_m"))


def test_frontier_marks_current_budget_and_unsolved_points():
    fr = pd.DataFrame({"budget_usd_m": [1.0, 2, 3], "total_benefit": [1.0, 2, 2.5],
                       "status": ["Infeasible", "Optimal", "Optimal"]})
    spec = frontier_chart(fr, current_budget=2.5).to_dict()
    data = list(spec["datasets"].values())
    assert any(r and r[0].get("x") == 2.5 for r in data)
    full = max(data, key=len)
    assert [r["solved"] for r in full] == ["infeasible / not solved", "optimal", "optimal"]
    band = next(r[0] for r in data if r and "x2" in r[0])  # budgets below the first feasible one are shaded
    assert (band["x"], band["x2"]) == (1.0, 1.0) and "no feasible allocation" in band["label"]
    solved_only = frontier_chart(fr.assign(status="Optimal")).to_dict()
    assert not any(r and "x2" in r[0] for r in solved_only["datasets"].values())


def test_tornado_orders_by_swing_and_handles_ranks():
    df = pd.DataFrame({"category": ["governance", "stability", "us_engagement"],
                       "low_rank": [5, 3, 4], "high_rank": [2, 12, 4]})
    spec = tornado_chart(df, base=4).to_dict()
    y = next(d["y"] for d in _walk(spec) if isinstance(d.get("y"), dict) and d["y"].get("field") == "label")
    assert y["sort"] == ["Stability", "Governance & institutions", "Consistency of US support"]
    assert any(d.get("scale", {}).get("reverse") is True for d in _walk(spec) if isinstance(d.get("scale"), dict))
    with pytest.raises(InputError):
        tornado_chart(pd.DataFrame({"category": ["x"], "a": [1]}))


def test_rank_interval_keeps_interval(scores):
    robust = scores[["name", "rank"]].copy()
    robust["rank_p5"] = np.maximum(1, robust["rank"] - 1)
    robust["rank_p95"] = robust["rank"] + 4
    rows = _datasets(rank_interval_chart(robust, top_n=5))[0]
    assert len(rows) == 5
    assert all(r["rank_p5"] <= r["rank"] <= r["rank_p95"] for r in rows)


def test_missing_columns_name_the_chart(scores):
    with pytest.raises(InputError, match="ranking_bar needs column"):
        ranking_bar(scores.drop(columns="command"))


def test_streamlit_config_is_offline_and_matches_palette():
    cfg = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["server"]["address"] == "127.0.0.1"
    assert cfg["server"]["enableXsrfProtection"] is True and cfg["server"]["enableCORS"] is True
    assert cfg["server"]["headless"] is True and cfg["server"]["maxUploadSize"] == 20
    assert cfg["client"]["showErrorDetails"] == "none"
    assert cfg["client"]["toolbarMode"] == "minimal"
    assert cfg["global"]["developmentMode"] is False
    assert "://" not in json.dumps(cfg["theme"]), "no remote fonts or assets"
    assert cfg["theme"]["chartCategoricalColors"][:6] == [OKABE_ITO[k] for k in
                                                         ("blue", "orange", "green", "purple", "sky", "vermillion")]


def _label_rows(spec: dict) -> list[dict]:
    return [r for v in spec["datasets"].values() for r in v if "lx" in r]


def test_matrix_labels_the_deepest_few_of_each_quadrant(scores):
    spec = matrix_chart(scores, 4, 50, label_per_quadrant=1).to_dict()
    labels = [r["name"] for r in _label_rows(spec)]
    rows = max(spec["datasets"].values(), key=len)
    # Deepest = largest |priority − 3.5| / 5 × |propensity − 50| / 100 (the rule sits between 3 and 4).
    deepest = {}
    for r in sorted(rows, key=lambda r: (-abs(r["priority"] - 3.5) * abs(r["propensity"] - 50), r["rank"])):
        deepest.setdefault(r["quadrant"], r["name"])
    assert sorted(labels) == sorted(deepest.values())
    assert {r["name"] for r in rows if r["labelled"]} == set(labels)


@pytest.mark.parametrize("presentation", [False, True])
def test_matrix_labels_never_overlap_on_a_crowded_chart(presentation):
    # 160 partners, as many as the sample, bunched on the five priority levels.
    rng = np.random.default_rng(3)
    n = 160
    df = pd.DataFrame({"name": [f"Partner number {i}" for i in range(n)],
                       "priority": rng.integers(1, 6, n).astype(float),
                       "propensity": rng.normal(55, 15, n).clip(2, 98)},
                      index=pd.Index([f"P{i:03d}" for i in range(n)], name="partner_id"))
    width, height, per = 900, 520, 4
    spec = matrix_chart(df, 4, 50, width=width, height=height, label_per_quadrant=per,
                        presentation=presentation).to_dict()
    labels = _label_rows(spec)
    layers = [layer for layer in spec["layer"] if layer.get("encoding", {}).get("x", {}).get("field") == "lx"]
    font = {layer["mark"]["fontSize"] for layer in layers}
    assert font == ({17} if presentation else {12})  # larger text on a projector
    align = {r["name"]: layer["mark"]["align"] for layer in layers
             for r in spec["datasets"][layer["data"]["name"]]}
    size = next(iter(font))
    boxes = [text_box((r["lx"] - 0.5) / 5 * width, height - r["ly"] / 100 * height, r["name"], align[r["name"]],
                      size) for r in labels]
    assert 4 <= len(labels) <= 4 * per
    assert _boxes_disjoint(boxes)
    assert all(b[0] >= -0.5 and b[2] <= width + 0.5 and b[1] >= -0.5 and b[3] <= height + 0.5 for b in boxes)
    rows = max(spec["datasets"].values(), key=len)
    quadrant = {r["name"]: r["quadrant"] for r in rows}
    counts = pd.Series([quadrant[r["name"]] for r in labels]).value_counts()
    assert (counts <= per).all()


def test_mechanism_legend_labels_are_never_cut():
    mech = pd.DataFrame({"partner_id": ["A", "B"], "mechanism": ["education", "fmf"], "usd_m": [1.0, 2.0],
                         "command": ["EUCOM", "EUCOM"]})
    legend = allocation_by_mechanism(mech, labels={"education": "Professional military education (IMET-type)"}
                                       ).to_dict()["config"]["legend"]
    assert legend["labelLimit"] == 0 and legend["columns"] == 2


def test_presentation_mode_enlarges_text_and_keeps_legends_whole(scores):
    standard, large = ranking_bar(scores).to_dict(), ranking_bar(scores, presentation=True).to_dict()
    assert large["config"]["axis"]["labelFontSize"] > standard["config"]["axis"]["labelFontSize"]
    assert large["config"]["legend"]["labelLimit"] == 0 and large["config"]["legend"]["columns"] <= 2

    def text_sizes(spec):
        return {d["mark"]["fontSize"] for d in _walk(spec) if isinstance(d.get("mark"), dict)
                and d["mark"].get("type") == "text"}

    assert min(text_sizes(large)) > max(text_sizes(standard))
    mech = pd.DataFrame({"partner_id": ["A", "B"], "mechanism": ["education", "exercises"], "usd_m": [1.0, 2.0]})
    legend = allocation_by_mechanism(mech, presentation=True).to_dict()["config"]["legend"]
    assert legend["labelLimit"] == 0 and legend["labelFontSize"] >= 17


def test_mechanism_legend_uses_short_domain_labels_and_tooltip_the_full_ones():
    mech = pd.DataFrame({"partner_id": ["A"], "mechanism": ["education"], "usd_m": [1.0]})
    full = {"education": "Professional military education (IMET-type)"}
    rows = _datasets(allocation_by_mechanism(mech, labels=full))[0]
    assert rows[0]["mechanism"] == "Professional military education"  # legend: text before " ("
    assert rows[0]["mechanism_name"] == "Professional military education (IMET-type)"  # tooltip
    short = _datasets(allocation_by_mechanism(mech, short_labels={"education": "PME"}))[0]
    assert short[0]["mechanism"] == "PME"


@pytest.mark.parametrize("build", [
    lambda: category_bars(pd.Series({"governance_score": 96.0, "us_engagement_score": np.nan})),
    lambda: construct_bars(pd.Series({"effectiveness": 70.0, "track_record": np.nan})),
])
def test_a_missing_score_is_labelled_no_data_at_zero_not_dropped(build):
    """A category or construct with no data (e.g. aid consistency for a partner with < $1 M of US aid) shows
    'no data' at the axis origin; a label placed at NaN is dropped by Vega and the row reads as 0."""
    spec = build().to_dict()
    rows = [r for d in _walk(spec) for v in d.values() if isinstance(v, list) for r in v
            if isinstance(r, dict) and "score_text" in r]
    missing = [r for r in rows if r["score_text"].startswith("no data")]
    assert len(missing) == 1 and missing[0]["text_x"] == 0.0, rows
    texts = [d for d in _walk(spec) if d.get("mark") in ("text", {"type": "text"}) or
             (isinstance(d.get("mark"), dict) and d["mark"].get("type") == "text")]
    assert texts and all(t["encoding"]["x"]["field"] == "text_x" for t in texts)
    titles = {d["encoding"]["x"].get("title") for d in _walk(spec) if isinstance(d.get("encoding"), dict)
              and "x" in d["encoding"]}
    assert len(titles) == 1 and next(iter(titles)).endswith("(0–100, higher = better)"), titles
