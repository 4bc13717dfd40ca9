"""Streamlit pages of the Lagebild app; each module exposes ``render()`` (listed in ``app_support.pages``)."""
