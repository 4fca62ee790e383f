"""The check rounds of a plan year and what "converged" means.

Each round's allocation is simulated once per replication (each from its own carried-over
state); the trial's cells — each (county, item)'s mean over replications, exactly the rows of
``kpis.csv`` — are compared with what the plan promised, **cell by cell**, for every
purchasable cell with need (government-only duties are staffed by the establishment, which the
loop cannot change: they are reported, not checked):

- **coverage**: the simulated coverage (served ÷ (arrivals + carried in)) may fall at most
  :data:`COVERAGE_TOLERANCE` (2 points) below the coverage the plan gives the cell (hours
  served ÷ hours of need, ``allocation.unmet``). For an item with a deadline a case still
  waiting *within* its deadline at year end counts as on time (the fourth-quarter peak's last
  cases are cleared in January, as planned): (served + waiting within the deadline) ÷ demand;
- **wait**, only where the plan covers the cell's need in full (within the same tolerance): a
  plan that rations a cell on purpose promises its coverage, not a wait. The promised wait is
  the item's deadline where it has one (``deadline_days``, the statutory promise), else its
  ``target_wait_days``; the simulated 90th-percentile wait of the cases that arrived in the
  year (a year that clears a backlog cannot undo the waits its carried cases already had) may
  exceed it by at most :data:`WAIT_TOLERANCE` (10 %). An item with a peak season is judged on
  the peak as well: the 90th-percentile wait of the cases that arrived in the peak season,
  against the deadline. Commissioned deliverables (``arrivals = "commissioned"``) promise
  their coverage only: the plan buys the year's deliverables — with one carried from last
  year, two — to be worked through one after the other within the year, so the second
  starts months after it was ordered, as planned; a wait target does not describe them.

Each figure is a mean over the trial's R replications and is judged with its 95 % interval:
the Student-t half-width of the same quantity over the replications (:func:`trial_halfwidths`;
a coverage's figure stays the ratio of the means, as ``kpis.csv`` shows it, its interval is
that of the per-replication ratios; the rules are :mod:`govsim.pipeline.verdict`). A cell
whose figure breaks a promise beyond the tolerance *and* beyond its interval *misses*
(coverage: ``got + half-width < planned − tolerance``; wait: ``p90 − half-width > promise ×
(1 + tolerance)``; a wait with no case served misses outright). A cell that breaks a promise
only within its interval is *inconclusive*: R replications cannot tell its shortfall from
chance; the round records it with the replications estimated to decide it (``ceil(R ×
(half-width ÷ distance)²)``, the spread assumed to stay as observed). With one replication
there is no interval and the figure alone decides (a miss, as before the intervals).

Only missed cells steer the loop: missed cells of items bought in posts get a lower
utilisation target (more slack per case: ρ ← max(:data:`RHO_FLOOR`, :data:`RHO_STEP` × ρ);
a project item's hours have none, :func:`targets_plan`) and the year is re-allocated, at most
``rounds`` rounds. The adopted round is the one with the best checked service level
(``on_target_share``): inconclusive cells count as on target there — they are not shown to
miss, and lowering their targets would chase noise.

**Status of a year** (``convergence.csv``):

- ``converged`` — no cell falls short of what the plan promised beyond its interval, and the
  plan covers every cell's need;
- ``unattainable`` — no cell falls short beyond its interval, but the plan rations some cells
  because a cap binds: "unattainable under relief-cap, X 万元 short", X being the year's
  money-needed gap (without one, the money that would buy the rationed hours at the cheapest
  provider the county has, less the caps' room);
- ``not converged`` — some cell still misses its promise beyond its interval after the rounds
  (the reason says why).

Either way the reason then counts the inconclusive cells and the most replications any of them
would need (``cells_inconclusive``, ``replications``, ``replications_to_decide``).

Units: cases, shares, working days, CNY.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from govsim.allocation import AllocationResult, Estimates
from govsim.metrics import (
    cell_coverage,
    cells_from_summary,
    coverage,
    demand,
    need_weighted_coverage,
    overdue_cases,
    p90_wait_days,
    status_text,
)
from govsim.pipeline.verdict import Outcome, Verdict, judge
from govsim.policy import WAN
from govsim.scenario import Scenario
from govsim.sim import State, YearResult, summarise

__all__ = ["COVERAGE_TOLERANCE", "RHO_FLOOR", "RHO_STEP", "WAIT_TOLERANCE", "Round",
           "cap_binding", "check_round", "convergence_row", "hour_price", "lower_targets",
           "promised_wait", "same_purchases", "status_text", "targets_plan", "trial_cells",
           "trial_halfwidths"]

#: Utilisation target of a missed cell is multiplied by this each round ...
RHO_STEP = 0.85
#: ... but never below this floor.
RHO_FLOOR = 0.4
#: Simulated coverage may fall this far below the planned coverage before a cell misses; a
#: plan within it of full coverage covers the cell in full.
COVERAGE_TOLERANCE = 0.02
#: The simulated p90 wait may exceed the promised wait by this share before a cell misses.
WAIT_TOLERANCE = 0.10
#: Money rows that can ration a cell, by the fund that pays the item: what a status names.
_CAPS = {"relief": ("relief-cap", "relief-cap[{county}]"),
         "child": ("child-welfare fund", "fund[child,{county}]"),
         "lottery": ("welfare-lottery fund", "fund[lottery]"),
         "none": ("welfare-lottery fund", "fund[lottery]")}

Cell = tuple[str, str]


@dataclass
class Round:
    """One allocation of a year and the trial simulations that checked it.

    ``cells`` are the trial's cells (means over replications); ``misses`` the cells that broke
    a promise beyond its sampling interval, with why; ``inconclusive`` the cells that broke one
    only within it (not shown to miss: they count as on target), with why and
    ``replications_to_decide`` the replications estimated to tell each from chance;
    ``rationed`` the cells the plan covers below their need, with the hours short and the money
    (CNY) that would buy them.
    """

    number: int
    allocation: AllocationResult
    trial: list[tuple[YearResult, State]]
    rho: dict[Cell, float]
    cells: pd.DataFrame
    misses: dict[Cell, str]
    checked: int
    on_target_share: float
    weighted_coverage: float
    coverage: float
    p90_wait_days: float
    overdue: float
    rationed: dict[Cell, tuple[float, float]] = field(default_factory=dict)
    inconclusive: dict[Cell, str] = field(default_factory=dict)
    replications_to_decide: dict[Cell, int] = field(default_factory=dict)

    def row(self, year: int) -> dict[str, Any]:
        return {"year": year, "round": self.number, "cells_checked": self.checked,
                "cells_missed": len(self.misses),
                "cells_inconclusive": len(self.inconclusive),
                "on_target_share": self.on_target_share,
                "coverage": self.coverage, "weighted_coverage": self.weighted_coverage,
                "p90_wait_days": self.p90_wait_days, "overdue_cases": self.overdue,
                "spend_cny": self.allocation.spend_cny,
                "relief_cap_binding": ", ".join(cap_binding(self.allocation)),
                "missed": _listed(self.misses),
                "inconclusive": _listed(self.inconclusive)}


def _listed(cells: dict[Cell, str]) -> str:
    """The first 20 cells and why, for ``rounds.csv``."""
    return "; ".join(f"{c}/{i}: {why}" for (c, i), why in sorted(cells.items())[:20])


def trial_cells(trial: list[tuple[YearResult, State]]) -> pd.DataFrame:
    """The trial's cells: each (year, county, item)'s mean over replications (the rows of
    ``kpis.csv`` when the round is adopted)."""
    kpis = pd.concat([r.kpis.assign(replication=k) for k, (r, _) in enumerate(trial)],
                     ignore_index=True)
    return cells_from_summary(summarise(kpis))


def _on_time_coverage(cells: pd.DataFrame) -> pd.Series:
    """An item with a deadline's coverage: (served + still waiting within the deadline at year
    end) ÷ (arrivals + carried in), at most 1 (NaN without demand)."""
    seen = demand(cells)
    waiting_ok = cells["backlog"] - cells.get("overdue_waiting", 0.0)
    return ((cells["served"] + waiting_ok) / seen.where(seen > 0)).clip(upper=1.0)


#: The figures a promise is judged on, per replication: the coverage, the on-time coverage of
#: an item with a deadline, the p90 wait of the year's cases and the peak season's p90 wait.
_JUDGED = ("coverage", "on_time_coverage", "wait_p90_new_days", "wait_p90_peak_days")


def trial_halfwidths(trial: list[tuple[YearResult, State]]) -> dict[Cell, dict[str, float]]:
    """Each cell's 95 % half-width (Student t over the trial's replications, NaN with one) of
    each judged figure: the spread of the per-replication values of the figure the check
    reads (:func:`govsim.sim.summarise`, the run's one interval)."""
    kpis = pd.concat([r.kpis for r, _ in trial], ignore_index=True)
    new_wait = kpis["wait_p90_new_days"] if "wait_p90_new_days" in kpis.columns \
        else kpis["wait_p90_days"]
    judged = kpis[["county", "item"]].assign(
        coverage=cell_coverage(kpis), on_time_coverage=_on_time_coverage(kpis),
        wait_p90_new_days=new_wait,
        wait_p90_peak_days=kpis.get("wait_p90_peak_days", math.nan))
    spread = summarise(judged, by=("county", "item"), metrics=list(_JUDGED))
    columns = [f"{name}_ci95" for name in _JUDGED]
    return {(county, item): dict(zip(_JUDGED, values, strict=True))
            for county, item, *values in spread[["county", "item", *columns]].itertuples(
                index=False, name=None)}


def promised_wait(item: Any) -> tuple[float, str]:
    """The wait a fully planned cell of ``item`` promises (working days) and its name."""
    if item.deadline_days is not None:
        return float(item.deadline_days), "deadline"
    return float(item.target_wait_days), "target"


def check_round(scenario: Scenario, number: int, allocation: AllocationResult,
                estimates: Estimates, trial: list[tuple[YearResult, State]],
                rho: dict[Cell, float]) -> Round:
    """Compare the trial simulations with the allocation's plan, cell by cell, each figure
    with its 95 % interval over the trial's replications (:mod:`govsim.pipeline.verdict`)."""
    cells = trial_cells(trial)
    replications = len(trial)
    spread = trial_halfwidths(trial)
    items = {i.id: i for i in scenario.items}
    planned = {(r.county, r.item): float(r.coverage) for r in allocation.unmet.itertuples()}
    need = {(r.county, r.item): float(r.hours_need) - float(r.hours_served)
            for r in allocation.unmet.itertuples()}
    by_cell = cells.set_index(["county", "item"])
    # each cell's row read from a dict: a pandas look-up per cell was most of a province's check
    rows = by_cell.to_dict("index")
    sim_coverage = dict(zip(by_cell.index, cell_coverage(cells).to_numpy().tolist(),
                            strict=True))
    on_time = dict(zip(by_cell.index, _on_time_coverage(cells).to_numpy().tolist(),
                       strict=True))
    misses: dict[Cell, str] = {}
    inconclusive: dict[Cell, str] = {}
    to_decide: dict[Cell, int] = {}
    rationed: dict[Cell, tuple[float, float]] = {}
    weight_checked = weight_ok = 0.0
    checked = 0
    for cell, plan in planned.items():
        item = items[cell[1]]
        # the loop can change only what the plan buys: government-only duties are reported
        # (headline, warnings), not checked
        if math.isnan(plan) or cell not in rows or not item.is_purchasable:
            continue
        row = rows[cell]
        seen = float(row["arrivals"]) + float(row.get("carried_in", 0.0))
        if seen <= 0:
            continue
        checked += 1
        weight = item.priority * item.mean_hours * seen
        weight_checked += weight
        halfwidth = spread.get(cell, {})
        if item.deadline_days is not None:
            # a case still waiting within its deadline at year end is on time, not unserved
            figure, name, got = ("on_time_coverage", "served or within the deadline",
                                 on_time[cell])
        else:
            figure, name, got = "coverage", "coverage", sim_coverage[cell]
        verdict = judge(got, plan - COVERAGE_TOLERANCE, halfwidth.get(figure, math.nan),
                        replications, at_most=False)
        found = [] if verdict.outcome is Outcome.KEPT else [
            (f"{name} {got:.0%}{_give_or_take(verdict, '.1%')} < planned {plan:.0%}", verdict)]
        if plan >= 1.0 - COVERAGE_TOLERANCE and item.arrivals != "commissioned":
            found += _wait_verdicts(item, row, halfwidth, replications)
        elif need.get(cell, 0.0) > 0:
            hours = need[cell]
            rationed[cell] = (hours, hours * hour_price(scenario, estimates, *cell))
        missed = [why for why, v in found if v.outcome is Outcome.MISSED]
        unsure = [(why, v) for why, v in found if v.outcome is Outcome.INCONCLUSIVE]
        if missed:
            misses[cell] = ", ".join(missed)
            continue
        weight_ok += weight  # kept, or short only within the interval: not shown to miss
        if unsure:
            to_decide[cell] = max(v.replications_to_decide or 0 for _, v in unsure)
            inconclusive[cell] = (", ".join(why for why, _ in unsure)
                                  + f": within the 95 % interval at {replications} "
                                  f"replications (~{to_decide[cell]} would decide)")
    return Round(
        number=number, allocation=allocation, trial=trial, rho=rho, cells=cells,
        misses=misses, checked=checked,
        on_target_share=weight_ok / weight_checked if weight_checked > 0 else 1.0,
        weighted_coverage=need_weighted_coverage(cells, scenario),
        coverage=coverage(cells), p90_wait_days=p90_wait_days(cells),
        overdue=overdue_cases(cells, scenario), rationed=rationed,
        inconclusive=inconclusive, replications_to_decide=to_decide,
    )


def _give_or_take(verdict: Verdict, spec: str) -> str:
    """`` ± half-width`` of a figure shown in a reason (nothing without an interval)."""
    return "" if math.isnan(verdict.halfwidth) else f" ± {verdict.halfwidth:{spec}}"


def _wait_verdicts(item: Any, row: Mapping[str, Any], halfwidth: Mapping[str, float],
                   replications: int) -> list[tuple[str, Verdict]]:
    """The wait promises of a fully planned cell that the trial breaks, judged."""
    promise, name = promised_wait(item)
    limit = promise * (1.0 + WAIT_TOLERANCE)
    out = []
    # the cases that arrived in the year: a year clearing a backlog cannot undo the waits its
    # carried cases already had
    p90 = float(row.get("wait_p90_new_days", row["wait_p90_days"]))
    verdict = judge(p90, limit, halfwidth.get("wait_p90_new_days", math.nan), replications,
                    at_most=True)
    if verdict.outcome is not Outcome.KEPT:
        shown = "no case served" if math.isnan(p90) else \
            f"p90 wait {p90:.1f}{_give_or_take(verdict, '.1f')} d"
        out.append((f"{shown} > {name} {promise:g} d", verdict))
    peak = float(row.get("wait_p90_peak_days", math.nan))
    if item.deadline_days is not None and not math.isnan(peak):
        verdict = judge(peak, limit, halfwidth.get("wait_p90_peak_days", math.nan),
                        replications, at_most=True)
        if verdict.outcome is not Outcome.KEPT:
            out.append((f"peak-season p90 wait {peak:.1f}{_give_or_take(verdict, '.1f')} d > "
                        f"deadline {promise:g} d", verdict))
    return out


def hour_price(scenario: Scenario, estimates: Estimates, county_id: str,
                item_id: str) -> float:
    """The cheapest CNY per hour of the item's service the county can buy: cost per FTE ÷
    (productive hours × the cell's planned utilisation × (1 − expected capacity loss))."""
    county = scenario.county(county_id)
    rho = estimates.demand_value("utilisation_target", county_id, item_id)
    if not targets_plan(scenario, (county_id, item_id)):
        rho = 1.0
    hours = scenario.header.productive_hours_per_fte * rho
    prices = []
    for ptype in scenario.provider_types:
        if county.market.get(ptype.id, 0.0) <= 0:
            continue
        loss = estimates.provider_value("capacity_loss", county_id, item_id, ptype.id)
        if hours * (1.0 - loss) > 0:
            prices.append(ptype.cost_per_fte_year / (hours * (1.0 - loss)))
    return min(prices, default=math.nan)


def targets_plan(scenario: Scenario, cell: Cell) -> bool:
    """Whether a utilisation target plans the cell: an item bought in posts. A project item's
    hours are packaged deliveries, planned with no queueing allowance (the allocation model
    reads no ρ for them), so lowering its target could not change the plan."""
    return scenario.item(cell[1]).purchase_mode == "post"


def lower_targets(rho: dict[Cell, float], misses: dict[Cell, str],
                  scenario: Scenario) -> dict[Cell, float] | None:
    """Lower the utilisation target of every missed cell the target plans; ``None`` if there
    is none to lower (all at the floor, or project items: :func:`targets_plan`)."""
    start = scenario.policy.utilisation_target
    lowered = dict(rho)
    changed = False
    for cell in filter(lambda c: targets_plan(scenario, c), misses):
        current = rho.get(cell, start)
        new = max(min(RHO_FLOOR, start), current * RHO_STEP)
        if new < current - 1e-12:
            lowered[cell] = new
            changed = True
    return lowered if changed else None


def cap_binding(allocation: AllocationResult) -> list[str]:
    """Scopes whose relief cap binds."""
    c = allocation.constraints
    binding = c[(c["rule"] == "relief-cap") & c["binding"].astype(bool)]
    return sorted(str(s) for s in binding["scope"])


def same_purchases(a: AllocationResult, b: AllocationResult) -> bool:
    """Whether two allocations buy the same FTE in every cell (to 10⁻⁶ FTE)."""
    keys = ["county", "item", "provider_type"]
    left = a.allocation.groupby(keys)["fte"].sum()
    right = b.allocation.groupby(keys)["fte"].sum()
    joined = pd.concat([left, right], axis=1).fillna(0.0)
    return bool((joined.iloc[:, 0] - joined.iloc[:, 1]).abs().max() <= 1e-6) \
        if len(joined) else True


def _no_target_left(scenario: Scenario, last: Round) -> str:
    """Why the loop stopped before its round limit with cells missing (``lower_targets``
    found nothing to lower in the last round)."""
    projects = sum(not targets_plan(scenario, cell) for cell in last.misses)
    floor = f"utilisation targets are at the floor ({RHO_FLOOR:.0%})"
    if not projects:
        return f"their {floor}"
    if projects == len(last.misses):
        return ("they are project items, whose hours no utilisation target plans (bought as "
                "deliveries): another round could not change what the plan buys for them")
    return (f"the project items among them ({projects}) have no utilisation target to lower "
            f"(bought as deliveries); the others' {floor}")


def _limiting_caps(scenario: Scenario, best: Round) -> dict[str, float]:
    """Money short per limiting cap, CNY: the rationed cells' money less the room left under
    the cap that pays for them. A money row limits when it binds or its room is less than one
    post of the cheapest provider type (whole posts); cells no money row limits are rationed
    by provider capacity (no money figure)."""
    constraints = best.allocation.constraints.set_index("name")
    pooled = scenario.policy.cap_scope == "prefecture"
    one_post = min(p.cost_per_fte_year for p in scenario.provider_types)
    money_by_row: dict[tuple[str, str], float] = {}
    for (county, item_id), (_, money) in best.rationed.items():
        cap, row = _CAPS[scenario.item(item_id).fund]
        name = row.format(county="prefecture" if pooled and cap == "relief-cap" else county)
        if name not in constraints.index and cap == "child-welfare fund":
            name = "fund[child]"
        key = (cap, name)
        money_by_row[key] = money_by_row.get(key, 0.0) + (money if math.isfinite(money) else 0.0)
    short: dict[str, float] = {}
    for (cap, name), money in money_by_row.items():
        if name in constraints.index:
            row = constraints.loc[name]
            room = max(0.0, float(row["slack"]))
            if bool(row["binding"]) or room < one_post:
                short[cap] = short.get(cap, 0.0) + max(0.0, money - room)
                continue
        short["provider capacity"] = 0.0
    return short


def convergence_row(scenario: Scenario, year: int, candidates: list[Round], best: Round,
                    max_rounds: int, unchanged: bool, warnings: list[str],
                    gap_cny: float | None = None) -> dict[str, Any]:
    """The year's row of ``convergence.csv``: status, reason, the adopted round's figures.

    ``gap_cny`` is the year's money-needed gap of the prefecture (``money_needed.csv``): the
    one figure of money short a reader sees, here as in the table. Without it (a caller with
    no money-needed table) the rationed cells' money less the caps' room is used."""
    first = candidates[0]
    delivered = not best.misses
    caps = _limiting_caps(scenario, best) if best.rationed else {}
    names = sorted(cap for cap in caps if cap != "provider capacity")
    money = (float(gap_cny) if gap_cny is not None and names
             else sum(caps[cap] for cap in names))
    cap_text = ", ".join(names + (["provider capacity"] if "provider capacity" in caps else []))
    if names:
        cap_text += f" ({money / WAN:,.1f} 万元 short)"
    replications = len(best.trial)
    to_decide = max(best.replications_to_decide.values(), default=None)
    within = " within their sampling intervals" if replications > 1 else ""  # none with one
    if delivered and not caps:
        status = "converged"
        reason = (f"the simulation delivers the plan in all {best.checked} checked "
                  f"cells{within} and the plan covers every cell's need (round {best.number})")
    elif delivered:
        status = "unattainable"
        reason = (f"the simulation delivers the plan in all {best.checked} checked "
                  f"cells{within}, but the plan rations {len(best.rationed)} cells: "
                  f"unattainable under {cap_text}")
    else:
        status = "not converged"
        parts = [f"{len(best.misses)} of {best.checked} checked cells still miss what the plan "
                 f"promised"]
        if unchanged:
            parts.append("lowering their utilisation targets did not change the allocation "
                         "(their posts are set by the staffing rules or the caps)")
        elif len(candidates) < max_rounds:
            parts.append(_no_target_left(scenario, candidates[-1]))
        else:
            parts.append(f"round limit {max_rounds} reached")
        if caps:
            parts.append(f"{len(best.rationed)} cells rationed under {cap_text}")
        reason = "; ".join(parts)
    if best.inconclusive:
        reason += (f"; {len(best.inconclusive)} cells fall short only within their sampling "
                   f"interval: {replications} replications cannot tell (up to ~{to_decide:,} "
                   f"would decide)")
    limiting = ", ".join(names)
    return {"year": year, "status": status, "converged": delivered,
            "limiting_cap": limiting, "money_short_cny": money if caps else 0.0,
            "reason": reason, "rounds": len(candidates), "adopted_round": best.number,
            "coverage": best.coverage, "weighted_coverage": best.weighted_coverage,
            "p90_wait_days": best.p90_wait_days, "overdue_cases": best.overdue,
            "cells_checked": best.checked, "cells_missed": len(best.misses),
            "cells_inconclusive": len(best.inconclusive), "replications": replications,
            "replications_to_decide": to_decide, "cells_rationed": len(best.rationed),
            "on_target_share_round1": first.on_target_share,
            "on_target_share_adopted": best.on_target_share,
            "warnings": " | ".join(warnings)}
