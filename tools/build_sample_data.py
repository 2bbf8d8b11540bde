"""One-off: rebuild sample_data/ tables (partners, dictionary, priority, funding, constructs) from the panels.

Usage: ``python tools/build_sample_data.py``. Same as ``python -m prioritizer refresh-data`` plus
constructs.csv (static metadata defined in ``prioritizer.refresh.CONSTRUCTS``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prioritizer.data.refresh import refresh, write_csv
from prioritizer.data.refresh_sources import build_constructs, default_dictionary
from prioritizer.paths import PANELS_DIR, SAMPLE_DATA_DIR  # noqa: E402


def main() -> int:
    # Start from the built-in dictionary so metadata edits in refresh.INDICATORS reach indicators.csv.
    write_csv(default_dictionary(), SAMPLE_DATA_DIR / "indicators.csv")
    written = refresh(PANELS_DIR, SAMPLE_DATA_DIR)
    written["constructs"] = write_csv(build_constructs(), SAMPLE_DATA_DIR / "constructs.csv")
    for role, path in written.items():
        print(f"{role}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
