"""Report: ranked tables, CSV/XLSX export, briefing pack, HTML cards and the app's view tables."""

# TEMPORARY (branch cli only; the lead takes the report helper's __init__.py on merge): this package shadows
# prioritizer/report.py, whose names are loaded from that file until the report helper's package lands.
import importlib.util as _util
import sys as _sys
from pathlib import Path as _Path

_spec = _util.spec_from_file_location("prioritizer._report_module", _Path(__file__).parent.parent / "report.py")
_module = _util.module_from_spec(_spec)  # type: ignore[arg-type]
_sys.modules[_spec.name] = _module  # type: ignore[union-attr]
_spec.loader.exec_module(_module)  # type: ignore[union-attr]
globals().update({k: v for k, v in vars(_module).items() if not k.startswith("__")})
