"""Where a run's figure lies in its own 80 % band, and why it may lie outside it.

The point (the run's money needed and gap) is computed at the scenario's written inputs, the
band at Latin-hypercube draws of its declared uncertain inputs. When a written value sits at an
end of its declared range (Guang'an's relief base is below its range of 2,500–6,500 CNY per
recipient-year), nearly every sample moves the same way and the point can lie outside its band:
that is the inputs' doing, not a second definition of the figure (``docs/budget.md``, "Where the
point lies"). This module reads what :mod:`govsim.uncertainty` wrote — ``uncertainty.csv``'s
``point_percentile`` and the manifest's ``uncertainty.written`` record — and words it for the
report's first screen and ``plan.xlsx``; it computes no figure of its own.

Percentiles 0–100 (the mid-rank percentile of the point among the samples); money in CNY.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from govsim.output.cells import missing, wan
from govsim.output.labels import LABELS, label

__all__ = ["HORIZON", "BandRow", "band_rows", "off_centre_inputs", "outside_note",
           "percentile_text"]

#: Key of the plan horizon's total (``year`` missing in ``uncertainty.csv``).
HORIZON = None


@dataclass(frozen=True)
class BandRow:
    """One row of ``uncertainty.csv``: the band, the point and where the point lies."""

    p10: float
    p90: float
    point: float
    samples: int
    percentile: float

    @property
    def outside(self) -> bool:
        """Whether the point lies outside its band (below p10 or above p90)."""
        return not (missing(self.point) or missing(self.p10) or missing(self.p90)) and (
            self.point < self.p10 or self.point > self.p90)


def _float(value: Any) -> float:
    number = pd.to_numeric(value, errors="coerce")
    return math.nan if pd.isna(number) else float(number)


def band_rows(bands: pd.DataFrame | None) -> dict[tuple[str, str, int | None], BandRow]:
    """``(metric, county, year) -> BandRow`` of ``uncertainty.csv`` (county ``""``: the
    prefecture; year ``None``: the plan horizon's total). Empty without bands."""
    if not isinstance(bands, pd.DataFrame) or bands.empty:
        return {}
    out: dict[tuple[str, str, int | None], BandRow] = {}
    for r in bands.to_dict("records"):
        county = "" if missing(r.get("county")) or str(r["county"]) == "nan" else str(r["county"])
        year = None if missing(r.get("year")) else int(r["year"])
        samples = _float(r.get("samples"))
        out[str(r["metric"]), county, year] = BandRow(
            _float(r.get("p10")), _float(r.get("p90")), _float(r.get("point")),
            0 if math.isnan(samples) else int(samples), _float(r.get("point_percentile")))
    return out


def _ordinal(value: float) -> str:
    whole = round(value)
    if abs(value - whole) > 1e-9:
        return f"{value:.1f}th"
    suffix = "th" if 10 <= whole % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(whole % 10,
                                                                                  "th")
    return f"{whole}{suffix}"


def percentile_text(row: BandRow | None, lang: str) -> str:
    """Where the point lies among the samples, in words ("" when unknown): above or below
    every sample, else its percentile."""
    if row is None or missing(row.percentile):
        return ""
    if row.percentile >= 100.0:
        return label("report.pct_above_all", lang, n=row.samples)
    if row.percentile <= 0.0:
        return label("report.pct_below_all", lang, n=row.samples)
    value = f"{row.percentile:g}" if lang == "zh" else _ordinal(row.percentile)
    return label("report.pct_of", lang, p=value, n=row.samples)


def off_centre_inputs(manifest: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The uncertain inputs whose written value lies at an end of (or beyond) its declared
    range, from the manifest's ``uncertainty.written`` record (empty for a run without it)."""
    record = (manifest or {}).get("uncertainty") or {}
    return [entry for entry in record.get("written") or []
            if isinstance(entry, Mapping) and entry.get("end")]


def _input_name(entry: Mapping[str, Any], lang: str) -> str:
    field = str(entry.get("path", "")).rsplit(".", 1)[-1]
    key = f"report.input_{field}"
    return label(key, lang) if key in LABELS else str(entry.get("id", field))


def _input_text(entry: Mapping[str, Any], lang: str) -> str:
    end = str(entry["end"])
    low, high, written = (float(entry[k]) for k in ("low", "high", "written"))
    total = entry.get("written_cny")
    if entry.get("scale", True) and total is not None:  # money: the sum and its range in 万元
        text = (label("report.money_written", lang, value=wan(float(total))),
                label("report.money_range", lang, low=wan(low * float(total)),
                      high=wan(high * float(total))))
    elif entry.get("scale", True):  # a factor of the written value: say so
        text = (label("report.scale_written", lang, value=f"×{written:g}"),
                label("report.scale_range", lang, low=f"×{low:g}", high=f"×{high:g}"))
    else:
        text = (f"{written:,g}", f"{low:,g}–{high:,g}")
    fields = {"name": _input_name(entry, lang), "written": text[0], "range": text[1],
              "q": f"{100.0 * float(entry.get('quantile') or 0.0):g}"}
    text = label(f"report.written_{end}", lang, **fields)
    field = str(entry.get("path", "")).rsplit(".", 1)[-1]
    way = "up" if end in ("below", "bottom") else "down"
    effect = f"report.effect_{way}_{field}"
    return text + (label(effect, lang) if effect in LABELS else "")


#: The metrics whose prefecture figures the note lists, in order.
_NOTE_METRICS = ("need_cny", "gap_cny")


def outside_note(bands: pd.DataFrame | None, manifest: Mapping[str, Any] | None, lang: str,
                 metric_name: Callable[[str], str]) -> str:
    """One line for the first screen and ``plan.xlsx`` when some point lies outside its band
    ("" otherwise): which prefecture figures, where each lies among the samples, and the
    inputs written at an end of their declared ranges (the reason), else the general reason.
    ``metric_name(metric)`` names a metric in ``lang``."""
    rows = band_rows(bands)
    if not any(row.outside for row in rows.values()):
        return ""
    sep = "、" if lang == "zh" else "; "
    figures = []
    for metric in _NOTE_METRICS:
        years = sorted(y for (m, c, y), row in rows.items()
                       if m == metric and c == "" and y is not None and row.outside)
        if years:
            where = sep.join(label("report.outside_year", lang, year=y, point=wan(
                rows[metric, "", y].point), where=percentile_text(rows[metric, "", y], lang))
                for y in years)
            figures.append(label("report.outside_metric", lang, metric=metric_name(metric),
                                 figures=where))
    head = label("report.outside_head", lang, figures=sep.join(figures)) if figures \
        else label("report.outside_counties", lang)
    inputs = off_centre_inputs(manifest)
    if not inputs:
        return head + label("report.outside_why_unknown", lang)
    joined = ("；" if lang == "zh" else "; ").join(_input_text(e, lang) for e in inputs)
    return head + label("report.outside_why", lang, inputs=joined)
