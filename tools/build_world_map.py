"""One-off: build sample_data/world-110m.json from the npm package ``world-atlas`` (countries-110m.json).

Adds an ``iso3`` property to every geometry from its ISO 3166-1 numeric id (via pycountry, needed only
here, not at run time). Natural Earth has no id for Kosovo, Northern Cyprus and Somaliland: Kosovo gets
``XKX`` (the project's code), the other two get ``iso3 = null``.
Usage: ``cd /tmp && npm pack world-atlas && tar xzf world-atlas-*.tgz``, then
``python tools/build_world_map.py /tmp/package/countries-110m.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parent.parent / "sample_data" / "world-110m.json"
BY_NAME = {"Kosovo": "XKX"}  # features without an ISO numeric id


def iso3_for(geometry: dict) -> str | None:
    """ISO3 for a world-atlas geometry (numeric id → alpha-3), or None."""
    gid = geometry.get("id")
    if gid is None:
        return BY_NAME.get(geometry.get("properties", {}).get("name"))
    country = pycountry.countries.get(numeric=str(gid).zfill(3))
    return country.alpha_3 if country else None


def main(argv: list[str]) -> int:
    src = Path(argv[0]) if argv else Path("/tmp/wa/package/countries-110m.json")
    topo = json.loads(src.read_text())
    missing = []
    for g in topo["objects"]["countries"]["geometries"]:
        g.setdefault("properties", {})["iso3"] = iso3_for(g)
        if g["properties"]["iso3"] is None:
            missing.append(g["properties"].get("name"))
    OUT.write_text(json.dumps(topo, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB); no ISO3: {missing}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
