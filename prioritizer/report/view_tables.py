"""What each app view shows as a table, UI-agnostic (pure pandas, no Streamlit): filters, the top sheet, the
partner profile, data coverage and sources, matrix and map values, allocation, robustness and back-test tables,
scenario compare tables, the glossary, and the sheets of the app's workbook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prioritizer.allocation.bullbear import recommended_change
from prioritizer.charts.allocation import allocation_by_command, change_bars
from prioritizer.charts.map import world_map
from prioritizer.charts.matrix import matrix_chart
from prioritizer.charts.ranking import ranking_bar
from prioritizer.data.dataset import Dataset
from prioritizer.data.refresh_sources import AUXILIARY_SOURCES
from prioritizer.domain import CATEGORIES, CATEGORY_LABELS, COMMANDS
from prioritizer.domain import category_label as domain_category_label
from prioritizer.errors import InputError
from prioritizer.report.tables import compare_allocations as allocation_change
from prioritizer.report.tables import compare_rankings as rank_shift
from prioritizer.report.tables import scenario_settings_frame
from prioritizer.scenario import DEFAULT_MARKING, overrides_frame
from prioritizer.scoring.match import propensity_cut


def category_label(cat: str) -> str:
    """Readable label of a category id (or ``<id>_score`` column); an unknown id reads as capitalised words."""
    key = str(cat).removesuffix("_score")
    return domain_category_label(key) if key in CATEGORY_LABELS else key.replace("_", " ").capitalize()


def ranked_table(scores: pd.DataFrame, peers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The exported ranking: one row per partner, best first, with category scores and matching."""
    front = ["name", "command", "region", "partner_type", "propensity", "rank"]
    front += ["rank_all"] if "rank_all" in scores.columns else []
    front += ["rank_in_command", "coverage", "low_confidence"]
    cats = [c for c in scores.columns if c.endswith("_score")]
    back = [c for c in ("priority", "priority_basis", "quadrant", "baseline_usd_m", "merit_share",
                        "funding_share", "funding_flag", "imputed_cells", "overrides") if c in scores.columns]
    table = scores[front + cats + back].copy()
    if peers is not None and len(peers):
        table["peers"] = peers.groupby("partner_id")["peer_id"].agg(", ".join).reindex(table.index).fillna("")
    table = table.sort_values(["rank", "name"], na_position="last")
    table.insert(0, "partner_id", table.index)
    return table.reset_index(drop=True)


def settings_frame(scenario: Mapping[str, Any]) -> pd.DataFrame:
    """The scenario's settings as a two-column table (setting, value) for the workbook and the page."""
    rows = [("Scenario", scenario.get("name", "")), ("Weight profile", scenario.get("profile", "")),
            ("Normalisation", scenario.get("normalisation")), ("Aggregation", scenario.get("aggregation")),
            ("Missing data", scenario.get("missing")), ("Priority basis", scenario.get("priority_basis")),
            ("Budget (US$ M/yr)", "settings default" if scenario.get("budget_usd_m") is None
             else f"{float(scenario['budget_usd_m']):,.1f}")]
    weights = scenario.get("category_weights", {}) or {}
    total = sum(weights.values()) or 1.0
    for cat, w in weights.items():
        rows.append((f"Category weight: {category_label(cat)}", f"{w:g} ({100 * w / total:.0f}% of total)"))
    for con, w in (scenario.get("construct_weights") or {}).items():
        if float(w) != 1.0:
            rows.append((f"Construct weight: {con}", f"{w:g}"))
    scope = scenario.get("scope") or {}
    rows.append(("Scope", (f"{scope['command']} only (its own budget and constraints); normalisation "
                           + ("within the scope" if scope.get("normalise_within") else "over all partners"))
                 if scope.get("command") else "all commands"))
    f = scenario.get("filters") or {}
    for key, label in (("commands", "Filter: commands"), ("regions", "Filter: regions"), ("types", "Filter: types")):
        rows.append((label, ", ".join(f.get(key) or []) or "all"))
    rows.append(("Priority edits", str(len(scenario.get("priority_edits") or {}))))
    rows.append(("Funding edits", str(len(scenario.get("funding_edits") or {}))))
    rows.append(("Non-state partners", ", ".join(r.get("partner_id", "") for r in scenario.get("non_state") or [])
                 or "none"))
    rows.append(("Construct overrides", str(len(scenario.get("overrides") or []))))
    for role, text in (scenario.get("data_files") or {}).items():
        rows.append((f"Uploaded {role} file", str(text)))
    rows.append(("Marking", scenario.get("marking", DEFAULT_MARKING)))
    return pd.DataFrame(rows, columns=["setting", "value"]).astype(str)



# ---------------------------------------------------------------------------------------- top sheet


def filter_options(scores: pd.DataFrame) -> dict[str, list[str]]:
    """Choices for the command / region / partner-type filters, from the scored partners."""
    commands = [c for c in COMMANDS if c in set(scores["command"])]
    commands += sorted(set(scores["command"].dropna().astype(str)) - set(commands))
    return {
        "commands": commands,
        "regions": sorted({str(r) for r in scores["region"].dropna() if str(r)}),
        "types": sorted({str(t) for t in scores["partner_type"].dropna()}),
    }


def filter_scores(scores: pd.DataFrame, filters: Mapping[str, Iterable[str]] | None) -> pd.DataFrame:
    """Rows of ``scores`` (any frame with command / region / partner_type) matching the filters; empty = all."""
    if not filters:
        return scores
    mask = pd.Series(True, index=scores.index)
    for key, col in (("commands", "command"), ("regions", "region"), ("types", "partner_type")):
        chosen = list(filters.get(key) or [])
        if chosen and col in scores:
            mask &= scores[col].astype(str).isin(chosen)
    return scores[mask]


TOP_SHEET_COLUMNS = ["rank", "name", "command", "region", "partner_type", "propensity"]
CATEGORY_SHORT = {"governance": "Governance", "democracy_rights": "Democracy", "stability": "Stability",
                  "absorptive_capacity": "Capacity", "shared_interests": "Interests", "us_engagement": "US support"}
"""Short category headers for the projected top sheet (the full name is the column's tooltip)."""
GLOSSARY = {
    "importance": "How much the partner matters to US priorities in the optimizer's benefit (its priority, 1–5).",
    "benefit": "Expected benefit in effective US$ M: money scaled by propensity, risk and diminishing returns.",
    "relative cost": "Cost of one unit of benefit at this partner relative to the median partner (1 = median; "
                     "lower = cheaper).",
    "risk": "0–1 chance that SC money is wasted (fragility, conflict, human-rights risk); higher = riskier.",
    "coverage": "Share of the scoring weight backed by real data values for this partner; below the threshold "
                "the partner is flagged low confidence.",
    "quadrant": "Priority × propensity: invest (both high), manage expectations (high priority, low propensity), "
                "opportunity (low priority, high propensity), deprioritise (both low).",
}
"""Plain-language meaning of the terms planners meet on cards, tables and charts (tooltips)."""


def top_sheet(table: pd.DataFrame) -> pd.DataFrame:
    """The on-screen top sheet: rank, partner, command, propensity, category scores, confidence, matching."""
    cats = [c for c in table.columns if c.endswith("_score")]
    # What a briefing asks first (priority, quadrant, money) sits next to propensity, before the categories.
    match_cols = [c for c in ("priority", "quadrant", "baseline_usd_m", "funding_flag", "coverage", "low_confidence")
                  if c in table.columns]
    back = [c for c in ("overrides", "peers") if c in table.columns]
    front = ["partner_id"] + [c for c in TOP_SHEET_COLUMNS if c in table.columns]
    out = table[front + match_cols + cats + back].copy()
    out["confidence"] = np.where(out.get("low_confidence", False), "LOW", "")
    out = out.drop(columns=[c for c in ("low_confidence",) if c in out])
    return out.sort_values(["rank", "name"], na_position="last").reset_index(drop=True)



def ranking_summary(table: pd.DataFrame) -> dict[str, Any]:
    """Headline numbers above the top sheet."""
    n = len(table)
    low = int(table["low_confidence"].sum()) if "low_confidence" in table else 0
    top = table.sort_values("rank").iloc[0] if n else None
    return {"partners": n, "low_confidence": low,
            "top_name": None if top is None else str(top["name"]),
            "top_score": None if top is None else float(top["propensity"]),
            "median": float(table["propensity"].median()) if n else float("nan")}


# --------------------------------------------------------------------------------------------- profile


def partner_choices(scores: pd.DataFrame) -> list[str]:
    """Partner ids in rank order (partners without a score last)."""
    order = scores.sort_values(["rank", "name"], na_position="last")
    return [str(p) for p in order.index]


def profile_indicator_table(dataset: Dataset, result: Any, partner_id: str) -> pd.DataFrame:
    """One row per indicator for a partner: label, construct, raw value, unit, year, normalised score,
    weight share, imputed flag, source, citation, licence."""
    d = dataset.dictionary
    raw = dataset.partners.loc[partner_id, list(d.index)] if partner_id in dataset.partners.index else \
        pd.Series(np.nan, index=d.index)
    years = dataset.years.loc[partner_id].reindex(d.index) if partner_id in dataset.years.index else \
        pd.Series(pd.NA, index=d.index)
    norm = result.normalised.loc[partner_id].reindex(d.index) if partner_id in result.normalised.index else \
        pd.Series(np.nan, index=d.index)
    imputed = result.imputed.loc[partner_id].reindex(d.index) if partner_id in result.imputed.index else \
        pd.Series(False, index=d.index)
    weights = getattr(result, "indicator_weights", pd.Series(np.nan, index=d.index)).reindex(d.index)
    out = pd.DataFrame({
        "indicator": d["label"].to_numpy(),
        "construct": d["construct"].to_numpy(),
        "value": pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float),
        "unit": d["unit"].to_numpy(),
        "year": pd.array(years.to_numpy(), dtype="Int64"),
        "score_0_100": (norm.to_numpy(dtype=float) * 100.0),
        "weight_pct": weights.to_numpy(dtype=float) * 100.0,
        "imputed": imputed.fillna(False).astype(bool).to_numpy(),
        "direction": np.where(d["direction"].to_numpy() > 0, "higher is better", "lower is better"),
        "source": d["source"].to_numpy(),
        "citation": d["citation"].to_numpy(),
        "licence": d["licence"].to_numpy(),
    }, index=pd.Index(d.index, name="indicator_id"))
    return out.reset_index()


def profile_overrides(scenario: Mapping[str, Any], partner_id: str, constructs: pd.DataFrame) -> pd.DataFrame:
    """This partner's construct overrides with the construct label and rationale."""
    frame = overrides_frame(scenario)
    frame = frame[frame["partner_id"] == partner_id].copy()
    labels = constructs["construct_label"] if "construct_label" in constructs else pd.Series(dtype=object)
    frame.insert(2, "construct_label", frame["construct"].map(labels).fillna(frame["construct"]))
    return frame.reset_index(drop=True)


def partner_peers(peers: pd.DataFrame, scores: pd.DataFrame, partner_id: str) -> pd.DataFrame:
    """The partner's nearest peers with their command, propensity and rank."""
    cols = ["peer_rank", "peer_id", "peer_name", "command", "propensity", "rank", "distance"]
    if peers is None or peers.empty:
        return pd.DataFrame(columns=cols)
    mine = peers[peers["partner_id"] == partner_id].copy()
    if "peer_name" not in mine:
        mine["peer_name"] = scores["name"].reindex(mine["peer_id"]).to_numpy()
    for col in ("command", "propensity", "rank"):
        mine[col] = scores[col].reindex(mine["peer_id"]).to_numpy()
    return mine[cols].reset_index(drop=True)


def partner_headline(scores: pd.DataFrame, partner_id: str) -> dict[str, Any]:
    """Headline facts for the profile view."""
    row = scores.loc[partner_id]
    n_cmd = int((scores["command"] == row["command"]).sum())
    return {
        "name": str(row["name"]), "command": str(row["command"]), "region": str(row.get("region", "")),
        "partner_type": str(row.get("partner_type", "")),
        "propensity": float(row["propensity"]) if pd.notna(row["propensity"]) else None,
        "rank": None if pd.isna(row["rank"]) else int(row["rank"]), "of": int(scores["rank"].notna().sum()),
        "rank_in_command": None if pd.isna(row.get("rank_in_command")) else int(row["rank_in_command"]),
        "of_command": n_cmd, "coverage": float(row.get("coverage", np.nan)),
        "low_confidence": bool(row.get("low_confidence", False)),
        "priority": float(row.get("priority", np.nan)), "quadrant": str(row.get("quadrant", "")),
        "baseline_usd_m": float(row.get("baseline_usd_m", 0.0) or 0.0),
        "funding_flag": str(row.get("funding_flag", "") or ""),
    }


# ---------------------------------------------------------------------------------------- data view


def coverage_table(dataset: Dataset) -> pd.DataFrame:
    """Per indicator: how many partners have a value, the share, and the range of data years."""
    d = dataset.dictionary
    raw = dataset.partners[list(d.index)]
    states = dataset.partners["partner_type"] == "state"
    have = raw[states].notna()
    years = dataset.years.reindex(columns=d.index)
    out = pd.DataFrame({
        "indicator_id": d.index,
        "indicator": d["label"].to_numpy(),
        "category": [category_label(c) for c in d["category"]],
        "partners_with_data": have.sum().to_numpy(),
        "coverage_pct": (100.0 * have.mean()).to_numpy(),
        "year_min": pd.array([years[c].min() for c in d.index], dtype="Int64"),
        "year_max": pd.array([years[c].max() for c in d.index], dtype="Int64"),
        "dictionary_year": d["year"].to_numpy(),
    })
    return out


def partner_coverage(scores: pd.DataFrame) -> pd.DataFrame:
    """Partners by data coverage band (share of weight backed by real values)."""
    bands = pd.cut(scores["coverage"] * 100.0, [-0.1, 40, 60, 80, 99.999, 100],
                   labels=["< 40%", "40–60%", "60–80%", "80–99%", "100%"])
    out = bands.value_counts().reindex(bands.cat.categories).rename_axis("coverage").reset_index(name="partners")
    return out


def licence_table(dictionary: pd.DataFrame) -> pd.DataFrame:
    """One row per source: licence, citation and the indicators that use it."""
    g = dictionary.reset_index().groupby(["source", "licence", "citation"], sort=False)["indicator_id"]
    return g.agg(lambda s: ", ".join(s)).reset_index().rename(columns={"indicator_id": "indicators"})


def dictionary_table(dictionary: pd.DataFrame) -> pd.DataFrame:
    """The indicator dictionary for display (id first)."""
    cols = ["label", "category", "construct", "direction", "unit", "transform", "year", "source", "citation",
            "licence"]
    return dictionary.reset_index()[["indicator_id", *[c for c in cols if c in dictionary.columns]]]


# ------------------------------------------------------------------------------------ matrix & map


def matrix_counts(scores: pd.DataFrame) -> pd.DataFrame:
    """Partners per quadrant (with command breakdown) for the matrix view."""
    if "quadrant" not in scores:
        return pd.DataFrame(columns=["quadrant", "partners"])
    order = ["invest", "manage expectations", "opportunity", "deprioritise"]
    counts = scores["quadrant"].value_counts().reindex(order).fillna(0).astype(int)
    return counts.rename_axis("quadrant").reset_index(name="partners")


def quadrant_members(scores: pd.DataFrame, quadrant: str, n: int = 12) -> pd.DataFrame:
    """Best-ranked partners in a quadrant."""
    sub = scores[scores["quadrant"] == quadrant].sort_values("rank")
    return sub[["name", "command", "priority", "propensity"]].head(n).reset_index(drop=True)


MAP_VALUES = ("propensity", *(f"{c}_score" for c in CATEGORIES), "priority", "baseline_usd_m")


def map_value_label(value: str) -> str:
    """Label of a choropleth value."""
    if value == "propensity":
        return "Propensity (0–100)"
    if value.endswith("_score"):
        return f"{category_label(value)} (0–100)"
    return {"priority": "US priority (1–5)", "baseline_usd_m": "Baseline funding (US$ M/yr)"}.get(value, value)


# ------------------------------------------------------------------------------------------ allocation


def allocation_table(partners: pd.DataFrame) -> pd.DataFrame:
    """Allocation per partner for display: baseline, recommended, change ($ and %), benefit, limits."""
    cols = ["name", "command", "partner_type", "priority", "propensity", "baseline_usd_m", "allocation_usd_m",
            "change_usd_m", "change_pct", "benefit", "marginal_benefit_per_usd_m", "lower_usd_m", "upper_usd_m"]
    have = [c for c in cols if c in partners.columns]
    out = partners[have].copy()
    out.insert(0, "partner_id", out.index.astype(str))
    sort = "allocation_usd_m" if "allocation_usd_m" in out else have[0]
    return out.sort_values(sort, ascending=False).reset_index(drop=True)


def mechanism_summary(mechanisms: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Totals by mechanism: baseline, recommended, change, partners funded."""
    g = mechanisms.groupby("mechanism", sort=False)
    out = pd.DataFrame({
        "baseline_usd_m": g["baseline_usd_m"].sum(),
        "allocation_usd_m": g["allocation_usd_m"].sum(),
        "partners_funded": g["allocation_usd_m"].apply(lambda s: int((s > 1e-6).sum())),
    })
    out["change_usd_m"] = out["allocation_usd_m"] - out["baseline_usd_m"]
    out = out.reset_index()
    if labels:
        out.insert(1, "label", out["mechanism"].map(labels).fillna(out["mechanism"]))
    return out


def mechanism_long(mechanisms: pd.DataFrame, partners: pd.DataFrame,
                   labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Partner × mechanism rows with the partner's command (for the stacked mechanism chart)."""
    out = mechanisms[mechanisms["allocation_usd_m"] > 1e-9].copy()
    out["command"] = out["partner_id"].map(partners["command"])
    if labels:
        out["mechanism"] = out["mechanism"].map(labels).fillna(out["mechanism"])
    return out


def binding_table(binding: pd.DataFrame, limit: int = 25) -> pd.DataFrame:
    """Binding constraints with the largest marginal values first."""
    if binding is None or binding.empty:
        return pd.DataFrame(columns=["constraint", "amount_usd_m", "dual"])
    out = binding.copy()
    out["abs_dual"] = out["dual"].abs()
    out = out.sort_values("abs_dual", ascending=False, na_position="last").drop(columns="abs_dual")
    return out.head(limit).reset_index(drop=True)


# --------------------------------------------------------------------------------------------- compare


def compare_rankings(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Rank shift per partner from scenario A to B (``report.compare_rankings``) with the command added;
    positive ``rank_shift`` = moves up in B. Largest shifts first."""
    out = rank_shift(a, b)
    command = a["command"].reindex(out.index).fillna(b["command"].reindex(out.index)) if "command" in a else None
    if command is not None:
        out.insert(1 if "name" in out else 0, "command", command)
    out.insert(0, "partner_id", out.index.astype(str))
    return out.reset_index(drop=True)


def compare_allocations(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Recommended US$ M per partner in allocations A and B and the change (B − A), largest first."""
    out = allocation_change(a, b, value_col="allocation_usd_m")
    if "name" not in out:
        out.insert(0, "name", a["name"].reindex(out.index).fillna(b["name"].reindex(out.index)))
    out.insert(1, "command", a["command"].reindex(out.index).fillna(b["command"].reindex(out.index)))
    out.insert(0, "partner_id", out.index.astype(str))
    return out.reset_index(drop=True)


def compare_settings(a: Mapping[str, Any], b: Mapping[str, Any]) -> pd.DataFrame:
    """Settings that differ between two scenarios."""
    fa, fb = settings_frame(a).set_index("setting")["value"], settings_frame(b).set_index("setting")["value"]
    both = fa.to_frame("a").join(fb.to_frame("b"), how="outer").fillna("")
    diff = both[both["a"] != both["b"]]
    return diff.reset_index()


# ---------------------------------------------------------------------------------------------- exports


def indicators_sheet(dataset: Dataset) -> pd.DataFrame:
    """Long table: partner, indicator, value, unit, year, source, citation, licence (for the workbook)."""
    d = dataset.dictionary
    raw = dataset.partners[list(d.index)]
    long = raw.stack(future_stack=True).rename("value").reset_index()
    long.columns = ["partner_id", "indicator_id", "value"]
    years = dataset.years.reindex(columns=d.index).stack(future_stack=True).rename("year").reset_index()
    years.columns = ["partner_id", "indicator_id", "year"]
    out = long.merge(years, on=["partner_id", "indicator_id"], how="left")
    out = out[out["value"].notna()]
    out.insert(1, "name", out["partner_id"].map(dataset.partners["name"]))
    meta = d[["label", "unit", "source", "citation", "licence"]]
    out = out.join(meta, on="indicator_id")
    for col, info in AUXILIARY_SOURCES.items():  # allocation-only source values, e.g. security-force spending
        if col not in dataset.partners.columns:
            continue
        vals = pd.to_numeric(dataset.partners[col], errors="coerce").dropna()
        year_col = f"{col}_year"
        years = dataset.partners[year_col].reindex(vals.index) if year_col in dataset.partners else pd.NA
        out = pd.concat([out, pd.DataFrame({"partner_id": vals.index, "name": dataset.partners["name"].reindex(
            vals.index).to_numpy(), "indicator_id": col, "value": vals.to_numpy(), "year": years, **info})],
            ignore_index=True)
    return out[["partner_id", "name", "indicator_id", "label", "value", "unit", "year", "source", "citation",
                "licence"]].reset_index(drop=True)


def workbook_sheets(ranked: pd.DataFrame, scenario: Mapping[str, Any], dataset: Dataset,
                    allocation: pd.DataFrame | None = None, bullbear: pd.DataFrame | None = None,
                    robustness: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Sheets of the Excel export, in order: Rankings, Allocation, Bullish-bearish, Robustness,
    Indicators & sources (values with source, year, citation, licence), Scenario settings, Overrides."""
    sheets: dict[str, pd.DataFrame] = {"Rankings": ranked}
    if allocation is not None:
        sheets["Allocation"] = allocation
    else:
        sheets["Allocation"] = pd.DataFrame({"note": ["The optimizer has not been run for this scenario."]})
    if bullbear is not None:
        sheets["Bullish-bearish"] = bullbear
    if robustness is not None:
        sheets["Robustness"] = robustness
    sheets["Indicators & sources"] = indicators_sheet(dataset)
    sheets["Scenario settings"] = scenario_settings_frame(dict(scenario))
    over = overrides_frame(scenario)
    sheets["Overrides"] = over if not over.empty else pd.DataFrame(
        {"note": ["No construct overrides in this scenario."]})
    return sheets


def file_stem(scenario_name: str, what: str, today: dt.date | None = None) -> str:
    """A safe download file name stem: <what>_<scenario>_<YYYY-MM-DD>."""
    day = (today or dt.date.today()).isoformat()
    slug = "".join(ch if ch.isalnum() else "-" for ch in str(scenario_name).strip().lower()).strip("-")
    slug = "-".join(filter(None, slug.split("-")))[:40] or "scenario"
    return f"{what}_{slug}_{day}"


def tornado_for(tornado: pd.DataFrame, partner_id: str) -> pd.DataFrame:
    """A partner's tornado rows in the shape ``charts.tornado_chart`` draws (base, weight lowered / raised)."""
    rows = tornado[tornado["partner_id"] == partner_id]
    if rows.empty:
        raise InputError(f"no tornado for partner {partner_id!r} (it has no score)", key="partner")
    return pd.DataFrame({"category": rows["category"].to_numpy(),
                         "low_score": rows["score_at_low"].to_numpy(dtype=float),
                         "high_score": rows["score_at_high"].to_numpy(dtype=float),
                         "base_score": rows["score_base"].to_numpy(dtype=float)})


def tipping_table(tipping: pd.DataFrame) -> pd.DataFrame:
    """Tipping points for display: partner, command, call today, the smallest share change that flips it."""
    out = tipping.copy()
    if "tip_category" in out:
        out["tip_category"] = out["tip_category"].map(lambda c: category_label(c) if isinstance(c, str) else c)
    out = out.drop(columns=[c for c in ("partner_id",) if c in out.columns])
    out.insert(0, "partner_id", out.index.astype(str))
    out = out.reset_index(drop=True)
    if "base_call" in out:
        out["base_call"] = _call_text(out["base_call"])
    if "tip_delta" in out:
        out = out.assign(_o=out["tip_delta"].abs()).sort_values(["_o", "partner_id"], na_position="last")
        out = out.drop(columns="_o")
    return out.reset_index(drop=True)


def robustness_table(partners: pd.DataFrame) -> pd.DataFrame:
    """Robustness per partner for display and export: rank, interval, probabilities, core class."""
    cols = ["name", "command", "propensity", "propensity_p5", "propensity_p95", "rank", "rank_p5", "rank_p50",
            "rank_p95", "p_top10", "base_call", "p_bullish", "p_bearish", "funded_share", "core_class"]
    have = [c for c in cols if c in partners.columns]
    out = partners[have].copy()
    out.insert(0, "partner_id", out.index.astype(str))
    if "base_call" in out:
        out["base_call"] = _call_text(out["base_call"])
    return out.sort_values("rank" if "rank" in out else have[0]).reset_index(drop=True)


def _call_text(calls: pd.Series) -> pd.Series:
    """Bullish/bearish call for display; partners on neither list read "neither" rather than blank."""
    return calls.astype(object).where(calls.notna() & (calls.astype(str).str.strip() != ""), "neither")


# ------------------------------------------------------------------------------------------- briefing


CALL_AXIS_TITLE = "Recommended change from the reference (US$ M per year)"
"""Axis title of the recommended-change chart: the reference is the baseline less gated money, plus locks."""


def with_calls(partners: pd.DataFrame) -> pd.DataFrame:
    """``partners`` (an allocation's partner table) with ``call_usd_m`` = recommended − reference (US$ M/yr):
    what the optimizer moves, without the money locks add or eligibility gates take out."""
    return partners.assign(call_usd_m=recommended_change(partners))


def briefing_charts(scores: pd.DataFrame, matching: Any, topojson: str | Path,
                    allocation: Any | None = None) -> dict[str, Any]:
    """Title → Altair chart for the briefing pack (allocation charts only when an allocation exists)."""
    out = {
        "Propensity ranking — top 30": ranking_bar(scores, top_n=30),
        "Priority × propensity": matrix_chart(scores, matching.priority_threshold,
                                              propensity_cut(scores["propensity"], matching)),
        "World map — propensity": world_map(scores, topojson),
    }
    if allocation is not None:
        out["Allocation by command"] = allocation_by_command(allocation.partners)
        out["Largest recommended changes"] = change_bars(with_calls(allocation.partners), top_n=15,
                                                         change_col="call_usd_m", x_title=CALL_AXIS_TITLE)
    return out


# ------------------------------------------------------------------------------------------- back-test


def backtest_table(table: pd.DataFrame) -> pd.DataFrame:
    """The back-test table for display: outcome, years, n, partial Spearman and interval, raw, note."""
    out = pd.DataFrame({
        "Outcome": table["label"], "Change over": table["as_of"].astype(str) + "→" + table["horizon"].astype(str),
        "Partners": table["n"], "Partial Spearman": table["rho_partial"].round(2),
        "Interval low": table["ci_low"].round(2), "Interval high": table["ci_high"].round(2),
        "Raw Spearman": table["rho_raw"].round(2), "Spearman with start level": table["rho_start"].round(2),
        "Left out of propensity": table["excluded_indicators"], "Note": table["note"]})
    return out.reset_index(drop=True)
