"""The domain vocabulary: schema, study area, periods, errors, grids, formatting. Imports nothing of geo."""
