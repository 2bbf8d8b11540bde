"""Data stage: reading and validating the partners, dictionary, priority, funding and override files
into one Dataset, indicator bounds, and rebuilding the sample tables from the public panels (refresh)."""
