"""Formatted cells of the report, the workbook's notes and the terminal: :class:`Table` and the
number formats — the one place a figure becomes text.

Money is shown in 万元 (10,000 CNY) with one decimal, shares in per cent, people with one
decimal (a linear plan's posts need not be whole), cases whole; a figure that cannot be
computed is :data:`MISSING` ("—"), never 0 — a dash apart from a range's "–" (542–864).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from govsim.output.labels import LABELS, label
from govsim.policy import WAN

__all__ = ["MISSING", "WAN", "Table", "cell", "missing", "num", "pct", "translator", "wan",
           "wan_range", "year"]

#: What a figure that cannot be computed shows.
MISSING = "—"


def translator(lang: str, **defaults: object) -> Callable[..., str]:
    """``t(key, **fields)``: the ``report.<key>`` label (the key itself when there is none),
    with ``defaults`` (the scenario's policy numbers) available to every label."""

    def translate(key: str, **fields: object) -> str:
        if f"report.{key}" not in LABELS:
            return key
        return label(f"report.{key}", lang, **{**defaults, **fields})

    return translate


@dataclass
class Table:
    """A table ready for the template: formatted cells, a CSS class per row."""

    headers: list[str]
    rows: list[tuple[list[str], str]] = field(default_factory=list)
    numeric: list[bool] = field(default_factory=list)
    note: str = ""
    #: Columns whose cells never wrap (short words such as a status).
    nowrap: list[bool] = field(default_factory=list)

    def add(self, cells: list[Any], css: str = "") -> None:
        self.rows.append(([cell(c) for c in cells], css))


def missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def cell(value: Any) -> str:
    if missing(value):
        return MISSING
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def wan(cny: Any, digits: int = 1) -> str:
    """CNY as 万元 with thousands separators."""
    return MISSING if missing(cny) else f"{float(cny) / WAN:,.{digits}f}"


def wan_range(low: Any, high: Any, digits: int = 1) -> str:
    """``low–high`` in 万元; :data:`MISSING` when either end cannot be computed."""
    if missing(low) or missing(high):
        return MISSING
    return f"{wan(low, digits)}–{wan(high, digits)}"


def pct(share: Any, digits: int = 1) -> str:
    return MISSING if missing(share) else f"{float(share):.{digits}%}"


def num(value: Any, digits: int = 1) -> str:
    return MISSING if missing(value) else f"{float(value):,.{digits}f}"


def year(value: Any) -> str:
    return MISSING if missing(value) else str(int(value))
