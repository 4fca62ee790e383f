"""Headline warnings of a plan year: statutory backlogs that grow, establishment posts short.

- **Statutory work out of control.** For every (county, item) with a deadline, in the adopted
  simulation (means over replications): cases past the deadline (served late, or still
  waiting past it at year end), or — from the second plan year — a year-end backlog above the
  year before's, by more than :data:`GROWTH_TOLERANCE` of the year's arrivals (and at least
  one case). (A backlog within the deadline is no warning: the fourth-quarter peak's last
  cases are planned to be cleared in January.) The warning names the item and the county and
  the staff that would stop it: the hours the plan leaves unserved in the cell (or, if more,
  the backlog's growth × hours per case; if the plan served it all, the late cases × hours per
  case) ÷ (productive hours × the cell's planned utilisation) FTE — and, for a purchasable
  item, their money a year at the cheapest provider the county has; a government-only item
  needs establishment staff (rule ``prohibited-items``).
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
    from govsim.pipeline.check import _hour_price  # the one price of an hour of service

    out = []
    demand = estimates.demand.set_index(["county", "item"])
    short_hours = {(r.county, r.item): max(0.0, float(r.hours_need) - float(r.hours_served))
                   for r in unmet.itertuples(index=False)}
    ph = scenario.scenario.productive_hours_per_fte
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
        if late <= noise and growth <= noise:
            continue
        rho = float(demand.loc[key, "utilisation_target"]) if key in demand.index else \
            scenario.policy.utilisation_target
        hours = max(short_hours.get(key, 0.0), max(growth, 0.0) * item.mean_hours)
        if hours <= 0:  # planned in full: the cases late are the measure of what is missing
            hours = late * item.mean_hours
        fte = hours / (ph * rho)
        grew = "" if before is None else f"; backlog {before:,.0f} → {end:,.0f}"
        text = (f"{item.id} in {row.county}: {late:,.0f} cases past the "
                f"{item.deadline_days:g}-day deadline (served late or still waiting at year "
                f"end){grew}; about {fte:,.1f} more FTE")
        if item.is_purchasable:
            money = hours * _hour_price(scenario, estimates, *key)
            if math.isfinite(money):
                text += f" ({money / 1e4:,.1f} 万元 a year) would stop it"
            else:
                text += " would stop it (no provider offers it here)"
        else:
            text += " of establishment staff would stop it (not purchasable: prohibited-items)"
        out.append(text)
    return out


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
