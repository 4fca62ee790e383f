"""Whole posts: the ordered goals as a small mixed-integer program per county.

The ordered goals are solved as linear programs first (:mod:`govsim.allocation.solve`). A MILP
of the whole prefecture is slow to close (183 counties: the need goal could not be proved
within 60 s and its best plan was 7 % below the linear optimum): the counties are independent
blocks tied only by what they share, and branch and bound does not see the blocks. So the
whole posts are found county by county:

- every row whose variables all belong to one county is that county's, as it stands;
- a row shared by counties (the lottery fund, a pooled cap or child-welfare fund, the total
  budget, a prefecture-wide social-organisation share) is taken county by county in the
  order of their ids (the model's order, :meth:`~govsim.scenario.Scenario.in_id_order`, so that
  the plan does not depend on how the file lists them): each county may use what the counties
  before it left, less what the linear optimum
  gave the counties after it (the row's elastic variable stays at its linear value) — so a
  pooled fund that one county cannot use in whole posts passes to the next, and each county
  may keep its linear share (:func:`share_bound`);
- a county's equity row keeps its own terms, with the other counties' service at its linear
  value.

Each county then solves the ordered goals (restricted to its own variables) as MILPs, every
goal held before the next, each within :data:`MIP_GAP` (:data:`NEED_GAP` for need) of its
optimum or after :data:`MIP_NODES` branch-and-bound nodes, whichever comes first (a county's
stage takes 0.01-0.5 s; the gap proved is kept in ``model.whole_post_gaps``). Sharing rows
this way keeps every cap: the parts never add up to more than the row allows (to within
about :data:`SHARE_NOISE`, which the final linear pass below takes back). With
``threads`` above one, the next counties are solved meanwhile on the rows they are expected to
get and kept only if those prove right (:class:`_CountyQueue`), and a stage whose first search
found no plan runs the next two side by side (:func:`_two_at_once`): the plan of one thread.
:func:`~govsim.allocation.solve.solve_model` then fixes the posts and solves the goals once
more over the continuous variables of the whole prefecture (hours, project purchases, lottery
money), so that what one county's rounding left unused in a shared fund can still be used.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

import pulp

from govsim.allocation.milp import MilpSolution, MilpStage
from govsim.allocation.model import (
    EQUITY_TOTAL,
    AllocationModel,
    Goal,
    hold_slack,
    row_variables,
)
from govsim.errors import AllocationError

__all__ = ["MIP_GAP", "MIP_NODES", "MIP_SECONDS", "NEED_GAP", "SHARE_NOISE", "share_bound",
           "whole_posts"]

log = logging.getLogger(__name__)

#: Relative optimality gap of each county's MILP stages...
MIP_GAP = 1e-4
#: ...but the need stage's: it is a knapsack (whole posts of different prices and values under
#: the caps) whose linear bound sits about one post above the best plan, so proving 1e-4 took
#: thousands of nodes (Yuechi, Guang'an: 10,000 nodes, 10 s) for the plan found in the first
#: fifty. 1e-3 is about a quarter of one post's hours in a county of Yuechi's size.
NEED_GAP = 1e-3
#: Branch-and-bound nodes a stage may explore before it keeps its best plan: a limit on work,
#: not on time, so a plan is a function of the inputs (with HiGHS on one thread), whatever
#: the machine's load. The statutory, staffing and floors stages (hours of legal duties,
#: people short of a rule, hours below the floors) get a hundred times as many, so that they are
#: proved: a planner defends "no plan leaves fewer hours below the floors". (Since the stages
#: start from the county's last plan, floors kept that start after 100 nodes with a gap of 0.86
#: in goals.csv; 10,000 prove it, for +0.7 s of a Guang'an year.) A stage that found no plan at
#: all in its nodes gets 100 times as many, then (need) as many from the county's previous plan,
#: then no limit (``_solve``).
MIP_NODES = 100
_PROVED_GOALS = ("statutory", "staffing", "floors")
#: How far the held goals (all but the caps) may give, absolutely and relative to their bound,
#: when a stage is infeasible at the held bounds: first HiGHS's feasibility tolerance, then one
#: whole unit (tried in turn; a stage that is feasible at once never gives).
HOLD_RETRIES = ((1e-6, 1e-6), (1.0, 1e-4))
#: Safety limit of one county's MILP stage, never the stopping rule: a plan cut off by the clock
#: depends on the machine's load, not on the inputs. The slowest stage measured, Yuechi's need
#: stage in Guang'an, takes 10-26 s on 2 loaded cores; at the former 30 s, runs on a loaded
#: machine gave other plans. When reached, the stage keeps its best plan and warns.
MIP_SECONDS = 600.0
#: When the counties before one used, in all, no more than this (万元: one yuan) beyond their
#: linear shares of a shared fund (or gave less to a share a row asks for), the county's
#: bound is the one the linear optimum leaves it (:func:`share_bound`). Guang'an's first
#: county used 10⁻⁵ 万元 (a tenth of a yuan, its lottery money for a part-paid item) more than
#: its share in every allocation: passed on, that tenth of a yuan made every later county's
#: bound depend on the last digits of the plans before it. The final linear pass meets every
#: row exactly.
SHARE_NOISE = 1e-4
#: Counties started before their rows were known whose rows proved wrong, beyond those that
#: proved right, after which a county is started only once its rows are known
MISSES_ALLOWED = 2
#: Counties started at most beyond the one being handed out
MOST_AHEAD = 8

_Block = list[tuple[str, dict[pulp.LpVariable, float], int, float]]



def whole_posts(model: AllocationModel, variables: list[pulp.LpVariable] | None = None,
                threads: int = 1) -> dict[pulp.LpVariable, float]:
    """Whole values of the model's integer variables (posts), county by county, from the
    variables' current values (the linear optimum of every goal).

    The counties' MILPs are solved with HiGHS's branch and bound whichever solver the linear
    passes use (CBC's took minutes on the same county problems). ``variables``: the model's
    variables, when the caller has listed them already. ``threads``: counties solved at once
    (HiGHS runs without Python's lock); the plan is the same with any number (see
    :class:`_CountyQueue`).
    """
    from govsim.allocation.solve import make_solver

    make_solver("highs")  # checks highspy is there (and keeps HiGHS's banner off stdout)
    linear = {v: float(v.varValue or 0.0) for v in variables or _all_variables(model)}
    local, shared = _split_rows(model, linear)
    terms = _GoalTerms(model)
    own_integers: dict[str | None, list[pulp.LpVariable]] = defaultdict(list)
    for var in [*model.n.values(), *model.posts.values()]:
        if var.cat == pulp.LpInteger:
            own_integers[model.county_of[var.name]].append(var)
    tolerance = model.scenario.policy.goal_tolerance
    counties = [c.id for c in model.scenario.counties]
    # what the linear optimum gives every other county and the row's elastic variable
    linear_others = {name: {c: sum(lp_parts[o] for o in counties if o != c and o in lp_parts)
                            + lp_parts.get(None, 0.0) for c in parts}
                     for name, (_, _, parts, lp_parts) in shared.items()}
    # the counties handed out so far, and how much more than their linear shares they used
    done: list[str] = []
    beyond: dict[str, float] = defaultdict(float)

    def rows_of(county: str) -> _Block:
        """The county's rows. Before the counties before it are all handed out, the ones still
        open are expected to use what is left them (the usual case: a county uses what the
        one before it left)."""
        known = counties.index(county) == len(done)
        rows = list(local.get(county, []))
        for name, (sense, bound, parts, lp_parts) in shared.items():
            if county in parts:
                rows.append((f"{name}:{county}", parts[county], sense, share_bound(
                    sense, bound, linear_others[name][county], beyond[name] if known else 0.0,
                    lp_parts[county])))
        return rows

    def solve(county: str, rows: _Block) -> _CountyPlan:
        integers = {v for _, coefs, _, _ in rows for v in coefs if v.cat == pulp.LpInteger}
        integers |= set(own_integers.get(county, ()))
        gaps: dict[str, float] = {}
        if integers:
            _solve_county(model, county, rows, tolerance, terms, gaps, beside=threads > 1)
        use = {name: sum(c * float(v.varValue or 0.0) for v, c in parts[county].items())
               for name, (_, _, parts, _) in shared.items() if county in parts}
        return _CountyPlan(rows, {v: float(round(v.varValue or 0.0)) for v in integers}, use,
                           gaps)

    def reset(county: str, rows: _Block) -> None:
        for var in {v for _, coefs, _, _ in rows for v in coefs} | set(
                own_integers.get(county, ())):
            var.varValue = linear[var]

    whole: dict[pulp.LpVariable, float] = {}
    with _CountyQueue(counties, rows_of, solve, reset, threads) as queue:
        for county, plan in queue:
            whole.update(plan.whole)
            for key, gap in plan.gaps.items():
                model.whole_post_gaps[key] = max(model.whole_post_gaps.get(key, 0.0), gap)
            for name, use in plan.use.items():
                beyond[name] += use - shared[name][3].get(county, 0.0)
            done.append(county)
    for var, value in linear.items():  # leave the model as the linear pass left it
        if var not in whole:
            var.varValue = value
    return whole


@dataclass(frozen=True)
class _CountyPlan:
    """One county's whole posts: the rows it was solved with, its integers' whole values, its
    use of each shared row and the gap proved at each goal."""

    rows: _Block
    whole: dict[pulp.LpVariable, float]
    use: dict[str, float]
    gaps: dict[str, float]


class _CountyQueue:
    """The counties' whole posts in id order, up to ``threads`` of them solved at once.

    A county's shared rows depend on what the counties before it used, so its rows are known
    once they are all handed out (``rows_of`` reads what has been). With more than one thread,
    the next counties are started before that on the rows ``rows_of`` expects them to have;
    each is handed out, in order, only if its rows then are the same to the last bit, else its
    columns are reset to the linear optimum and it is solved again with its rows. HiGHS is
    deterministic on one thread, so the plan is the one a single thread makes, whatever the
    threads and the clock. Where the counties' expected rows keep proving wrong (more than
    :data:`MISSES_ALLOWED` beyond the right ones: each county uses a share of its own), the
    rest are solved one at a time; no more than :data:`MOST_AHEAD` are started ahead.
    """

    def __init__(self, counties: list[str], rows_of: Callable[[str], _Block],
                 solve: Callable[[str, _Block], _CountyPlan],
                 reset: Callable[[str, _Block], None], threads: int) -> None:
        self.counties = counties
        self.rows_of, self.solve, self.reset = rows_of, solve, reset
        self.threads = max(1, min(threads, len(counties)))
        self._executor: ThreadPoolExecutor | None = None
        #: counties started early whose rows proved right, and wrong
        self.right = self.wrong = 0

    def __enter__(self) -> _CountyQueue:
        if self.threads > 1:
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="county")
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if self._executor is not None:
            # after an error, a stage already running ends on its own (its plan is dropped)
            self._executor.shutdown(wait=kind is None, cancel_futures=True)

    def __iter__(self) -> Iterator[tuple[str, _CountyPlan]]:
        executor = self._executor
        if executor is None:
            for county in self.counties:
                yield county, self.solve(county, self.rows_of(county))
            return
        started: dict[str, tuple[_Block, Future[_CountyPlan], bool]] = {}
        running: set[Future[_CountyPlan]] = set()
        position = 0  # of the next county to start
        for index, county in enumerate(self.counties):
            while True:  # keep the threads busy with the next counties until this one is done
                running = {f for f in running if not f.done()}
                while len(running) < self.threads and position < len(self.counties):
                    early = position > index
                    if early and (self.wrong > self.right + MISSES_ALLOWED
                                  or position > index + MOST_AHEAD):
                        break
                    nxt = self.counties[position]
                    guess = self.rows_of(nxt)
                    started[nxt] = (guess, executor.submit(self.solve, nxt, guess), early)
                    running.add(started[nxt][1])
                    position += 1
                guess, future, early = started[county]
                if future.done():
                    break
                wait(running, return_when=FIRST_COMPLETED)
            del started[county]
            rows = self.rows_of(county)
            same = _same_rows(guess, rows)
            if early:
                self.right += same
                self.wrong += not same
            try:
                plan: _CountyPlan | None = future.result()
            except AllocationError:
                if same:
                    raise
                plan = None
            if plan is None or not same:
                self.reset(county, rows)
                plan = self.solve(county, rows)
            yield county, plan


def share_bound(sense: int, bound: float, others: float, beyond: float, share: float) -> float:
    """A county's bound of a shared row: the row's ``bound`` less what the linear optimum
    gives the other counties and the row's elastic variable (``others``) and what the counties
    before it counted beyond their linear shares (``beyond``, negative when they left some) —
    but never less than the county's own linear ``share`` (it can always keep it).

    A ``beyond`` within :data:`SHARE_NOISE` that would tighten the county's row (more used of
    a fund, less given to a share the row asks for) is left out: the bound is then the one the
    linear optimum leaves the county. That lets the row's parts add up to more than it allows
    by at most about that much (the final linear pass takes it back); what the counties before
    left is always passed on.
    """
    le, ge = sense == pulp.LpConstraintLE, sense == pulp.LpConstraintGE
    if ((le and beyond > 0) or (ge and beyond < 0)) and abs(beyond) <= SHARE_NOISE:
        beyond = 0.0
    left = bound - (others + beyond)
    return max(left, share) if le else min(left, share) if ge else left


def _same_rows(one: _Block, other: _Block) -> bool:
    """True when two versions of a county's rows have the same bounds (the terms are the
    same objects: only a shared row's bound moves)."""
    return [rhs for _, _, _, rhs in one] == [rhs for _, _, _, rhs in other]


def _all_variables(model: AllocationModel) -> list[pulp.LpVariable]:
    seen = row_variables(model.rows)
    seen.update(dict.fromkeys([*model.n.values(), *model.posts.values()]))
    return list(seen)


_Shared = dict[str, tuple[int, float, dict[str, dict[pulp.LpVariable, float]],
                          dict[str | None, float]]]


def _split_rows(model: AllocationModel,
                linear: dict[pulp.LpVariable, float]) -> tuple[dict[str, _Block], _Shared]:
    """Each county's own rows, and the rows counties share: (sense, bound, each county's
    terms, each county's linear activity — ``None`` for the row's elastic variable)."""
    local: dict[str, _Block] = defaultdict(list)
    shared: _Shared = {}
    for row in model.rows:
        if row.name == EQUITY_TOTAL:
            continue  # defines the prefecture's service; counties take it at its linear value
        constraint = row.constraint
        bound = -constraint.constant
        by_county: dict[str | None, dict[pulp.LpVariable, float]] = defaultdict(dict)
        for var, coef in constraint.items():
            by_county[model.county_of.get(var.name)][var] = coef
        if len(by_county) == 1 and None not in by_county:
            (county, coefs), = by_county.items()
            local[county].append((row.name, coefs, constraint.sense, bound))
        elif row.rule == "equity":
            # the county's own service; the prefecture's at its linear value
            own = by_county.get(row.scope, {})
            others = sum(c * linear[v] for county, coefs in by_county.items()
                         if county != row.scope for v, c in coefs.items())
            local[row.scope].append((row.name, own, constraint.sense, bound - others))
        else:
            parts = {c: coefs for c, coefs in by_county.items() if c is not None}
            lp = {c: sum(k * linear[v] for v, k in coefs.items())
                  for c, coefs in by_county.items()}
            shared[row.name] = (constraint.sense, bound, parts, lp)
    return local, shared


def _solve_county(model: AllocationModel, county: str, rows: _Block,
                  tolerance: float, terms: _GoalTerms, gaps: dict[str, float], *,
                  beside: bool = True) -> None:
    """The ordered goals, restricted to the county's variables, as MILPs (the gap HiGHS proved
    at each goal into ``gaps``; ``beside``: see :func:`_solve`).

    Two shortcuts keep a county to two or three small MILPs: ``caps`` needs no MILP (no new
    purchase reaches the linear optimum's money over the caps, which contracts in force alone
    cause), and ``cost`` is a tie-break inside the ``need`` stage, weighted so that it can
    move need met by at most half the goal tolerance; the final linear pass then minimises
    the cost of the continuous purchases exactly.
    """
    mine = {v for _, coefs, _, _ in rows for v in coefs}
    position = next((k for k, g in enumerate(model.goals) if g.key == "cost"), None)
    holds: list[tuple[int, pulp.LpAffineExpression, float]] = []
    # A stage's plan is in the county's varValues: the next stage starts from it — except need,
    # whose 100 nodes found better plans without (Guang'an's default run: need met 1.3 % lower
    # in 2025 with the floors plan as its start; branch and bound searches by best bound once it
    # holds a plan)
    solved = False
    for k, goal in enumerate(model.goals):
        expr = terms.restricted(k, "expr", county, mine)
        if not len(expr) or (goal.key == "cost" and any(g.key == "need" for g in model.goals)):
            continue
        value = float(pulp.value(expr) or 0.0)  # the linear optimum, restricted
        if goal.key != "caps":
            if goal.key == "need" and position is not None:
                spend = terms.restricted(position, "objective", county, mine)
                weight = 0.5 * tolerance * max(1.0, abs(value)) / max(1.0, float(
                    pulp.value(spend) or 0.0) * 2.0)
                objective = expr - weight * spend
            else:
                objective = terms.restricted(k, "objective", county, mine)
            value = _stage(model, county, goal, objective, expr, rows, holds, gaps,
                           start=solved and goal.key != "need", previous=solved, beside=beside)
            solved = True
        slack = hold_slack(goal, value, tolerance)
        holds.append((goal.sense, expr, value + slack if goal.sense == pulp.LpMinimize
                      else value - slack))


class _GoalTerms:
    """Each goal's expression and objective split by county, in the expression's order.

    A county's MILP restricts every goal to the county's variables; all of them belong to the
    county, so the restriction filters the county's own terms instead of the whole
    prefecture's (which made the step quadratic in the number of counties).
    """

    def __init__(self, model: AllocationModel) -> None:
        county_of = model.county_of
        self._groups: dict[tuple[int, str], dict[str | None, list[tuple[pulp.LpVariable,
                                                                        float]]]] = {}
        for k, goal in enumerate(model.goals):
            for part, expr in (("expr", goal.expr), ("objective", goal.objective)):
                groups: dict[str | None, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
                for var, coef in expr.items():
                    groups[county_of.get(var.name)].append((var, coef))
                self._groups[k, part] = groups

    def restricted(self, goal: int, part: str, county: str,
                   mine: set[pulp.LpVariable]) -> pulp.LpAffineExpression:
        """Goal number ``goal``'s ``part`` (``"expr"`` or ``"objective"``) over ``mine``, a
        set of the county's variables."""
        terms = self._groups[goal, part].get(county, ())
        return pulp.LpAffineExpression([(v, c) for v, c in terms if v in mine])


def _stage(model: AllocationModel, county: str, goal: Goal,
           objective: pulp.LpAffineExpression, expr: pulp.LpAffineExpression, rows: _Block,
           holds: list[tuple[int, pulp.LpAffineExpression, float]], gaps: dict[str, float], *,
           start: bool = False, previous: bool = False, beside: bool = True) -> float:
    """``previous``: the columns hold the county's previous stage's plan (whole posts);
    ``beside``: see :func:`_solve`."""
    own = [(coefs, sense, rhs) for _, coefs, sense, rhs in rows]
    gap = NEED_GAP if goal.key == "need" else MIP_GAP
    nodes = 100 * MIP_NODES if goal.key in _PROVED_GOALS else MIP_NODES
    stage = base = MilpStage(own + _hold_rows(holds), objective, goal.sense, start=start)
    # need starts without the previous plan (its first nodes found better plans without it)
    # but ends its escalation from it (_solve); the county's other later stages start from it
    solution = _solve(stage, gap, nodes,
                      started=base.admitting_current if previous and not start else None,
                      beside=beside)
    if solution.failed and previous:
        # The previous plan is there, met within HiGHS's feasibility tolerance: admit it exactly
        # (rows widened by at most that tolerance; the final linear pass restores every row),
        # then, if HiGHS still finds no plan, start from it
        for started in (False, True):
            solution = _solve(stage := base.admitting_current(started), gap, nodes,
                              beside=beside)
            if not solution.failed:
                log.info("%s: the %s stage admitted the previous plan exactly%s", county,
                         goal.key, " and started from it" if started else "")
                break
    for give_abs, give_rel in HOLD_RETRIES:
        if not solution.infeasible or not holds:
            break
        # A MIP solution meets its rows within HiGHS's feasibility tolerance, so an earlier
        # stage's optimum can be just out of reach here (seen with volunteer hours tied to whole
        # posts: a staffing optimum that needed a fraction of a yuan over a cap). The caps hold
        # never gives; the later goals give a little, then one whole unit (a person, an hour).
        loosened = []
        for k, (held_sense, held_expr, bound) in enumerate(holds):
            if not (k == 0 and model.goals and model.goals[0].key == "caps"):
                give = max(give_abs, give_rel * abs(bound))
                bound = bound + give if held_sense == pulp.LpMinimize else bound - give
            loosened.append((held_sense, held_expr, bound))
        stage = MilpStage(own + _hold_rows(loosened), objective, goal.sense, start=start)
        solution = _solve(stage, gap, nodes, beside=beside)
        if not solution.failed:
            log.info("%s: the %s stage held the earlier goals within %g (+%g relative)",
                     county, goal.key, give_abs, give_rel)
    if solution.failed:
        raise AllocationError(f"highs found no whole-post plan for {county} at the "
                              f"{goal.key} goal: {solution.status}")
    if solution.clock:
        log.warning("highs stopped the %s stage of %s at %s; keeping its best plan",
                    goal.key, county, solution.status)
    stage.assign(solution)
    gaps[goal.key] = max(gaps.get(goal.key, 0.0), max(0.0, solution.gap))
    return float(pulp.value(expr) or 0.0)


def _solve(stage: MilpStage, gap: float, nodes: int,
           started: Callable[[bool], MilpStage] | None = None, *,
           beside: bool = True) -> MilpSolution:
    """The stage within ``gap`` or ``nodes`` nodes, branching only; when that found no plan at
    all, with HiGHS's primal heuristics, then 100 times the nodes; then, if it still has no
    plan, 100 times the nodes from the county's previous plan when there is one
    (``started(True)``: the stage admitting that plan exactly, as its start), else (or if that
    too found none) with no node limit (the clock's safety net only); when HiGHS's presolve
    ended it without a plan ('Infeasible' or 'Solve error'), once more without presolve. Every
    step is a limit on work: the plan is the inputs'. ``beside``: the second and third rungs
    side by side (:func:`_two_at_once`; the same plan) — not in a run asked for one thread,
    which must keep to one core (a sweep's runs, ``--workers 1``).

    The search without a node limit made the sensitivity sweep's slowest runs: need stages
    that found no plan in 10,000 nodes went on for 22,000-36,000 (41-91 s); from the floors
    plan the same stages end in 4-8 s with need met within 0.02 % of those plans (higher).
    """
    ladder: list[_Rung] = [(lambda: stage, nodes, False), (lambda: stage, nodes, True),
                           (lambda: stage, 100 * nodes, True)]
    if started is not None:
        ladder.append((lambda: started(True), 100 * nodes, True))
    ladder.append((lambda: stage, None, True))
    solution = _climb(ladder[0], gap)
    rung = 1
    while rung < len(ladder) and _escalates(solution):
        if rung == 1 and beside:  # the first found no plan: the next two at once
            solution, used = _two_at_once(ladder[1], ladder[2], gap)
        else:
            solution, used = _climb(ladder[rung], gap), 1
        rung += used
    if solution.failed and not solution.limited:
        # A stage held at an earlier stage's optimum is feasible only to the last 10⁻⁴ hour
        # (HiGHS's whole posts are whole to 10⁻⁷, times ~10³ hours a post): presolve has called
        # such stages infeasible, or ended in 'Solve error', where the stage solved without it
        # (a Guang'an sensitivity-sweep point, Yuechi's need stage)
        unreduced = stage.solve(gap, MIP_SECONDS, nodes, True, presolve=False)
        if not unreduced.failed:
            return unreduced
    return solution


_Rung = tuple[Callable[[], MilpStage], int | None, bool]


def _escalates(solution: MilpSolution) -> bool:
    """Whether the ladder goes on: the rung's limit came before any plan (not the clock)."""
    return solution.failed and solution.limited and not solution.clock


def _climb(rung: _Rung, gap: float, stop: threading.Event | None = None) -> MilpSolution:
    which, limit, heuristics = rung
    return which().solve(gap, MIP_SECONDS, limit, heuristics, stop=stop)


def _two_at_once(this: _Rung, after: _Rung, gap: float) -> tuple[MilpSolution, int]:
    """``this`` rung here and the ``after`` it in another thread at the same time: the plan the
    ladder gives one rung after the other — ``this`` one's unless it escalates, then
    ``after``'s — and how many rungs that took. ``after`` is interrupted (its answer dropped)
    once ``this`` one has a plan.

    Where a county's first rung found no plan, the next rung has also needed the one after it
    more often than not (Guang'an's largest county, need: two of three in 2025), and HiGHS's
    root heuristics make each of the two cost up to a second; each rung is a fixed search on
    its own HiGHS instance, so running them side by side changes no plan.
    """
    stop = threading.Event()
    pool = ThreadPoolExecutor(1, thread_name_prefix="govsim-rung")
    try:
        later = pool.submit(_climb, after, gap, stop)
        solution = _climb(this, gap)
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=False)  # an interrupted rung ends by itself
    if not _escalates(solution):
        stop.set()
        return solution, 1
    return later.result(), 2


def _hold_rows(holds: list[tuple[int, pulp.LpAffineExpression, float]]
               ) -> list[tuple[pulp.LpAffineExpression, int, float]]:
    """The holds as rows: a minimised goal at most its bound, a maximised one at least."""
    return [(expr, pulp.LpConstraintLE if sense == pulp.LpMinimize else pulp.LpConstraintGE,
             bound) for sense, expr, bound in holds]
