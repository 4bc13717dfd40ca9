"""One line for the handout: where the forecast expects the most events next period, by place name."""

from __future__ import annotations

import geopandas as gpd

from geo.core import fmt

#: Sensitive places within this distance (m) of a forecast cell's centre name it ("bei …") in the handout;
#: without a district, those within the second distance name it "nahe …".
FORECAST_PLACE_RADIUS_M = 150.0
FORECAST_NEAR_RADIUS_M = 500.0


def forecast_places(forecast, *, places: gpd.GeoDataFrame | None = None,
                    districts: gpd.GeoDataFrame | None = None, top: int = 3, context=None) -> list[str]:
    """Names of the forecast's top places, best first, without repeats (at most ``top``).

    ``forecast`` is a :class:`geo.analysis.forecast.ForecastResult`. With a naming ``context``
    (:func:`geo.analysis.placenames.place_context`) a cell is named by its streets and places
    (:func:`geo.analysis.placenames.place_names`); without one by the nearest sensitive place within
    :data:`FORECAST_PLACE_RADIUS_M` (``bei Kita …``), else by its district, else by the nearest
    place within :data:`FORECAST_NEAR_RADIUS_M` (``nahe …``), else ``Zelle <id>``.
    """

    import numpy as np
    import shapely

    cells = forecast.cells.sort_values("rank")
    names: list[str] | None = None
    if context is not None:
        from geo.analysis.placenames import place_names

        names = place_names(cells, context)
    if names is None:
        centres = shapely.centroid(cells.geometry.values)
        names = [f"Zelle {int(c)}" for c in cells["cell_id"]]
        p = None
        if places is not None and len(places):
            p = places.to_crs(cells.crs) if places.crs is not None else places
            ci, pi = shapely.STRtree(p.geometry.values).query_nearest(
                centres, max_distance=FORECAST_NEAR_RADIUS_M, all_matches=False)
            for c, k in zip(ci, pi, strict=True):
                names[c] = f"nahe {p['name'].iloc[k]}"
        if districts is not None and len(districts):
            d = districts.to_crs(cells.crs) if districts.crs is not None else districts
            ci, di = shapely.STRtree(d.geometry.values).query(centres, predicate="within")
            for c, k in zip(ci, di, strict=True):
                names[c] = str(d["name"].iloc[k])
        if p is not None:
            ci, pi = shapely.STRtree(p.geometry.values).query_nearest(
                centres, max_distance=FORECAST_PLACE_RADIUS_M, all_matches=False)
            for c, k in zip(ci, pi, strict=True):
                names[c] = f"bei {p['name'].iloc[k]}"
        names = [str(n) for n in np.asarray(names, dtype=object)]
    out: list[str] = []
    for n in names:
        if n not in out:
            out.append(n)
        if len(out) >= top:
            break
    return out


def forecast_line(forecast, *, places: gpd.GeoDataFrame | None = None,
                  districts: gpd.GeoDataFrame | None = None, top: int = 3, noun: str = "Spritzenfunde",
                  context=None) -> str:
    """One German line: where the most events are expected next period (plain text, not escaped)."""
    names = forecast_places(forecast, places=places, districts=districts, top=top, context=context)
    from geo.analysis.forecast import period_text, share_text

    share = share_text(forecast.share)
    if not names:
        return f"Prognose {forecast.target.label()}: keine Zellen mit erwarteten {noun}."
    method = forecast.method.label(forecast.grid.cell, period_text(forecast.target))  # spans in months, as elsewhere
    return (f"Prognose {forecast.target.label()}: die meisten {noun} werden erwartet: {', '.join(names)} "
            f"({fmt.number(len(forecast.cells))} Zellen, {share} der Fläche; Karte: {method}, rückblickend geprüft).")


