"""refresh: rebuilding sample_data from the shipped panels reproduces the shipped tables exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from prioritizer import domain
from prioritizer.data import refresh, refresh_priority, refresh_sources
from prioritizer.data import refresh_funding as rf
from prioritizer.data.dictionary import DICTIONARY_COLUMNS
from prioritizer.data.partners import BASE_COLUMNS, OPTIONAL_BASE_COLUMNS
from prioritizer.errors import InputError
from prioritizer.paths import PANELS_DIR, SAMPLE_DATA_DIR

OUTPUTS = ["partners.csv", "indicators.csv", "priority_proxy.csv", "priority_neutral.csv", "funding_baseline.csv"]
GEOGRAPHIC = set(domain.COMMANDS)


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("refresh")
    return refresh.refresh(PANELS_DIR, out)


@pytest.fixture(scope="module")
def partners() -> pd.DataFrame:
    return pd.read_csv(SAMPLE_DATA_DIR / "partners.csv")


@pytest.fixture(scope="module")
def dictionary() -> pd.DataFrame:
    return pd.read_csv(SAMPLE_DATA_DIR / "indicators.csv")


@pytest.mark.parametrize("name", OUTPUTS)
def test_refresh_reproduces_shipped_files(rebuilt, name):
    path = rebuilt[name.removesuffix(".csv")]
    assert path.name == name
    pd.testing.assert_frame_equal(pd.read_csv(path), pd.read_csv(SAMPLE_DATA_DIR / name))
    assert path.read_bytes() == (SAMPLE_DATA_DIR / name).read_bytes()


def test_refresh_keeps_existing_dictionary_text(tmp_path):
    shipped = SAMPLE_DATA_DIR / "indicators.csv"
    (tmp_path / "indicators.csv").write_bytes(shipped.read_bytes())
    refresh.refresh(PANELS_DIR, tmp_path)
    assert (tmp_path / "indicators.csv").read_bytes() == shipped.read_bytes()


def test_constructs_match_builtin():
    pd.testing.assert_frame_equal(pd.read_csv(SAMPLE_DATA_DIR / "constructs.csv"), refresh_sources.build_constructs())


def test_partner_universe(partners):
    assert len(partners) >= 190
    assert partners["partner_id"].is_unique
    assert list(partners["partner_id"]) == sorted(partners["partner_id"])
    assert set(partners["command"]) <= GEOGRAPHIC
    assert partners["command"].notna().all()
    assert "GRL" not in set(partners["partner_id"])
    assert {"VAT", "PSE", "XKX", "TWN"} <= set(partners["partner_id"])
    assert (partners["partner_type"] == "state").all()


def test_column_layout(partners, dictionary):
    assert list(partners.columns) == refresh.partner_columns(dictionary["indicator_id"])
    assert list(partners.columns[:6]) == list(BASE_COLUMNS)
    assert list(dictionary.columns) == list(DICTIONARY_COLUMNS)


def test_every_indicator_in_dictionary_and_covered(partners, dictionary):
    constructs = pd.read_csv(SAMPLE_DATA_DIR / "constructs.csv")
    assert set(dictionary["indicator_id"]) == set(refresh_sources.INDICATOR_IDS)
    assert set(dictionary["construct"]) <= set(constructs["construct_id"])
    assert set(dictionary["direction"]) <= {1, -1}
    assert set(dictionary["transform"]) <= {"none", "log", "log1p"}
    for ind in dictionary["indicator_id"]:
        assert partners[ind].notna().mean() >= 0.6, ind
    for col in ("source", "citation", "licence", "unit", "label"):
        assert dictionary[col].fillna("").str.len().gt(0).all(), col


def test_years_present_exactly_where_values_present(partners, dictionary):
    for ind in dictionary["indicator_id"]:
        has_value = partners[ind].notna()
        has_year = partners[f"{ind}_year"].notna()
        assert (has_value == has_year).all(), ind
        assert (partners.loc[has_year, f"{ind}_year"] >= refresh_sources.MIN_YEAR).all(), ind
    for ind in refresh_sources.SE_INDICATORS:
        assert (partners[f"{ind}_se"].notna() == partners[ind].notna()).all(), ind


def test_dictionary_year_is_most_common(partners, dictionary):
    d = dictionary.set_index("indicator_id")
    assert d.at["wgi_rule_of_law", "year"] == 2023
    assert d.at["fsi_c1_security_apparatus", "year"] == 2023
    for ind in d.index:
        assert d.at[ind, "year"] == partners[f"{ind}_year"].mode().max(), ind


def test_log_transforms_have_valid_domain(partners, dictionary):
    for _, row in dictionary.iterrows():
        x = partners[row["indicator_id"]].dropna()
        if row["transform"] == "log":
            assert (x > 0).all(), row["indicator_id"]
        elif row["transform"] == "log1p":
            assert (x >= 0).all(), row["indicator_id"]


def _panel(name: str) -> pd.DataFrame:
    return pd.read_csv(PANELS_DIR / name)


def test_spot_check_wgi_against_panel(partners):
    p = partners.set_index("partner_id")
    wgi = _panel(refresh_sources.F_WGI)
    row = wgi[(wgi["iso3"] == "DEU") & (wgi["year"] == 2023) & (wgi["indicator"] == "rl")].iloc[0]
    assert p.at["DEU", "wgi_rule_of_law"] == pytest.approx(row["estimate"])
    assert p.at["DEU", "wgi_rule_of_law_se"] == pytest.approx(row["stddev"])
    assert p.at["DEU", "wgi_rule_of_law_year"] == 2023
    # WGI uses ZAR for DR Congo; the alias must map it to COD.
    zar = wgi[(wgi["iso3"] == "ZAR") & (wgi["year"] == 2023) & (wgi["indicator"] == "ge")].iloc[0]
    assert p.at["COD", "wgi_gov_effectiveness"] == pytest.approx(zar["estimate"])


def test_spot_check_other_panels(partners):
    p = partners.set_index("partner_id")
    vdem = _panel(refresh_sources.F_VDEM)
    v = vdem[(vdem["iso3"] == "IND") & (vdem["year"] == 2024)].iloc[0]
    assert p.at["IND", "vdem_libdem"] == pytest.approx(v["v2x_libdem"])
    fsi = _panel(refresh_sources.F_FSI).set_index("iso3")
    assert p.at["SOM", "fsi_c1_security_apparatus"] == pytest.approx(fsi.at["SOM", "fsi_c1_security_apparatus"])
    sipri = _panel(refresh_sources.F_SIPRI)
    s = sipri[(sipri["iso3"] == "POL") & (sipri["year"] == 2023)].iloc[0]
    assert p.at["POL", "sipri_milex_pct_gdp"] == pytest.approx(100 * s["milex_share_gdp"])
    # Freedom House: Cyprus is the Republic of Cyprus row, not Northern Cyprus.
    fh = _panel(refresh_sources.F_FH)
    cyp = fh[(fh["fh_country"] == "Cyprus") & (fh["year"] == 2024)].iloc[0]
    assert p.at["CYP", "fh_total_reversed"] == cyp["fh_total_reversed"] == 14 - (cyp["pr"] + cyp["cl"])
    # UN voting distance is 0-based absolute difference to the US in the same year.
    unga = _panel(refresh_sources.F_UNGA).set_index(["iso3", "year"])
    expected = abs(unga.at[("FRA", 2023), "idealpointall"] - unga.at[("USA", 2023), "idealpointall"])
    assert p.at["FRA", "unga_distance_to_us"] == pytest.approx(expected)
    # formal ties from the curated facts: NATO (incl. Finland 2023, Sweden 2024) = 2, MNNA = 1, embargo = 0
    assert p.at["GBR", "us_defense_tie"] == 2 and p.at["FIN", "us_defense_tie"] == 2
    assert p.at["SWE", "us_defense_tie"] == 2 and p.at["JPN", "us_defense_tie"] == 2
    assert p.at["ISR", "us_defense_tie"] == 1 and p.at["TWN", "us_defense_tie"] == 1
    assert p.at["CHN", "us_defense_tie"] == 0 and p.at["AFG", "us_defense_tie"] == 0


def test_ucdp_zero_when_absent(partners):
    p = partners.set_index("partner_id")
    assert p["ucdp_conflict_years_2020_2024"].between(0, 5).all()
    assert p.at["ISL", "ucdp_conflict_years_2020_2024"] == 0
    assert p.at["UKR", "ucdp_conflict_years_2020_2024"] >= 3


def test_conflict_years_count_primary_parties_not_coalition_contributors(partners):
    """Troops sent to another state's war (secondary party: the coalition against IS, the task forces in Mali)
    are not instability at home; the state's own conflicts are."""
    years = partners.set_index("partner_id")["ucdp_conflict_years_2020_2024"]
    acd = _panel(refresh_sources.F_UCDP)
    recent = acd[acd["year"].between(2020, 2024)]
    canada, estonia, mali = 20, 366, 432  # Gleditsch–Ward codes
    assert (recent["gwno_a_2nd"] == canada).any() and (recent["gwno_a_2nd"] == estonia).any()  # secondary
    assert not recent[["gwno_a", "gwno_b"]].isin([canada, estonia]).any().any()
    for coalition_partner in ("CAN", "EST", "NOR", "AUS", "PER", "SWE"):
        assert years[coalition_partner] == 0, coalition_partner
    assert (recent["gwno_a"] == mali).any()
    for at_war in ("UKR", "ISR", "COL", "PHL", "MLI"):
        assert years[at_war] == 5, at_war


def test_conflict_country_years_map_every_state_code_and_refuse_unknown_ones(tmp_path):
    counts = refresh.conflict_country_years(PANELS_DIR)
    assert counts["year"].min() >= refresh_sources.MIN_YEAR and (counts["n_conflicts"] >= 1).all()
    assert {"DEU", "SRB", "YEM", "TON"} <= set(refresh.gw_to_iso3(PANELS_DIR).values())
    assert counts.set_index(["iso3", "year"]).at[("RUS", 2022), "n_conflicts"] >= 1  # interstate: both primary
    for name in (refresh_sources.F_UCDP, refresh_sources.F_NMC):
        (tmp_path / name).write_bytes((PANELS_DIR / name).read_bytes())
    acd = pd.read_csv(tmp_path / refresh_sources.F_UCDP)
    acd.loc[acd.index[-1], "gwno_a"] = 999
    acd.to_csv(tmp_path / refresh_sources.F_UCDP, index=False)
    with pytest.raises(InputError, match=r"ucdp_acd_1946_2024\.csv.*999"):
        refresh.conflict_country_years(tmp_path)


def test_aid_variation_left_missing_where_us_aid_is_negligible(partners):
    """A CV of a few one-off grants (France, the UK, Australia: < $1 M a year) is no track record; it is
    missing, not 0 on the consistency-of-US-support category."""
    p = partners.set_index("partner_id")
    aid = refresh._us_aid(PANELS_DIR)
    small = aid.index[aid["mean"] < refresh_sources.AID_VARIATION_MIN_MEAN_USD_M].intersection(p.index)
    assert {"GBR", "FRA", "AUS"} <= set(small)
    assert p.loc[small, "us_aid_variation_fy2020_2024"].isna().all()
    large = aid.index[aid["mean"] >= refresh_sources.AID_VARIATION_MIN_MEAN_USD_M].intersection(p.index)
    assert p.loc[large, "us_aid_variation_fy2020_2024"].notna().all()
    assert p.at["CAN", "us_aid_variation_fy2020_2024"] == pytest.approx(aid.at["CAN", "cv"])


def test_fmf_negative_years_clipped():
    ds = _panel(refresh_sources.F_DSCA).dropna(subset=["iso3"]).set_index("iso3")
    cols = [f"fmf_fy{y}" for y in range(2020, 2025)]
    assert (ds[cols] < 0).any(axis=None), "the panel has negative FMF adjustments to test against"
    expected = ds[cols].fillna(0).clip(lower=0).mean(axis=1) / 1e6  # blank cells = no sales
    p = pd.read_csv(SAMPLE_DATA_DIR / "funding_baseline.csv").set_index("partner_id")
    common = p.index.intersection(expected.index).drop("USA", errors="ignore")
    np.testing.assert_allclose(p.loc[common, "fmf_fy2020_2024_mean_usd_m"], expected[common], rtol=1e-8)
    assert (p["fmf_fy2020_2024_mean_usd_m"].dropna() >= 0).all()
    # AFG has only negative FMF adjustments in FY2020-24 → 0 after clipping.
    assert (ds.loc["AFG", cols] <= 0).all() and p.at["AFG", "fmf_fy2020_2024_mean_usd_m"] == 0


def test_united_states_is_not_a_partner(partners):
    # the provider of security cooperation is not scored as its own partner; Greenland is a territory
    assert "USA" not in set(partners["partner_id"]) and "GRL" not in set(partners["partner_id"])
    assert len(partners) == 196


def test_priority_proxy():
    prio = pd.read_csv(SAMPLE_DATA_DIR / "priority_proxy.csv")
    assert list(prio.columns) == ["partner_id", "priority", "basis"]
    assert pd.api.types.is_integer_dtype(prio["priority"])
    assert prio["priority"].between(1, 5).all()
    assert prio["basis"].str.startswith("public-facts proxy").all()
    assert prio["priority"].nunique() >= 4
    p = prio.set_index("partner_id")
    assert p.at["GBR", "priority"] >= 3  # NATO ally
    assert "NATO member since 1949" in p.at["GBR", "basis"]
    assert "NATO member since 2023" in p.at["FIN", "basis"] and "NATO member since 2024" in p.at["SWE", "basis"]
    # a planner's sanity check of the proxy (not a policy judgment)
    for pid in ("ISR", "JPN", "KOR", "TWN", "GBR", "POL", "UKR", "JOR", "FIN", "SWE", "EGY"):
        assert p.at[pid, "priority"] >= 3, pid
    for pid in ("VAT", "AND", "MCO", "LIE", "SMR", "NRU", "TUV"):
        assert p.at[pid, "priority"] <= 2, pid
    assert p.at["CHN", "priority"] == 1 and "22 CFR 126.1" in p.at["CHN", "basis"]
    counts = prio["priority"].value_counts()
    assert all(counts.get(level, 0) >= 10 for level in range(1, 6)), counts.to_dict()
    assert counts.max() <= 0.5 * len(prio)
    neutral = pd.read_csv(SAMPLE_DATA_DIR / "priority_neutral.csv")
    assert (neutral["priority"] == 3).all()
    assert (neutral["basis"] == "neutral default: planners set priorities").all()


MECH_COLS = ["baseline_education_usd_m", "baseline_institution_building_usd_m", "baseline_exercises_usd_m",
             "baseline_train_equip_usd_m", "baseline_fmf_usd_m"]


def test_funding_baseline(partners):
    f = pd.read_csv(SAMPLE_DATA_DIR / "funding_baseline.csv")
    assert list(f.columns) == ["partner_id", *MECH_COLS, "baseline_usd_m", "fmf_fy2020_2024_mean_usd_m",
                               "us_aid_fy2020_2024_mean_usd_m", "baseline_basis"]
    assert list(f["partner_id"]) == list(partners["partner_id"])
    money = [c for c in f.columns if c.endswith("_usd_m")]
    assert f[money].ge(0).all(axis=None)
    np.testing.assert_allclose(f["baseline_usd_m"], f[MECH_COLS].sum(axis=1), rtol=1e-9)
    assert (f["baseline_fmf_usd_m"] == f["fmf_fy2020_2024_mean_usd_m"]).all()
    assert f["baseline_basis"].str.startswith("proxy").all()
    assert f["baseline_basis"].str.contains("DSCA").all()
    assert f["baseline_basis"].str.contains("ForeignAssistance").all()
    # the non-FMF security proxy never exceeds total aid net of FMF
    non_fmf = f[MECH_COLS[:-1]].sum(axis=1)
    net = (f["us_aid_fy2020_2024_mean_usd_m"] - f["fmf_fy2020_2024_mean_usd_m"]).clip(lower=0)
    assert (non_fmf <= net + 1e-9).all()
    p = f.set_index("partner_id")
    assert p.at["ISR", "baseline_fmf_usd_m"] > 1000
    # credibility: no train-and-equip baseline where US SC ended or aid is humanitarian; Ukraine's is large
    for pid in ("AFG", "SYR", "YEM", "PRK", "RUS"):
        assert p.at[pid, "baseline_train_equip_usd_m"] == 0, pid
    assert p.at["UKR", "baseline_train_equip_usd_m"] > 1000
    assert p.at["UKR", "baseline_train_equip_usd_m"] > 0.9 * p.loc["UKR", MECH_COLS[:-1]].sum()


def test_security_share_and_split_are_data_with_basis(tmp_path):

    shares = rf.read_security_shares(SAMPLE_DATA_DIR / rf.SHARE_FILE)
    assert shares["basis"].str.len().gt(10).all()
    split = rf.read_mechanism_split(SAMPLE_DATA_DIR / rf.SPLIT_FILE)
    np.testing.assert_allclose(split[list(rf.NON_FMF_MECHANISMS)].sum(axis=1), 1.0)
    bad = tmp_path / rf.SHARE_FILE
    bad.write_text((SAMPLE_DATA_DIR / rf.SHARE_FILE).read_text().replace("HIC,0.3,", "HIC,1.7,"))
    with pytest.raises(InputError, match=r"row 2.*security_share"):
        rf.read_security_shares(bad)


def test_income_group_column(partners):
    assert list(partners.columns[6:10]) == list(OPTIONAL_BASE_COLUMNS)
    groups = partners["income_group"].dropna()
    assert set(groups) <= {"HIC", "UMC", "LMC", "LIC"} and len(groups) >= 185
    p = partners.set_index("partner_id")
    assert p.at["JPN", "income_group"] == "HIC" and pd.isna(p.at["VAT", "income_group"])
    assert (partners["income_group"].notna() == partners["income_group_year"].notna()).all()
    aid = _panel(refresh_sources.F_AID)
    ken = aid[aid["country_code"] == "KEN"].dropna(subset=["income_group_acronym"])
    ken = ken[pd.to_numeric(ken["fiscal_year"], errors="coerce").notna()]
    last = ken.loc[pd.to_numeric(ken["fiscal_year"]).idxmax()]
    assert p.at["KEN", "income_group"] == {"LMIC": "LMC", "UMIC": "UMC"}.get(last["income_group_acronym"],
                                                                           last["income_group_acronym"])


def test_no_shared_paths_in_runtime_code():
    for module in (refresh, refresh_sources, rf, refresh_priority):
        src = Path(module.__file__).read_text()
        assert "shared" not in src.replace("shared_interests", ""), module.__name__


def test_world_map_has_iso3():
    path = SAMPLE_DATA_DIR / "world-110m.json"
    if not path.exists():
        pytest.skip("world-110m.json not built")
    topo = json.loads(path.read_text())
    geoms = topo["objects"]["countries"]["geometries"]
    iso3 = {g["properties"].get("iso3") for g in geoms}
    assert len(geoms) >= 170
    assert {"USA", "FRA", "CHN", "BRA", "NGA"} <= iso3


def test_cow_military_expenditure_column(partners):
    """COW NMC v7 milex (thousands of current US$) becomes cow_milex_usd_m with its data year: Panama and Costa
    Rica, which SIPRI records as 0 (no armed forces), have their public-force budgets."""
    p = partners.set_index("partner_id")
    nmc = _panel(refresh_sources.F_NMC)
    pan = nmc[(nmc["iso3"] == "PAN") & nmc["milex"].notna()].sort_values("year").iloc[-1]
    assert p.at["PAN", "cow_milex_usd_m"] == pytest.approx(pan["milex"] / 1000.0)
    assert p.at["PAN", "cow_milex_usd_m_year"] == pan["year"]
    assert p.at["PAN", "sipri_milex_usd_m"] == 0 and p.at["CRI", "cow_milex_usd_m"] > 100
    assert (partners["cow_milex_usd_m"].notna() == partners["cow_milex_usd_m_year"].notna()).all()
    assert (partners["cow_milex_usd_m"].dropna() >= 0).all()
