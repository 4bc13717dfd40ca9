"""Did a measure work? Before/after with a control area, and the displacement check.

For one measure (a disposal bin, a greenery cut, police presence, …) starting on day
``s`` three areas are drawn in the metric CRS (EPSG:25833), all clipped to the study area:

* **treated area** ``T``: the measure's geometry buffered by ``radius_m`` (default 150 m
  around points and lines, polygons as they are);
* **buffer ring** ``D``: the ring of width ``buffer_m`` (default 300 m, a few minutes'
  walk) around it, where a scene could move to (displacement) or also improve (diffusion
  of benefits). The ring must reach as far as a scene would plausibly move: the demo's
  Rabet scene moves about 450 m north, which a 500 m ring around the police area shows
  as displacement while a 300 m ring does not;
* **control area** ``C``: the rest of the study area (default) or a ring of width
  ``control_width_m`` beyond the buffer ring.

Events (records of one report kind) are counted in two windows of equal length ``w``:
before ``[s − w, s)`` and after ``[s, s + w)``. ``w`` is ``window_days`` (default 180),
shortened so that both windows lie within the data and, for measures with an end date,
the after window within the measure's duration. Counts: ``T0, T1, D0, D1, C0, C1``.

Statistics
----------
* **Difference-in-differences** (ratio form, Poisson): ``R = (T1/T0) / (C1/C0)`` with the
  confidence interval ``exp(log R ± z · sqrt(1/T0 + 1/T1 + 1/C0 + 1/C1))``; ``R < 1``
  means the treated area fell relative to the control. In counts:
  ``T1 − T0 · C1/C0`` (observed minus expected after). With a zero count, 0.5 is added
  to all four counts.
* **WDQ** (weighted displacement quotient, Bowers & Johnson 2003):
  ``WDQ = (D1/C1 − D0/C0) / (T1/C1 − T0/C0)``; only meaningful when the denominator is
  negative (the measure worked). ``WDQ < 0``: displacement (``< −1``: more displaced than
  prevented); ``WDQ > 0``: diffusion of benefits; about 0: neither.
* **WDD** (weighted displacement difference, Wheeler & Ratcliffe 2018):
  ``WDD = ΔT − ΔC`` with ``Δ = after − before`` and Poisson variance
  ``T0 + T1 + C0 + C1``; :func:`wdd` implements the general form with displacement areas
  and time/area weights (like ``ptools::wdd``). In an evaluation the control's change is
  scaled to the treated area's size (area weight); the displacement version adds the
  buffer ring: ``(ΔT + ΔD) − ΔC · (a_T + a_D) / a_C`` – the net effect after displacement.

Verdict (:data:`VERDICTS`)
--------------------------
1. ``not_evaluable`` when the windows are shorter than :data:`MIN_WINDOW_DAYS` days or
   there is no event before the measure in the treated area;
2. ``no_effect`` unless the DiD interval lies entirely below 1;
3. otherwise the buffer ring is compared with the control the same way
   (``(D1/D0) / (C1/C0)`` with its interval): entirely above 1 → ``displacement``
   (WDQ < 0), entirely below 1 → ``diffusion`` (diffusion of benefits, WDQ > 0), else
   ``effect``.

Events are counted as records (finds, not syringes): the tests assume Poisson counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.special import ndtr, ndtri

from geo.analysis.hotspots import boundary_geometry
from geo.analysis.timeseries import data_period, event_arrays, treated_radius, zone_counts
from geo.core.area import DEFAULT_CRS
from geo.core.errors import UserError
from geo.core.period import Period
from geo.core.schema import (
    CONTROL_WIDTH_M,
    EVALUATION_AREAS,
    EVALUATION_BUFFER_M,
    EVALUATION_VERDICTS,
    RECORD_ID,
    get_kind,
)

DEFAULT_BUFFER_M = EVALUATION_BUFFER_M
DEFAULT_WINDOW_DAYS = 180
DEFAULT_CONTROL_WIDTH_M = CONTROL_WIDTH_M
#: Shortest window (days) an evaluation accepts.
MIN_WINDOW_DAYS = 28
DEFAULT_ALPHA = 0.05
CONTROLS: dict[str, str] = {"rest": "übriges Gebiet", "ring": "Ring um den Pufferring"}

#: Verdict code → (German label, colour, German explanation), from the schema.
VERDICTS = EVALUATION_VERDICTS
#: Area roles → German names.
AREA_NAMES: dict[str, str] = {role: label for role, (label, _) in EVALUATION_AREAS.items()}


# ---------------------------------------------------------------------------- statistics
def _z(alpha: float) -> float:
    return float(ndtri(1.0 - alpha / 2.0))


def wdd(control: Sequence[float], treated: Sequence[float], disp_control: Sequence[float] = (0, 0),
        disp_treated: Sequence[float] = (0, 0), time_weights: Sequence[float] = (1, 1),
        area_weights: Sequence[float] = (1, 1, 1, 1), alpha: float = 0.1) -> dict[str, float]:
    """Weighted displacement difference test (Wheeler & Ratcliffe 2018), as ``ptools::wdd``.

    Parameters
    ----------
    control, treated, disp_control, disp_treated : counts ``(before, after)`` in the control
        area, the treated area and the displacement areas around them.
    time_weights : lengths ``(before, after)`` of the windows; counts are divided by them.
    area_weights : sizes ``(control, treated, disp_control, disp_treated)``; each area's
        counts are divided by its weight.
    alpha : the confidence interval is ``1 − alpha``.

    Returns
    -------
    dict: ``est_local`` = ΔT − ΔC, ``se_local``, ``est_displace`` = ΔD_T − ΔD_C,
    ``se_displace``, ``est_total``, ``se_total``, ``z`` = est_total / se_total, ``p``
    (two-sided), ``ci_low``, ``ci_high`` (of ``est_total``). Variances are Poisson: the
    weighted sum of all eight counts.
    """
    tw0, tw1 = (float(v) for v in time_weights)
    aw = [float(v) for v in area_weights]

    def delta(pair: Sequence[float], a: float) -> tuple[float, float]:
        pre, post = (float(v) for v in pair)
        return (post / tw1 - pre / tw0) / a, (post / tw1**2 + pre / tw0**2) / a**2

    dc, vc = delta(control, aw[0])
    dt, vt = delta(treated, aw[1])
    ddc, vdc = delta(disp_control, aw[2])
    ddt, vdt = delta(disp_treated, aw[3])
    est_local, est_disp = dt - dc, ddt - ddc
    se_local, se_disp = math.sqrt(vt + vc), math.sqrt(vdt + vdc)
    est, se = est_local + est_disp, math.sqrt(vt + vc + vdt + vdc)
    z = est / se if se > 0 else 0.0
    half = _z(alpha) * se
    return {"est_local": est_local, "se_local": se_local, "est_displace": est_disp, "se_displace": se_disp,
            "est_total": est, "se_total": se, "z": z, "p": float(2.0 * ndtr(-abs(z))),
            "ci_low": est - half, "ci_high": est + half}


def wdq(treated: Sequence[float], buffer: Sequence[float], control: Sequence[float]) -> float:
    """Weighted displacement quotient (Bowers & Johnson 2003).

    ``(D1/C1 − D0/C0) / (T1/C1 − T0/C0)`` for counts ``(before, after)`` of the treated
    area ``T``, the buffer ``D`` and the control ``C``. NaN when a control count or the
    denominator is 0. Meaningful only when the denominator is negative (success):
    ``< 0`` displacement, ``> 0`` diffusion of benefits, ``< −1`` displacement larger than
    the direct effect, ``> 1`` diffusion larger than the direct effect.
    """
    t0, t1 = (float(v) for v in treated)
    d0, d1 = (float(v) for v in buffer)
    c0, c1 = (float(v) for v in control)
    if c0 <= 0 or c1 <= 0:
        return math.nan
    den = t1 / c1 - t0 / c0
    return (d1 / c1 - d0 / c0) / den if den != 0 else math.nan


def did_ratio(treated: Sequence[float], control: Sequence[float], alpha: float = DEFAULT_ALPHA) -> dict[str, float]:
    """Difference-in-differences as a ratio of rate ratios, with a Poisson confidence interval.

    Parameters
    ----------
    treated, control : counts ``(before, after)`` in windows of equal length.
    alpha : the interval is ``1 − alpha`` (default 95 %).

    Returns
    -------
    dict: ``ratio`` = (T1/T0)/(C1/C0), ``ci_low``, ``ci_high``, ``p`` (two-sided z-test of
    log ratio = 0), ``change_pct`` = 100 (ratio − 1), ``expected`` = T0 · C1/C0 (after count
    expected from the control's trend), ``difference`` = T1 − expected. With a zero among
    the four counts 0.5 is added to each (``corrected`` = 1).
    """
    counts = np.array([*treated, *control], dtype=float)
    corrected = bool((counts <= 0).any())
    t0, t1, c0, c1 = counts + 0.5 if corrected else counts
    log_r = math.log(t1 / t0) - math.log(c1 / c0)
    se = math.sqrt(1 / t0 + 1 / t1 + 1 / c0 + 1 / c1)
    half = _z(alpha) * se
    expected = counts[0] * counts[3] / counts[2] if counts[2] > 0 else math.nan
    return {"ratio": math.exp(log_r), "ci_low": math.exp(log_r - half), "ci_high": math.exp(log_r + half),
            "p": float(2.0 * ndtr(-abs(log_r / se))), "change_pct": 100.0 * (math.exp(log_r) - 1.0),
            "expected": expected, "difference": counts[1] - expected, "corrected": float(corrected)}


def verdict(did: dict[str, float], buffer_did: dict[str, float]) -> str:
    """Verdict code from the DiD of the treated area and of the buffer ring (rules in the module docstring)."""
    if not did["ci_high"] < 1.0:
        return "no_effect"
    if buffer_did["ci_low"] > 1.0:
        return "displacement"
    if buffer_did["ci_high"] < 1.0:
        return "diffusion"
    return "effect"


# ---------------------------------------------------------------------------- areas and windows
def measure_areas(geometry: shapely.Geometry, boundary: shapely.Geometry, *, radius_m: float | None = None,
                  buffer_m: float = DEFAULT_BUFFER_M, control: str = "rest",
                  control_width_m: float = DEFAULT_CONTROL_WIDTH_M, crs: str = DEFAULT_CRS) -> gpd.GeoDataFrame:
    """Treated area, buffer ring and control area of a measure (metric CRS, clipped to ``boundary``).

    Parameters
    ----------
    geometry : the measure's geometry (point, line or polygon) in ``crs``.
    boundary : study area polygon in ``crs``.
    radius_m : radius of the treated area (see :func:`geo.analysis.timeseries.treated_radius`).
    buffer_m : width of the buffer ring in metres (> 0).
    control : ``"rest"`` (study area outside treated area and ring) or ``"ring"``.
    control_width_m : width of the control ring beyond the buffer ring (``control="ring"``).

    Returns
    -------
    GeoDataFrame with ``role`` (treated, buffer, control), ``name`` (German), ``area_km2``
    and the polygons.
    """
    if control not in CONTROLS:
        raise UserError(f"Unbekanntes Kontrollgebiet '{control}'; möglich: {', '.join(CONTROLS)}.")
    if not (buffer_m > 0 and math.isfinite(buffer_m)):
        raise UserError(f"Ungültige Pufferbreite {buffer_m!r} m; sie muss größer als 0 sein.")
    radius = float(treated_radius(geometry.geom_type, radius_m)[0])
    treated = shapely.buffer(geometry, radius) if radius > 0 else geometry
    if shapely.area(treated) <= 0:
        raise UserError("Das Maßnahmengebiet hat keine Fläche; bitte einen Radius größer als 0 m angeben.")
    region = shapely.make_valid(boundary)
    outer = shapely.buffer(treated, buffer_m)
    ring = shapely.difference(outer, treated)
    if control == "rest":
        ctrl = shapely.difference(region, outer)
    else:
        if not (control_width_m > 0 and math.isfinite(control_width_m)):
            raise UserError(f"Ungültige Breite des Kontrollrings {control_width_m!r} m.")
        ctrl = shapely.difference(shapely.buffer(treated, buffer_m + control_width_m), outer)
    geoms = shapely.intersection(np.array([treated, ring, ctrl], dtype=object), region)
    roles = list(AREA_NAMES)
    return gpd.GeoDataFrame({"role": roles, "name": [AREA_NAMES[r] for r in roles],
                             "area_km2": shapely.area(geoms) / 1e6}, geometry=geoms, crs=crs)


def evaluation_windows(start: date, *, end: date | None = None, window_days: int = DEFAULT_WINDOW_DAYS,
                       data: Period | None = None) -> tuple[Period | None, Period | None, list[str]]:
    """Before and after windows of equal length around a measure's start.

    Returns ``(before, after, notes)``; both ``None`` when less than
    :data:`MIN_WINDOW_DAYS` days are available. ``notes`` (German) say why a window was
    shortened.
    """
    if window_days < 1:
        raise UserError("Das Zeitfenster muss mindestens einen Tag lang sein.")
    w, notes = int(window_days), []
    if end is not None and end >= start and (end - start).days + 1 < w:
        w = (end - start).days + 1
        notes.append(f"Zeitfenster auf die Dauer der Maßnahme gekürzt ({w} Tage).")
    if data is not None:
        before_avail, after_avail = (start - data.start).days, (data.end - start).days + 1
        if min(before_avail, after_avail) < w:
            w = max(min(before_avail, after_avail), 0)
            notes.append(f"Zeitfenster auf die vorhandenen Daten gekürzt ({w} Tage).")
    if w < MIN_WINDOW_DAYS:
        notes.append(f"Weniger als {MIN_WINDOW_DAYS} Tage vor oder nach der Maßnahme – nicht auswertbar.")
        return None, None, notes
    before = Period(start - timedelta(days=w), start - timedelta(days=1))
    return before, Period(start, start + timedelta(days=w - 1)), notes


# ---------------------------------------------------------------------------- evaluation
@dataclass(frozen=True, eq=False)
class MeasureEvaluation:
    """Result of :func:`evaluate_measure`.

    Attributes
    ----------
    measure : the measure's row of :func:`geo.analysis.timeseries.measure_table` (``record_id``,
        ``kind``, ``title``, ``start``, ``end``, geometry).
    kind : the report kind counted.
    areas : treated area, buffer ring, control (:func:`measure_areas`).
    before, after : the windows (``None`` when not evaluable).
    counts : DataFrame indexed by role (treated, buffer, control) with ``name``,
        ``area_km2``, ``before``, ``after``, ``change`` (after − before).
    did, buffer_did : :func:`did_ratio` of the treated area and of the buffer ring vs control.
    wdd_local, wdd_net : :func:`wdd` without and with the buffer ring (control scaled by area).
    wdq : :func:`wdq`.
    verdict : code in :data:`VERDICTS`.
    notes : German remarks (shortened windows, …).
    """

    measure: pd.Series
    kind: str
    areas: gpd.GeoDataFrame
    before: Period | None
    after: Period | None
    counts: pd.DataFrame
    did: dict[str, float] = field(default_factory=dict)
    buffer_did: dict[str, float] = field(default_factory=dict)
    wdd_local: dict[str, float] = field(default_factory=dict)
    wdd_net: dict[str, float] = field(default_factory=dict)
    wdq: float = math.nan
    verdict: str = "not_evaluable"
    notes: tuple[str, ...] = ()

    @property
    def verdict_label(self) -> str:
        """German verdict (Wirkung, Verdrängung, Ausstrahlung, kein Effekt, nicht auswertbar)."""
        return VERDICTS[self.verdict][0]

    @property
    def window_days(self) -> int:
        return self.after.days if self.after is not None else 0

    def summary(self) -> dict[str, object]:
        """One flat row for tables and exports (numbers unrounded)."""
        c = self.counts
        row: dict[str, object] = {
            RECORD_ID: self.measure.get(RECORD_ID, ""), "measure": self.measure.get("title", ""),
            "measure_kind": self.measure.get("kind", ""), "start": self.measure.get("start"),
            "report_kind": self.kind, "window_days": self.window_days,
            "before": str(self.before) if self.before else "", "after": str(self.after) if self.after else "",
        }
        for role in AREA_NAMES:
            row[f"{role}_before"] = int(c.at[role, "before"])
            row[f"{role}_after"] = int(c.at[role, "after"])
        row |= {f"did_{k}": self.did.get(k, math.nan) for k in ("ratio", "ci_low", "ci_high", "p")}
        row |= {f"buffer_did_{k}": self.buffer_did.get(k, math.nan) for k in ("ratio", "ci_low", "ci_high", "p")}
        row |= {f"wdd_{k}": self.wdd_local.get(k, math.nan) for k in ("est_total", "se_total", "z", "p")}
        row |= {f"wdd_net_{k}": self.wdd_net.get(k, math.nan) for k in ("est_total", "se_total", "z", "p")}
        row |= {"wdq": self.wdq, "verdict": self.verdict, "verdict_label": self.verdict_label,
                "notes": " ".join(self.notes)}
        return row


def evaluate_measure(
    measure: pd.Series,
    records: gpd.GeoDataFrame,
    kind: str,
    boundary: shapely.Geometry,
    *,
    radius_m: float | None = None,
    buffer_m: float = DEFAULT_BUFFER_M,
    window_days: int = DEFAULT_WINDOW_DAYS,
    control: str = "rest",
    control_width_m: float = DEFAULT_CONTROL_WIDTH_M,
    data: Period | None = None,
    alpha: float = DEFAULT_ALPHA,
    crs: str = DEFAULT_CRS,
) -> MeasureEvaluation:
    """Evaluate one measure: before/after in treated area, buffer ring and control.

    Parameters
    ----------
    measure : one row of :func:`geo.analysis.timeseries.measure_table` (``start``, ``end``,
        geometry in ``crs``).
    records : event records of ``kind`` (all dates; metric CRS, reprojected to ``crs``).
    kind : report kind counted (as records).
    boundary : study area polygon in ``crs`` (a :class:`~geo.core.area.StudyArea` is accepted).
    radius_m, buffer_m, control, control_width_m : see :func:`measure_areas`.
    window_days : length of each window in days (shortened, see :func:`evaluation_windows`).
    data : period the data cover (default: first to last event of ``records``).
    alpha : confidence intervals are ``1 − alpha``.
    crs : metric CRS.

    Returns
    -------
    MeasureEvaluation
    """
    boundary, area_crs = boundary_geometry(boundary)
    crs = area_crs or crs
    get_kind(kind)
    areas = measure_areas(measure.geometry, boundary, radius_m=radius_m, buffer_m=buffer_m, control=control,
                          control_width_m=control_width_m, crs=crs)
    start = pd.Timestamp(measure["start"]).date()
    end = None if pd.isna(measure.get("end")) else pd.Timestamp(measure["end"]).date()
    before, after, notes = evaluation_windows(start, end=end, window_days=window_days,
                                              data=data or data_period(records, kind))
    x, y, t, _ = event_arrays(records, kind, crs)
    counts = areas[["role", "name", "area_km2"]].set_index("role")
    for col, window in (("before", before), ("after", after)):
        mask = window.contains(t) if window is not None and len(t) else np.zeros(len(t), dtype=bool)
        counts[col] = zone_counts(areas, x[mask], y[mask]).astype(np.int64)
    counts["change"] = counts["after"] - counts["before"]
    result = dict(measure=measure, kind=kind, areas=areas, before=before, after=after, counts=counts)
    if before is None:
        return MeasureEvaluation(**result, notes=tuple(notes))
    (t0, t1), (d0, d1), (c0, c1) = (tuple(counts.loc[r, ["before", "after"]]) for r in AREA_NAMES)
    if t0 == 0 or c0 == 0:
        notes.append("Vor der Maßnahme keine Ereignisse im Maßnahmen- oder Kontrollgebiet – nicht auswertbar.")
        return MeasureEvaluation(**result, notes=tuple(notes))
    a_t, a_d, a_c = (float(counts.at[r, "area_km2"]) for r in AREA_NAMES)
    did = did_ratio((t0, t1), (c0, c1), alpha)
    buffer_did = did_ratio((d0, d1), (c0, c1), alpha)
    wdd_local = wdd((c0, c1), (t0, t1), area_weights=(a_c / a_t, 1, 1, 1), alpha=alpha)
    wdd_net = wdd((c0, c1), (t0 + d0, t1 + d1), area_weights=(a_c / (a_t + a_d), 1, 1, 1), alpha=alpha)
    q = wdq((t0, t1), (d0, d1), (c0, c1))
    code = verdict(did, buffer_did)
    if code == "displacement" and q < -1:
        notes.append("Die Verdrängung ist größer als die Wirkung im Maßnahmengebiet (WDQ < −1).")
    if code == "no_effect" and did["ci_low"] > 1:
        notes.append("Im Maßnahmengebiet sind die Ereignisse gegenüber dem Kontrollgebiet sogar gestiegen.")
    return MeasureEvaluation(**result, did=did, buffer_did=buffer_did, wdd_local=wdd_local, wdd_net=wdd_net,
                             wdq=q, verdict=code, notes=tuple(notes))


def evaluate_measures(measures: gpd.GeoDataFrame, records: gpd.GeoDataFrame, kind: str, boundary,
                      **options) -> pd.DataFrame:
    """:func:`evaluate_measure` for every row of a measure table; one :meth:`MeasureEvaluation.summary` row each.

    Measures whose areas cannot be built (e.g. a point with radius 0) get the verdict
    ``not_evaluable`` and the reason in ``notes``.
    """
    if "data" not in options:
        options["data"] = data_period(records, kind)
    rows = []
    for _, row in measures.iterrows():  # one evaluation per measure (a handful), each vectorised
        try:
            rows.append(evaluate_measure(row, records, kind, boundary, **options).summary())
        except UserError as exc:
            rows.append({RECORD_ID: row.get(RECORD_ID, ""), "measure": row.get("title", ""),
                         "measure_kind": row.get("kind", ""), "start": row.get("start"), "report_kind": kind,
                         "verdict": "not_evaluable", "verdict_label": VERDICTS["not_evaluable"][0],
                         "notes": str(exc)})
    return pd.DataFrame(rows)


def find_measure(measures: gpd.GeoDataFrame, ident: str) -> pd.Series:
    """The measure whose ``record_id`` equals ``ident`` or starts with it (unique prefix), else whose name does.

    Names match case-insensitively: first the whole name, then a part of it ("Torgauer Platz").

    Raises
    ------
    UserError
        No measure, or the ID prefix or name matches several (German message listing them).
    """
    ident = str(ident).strip()
    if not ident:
        raise UserError("Bitte eine Maßnahmen-ID oder einen Namen angeben.")
    ids = measures[RECORD_ID].astype("string").str.lower().fillna("")
    titles = measures["title"].astype("string").str.casefold().fillna("") if "title" in measures else ids * 0
    key = ident.lower()
    for hit in (ids == key, ids.str.startswith(key), titles == ident.casefold(),
                titles.str.contains(ident.casefold(), regex=False)):
        hits = measures[hit.fillna(False).to_numpy()]
        if len(hits) == 1:
            return hits.iloc[0]
        if len(hits) > 1:
            listed = "; ".join(f"{r[RECORD_ID][:8]} {r.get('title', '')}" for _, r in hits.head(5).iterrows())
            raise UserError(f"'{ident}' passt auf {len(hits)} Maßnahmen ({listed}); bitte genauer angeben.")
    raise UserError(f"Keine Maßnahme mit der ID oder dem Namen '{ident}' gefunden.")


__all__ = [
    "AREA_NAMES", "CONTROLS", "DEFAULT_BUFFER_M", "DEFAULT_WINDOW_DAYS", "MIN_WINDOW_DAYS", "MeasureEvaluation",
    "VERDICTS", "did_ratio", "evaluate_measure", "evaluate_measures", "evaluation_windows", "find_measure",
    "measure_areas", "verdict", "wdd", "wdq",
]
