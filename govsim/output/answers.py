"""The figures of a report's first screen: does the plan comply, which county is short of what,
how much money is needed beyond the caps, what the caps leave unserved.

Nothing here defines a figure of its own: coverage is :func:`govsim.metrics.need_weighted_coverage`,
staff short is the ``shortfall`` of ``staffing.csv``, failures are the ``fail`` rows of
``compliance.csv``, and money needed is read from the run's ``money_needed.csv`` (written by
:mod:`govsim.budget`; columns ``year, county, need_cny, cap_cny, gap_cny, unserved_hours,
unserved_cases, unserved_items, staff_short`` and, with ``--uncertainty``, the 10th and 90th
percentiles ``need_cny_p10 … gap_cny_p90``). When that table is absent the money figures are
missing (NaN, shown "—") and the report says so — never the caps, never 0. A county's gap over
the plan years is the sum of its years' gaps; its band is the horizon row of ``uncertainty.csv``
(the percentiles of each sample's own total), never the sum of the years' percentiles (which is
no percentile of the total): without that row the band is missing.

Money in CNY, coverage 0–1, staff in people, hours and cases per year as the table gives them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from govsim.metrics import cells_from_summary, need_weighted_coverage
from govsim.output.band_position import HORIZON, BandRow, band_rows

if TYPE_CHECKING:
    from govsim.output.report import RunTables

__all__ = [
    "MONEY_NEEDED_COLUMNS",
    "MONEY_NEEDED_FILE",
    "STAFF_RULES",
    "county_shortfalls",
    "failing_rules",
    "money_needed",
    "prefecture_money",
    "unit_costs",
]

#: The table of money needed in a run folder (the budget room's contract).
MONEY_NEEDED_FILE = "money_needed.csv"
MONEY_NEEDED_COLUMNS = ("year", "county", "need_cny", "cap_cny", "gap_cny", "unserved_hours",
                        "unserved_cases", "unserved_items", "staff_short")
#: The staffing rules a county can be short of, in the order the county table shows them.
STAFF_RULES = ("caseworker-ratio", "child-welfare-staff")


def money_needed(tables: RunTables, folder: str | Path | None = None) -> pd.DataFrame | None:
    """The run's money-needed table, or None when the run has none.

    Taken from ``tables.money_needed`` when the run carries it, else from
    ``<folder>/money_needed.csv``. County ``""`` (read as missing) is the prefecture total.
    """
    frame = getattr(tables, "money_needed", None)
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        path = Path(folder) / MONEY_NEEDED_FILE if folder is not None else None
        if path is None or not path.is_file():
            return None
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype={"county": str,
                                                               "unserved_items": str})
    missing = [c for c in MONEY_NEEDED_COLUMNS if c not in frame.columns]
    if missing or frame.empty:  # an empty table (a run without one writes its header) is none
        return None
    frame = frame.copy()
    frame["county"] = frame["county"].fillna("").astype(str)
    frame["unserved_items"] = frame["unserved_items"].fillna("").astype(str)
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
    return frame


def _sum_or_nan(values: pd.Series) -> float:
    numbers = pd.to_numeric(values, errors="coerce")
    return float(numbers.sum()) if numbers.notna().any() else math.nan


def _by_county(table: pd.DataFrame, column: str) -> dict[str, pd.DataFrame]:
    """The table's rows of each value of ``column`` (a county id), in the table's order:
    grouped once, where selecting per county would scan the table once per county."""
    return {key: part for key, part in table.groupby(column, sort=False)}


def _items(values: pd.Series) -> list[str]:
    """Item ids of ``unserved_items`` cells, in the order first named (largest first)."""
    seen: list[str] = []
    for text in values:
        for item in str(text).split(";"):
            if item.strip() and item.strip() != "nan" and item.strip() not in seen:
                seen.append(item.strip())
    return seen


def prefecture_money(money: pd.DataFrame | None) -> pd.DataFrame:
    """The prefecture rows (county ``""``) per year: need, cap, gap with their bands, unserved.

    Empty when there is no money-needed table.
    """
    if money is None:
        return pd.DataFrame()
    rows = money[money["county"] == ""].sort_values("year")
    return rows.reset_index(drop=True)


@dataclass(frozen=True)
class CountyShort:
    """What one county is short of over the plan years."""

    county: str
    coverage: float           # need-weighted, over the plan years' simulated cells
    staff_short: dict[str, float]   # rule -> people short in the worst year
    gap_cny: float            # money needed beyond the caps, summed over years (NaN: unknown)
    gap_p10: float            # the 80 % band of that total (NaN: none)
    gap_p90: float
    unserved_hours: float
    unserved_items: list[str]
    failures: int             # rule checks failed in this county
    gap_band: BandRow | None = None   # the total's uncertainty.csv row (its percentile)


def county_shortfalls(tables: RunTables, money: pd.DataFrame | None) -> list[CountyShort]:
    """One entry per county, the most short first: money gap (unknown last), then staff short,
    then rule checks failed, then the lowest need-weighted coverage."""
    scenario = tables.scenario
    bands = band_rows(getattr(tables, "uncertainty", None))
    cells = cells_from_summary(tables.kpis) if len(tables.kpis) else pd.DataFrame(
        columns=["year", "county", "item"])
    cells_of = _by_county(cells, "county")
    staff = tables.staffing
    most_short = pd.to_numeric(staff["shortfall"], errors="coerce").groupby(
        [staff["county"], staff["rule"]]).max()  # NaN where a county's rule has no number
    money_of = _by_county(money, "county") if money is not None else {}
    comp = tables.compliance
    fails_of = comp.loc[comp["status"] == "fail", "scope"].value_counts()
    out = []
    for county in scenario.counties:
        mine = cells_of.get(county.id, cells.iloc[:0])
        short = {rule: float(most_short.get((county.id, rule), math.nan))
                 for rule in STAFF_RULES}
        gap = p10 = p90 = hours = math.nan
        items: list[str] = []
        if money is not None:
            rows = money_of.get(county.id, money.iloc[:0])
            gap = _sum_or_nan(rows["gap_cny"])
            hours = _sum_or_nan(rows["unserved_hours"])
            items = _items(rows["unserved_items"])
        total = bands.get(("gap_cny", county.id, HORIZON)) if money is not None else None
        if total is not None:
            p10, p90 = total.p10, total.p90
        fails = int(fails_of.get(county.id, 0))
        out.append(CountyShort(county.id, need_weighted_coverage(mine, scenario)
                               if len(mine) else math.nan, short, gap, p10, p90, hours, items,
                               fails, total))

    def key(c: CountyShort) -> tuple[Any, ...]:
        staff_total = sum(v for v in c.staff_short.values() if not math.isnan(v))
        cov = c.coverage if not math.isnan(c.coverage) else 2.0
        return (math.isnan(c.gap_cny), -(0.0 if math.isnan(c.gap_cny) else c.gap_cny),
                -staff_total, -c.failures, cov)

    return sorted(out, key=key)


def failing_rules(compliance: pd.DataFrame) -> pd.DataFrame:
    """Per failing rule: how many checks failed, the scopes and years (rule order kept)."""
    fails = compliance[compliance["status"] == "fail"]
    rows = []
    for rule, part in fails.groupby("rule", sort=False):
        years = sorted({int(y) for y in pd.to_numeric(part["year"], errors="coerce").dropna()})
        rows.append({"rule": rule, "checks": len(part),
                     "scopes": list(dict.fromkeys(str(s) for s in part["scope"])),
                     "years": years})
    return pd.DataFrame(rows, columns=["rule", "checks", "scopes", "years"])


def unit_costs(tables: RunTables) -> dict[str, float]:
    """Spend per case served and per assistance recipient (dibao + tekun), CNY, over the plan
    years: Σ allocation cost ÷ Σ served (kpis means) and ÷ (recipients × plan years)."""
    alloc = tables.allocation
    spend = float(pd.to_numeric(alloc["cost"], errors="coerce").sum())
    served = float(pd.to_numeric(tables.kpis.get("served_mean", pd.Series(dtype=float)),
                                 errors="coerce").sum())
    years = pd.to_numeric(alloc["year"], errors="coerce").dropna().nunique()
    recipients = sum(c.dibao + c.tekun for c in tables.scenario.counties) * years
    return {"spend": spend,
            "per_case": spend / served if served > 0 else math.nan,
            "per_recipient": spend / recipients if recipients > 0 else math.nan}
