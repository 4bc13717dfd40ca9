"""App-side helpers shared by the Streamlit pages (no page lives here; pages never import each other).

``state``    the store, cached records, sidebar filters and the user of the session
``login``    login (accounts file or OIDC) and the role of the user
``files``    upload limits and download bytes of exports
``mapdata``  the Lagekarte's cached analyses and overlays (map page and HTML export)
"""
