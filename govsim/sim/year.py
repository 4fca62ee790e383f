"""One simulated year: ``simulate_year(scenario, year, capacities, state, seed)``.

The year runs on the working-hour clock (``0 ≤ t < hours_per_year``). Before it starts the
purchases wanted for the year are renewed or tendered (:mod:`govsim.sim.contracts`); each
contract draws its failure time; every (county, item) pool then runs on its own
(:mod:`govsim.sim.engine`: the compiled engine by default, SimPy as the reference) with public
staff and directors from :func:`govsim.demand.baseline_staffing` plus the contracts' workers.
At year end each contract is assessed and the :class:`State` (backlog with ages, contracts,
provider history, bars) is handed to the next year, so a pipeline can re-plan between years.

Units: cases, FTE, CNY; waits in working days (clock hours / 8); ``day`` in the event log is the
working day of the year. Random numbers come only from :func:`govsim.rng.stream` keyed by
``(year, replication, purpose, county, item[, provider type])``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from govsim.demand import (
    PART_TIME_POST,
    baseline_staffing_rows,
    monthly_cases,
    peak_window_hours,
)
from govsim.errors import SimulationError
from govsim.mechanisms.prices import provider_price
from govsim.rng import stream
from govsim.scenario import Scenario
from govsim.sim.contracts import (
    CONTRACT_EVENT_COLUMNS,
    ContractState,
    Key,
    assessment_score,
    decide_contracts,
    event,
    incumbent_contracts,
)
from govsim.sim.draw import PoolDraw
from govsim.sim.engine import (
    DEFAULT_ENGINE,
    HOURS_PER_DAY,
    PoolOutcome,
    Slot,
    check_engine,
    run_pool_memo,
)
from govsim.sim.mechanisms import MECHANISM_COLUMNS, PUBLIC_OPTION, YearMechanisms

__all__ = [
    "KPI_COLUMNS",
    "PROVIDER_COLUMNS",
    "SimulationError",
    "State",
    "YearResult",
    "check_engine_option",
    "simulate_year",
]

log = logging.getLogger(__name__)

KPI_COLUMNS = ["year", "county", "item", "arrivals", "carried_in", "served", "abandoned",
               "backlog", "wait_mean_days", "wait_p90_days", "utilisation", "satisfaction",
               "cost", "queue_mean", "fte_public", "fte_purchased", "overdue_served",
               "overdue_waiting", "overdue_days", "wait_p90_peak_days", "wait_p90_new_days"]
PROVIDER_COLUMNS = ["year", "county", "item", "provider_type", "provider", "fte_contracted",
                    "capacity_loss_share", "served", "satisfaction", "assessment_score",
                    "failures", "cost", "start_year", "years_held"]


@dataclass(frozen=True)
class State:
    """What one year hands to the next.

    Attributes
    ----------
    year : int
        The last simulated calendar year.
    backlog : dict
        ``(county, item) -> ages`` (clock hours waited so far) of cases still waiting, oldest
        first.
    contracts : dict
        ``(county, item, provider_type) ->`` :class:`ContractState` of contracts that ran to the
        end of the year (``renewable`` false after a failed assessment or at the term limit).
    history : dict
        ``provider -> ((year, score), ...)``: assessment scores (0 for a failure).
    bars : dict
        ``provider -> year``: barred from contracts up to and including that year.
    mechanisms : dict
        What switched-on mechanisms carry into the next year (the voucher record; see
        :mod:`govsim.sim.mechanisms`); empty when all are off.
    """

    year: int
    backlog: dict[tuple[str, str], np.ndarray]
    contracts: dict[Key, ContractState]
    history: dict[str, tuple[tuple[int, float], ...]]
    bars: dict[str, int]
    mechanisms: dict[str, Any] = field(default_factory=dict)

    @property
    def backlog_cases(self) -> int:
        """Cases waiting at the end of :attr:`year`, all pools together."""
        return int(sum(len(a) for a in self.backlog.values()))


@dataclass(frozen=True)
class YearResult:
    """Tables of one simulated year (see ``KPI_COLUMNS``, ``CONTRACT_EVENT_COLUMNS``,
    ``PROVIDER_COLUMNS``; ``mechanisms``: the switched-on mechanisms' figures,
    ``govsim.sim.mechanisms.MECHANISM_COLUMNS``)."""

    year: int
    kpis: pd.DataFrame
    contracts: pd.DataFrame
    providers: pd.DataFrame
    mechanisms: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=MECHANISM_COLUMNS))


@dataclass(frozen=True)
class _Plan:
    """A contract's year: its workers, failure and takeover times (clock hours) and price."""

    contract: ContractState
    quality: float
    price: float
    fail_hours: float
    takeover_hours: float
    takeover_fte: float
    start_hours: float = 0.0


def simulate_year(scenario: Scenario, year: int, capacities: pd.DataFrame | None,
                  state: State | None, seed: int, replication: int = 0, *,
                  arrival_hours: Mapping[tuple[str, str], np.ndarray] | None = None,
                  engine: str = DEFAULT_ENGINE) -> tuple[YearResult, State]:
    """Simulate one calendar year of every (county, item) pool.

    Parameters
    ----------
    scenario : Scenario
        The scenario (not modified).
    year : int
        Calendar year; ``scenario.header.base_year`` is the first plan year.
    capacities : DataFrame or None
        Purchased FTE for the year (columns ``county, item, provider_type, fte``; a ``year``
        column, if present, is filtered on ``year``). ``None`` keeps today's purchases: the
        baseline's incumbent contracts, re-tendered at the same FTE when their term is reached.
        Public staff and directors always come from the baseline on top.
    state : State or None
        The previous year's state; ``None`` starts from the base situation (no backlog, the
        baseline's incumbent contracts).
    seed : int
        Root seed of the run.
    replication : int
        Replication number (part of every random stream's key).
    arrival_hours : mapping, optional
        Testing hook: explicit sorted arrival times (clock hours) per ``(county, item)``,
        replacing the Poisson arrivals; pools not named get no arrivals.
    engine : {"compiled", "simpy"}
        Which engine runs the pools: the compiled one (default) or the SimPy reference. They
        give identical results (``docs/model.md``, "Engines").

    Returns
    -------
    (YearResult, State)

    Examples
    --------
    >>> import govsim
    >>> s = govsim.load_scenario("tiny")
    >>> result, state = simulate_year(s, 2025, None, None, seed=1)
    >>> list(result.kpis.columns[:5])
    ['year', 'county', 'item', 'arrivals', 'served']
    """
    header = scenario.header
    check_engine_option(engine)
    if year < header.base_year:
        raise SimulationError(f"year {year} is before the base year {header.base_year}")
    if state is not None and state.year != year - 1:
        raise SimulationError(f"the state is the end of {state.year}; it can only start "
                              f"{state.year + 1}, not {year}")
    horizon = header.hours_per_year
    mech = YearMechanisms.start(scenario, year, seed, replication,
                                state.mechanisms if state else None)
    if mech is not None:
        capacities = mech.take_rows(capacities)
    wanted, posts = _wanted(scenario, capacities, year)
    prior = dict(state.contracts) if state else incumbent_contracts(scenario, year)
    if mech is not None:
        wanted = mech.voucher_wanted(wanted)
    bars = dict(state.bars) if state else {}
    history = dict(state.history) if state else {}
    tender = decide_contracts(scenario, year, wanted, prior, bars, history)
    events: list[dict[str, Any]] = list(tender.events)
    plans: dict[tuple[str, str], list[_Plan]] = {}
    qualities = _provider_qualities(scenario)
    for contract in tender.contracts:
        # a new tender (nothing ran before for the key) starts after the lead time
        start = mech.start_hours(contract.key not in prior) if mech is not None else 0.0
        plan = _plan(scenario, contract, year, replication, seed, start, qualities)
        plans.setdefault((contract.county, contract.item), []).append(plan)
    if mech is not None:
        mech.see_contracts(tender.contracts)

    public = _public_slots(scenario)
    for (county_id, item_id), fte in posts.items():
        public.setdefault((county_id, item_id), []).append(
            Slot(PART_TIME_POST, "director", fte, scenario.baseline.public_quality))
    item_inputs = {item.id: _item_inputs(scenario, item) for item in scenario.items}
    kpi_rows: list[dict[str, Any]] = []
    provider_rows: list[dict[str, Any]] = []
    backlog: dict[tuple[str, str], np.ndarray] = {}
    next_contracts: dict[Key, ContractState] = {}
    for county in scenario.counties:
        for item in scenario.items:
            key = (county.id, item.id)
            pool_plans = plans.get(key, [])
            carried = state.backlog.get(key, np.empty(0)) if state else np.empty(0)
            slots = list(public.get(key, []))
            for plan in pool_plans:
                c = plan.contract
                slots.append(Slot(c.provider, "contract", c.fte, plan.quality,
                                  start_hours=plan.start_hours, end_hours=plan.fail_hours))
            for plan in pool_plans:
                if plan.takeover_hours < horizon:
                    slots.append(Slot(f"takeover:{plan.contract.provider}", "takeover",
                                      plan.takeover_fte, scenario.baseline.public_quality,
                                      start_hours=plan.takeover_hours))
            extra = mech.extra_slots(county, item) if mech is not None else []
            slots += extra
            draw = _pool_draw(scenario, county, item, year, replication, seed, carried, slots,
                              arrival_hours, item_inputs[item.id])
            if mech is not None and mech.is_voucher_cell(key) and pool_plans:
                outcome = mech.run_voucher_pool(draw, _voucher_owners(slots, pool_plans,
                                                                      horizon), engine)
            else:
                outcome = run_pool_memo(draw.key(), draw.spec, engine)
            if len(outcome.backlog_ages):
                backlog[key] = outcome.backlog_ages
            cost = 0.0
            n_public = len(public.get(key, []))
            fte_hours = sum(s.fte * max(0.0, min(s.end_hours, horizon) - max(s.start_hours, 0.0))
                            for s in slots)
            for k, plan in enumerate(pool_plans):
                row, contract_events, carried_on = _settle(
                    scenario, year, plan, outcome, n_public + k, len(carried), item.mean_hours,
                    fte_hours, bars, history, mech)
                provider_rows.append(row)
                events.extend(contract_events)
                cost += row["cost"]
                if carried_on is not None:
                    next_contracts[carried_on.key] = carried_on
            kpi_rows.append({
                "year": year, "county": county.id, "item": item.id,
                "arrivals": outcome.arrivals, "carried_in": len(carried),
                "served": outcome.served,
                "abandoned": outcome.abandoned, "backlog": len(outcome.backlog_ages),
                "wait_mean_days": outcome.wait_mean_hours / HOURS_PER_DAY,
                "wait_p90_days": outcome.wait_p90_hours / HOURS_PER_DAY,
                "utilisation": outcome.utilisation, "satisfaction": outcome.satisfaction,
                "cost": cost, "queue_mean": outcome.queue_mean,
                "fte_public": sum(s.fte for s in public.get(key, [])),
                "fte_purchased": sum(p.contract.fte for p in pool_plans),
                "overdue_served": outcome.overdue_served,
                "overdue_waiting": outcome.overdue_waiting,
                "overdue_days": outcome.overdue_hours / HOURS_PER_DAY,
                "wait_p90_peak_days": outcome.wait_p90_peak_hours / HOURS_PER_DAY,
                "wait_p90_new_days": outcome.wait_p90_new_hours / HOURS_PER_DAY,
            })
    log.debug("simulated %s replication %s: %d pools", year, replication, len(kpi_rows))
    events.sort(key=lambda e: e["day"])  # stable: same-day events keep their order
    contracts_table = pd.DataFrame(events, columns=CONTRACT_EVENT_COLUMNS)
    result = YearResult(
        year=year,
        kpis=pd.DataFrame(kpi_rows, columns=KPI_COLUMNS),
        contracts=contracts_table,
        providers=pd.DataFrame(provider_rows, columns=PROVIDER_COLUMNS),
    )
    if mech is None:
        return result, State(year, backlog, next_contracts, history, bars)
    return (replace(result, mechanisms=mech.table()),
            State(year, backlog, next_contracts, history, bars, mech.carried()))


def check_engine_option(engine: str) -> None:
    """A :class:`SimulationError` unless ``engine`` names an engine."""
    try:
        check_engine(engine)
    except ValueError as exc:
        raise SimulationError(str(exc)) from None


# -- inputs ----------------------------------------------------------------------------------

def _wanted(scenario: Scenario, capacities: pd.DataFrame | None, year: int
            ) -> tuple[dict[Key, float], dict[tuple[str, str], float]]:
    """Purchased FTE wanted per (county, item, provider type) in ``year``, and the FTE of new
    part-time posts per (county, item) (rows with provider type ``part_time_post``)."""
    wanted: dict[Key, float] = {}
    posts: dict[tuple[str, str], float] = {}
    if capacities is None:
        for c in scenario.baseline.contracts:
            key = (c.county, c.item, c.provider_type)
            wanted[key] = wanted.get(key, 0.0) + float(c.fte)
        return wanted, posts
    missing = {"county", "item", "provider_type", "fte"} - set(capacities.columns)
    if missing:
        raise SimulationError(f"capacities lack the column(s) {sorted(missing)}")
    frame = capacities
    if "year" in frame.columns:
        frame = frame[frame["year"] == year]
    counties = {c.id for c in scenario.counties}
    types = {p.id for p in scenario.provider_types}
    items = {i.id: i for i in scenario.items}
    for row in frame.itertuples(index=False):
        fte = float(row.fte)
        if not math.isfinite(fte) or fte < 0:
            raise SimulationError(f"capacities: fte must be finite and >= 0, got {row.fte!r} "
                                  f"for {row.county}/{row.item}/{row.provider_type}")
        if row.provider_type == PART_TIME_POST and row.county in counties \
                and row.item in items:
            cell = (str(row.county), str(row.item))
            posts[cell] = posts.get(cell, 0.0) + fte
            continue
        if row.county not in counties or row.item not in items or row.provider_type not in types:
            raise SimulationError(f"capacities: unknown county, item or provider type in "
                                  f"{row.county}/{row.item}/{row.provider_type}")
        if fte > 0 and not items[row.item].is_purchasable:
            raise SimulationError(f"capacities: item {row.item!r} may not be purchased "
                                  f"({row.county}, {fte:g} FTE)", rule="prohibited-items")
        key = (str(row.county), str(row.item), str(row.provider_type))
        wanted[key] = wanted.get(key, 0.0) + fte
    return wanted, posts


#: The public slots of the last few scenarios simulated: ``id -> (scenario, slots)``.
_PUBLIC_MEMO: dict[int, tuple[Scenario, dict[tuple[str, str], list[Slot]]]] = {}


def _public_slots(scenario: Scenario) -> dict[tuple[str, str], list[Slot]]:
    """Establishment staff and directors per pool, from the baseline staffing (a fresh dict of
    fresh lists: the caller adds posts).

    The baseline is the base year's, the same every year of a (frozen) scenario, and working
    it out took half of a year whose pools were all remembered (issue 15), so it is kept for
    the last few scenarios, by identity.
    """
    known = _PUBLIC_MEMO.get(id(scenario))
    if known is not None and known[0] is scenario:
        slots = known[1]
    else:
        slots = {}
        for row in baseline_staffing_rows(scenario):
            if row["source"] == "contract" or row["fte"] <= 0:
                continue
            slots.setdefault((row["county"], row["item"]), []).append(
                Slot(str(row["provider"]), str(row["source"]), float(row["fte"]),
                     scenario.baseline.public_quality))
        if len(_PUBLIC_MEMO) >= 4:
            _PUBLIC_MEMO.clear()
        _PUBLIC_MEMO[id(scenario)] = (scenario, slots)
    return {key: list(value) for key, value in slots.items()}


def _provider_qualities(scenario: Scenario) -> dict[str, float]:
    """Providers whose own quality replaces their type's (the last entry of an id counts)."""
    return {p.id: p.quality for p in scenario.providers if p.quality is not None}


def _plan(scenario: Scenario, contract: ContractState, year: int, replication: int,
          seed: int, start_hours: float, qualities: dict[str, float]) -> _Plan:
    """Price, quality, failure and takeover times of one contract for the year; its workers
    start at ``start_hours`` (a new tender's lead time) and may fail from then on.
    ``qualities``: :func:`_provider_qualities`."""
    horizon = scenario.header.hours_per_year
    ptype = scenario.provider_type(contract.provider_type)
    quality = qualities.get(contract.provider, ptype.quality)
    fail = math.inf
    if ptype.failure_hazard > 0:
        rng = stream(seed, year, replication, "failure", contract.county, contract.item,
                     contract.provider_type)
        years_to_failure = rng.exponential(1.0 / ptype.failure_hazard)
        if years_to_failure < 1.0 - start_hours / horizon:
            fail = start_hours + years_to_failure * horizon
    takeover = fail + ptype.takeover_delay_days * HOURS_PER_DAY
    return _Plan(contract, quality, provider_price(scenario, ptype.id), fail, takeover,
                 scenario.policy.takeover_share * contract.fte, start_hours)


def _voucher_owners(slots: list[Slot], plans: list[_Plan], horizon: float) -> list[str]:
    """The voucher option of each of a pool's slots: a contract and its takeover belong to the
    contract's provider type; everything else to the public option."""
    owners = [PUBLIC_OPTION] * len(slots)
    names = {plan.contract.provider: plan.contract.provider_type for plan in plans}
    for k, slot in enumerate(slots):
        provider = slot.name.removeprefix("takeover:")
        if slot.kind in ("contract", "takeover") and provider in names:
            owners[k] = names[provider]
    return owners


def _item_inputs(scenario: Scenario, item: Any) -> dict[str, Any]:
    """The fields of an item's pools' :class:`PoolDraw` that depend on the item alone (once a
    year, not once a pool)."""
    header = scenario.header
    horizon = header.hours_per_year
    return {
        "hours_per_year": horizon,
        "efficiency": header.productive_hours_per_fte / horizon,
        "distribution": item.distribution, "mean_hours": item.mean_hours,
        "service_cv": item.service_cv, "patience_hours": item.patience_hours,
        "target_wait_hours": item.target_wait_days * HOURS_PER_DAY,
        "penalty_per_hour": scenario.policy.wait_satisfaction_penalty_per_day / HOURS_PER_DAY,
        "deadline_hours": (item.deadline_days * HOURS_PER_DAY if item.deadline_days is not None
                           else math.inf),
        "peak_hours": peak_window_hours(item, horizon),
        "commissioned": item.arrivals == "commissioned",
    }


def _pool_draw(scenario: Scenario, county: Any, item: Any, year: int, replication: int,
               seed: int, carried: np.ndarray, slots: list[Slot],
               arrival_hours: Mapping[tuple[str, str], np.ndarray] | None,
               item_inputs: dict[str, Any]) -> PoolDraw:
    """What one pool's year is drawn from (nothing is drawn yet); ``item_inputs``: the item's
    :func:`_item_inputs`."""
    horizon = scenario.header.hours_per_year
    key = (county.id, item.id)
    arrivals = None
    if arrival_hours is not None:
        arrivals = np.sort(np.asarray(arrival_hours.get(key, np.empty(0)), dtype=float))
        if len(arrivals) and (arrivals[0] < 0 or arrivals[-1] >= horizon):
            raise SimulationError(f"arrival_hours for {key} must lie in [0, {horizon})")
    return PoolDraw(
        seed=seed, year=year, replication=replication, county=county.id, item=item.id,
        monthly_cases=None if arrivals is not None else
        monthly_cases(scenario, county, item, year),
        arrival_hours=arrivals,
        carried_ages=np.asarray(carried, dtype=float),
        slots=tuple(slots),
        **item_inputs,
    )


# -- year end --------------------------------------------------------------------------------

def _settle(scenario: Scenario, year: int, plan: _Plan, outcome: PoolOutcome, slot: int,
            carried: int, mean_hours: float, pool_fte_hours: float, bars: dict[str, int],
            history: dict[str, tuple[tuple[int, float], ...]],
            mech: YearMechanisms | None = None,
            ) -> tuple[dict[str, Any], list[dict[str, Any]], ContractState | None]:
    """Failure or assessment of one contract: its provider row, events and next-year state.

    Updates ``bars`` and ``history`` in place (they are this year's fresh copies). With
    mechanisms on, the satisfaction judged is the survey's and the money is what
    ``mech.contract_cost`` pays (vouchers, withheld share).
    """
    header, policy = scenario.header, scenario.policy
    horizon = header.hours_per_year
    end_day = horizon / HOURS_PER_DAY
    c = plan.contract
    mine = outcome.slots[slot]
    failed = plan.fail_hours < horizon
    present = min(plan.fail_hours, horizon) - plan.start_hours
    restored = max(0.0, horizon - plan.takeover_hours)
    delivered = present + policy.takeover_share * restored
    cost = plan.price * (c.fte * present + plan.takeover_fte * restored) / horizon
    satisfaction = mine.satisfaction_sum / mine.served if mine.served else math.nan
    events: list[dict[str, Any]] = []
    carried_on: ContractState | None = None
    score = math.nan
    if failed:
        bar = year + policy.bar_years_after_failure
        bars[c.provider] = max(bars.get(c.provider, bar), bar)
        history[c.provider] = (*history.get(c.provider, ()), (year, 0.0))
        day = plan.fail_hours / HOURS_PER_DAY
        ptype = scenario.provider_type(c.provider_type)
        late = "" if plan.takeover_hours < horizon else "; takeover would start after year end"
        events += [
            event(year, day, c, c.provider, "failed", c.fte,
                  f"hazard {ptype.failure_hazard:g}/year; workers leave{late}"),
            event(year, day, c, c.provider, "exit", c.fte, "contract terminated"),
            event(year, day, c, c.provider, "barred", c.fte, f"barred through {bar}"),
        ]
        if plan.takeover_hours < horizon:
            events.append(event(year, plan.takeover_hours / HOURS_PER_DAY, c,
                                f"takeover:{c.provider}", "takeover", plan.takeover_fte,
                                f"interim takeover restores {policy.takeover_share:.0%} of "
                                f"capacity after {ptype.takeover_delay_days:g} days"))
    else:
        # the contract's fair share of the cases: its share of the pool's FTE-hours
        share = min(1.0, c.fte * horizon / pool_fte_hours) if pool_fte_hours > 0 else 1.0
        needed = (outcome.arrivals + carried) * share
        can_do = c.fte * header.productive_hours_per_fte / mean_hours
        if plan.start_hours > 0:
            can_do *= (horizon - plan.start_hours) / horizon
        expected = min(needed, can_do)
        completion = min(1.0, mine.served / expected) if expected > 0 else 1.0
        timeliness = mine.timely / mine.served if mine.served else 1.0
        judged = satisfaction if mine.served else plan.quality
        if mech is not None:
            judged = mech.observed(c.key, judged, mine.served)
        score = assessment_score(policy.assessment_weights, judged, completion, timeliness)
        history[c.provider] = (*history.get(c.provider, ()), (year, score))
        events.append(event(year, end_day, c, c.provider, "assessed", c.fte,
                            f"score {score:.3f} (satisfaction {judged:.2f}, completion "
                            f"{completion:.2f}, timeliness {timeliness:.2f}; pass mark "
                            f"{policy.assessment_pass_mark:g})"))
        if score < policy.assessment_pass_mark:
            bar = year + policy.bar_years_after_failure
            bars[c.provider] = max(bars.get(c.provider, bar), bar)
            events += [event(year, end_day, c, c.provider, "not_renewed", c.fte,
                             "assessment below the pass mark"),
                       event(year, end_day, c, c.provider, "barred", c.fte,
                             f"barred through {bar}")]
            carried_on = replace(c, renewable=False, reason="assessment failed")
        elif c.years_held >= policy.max_contract_years:
            events.append(event(year, end_day, c, c.provider, "term_reached", c.fte,
                                f"{c.years_held} years in a row (max "
                                f"{policy.max_contract_years})"))
            carried_on = replace(c, renewable=False, reason="term")
        else:
            carried_on = replace(c, renewable=True, reason="")
    if mech is not None:
        cost = mech.contract_cost(c.key, cost, score, failed, plan.start_hours / horizon)
    row = {"year": year, "county": c.county, "item": c.item, "provider_type": c.provider_type,
           "provider": c.provider, "fte_contracted": c.fte,
           "capacity_loss_share": 1.0 - delivered / (horizon - plan.start_hours),
           "served": mine.served,
           "satisfaction": satisfaction, "assessment_score": score, "failures": int(failed),
           "cost": cost, "start_year": c.start_year, "years_held": c.years_held}
    return row, events, carried_on
