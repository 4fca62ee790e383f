"""Properties of the allocation: an independent scipy formulation of the ordered goals, every
rule holding in random solutions, no short-case bias, goal order and goal prices, the CLI.

The scipy formulation below is written from docs/allocation.md, not from the model code: its
own columns and rows (capacity per provider type, need, need-met segments, staffing with an
elastic shortfall, market, relief cap, child and lottery funds with the lottery split, the
social-organisation share per county, each money row elastic), solved goal by goal with each
optimum held — caps, staffing, need met — in the linear plan (``integer_posts = false``).
"""

from __future__ import annotations

import copy
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from govsim.allocation import allocate
from govsim.cli import main
from govsim.scenario import Scenario
from tests.allocation.hand_scenarios import BASE, ENTERPRISE

TOL = 1e-6


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    data = copy.deepcopy(BASE)
    data["provider_types"].append(copy.deepcopy(ENTERPRISE))
    # at least 1 % from the social organisations' 100,000 CNY: at a price gap of a yuan a year,
    # swapping one provider's FTE for the other's costs cents, so the two solvers' cent-sized
    # tolerances (holds, elastic funds) decided how many hours went to the better provider
    # (seen at 100,001 CNY: need met 4,542.08 against scipy's 4,542.31, 0.23 apart)
    data["provider_types"][1]["cost_per_fte_year"] = draw(
        st.one_of(st.floats(40_000, 99_000), st.floats(101_000, 120_000)))
    data["provider_types"][1]["quality"] = draw(st.floats(0.3, 1.0))
    data["provider_types"][1]["failure_hazard"] = draw(st.floats(0, 0.2))
    data["provider_types"][1]["takeover_delay_days"] = 20.0
    counties = []
    for k in range(draw(st.integers(1, 3))):
        county = copy.deepcopy(BASE["counties"][0])
        county.update(id=f"c{k}", dibao=draw(st.integers(0, 5000)),
                      public_caseworkers=draw(st.integers(0, 10)),
                      villages=draw(st.integers(0, 5)),
                      child_welfare_directors=draw(st.integers(0, 5)),
                      left_behind_children=draw(st.integers(0, 500)),
                      # none, or at least 100,000 CNY (a cap of 3,000): caps below a yuan make
                      # both solvers' answers float noise, not plans
                      relief_fund_last_year=draw(st.one_of(st.just(0.0), st.floats(1e5, 2e7))),
                      market={"so": draw(st.floats(0, 5)), "ent": draw(st.floats(0.1, 5))})
        counties.append(county)
    data["counties"] = counties
    data["items"][0]["counts_toward"] = draw(st.sampled_from(["none", "caseworker"]))
    data["items"][1]["rate"] = draw(st.floats(100, 5000))
    data["items"][1]["priority"] = draw(st.floats(0.5, 5))
    data["items"].append({"id": "visits", "name_zh": "走访", "kind": "administrative",
                          "fund": "child", "driver": ["left_behind_children"], "rate": 2.0,
                          "distribution": "fixed", "mean_hours": draw(st.floats(0.5, 5)),
                          # none, or at least 0.01: HiGHS ends the cost stage in "unknown"
                          # status, after every retry, on a priority of 6e-8 next to one of 5
                          "priority": draw(st.one_of(st.just(0.0), st.floats(0.01, 5))),
                          "counts_toward": "child_staff"})
    # none, or at least 1,000 CNY: a fund of a few yuan (5 CNY of lottery money, seen) buys
    # hours that the two solvers' yuan-sized tolerances decide (need met 0.086 against 0.147)
    data["funds"] = {"child_welfare": draw(st.one_of(st.just(0.0), st.floats(1e3, 3e5))),
                     "lottery": draw(st.one_of(st.just(0.0), st.floats(1e3, 2e5))),
                     "child_welfare_split": draw(st.sampled_from(["children", "pooled"]))}
    data["policy"]["cap_scope"] = draw(st.sampled_from(["county", "prefecture"]))
    data["policy"]["utilisation_target"] = draw(st.floats(0.6, 1.0))
    return Scenario.from_dict(data)


# -- the independent formulation ----------------------------------------------------------------

class _LP:
    """Columns by name, rows as dicts, solved with scipy's HiGHS goal by goal."""

    def __init__(self) -> None:
        self.cols: dict[tuple, int] = {}
        self.bounds: list[tuple[float, float | None]] = []
        self.rows: list[tuple[dict[int, float], float]] = []  # Σ a·x ≤ b

    def col(self, key: tuple, up: float | None = None) -> int:
        if key not in self.cols:
            self.cols[key] = len(self.cols)
            self.bounds.append((0.0, up))
        return self.cols[key]

    def le(self, terms: dict[int, float], rhs: float) -> None:
        self.rows.append((terms, rhs))

    def solve(self, objective: dict[int, float], maximise: bool, slack: float) -> float:
        n = len(self.cols)
        a = np.zeros((len(self.rows), n))
        for k, (terms, _) in enumerate(self.rows):
            for j, v in terms.items():
                a[k, j] += v
        c = np.zeros(n)
        for j, v in objective.items():
            c[j] = -v if maximise else v
        # tolerances a hundred times tighter than scipy's default 10⁻⁷: the holds below are
        # 10⁻⁷ people (the model's precision), which the default would call infeasible
        out = linprog(c, A_ub=a, b_ub=[b for _, b in self.rows], bounds=self.bounds,
                      method="highs", options={"primal_feasibility_tolerance": 1e-9,
                                               "dual_feasibility_tolerance": 1e-9})
        assert out.status == 0, out.message
        value = -out.fun if maximise else out.fun
        sign = -1.0 if maximise else 1.0
        self.le({j: sign * v for j, v in objective.items()}, sign * value + slack)
        return value


def scipy_goals(scenario: Scenario) -> dict[str, float]:
    """Caps, staffing and need met of ``scenario``'s base year, from docs/allocation.md."""
    lp = _LP()
    header, policy = scenario.header, scenario.policy
    ph = header.productive_hours_per_fte
    rho = policy.utilisation_target
    working_days = header.hours_per_year / 8
    types = {p.id: p for p in scenario.provider_types}
    items = scenario.purchasable_items

    def loss(p: str) -> float:
        t = types[p]
        d = min(1.0, t.takeover_delay_days / working_days)
        return min(1.0, t.failure_hazard * (d + (1 - policy.takeover_share) * 0.5 * (1 - d)))

    widths = np.diff([0.0, *policy.need_breakpoints])
    over: list[int] = []
    value: dict[int, float] = {}
    money: dict[str, dict[int, float]] = {}
    child_l: dict[str, dict[int, float]] = {}
    lottery_terms: dict[int, float] = {}
    social: dict[str, dict[int, float]] = {}
    for c in scenario.counties:
        offered = [p for p in types if c.market.get(p, 0) > 0]
        for i in items:
            need = sum(c.driver(d) for d in i.driver) * i.rate * i.mean_hours
            served = {}
            for p in offered:
                n = lp.col(("n", c.id, i.id, p))
                h = lp.col(("h", c.id, i.id, p))
                lp.le({h: 1.0, n: -ph * rho * (1 - loss(p))}, 0.0)
                served[h] = types[p].quality
                scope = "prefecture" if policy.cap_scope == "prefecture" else c.id
                fund = {"relief": f"relief:{scope}", "child": "child:" + (
                    "prefecture" if scenario.funds.child_welfare_split == "pooled" else c.id),
                        }.get(i.fund, "lottery")
                money.setdefault(fund, {})[n] = types[p].cost_per_fte_year
                social.setdefault(c.id, {})[n] = (float(types[p].is_social_org)
                                                  - policy.social_org_min_share) \
                    * types[p].cost_per_fte_year
            if served:
                lp.le({h: 1.0 for h in served}, need)
                segs = [lp.col(("g", c.id, i.id, k), up=w * need) for k, w in enumerate(widths)]
                lp.le({**{g: 1.0 for g in segs}, **{h: -q for h, q in served.items()}}, 0.0)
                for g, w in zip(segs, policy.need_weights, strict=True):
                    value[g] = i.priority * w
            if offered and i.fund == "child" and scenario.funds.lottery > 0:
                lot = lp.col(("l", c.id, i.id))
                fund = "child:" + ("prefecture" if scenario.funds.child_welfare_split == "pooled"
                                   else c.id)
                child_l.setdefault(fund, {})[lot] = -1.0
                lottery_terms[lot] = 1.0
                lp.le({lot: 1.0, **{lp.cols[("n", c.id, i.id, p)]: -types[p].cost_per_fte_year
                                    for p in offered}}, 0.0)
        for p in offered:
            lp.le({lp.cols[("n", c.id, i.id, p)]: 1.0 for i in items}, c.market[p])
    # money rows, each elastic
    children = {c.id: c.left_behind_children + c.children_in_difficulty
                for c in scenario.counties}
    total = sum(children.values())
    limits = {}
    for c in scenario.counties:
        scope = "prefecture" if policy.cap_scope == "prefecture" else c.id
        limits[f"relief:{scope}"] = limits.get(f"relief:{scope}", 0.0) \
            + policy.relief_cap_share * c.relief_fund_last_year
        if scenario.funds.child_welfare_split == "pooled":
            limits["child:prefecture"] = scenario.funds.child_welfare
        else:
            limits[f"child:{c.id}"] = scenario.funds.child_welfare * (
                children[c.id] / total if total else 1 / len(children))
    limits["lottery"] = scenario.funds.lottery
    for fund, limit in limits.items():
        terms = dict(money.get(fund, {}))
        terms.update(child_l.get(fund, {}))
        if fund == "lottery":
            terms.update(lottery_terms)
        if not terms:
            continue
        o = lp.col(("o", fund))
        over.append(o)
        lp.le({**terms, o: -1.0}, limit)
    for county, terms in social.items():
        o = lp.col(("o", "social", county))
        over.append(o)
        lp.le({**{j: -v for j, v in terms.items()}, o: -1.0}, 0.0)
    # staffing, elastic
    shortfalls = []
    for c in scenario.counties:
        for counts, need in (
                ("caseworker", math.ceil(round(policy.caseworker_ratio * (c.dibao + c.tekun), 9))
                 - c.public_caseworkers),
                ("child_staff", c.townships + c.villages - c.child_welfare_directors)):
            s = lp.col(("s", c.id, counts))
            shortfalls.append(s)
            terms = {s: -1.0}
            for key, j in list(lp.cols.items()):
                if key[0] == "n" and key[1] == c.id and \
                        scenario.item(key[2]).counts_toward == counts:
                    terms[j] = -1.0
            lp.le(terms, -need)
    # money in 万元 rows would change nothing here: scipy's HiGHS scales the rows itself
    # each optimum held with room for scipy's feasibility tolerance: 10⁻⁵ CNY over the caps
    # (the model: 10⁻⁹ 万元), 10⁻⁷ people (the model: 10⁻⁷). Not 10⁻⁶: with two provider
    # prices 1 % apart, 10⁻⁶ people of room let the need stage move 5 yuan of purchases from a
    # county without need to one with it (need met 0.074 higher than the model's; found by
    # hypothesis in a fresh clone)
    caps = lp.solve({o: 1.0 for o in over}, maximise=False, slack=1e-5)
    return {"caps": caps / 1e4,  # 万元, as the model reports it
            "staffing": lp.solve({s: 1.0 for s in shortfalls}, maximise=False, slack=1e-7),
            "need": lp.solve(value, maximise=True, slack=0.0)}


def _five_yuan_case() -> Scenario:
    """Found by hypothesis in a fresh clone: provider prices 1 % apart, a county with visits
    to make and one without; scipy's staffing hold of 10⁻⁶ people let it move 5 yuan of
    lottery-paid purchases to the county with need (need met 306.089 against 306.015)."""
    data = copy.deepcopy(BASE)
    data["provider_types"].append({**copy.deepcopy(ENTERPRISE), "cost_per_fte_year": 101_000.0,
                                   "quality": 1.0, "failure_hazard": 0.0,
                                   "takeover_delay_days": 20.0})
    data["counties"] = [
        {**copy.deepcopy(BASE["counties"][0]), "id": f"c{k}", "dibao": 0,
         "public_caseworkers": 0, "villages": villages, "child_welfare_directors": 0,
         "left_behind_children": children, "relief_fund_last_year": 0.0,
         "market": {"so": so, "ent": 1.0}}
        for k, (villages, children, so) in enumerate(((1, 79, 0.125), (0, 0, 0.0), (1, 0, 1.0)))]
    data["items"][0]["counts_toward"] = "none"
    data["items"][1].update(rate=100.0, priority=1.0)
    data["items"].append({"id": "visits", "name_zh": "走访", "kind": "administrative",
                          "fund": "child", "driver": ["left_behind_children"], "rate": 2.0,
                          "distribution": "fixed", "mean_hours": 1.0, "priority": 3.0,
                          "counts_toward": "child_staff"})
    data["funds"] = {"child_welfare": 0.0, "lottery": 12_506.0, "child_welfare_split": "children"}
    data["policy"].update(cap_scope="county", utilisation_target=1.0)
    return Scenario.from_dict(data)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
@example(_five_yuan_case())
def test_random_scenarios_match_an_independent_formulation(scenario: Scenario) -> None:
    result = allocate(scenario, integer_posts=False)
    goals = result.goals.set_index("goal")["value"]
    expected = scipy_goals(scenario)
    # need met that one yuan buys at most: a yuan is the float noise of money here (a 3,000-CNY
    # cap held to 10⁻⁵ CNY by one solver and 10⁻⁹ 万元 by the other, then staffing held to
    # 10⁻⁷ people on top of it)
    one_yuan = max(item.priority for item in scenario.items) * max(
        scenario.header.productive_hours_per_fte / p.cost_per_fte_year
        for p in scenario.provider_types)
    for key, value in expected.items():
        if key in goals.index:
            # the two differ only by float noise: money rows in CNY here and 万元 there, each
            # solver's own feasibility tolerance, the holds' slack — a modelling difference
            # shows as whole hours or people
            tolerance = 0.01 + (one_yuan if key == "need" else 0.0)
            assert goals[key] == pytest.approx(value, rel=5e-5, abs=tolerance), key
    _check_solution(scenario, result)


# -- every rule holds in random solutions ----------------------------------------------------------

def _check_solution(scenario: Scenario, result: object) -> None:
    alloc: pd.DataFrame = result.allocation  # type: ignore[attr-defined]
    assert (alloc["fte"] >= -TOL).all()
    price = {p.id: p.cost_per_fte_year for p in scenario.provider_types}
    bought = alloc[alloc["provider_type"] != "part_time_post"]
    assert bought["cost"].to_numpy() == pytest.approx(
        (bought["fte"] * bought["provider_type"].map(price)).to_numpy(), rel=1e-9, abs=1e-6)
    fielded = bought.groupby(["county", "provider_type"])["fte"].sum()
    for (county, ptype), fte in fielded.items():
        assert fte <= scenario.county(county).market.get(ptype, 0.0) + TOL, (county, ptype)
    # staffing, in people: requirements computed here from the documents' rules (2 ‰ of the
    # recipients rounded up, exact rational arithmetic; one per township and village)
    counts = {i.id: i.counts_toward for i in scenario.items}
    staffing: pd.DataFrame = result.staffing  # type: ignore[attr-defined]
    for row in staffing.itertuples():
        county = scenario.county(row.county)
        kind = "caseworker" if row.rule == "caseworker-ratio" else "child_staff"
        required = (math.ceil(Fraction(str(scenario.policy.caseworker_ratio))
                              * (county.dibao + county.tekun)) if kind == "caseworker"
                    else scenario.policy.child_staff_per_unit * (county.townships
                                                                 + county.villages))
        mine = alloc[(alloc["county"] == row.county) & (alloc["item"].map(counts) == kind)]
        assert row.required == required
        assert row.purchased + row.part_time_posts == pytest.approx(
            mine["persons"].fillna(mine["fte"]).sum(), abs=TOL)
        assert row.in_post + row.purchased + row.part_time_posts + row.shortfall \
            >= required - TOL
    unmet: pd.DataFrame = result.unmet  # type: ignore[attr-defined]
    assert (unmet["hours_served"] >= -TOL).all()
    assert (unmet["hours_served"] <= unmet["hours_need"] * (1 + 1e-9) + TOL).all()
    assert ((unmet["coverage"] <= 1 + 1e-9) | unmet["coverage"].isna()).all()
    hard = result.compliance  # type: ignore[attr-defined]
    caps = hard[hard["rule"].isin(["relief-cap", "funding-sources", "prohibited-items"])]
    assert (caps["status"] != "fail").all(), caps[caps["status"] == "fail"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_whole_posts_keep_every_cap(scenario: Scenario) -> None:
    result = allocate(scenario)
    posts = result.allocation[result.allocation["provider_type"] != "part_time_post"]
    assert ((posts["fte"] - posts["fte"].round()).abs() < 1e-9).all()
    _check_solution(scenario, result)


# -- no short-case bias --------------------------------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(factor=st.floats(0.2, 5.0), rate=st.floats(200, 5000), priority=st.floats(0.5, 5))
def test_hours_not_cases_decide(factor: float, rate: float, priority: float) -> None:
    """Scaling an item's hours per case by k and its cases by 1/k leaves the hours bought for
    that need unchanged; so does splitting an item into two identical halves. (When an hour
    of counselling is worth exactly an hour of care in some segment, several plans are
    optimal and the hours are not unique: such priorities are left out.)"""
    from tests.allocation.hand_scenarios import hand_scenario

    worth = [w * p for w in (1.0, 0.5, 0.2) for p in (5.0, priority)]
    assume(all(abs(a - b) > 1e-3 or a == b for a in worth for b in worth)
           and len({round(v, 9) for v in worth}) == len(worth))

    base = hand_scenario(items__1__rate=rate, items__1__priority=priority)
    scaled = hand_scenario(items__1__rate=rate / factor, items__1__mean_hours=factor,
                           items__1__priority=priority)
    one = allocate(base, integer_posts=False)
    other = allocate(scaled, integer_posts=False)
    served = [r.unmet.set_index("item")["hours_served"] for r in (one, other)]
    assert served[1]["counselling"] == pytest.approx(served[0]["counselling"], rel=1e-6,
                                                     abs=1e-4)
    data = base.to_dict()
    half = {**data["items"][1], "rate": rate / 2}
    data["items"][1] = {**half, "id": "counselling"}
    data["items"].append({**half, "id": "counselling_b"})
    split = allocate(Scenario.from_dict(data), integer_posts=False)
    hours = split.unmet.set_index("item")["hours_served"]
    assert hours["counselling"] + hours["counselling_b"] == pytest.approx(
        served[0]["counselling"], rel=1e-6, abs=1e-4)


# -- goal order and goal prices ------------------------------------------------------------------

def test_dropping_a_goal_changes_the_next_by_its_price(guangan: Scenario) -> None:
    """The floors goal (items' floors, the equity floor) costs need met its reported price:
    without floors, need met rises by exactly that much; without statutory flags, the
    staffing goal improves by the statutory goal's price."""
    result = allocate(guangan, integer_posts=False, goal_prices=True)
    goals = result.goals.set_index("goal")
    no_floors = guangan.with_overrides({"items.*.min_coverage": 0.0,
                                        "policy.equity_floor": 0.0})
    freed = allocate(no_floors, integer_posts=False).goals.set_index("goal")
    assert freed.loc["need", "value"] - goals.loc["need", "value"] == pytest.approx(
        goals.loc["floors", "price"], rel=1e-6, abs=1e-6)
    no_statutory = guangan.with_overrides({"items.*.statutory": False})
    freed = allocate(no_statutory, integer_posts=False).goals.set_index("goal")
    assert goals.loc["staffing", "value"] - freed.loc["staffing", "value"] == pytest.approx(
        goals.loc["statutory", "price"], abs=1e-6)
    assert (goals["price"].dropna() >= 0).all()


# -- the CLI -------------------------------------------------------------------------------------

def test_cli_allocate_writes_outputs(tmp_path: Path) -> None:
    out = tmp_path / "alloc"
    assert main(["allocate", "tiny", "--out", str(out)]) == 0
    for name in ("allocation", "staffing", "compliance", "constraints", "explanations", "unmet",
                 "goals"):
        assert (out / f"{name}.csv").is_file(), name
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"]["name"] == "tiny" and manifest["solver"]["name"] == "highs"


def test_cli_allocate_bad_solver_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["allocate", "tiny", "--solver", "gurobi"]) == 2
    assert "unknown solver" in capsys.readouterr().err
