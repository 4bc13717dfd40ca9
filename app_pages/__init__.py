"""Streamlit pages of the Lagebild app; each module exposes ``render()``."""
