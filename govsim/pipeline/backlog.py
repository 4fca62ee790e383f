"""Headline warnings of a plan year: statutory backlogs that grow, establishment posts short.

- **Statutory work out of control.** For every (county, item) with a deadline: the adopted
  plan leaves part of its work unstaffed, or the adopted simulation (means over replications)
  has cases past the deadline (served late, or still waiting past it at year end), or — from
  the second plan year — a year-end backlog above the year before's; each by more than
  :data:`GROWTH_TOLERANCE` of the year's arrivals (and at least one case). (A backlog
  within the deadline is no warning: the fourth-quarter peak's last cases are planned to be
  cleared in January.) The warning names the item and the county and
  the staff that would stop it: the hours the plan leaves unserved in the cell (or, if more,
  the backlog's growth × hours per case; if the plan served it all, the late cases × hours per
  case) ÷ (productive hours × the cell's planned utilisation) FTE — and, for a purchasable
  item, their money a year at the cheapest provider the county has. A government-only item
  (not planned: the establishment does it) gets one sentence over its counties, with the
  establishment staff that would stop it (rule ``prohibited-items``).
- **Establishment staff short for government-only duties**
  (:func:`govsim.demand.public_duty_staffing`): they are sized like every post, at the
  utilisation target; where the caseworkers in post cannot cover them, the shortfall is a
  staffing need only the establishment can fill.

Units: cases, FTE, CNY (shown in 万元).
"""

from __future__ import annotations

import math

import pandas as pd

from govsim.allocation import Estimates
from govsim.demand import public_duty_staffing
from govsim.pipeline.check import hour_price
from govsim.scenario import Scenario

__all__ = ["GROWTH_TOLERANCE", "backlog_warnings", "public_staff_warnings"]

#: A backlog grows when it ends the year more than this share of the year's arrivals above
#: the backlog carried in (and by at least one case): smaller changes are noise.
GROWTH_TOLERANCE = 0.02


def backlog_warnings(scenario: Scenario, cells: pd.DataFrame, estimates: Estimates,
                     unmet: pd.DataFrame,
                     previous_end: dict[tuple[str, str], float] | None = None) -> list[str]:
    """One sentence per (county, item) with a deadline whose statutory work is not under
    control.

    ``cells`` are the adopted year's cells (means over replications); ``unmet`` the adopted
    plan's ``allocation.unmet``; ``previous_end`` the backlog at the end of the year before
    (``None`` in the first plan year).
    """
    out = []
    demand = estimates.demand.set_index(["county", "item"])
    short_hours = {(r.county, r.item): max(0.0, float(r.hours_need) - float(r.hours_served))
                   for r in unmet.itertuples(index=False)}
    ph = scenario.header.productive_hours_per_fte
    duties: dict[str, list[tuple[str, float, float]]] = {}
    for row in cells.itertuples(index=False):
        item = scenario.item(str(row.item))
        if item.deadline_days is None:
            continue
        key = (str(row.county), item.id)
        noise = max(1.0, GROWTH_TOLERANCE * float(row.arrivals))
        end = float(row.backlog)
        late = float(getattr(row, "overdue_served", 0.0)) + \
            float(getattr(row, "overdue_waiting", 0.0))
        before = None if previous_end is None else previous_end.get(key, 0.0)
        growth = 0.0 if before is None else end - before
        # cases' work the plan leaves unstaffed (government-only duties are not planned: the
        # establishment does them)
        rationed = short_hours.get(key, 0.0) / item.mean_hours if item.is_purchasable else 0.0
        if late <= noise and growth <= noise and rationed <= noise:
            continue
        rho = float(demand.loc[key, "utilisation_target"]) if key in demand.index else \
            scenario.policy.utilisation_target
        hours = max(rationed, max(growth, 0.0)) * item.mean_hours
        if hours <= 0:  # planned in full: the cases late are the measure of what is missing
            hours = late * item.mean_hours
        fte = hours / (ph * rho)
        if not item.is_purchasable:
            duties.setdefault(item.id, []).append((key[0], late, fte))
            continue
        grew = "" if before is None else f"; backlog {before:,.0f} → {end:,.0f}"
        plan = f"; the plan leaves {rationed:,.0f} cases' work unstaffed" if rationed > noise \
            else ""
        money = hours * hour_price(scenario, estimates, *key)
        stop = (f" ({money / 1e4:,.1f} 万元 a year) would stop it" if math.isfinite(money)
                else " would stop it (no provider offers it here)")
        out.append(f"{item.id} in {row.county}: {late:,.0f} cases past the "
                   f"{item.deadline_days:g}-day deadline (served late or still waiting at year "
                   f"end){grew}{plan}; about {_fte(fte)} more FTE{stop}")
    for item_id, rows in duties.items():
        item = scenario.item(item_id)
        where = ", ".join(f"{county} {late:,.0f}" for county, late, _ in rows)
        out.append(f"{item_id} (government-only): cases past the {item.deadline_days:g}-day "
                   f"deadline in {len(rows)} counties ({where}); about "
                   f"{_fte(sum(f for _, _, f in rows))} more FTE of establishment staff in all "
                   "would stop it (not purchasable: prohibited-items)")
    return out


def _fte(fte: float) -> str:
    return f"{fte:,.1f}" if fte >= 0.95 else f"{fte:.2f}"


def public_staff_warnings(scenario: Scenario) -> list[str]:
    """One sentence per county whose caseworkers in post cannot staff its government-only
    duties at the utilisation target."""
    table = public_duty_staffing(scenario)
    out = []
    for county, part in table.groupby("county", sort=False):
        short = float(part["fte_short"].sum())
        if short <= 0.005:
            continue
        out.append(f"{county}: government-only duties ({', '.join(part['item'])}) need "
                   f"{part['fte_needed'].sum():,.1f} FTE of establishment staff at the "
                   f"{scenario.policy.utilisation_target:.0%} utilisation target; "
                   f"{part['fte_assigned'].sum():,.1f} in post for them, {short:,.1f} short "
                   "(they may not be purchased: prohibited-items)")
    return out
