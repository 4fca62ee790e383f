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

Each warning is data — a :class:`YearWarning` (a code, the county and item ids, its figures in
their units) — worded per language by :func:`govsim.output.phrases.warning_text` from the one
label table; ``convergence.csv``'s ``warnings`` column keeps the English wording with ids (for
developers), ``warnings.csv`` the data.

Units: cases, FTE, CNY (shown in 万元).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from govsim.allocation import Estimates
from govsim.demand import public_duty_staffing
from govsim.output.phrases import WARNING_COLUMNS
from govsim.pipeline.check import hour_price
from govsim.scenario import Scenario

__all__ = ["GROWTH_TOLERANCE", "WARNING_COLUMNS", "YearWarning", "backlog_warnings",
           "public_staff_warnings", "warnings_table"]


#: A backlog grows when it ends the year more than this share of the year's arrivals above
#: the backlog carried in (and by at least one case): smaller changes are noise.
GROWTH_TOLERANCE = 0.02


@dataclass(frozen=True)
class YearWarning:
    """One headline warning as data.

    ``code`` says which: ``late`` (statutory work of a purchasable item out of control in one
    county; figures ``late, days, before, after, rationed, fte, money_cny`` — ``before`` and
    ``rationed`` None when not shown, ``money_cny`` None when no provider offers the item),
    ``government_late`` (a government-only item over its counties; ``days, where`` — a list of
    ``[county, late]`` — ``fte``), ``establishment_short`` (a county's government-only duties;
    ``items, need, rho, assigned, short``). Cases, days, FTE, CNY, ``rho`` a share.
    """

    code: str
    county: str = ""
    item: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    def row(self, year: int) -> dict[str, Any]:
        """The warning as a row of ``warnings.csv``."""
        return {"year": year, "code": self.code, "county": self.county, "item": self.item,
                "figures": json.dumps(self.figures, ensure_ascii=False, sort_keys=True)}


def warnings_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """``warnings.csv`` from :meth:`YearWarning.row` rows."""
    return pd.DataFrame(rows, columns=WARNING_COLUMNS)


def backlog_warnings(scenario: Scenario, cells: pd.DataFrame, estimates: Estimates,
                     unmet: pd.DataFrame,
                     previous_end: dict[tuple[str, str], float] | None = None
                     ) -> list[YearWarning]:
    """One warning per (county, item) with a deadline whose statutory work is not under
    control (one per government-only item over its counties).

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
        money = hours * hour_price(scenario, estimates, *key)
        out.append(YearWarning("late", key[0], item.id, {
            "late": late, "days": item.deadline_days,
            "before": before, "after": end if before is not None else None,
            "rationed": rationed if rationed > noise else None, "fte": fte,
            "money_cny": money if math.isfinite(money) else None}))
    for item_id, rows in duties.items():
        item = scenario.item(item_id)
        out.append(YearWarning("government_late", "", item_id, {
            "days": item.deadline_days, "where": [[county, late] for county, late, _ in rows],
            "fte": sum(f for _, _, f in rows)}))
    return out


def public_staff_warnings(scenario: Scenario) -> list[YearWarning]:
    """One warning per county whose caseworkers in post cannot staff its government-only
    duties at the utilisation target."""
    table = public_duty_staffing(scenario)
    out = []
    for county, part in table.groupby("county", sort=False):
        short = float(part["fte_short"].sum())
        if short <= 0.005:
            continue
        out.append(YearWarning("establishment_short", str(county), "", {
            "items": [str(i) for i in part["item"]], "need": float(part["fte_needed"].sum()),
            "rho": scenario.policy.utilisation_target,
            "assigned": float(part["fte_assigned"].sum()), "short": short}))
    return out
