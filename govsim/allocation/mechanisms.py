"""The allocation's constraint families for the switched-on mechanisms (``[mechanisms]``).

Each family follows :mod:`govsim.allocation.model`: named rows with a rule id and a scope.
With every mechanism off none of this adds a variable or a row, and the prices, capacities and
markets read by the model are the scenario's own, so the plan is exactly the plan without it.

- ``volunteers[c]`` (rule ``volunteer-link``): hours used from volunteers on the county's listed
  items ≤ ρ × (volunteer casework hours per social-worker FTE) × the social-organisation FTE in
  force and bought in the county (new FTE counted for the share of the year it delivers). The
  volunteers' subsidy is part of the social-organisation price
  (:func:`govsim.mechanisms.prices.provider_price`), so it is paid from the fund of the item the
  social worker is bought for.
- ``assistants[c]`` (rule ``village-assistants``): hours used from village assistants on the
  listed items ≤ ρ × their hours × the assistants hired, ``a[c]`` ≤ ``per_village`` × villages
  (whole people with whole posts). Their subsidy is in the cost goal and the total budget, and
  in ``relief-cap[c]`` only with ``counts_toward_relief_cap`` (费随事转: work handed to a village
  committee is paid from the social-assistance work funds, not bought from a social force).
- Lead time (rule ``annual-cycle``): a new tender — a (county, item, provider type) with no
  contract in force and no purchase running the year before — delivers and is paid for
  ``(12 − months) / 12`` of its first year: its hours per FTE and the price it is paid (cost
  goal, social-organisation share, allocation table) are scaled; the caps and funds reserve its
  full-year price, which it costs from next year on.
- Eligibility (rule ``provider-rating``): the market a social-organisation type may bid from is
  scaled by ``unnamed_eligible_share`` (:func:`govsim.mechanisms.prices.market_share`).

Units as in the model: hours a year, FTE, people, money in 万元.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import pulp

from govsim.mechanisms.prices import (
    VILLAGE_ASSISTANT,
    VOLUNTEER,
    first_year_share,
    volunteer_hours_per_fte,
)
from govsim.policy import WAN

if TYPE_CHECKING:
    from govsim.allocation.model import AllocationModel, Terms

__all__ = ["MECHANISM_SOURCES", "add_assistant_hours", "add_mechanism_variables",
           "add_volunteer_hours", "assistant_money", "lead_time_shares"]

#: Sources of hours that are not purchased FTE of a provider type.
MECHANISM_SOURCES = (VOLUNTEER, VILLAGE_ASSISTANT)


def lead_time_shares(model: AllocationModel, running: frozenset[tuple[str, str, str]]
                     ) -> dict[tuple[str, str, str], float]:
    """Share of the year each new tender delivers, for every (county, item, type) that is a
    new tender this year (empty without lead time)."""
    share = first_year_share(model.scenario)
    if share >= 1.0:
        return {}
    return {key: share for key in model.n
            if model.continuing.get(key, 0.0) <= 0 and key not in running}


def add_mechanism_variables(model: AllocationModel) -> None:
    """Hours variables of volunteers and assistants on their listed cells, and the assistants
    hired per county (after the model's own variables, before its constraint families)."""
    m = model.scenario.mechanisms
    for source, section in ((VOLUNTEER, m.volunteers), (VILLAGE_ASSISTANT, m.village_assistants)):
        if not section.enabled:
            continue
        for (c, i), sources in model.sources.items():
            if i not in section.items:
                continue
            sources.append(source)
            model.used[c, i, source] = model.variable("h", c)
            model.quality[c, i, source] = section.quality
    if m.village_assistants.enabled:
        a = m.village_assistants
        for county in model.scenario.counties:
            if any((county.id, i, VILLAGE_ASSISTANT) in model.used for i in a.items):
                model.mechanism_vars.setdefault(VILLAGE_ASSISTANT, {})[county.id] = \
                    model.variable("a", county.id, up=a.per_village * county.villages,
                                   integer=model.integer_posts)


def add_volunteer_hours(model: AllocationModel) -> None:
    """``volunteers[c]``: volunteer hours used ≤ ρ × hours per social-worker FTE × FTE."""
    scenario = model.scenario
    if not scenario.mechanisms.volunteers.enabled:
        return
    per_fte = volunteer_hours_per_fte(scenario) * scenario.policy.utilisation_target
    social = {p.id for p in scenario.provider_types if p.is_social_org}
    workers: dict[str, Terms] = defaultdict(list)
    held: dict[str, float] = defaultdict(float)
    for key, n in model.n.items():
        if key[2] in social:
            workers[key[0]].append((n, -per_fte * model.year_share.get(key, 1.0)))
    for (c, _, p), fte in model.continuing.items():
        if p in social:
            held[c] += fte
    used: dict[str, Terms] = defaultdict(list)
    for (c, _, src), var in model.used.items():
        if src == VOLUNTEER:
            used[c].append((var, 1.0))
    for county, terms in used.items():
        model.add(f"volunteers[{county}]", "volunteer-link", county,
                  [*terms, *workers[county]], pulp.LpConstraintLE, per_fte * held[county])


def add_assistant_hours(model: AllocationModel) -> None:
    """``assistants[c]``: assistant hours used ≤ ρ × hours per assistant × assistants hired."""
    a = model.scenario.mechanisms.village_assistants
    hired = model.mechanism_vars.get(VILLAGE_ASSISTANT, {})
    if not a.enabled or not hired:
        return
    rho = model.scenario.policy.utilisation_target
    used: dict[str, Terms] = defaultdict(list)
    for (c, _, src), var in model.used.items():
        if src == VILLAGE_ASSISTANT:
            used[c].append((var, 1.0))
    for county, var in hired.items():
        model.add(f"assistants[{county}]", "village-assistants", county,
                  [*used[county], (var, -rho * a.hours_per_year)], pulp.LpConstraintLE, 0.0)


def assistant_money(model: AllocationModel, *, relief_cap: bool = False) -> dict[str, Terms]:
    """Terms (万元) of the assistants' subsidies per county; for ``relief_cap`` only when they
    count toward it."""
    a = model.scenario.mechanisms.village_assistants
    if relief_cap and not a.counts_toward_relief_cap:
        return {}
    return {c: [(var, a.subsidy_per_year / WAN)]
            for c, var in model.mechanism_vars.get(VILLAGE_ASSISTANT, {}).items()}
