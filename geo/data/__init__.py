"""Reading, validating, storing, exporting and guarding data. Imports geo.core only."""
