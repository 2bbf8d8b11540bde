"""Altair charts, one module per view: ranking, matrix, map, profile, allocation, frontier, robustness,
backtest; the shared look in style.py; PNG/SVG export with the marking line in export/image.py."""

# ruff: noqa: I001  (one import per line, as the lead's shim-removal script reads them)
# compatibility re-exports, removed by the lead (callers then import from the modules named here)
from prioritizer.charts.allocation import allocation_by_command  # noqa: F401
from prioritizer.charts.allocation import allocation_by_mechanism  # noqa: F401
from prioritizer.charts.allocation import change_bars  # noqa: F401
from prioritizer.charts.backtest import backtest_chart  # noqa: F401
from prioritizer.charts.export.image import to_png  # noqa: F401
from prioritizer.charts.export.image import to_png_and_svg  # noqa: F401
from prioritizer.charts.export.image import to_svg  # noqa: F401
from prioritizer.charts.export.image import with_meta  # noqa: F401
from prioritizer.charts.frontier import frontier_chart  # noqa: F401
from prioritizer.charts.map import load_topojson  # noqa: F401
from prioritizer.charts.map import world_map  # noqa: F401
from prioritizer.charts.matrix import matrix_chart  # noqa: F401
from prioritizer.charts.profile import category_bars  # noqa: F401
from prioritizer.charts.profile import construct_bars  # noqa: F401
from prioritizer.charts.ranking import ranking_bar  # noqa: F401
from prioritizer.charts.robustness import rank_interval_chart  # noqa: F401
from prioritizer.charts.robustness import tornado_chart  # noqa: F401
from prioritizer.charts.style import LABEL_SIZE  # noqa: F401
from prioritizer.charts.style import TOOL_NAME  # noqa: F401
from prioritizer.charts.style import AnyChart  # noqa: F401
from prioritizer.charts.style import ChartMeta  # noqa: F401
from prioritizer.charts.style import marking_colour  # noqa: F401
