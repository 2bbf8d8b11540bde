"""Priority proxy (1–5) and the formal-tie indicator from curated public facts.

``priority_facts.csv`` (partner_id, relationship, since_year, citation) lists the partner's current formal
security relationships with the United States, each with a citation; ``priority_rules.csv`` (rule, value,
basis) holds the points and thresholds. The proxy is **not a policy judgment**: it is what public facts
alone suggest, for planners to replace with their own priorities.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from prioritizer.data.refresh_funding import read_curated
from prioritizer.errors import InputError

FACTS_FILE = "priority_facts.csv"
RULES_FILE = "priority_rules.csv"
RELATIONSHIPS = ("nato", "defense_treaty", "rio_treaty", "mnna", "statutory_partner", "assistance_mou",
                 "compact_free_association", "arms_embargo")
POINT_RELATIONSHIPS = tuple(r for r in RELATIONSHIPS if r != "arms_embargo")
RELATIONSHIP_LABELS = {
    "nato": "NATO member", "defense_treaty": "mutual-defense treaty", "rio_treaty": "Rio Treaty party",
    "mnna": "major non-NATO ally", "statutory_partner": "statutory security partner",
    "assistance_mou": "security-assistance MOU", "compact_free_association": "Compact of Free Association",
    "arms_embargo": "US arms embargo (22 CFR 126.1)",
}
TIE_LEVEL = {"nato": 2, "defense_treaty": 2, "rio_treaty": 1, "mnna": 1, "statutory_partner": 1,
             "assistance_mou": 1, "compact_free_association": 1, "arms_embargo": 0}
"""Formal-tie indicator level: 2 = mutual-defense commitment (NATO, bilateral/regional treaty), 1 = other ties,
0 = none or a US arms embargo."""
RULE_KEYS = tuple(f"points_{r}" for r in POINT_RELATIONSHIPS) + (
    "formal_ties_max", "capability_quantile", "capability_points", "capability_top_quantile", "capability_top_points",
    "alignment_quantile", "alignment_points", "arms_embargo_priority")


def read_facts(path: Path, partner_ids: pd.Index | None = None) -> pd.DataFrame:
    """Read and validate the curated facts; each row needs a known relationship, a year and a citation."""
    path = Path(path)
    df = read_curated(path, ("partner_id", "relationship", "since_year", "citation"))
    year = pd.to_numeric(df["since_year"], errors="coerce")
    for pos, r in enumerate(df.itertuples(index=False)):
        row = pos + 2
        if r.relationship not in RELATIONSHIPS:
            raise InputError(f"unknown relationship {r.relationship!r} (expected one of {', '.join(RELATIONSHIPS)})",
                             file=str(path), row=row, column="relationship")
        if partner_ids is not None and r.partner_id not in partner_ids:
            raise InputError(f"unknown partner id {r.partner_id!r}", file=str(path), row=row, column="partner_id")
        if np.isnan(year.iloc[pos]) or not 1900 <= year.iloc[pos] <= 2100:
            raise InputError("since_year must be a year", file=str(path), row=row, column="since_year")
        if not r.citation.strip():
            raise InputError("every fact needs a citation", file=str(path), row=row, column="citation")
    dup = df.duplicated(["partner_id", "relationship"])
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError("this partner and relationship appear twice", file=str(path), row=pos + 2,
                         column="relationship")
    out = df.copy()
    out["since_year"] = year.astype(int)
    return out


def read_rules(path: Path) -> dict[str, float]:
    """Read and validate the proxy's points and thresholds (rule → value)."""
    path = Path(path)
    df = read_curated(path, ("rule", "value", "basis"))
    values = pd.to_numeric(df["value"], errors="coerce")
    for pos, (rule, value) in enumerate(zip(df["rule"], values, strict=True)):
        if rule not in RULE_KEYS:
            raise InputError(f"unknown rule {rule!r}", file=str(path), row=pos + 2, column="rule")
        if np.isnan(value) or value < 0 or (rule.endswith("quantile") and value > 1):
            raise InputError("value must be a number >= 0 (a quantile from 0 to 1)", file=str(path),
                             row=pos + 2, column="value")
    rules = dict(zip(df["rule"], values.astype(float), strict=True))
    for key in RULE_KEYS:
        if key not in rules:
            raise InputError(f"rule {key!r} is missing", file=str(path), column="rule")
    return rules


def tie_level(ids: pd.Index, facts: pd.DataFrame) -> pd.Series:
    """Formal-tie level per partner (0 none, 1 MNNA / Rio / statutory / COFA, 2 mutual-defense commitment)."""
    level = facts.assign(level=facts["relationship"].map(TIE_LEVEL)).groupby("partner_id")["level"].max()
    embargoed = facts.loc[facts["relationship"] == "arms_embargo", "partner_id"]
    level[level.index.isin(embargoed)] = 0
    return level.reindex(ids, fill_value=0).astype(float)


def facts_year(facts: pd.DataFrame) -> int:
    """The year the facts are current to: the latest ``since_year`` in the file."""
    return int(facts["since_year"].max())


def build_priority_proxy(ids: pd.Index, facts: pd.DataFrame, rules: dict[str, float],
                         cinc: pd.Series, cinc_year: int, distance: pd.Series, distance_year: int) -> pd.DataFrame:
    """Public-facts proxy of US priority, integer 1–5 (higher = higher priority), with a per-partner basis.

    1 + min(formal_ties_max, Σ relationship points) + capability points (COW CINC ≥ capability quantile, and
    more at ≥ capability top quantile) + alignment points (UNGA distance to the US ≤ alignment quantile),
    capped at 5; a partner under a US arms embargo (22 CFR 126.1) gets ``arms_embargo_priority`` instead.
    """
    cinc, distance = cinc.reindex(ids), distance.reindex(ids)
    cinc_cut = cinc.dropna().quantile(rules["capability_quantile"])
    cinc_top = cinc.dropna().quantile(rules["capability_top_quantile"])
    dist_cut = distance.dropna().quantile(rules["alignment_quantile"])
    by_partner = {pid: g.sort_values(["since_year", "relationship"]) for pid, g in facts.groupby("partner_id")}
    rows = []
    for pid in ids:
        g = by_partner.get(pid)
        ties = [] if g is None else list(zip(g["relationship"], g["since_year"], strict=True))
        embargo = [y for r, y in ties if r == "arms_embargo"]
        if embargo:
            rows.append((pid, int(rules["arms_embargo_priority"]),
                         "public-facts proxy (not a policy judgment): US arms embargo, listed in 22 CFR 126.1 "
                         f"({embargo[0]}; {FACTS_FILE}): priority {rules['arms_embargo_priority']:g} whatever "
                         "else applies"))
            continue
        formal = min(rules["formal_ties_max"], sum(rules[f"points_{r}"] for r, _ in ties))
        cap = rules["capability_points"] if pd.notna(cinc[pid]) and cinc[pid] >= cinc_cut else 0.0
        cap += rules["capability_top_points"] if pd.notna(cinc[pid]) and cinc[pid] >= cinc_top else 0.0
        ali = rules["alignment_points"] if pd.notna(distance[pid]) and distance[pid] <= dist_cut else 0.0
        total = int(min(5, round(1 + formal + cap + ali)))
        tie_txt = "; ".join(f"{RELATIONSHIP_LABELS[r]} since {y}" for r, y in ties) or "none"
        nd = " (no data)"
        basis = (
            "public-facts proxy (not a policy judgment): base 1; "
            f"formal ties +{formal:g} ({tie_txt}; {FACTS_FILE}); "
            f"capability: COW CINC top {1 - rules['capability_quantile']:.0%} / top "
            f"{1 - rules['capability_top_quantile']:.0%} ({cinc_year}) +{cap:g}"
            f"{nd if pd.isna(cinc[pid]) else ''}; "
            f"UN voting alignment: closer {rules['alignment_quantile']:.0%} to the US ({distance_year}) +{ali:g}"
            f"{nd if pd.isna(distance[pid]) else ''}"
        )
        rows.append((pid, total, basis))
    return pd.DataFrame(rows, columns=["partner_id", "priority", "basis"])
