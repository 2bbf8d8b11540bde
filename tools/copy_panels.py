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

from prioritizer import refresh  # noqa: E402
from prioritizer.paths import PANELS_DIR, SAMPLE_DATA_DIR  # noqa: E402

# file -> (columns to keep or None for all, year column or None)
KEEP: dict[str, tuple[list[str] | None, str | None]] = {
    refresh.F_COMMANDS: (None, None),
    refresh.F_WGI: (["iso3", "countryname", "year", "indicator", "estimate", "stddev"], "year"),
    refresh.F_VDEM: (["iso3", "vdem_country_name", "year", "v2x_polyarchy", "v2x_libdem",
                      "v2x_polyarchy_codelow", "v2x_polyarchy_codehigh"], "year"),
    refresh.F_FH: (None, "year"),
    refresh.F_FSI: (None, None),
    refresh.F_PTS: (None, "Year"),
    refresh.F_SIPRI: (["iso3", "country", "year", "milex_const2022_usd_m", "milex_current_usd_m",
                       "milex_share_gdp"], "year"),
    refresh.F_NMC: (["iso3", "ccode", "year", "milex", "milper", "tpop", "cinc"], "year"),
    refresh.F_UNGA: (["iso3", "ccode", "countryname", "year", "idealpointall", "idealpointfp", "nvotesall",
                      "nvotesfp"], "year"),
    refresh.F_TRADE: (None, "year"),
    refresh.F_GDP: (None, "Year"),
    refresh.F_LITERACY: (None, "Year"),
    refresh.F_UCDP: (None, "year"),
    refresh.F_AID: (None, None),  # filtered below: obligations, FY2000+
    refresh.F_DSCA: (None, None),
}


def copy_panels(src: Path, dst: Path) -> None:
    """Copy and trim every panel in ``refresh.PANEL_FILES`` from ``src`` to ``dst`` (text kept verbatim)."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in refresh.PANEL_FILES:
        cols, ycol = KEEP[name]
        df = pd.read_csv(src / name, dtype=str, keep_default_na=False)
        if cols is not None:
            df = df[cols]
        if ycol is not None:
            df = df[pd.to_numeric(df[ycol], errors="coerce") >= refresh.MIN_YEAR]
        if name == refresh.F_AID:
            fy = pd.to_numeric(df["fiscal_year"], errors="coerce")
            df = df[(df["transaction_type_name"] == "Obligations") & (fy >= refresh.MIN_YEAR)]
        df.to_csv(dst / name, index=False, lineterminator="\n")
        print(f"{name}: {len(df)} rows, {(dst / name).stat().st_size / 1e3:.0f} kB")


def main() -> int:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/country_data")
    copy_panels(src, PANELS_DIR)
    full = refresh.build_partners(src, SAMPLE_DATA_DIR)
    trimmed = refresh.build_partners(PANELS_DIR, SAMPLE_DATA_DIR)
    pd.testing.assert_frame_equal(full, trimmed)
    pd.testing.assert_frame_equal(refresh.build_funding_baseline(src, SAMPLE_DATA_DIR),
                                  refresh.build_funding_baseline(PANELS_DIR, SAMPLE_DATA_DIR))
    print("OK: trimmed panels give the same partners and funding tables as the full ones")
    return 0


if __name__ == "__main__":
    sys.exit(main())
