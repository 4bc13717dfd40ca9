"""Lagebild – Streamlit app (placeholder until the map app lands)."""

import streamlit as st

st.set_page_config(page_title="Lagebild", layout="wide")
st.title("Lagebild Leipziger Osten")
