"""Project locations. Nothing here reads ../shared: the project is self-contained."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA_DIR = PROJECT_ROOT / "sample_data"
PANELS_DIR = SAMPLE_DATA_DIR / "panels"
WEIGHTS_DIR = PROJECT_ROOT / "weights"
DEFAULT_PROFILE = WEIGHTS_DIR / "default.yaml"
DEFAULT_ALLOCATION_SETTINGS = WEIGHTS_DIR / "allocation.yaml"
DEFAULT_MATCHING_SETTINGS = WEIGHTS_DIR / "matching.yaml"
