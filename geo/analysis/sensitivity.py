"""How sure is a measure's verdict? The same evaluation across ring widths and report kinds.

A verdict of :func:`geo.analysis.evaluate.evaluate_measure` depends on choices the data do not make: the width of
the buffer ring (a scene that moves 450 m shows as displacement with a 500 m ring, not with 300 m) and the report
kind counted (finds, complaints, scene observations). :func:`verdict_sensitivity` evaluates one measure for every
combination of ``buffers_m`` × report kinds and says in plain German whether the verdict holds or flips.

The default combination (:data:`geo.analysis.evaluate.DEFAULT_BUFFER_M` and the kind asked for) is marked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo.analysis.evaluate import DEFAULT_BUFFER_M, VERDICTS, evaluate_measure
from geo.core.errors import UserError
from geo.core.schema import get_kind

#: Ring widths (m) tried by default: a short walk, the default, a scene's plausible move.
DEFAULT_BUFFERS_M: tuple[float, ...] = (200.0, DEFAULT_BUFFER_M, 500.0)


@dataclass(frozen=True, eq=False)
class VerdictSensitivity:
    """Result of :func:`verdict_sensitivity`.

    Attributes
    ----------
    measure : the evaluated measure's row (``title``, ``start``, geometry, …).
    table : one row per report kind and ring width: ``report_kind``, ``kind_label``, ``buffer_m``, ``verdict``,
        ``verdict_label``, ``did_ratio`` (NaN when not evaluable), ``change_pct`` (treated area relative to the
        control, in %), ``reason`` (why not evaluable, else empty), ``default`` (the default combination).
    default_kind, default_buffer_m : the combination the user chose (marked in ``table``).
    """

    measure: pd.Series
    table: pd.DataFrame
    default_kind: str
    default_buffer_m: float

    @property
    def verdicts(self) -> list[str]:
        """The distinct verdicts among the evaluable combinations."""
        evaluable = self.table[self.table["verdict"] != "not_evaluable"]
        return list(dict.fromkeys(evaluable["verdict_label"]))

    @property
    def stable(self) -> bool:
        """True when every evaluable combination gives the same verdict."""
        return len(self.verdicts) <= 1

    @property
    def scope(self) -> str:
        """What was tried, in German: ``"nur Spritzenfunde, Ring 200, 300 und 500 m"`` or ``"Spritzenfunde und
        Beschwerden, je Ring 200, 300 und 500 m"``. Pages that check different report kinds for the same measure
        (Vereinbarungen: the finds its effect is measured in; Vergleich: the sidebar's kinds) say so with it."""
        kinds = list(dict.fromkeys(self.table["kind_label"].astype(str)))
        rings = f"Ring {_listing([f'{b:.0f}' for b in sorted(set(self.table['buffer_m']))])} m"
        return f"nur {kinds[0]}, {rings}" if len(kinds) == 1 else f"{_listing(kinds)}, je {rings}"

    def sentence(self) -> str:
        """Plain German: does the verdict hold, where does it flip, and what was tried (:attr:`scope`)?"""
        if not self.verdicts:
            return "Mit keiner Ringbreite und keiner Meldungsart auswertbar."
        default = self.table[self.table["default"]]
        shown = default["verdict_label"].iloc[0] if len(default) else self.verdicts[0]
        if self.stable:
            kinds = " und Meldungsarten" if self.table["kind_label"].nunique() > 1 else ""
            return f"Das Ergebnis »{shown}« hält bei allen geprüften Ringbreiten{kinds}. Geprüft: {self.scope}."
        flips = self.table[(self.table["verdict"] != "not_evaluable") & (self.table["verdict_label"] != shown)]
        where = "; ".join(f"{r.kind_label}, Ring {r.buffer_m:.0f} m: {r.verdict_label}"
                          for r in flips.itertuples())
        return f"Vorsicht: das Ergebnis »{shown}« (Standard) kippt je nach Annahme – {where}. Geprüft: {self.scope}."


def _listing(items: Sequence[str]) -> str:
    """``"a, b und c"`` (German list)."""
    items = list(items)
    if not items:
        return ""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} und {items[-1]}"


def verdict_sensitivity(
    measure: pd.Series,
    records: Mapping[str, gpd.GeoDataFrame],
    boundary,
    *,
    kind: str,
    buffers_m: Sequence[float] = DEFAULT_BUFFERS_M,
    buffer_m: float = DEFAULT_BUFFER_M,
    **options,
) -> VerdictSensitivity:
    """Evaluate ``measure`` for every report kind in ``records`` and every ring width in ``buffers_m``.

    Parameters
    ----------
    measure : one row of :func:`geo.analysis.timeseries.measure_table`.
    records : report kind → its records (all dates, metric CRS).
    boundary : study area (polygon in the metric CRS or a :class:`~geo.core.area.StudyArea`).
    kind : the report kind the user chose (the default row).
    buffers_m : ring widths in metres to try; ``buffer_m`` (the user's) is always included.
    buffer_m : the user's ring width (the default row).
    options : further arguments of :func:`geo.analysis.evaluate.evaluate_measure` (radius, window, control).
    """
    widths = sorted({float(b) for b in (*buffers_m, buffer_m)})
    rows = []
    for report_kind, frame in records.items():
        label = get_kind(report_kind).label_plural
        for width in widths:
            try:
                ev = evaluate_measure(measure, frame, report_kind, boundary, buffer_m=width, **options)
                code, ratio = ev.verdict, ev.did.get("ratio", math.nan)
                reason = " ".join(ev.notes) if code == "not_evaluable" else ""
            except UserError as exc:
                code, ratio, reason = "not_evaluable", math.nan, str(exc)
            rows.append({
                "report_kind": report_kind, "kind_label": label, "buffer_m": width, "verdict": code,
                "verdict_label": VERDICTS[code][0], "did_ratio": ratio,
                "change_pct": (ratio - 1.0) * 100.0 if math.isfinite(ratio) else math.nan,
                "reason": reason, "default": report_kind == kind and width == float(buffer_m),
            })
    return VerdictSensitivity(measure, pd.DataFrame(rows), kind, float(buffer_m))


__all__ = ["DEFAULT_BUFFERS_M", "VerdictSensitivity", "verdict_sensitivity"]
