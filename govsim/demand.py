"""Demand for each (county, item) and the baseline staffing that meets it today.

Expected cases per year are driver × rate × (1 + growth)^(year − base_year), where the driver
is a sum of county figures (``dibao``, ``tekun``, ``villages`` …; ``county`` counts 1). Within
the year the rate follows the item's 12 monthly multipliers; each month is one twelfth of the
working year (``hours_per_year / 12`` working hours), so the simulation clock and the calendar
agree. Years are calendar years throughout; the base year is the first plan year.

**Peak season.** An item with a deadline (``deadline_days``, working days d) whose monthly
multipliers are uneven is planned against its peak: for every run of k consecutive months within
the calendar year (k = 1…11), the work arriving in it must be cleared within the run plus the
deadline, so capacity (as a share of the annual need, per year of D working days) must be at
least ``share of the year's cases in the run / ((k·D/12 + d) / D)``. The **peak factor** is the
largest of these and 1 (the year's own work); the **peak season** is the run that gives it.
Guang'an's screening and means tests (×0.7 January–September, ×1.9 in the fourth quarter,
d = 30 of D = 245 days) peak in October–December with factor 0.475 / (91.25 / 245) = 1.275.
An item without a deadline, or whose factor is 1, has no peak season. Its posts are planned at
``min(ρ, 1 ÷ peak factor)`` (:func:`planned_utilisation`; 0.784 for Guang'an's): a queue empty
when the season starts (the months before run below capacity) then clears the season's work by
the deadline after its last day — the fluid bound; random arrivals and service times are what
the check rounds test.

The baseline says who does the work before any new purchase: establishment caseworkers first
serve the prohibited items (only they may), each sized like every other post — its demand hours
÷ :func:`planned_utilisation` — and the rest of their hours spread over caseworker items
in proportion to demand hours (:func:`public_duty_staffing` says where the establishment is too
small for the government-only duties); each child-welfare director gives
``director_hours_per_year`` to the director item; incumbent contracts add their FTE.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from govsim.scenario import County, Item, Scenario

__all__ = [
    "PART_TIME_POST",
    "STAFFING_COLUMNS",
    "annual_cases",
    "baseline_staffing",
    "baseline_staffing_rows",
    "demand_table",
    "monthly_cases",
    "peak_factor",
    "peak_season",
    "peak_window_hours",
    "planned_utilisation",
    "public_duty_staffing",
]

STAFFING_COLUMNS = ["county", "item", "source", "provider_type", "provider", "fte"]
#: ``provider_type`` of new part-time child-welfare director/supervisor posts (000 §(十)) in
#: a plan's purchases: public-welfare posts paid a subsidy, working like directors in post.
PART_TIME_POST = "part_time_post"


def annual_cases(scenario: Scenario, county: County, item: Item, year: int) -> float:
    """Expected cases of ``item`` in ``county`` in calendar ``year``."""
    return float(monthly_cases(scenario, county, item, year).sum())


def monthly_cases(scenario: Scenario, county: County, item: Item, year: int) -> np.ndarray:
    """Expected cases in each of the 12 months of ``year`` (multipliers averaging 1 keep the
    annual total at driver × rate × growth)."""
    driver = sum(county.driver(name) for name in item.driver)
    growth = (1.0 + item.growth) ** (year - scenario.header.base_year)
    return driver * item.rate * growth * np.asarray(item.monthly, dtype=float) / 12.0


def peak_season(item: Item, working_days: float) -> tuple[int, int, float]:
    """``(first month 0–11, months, peak factor)`` of the item's peak season (module docstring);
    ``(0, 12, 1.0)`` when it has none (no deadline, or no run of months needs more than the
    year's average capacity).

    >>> from govsim import load_scenario
    >>> first, months, factor = peak_season(load_scenario("guangan").item("screening"), 245.0)
    >>> (first, months, round(factor, 3))
    (9, 3, 1.275)
    """
    if item.deadline_days is None:
        return 0, 12, 1.0
    return _peak_season(tuple(float(m) for m in item.monthly), float(item.deadline_days),
                        float(working_days))


@functools.lru_cache(maxsize=1024)
def _peak_season(monthly: tuple[float, ...], deadline_days: float,
                 working_days: float) -> tuple[int, int, float]:
    """:func:`peak_season` of these figures (remembered: the simulation asks for every pool of
    every year, estimates once per county and item, a run's band once per sample and year — 66
    windows each time)."""
    multipliers = np.asarray(monthly, dtype=float)
    total = float(multipliers.sum())
    best = (0, 12, 1.0)
    for months in range(1, 12):
        for first in range(0, 13 - months):
            share = float(multipliers[first:first + months].sum()) / total
            factor = share / ((months * working_days / 12.0 + deadline_days) / working_days)
            if factor > best[2] + 1e-12:
                best = (first, months, factor)
    return best


def peak_factor(item: Item, hours_per_year: float) -> float:
    """The item's peak factor (≥ 1) on a year of ``hours_per_year`` working hours."""
    return peak_season(item, hours_per_year / 8.0)[2]


def peak_window_hours(item: Item, hours_per_year: float) -> tuple[float, float] | None:
    """Clock hours ``(start, end)`` of the item's peak season, or ``None`` without one."""
    first, months, factor = peak_season(item, hours_per_year / 8.0)
    if factor <= 1.0:
        return None
    month = hours_per_year / 12.0
    return first * month, (first + months) * month


def public_duty_staffing(scenario: Scenario) -> pd.DataFrame:
    """Establishment staff on the government-only (prohibited) items in the base year.

    One row per (county, item): ``hours_demand`` (expected work, hours a year), ``fte_needed``
    (at :func:`planned_utilisation`, like every purchased post), ``fte_assigned``
    (what the county's caseworkers in post give it, in the catalogue's order) and
    ``fte_short`` (needed − assigned, ≥ 0: a staffing need only establishment posts can fill,
    rule ``prohibited-items``). Explicit ``baseline.public_staff`` rows count as assigned.
    """
    demand = _demand_hours(scenario, scenario.header.base_year)
    hours_per_fte = scenario.header.productive_hours_per_fte
    staffing = baseline_staffing(scenario)
    public = staffing[staffing["source"] == "public"].groupby(["county", "item"])["fte"].sum()
    rows = []
    for county in scenario.counties:
        for item in scenario.items:
            if item.kind != "prohibited":
                continue
            hours = demand[(county.id, item.id)]
            needed = hours / (_planned_utilisation(scenario, item) * hours_per_fte)
            assigned = float(public.get((county.id, item.id), 0.0))
            rows.append({"county": county.id, "item": item.id, "hours_demand": hours,
                         "fte_needed": needed, "fte_assigned": assigned,
                         "fte_short": max(0.0, needed - assigned)})
    return pd.DataFrame(rows, columns=["county", "item", "hours_demand", "fte_needed",
                                       "fte_assigned", "fte_short"])


def _planned_utilisation(scenario: Scenario, item: Item) -> float:
    """The utilisation target a post on ``item`` is planned at (:func:`planned_utilisation`)."""
    return planned_utilisation(scenario.policy.utilisation_target,
                               peak_factor(item, scenario.header.hours_per_year))


def planned_utilisation(rho: float, factor: float) -> float:
    """The utilisation a post is planned at: ``rho``, or 1 ÷ the peak factor if lower — the
    capacity both keeps the year's utilisation at ``rho`` and clears the peak within the
    deadline.

    >>> round(planned_utilisation(0.85, 1.275), 3)
    0.784
    """
    return min(rho, 1.0 / factor)


def demand_table(scenario: Scenario, year: int) -> pd.DataFrame:
    """One row per (county, item): expected cases, hours per case and demand hours in ``year``."""
    rows = []
    for county in scenario.counties:
        for item in scenario.items:
            cases = annual_cases(scenario, county, item, year)
            rows.append({"year": year, "county": county.id, "item": item.id, "cases": cases,
                         "hours_per_case": item.mean_hours,
                         "demand_hours": cases * item.mean_hours})
    return pd.DataFrame(rows)


def baseline_staffing(scenario: Scenario) -> pd.DataFrame:
    """FTE working on each (county, item) in the base year, by source.

    ``source`` is ``public`` (establishment caseworkers), ``director`` (child-welfare directors'
    part-time hours) or ``contract`` (incumbent purchase contracts).
    """
    return pd.DataFrame(baseline_staffing_rows(scenario), columns=STAFFING_COLUMNS)


def baseline_staffing_rows(scenario: Scenario) -> list[dict[str, Any]]:
    """The rows of :func:`baseline_staffing` as dicts (no DataFrame: the simulation reads them
    once per simulated year)."""
    demand = _demand_hours(scenario, scenario.header.base_year)
    hours_per_fte = scenario.header.productive_hours_per_fte
    explicit = {(s.county, s.item): s.fte for s in scenario.baseline.public_staff}
    rows: list[dict[str, Any]] = []
    for county in scenario.counties:
        mine = {k: v for k, v in explicit.items() if k[0] == county.id}
        if mine or scenario.baseline.caseworker_assignment == "explicit":
            public = {item: fte for (_, item), fte in mine.items()}
        else:
            public = _prohibited_first(scenario, county, demand, hours_per_fte)
        rows += [{"county": county.id, "item": item, "source": "public",
                  "provider_type": "public", "provider": "public", "fte": fte}
                 for item, fte in public.items() if fte > 0]
        director_item = scenario.baseline.director_item
        if director_item and county.child_welfare_directors:
            fte = county.child_welfare_directors * scenario.baseline.director_hours_per_year
            rows.append({"county": county.id, "item": director_item, "source": "director",
                         "provider_type": "public", "provider": "director",
                         "fte": fte / hours_per_fte})
    for contract in scenario.baseline.contracts:
        rows.append({"county": contract.county, "item": contract.item, "source": "contract",
                     "provider_type": contract.provider_type,
                     "provider": contract.provider or f"{contract.county}-{contract.item}-"
                                                       f"{contract.provider_type}",
                     "fte": contract.fte})
    return rows


def _demand_hours(scenario: Scenario, year: int) -> dict[tuple[str, str], float]:
    """Expected demand hours per (county, item) in ``year`` (the ``demand_table`` figures)."""
    return {(county.id, item.id): annual_cases(scenario, county, item, year) * item.mean_hours
            for county in scenario.counties for item in scenario.items}


def _prohibited_first(scenario: Scenario, county: County,
                      demand: dict[tuple[str, str], float],
                      hours_per_fte: float) -> dict[str, float]:
    """Split a county's public caseworkers: prohibited items first, each sized at the planned
    utilisation (its demand hours ÷ :func:`planned_utilisation`), then caseworker items."""
    hours_left = county.public_caseworkers * hours_per_fte
    public: dict[str, float] = {}
    for item in scenario.items:
        if item.kind == "prohibited":
            needed = demand[(county.id, item.id)] / _planned_utilisation(scenario, item)
            hours = min(hours_left, needed)
            public[item.id] = hours / hours_per_fte
            hours_left -= hours
    caseworker_items = [i.id for i in scenario.items
                        if i.counts_toward == "caseworker" and i.kind != "prohibited"]
    total = sum(demand[(county.id, i)] for i in caseworker_items)
    for item_id in caseworker_items:
        share = demand[(county.id, item_id)] / total if total > 0 else 0.0
        public[item_id] = hours_left * share / hours_per_fte
    return public
