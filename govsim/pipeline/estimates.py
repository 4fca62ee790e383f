"""Estimates for a plan year from the simulated year before it (mechanism ``dynamic-matching``).

Year 1 plans on a baseline simulation of the year with today's staff (public staff, directors,
incumbent contracts); later years on the adopted simulation of the previous year:

- **cases** per (county, item): that year's simulated arrivals (mean over replications) grown
  by the item's demand growth to the plan year, **plus** the backlog carried in (mean over
  replications) — a statutory item's backlog is work the plan must clear (the allocation's
  statutory goal), a service item's backlog is need like any other;
- **utilisation target** ρ of each cell (lowered by the check loop where a cell missed), or
  1 ÷ the item's **peak factor** if that is lower, where the item has a deadline and a peak
  season (:func:`govsim.demand.peak_season`): the capacity bought for the year then also
  clears the peak's cases within the deadline;
- **provider types**: capacity lost and satisfaction observed over contracted FTE-years,
  blended with the scenario's values as if those had been observed over
  :data:`PRIOR_FTE_YEARS` FTE-years (a few contracts alone are too noisy to plan on);
- **contracts in force** next year (:func:`plan_contracts`).

Units: cases a year, FTE, shares.
"""

from __future__ import annotations

import math

import pandas as pd

from govsim.allocation import Estimates, estimates_from_scenario
from govsim.allocation.estimates import cases_quantile, peak_utilisation
from govsim.demand import annual_cases
from govsim.mechanisms.prices import NON_PURCHASE_TYPES
from govsim.scenario import Scenario
from govsim.sim import State, YearResult

__all__ = ["PRIOR_FTE_YEARS", "carried_backlog", "estimates_from_simulation", "plan_contracts"]

#: Weight, in FTE-years, of a provider type's scenario values against observed performance.
PRIOR_FTE_YEARS = 20.0

Cell = tuple[str, str]


def estimates_from_simulation(scenario: Scenario, year: int, previous: list[YearResult],
                              states: list[State | None], rho: dict[Cell, float],
                              quantile: float = 0.9,
                              contracts: pd.DataFrame | None = None) -> Estimates:
    """Estimates for ``year`` from the simulated year before it (or the baseline of ``year``).

    Parameters
    ----------
    previous
        One :class:`YearResult` per replication: the adopted simulation of ``year - 1``, or the
        baseline simulation of ``year`` itself (first plan year).
    states
        Each replication's state at the start of ``year`` (``None`` in the first year); its
        backlog is demand too.
    rho
        Utilisation targets lowered by the check loop, per (county, item); others keep
        ``policy.utilisation_target``.
    contracts
        The plan's contracts in force in ``year`` (see :func:`plan_contracts`); default the
        baseline's incumbents still in their term.

    Notes
    -----
    See the module docstring: cases = grown arrivals + carried backlog; min(ρ, 1 ÷ peak factor);
    provider types blended with their priors.
    """
    # cases_quantile is recomputed below from the simulated cases
    base = estimates_from_scenario(scenario, year, quantile, quantiles=False)
    kpis = pd.concat([r.kpis for r in previous], ignore_index=True)
    arrivals = kpis.groupby(["county", "item"])["arrivals"].mean()
    seen_year = int(previous[0].year)
    carried = carried_backlog(states)
    demand = base.demand.copy()
    cases = []
    for county_id, item_id in zip(demand["county"], demand["item"], strict=True):
        seen = float(arrivals.get((county_id, item_id), 0.0))
        if seen_year != year:
            county, item = scenario.county(county_id), scenario.item(item_id)
            before = annual_cases(scenario, county, item, seen_year)
            seen *= annual_cases(scenario, county, item, year) / before if before > 0 else 1.0
        cases.append(seen + carried.get((county_id, item_id), 0.0))
    demand["cases_mean"] = cases
    demand["cases_quantile"] = [float(cases_quantile(scenario.item(i), m, quantile))
                                for i, m in zip(demand["item"], cases, strict=True)]
    demand["utilisation_target"] = [
        peak_utilisation(scenario, scenario.item(i), rho.get((c, i),
                                                            scenario.policy.utilisation_target))
        for c, i in zip(demand["county"], demand["item"], strict=True)]
    providers = _observed_providers(base.providers, previous)
    running = frozenset(zip(*(pd.concat([r.providers for r in previous])[c]
                              for c in ("county", "item", "provider_type")), strict=True))
    return Estimates(demand=demand, providers=providers, quantile=quantile,
                     contracts=base.contracts if contracts is None else contracts,
                     running=running)


def carried_backlog(states: list[State | None]) -> dict[Cell, float]:
    if not states or states[0] is None:
        return {}
    totals: dict[Cell, float] = {}
    for state in states:
        for cell, ages in (state.backlog if state else {}).items():
            totals[cell] = totals.get(cell, 0.0) + len(ages)
    return {cell: n / len(states) for cell, n in totals.items()}


def _observed_providers(prior: pd.DataFrame, previous: list[YearResult]) -> pd.DataFrame:
    frames = [r.providers for r in previous if len(r.providers)]
    if not frames:
        return prior
    seen = pd.concat(frames, ignore_index=True)
    out = prior.copy()
    for i, row in prior.iterrows():
        mine = seen[seen["provider_type"] == row["provider_type"]]
        # exact sums (math.fsum): the same whatever order the counties' rows come in
        fte = mine["fte_contracted"].astype(float)
        weight = math.fsum(fte)
        if weight <= 0:
            continue
        loss = math.fsum(mine["capacity_loss_share"].astype(float) * fte)
        out.loc[i, "capacity_loss"] = ((row["capacity_loss"] * PRIOR_FTE_YEARS + loss)
                                       / (PRIOR_FTE_YEARS + weight))
        served = mine["served"].astype(float)
        satisfied = mine["satisfaction"].astype(float)
        ok = served.gt(0) & satisfied.notna()
        if ok.any():
            n = math.fsum(served[ok])
            quality = math.fsum(satisfied[ok] * served[ok]) / n
            out.loc[i, "quality"] = ((row["quality"] * PRIOR_FTE_YEARS + quality * weight)
                                     / (PRIOR_FTE_YEARS + weight))
    return out


def plan_contracts(scenario: Scenario, allocation: pd.DataFrame, in_force: pd.DataFrame,
                   year: int) -> pd.DataFrame:
    """The plan's contracts in force in ``year``, from the adopted allocation of ``year - 1``.

    Every purchase of a (county, item, provider type) is one contract, renewed a year at a
    time: it started with the contract in force that year (if any) or in ``year - 1``, and it
    continues into ``year`` at its FTE while within ``max_contract_years`` of its start
    (001 §(七)4); then the purchase is re-tendered, a new purchase. Part-time posts are not
    contracts.
    """
    started = {(r.county, r.item, r.provider_type): int(r.start_year)
               for r in in_force.itertuples(index=False)}
    limit = scenario.policy.max_contract_years
    columns = list(in_force.columns) if len(in_force.columns) else \
        ["county", "item", "provider_type", "fte", "start_year"]
    rows = []
    purchases = allocation[~allocation["provider_type"].isin(NON_PURCHASE_TYPES)] \
        if len(allocation) else allocation
    if len(purchases):
        grouped = purchases.groupby(["county", "item", "provider_type"])["fte"].sum()
        for (county, item, ptype), fte in grouped.items():
            start = started.get((county, item, ptype), year - 1)
            if fte > 0 and year - start < limit:
                rows.append({"county": county, "item": item, "provider_type": ptype,
                             "fte": float(fte), "start_year": start})
    return pd.DataFrame(rows, columns=columns)


