"""Altair charts, one module per view: ranking, matrix, map, profile, allocation, frontier, robustness,
backtest; the shared look in style.py; PNG/SVG export with the marking line in export/image.py."""

# ruff: noqa: I001  (one import per line, as the lead's shim-removal script reads them)
# compatibility re-exports, removed by the lead (callers then import from the modules named here)
