"""What the switched-on mechanisms add to one simulated year (``govsim.sim.year``).

:class:`YearMechanisms` is made once per simulated year when any mechanism is on (with all off
the year runs exactly as without this module). New capacity enters the pools as worker
*slots* — the engines are untouched:

- **volunteers** (《东莞市社工、志愿者联动工作实施方案》): each purchased social-organisation FTE
  in a county brings ``per_social_worker`` volunteers giving ``hours_per_volunteer`` hours at
  ``effectiveness``; their casework FTE is spread over the county's listed items (as the plan
  placed them, else by demand hours) as one ``volunteer`` slot per pool;
- **village assistants** (协理员, 四川省实施意见 §(十一)): the assistants the plan hired work the
  listed items as an ``assistant`` slot; their subsidy is paid by the task (费随事转);
- **lead time** (annual cycle): a new tender's workers join ``months`` into its first year; the
  public staff carry the interim, and the contract is paid for the months it delivers;
- **payment by assessment** (《成都市政府购买服务工作规程》 Art. 28): the satisfaction part of the
  year-end score is observed through a survey of ``survey_sample`` recipients (stream
  ``survey``), so a good provider can fail a year and a weak one pass; ``withheld_share`` of the
  contract's money is paid by the score;
- **vouchers** (Art. 19, 30): the cell's purchased FTE is split among up to ``providers``
  provider types (equally in a scheme's first year, then by last year's redemptions: money
  follows the case, and staff follow the money). Each case — carried ones again at the year's
  start — chooses an option *j* (a voucher provider, or the public staff on the cell) with the
  multinomial-logit probability ``exp(u_j) / Σ exp(u_k)``, ``u_j = quality_weight · q_j −
  wait_weight_per_day · w_j`` (``q_j`` the option's quality, ``w_j`` last year's mean wait there
  in working days, 0 in the first year), drawn from the stream ``voucher``, and queues there:
  each option is its own pool, and the cell's figures are summarised from the merged logs.
  A redeemed voucher pays its face value: the cell's budget (its FTE at their prices) over the
  cases that FTE serves fully used (mean hours per case), so redemptions stay within the budget
  unless service times run long, and an idle provider earns less than its staff cost.

Every figure is recorded in the year's mechanism table (:data:`MECHANISM_COLUMNS`). Units: FTE,
CNY, cases, clock hours (working days in the table).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from govsim.demand import annual_cases
from govsim.mechanisms.prices import (
    VILLAGE_ASSISTANT,
    VOLUNTEER,
    lead_start_hours,
    provider_price,
    volunteer_hours_per_fte,
)
from govsim.rng import stream
from govsim.scenario import Scenario

if TYPE_CHECKING:
    from govsim.sim.draw import PoolDraw
    from govsim.sim.spec import PoolLog, PoolOutcome, PoolSpec, Slot

# The simulation's modules are imported where they are used: govsim.sim.year imports this
# module, and importing any govsim.sim module first runs govsim/sim/__init__.py, which imports
# govsim.sim.year.

__all__ = ["MECHANISM_COLUMNS", "PUBLIC_OPTION", "YearMechanisms", "logit_shares",
           "merge_logs", "paid_share"]

MECHANISM_COLUMNS = ["year", "county", "item", "provider_type", "mechanism", "measure",
                     "value", "unit"]
#: The voucher option of a cell's own public staff (and other non-contract workers).
PUBLIC_OPTION = "public"

Cell = tuple[str, str]
Key = tuple[str, str, str]


def logit_shares(utilities: Sequence[float]) -> np.ndarray:
    """Multinomial-logit choice probabilities ``exp(u_j) / Σ exp(u_k)`` (stable form)."""
    u = np.asarray(utilities, dtype=float)
    e = np.exp(u - u.max())
    return e / e.sum()


def paid_share(score: float, pass_mark: float, full_score: float) -> float:
    """Share of the withheld money paid for an assessment score: none below the pass mark
    (or without a score), else ``score / full_score``, at most all of it."""
    if math.isnan(score) or score < pass_mark:
        return 0.0
    return min(1.0, score / full_score)


@dataclass
class YearMechanisms:
    """The switched-on mechanisms of one simulated year (see the module docstring).

    Made by :meth:`start`; ``history`` is the voucher record carried in the year's state
    (``(county, item) -> {option: (redemption share, mean wait days)}``); ``rows`` the year's
    mechanism table.
    """

    scenario: Scenario
    year: int
    seed: int
    replication: int
    history: dict[Cell, dict[str, tuple[float, float]]]
    planned: dict[str, dict[Cell, float]] = field(default_factory=dict)
    budgets: dict[Cell, float] = field(default_factory=dict)
    face_value: dict[Cell, float] = field(default_factory=dict)
    redeemed: dict[Key, int] = field(default_factory=dict)
    social_fte: dict[str, float] = field(default_factory=dict)
    next_history: dict[Cell, dict[str, tuple[float, float]]] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def start(cls, scenario: Scenario, year: int, seed: int, replication: int,
              carried: dict[str, Any] | None) -> YearMechanisms | None:
        """The year's mechanisms, or ``None`` when every mechanism is off."""
        if not scenario.mechanisms.any_enabled:
            return None
        history = dict((carried or {}).get("vouchers", {}))
        return cls(scenario, year, seed, replication, history, next_history=dict(history))

    def record(self, county: str, item: str, provider_type: str, mechanism: str, measure: str,
               value: float, unit: str) -> None:
        self.rows.append({"year": self.year, "county": county, "item": item,
                          "provider_type": provider_type, "mechanism": mechanism,
                          "measure": measure, "value": float(value), "unit": unit})

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=MECHANISM_COLUMNS)

    def carried(self) -> dict[str, Any]:
        """What the next year's state keeps: the voucher record."""
        return {"vouchers": self.next_history} if self.next_history else {}

    # -- what the plan asked for -------------------------------------------------------------

    def take_rows(self, capacities: pd.DataFrame | None) -> pd.DataFrame | None:
        """Capacities without the plan's volunteer and assistant rows, which are kept here."""
        if capacities is None or "provider_type" not in capacities.columns:
            return capacities
        mine = capacities["provider_type"].isin([VOLUNTEER, VILLAGE_ASSISTANT])
        if "year" in capacities.columns:
            mine &= capacities["year"] == self.year
        for row in capacities[mine].itertuples(index=False):
            cell = (str(row.county), str(row.item))
            cells = self.planned.setdefault(str(row.provider_type), {})
            cells[cell] = cells.get(cell, 0.0) + float(row.fte)
        return capacities[~capacities["provider_type"].isin([VOLUNTEER, VILLAGE_ASSISTANT])]

    def voucher_wanted(self, wanted: dict[Key, float]) -> dict[Key, float]:
        """Purchases with every voucher cell's FTE split among its voucher providers."""
        vouchers = self.scenario.mechanisms.vouchers
        if not vouchers.enabled:
            return wanted
        listed = set(vouchers.items)
        by_cell: dict[Cell, dict[str, float]] = defaultdict(dict)
        for (c, i, p), fte in wanted.items():
            if i in listed and fte > 0:
                by_cell[c, i][p] = fte
        out = {k: v for k, v in wanted.items() if (k[0], k[1]) not in by_cell}
        header = self.scenario.header
        for cell, bought in sorted(by_cell.items()):
            total = math.fsum(bought.values())
            budget = math.fsum(fte * provider_price(self.scenario, p) for p, fte in bought.items())
            options = self._voucher_types(cell, bought)
            previous = self.history.get(cell, {})
            weights = [previous[p][0] if p in previous else 1.0 / len(options) for p in options]
            if sum(weights) <= 0:
                weights = [1.0] * len(options)
            for p, w in zip(options, weights, strict=True):
                out[(cell[0], cell[1], p)] = total * w / sum(weights)
            item = self.scenario.item(cell[1])
            self.budgets[cell] = budget
            # the budget buys the FTE fully used: redemptions reach it only at full capacity
            self.face_value[cell] = budget / (total * header.productive_hours_per_fte) \
                * item.mean_hours
            self.record(cell[0], cell[1], "", "vouchers", "budget_cny", budget, "CNY")
            self.record(cell[0], cell[1], "", "vouchers", "face_value_cny",
                        self.face_value[cell], "CNY per case")
        return out

    def _voucher_types(self, cell: Cell, bought: dict[str, float]) -> list[str]:
        """Provider types that hold the cell's vouchers: those bought or with a local market,
        best quality first (then cheaper, then id), at most ``providers``."""
        county = self.scenario.county(cell[0])
        types = [p for p in self.scenario.provider_types
                 if p.id in bought or county.market.get(p.id, 0.0) > 0]
        types.sort(key=lambda p: (-p.quality, provider_price(self.scenario, p.id), p.id))
        return [p.id for p in types[: self.scenario.mechanisms.vouchers.providers]]

    def is_voucher_cell(self, cell: Cell) -> bool:
        return cell in self.budgets

    # -- workers ------------------------------------------------------------------------------

    def see_contracts(self, contracts: Iterable[Any]) -> None:
        """Note each county's purchased social-worker FTE (volunteers follow them)."""
        social = {p.id for p in self.scenario.provider_types if p.is_social_org}
        for c in contracts:
            if c.provider_type in social:
                self.social_fte[c.county] = self.social_fte.get(c.county, 0.0) + c.fte
        volunteers = self.scenario.mechanisms.volunteers
        if volunteers.enabled:
            for county in self.scenario.counties:
                workers = self.social_fte.get(county.id, 0.0)
                self.record(county.id, "", "", "volunteers", "social_worker_fte", workers, "FTE")
                self.record(county.id, "", "", "volunteers", "volunteers_linked",
                            workers * volunteers.per_social_worker, "people")
                self.record(county.id, "", "", "volunteers", "subsidy_cny",
                            workers * volunteers.per_social_worker
                            * volunteers.hours_per_volunteer * volunteers.subsidy_per_hour, "CNY")

    def start_hours(self, new_tender: bool) -> float:
        """Clock hour a contract's workers start: after the lead time for a new tender."""
        return lead_start_hours(self.scenario) if new_tender else 0.0

    def extra_slots(self, county: Any, item: Any) -> list[Slot]:
        """Volunteer and assistant slots of a pool (none when their mechanism is off)."""
        from govsim.sim.spec import Slot

        slots = []
        m = self.scenario.mechanisms
        ph = self.scenario.header.productive_hours_per_fte
        if m.volunteers.enabled and item.id in m.volunteers.items:
            fte = self._volunteer_fte(county, item)
            if fte > 0:
                slots.append(Slot("volunteers", "volunteer", fte, m.volunteers.quality))
                self.record(county.id, item.id, "", "volunteers", "volunteer_fte", fte, "FTE")
        if m.village_assistants.enabled and item.id in m.village_assistants.items:
            fte = self.planned.get(VILLAGE_ASSISTANT, {}).get((county.id, item.id), 0.0)
            if fte > 0:
                a = m.village_assistants
                people = fte * ph / a.hours_per_year if a.hours_per_year > 0 else 0.0
                slots.append(Slot("village_assistants", "assistant", fte, a.quality))
                self.record(county.id, item.id, "", "village_assistants", "assistants",
                            people, "people")
                self.record(county.id, item.id, "", "village_assistants", "subsidy_cny",
                            people * a.subsidy_per_year, "CNY")
        return slots

    def _volunteer_fte(self, county: Any, item: Any) -> float:
        """The county's volunteer casework FTE, spread over its listed items as the plan placed
        them (else by demand hours)."""
        scenario = self.scenario
        ph = scenario.header.productive_hours_per_fte
        total = self.social_fte.get(county.id, 0.0) * volunteer_hours_per_fte(scenario) / ph
        if total <= 0:
            return 0.0
        listed = scenario.mechanisms.volunteers.items
        planned = self.planned.get(VOLUNTEER, {})
        weights = {i: planned.get((county.id, i), 0.0) for i in listed}
        if sum(weights.values()) <= 0:
            weights = {i: annual_cases(scenario, county, scenario.item(i), self.year)
                       * scenario.item(i).mean_hours for i in listed}
        whole = sum(weights.values())
        return total * weights[item.id] / whole if whole > 0 else 0.0

    # -- assessment and money -----------------------------------------------------------------

    def observed(self, key: Key, satisfaction: float, served: int) -> float:
        """Satisfaction as the year-end survey sees it: the true mean plus the sampling error
        of ``min(survey_sample, served)`` respondents (payment by assessment on), in [0, 1]."""
        payment = self.scenario.mechanisms.payment_by_assessment
        if not payment.enabled or served <= 0:
            return satisfaction
        n = min(payment.survey_sample, served)
        rng = stream(self.seed, self.year, self.replication, "survey", *key)
        seen = float(np.clip(satisfaction + rng.normal(0.0, payment.response_sd / math.sqrt(n)),
                             0.0, 1.0))
        self.record(key[0], key[1], key[2], "payment_by_assessment", "true_satisfaction",
                    satisfaction, "score")
        self.record(key[0], key[1], key[2], "payment_by_assessment", "surveyed_satisfaction",
                    seen, "score")
        return seen

    def contract_cost(self, key: Key, cost: float, score: float, failed: bool,
                      delayed_share: float) -> float:
        """What a contract is paid for the year: voucher redemptions at face value instead of
        its FTE when it holds vouchers; then the withheld share by the score."""
        m = self.scenario.mechanisms
        cell = (key[0], key[1])
        if delayed_share > 0:
            self.record(key[0], key[1], key[2], "lead_time", "year_share_not_delivered",
                        delayed_share, "share")
        if cell in self.budgets:
            served = self.redeemed.get(key, 0)
            cost = served * self.face_value[cell]
            self.record(key[0], key[1], key[2], "vouchers", "redeemed_cny", cost, "CNY")
        payment = m.payment_by_assessment
        if not payment.enabled:
            return cost
        withheld = cost * payment.withheld_share
        share = 0.0 if failed else paid_share(score, self.scenario.policy.assessment_pass_mark,
                                              payment.full_payment_score)
        paid = withheld * share
        self.record(key[0], key[1], key[2], "payment_by_assessment", "withheld_cny", withheld,
                    "CNY")
        self.record(key[0], key[1], key[2], "payment_by_assessment", "withheld_paid_cny", paid,
                    "CNY")
        self.record(key[0], key[1], key[2], "payment_by_assessment", "assessment_failed",
                    float(failed or math.isnan(score)
                          or score < self.scenario.policy.assessment_pass_mark), "share")
        return cost - withheld + paid

    # -- voucher pools ------------------------------------------------------------------------

    def run_voucher_pool(self, draw: PoolDraw, owners: Sequence[str],
                         engine: str) -> PoolOutcome:
        """Each case chooses an option (module docstring) and queues there; the merged year.

        ``owners[k]`` is the option of ``draw.slots[k]``: a provider type, or
        :data:`PUBLIC_OPTION`.
        """
        from govsim.sim.engine import pool_log
        from govsim.sim.spec import PoolSpec, summarise_log

        vouchers = self.scenario.mechanisms.vouchers
        spec = draw.spec()
        cell = (draw.county, draw.item)
        options = [o for o in dict.fromkeys(owners)
                   if any(s.fte > 0 for s, w in zip(draw.slots, owners, strict=True) if w == o)]
        previous = self.history.get(cell, {})
        quality = []
        for o in options:
            # a provider is judged on its own workers, not on an interim takeover of them
            mine = [s for s, w in zip(draw.slots, owners, strict=True) if w == o and s.fte > 0]
            own = [s for s in mine if s.kind == "contract"] or mine
            quality.append(sum(s.quality * s.fte for s in own) / sum(s.fte for s in own))
        waits = [previous[o][1] if o in previous else 0.0 for o in options]
        shares = logit_shares([vouchers.quality_weight * q - vouchers.wait_weight_per_day * w
                               for q, w in zip(quality, waits, strict=True)])
        n_carried, n_new = len(spec.carried_ages), len(spec.arrival_hours)
        rng = stream(self.seed, self.year, self.replication, "voucher", *cell)
        choice = np.minimum(np.searchsorted(np.cumsum(shares), rng.random(n_carried + n_new),
                                            side="right"), len(options) - 1)
        parts: list[tuple[PoolSpec, PoolLog, np.ndarray, list[int]]] = []
        for j, option in enumerate(options):
            chosen = np.flatnonzero(choice == j)
            slot_index = [k for k, w in enumerate(owners) if w == option]
            carried = chosen[chosen < n_carried]
            new = chosen[chosen >= n_carried] - n_carried
            sub = PoolSpec(
                hours_per_year=spec.hours_per_year, efficiency=spec.efficiency,
                arrival_hours=spec.arrival_hours[new], carried_ages=spec.carried_ages[carried],
                work_hours=spec.work_hours[chosen],
                patience_hours=None if spec.patience_hours is None
                else spec.patience_hours[chosen],
                slots=[spec.slots[k] for k in slot_index],
                target_wait_hours=spec.target_wait_hours, penalty_per_hour=spec.penalty_per_hour)
            parts.append((sub, pool_log(sub, engine), chosen, slot_index))
        merged_spec, merged_log = merge_logs(spec, parts)
        outcome = summarise_log(merged_spec, merged_log)
        self._voucher_figures(cell, options, shares, parts, outcome)
        return outcome

    def _voucher_figures(self, cell: Cell, options: list[str], shares: np.ndarray,
                         parts: list[tuple[PoolSpec, PoolLog, np.ndarray, list[int]]],
                         outcome: PoolOutcome) -> None:
        from govsim.sim.spec import HOURS_PER_DAY

        served_total = len(np.concatenate([log.case for _, log, _, _ in parts])) if parts else 0
        record: dict[str, tuple[float, float]] = {}
        for option, share, (sub, log, chosen, _) in zip(options, shares, parts, strict=True):
            arrival = np.concatenate([-sub.carried_ages, sub.arrival_hours])
            waits = log.start - arrival[log.case] if len(log.case) else np.empty(0)
            wait_days = float(waits.mean()) / HOURS_PER_DAY if len(waits) else math.nan
            served = len(log.case)
            if option != PUBLIC_OPTION:
                self.redeemed[(cell[0], cell[1], option)] = served
            redemption_share = served / served_total if served_total else math.nan
            for measure, value, unit in (
                    ("choice_probability", float(share), "share"),
                    ("cases_choosing", float(len(chosen)), "cases"),
                    ("redemptions", float(served), "cases"),
                    ("redemption_share", redemption_share, "share"),
                    ("wait_mean_days", wait_days, "working days")):
                self.record(cell[0], cell[1], option, "vouchers", measure, value, unit)
            if served_total:
                record[option] = (redemption_share, 0.0 if math.isnan(wait_days) else wait_days)
        if record:
            self.next_history[cell] = record


def merge_logs(spec: PoolSpec, parts: Sequence[tuple[PoolSpec, PoolLog, np.ndarray, list[int]]]
               ) -> tuple[PoolSpec, PoolLog]:
    """One spec and log of a cell from its options' pools: cases renumbered (every option's
    carried cases first, then the arrivals), slots mapped back to the cell's slots, daily queue
    samples added up. Summarising it gives the cell's waits, satisfaction and backlog."""
    from govsim.sim.spec import PoolLog, PoolSpec

    carried_ages, arrivals = [], []
    n_carried = sum(len(sub.carried_ages) for sub, _, _, _ in parts)
    offset_c = offset_a = 0
    cases, starts, slots, hours, abandoned, queues = [], [], [], [], [], []
    for sub, log, _, slot_index in parts:
        nc = len(sub.carried_ages)
        remap = np.concatenate([offset_c + np.arange(nc),
                                n_carried + offset_a + np.arange(len(sub.arrival_hours))]
                               ).astype(np.int64)
        carried_ages.append(sub.carried_ages)
        arrivals.append(sub.arrival_hours)
        cases.append(remap[log.case])
        starts.append(log.start)
        slots.append(np.asarray(slot_index, dtype=np.int64)[log.slot]
                     if len(log.slot) else np.empty(0, np.int64))
        hours.append(log.hours)
        abandoned.append(remap[log.abandoned])
        queues.append(np.asarray(log.queue, dtype=np.int64))
        offset_c += nc
        offset_a += len(sub.arrival_hours)
    width = max((len(q) for q in queues), default=0)
    queue = np.zeros(width, np.int64)
    for q in queues:
        queue[: len(q)] += q
    merged_spec = PoolSpec(
        hours_per_year=spec.hours_per_year, efficiency=spec.efficiency,
        arrival_hours=np.concatenate([np.empty(0), *arrivals]),
        carried_ages=np.concatenate([np.empty(0), *carried_ages]),
        work_hours=spec.work_hours, patience_hours=spec.patience_hours, slots=spec.slots,
        target_wait_hours=spec.target_wait_hours, penalty_per_hour=spec.penalty_per_hour)

    def joined(arrays: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate([np.empty(0, dtype), *arrays]).astype(dtype)

    merged_log = PoolLog(case=joined(cases, np.int64), start=joined(starts, float),
                         slot=joined(slots, np.int64), hours=joined(hours, float),
                         abandoned=joined(abandoned, np.int64), queue=queue)
    return merged_spec, merged_log
