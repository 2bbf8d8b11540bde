"""Rebuild the sample partner tables from the country-year panels in ``sample_data/panels``.

Pure functions (no network; nothing read outside ``panels_dir`` and the settings folder, ``sample_data/`` by
default, which holds the curated facts and the funding assumptions):

* :func:`build_partners` — one row per partner: base columns, then for every indicator ``X`` its latest
  non-missing raw value ``X`` (source units), ``X_year`` (data year) and, for WGI, ``X_se``.
* :func:`build_dictionary_years` — sets the dictionary's ``year`` to the most common data year.
* :func:`build_priority_proxy` / :func:`build_priority_neutral` — 1–5 priority tables (the proxy from the
  curated facts in ``sample_data/priority_facts.csv``; see :mod:`prioritizer.data.refresh_priority`).
* :func:`build_funding_baseline` — baseline SC funding per mechanism, US$ m per year: DSCA FMF and a labelled
  proxy from ForeignAssistance.gov totals (see :mod:`prioritizer.data.refresh_funding`).
* :func:`refresh` — writes all of the above as CSV, deterministically (sorted, ``%.10g`` floats).
"""


from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from prioritizer.data import refresh_funding, refresh_priority
from prioritizer.data.partners import BASE_COLUMNS, OPTIONAL_BASE_COLUMNS
from prioritizer.data.refresh_sources import (
    AID_VARIATION_MIN_MEAN_USD_M,
    CODE_ALIASES,
    ENTITY_FIXES,
    EXCLUDED_FROM_UNIVERSE,
    F_AID,
    F_COMMANDS,
    F_DSCA,
    F_FH,
    F_FSI,
    F_GDP,
    F_LITERACY,
    F_NMC,
    F_PTS,
    F_SIPRI,
    F_TRADE,
    F_UCDP,
    F_UNGA,
    F_VDEM,
    F_WGI,
    FY_WINDOW,
    GW_CODE_EXCEPTIONS,
    INDICATOR_IDS,
    MIN_YEAR,
    UCDP_PRIMARY_SIDES,
    UCDP_WINDOW,
    US,
    WGI_CODES,
    default_dictionary,
)
from prioritizer.errors import InputError
from prioritizer.files import atomic_write
from prioritizer.paths import SAMPLE_DATA_DIR

FLOAT_FORMAT = "%.10g"
"""Float format of every written table (deterministic: the same panels give byte-identical files)."""


# --------------------------------------------------------------------------------------------------
# Panel helpers
# --------------------------------------------------------------------------------------------------
def read_panel(path: Path, columns: Iterable[str] = (), **kwargs) -> pd.DataFrame:
    """One panel CSV; a missing, unreadable or malformed panel (or one lacking ``columns``) is an InputError
    naming the file, not an internal error."""
    try:
        df = pd.read_csv(path, **kwargs)
    except FileNotFoundError:
        raise InputError("panel file not found (run with the full panels folder)", file=path) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputError(f"panel cannot be read as CSV ({type(exc).__name__}: {str(exc)[:120]})", file=path) from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"panel lacks required column(s) {', '.join(missing)}", file=path, column=missing[0])
    return df


def _read(panels_dir: Path, name: str, as_of: int | None = None, **kwargs) -> pd.DataFrame:
    """Read one panel CSV and apply the documented ISO3 aliases and entity fixes.

    ``as_of``: keep only rows whose data year (``year``, ``Year`` or ``fiscal_year``) is at most this year.
    """
    df = read_panel(Path(panels_dir) / name, **kwargs)
    key = "partner_iso3" if "partner_iso3" in df.columns else "country_code" if name == F_AID else "iso3"
    for (fname, name_col), fixes in ENTITY_FIXES.items():
        if fname != name:
            continue
        names = df[name_col]
        for entity, iso3 in fixes.items():
            hit = names == entity
            if iso3 is None:
                df = df[~hit]
                names = names[~hit]
            else:
                df.loc[hit, key] = iso3
    aliases = CODE_ALIASES.get(name)
    if aliases:
        df[key] = df[key].replace(aliases)
    df = df[df[key].notna()].copy()
    if as_of is not None:
        ycol = next((c for c in ("year", "Year", "fiscal_year") if c in df.columns), None)
        if ycol is not None:
            df = df[pd.to_numeric(df[ycol], errors="coerce") <= as_of]
    return df.rename(columns={key: "iso3"})


def gw_to_iso3(panels_dir: Path) -> dict[int, str]:
    """Gleditsch–Ward state code → ISO3: the COW NMC panel's code → ISO3 (latest year per code) with the
    documented GW/COW differences (:data:`GW_CODE_EXCEPTIONS`)."""
    nmc = read_panel(Path(panels_dir) / F_NMC, columns=("iso3", "ccode", "year")).dropna(subset=["iso3", "ccode"])
    codes = nmc.sort_values("year").groupby("ccode")["iso3"].last()
    mapping = {int(code): str(iso3) for code, iso3 in codes.items()}
    mapping.update(GW_CODE_EXCEPTIONS)
    return mapping


def conflict_country_years(panels_dir: Path, as_of: int | None = None) -> pd.DataFrame:
    """State-years in which the state is a **primary** party to ≥ 1 UCDP state-based armed conflict →
    DataFrame(iso3, year, n_conflicts ≥ 1). Secondary parties (troops sent to another state's conflict) do
    not count (:data:`UCDP_PRIMARY_SIDES`). Years from MIN_YEAR (2000); ``as_of``: years up to then only."""
    path = Path(panels_dir) / F_UCDP
    acd = read_panel(path, columns=("conflict_id", "year", *UCDP_PRIMARY_SIDES))
    acd = acd[acd["year"] >= MIN_YEAR]
    if as_of is not None:
        acd = acd[acd["year"] <= as_of]
    mapping = gw_to_iso3(panels_dir)
    sides = pd.concat([acd[["conflict_id", "year", side]].rename(columns={side: "gw"})
                       for side in UCDP_PRIMARY_SIDES]).dropna(subset=["gw"])
    sides["iso3"] = sides["gw"].astype(int).map(mapping)
    unknown = sorted(sides.loc[sides["iso3"].isna(), "gw"].astype(int).unique())
    if unknown:
        raise InputError(f"UCDP state code(s) {unknown[:5]} have no ISO3 (add them to GW_CODE_EXCEPTIONS)",
                         file=path, column="gwno_a")
    sides["year"] = sides["year"].astype(int)
    counts = sides.drop_duplicates(["iso3", "year", "conflict_id"]).groupby(["iso3", "year"]).size()
    return counts.rename("n_conflicts").reset_index()


def _latest(df: pd.DataFrame, value: str, year: str = "year") -> pd.DataFrame:
    """Latest non-missing ``value`` (data year >= MIN_YEAR) per iso3 → DataFrame(index iso3; value, year).

    Raises ValueError if an iso3 has several rows in its latest year (ambiguous source rows).
    """
    d = df[["iso3", year, value]].dropna(subset=[value, year])
    d = d[d[year] >= MIN_YEAR]
    last = d.groupby("iso3")[year].transform("max")
    d = d[d[year] == last]
    if d["iso3"].duplicated().any():
        bad = d.loc[d["iso3"].duplicated(), "iso3"].unique().tolist()[:5]
        raise ValueError(f"several rows for the latest year of {value}: {bad}")
    d = d.set_index("iso3").sort_index()
    return pd.DataFrame({"value": d[value].astype(float), "year": d[year].astype(int)})


def _universe(panels_dir: Path) -> pd.DataFrame:
    """Base columns of the partner universe: combatant_commands.csv rows minus Greenland and the USA."""
    cc = read_panel(Path(panels_dir) / F_COMMANDS, columns=("iso3", "country", "cocom", "continent", "un_subregion"))
    cc = cc[~cc["iso3"].isin(EXCLUDED_FROM_UNIVERSE)]
    base = pd.DataFrame({
        "partner_id": cc["iso3"],
        "name": cc["country"],
        "partner_type": "state",
        "command": cc["cocom"],
        "region": cc["continent"],
        "subregion": cc["un_subregion"],
    })
    if base["partner_id"].duplicated().any():
        raise ValueError("duplicate iso3 in combatant_commands.csv")
    return base.sort_values("partner_id").set_index("partner_id")


def _fy_matrix(long: pd.DataFrame, value: str, fy: str = "fy",
               window: tuple[int, int] = FY_WINDOW) -> pd.DataFrame:
    """iso3 × FY window (default 2020..2024) table of summed ``value`` (missing = 0)."""
    years = list(range(window[0], window[1] + 1))
    w = long[long[fy].between(*window)]
    return w.pivot_table(index="iso3", columns=fy, values=value, aggfunc="sum").reindex(
        columns=years, fill_value=0.0).fillna(0.0)


def _aid_rows(panels_dir: Path, as_of: int | None = None) -> pd.DataFrame:
    """ForeignAssistance.gov obligation rows with a numeric ``fy`` column (FY ≤ ``as_of`` if given)."""
    aid = _read(panels_dir, F_AID, as_of, dtype={"fiscal_year": str})
    aid = aid[aid["transaction_type_name"] == "Obligations"].copy()
    aid["fy"] = pd.to_numeric(aid["fiscal_year"], errors="coerce")  # '1976tq' (transition quarter) → NaN
    return aid


def _us_aid(panels_dir: Path, window: tuple[int, int] = FY_WINDOW) -> pd.DataFrame:
    """US aid obligations in the FY window (default 2020–24) per iso3: annual mean (US$ m, constant) and CV
    (missing where the mean is below :data:`AID_VARIATION_MIN_MEAN_USD_M`)."""
    aid = _aid_rows(panels_dir)
    m = _fy_matrix(aid, "constant_amount", window=window).clip(lower=0.0) / 1e6
    mean = m.mean(axis=1)
    sd = m.std(axis=1, ddof=0)
    cv = (sd / mean).where((mean > 0) & (mean >= AID_VARIATION_MIN_MEAN_USD_M))
    return pd.DataFrame({"mean": mean, "cv": cv})


def _fmf(panels_dir: Path, window: tuple[int, int] = FY_WINDOW) -> pd.Series:
    """DSCA FMF-financed implemented value in the FY window per iso3: years clipped at 0, annual mean, US$ m.

    The book has FY2020–24 only: a window outside it gives an empty series (missing for every partner).
    """
    ds = _read(panels_dir, F_DSCA)
    cols = [f"fmf_fy{y}" for y in range(window[0], window[1] + 1)]
    if not set(cols) <= set(ds.columns):
        return pd.Series(dtype=float)
    vals = ds.set_index("iso3")[cols].astype(float).fillna(0.0).clip(lower=0.0) / 1e6
    if vals.index.duplicated().any():
        raise ValueError("duplicate iso3 in the DSCA book")
    return vals.mean(axis=1)


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------
def build_partners(panels_dir: Path, settings_dir: Path | None = None, as_of: int | None = None) -> pd.DataFrame:
    """Partners table from the panels: base columns, then per indicator ``X``, ``X_year`` (+ ``X_se`` for WGI).

    Values are raw, in source units (see the dictionary); each is the partner's latest non-missing
    value and ``X_year`` its data year (Int64). Sorted by partner_id. US-relational indicators are
    not defined for the United States, which is excluded from the universe. ``us_defense_tie`` comes from
    ``priority_facts.csv`` in ``settings_dir`` (default: ``sample_data/``).

    ``as_of`` (back-test): use only data up to that year (facts with ``since_year`` up to it); the FY/UCDP
    windows become the five years ending then (column names keep their current-window labels).
    """
    panels_dir = Path(panels_dir)
    settings_dir = Path(settings_dir) if settings_dir is not None else SAMPLE_DATA_DIR
    fy_window = FY_WINDOW if as_of is None else (as_of - 4, as_of)
    ucdp_window = UCDP_WINDOW if as_of is None else (as_of - 4, as_of)

    def read(name: str) -> pd.DataFrame:
        return _read(panels_dir, name, as_of)

    base = _universe(panels_dir)
    ids = base.index
    vals: dict[str, pd.Series] = {}
    years: dict[str, pd.Series] = {}
    ses: dict[str, pd.Series] = {}

    def put(ind: str, latest: pd.DataFrame) -> None:
        vals[ind] = latest["value"].reindex(ids)
        years[ind] = latest["year"].reindex(ids)

    def put_const(ind: str, value: pd.Series, year: int) -> None:
        vals[ind] = value.reindex(ids).astype(float)
        years[ind] = pd.Series(year, index=ids).where(vals[ind].notna())

    # WGI: estimate, its published standard error from the same year.
    wgi = read(F_WGI)
    for ind, code in WGI_CODES.items():
        if ind not in INDICATOR_IDS:
            continue
        w = wgi[wgi["indicator"] == code]
        latest = _latest(w, "estimate")
        put(ind, latest)
        se = w.dropna(subset=["estimate"]).set_index(["iso3", "year"])["stddev"]
        ses[ind] = pd.Series(
            [se.get((i, y), np.nan) if not pd.isna(y) else np.nan for i, y in years[ind].items()],
            index=ids, dtype=float)

    put("vdem_libdem", _latest(read(F_VDEM), "v2x_libdem"))
    put("fh_total_reversed", _latest(read(F_FH), "fh_total_reversed"))

    pts = read(F_PTS)
    pts["pts_mean"] = pts[["PTS_A", "PTS_H", "PTS_S"]].mean(axis=1, skipna=True)
    put("pts_mean", _latest(pts, "pts_mean", "Year"))
    put("fsi_c1_security_apparatus", _latest(read(F_FSI), "fsi_c1_security_apparatus"))

    ucdp = conflict_country_years(panels_dir, as_of)
    u = ucdp[ucdp["year"].between(*ucdp_window)]
    conflict_years = u.groupby("iso3")["year"].nunique()
    put_const("ucdp_conflict_years_2020_2024", conflict_years.reindex(ids, fill_value=0), ucdp_window[1])

    put("gdp_pc_ppp", _latest(read(F_GDP), "gdp_pc_ppp_const2021", "Year"))
    put("literacy_rate", _latest(
        read(F_LITERACY), "Literacy rates (World Bank, CIA World Factbook, and other sources)",
        "Year"))

    sipri = read(F_SIPRI)
    sipri["pct"] = sipri["milex_share_gdp"] * 100.0
    put("sipri_milex_pct_gdp", _latest(sipri, "pct"))
    put("sipri_milex_usd_m", _latest(sipri, "milex_const2022_usd_m"))

    unga = read(F_UNGA)
    us_ip = unga[unga["iso3"] == US].set_index("year")["idealpointall"]
    unga["dist"] = (unga["idealpointall"] - unga["year"].map(us_ip)).abs()
    put("unga_distance_to_us", _latest(unga, "dist"))

    facts = refresh_priority.read_facts(settings_dir / refresh_priority.FACTS_FILE, ids)
    if as_of is not None:
        facts = facts[facts["since_year"] <= as_of]
    put_const("us_defense_tie", refresh_priority.tie_level(ids, facts),
              refresh_priority.facts_year(facts) if len(facts) else as_of)

    trade = read(F_TRADE)
    trade["total"] = trade["us_exports_to_partner"] + trade["us_imports_from_partner"]
    put("us_trade_usd_m", _latest(trade, "total"))

    put_const("us_aid_variation_fy2020_2024", _us_aid(panels_dir, fy_window)["cv"].reindex(ids), fy_window[1])

    out = base.copy()
    income = refresh_funding.latest_income_group(_aid_rows(panels_dir, as_of)).reindex(ids)
    out["income_group"] = income["income_group"]
    out["income_group_year"] = income["income_group_year"].astype("Int64")
    nmc = read(F_NMC)
    nmc = nmc[~(nmc["iso3"].isin(["DEU", "YEM"]) & nmc["ccode"].isin([260, 678]))]  # pre-unification rows
    cow = _latest(nmc, "milex").reindex(ids)  # thousands of current US$
    out["cow_milex_usd_m"] = cow["value"] / 1000.0
    out["cow_milex_usd_m_year"] = cow["year"].astype("Float64").round().astype("Int64")
    for ind in INDICATOR_IDS:
        out[ind] = vals[ind].astype(float)
        out[f"{ind}_year"] = years[ind].astype("Float64").round().astype("Int64")
        out.loc[out[ind].isna(), f"{ind}_year"] = pd.NA
        if ind in ses:
            out[f"{ind}_se"] = ses[ind].where(out[ind].notna())
    return out.reset_index()


def partner_columns(indicator_ids: Iterable[str] = INDICATOR_IDS) -> list[str]:
    """Column layout of partners.csv for the given indicator ids."""
    cols = list(BASE_COLUMNS) + list(OPTIONAL_BASE_COLUMNS)
    for ind in indicator_ids:
        cols += [ind, f"{ind}_year"] + ([f"{ind}_se"] if ind in WGI_CODES else [])
    return cols


def build_dictionary_years(partners: pd.DataFrame, dictionary: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``dictionary`` with ``year`` = most common data year of each indicator (ties → latest)."""
    out = dictionary.copy()
    yrs = []
    for ind in out["indicator_id"]:
        col = f"{ind}_year"
        counts = partners[col].dropna().astype(int).value_counts() if col in partners else pd.Series(dtype=int)
        if counts.empty:
            yrs.append(pd.NA)
        else:
            top = counts.max()
            yrs.append(int(max(y for y, c in counts.items() if c == top)))
    out["year"] = pd.array(yrs, dtype="Int64")
    return out


def build_priority_neutral(partners: pd.DataFrame) -> pd.DataFrame:
    """Neutral priority table: every partner 3 (of 1–5)."""
    ids = sorted(partners["partner_id"])
    return pd.DataFrame({"partner_id": ids, "priority": 3,
                         "basis": "neutral default: planners set priorities"})


def capability(panels_dir: Path) -> pd.DataFrame:
    """COW NMC v7 CINC, latest non-missing year per iso3 → DataFrame(index iso3; value, year)."""
    nmc = _read(panels_dir, F_NMC)
    nmc = nmc[~(nmc["iso3"].isin(["DEU", "YEM"]) & nmc["ccode"].isin([260, 678]))]  # pre-unification rows
    return _latest(nmc, "cinc")


def build_priority_proxy(partners: pd.DataFrame, panels_dir: Path, settings_dir: Path | None = None) -> pd.DataFrame:
    """Public-facts proxy of US priority, integer 1–5 (higher = higher priority); not a policy judgment.

    Formal ties from ``priority_facts.csv``, points and thresholds from ``priority_rules.csv`` (in
    ``settings_dir``, default ``sample_data/``), capability = COW CINC (panel), alignment =
    the partners' ``unga_distance_to_us``. See :func:`prioritizer.data.refresh_priority.build_priority_proxy`.
    """
    panels_dir = Path(panels_dir)
    settings_dir = Path(settings_dir) if settings_dir is not None else SAMPLE_DATA_DIR
    p = partners.set_index("partner_id").sort_index()
    facts = refresh_priority.read_facts(settings_dir / refresh_priority.FACTS_FILE, p.index)
    rules = refresh_priority.read_rules(settings_dir / refresh_priority.RULES_FILE)
    cinc = capability(panels_dir)
    cinc_in = cinc.reindex(p.index)
    cinc_year = int(cinc_in["year"].dropna().mode().max())
    dist_year = int(p["unga_distance_to_us_year"].dropna().mode().max())
    return refresh_priority.build_priority_proxy(p.index, facts, rules, cinc_in["value"], cinc_year,
                                                 p["unga_distance_to_us"], dist_year)


def build_funding_baseline(panels_dir: Path, settings_dir: Path | None = None) -> pd.DataFrame:
    """Baseline SC funding proxy per partner and mechanism, US$ m per year (FY2020–24 annual means).

    ``baseline_fmf_usd_m`` = DSCA FMF-financed sales (each year clipped at 0); the four non-FMF mechanisms
    are a proxy from ForeignAssistance.gov totals and the assumptions in ``settings_dir``
    (``baseline_security_share.csv``, ``baseline_mechanism_split.csv``; default:
    ``sample_data/``). See :mod:`prioritizer.data.refresh_funding`. Proxies, not actual SC budgets.
    """
    panels_dir = Path(panels_dir)
    settings_dir = Path(settings_dir) if settings_dir is not None else SAMPLE_DATA_DIR
    ids = _universe(panels_dir).index
    fmf = _fmf(panels_dir).reindex(ids, fill_value=0.0)
    aid = _us_aid(panels_dir)["mean"].reindex(ids, fill_value=0.0)
    income = refresh_funding.latest_income_group(_aid_rows(panels_dir))["income_group"]
    shares = refresh_funding.read_security_shares(settings_dir / refresh_funding.SHARE_FILE)
    split = refresh_funding.read_mechanism_split(settings_dir / refresh_funding.SPLIT_FILE)
    return refresh_funding.build_mechanism_baseline(fmf, aid, income, shares, split)


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """Write ``df`` deterministically: no index, ``%.10g`` floats, '\\n' line ends, UTF-8."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = df.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    return atomic_write(path, text.encode("utf-8"))


def read_dictionary(path: Path) -> pd.DataFrame:
    """Read an existing indicators.csv (text kept verbatim, ``year`` as Int64)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["direction"] = df["direction"].astype(int)
    df["year"] = pd.to_numeric(df["year"].replace("", None)).astype("Int64")
    return df


def refresh(panels_dir: Path, out_dir: Path, settings_dir: Path | None = None) -> dict[str, Path]:
    """Rebuild the sample tables from ``panels_dir`` into ``out_dir``; return {role: path}.

    Writes partners.csv, indicators.csv (an existing one in ``out_dir`` is kept and only its ``year``
    column updated; otherwise the built-in dictionary is used), priority_proxy.csv,
    priority_neutral.csv and funding_baseline.csv.
    """
    panels_dir, out_dir = Path(panels_dir), Path(out_dir)
    dict_path = out_dir / "indicators.csv"
    dictionary = read_dictionary(dict_path) if dict_path.exists() else default_dictionary()
    if not panels_dir.is_dir():
        raise InputError("panels folder not found", file=panels_dir)
    try:
        partners = build_partners(panels_dir, settings_dir)
        known = [i for i in dictionary["indicator_id"] if i in INDICATOR_IDS]
        partners = partners[partner_columns(known)]
        dictionary = build_dictionary_years(partners, dictionary)
        priority = build_priority_proxy(partners, panels_dir, settings_dir)
        funding = build_funding_baseline(panels_dir, settings_dir)
    except InputError:
        raise
    except FileNotFoundError as exc:
        raise InputError("panel file not found (run with the full panels folder)",
                         file=exc.filename or panels_dir) from None
    except (OSError, KeyError, ValueError, TypeError) as exc:  # a panel with other columns or values
        raise InputError(f"a panel in this folder is not in the expected layout ({type(exc).__name__}: "
                         f"{str(exc)[:160]})", file=panels_dir) from None
    return {
        "partners": write_csv(partners, out_dir / "partners.csv"),
        "indicators": write_csv(dictionary, dict_path),
        "priority_proxy": write_csv(priority, out_dir / "priority_proxy.csv"),
        "priority_neutral": write_csv(build_priority_neutral(partners), out_dir / "priority_neutral.csv"),
        "funding_baseline": write_csv(funding, out_dir / "funding_baseline.csv"),
    }

