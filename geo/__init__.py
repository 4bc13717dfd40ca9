"""Lagebild's geodata side: everything that is not a web page or a map layer (no Streamlit, no folium).

The package has four wings and the command line; arrows point down, never up or sideways:

``geo.core``      the domain's vocabulary: schema (kinds, fields, labels, colours, palettes, CRS constants),
                  study area, periods, errors, grids, point helpers, German formatting. Imports nothing of geo.
``geo.data``      everything that reads, writes or guards data: file readers, import and validation, the
                  store, exports, backup, retention, demo data, roles and accounts. Imports ``geo.core``.
``geo.analysis``  pure statistics on GeoDataFrames and arrays: hotspots, density, comparison, emerging hot
                  spots, measure evaluation, time series, bin coverage and siting. Imports ``geo.core`` only:
                  it never reads a file or the store.
``geo.report``    what a meeting takes home: tables and figures, the static map, the A4 handout.
                  Imports ``geo.analysis``, ``geo.data`` and ``geo.core``.
``geo.cli``       the ``lagebild`` command, one module per subcommand; wires the wings together.

No wing imports a private (``_``-prefixed) name of another; ``tests/test_architecture.py`` checks both rules.
``layers/`` (folium) and the app sit above all of this. See ``docs/architecture.md``.
"""
