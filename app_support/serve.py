"""The Lagebild app behind its side-door middleware: ``streamlit run app_support/serve.py`` (what ``lagebild app``
starts) serves ``app.py`` as an ``st.App`` with :class:`app_support.side_doors.SideDoors` in front of every
Streamlit route (Host check on HTTP, no ``/_stcore/metrics``, download URLs for the browser that asked only), and
without the Python version and server OS in what every browser session receives.

``streamlit run app.py`` still works (e.g. for development) but without that middleware.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the app's packages (app_support, app_pages, geo, layers) from any start folder
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from app_support.frontend import FrontendFiles  # noqa: E402
from app_support.pages import PAGES  # noqa: E402
from app_support.side_doors import SideDoors, hide_server_versions  # noqa: E402

#: What the first run of the Lagekarte imports (geopandas, scipy, folium, pyogrio and our analyses: about 3 s):
#: imported while the server starts, so the first person to open the app does not wait for it.
#: Only modules without Streamlit calls (their caches must be made inside the running server).
WARM_MODULES = ("geopandas", "pyogrio", "folium", "geo.data.store", "geo.analysis.hotspots", "geo.analysis.density",
                "geo.analysis.forecast", "geo.analysis.placenames", "geo.report.figures", "layers.map",
                "layers.basemap")


def warm_imports() -> None:
    """Import :data:`WARM_MODULES` (the pages keep importing them lazily; then they are already there)."""
    for name in WARM_MODULES:
        importlib.import_module(name)


hide_server_versions()
warm_imports()
app = st.App(ROOT / "app.py", middleware=[Middleware(SideDoors),
                                         Middleware(FrontendFiles, pages=[p.url_path for p in PAGES])])
