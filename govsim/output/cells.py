"""Formatted cells of the HTML pages: :class:`Table` and the number formats.

Money is shown in 万元 (10,000 CNY) with one decimal, shares in per cent, people and cases
whole; a figure that cannot be computed is "–", never 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from govsim.output.labels import LABELS, label

__all__ = ["WAN", "Table", "cell", "missing", "num", "pct", "translator", "wan", "year"]

WAN = 1e4  # CNY per 万元


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
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def wan(cny: Any) -> str:
    return "–" if missing(cny) else f"{float(cny) / WAN:,.1f}"


def pct(share: Any, digits: int = 1) -> str:
    return "–" if missing(share) else f"{float(share):.{digits}%}"


def num(value: Any, digits: int = 1) -> str:
    return "–" if missing(value) else f"{float(value):,.{digits}f}"


def year(value: Any) -> str:
    return "–" if missing(value) else str(int(value))
