"""The allocation model: variables, one ``add_*`` function per constraint family, ordered goals.

Units inside the model: new purchased capacity in FTE (``n``; contracts in force are constants,
``continuing``), need in **hours** a year (``used`` hours per source, ``segments`` of need met,
floor and coverage shortfalls), people (staffing shortfall ``s``, new part-time posts ``d``) and
money in **万元** (10,000 CNY) for every money row — in CNY the coefficients would be ~7·10⁴ and
the solver's 10⁻⁷ feasibility tolerance could overshoot a cap by more than the half-fen the
compliance check allows. ``Row.scale`` converts a row back to natural units for reports.

Every constraint is registered as a :class:`Row` with a stable name (``relief-cap[linshui]``,
``capacity[linshui,care,social_org]``, ``social-org-share[linshui]``, ``floor[linshui,care]``
…), the policy rule id it encodes and its scope. PuLP rewrites names, so the registry, not
PuLP's names, is the reference. Money caps and the social-organisation share are elastic (an
``over`` variable per row) so that contracts in force that alone break a cap give a plan and a
failing compliance row, never an infeasible model.

The objective is a list of :class:`Goal` s solved in order, each held (within
``policy.goal_tolerance``) while the next is optimised (:func:`govsim.allocation.solve`):

0. ``caps`` — money over the caps (万元), zero unless contracts in force alone exceed one;
1. ``statutory`` — hours of statutory administrative work left unmet;
2. ``staffing`` — people short of ``caseworker-ratio`` and ``child-welfare-staff``;
3. ``floors`` — priority-weighted hours below the items' floors and the counties' equity floor;
4. ``need`` — priority × quality × hours of need met, with diminishing returns per cell
   (maximised; ``ordered_goals`` only);
5. ``cost`` — money of new purchases (万元), social organisations preferred on ties.

``min_cost`` ("money needed") lifts the money caps and adds ``coverage`` (hours below
``policy.coverage_target``) after ``floors``. Never count *cases*: that ranks items by
priority ÷ hours and starves long services. The mathematics is in ``docs/allocation.md``.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import itertools
import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import pulp

from govsim.allocation.estimates import Estimates
from govsim.allocation.mechanisms import (
    MECHANISM_SOURCES,
    add_assistant_hours,
    add_mechanism_variables,
    add_volunteer_hours,
    assistant_money,
    lead_time_shares,
)
from govsim.demand import PART_TIME_POST
from govsim.errors import AllocationError
from govsim.mechanisms.prices import market_share, provider_price
from govsim.policy import WAN, caseworkers_required, child_staff_required, relief_cap_limits
from govsim.scenario import Scenario

__all__ = ["EQUITY_TOTAL", "PART_TIME_POST", "STAFFING_RULES", "AllocationError",
           "AllocationModel", "Goal", "Row", "build_model", "cell_money", "collector_paused",
           "hold_slack", "row_variables", "staffing_requirement"]

log = logging.getLogger(__name__)

#: Staffing rule -> the ``counts_toward`` value of the items whose workers count.
STAFFING_RULES = {"caseworker-ratio": "caseworker", "child-welfare-staff": "child_staff"}
#: Weight of the social-organisation preference in the cost goal (Shanghai §二(二): prefer
#: social organisations when other things are equal) — a tie-break, never a trade-off.
SOCIAL_ORG_TIE_BREAK = 1e-6
#: How far a goal held "at its optimum" may move, relative to the optimum (see hold_slack)
HOLD_NOISE = 1e-9
#: The row that defines the prefecture's priority-weighted hours served (``equity[c]`` rows use it)
EQUITY_TOTAL = "equity-total"

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
#: PuLP 3.3+ warns on every ``LpVariable(...)`` that 4.0 builds variables otherwise (govsim pins
#: pulp<4): issuing that ignored warning was a third of a need plan's build (Guang'an: 35 → 23 ms
#: a model). PuLP's own flag for its internal variables skips it, where PuLP has the flag.
_NO_V4_WARNING = {"_skip_v4_deprecation": True} \
    if "_skip_v4_deprecation" in inspect.signature(pulp.LpVariable.__init__).parameters else {}

Objective = Literal["ordered_goals", "min_cost"]
DemandColumn = Literal["mean", "quantile"]
Terms = list[tuple[pulp.LpVariable, float]]
Cell = tuple[str, str]
Key = tuple[str, str, str]


@dataclass
class Row:
    """One named constraint ``expr (+ elastic) sense rhs``.

    The natural value of the row is ``(expr + constant) × scale`` and its limit
    ``(rhs + constant) × scale``: ``constant`` is what contracts in force already contribute
    (moved to the right-hand side in the LP).
    """

    name: str
    rule: str
    scope: str
    constraint: pulp.LpConstraint
    expr: pulp.LpAffineExpression
    sense: int
    rhs: float
    scale: float = 1.0
    elastic: pulp.LpVariable | None = None
    constant: float = 0.0


@dataclass(frozen=True)
class Goal:
    """One of the ordered goals: an expression to minimise or maximise, in ``unit``.

    ``tie_break``, when given, is added to the objective while the goal is optimised (never
    to its reported value or its hold): it only chooses among plans equal on the goal.
    """

    key: str
    sense: int
    expr: pulp.LpAffineExpression
    unit: str
    tie_break: pulp.LpAffineExpression | None = None

    @property
    def objective(self) -> pulp.LpAffineExpression:
        return self.expr if self.tie_break is None else self.expr + self.tie_break


@dataclass
class AllocationModel:
    """A built (unsolved) allocation model with its variables, named rows and goals."""

    problem: pulp.LpProblem
    scenario: Scenario
    year: int
    objective: Objective
    demand_column: str
    integer_posts: bool
    cells: dict[Cell, dict[str, float]]
    cost: dict[str, float]
    quality: dict[Key, float]
    continuing: dict[Key, float]
    hours_per_fte: dict[Key, float]
    n: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    posts: dict[str, pulp.LpVariable] = field(default_factory=dict)
    used: dict[tuple[str, str, str], pulp.LpVariable] = field(default_factory=dict)
    segments: dict[Cell, list[pulp.LpVariable]] = field(default_factory=dict)
    lottery: dict[Cell, pulp.LpVariable] = field(default_factory=dict)
    shortfall: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    floor_gap: dict[Cell, pulp.LpVariable] = field(default_factory=dict)
    equity_gap: dict[str, pulp.LpVariable] = field(default_factory=dict)
    coverage_gap: dict[Cell, pulp.LpVariable] = field(default_factory=dict)
    over: dict[str, pulp.LpVariable] = field(default_factory=dict)
    offered: dict[Cell, list[str]] = field(default_factory=dict)
    sources: dict[Cell, list[str]] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    county_of: dict[str, str | None] = field(default_factory=dict)
    #: Share of the year a new tender delivers and is paid for, per key (lead time; absent: 1).
    year_share: dict[Key, float] = field(default_factory=dict)
    #: Variables of switched-on mechanisms (``village_assistant`` -> county -> people).
    mechanism_vars: dict[str, dict[str, pulp.LpVariable]] = field(default_factory=dict)
    #: Per goal, the largest relative gap HiGHS proved over the counties' whole-post stages
    #: (how far, at most, a whole-post plan could still improve that goal).
    whole_post_gaps: dict[str, float] = field(default_factory=dict)
    #: The scenario in its file's order (``scenario`` is in id order: the plan must not depend
    #: on how the file lists its counties); the plan's tables are written in this order.
    listed: Scenario | None = None
    _count: int = 0

    @property
    def shown(self) -> Scenario:
        """The scenario in the order its tables are shown: the file's."""
        return self.scenario if self.listed is None else self.listed

    def in_listed_order(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame``'s rows in the order the file lists the counties, items and provider types
        of its ``county``, ``item`` and ``provider_type`` columns (those it has); rows alike in
        those keep their order, and ids the file does not list (part-time posts, volunteers,
        none) come after the listed ones."""
        scenario = self.shown
        lists = {"county": scenario.counties, "item": scenario.items,
                 "provider_type": scenario.provider_types}
        positions = [frame[column].map({entry.id: k for k, entry in enumerate(entries)})
                     .fillna(len(entries)).to_numpy()
                     for column, entries in lists.items() if column in frame.columns]
        if not positions or frame.empty:
            return frame
        order = np.lexsort(positions[::-1])  # the last key sorts first; lexsort is stable
        return frame.iloc[order].reset_index(drop=True)

    @property
    def is_mip(self) -> bool:
        return any(v.cat == pulp.LpInteger for v in self.problem.variables())

    def variable(self, prefix: str, county: str | None, low: float | None = 0.0,
                 up: float | None = None, integer: bool = False) -> pulp.LpVariable:
        """A new variable named ``{prefix}_{k}`` (PuLP needs unique names) that belongs to
        ``county`` (``None``: to the prefecture)."""
        self._count += 1
        var = pulp.LpVariable(f"{prefix}_{self._count}", lowBound=low, upBound=up,
                              cat=pulp.LpInteger if integer else pulp.LpContinuous,
                              **_NO_V4_WARNING)
        self.county_of[var.name] = county
        return var

    def add(self, name: str, rule: str, scope: str, terms: Terms, sense: int, rhs: float,
            scale: float = 1.0, elastic: bool = False, constant: float = 0.0) -> Row:
        """Register ``Σ terms sense rhs`` under a stable name; ``elastic`` adds an ``over``
        variable that lets the row give (in the direction that relaxes it)."""
        over = None
        terms = _merge(terms)
        full = list(terms)
        if elastic:
            counties = {self.county_of.get(v.name) for v, _ in terms}
            over = self.variable("o", counties.pop() if len(counties) == 1 else None)
            self.over[name] = over
            full.append((over, 1.0 if sense == pulp.LpConstraintGE else -1.0))
        expr = pulp.LpAffineExpression(terms)
        pulp_name = f"{_UNSAFE.sub('_', name)}_{len(self.rows)}"
        # a row without an over-variable is its expression: the constraint shares it (PuLP
        # keeps the expression it is given; neither is changed after the build)
        constraint = pulp.LpConstraint(expr if over is None else pulp.LpAffineExpression(full),
                                       sense, pulp_name, rhs)
        self.problem.addConstraint(constraint)
        row = Row(name, rule, scope, constraint, expr, sense, rhs, scale, over, constant)
        self.rows.append(row)
        return row

    def price(self, key: Key) -> float:
        """CNY a new FTE of ``key`` costs in the year (its type's price, times the share of
        the year a new tender delivers)."""
        share = self.year_share.get(key)
        return self.cost[key[2]] if share is None else self.cost[key[2]] * share

    def served(self, cell: Cell) -> Terms:
        """Hours of the cell's need served, as terms (the sum of the hours used per source)."""
        return [(self.used[cell[0], cell[1], src], 1.0) for src in self.sources.get(cell, ())]


def build_model(scenario: Scenario, estimates: Estimates, year: int, *,
                objective: Objective = "ordered_goals", integer_posts: bool = True,
                demand: DemandColumn = "mean") -> AllocationModel:
    """Build the allocation model of ``scenario`` for calendar ``year`` from ``estimates``.

    Parameters
    ----------
    scenario, estimates, year
        The problem data.
    objective : {"ordered_goals", "min_cost"}
        The ordered goals under the caps, or money needed (caps lifted, a coverage target).
    integer_posts : bool
        Whole posts for post-mode items and part-time posts (a MILP); project hours stay
        continuous.
    demand : {"mean", "quantile"}
        Which demand column the need is taken from.
    """
    if objective not in ("ordered_goals", "min_cost"):
        raise AllocationError(f"unknown objective {objective!r} (ordered_goals or min_cost)")
    if demand not in ("mean", "quantile"):
        raise AllocationError(f"unknown demand column {demand!r} (mean or quantile)")
    with collector_paused():
        return _build(scenario, estimates, year, objective, integer_posts, demand)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a model is built or solved (as it was
    before, after).

    A model is tens of thousands of PuLP objects that all live as long as the model, and its
    solve makes each county's rows and terms; each full collection meanwhile walks every object
    the process holds, again and again: 30–46 % of building a 183-county model (0.28 of 0.70 s,
    0.50 of 1.08 s). Reference counting still frees what is dropped; the model and its plan are
    the same.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(scenario: Scenario, estimates: Estimates, year: int, objective: Objective,
           integer_posts: bool, demand: DemandColumn) -> AllocationModel:
    # rows and columns in id order: the plan is the same however the file lists the counties
    listed, scenario = scenario, scenario.in_id_order()
    model = AllocationModel(
        problem=pulp.LpProblem(f"allocation_{scenario.name}_{year}", pulp.LpMinimize),
        scenario=scenario, listed=listed, year=year, objective=objective,
        demand_column=f"cases_{demand}",
        integer_posts=integer_posts,
        cells=_cells(scenario, estimates, f"cases_{demand}"),
        cost={p.id: provider_price(scenario, p.id) for p in scenario.provider_types},
        quality={}, continuing=estimates.continuing_fte(), hours_per_fte={},
    )
    _check_contracts(model)
    _add_variables(model, estimates)
    model.year_share = lead_time_shares(model, estimates.running_keys(scenario))
    for key, share in model.year_share.items():
        model.hours_per_fte[key] *= share
    add_mechanism_variables(model)
    add_capacity(model)
    add_volunteer_hours(model)
    add_assistant_hours(model)
    add_need(model)
    add_staffing(model, "caseworker-ratio")
    add_staffing(model, "child-welfare-staff")
    add_market(model)
    add_social_org_share(model)
    if objective == "ordered_goals":
        add_relief_cap(model)
        add_funds(model)
    add_floors(model)
    add_equity(model)
    if objective == "min_cost":
        add_coverage_target(model)
    set_goals(model)
    if log.isEnabledFor(logging.INFO):  # listing the variables takes a pass over every row
        log.info("built %s: %d variables, %d rows, %d goals", model.problem.name,
                 len(model.problem.variables()), len(model.rows), len(model.goals))
    return model


# -- data and variables ---------------------------------------------------------------------------

def _cells(scenario: Scenario, estimates: Estimates,
           column: str) -> dict[Cell, dict[str, float]]:
    """Need of each purchasable (county, item), in id order: cases, hours, ρ, public FTE."""
    table = estimates.demand.set_index(["county", "item"])
    if not table.index.is_unique:
        raise AllocationError("Estimates.demand has more than one row for some (county, item)")
    records = table.to_dict("index")
    cells = {}
    for county in scenario.counties:
        for item in scenario.purchasable_items:
            key = (county.id, item.id)
            if key not in records:
                raise AllocationError(f"Estimates.demand has no row for {key}")
            row = records[key]
            cases = float(row[column])
            hours = float(row["hours_per_case"])
            cells[key] = {"cases": cases, "hours": hours, "need": cases * hours,
                          "rho": float(row["utilisation_target"]),
                          "public_fte": float(row["public_fte"])}
    return cells


def _check_contracts(model: AllocationModel) -> None:
    items = {i.id: i for i in model.scenario.items}
    for (c, i, p), fte in model.continuing.items():
        if (c, i) not in model.cells or p not in model.cost:
            raise AllocationError(f"a contract in force for {c}/{i}/{p} names an unknown or "
                                  "non-purchasable county, item or provider type")
        if fte < 0 or not math.isfinite(fte):
            raise AllocationError(f"a contract in force for {c}/{i}/{p} has {fte!r} FTE")
        if not items[i].is_purchasable:  # pragma: no cover - cells hold purchasable items only
            raise AllocationError(f"a contract in force buys {i!r}, which may not be purchased")


def _offered(model: AllocationModel, county_id: str, item_id: str) -> list[str]:
    county = model.scenario.county(county_id)
    return [p.id for p in model.scenario.provider_types
            if county.market.get(p.id, 0.0) > 0 or (county_id, item_id, p.id) in model.continuing]


def _add_variables(model: AllocationModel, estimates: Estimates) -> None:
    scenario = model.scenario
    header, policy, baseline = scenario.header, scenario.policy, scenario.baseline
    ph = header.productive_hours_per_fte
    widths = [b - a for a, b in zip((0.0, *policy.need_breakpoints), policy.need_breakpoints,
                                    strict=False)]
    with_posts = baseline.director_post_subsidy is not None and baseline.director_item
    lottery_items = {i.id for i in scenario.purchasable_items
                     if i.fund == "child" or (i.fund == "relief"
                                              and not policy.lottery_counts_toward_relief_cap)}
    for county in scenario.counties:
        for rule in STAFFING_RULES:
            model.shortfall[county.id, rule] = model.variable("s", county.id)
        if with_posts and (county.id, baseline.director_item) in model.cells:
            model.posts[county.id] = model.variable("d", county.id, integer=model.integer_posts)
        for item in scenario.purchasable_items:
            key = (county.id, item.id)
            cell = model.cells[key]
            # Project hours are packaged deliveries: no queueing allowance (ρ) on them.
            rho = cell["rho"] if item.purchase_mode == "post" else 1.0
            whole = model.integer_posts and item.purchase_mode == "post"
            offered = _offered(model, county.id, item.id)
            model.offered[key] = offered
            for p in offered:
                model.n[county.id, item.id, p] = model.variable("n", county.id, integer=whole)
                loss = estimates.provider_value("capacity_loss", county.id, item.id, p)
                model.quality[county.id, item.id, p] = estimates.provider_value(
                    "quality", county.id, item.id, p)
                model.hours_per_fte[county.id, item.id, p] = ph * rho * (1.0 - loss)
            if cell["need"] > 0:
                sources = offered + (["public"] if cell["public_fte"] > 0 else [])
                if county.id in model.posts and item.id == baseline.director_item:
                    sources.append(PART_TIME_POST)
                model.sources[key] = sources
                for src in sources:
                    up = rho * ph * cell["public_fte"] if src == "public" else None
                    model.used[county.id, item.id, src] = model.variable("h", county.id, up=up)
                if model.objective == "ordered_goals":
                    model.segments[key] = [model.variable("g", county.id, up=w * cell["need"])
                                           for w in widths]
            if offered and item.id in lottery_items and scenario.funds.lottery > 0 \
                    and model.objective == "ordered_goals":
                model.lottery[key] = model.variable("l", county.id)


def cell_money(model: AllocationModel, cell: Cell) -> tuple[Terms, float]:
    """Money of a cell's purchases in 万元: terms of the new FTE and the continuing constant."""
    c, i = cell
    offered = model.offered.get(cell, ())
    # a new tender's full-year price: it continues next year (contracts in force continue
    # within their term), so the caps and funds reserve a year of it even when the lead time
    # leaves it fewer months this year (the allocation table shows the money paid)
    terms = [(model.n[c, i, p], model.cost[p] / WAN) for p in offered]
    constant = math.fsum(model.cost[p] * model.continuing.get((c, i, p), 0.0) / WAN
                         for p in offered)
    return terms, constant


# -- constraint families --------------------------------------------------------------------------

def add_capacity(model: AllocationModel) -> None:
    """``capacity[c,i,p]``: hours used from provider type p ≤ its hours per FTE × (continuing +
    new FTE); ``posts[c]``: hours used from new part-time posts ≤ ρ × hours per post × posts.
    Public staff's hours are a bound on their variable (ρ × productive hours × public FTE)."""
    baseline = model.scenario.baseline
    for (c, i, src), used in model.used.items():
        if src == "public" or src in MECHANISM_SOURCES:
            continue
        if src == PART_TIME_POST:
            rho = model.cells[c, i]["rho"]
            model.add(f"posts[{c}]", "child-welfare-staff", c,
                      [(used, 1.0), (model.posts[c], -rho * baseline.director_hours_per_year)],
                      pulp.LpConstraintLE, 0.0)
            continue
        per_fte = model.hours_per_fte[c, i, src]
        cont = model.continuing.get((c, i, src), 0.0)
        model.add(f"capacity[{c},{i},{src}]", "capacity", f"{c}/{i}/{src}",
                  [(used, 1.0), (model.n[c, i, src], -per_fte)], pulp.LpConstraintLE,
                  per_fte * cont)


def add_need(model: AllocationModel) -> None:
    """``need[c,i]``: hours served ≤ the cell's need; ``value[c,i]``: the need-met segments fill
    with quality-weighted hours (Σ seg ≤ Σ quality × hours used)."""
    public_quality = model.scenario.baseline.public_quality
    for key, cell in model.cells.items():
        served = model.served(key)
        if not served:
            continue
        model.add(f"need[{key[0]},{key[1]}]", "capacity", f"{key[0]}/{key[1]}", served,
                  pulp.LpConstraintLE, cell["need"])
        if key in model.segments:
            terms: Terms = [(g, 1.0) for g in model.segments[key]]
            for src in model.sources[key]:
                q = model.quality.get((key[0], key[1], src), public_quality)
                terms.append((model.used[key[0], key[1], src], -q))
            model.add(f"value[{key[0]},{key[1]}]", "need-met", f"{key[0]}/{key[1]}", terms,
                      pulp.LpConstraintLE, 0.0)


def staffing_requirement(scenario: Scenario, county_id: str, rule: str) -> tuple[int, int]:
    """(people required, people in post) of a staffing rule in a county."""
    county = scenario.county(county_id)
    if rule == "caseworker-ratio":
        return (caseworkers_required(county, scenario.policy.caseworker_ratio),
                county.public_caseworkers)
    return (child_staff_required(county, scenario.policy.child_staff_per_unit),
            county.child_welfare_directors)


def add_staffing(model: AllocationModel, rule: str) -> None:
    """``caseworker-ratio[c]`` / ``child-welfare-staff[c]``: people in post + FTE of contracts
    in force and new purchases on the items that count + new part-time posts (child-welfare
    staff) + shortfall ≥ requirement, in people."""
    scenario = model.scenario
    counting = {i.id for i in scenario.items if i.counts_toward == STAFFING_RULES[rule]}
    by_county: dict[str, Terms] = defaultdict(list)
    for (c, i, _), n in model.n.items():
        if i in counting:
            by_county[c].append((n, 1.0))
    if rule == "child-welfare-staff":
        for c, d in model.posts.items():
            by_county[c].append((d, 1.0))
    continuing_by_county: dict[str, float] = defaultdict(float)
    for (c, i, _), fte in model.continuing.items():
        if i in counting:
            continuing_by_county[c] += fte
    for county in scenario.counties:
        required, in_post = staffing_requirement(scenario, county.id, rule)
        continuing = continuing_by_county[county.id]
        shortfall = model.shortfall[county.id, rule]
        model.add(f"{rule}[{county.id}]", rule, county.id,
                  [*by_county[county.id], (shortfall, 1.0)], pulp.LpConstraintGE,
                  float(required - in_post) - continuing, constant=continuing)


def add_market(model: AllocationModel) -> None:
    """``market[c,p]``: continuing + new FTE of type p in c ≤ what its providers can field
    (never below what the contracts in force already field)."""
    by_market: dict[tuple[str, str], Terms] = defaultdict(list)
    for (c, _, p), n in model.n.items():
        by_market[c, p].append((n, 1.0))
    held_by: dict[tuple[str, str], float] = defaultdict(float)
    for (c, _, p), fte in model.continuing.items():
        held_by[c, p] += fte
    for county in model.scenario.counties:
        for p in model.cost:
            if (county.id, p) not in by_market:
                continue
            held = held_by[county.id, p]
            capacity = max(county.market.get(p, 0.0) * market_share(model.scenario, p), held)
            model.add(f"market[{county.id},{p}]", "market", f"{county.id}/{p}",
                      by_market[county.id, p], pulp.LpConstraintLE, capacity - held,
                      constant=held)


def add_social_org_share(model: AllocationModel) -> None:
    """``social-org-share[scope]``: Σ (social[p] − share)·C[p]·FTE ≥ 0 over the scope's new
    purchases (``social_org_base = "new"``) or all purchases (``"all"``), elastic."""
    policy = model.scenario.policy
    share = policy.social_org_min_share
    social = {p.id: p.is_social_org for p in model.scenario.provider_types}
    pooled = policy.social_org_scope == "prefecture"
    terms: dict[str, Terms] = defaultdict(list)
    constant: dict[str, float] = defaultdict(float)
    for (c, _i, p), n in model.n.items():
        coef = (float(social[p]) - share) * model.price((c, _i, p)) / WAN
        terms["prefecture" if pooled else c].append((n, coef))
    if policy.social_org_base == "all":
        for (c, _, p), fte in model.continuing.items():
            constant["prefecture" if pooled else c] += \
                (float(social[p]) - share) * model.cost[p] * fte / WAN
    for scope, scope_terms in terms.items():
        model.add(f"social-org-share[{scope}]", "social-org-share", scope, scope_terms,
                  pulp.LpConstraintGE, -constant[scope], scale=WAN, elastic=True,
                  constant=constant[scope])


def add_relief_cap(model: AllocationModel) -> None:
    """``relief-cap[c]`` (or ``[prefecture]``): every yuan of social-assistance (relief-item)
    purchases in the year — contracts in force and new ones, whichever fund pays — ≤ the cap
    share × last year's special-fund expenditure (001 §(八)); elastic, so that contracts in
    force alone over the cap show as a breach. With ``lottery_counts_toward_relief_cap`` false,
    lottery money paying a relief item does not count."""
    scenario = model.scenario
    relief = {i.id for i in scenario.items if i.fund == "relief"}
    pooled = scenario.policy.cap_scope == "prefecture"
    terms: dict[str, Terms] = defaultdict(list)
    committed: dict[str, float] = defaultdict(float)
    for cell in model.cells:
        if cell[1] not in relief:
            continue
        scope = "prefecture" if pooled else cell[0]
        money, constant = cell_money(model, cell)
        terms[scope] += money
        committed[scope] += constant
        if cell in model.lottery:
            terms[scope].append((model.lottery[cell], -1.0))
    for county, money in assistant_money(model, relief_cap=True).items():
        terms["prefecture" if pooled else county] += money
    for scope, limit in relief_cap_limits(scenario, model.year).items():
        model.add(f"relief-cap[{scope}]", "relief-cap", scope, terms[scope],
                  pulp.LpConstraintLE, limit / WAN - committed[scope], scale=WAN,
                  elastic=True, constant=committed[scope])


def child_fund_limits(scenario: Scenario) -> dict[str, float]:
    """CNY of the child-welfare fund per county (split by children) or ``{"prefecture": …}``."""
    funds = scenario.funds
    if funds.child_welfare_split == "pooled":
        return {"prefecture": funds.child_welfare}
    children = {c.id: c.left_behind_children + c.children_in_difficulty
                for c in scenario.counties}
    total = sum(children.values())
    if total == 0:
        return {c: funds.child_welfare / len(children) for c in children}
    return {c: funds.child_welfare * n / total for c, n in children.items()}


def add_funds(model: AllocationModel) -> None:
    """``fund[child,c]`` / ``fund[child]``, ``fund[lottery]``, ``fund-split[c,i]`` and
    ``total-budget``, each counting contracts in force, elastic. Child items and new part-time
    posts are paid from the child-welfare fund, lottery (and fund-less purchasable) items from
    the lottery fund; the lottery fund may also pay part of a child item (``l[c,i]`` ≤ the
    cell's cost) — and of a relief item when it does not count toward the relief cap."""
    scenario = model.scenario
    fund_of = {i.id: i.fund for i in scenario.items}
    pooled = scenario.funds.child_welfare_split == "pooled"
    subsidy = (scenario.baseline.director_post_subsidy or 0.0) / WAN
    terms: dict[str, Terms] = defaultdict(list)
    committed: dict[str, float] = defaultdict(float)
    for cell in model.cells:
        money, constant = cell_money(model, cell)
        fund = fund_of[cell[1]]
        name = ("fund[child]" if pooled else f"fund[child,{cell[0]}]") if fund == "child" \
            else "fund[lottery]" if fund in ("lottery", "none") else None
        terms["total-budget"] += money
        committed["total-budget"] += constant
        if name:
            terms[name] += money
            committed[name] += constant
        if cell in model.lottery:
            var = model.lottery[cell]
            terms["fund[lottery]"].append((var, 1.0))
            if fund == "child":
                terms[name].append((var, -1.0))  # type: ignore[index]
            model.add(f"fund-split[{cell[0]},{cell[1]}]", "funding-sources",
                      f"{cell[0]}/{cell[1]}", [(var, 1.0)] + [(v, -m) for v, m in money],
                      pulp.LpConstraintLE, constant, scale=WAN)
    for c, d in model.posts.items():
        terms["fund[child]" if pooled else f"fund[child,{c}]"].append((d, subsidy))
        terms["total-budget"].append((d, subsidy))
    for money in assistant_money(model).values():
        terms["total-budget"] += money
    limits = {("fund[child]" if scope == "prefecture" else f"fund[child,{scope}]"): limit
              for scope, limit in child_fund_limits(scenario).items()}
    limits["fund[lottery]"] = scenario.funds.lottery
    if scenario.funds.total_budget is not None:
        limits["total-budget"] = scenario.funds.total_budget
    for name, limit in limits.items():
        if not terms[name] and committed[name] == 0:
            continue
        scope = name.removeprefix("fund[").rstrip("]").replace(",", "/")
        model.add(name, "funding-sources", "total" if name == "total-budget" else f"fund:{scope}",
                  terms[name], pulp.LpConstraintLE, limit / WAN - committed[name], scale=WAN,
                  elastic=True, constant=committed[name])


def add_floors(model: AllocationModel) -> None:
    """``floor[c,i]``: hours served + shortfall ≥ the item's ``min_coverage`` × need."""
    items = {i.id: i for i in model.scenario.items}
    for key, cell in model.cells.items():
        floor = items[key[1]].min_coverage
        if floor <= 0 or cell["need"] <= 0:
            continue
        gap = model.variable("f", key[0])
        model.floor_gap[key] = gap
        model.add(f"floor[{key[0]},{key[1]}]", "floor", f"{key[0]}/{key[1]}",
                  [*model.served(key), (gap, 1.0)], pulp.LpConstraintGE, floor * cell["need"])


def need_weights(model: AllocationModel) -> tuple[dict[str, float], float]:
    """Priority-weighted need hours per county (purchasable items) and in the prefecture."""
    items = {i.id: i for i in model.scenario.items}
    per_county: dict[str, float] = defaultdict(float)
    for (c, i), cell in model.cells.items():
        per_county[c] += items[i].priority * cell["need"]
    return dict(per_county), math.fsum(per_county.values())


def add_equity(model: AllocationModel) -> None:
    """``equity[c]``: the county's need-weighted coverage ≥ ``equity_floor`` × the prefecture's,
    written linearly in priority-weighted hours: Σ_i prio·S[c,i] − e·(W_c/W)·P + g ≥ 0, where
    ``equity-total`` defines P = Σ prio·S over the prefecture once (a county row holding every
    county's hours made the rows quadratic in the number of counties: 183 counties, 2.8 million
    nonzeros)."""
    floor = model.scenario.policy.equity_floor
    per_county, total = need_weights(model)
    if floor <= 0 or total <= 0:
        return
    items = {i.id: i for i in model.scenario.items}
    mine: dict[str, Terms] = defaultdict(list)
    for (c, i, _), v in model.used.items():
        mine[c].append((v, items[i].priority))
    prefecture = model.variable("p", None)
    everyone = [t for terms in mine.values() for t in terms]
    model.add(EQUITY_TOTAL, "equity", "prefecture", [*everyone, (prefecture, -1.0)],
              pulp.LpConstraintEQ, 0.0)
    for county in model.scenario.counties:
        weight = per_county.get(county.id, 0.0)
        if weight <= 0:
            continue
        gap = model.variable("e", county.id)
        model.equity_gap[county.id] = gap
        share = floor * weight / total
        model.add(f"equity[{county.id}]", "equity", county.id,
                  [*mine[county.id], (prefecture, -share), (gap, 1.0)], pulp.LpConstraintGE, 0.0)


def add_coverage_target(model: AllocationModel) -> None:
    """``coverage-target[c,i]`` (money needed): hours served + shortfall ≥ target × need."""
    target = model.scenario.policy.coverage_target
    for key, cell in model.cells.items():
        if cell["need"] <= 0:
            continue
        gap = model.variable("t", key[0])
        model.coverage_gap[key] = gap
        model.add(f"coverage-target[{key[0]},{key[1]}]", "coverage-target",
                  f"{key[0]}/{key[1]}", [*model.served(key), (gap, 1.0)],
                  pulp.LpConstraintGE, target * cell["need"])


# -- goals ----------------------------------------------------------------------------------------

def row_variables(rows: list[Row]) -> dict[pulp.LpVariable, None]:
    """Every variable of ``rows`` (constraint terms and over-variables), in order of first
    appearance — the order the solvers' columns follow. A variable is its name
    (:meth:`AllocationModel.variable` numbers them), so this is the list keyed by name, made
    in one pass of C instead of a name look-up per term (a province's rows hold millions)."""
    return dict.fromkeys(itertools.chain.from_iterable(row.constraint.keys() for row in rows))


def _merge(terms: Terms) -> Terms:
    """Terms with repeated variables summed (``LpAffineExpression`` keeps only the last)."""
    total: dict[pulp.LpVariable, float] = {}
    for var, coef in terms:
        total[var] = total.get(var, 0.0) + coef
    return list(total.items())


def hold_slack(goal: Goal, value: float, tolerance: float) -> float:
    """How far a later goal may move ``goal`` from its optimum ``value``.

    Money over the caps, statutory work and people short are held at their optimum up to the
    solvers' feasibility noise (10⁻⁹ 万元 — the compliance check allows half a fen — and 10⁻⁷
    hours or people, or 10⁻⁹ of the optimum when that is more): a later goal must not trade
    away a fraction of a person. Floors, need met and cost may move by ``tolerance``
    relative, plus that noise.

    The relative part matters in a province: 183 counties' statutory work unmet is millions of
    hours, and a hold 10⁻⁷ hours above it lies below what a solver can tell apart from the
    optimum (the hold row is met to 10⁻¹⁰ of its own size); HiGHS then ended the cost stage
    'Unknown' whatever it tried. 10⁻⁹ of it is a few seconds of work.
    """
    if goal.key == "caps":
        return 1e-9
    if goal.key in ("statutory", "staffing"):
        return max(1e-7, HOLD_NOISE * abs(value))
    return tolerance * abs(value) + 1e-7


def _expr(terms: Terms, constant: float = 0.0) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(_merge(terms), constant=constant)


def set_goals(model: AllocationModel) -> None:
    """The ordered goals (see the module docstring); goals with nothing to decide are left out."""
    scenario = model.scenario
    items = {i.id: i for i in scenario.items}
    policy = scenario.policy
    goals: list[Goal] = []
    if model.over:
        goals.append(Goal("caps", pulp.LpMinimize, _expr([(v, 1.0) for v in model.over.values()]),
                          "10k CNY over the caps"))
    statutory = [key for key in model.cells if items[key[1]].statutory
                 and model.cells[key]["need"] > 0]
    if statutory:
        need = math.fsum(model.cells[k]["need"] for k in statutory)
        served = [t for k in statutory for t in model.served(k)]
        goals.append(Goal("statutory", pulp.LpMinimize,
                          _expr([(v, -1.0) for v, _ in served], need),
                          "hours of statutory work unmet"))
    goals.append(Goal("staffing", pulp.LpMinimize,
                      _expr([(v, 1.0) for v in model.shortfall.values()]), "people short"))
    floors = [(g, items[k[1]].priority) for k, g in model.floor_gap.items()]
    floors += [(g, 1.0) for g in model.equity_gap.values()]
    if floors:
        goals.append(Goal("floors", pulp.LpMinimize, _expr(floors),
                          "priority-weighted hours below the floors"))
    if model.objective == "min_cost":
        if model.coverage_gap:
            goals.append(Goal("coverage", pulp.LpMinimize,
                              _expr([(g, items[k[1]].priority)
                                     for k, g in model.coverage_gap.items()]),
                              "priority-weighted hours below the coverage target"))
    else:
        value = [(g, items[k[1]].priority * w) for k, segs in model.segments.items()
                 for g, w in zip(segs, policy.need_weights, strict=True)]
        goals.append(Goal("need", pulp.LpMaximize, _expr(value),
                          "priority x quality x hours of need met (diminishing)"))
    social = {p.id: p.is_social_org for p in scenario.provider_types}
    subsidy = (scenario.baseline.director_post_subsidy or 0.0) / WAN
    spend = [(n, model.price(key) / WAN) for key, n in model.n.items()]
    spend += [(d, subsidy) for d in model.posts.values()]
    spend += [t for money in assistant_money(model).values() for t in money]
    prefer = [(n, -SOCIAL_ORG_TIE_BREAK * model.cost[p] / WAN)
              for (_, _, p), n in model.n.items() if social[p]]
    goals.append(Goal("cost", pulp.LpMinimize, _expr(spend), "10k CNY of new purchases",
                      tie_break=_expr(prefer) if prefer else None))
    model.goals = goals
