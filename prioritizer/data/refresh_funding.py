"""Baseline security-cooperation funding per partner and mechanism (US$ M per year), from public proxies.

Public data give two series, both FY2020–24 annual means:

* FMF: DSCA Historical Sales Book, FMF-financed sales implemented value (negatives clipped) — the ``fmf``
  mechanism baseline.
* total US aid obligations: ForeignAssistance.gov country summary (constant US$) — totals only, no sector
  or account split, so it cannot say which dollars are IMET, Section 333 train-and-equip, exercises or
  institution building.

The non-FMF mechanism baselines are therefore a labelled **proxy**: (total aid − FMF) × an assumed
security share (by income group, with per-partner exceptions; ``baseline_security_share.csv``), split
across mechanisms by assumed weights (``baseline_mechanism_split.csv``). Both files are data, each row with
its basis; this module only applies them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from prioritizer.domain import INCOME_GROUPS, MECHANISMS
from prioritizer.errors import InputError

SHARE_FILE = "baseline_security_share.csv"
SPLIT_FILE = "baseline_mechanism_split.csv"
FMF = "fmf"
NON_FMF_MECHANISMS = tuple(m for m in MECHANISMS if m != FMF)
"""The mechanisms whose baseline is the aid-total proxy (every default mechanism of allocation.yaml but FMF)."""
INCOME_GROUP_CODES = {"HIC": "HIC", "UMIC": "UMC", "LMIC": "LMC", "LIC": "LIC"}
"""ForeignAssistance.gov ``income_group_acronym`` → World Bank code."""
FUNDING_COLUMNS = (
    ["partner_id"] + [f"baseline_{m}_usd_m" for m in NON_FMF_MECHANISMS]
    + ["baseline_fmf_usd_m", "baseline_usd_m", "fmf_fy2020_2024_mean_usd_m", "us_aid_fy2020_2024_mean_usd_m",
       "baseline_basis"]
)


def read_curated(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A curated refresh input (facts or assumptions CSV) as text, with every required column present;
    a missing file or column is an InputError naming the file (and column)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found (a refresh input; see sample_data/SOURCES.md)", file=str(path))
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in columns:
        if col not in df.columns:
            raise InputError(f"required column is missing (expected: {', '.join(columns)})",
                             file=str(path), column=col)
    return df


def read_security_shares(path: Path) -> pd.DataFrame:
    """Read and validate the security-share assumptions (scope, key, security_share 0–1, basis)."""
    path = Path(path)
    df = read_curated(path, ("scope", "key", "security_share", "basis"))
    share = pd.to_numeric(df["security_share"], errors="coerce")
    for pos, r in enumerate(df.itertuples(index=False)):
        row = pos + 2
        if r.scope not in ("income_group", "partner"):
            raise InputError(f"scope must be 'income_group' or 'partner' (got {r.scope!r})", file=str(path),
                             row=row, column="scope")
        if r.scope == "income_group" and r.key not in (*INCOME_GROUPS, "unknown"):
            raise InputError(f"unknown income group {r.key!r} (expected HIC, UMC, LMC, LIC or unknown)",
                             file=str(path), row=row, column="key")
        if np.isnan(share.iloc[pos]) or not 0 <= share.iloc[pos] <= 1:
            raise InputError("security_share must be a number from 0 to 1", file=str(path), row=row,
                             column="security_share")
        if not r.basis.strip():
            raise InputError("every assumption needs a basis", file=str(path), row=row, column="basis")
    groups = set(df.loc[df["scope"] == "income_group", "key"])
    missing = [g for g in (*INCOME_GROUPS, "unknown") if g not in groups]
    if missing:
        raise InputError(f"no security share for income group {missing[0]!r}", file=str(path), column="key")
    if df.duplicated(["scope", "key"]).any():
        pos = int(np.flatnonzero(df.duplicated(["scope", "key"]).to_numpy())[0])
        raise InputError("this scope and key appear twice", file=str(path), row=pos + 2, column="key")
    out = df.copy()
    out["security_share"] = share
    return out


def read_mechanism_split(path: Path) -> pd.DataFrame:
    """Read and validate the mechanism split: scope (default / partner), key, one weight ≥ 0 per non-FMF
    mechanism, basis. Returns shares (each row sums to 1) indexed by key (``all`` = the default row)."""
    path = Path(path)
    df = read_curated(path, ("scope", "key", *NON_FMF_MECHANISMS, "basis"))
    weights = df[list(NON_FMF_MECHANISMS)].apply(pd.to_numeric, errors="coerce")
    for pos, r in enumerate(df.itertuples(index=False)):
        row = pos + 2
        if (r.scope, r.key) != ("default", "all") and r.scope != "partner":
            raise InputError("scope must be 'partner' (key = partner id) or 'default' (key = all)", file=str(path),
                             row=row, column="scope")
        for m in NON_FMF_MECHANISMS:
            w = weights.at[pos, m]
            if np.isnan(w) or w < 0:
                raise InputError("weight must be a number >= 0", file=str(path), row=row, column=m)
        if weights.iloc[pos].sum() <= 0:
            raise InputError("the weights of this row sum to 0", file=str(path), row=row, column=NON_FMF_MECHANISMS[0])
        if not r.basis.strip():
            raise InputError("every assumption needs a basis", file=str(path), row=row, column="basis")
    if (df["scope"] == "default").sum() != 1:
        raise InputError("give exactly one default row (scope default, key all)", file=str(path), column="scope")
    if df["key"].duplicated().any():
        pos = int(np.flatnonzero(df["key"].duplicated().to_numpy())[0])
        raise InputError("this key appears twice", file=str(path), row=pos + 2, column="key")
    shares = weights.div(weights.sum(axis=1), axis=0)
    shares["basis"] = df["basis"]
    shares.index = pd.Index(df["key"], name="key")
    return shares


def security_share(ids: pd.Index, income_group: pd.Series, shares: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Assumed non-FMF security share per partner (0–1) and the text saying where it comes from."""
    by_group = shares[shares["scope"] == "income_group"].set_index("key")["security_share"]
    by_partner = shares[shares["scope"] == "partner"].set_index("key")
    group = income_group.reindex(ids).fillna("unknown").replace("", "unknown")
    share = group.map(by_group).astype(float)
    source = "income group " + group
    hit = ids.intersection(by_partner.index)
    share.loc[hit] = by_partner.loc[hit, "security_share"].astype(float)
    source.loc[hit] = "partner exception: " + by_partner.loc[hit, "basis"]
    return share, source


def build_mechanism_baseline(fmf: pd.Series, us_aid: pd.Series, income_group: pd.Series,
                             shares: pd.DataFrame, split: pd.DataFrame) -> pd.DataFrame:
    """Baseline per mechanism (US$ M/yr, FY2020–24 means), in ``FUNDING_COLUMNS`` order, sorted by partner.

    ``fmf`` = DSCA FMF proxy; ``us_aid`` = ForeignAssistance.gov total obligations; non-FMF mechanism m =
    max(0, us_aid − fmf) × security share × split share of m (a proxy). ``baseline_usd_m`` is the sum.
    """
    ids = fmf.index.union(us_aid.index).sort_values()
    fmf = fmf.reindex(ids, fill_value=0.0).astype(float)
    aid = us_aid.reindex(ids, fill_value=0.0).astype(float)
    share, source = security_share(ids, income_group, shares)
    security = (aid - fmf).clip(lower=0.0) * share
    split_key = pd.Series(np.where(ids.isin(split.index.drop("all")), ids, "all"), index=ids)
    mech_share = split.loc[split_key.to_numpy(), list(NON_FMF_MECHANISMS)].set_axis(ids)
    out = pd.DataFrame({"partner_id": ids})
    for m in NON_FMF_MECHANISMS:
        out[f"baseline_{m}_usd_m"] = (security * mech_share[m]).to_numpy()
    out["baseline_fmf_usd_m"] = fmf.to_numpy()
    mech_cols = [f"baseline_{m}_usd_m" for m in (*NON_FMF_MECHANISMS, "fmf")]
    out["baseline_usd_m"] = out[mech_cols].sum(axis=1)
    out["fmf_fy2020_2024_mean_usd_m"] = fmf.to_numpy()
    out["us_aid_fy2020_2024_mean_usd_m"] = aid.to_numpy()
    def split_text(key: str) -> str:
        parts = ", ".join(f"{m} {split.at[key, m]:.1%}" for m in NON_FMF_MECHANISMS)
        return parts + ("" if key == "all" else f" (partner split: {split.at[key, 'basis']})")

    out["baseline_basis"] = [
        "proxy, not an SC budget: fmf = DSCA FMF-financed sales FY2020-24 annual mean (negatives clipped); "
        f"education/institution_building/exercises/train_equip = proxy: max(0, ForeignAssistance.gov total "
        f"US aid obligations FY2020-24 mean - FMF) x assumed security share {s:.0%} ({src}), split "
        f"{split_text(k)}"
        for s, src, k in zip(share.to_numpy(), source.to_numpy(), split_key.to_numpy(), strict=True)
    ]
    return out[FUNDING_COLUMNS]


def latest_income_group(aid_rows: pd.DataFrame) -> pd.DataFrame:
    """Latest World Bank income group per iso3 from ForeignAssistance.gov rows (columns iso3, fy, acronym).

    Returns DataFrame(index iso3; income_group HIC/UMC/LMC/LIC, income_group_year int).
    """
    d = aid_rows.dropna(subset=["income_group_acronym", "fy"])
    d = d[d["income_group_acronym"].isin(INCOME_GROUP_CODES)]
    d = d.sort_values(["iso3", "fy"]).groupby("iso3").tail(1).set_index("iso3").sort_index()
    return pd.DataFrame({"income_group": d["income_group_acronym"].map(INCOME_GROUP_CODES),
                         "income_group_year": d["fy"].astype(int)})
