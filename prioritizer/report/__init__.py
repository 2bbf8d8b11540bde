"""What leaves the tool: the column dictionary (columns.py), derived tables (tables.py), CSV/XLSX exports
(export.py), the one-page summary (summary.py), the briefing pack (pack.py) and the slide deck (deck.py)."""

# ruff: noqa: I001  (one import per line, as the lead's shim-removal script reads them)
# compatibility re-exports, removed by the lead (callers then import from the modules named here)
