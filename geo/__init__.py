"""Lagebild geodata core: schema, study area, import, store, analysis (no Streamlit, no folium)."""
