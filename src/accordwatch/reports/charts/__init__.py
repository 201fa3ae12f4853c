"""Charts drawn with matplotlib's Agg backend: PNG and SVG files, nothing fetched."""
