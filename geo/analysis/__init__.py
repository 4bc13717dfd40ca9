"""Pure analyses on GeoDataFrames and arrays (no files, no store). Imports geo.core only."""
