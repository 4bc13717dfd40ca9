"""When things happen: weekday × hour tables with aoristic weighting, suggested time slots, two periods compared.

The heat table
--------------
A :class:`TimeTable` holds a 7 × 24 table (rows Monday … Sunday, columns the wall-clock hours
0 … 23 of the study area's time zone, ``Europe/Berlin`` for Leipzig). Each record carries the
weight 1 (or its own weight) and is spread over the hours it could have happened in
(**aoristic weighting**, Ratcliffe 2000/2002):

* a record with a **time window** ``[time_from, time_to]`` (columns of the team contract; naive
  local datetimes) gives every hour ``h`` the share of the window's real duration that falls into
  ``h``:

  .. math::  w_h = w \\cdot \\frac{|[t_{from}, t_{to}] \\cap h|}{t_{to} - t_{from}}

  so a window 23:30–01:30 gives ¼ to 23 h, ½ to 0 h (next day) and ¼ to 1 h;
* a record with a **point time** (no window, or ``time_from == time_to``) puts its whole weight into
  its hour;
* a record with **only a date** (``date_only`` true: the source gave no time of day) is *not*
  put at 00:00: it is counted apart, per weekday (:attr:`TimeTable.date_only`);
* a record without any usable time (NaT) is counted in :attr:`TimeTable.n_undated`.

``table.sum() == n_windowed + n_point`` (weighted: the records' weights), so the table's total
equals the number of records it stands for.

Daylight saving time and the computation: see :mod:`geo.analysis.aoristic`.

Suggested time slots
--------------------
:func:`suggest_slots` picks the ``k`` blocks of ``block_hours`` hours (blocks aligned at 0, 2, 4 …
per weekday) that hold the most weight — blocks do not overlap, so the ``k`` largest are the best
choice — and says it in one German sentence ("Di–Fr 18–22 Uhr: 41 % der Funde am Rabet").

Two periods
-----------
:func:`compare_patterns` compares the shares per hour of day and per weekday of two tables:
the differences in percentage points, the share of the pattern that moved (total variation
distance ½ Σ |a_h − b_h|) and a chi-square test of homogeneity on the hour-of-day profile
(approximate: aoristic weights are fractional).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analysis.aoristic import aoristic_hours
from geo.core import fmt
from geo.core.area import DEFAULT_TIMEZONE
from geo.core.errors import UserError
from geo.core.quality import spatial_records
from geo.core.schema import DATE_ONLY, TIME_FROM, TIME_TO, get_kind

#: German short weekday names, Monday first (``datetime.weekday()`` order).
WEEKDAYS: tuple[str, ...] = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
WEEKDAY_NAMES: tuple[str, ...] = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
HOURS: tuple[int, ...] = tuple(range(24))



# ---------------------------------------------------------------------------- formatting
def timezone_of(area: object | None) -> str:
    """The study area's time zone name (``area.timezone``), default :data:`DEFAULT_TIMEZONE`."""
    tz = getattr(area, "timezone", None) or DEFAULT_TIMEZONE
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"Unbekannte Zeitzone '{tz}' (erwartet z. B. Europe/Berlin).") from None
    return str(tz)


# ---------------------------------------------------------------------------- result object
@dataclass(frozen=True, eq=False)
class TimeTable:
    """Weekday × hour table of one set of records (:func:`time_table`).

    Attributes
    ----------
    table : float64 (7, 24), Monday … Sunday × 0 … 23 h (wall clock of ``timezone``).
    date_only : float64 (7,): weight of the records with a date only, per weekday (not in ``table``).
    n_records : all records given.
    n_windowed : records spread over a time window (> 0 long).
    n_point : records with a point time.
    n_date_only : records with a date only (counted apart).
    n_undated : records without a usable time.
    timezone : IANA name of the wall clock.
    start, end : the inputs: naive local ``datetime64[ns]`` per record (window or point; NaT when
        undated).
    is_date_only : the input flag per record.
    weights : the input weight per record.
    label : German plural of what is counted (e.g. ``"Spritzenfunde"``).
    """

    table: np.ndarray
    date_only: np.ndarray
    n_records: int
    n_windowed: int
    n_point: int
    n_date_only: int
    n_undated: int
    timezone: str = DEFAULT_TIMEZONE
    start: np.ndarray = field(default_factory=lambda: np.array([], dtype="datetime64[ns]"), repr=False)
    end: np.ndarray = field(default_factory=lambda: np.array([], dtype="datetime64[ns]"), repr=False)
    is_date_only: np.ndarray = field(default_factory=lambda: np.array([], dtype=bool), repr=False)
    weights: np.ndarray = field(default_factory=lambda: np.array([]), repr=False)
    label: str = "Meldungen"

    @property
    def total(self) -> float:
        """Sum of the table (= weight of the records with a time)."""
        return float(self.table.sum())

    def frame(self) -> pd.DataFrame:
        """The table in long form: ``weekday`` (Mo … So), ``hour`` (0 … 23), ``weight`` (168 rows)."""
        return pd.DataFrame({"weekday": np.repeat(WEEKDAYS, 24), "hour": np.tile(np.arange(24), 7),
                             "weight": self.table.reshape(-1)})

    def wide(self) -> pd.DataFrame:
        """The table as 7 rows (Mo … So) × 24 columns (0 … 23)."""
        return pd.DataFrame(self.table, index=list(WEEKDAYS), columns=list(HOURS))

    def by_hour(self) -> np.ndarray:
        """Weight per hour of day (24,)."""
        return self.table.sum(axis=0)

    def by_weekday(self) -> np.ndarray:
        """Weight per weekday (7,), without the date-only records."""
        return self.table.sum(axis=1)

    def share(self, weekdays, hours) -> float:
        """Share (0–1) of the table's total in the given weekdays (0 = Mo) and hours."""
        if self.total <= 0:
            return float("nan")
        return float(self.table[np.ix_(list(weekdays), list(hours))].sum() / self.total)

    def summary(self) -> str:
        """One German line: how many records, how they were counted."""
        parts = [f"{fmt.number(self.n_records)} {self.label}"]
        if self.n_windowed:
            parts.append(f"{fmt.number(self.n_windowed)} mit Zeitfenster (anteilig auf die Stunden verteilt)")
        if self.n_point:
            parts.append(f"{fmt.number(self.n_point)} mit Uhrzeit")
        if self.n_date_only:
            parts.append(f"{fmt.number(self.n_date_only)} nur mit Datum (gesondert gezählt, nicht um 0 Uhr)")
        if self.n_undated:
            parts.append(f"{fmt.number(self.n_undated)} ohne Zeitangabe")
        return ": ".join([parts[0], ", ".join(parts[1:])]) if len(parts) > 1 else parts[0]


def _column(records: pd.DataFrame, name: str, n: int) -> np.ndarray:
    if name not in records:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    return pd.to_datetime(records[name], errors="coerce").to_numpy(dtype="datetime64[ns]")


def time_table(records: pd.DataFrame, kind: str, *, timezone: str = DEFAULT_TIMEZONE,
               weight: str | None = None) -> TimeTable:
    """Weekday × hour table of report records with aoristic weighting.

    Parameters
    ----------
    records : records of ``kind``; optional columns ``time_from``, ``time_to`` (naive local,
        NaT = not given) and ``date_only`` (bool) — missing columns mean "no window" / False.
    kind : report kind; its ``date_field`` is the point time when a record has no window.
    timezone : the study area's time zone (:func:`timezone_of`).
    weight : column to spread instead of 1 per record (e.g. ``"count"``; missing values = 1).

    Window rule per record: ``start = time_from`` if given else the date field, ``end = time_to``
    if given else the date field; ``end < start`` (contradictory) falls back to the date field as a
    point time.
    """
    k = get_kind(kind)
    n = len(records)
    if k.date_field is None:
        raise UserError(f"{k.label_plural} haben keine Zeitangabe.")
    t = _column(records, k.date_field, n)
    t_from, t_to = _column(records, TIME_FROM, n), _column(records, TIME_TO, n)
    start = np.where(np.isnat(t_from), t, t_from)
    end = np.where(np.isnat(t_to), t, t_to)
    bad = ~np.isnat(start) & ~np.isnat(end) & (end < start)
    start = np.where(bad, t, start)
    end = np.where(bad, t, end)
    one_missing = np.isnat(start) ^ np.isnat(end)  # window with one end only and no date: a point
    start = np.where(one_missing & np.isnat(start), end, start)
    end = np.where(one_missing & np.isnat(end), start, end)
    if DATE_ONLY in records:
        flag = records[DATE_ONLY].astype("boolean").fillna(False).to_numpy(dtype=bool)
    else:
        flag = np.zeros(n, dtype=bool)
    if weight is not None and weight in records:
        w = pd.to_numeric(records[weight], errors="coerce").fillna(1.0).to_numpy(dtype=float)
    else:
        w = np.ones(n)
    return table_from_arrays(start, end, flag, w, timezone=timezone, label=k.label_plural)


def table_from_arrays(start: np.ndarray, end: np.ndarray, date_only: np.ndarray | None = None,
                      weights: np.ndarray | None = None, *, timezone: str = DEFAULT_TIMEZONE,
                      label: str = "Meldungen") -> TimeTable:
    """:class:`TimeTable` from plain arrays (naive local ``datetime64``; NaT = no time).

    A record flagged ``date_only`` is counted apart (on the weekday of ``start``) even when it has a
    window: the flag says the source gave no time of day.
    """
    start = np.asarray(start, dtype="datetime64[ns]")
    end = np.asarray(end, dtype="datetime64[ns]")
    n = len(start)
    flag = np.zeros(n, dtype=bool) if date_only is None else np.asarray(date_only, dtype=bool)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    undated = np.isnat(start) | np.isnat(end)
    apart = flag & ~undated
    timed = ~flag & ~undated
    table = aoristic_hours(start[timed], end[timed], w[timed], timezone)
    day = np.asarray(start[apart], dtype="datetime64[D]").astype(np.int64)
    date_only_w = np.bincount((day + 3) % 7, weights=w[apart], minlength=7).astype(float)
    windowed = timed & (end > start)
    return TimeTable(
        table=table, date_only=date_only_w, n_records=n, n_windowed=int(windowed.sum()),
        n_point=int((timed & ~windowed).sum()), n_date_only=int(apart.sum()), n_undated=int(undated.sum()),
        timezone=timezone, start=start, end=end, is_date_only=flag, weights=w, label=label,
    )


# ---------------------------------------------------------------------------- places
def records_inside(records: gpd.GeoDataFrame, zone: shapely.Geometry) -> gpd.GeoDataFrame:
    """Records whose point lies in ``zone`` (same CRS; points on the edge count as inside)."""
    records, _ = spatial_records(records)  # a record on a fallback point ("Sammelpunkt") is at no place
    if not len(records):
        return records
    geoms = np.asarray(records.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    inside = np.zeros(len(records), dtype=bool)
    prepared = shapely.buffer(zone, 0) if not zone.is_valid else zone
    shapely.prepare(prepared)
    inside[ok] = shapely.intersects(prepared, geoms[ok])
    return records.loc[inside]


def tables_by_zone(records: gpd.GeoDataFrame, kind: str, zones: gpd.GeoDataFrame, *,
                   timezone: str = DEFAULT_TIMEZONE, name: str = "zone") -> dict[str, TimeTable]:
    """A :class:`TimeTable` per zone (small multiples): ``zones[name]`` → table of the records inside."""
    return {str(z[name]): time_table(records_inside(records, z.geometry), kind, timezone=timezone)
            for _, z in zones.iterrows()}


# ---------------------------------------------------------------------------- suggested slots
@dataclass(frozen=True, eq=False)
class SlotSuggestion:
    """The ``k`` hour blocks with the most weight (:func:`suggest_slots`).

    Attributes
    ----------
    blocks : DataFrame ``weekday`` (0 = Mo), ``day`` (Mo …), ``start_hour``, ``end_hour``, ``weight``,
        ``share`` (0–1 of the table's total), best first.
    share : share of the table's total in all chosen blocks (0–1).
    sentence : the plain German sentence.
    k, block_hours : the inputs.
    """

    blocks: pd.DataFrame
    share: float
    sentence: str
    k: int
    block_hours: int


def _day_ranges(days: list[int]) -> str:
    """``[1, 2, 3, 4]`` → ``"Di–Fr"``, ``[0, 2]`` → ``"Mo, Mi"``, ``[5, 6]`` → ``"Sa, So"``."""
    days = sorted(days)
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for r in runs:
        if len(r) >= 3:
            parts.append(f"{WEEKDAYS[r[0]]}–{WEEKDAYS[r[-1]]}")
        else:
            parts.extend(WEEKDAYS[d] for d in r)
    return ", ".join(parts)


def _hour_ranges(hours: list[tuple[int, int]]) -> str:
    """Merged contiguous blocks: ``[(18, 20), (20, 22)]`` → ``"18–22 Uhr"``."""
    merged: list[list[int]] = []
    for a, b in sorted(hours):
        if merged and a == merged[-1][1]:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return " und ".join(f"{a}–{b}" for a, b in merged) + " Uhr"


def slot_phrase(blocks: pd.DataFrame) -> str:
    """The chosen blocks in German: days with the same hours grouped (``"Di–Fr 18–22 Uhr; Sa 20–24 Uhr"``)."""
    per_day: dict[int, list[tuple[int, int]]] = {}
    for r in blocks.itertuples():
        per_day.setdefault(int(r.weekday), []).append((int(r.start_hour), int(r.end_hour)))
    groups: dict[str, list[int]] = {}
    for day, hours in per_day.items():
        groups.setdefault(_hour_ranges(hours), []).append(day)
    ordered = sorted(groups.items(), key=lambda g: min(g[1]))
    return "; ".join(f"{_day_ranges(days)} {hours}" for hours, days in ordered)


def suggest_slots(table: TimeTable, k: int = 8, block_hours: int = 2, *, where: str = "") -> SlotSuggestion:
    """The ``k`` weekday hour blocks that cover the most events, with a German sentence.

    Parameters
    ----------
    table : the place's :class:`TimeTable`.
    k : number of blocks (1 … 7 · 24 / block_hours).
    block_hours : block length; must divide 24 (blocks start at 0, ``block_hours``, …).
    where : place phrase for the sentence, e.g. ``"am Rabet"``.

    Blocks are disjoint, so taking the ``k`` heaviest maximises the covered share. Ties are broken
    by weekday and hour (earliest first), so the result is reproducible.
    """
    if block_hours < 1 or 24 % block_hours:
        raise UserError("Die Blocklänge muss 24 teilen (1, 2, 3, 4, 6, 8 oder 12 Stunden).")
    n_blocks = 7 * 24 // block_hours
    if not 1 <= k <= n_blocks:
        raise UserError(f"Zahl der Zeitblöcke muss zwischen 1 und {n_blocks} liegen.")
    sums = table.table.reshape(7, 24 // block_hours, block_hours).sum(axis=2).reshape(-1)
    order = np.lexsort((np.arange(n_blocks), -sums))[:k]
    order = order[sums[order] > 0] if table.total > 0 else order[:0]
    total = table.total
    blocks = pd.DataFrame({
        "weekday": order // (24 // block_hours),
        "day": [WEEKDAYS[i] for i in order // (24 // block_hours)],
        "start_hour": (order % (24 // block_hours)) * block_hours,
        "end_hour": (order % (24 // block_hours)) * block_hours + block_hours,
        "weight": sums[order],
        "share": sums[order] / total if total > 0 else np.zeros(len(order)),
    })
    share = float(blocks["weight"].sum() / total) if total > 0 else float("nan")
    what = table.label + (f" {where}" if where else "")
    if not len(blocks):
        sentence = f"Keine {what} mit Uhrzeit – kein Zeitvorschlag möglich."
    else:
        sentence = f"{slot_phrase(blocks)}: {fmt.percent(share)} der {what}"
        if table.n_date_only:
            sentence += f" (ohne {fmt.number(table.n_date_only)} nur mit Datum gemeldete)"
        sentence += "."
    return SlotSuggestion(blocks=blocks.reset_index(drop=True), share=share, sentence=sentence, k=k,
                          block_hours=block_hours)


# ---------------------------------------------------------------------------- two periods
@dataclass(frozen=True, eq=False)
class PatternComparison:
    """Two tables' patterns compared (:func:`compare_patterns`).

    Attributes
    ----------
    a, b : the two :class:`TimeTable` (inputs).
    hours : DataFrame ``hour``, ``share_a``, ``share_b``, ``diff_pp`` (percentage points B − A).
    weekdays : DataFrame ``weekday`` (Mo …), ``share_a``, ``share_b``, ``diff_pp``.
    moved : total variation distance of the weekday × hour shares, ½ Σ |a − b| (0 = same pattern,
        1 = no overlap): the share of the pattern that moved.
    chi2, p_value, dof : chi-square test of homogeneity of the hour-of-day profiles (hours with
        weight in neither table left out); approximate, aoristic weights are fractional.
    """

    a: TimeTable
    b: TimeTable
    hours: pd.DataFrame
    weekdays: pd.DataFrame
    moved: float
    chi2: float
    p_value: float
    dof: int

    def sentence(self, name_a: str = "A", name_b: str = "B") -> str:
        """German summary: the hours whose share changed most and how much of the pattern moved."""
        if not (self.a.total > 0 and self.b.total > 0):
            return "Für einen Vergleich fehlen Meldungen mit Uhrzeit in einem der Zeiträume."
        up = self.hours.loc[self.hours["diff_pp"].idxmax()]
        down = self.hours.loc[self.hours["diff_pp"].idxmin()]
        sig = "deutlich (p < 0,05)" if self.p_value < 0.05 else "nicht deutlich (p ≥ 0,05)"
        return (f"Zwischen {name_a} und {name_b} haben sich {fmt.percent(self.moved)} des Wochenmusters verschoben; "
                f"die Tageszeiten unterscheiden sich {sig}. Stärkste Zunahme {int(up.hour)}–{int(up.hour) + 1} Uhr "
                f"({fmt.number(up.diff_pp, 1)} Prozentpunkte), stärkste Abnahme {int(down.hour)}–{int(down.hour) + 1} "
                f"Uhr ({fmt.number(down.diff_pp, 1)} Prozentpunkte).")


def _shares(x: np.ndarray) -> np.ndarray:
    s = x.sum()
    return x / s if s > 0 else np.zeros_like(x, dtype=float)


def compare_patterns(a: TimeTable, b: TimeTable) -> PatternComparison:
    """Compare the time patterns of two tables (e.g. before and after police presence began)."""
    from scipy.stats import chi2_contingency

    ha, hb = _shares(a.by_hour()), _shares(b.by_hour())
    da, db = _shares(a.by_weekday()), _shares(b.by_weekday())
    moved = float(0.5 * np.abs(_shares(a.table.reshape(-1)) - _shares(b.table.reshape(-1))).sum())
    obs = np.vstack([a.by_hour(), b.by_hour()])
    obs = obs[:, obs.sum(axis=0) > 0]
    if obs.shape[1] >= 2 and (obs.sum(axis=1) > 0).all():
        res = chi2_contingency(obs, correction=False)
        chi2, p, dof = float(res.statistic), float(res.pvalue), int(res.dof)
    else:
        chi2, p, dof = float("nan"), float("nan"), 0
    return PatternComparison(
        a=a, b=b,
        hours=pd.DataFrame({"hour": np.arange(24), "share_a": ha, "share_b": hb, "diff_pp": 100 * (hb - ha)}),
        weekdays=pd.DataFrame({"weekday": list(WEEKDAYS), "share_a": da, "share_b": db,
                               "diff_pp": 100 * (db - da)}),
        moved=moved, chi2=chi2, p_value=p, dof=dof,
    )
