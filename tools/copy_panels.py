"""One-off: copy the country-year panels the refresh needs from ../shared/country_data into sample_data/panels.

Trims unused columns and years before 2000 (refresh ignores them: ``refresh.MIN_YEAR``), keeps column
names, and checks that refresh gives identical partners/funding tables from the full and trimmed panels.
Usage: ``python tools/copy_panels.py [SOURCE_DIR]`` (default /work/shared/country_data).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prioritizer.data.refresh import build_funding_baseline, build_partners
from prioritizer.data.refresh_sources import (
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
    MIN_YEAR,
    PANEL_FILES,
)
from prioritizer.paths import PANELS_DIR, SAMPLE_DATA_DIR  # noqa: E402

# file -> (columns to keep or None for all, year column or None)
KEEP: dict[str, tuple[list[str] | None, str | None]] = {
    F_COMMANDS: (None, None),
    F_WGI: (["iso3", "countryname", "year", "indicator", "estimate", "stddev"], "year"),
    F_VDEM: (["iso3", "vdem_country_name", "year", "v2x_polyarchy", "v2x_libdem",
                      "v2x_polyarchy_codelow", "v2x_polyarchy_codehigh"], "year"),
    F_FH: (None, "year"),
    F_FSI: (None, None),
    F_PTS: (None, "Year"),
    F_SIPRI: (["iso3", "country", "year", "milex_const2022_usd_m", "milex_current_usd_m",
                       "milex_share_gdp"], "year"),
    F_NMC: (["iso3", "ccode", "year", "milex", "milper", "tpop", "cinc"], "year"),
    F_UNGA: (["iso3", "ccode", "countryname", "year", "idealpointall", "idealpointfp", "nvotesall",
                      "nvotesfp"], "year"),
    F_TRADE: (None, "year"),
    F_GDP: (None, "Year"),
    F_LITERACY: (None, "Year"),
    F_UCDP: (None, "year"),
    F_AID: (None, None),  # filtered below: obligations, FY2000+
    F_DSCA: (None, None),
}


def copy_panels(src: Path, dst: Path) -> None:
    """Copy and trim every panel in ``refresh.PANEL_FILES`` from ``src`` to ``dst`` (text kept verbatim)."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in PANEL_FILES:
        cols, ycol = KEEP[name]
        df = pd.read_csv(src / name, dtype=str, keep_default_na=False)
        if cols is not None:
            df = df[cols]
        if ycol is not None:
            df = df[pd.to_numeric(df[ycol], errors="coerce") >= MIN_YEAR]
        if name == F_AID:
            fy = pd.to_numeric(df["fiscal_year"], errors="coerce")
            df = df[(df["transaction_type_name"] == "Obligations") & (fy >= MIN_YEAR)]
        df.to_csv(dst / name, index=False, lineterminator="\n")
        print(f"{name}: {len(df)} rows, {(dst / name).stat().st_size / 1e3:.0f} kB")


def main() -> int:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/country_data")
    copy_panels(src, PANELS_DIR)
    full = build_partners(src, SAMPLE_DATA_DIR)
    trimmed = build_partners(PANELS_DIR, SAMPLE_DATA_DIR)
    pd.testing.assert_frame_equal(full, trimmed)
    pd.testing.assert_frame_equal(build_funding_baseline(src, SAMPLE_DATA_DIR),
                                  build_funding_baseline(PANELS_DIR, SAMPLE_DATA_DIR))
    print("OK: trimmed panels give the same partners and funding tables as the full ones")
    return 0


if __name__ == "__main__":
    sys.exit(main())
