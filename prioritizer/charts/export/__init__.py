"""Chart export: PNG/SVG images with the marking line, through vl-convert (image.py)."""
