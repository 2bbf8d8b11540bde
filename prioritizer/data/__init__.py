"""Data: load and validate input files, refresh the sample from panels, dataset edits."""
