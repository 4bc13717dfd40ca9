"""Folium layers built from geo results (no Streamlit)."""
