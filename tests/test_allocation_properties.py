"""Property tests of the allocation model against an independent scipy formulation, and the CLI.

The scipy formulation below is written from docs/allocation.md, not from the model code: it
builds its own matrix of the same LP (capacity, relief cap, social-org share, staffing with
elastic shortfall, market, funds with a lottery split), its own objective weights (the penalty
P and the tie-break ε by the formulas of docs/allocation.md) and its own cap limits (the share
times each county's relief fund), so that a changed weight or limit in the model fails here.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from govsim.allocation import allocate, estimates_from_scenario
from govsim.cli import main
from govsim.policy import MONEY_TOLERANCE
from govsim.scenario import Scenario
from tests.test_allocation_helpers import BASE, ENTERPRISE


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    data = copy.deepcopy(BASE)
    data["provider_types"].append(copy.deepcopy(ENTERPRISE))
    data["provider_types"][1]["cost_per_fte_year"] = draw(st.floats(40_000, 120_000))
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
                      relief_fund_last_year=draw(st.floats(0, 2e7)),
                      market={"so": draw(st.floats(0, 5)), "ent": draw(st.floats(0.1, 5))})
        counties.append(county)
    data["counties"] = counties
    data["items"][0]["counts_toward"] = draw(st.sampled_from(["none", "caseworker"]))
    data["items"][1]["rate"] = draw(st.floats(100, 5000))
    data["items"].append({"id": "visits", "name_zh": "走访", "kind": "administrative",
                          "fund": "child", "driver": ["left_behind_children"], "rate": 2.0,
                          "distribution": "fixed", "mean_hours": draw(st.floats(0.5, 5)),
                          "priority": draw(st.floats(0, 5)), "counts_toward": "child_staff"})
    data["funds"] = {"child_welfare": draw(st.floats(0, 3e5)), "lottery": draw(st.floats(0, 2e5)),
                     "child_welfare_split": draw(st.sampled_from(["children", "pooled"]))}
    data["policy"]["cap_scope"] = draw(st.sampled_from(["county", "prefecture"]))
    data["policy"]["utilisation_target"] = draw(st.floats(0.6, 1.0))
    return Scenario.from_dict(data)


def linprog_objective(scenario: Scenario) -> float:
    """max Σ prio·(D − u) − P·Σ s − ε·Σ (price/quality)·w, solved with scipy's HiGHS."""
    est = estimates_from_scenario(scenario)
    ph = scenario.scenario.productive_hours_per_fte
    demand = est.demand.set_index(["county", "item"])
    types = {p.id: p for p in scenario.provider_types}
    items = scenario.purchasable_items
    cols: list[tuple] = []
    for c in scenario.counties:
        for i in items:
            cols += [("w", c.id, i.id, p) for p in types if c.market.get(p, 0) > 0]
            if demand.loc[(c.id, i.id), "cases_mean"] > 0:
                cols.append(("u", c.id, i.id))
            if scenario.funds.lottery > 0 and any(c.market.get(p, 0) > 0 for p in types):
                cols.append(("l", c.id, i.id))
        cols += [("s", c.id, "cw"), ("s", c.id, "cs")]
    index = {col: k for k, col in enumerate(cols)}
    n = len(cols)
    price = {p: types[p].cost_per_fte_year for p in types}
    cost_obj = np.zeros(n)
    bounds = [(0, None)] * n
    a_ub, b_ub = [], []

    def row() -> np.ndarray:
        return np.zeros(n)

    staffing_penalty, tie_break = _penalties(scenario, est, index, price)
    for col, k in index.items():
        if col[0] == "w":
            q = est.provider_value("quality", col[1], col[2], col[3])
            cost_obj[k] = tie_break * price[col[3]] / q
        elif col[0] == "u":
            item = scenario.item(col[2])
            cost_obj[k] = item.priority
            bounds[k] = (0, demand.loc[(col[1], col[2]), "cases_mean"])
        elif col[0] == "s":
            cost_obj[k] = staffing_penalty
    # capacity: −Σ eff·w − u ≤ −(D − ρ·ph·public/h)
    for col, k in index.items():
        if col[0] != "u":
            continue
        d = demand.loc[(col[1], col[2])]
        r = row()
        r[k] = -1
        for p in types:
            if ("w", col[1], col[2], p) in index:
                loss = est.provider_value("capacity_loss", col[1], col[2], p)
                r[index["w", col[1], col[2], p]] = -ph * d["utilisation_target"] * (1 - loss) \
                    / d["hours_per_case"]
        a_ub.append(r)
        b_ub.append(-(d["cases_mean"] - d["utilisation_target"] * ph * d["public_fte"]
                      / d["hours_per_case"]))
    money = {col: price[col[3]] for col in index if col[0] == "w"}
    fund_of = {i.id: i.fund for i in items}
    # relief caps
    for scope, limit in cap_limits(scenario).items():
        r = row()
        for col, m in money.items():
            if fund_of[col[2]] == "relief" and scope in ("prefecture", col[1]):
                r[index[col]] = m
        for col, k in index.items():
            if col[0] == "l" and fund_of[col[2]] == "relief" and scope in ("prefecture", col[1]):
                r[k] = -1
        a_ub.append(r)
        b_ub.append(limit)
    # child fund
    children = {c.id: c.left_behind_children + c.children_in_difficulty
                for c in scenario.counties}
    total_children = sum(children.values())
    scopes = ({"prefecture": scenario.funds.child_welfare}
              if scenario.funds.child_welfare_split == "pooled" else
              {c: scenario.funds.child_welfare * (children[c] / total_children if total_children
                                                  else 1 / len(children)) for c in children})
    for scope, limit in scopes.items():
        r = row()
        for col, m in money.items():
            if fund_of[col[2]] == "child" and scope in ("prefecture", col[1]):
                r[index[col]] = m
        for col, k in index.items():
            if col[0] == "l" and fund_of[col[2]] == "child" and scope in ("prefecture", col[1]):
                r[k] = -1
        a_ub.append(r)
        b_ub.append(limit)
    # lottery fund and splits
    lot = [k for col, k in index.items() if col[0] == "l"]
    if lot:
        r = row()
        r[lot] = 1
        a_ub.append(r)
        b_ub.append(scenario.funds.lottery)
        for col, k in index.items():
            if col[0] == "l":
                r = row()
                r[k] = 1
                for p in types:
                    if ("w", col[1], col[2], p) in index:
                        r[index["w", col[1], col[2], p]] = -price[p]
                a_ub.append(r)
                b_ub.append(0.0)
    # social-org share: Σ (share − social)·cost·w ≤ 0
    r = row()
    share = scenario.policy.social_org_min_share
    for col, m in money.items():
        r[index[col]] = (share - float(types[col[3]].is_social_org)) * m
    a_ub.append(r)
    b_ub.append(0.0)
    # staffing: −Σ w − s ≤ −(required − in post); market: Σ w ≤ capacity
    for c in scenario.counties:
        for tag, counts, need in (
                ("cw", "caseworker", int(np.ceil(round(scenario.policy.caseworker_ratio
                                                       * (c.dibao + c.tekun), 9)))
                 - c.public_caseworkers),
                ("cs", "child_staff", c.townships + c.villages - c.child_welfare_directors)):
            r = row()
            r[index["s", c.id, tag]] = -1
            for col in money:
                if col[1] == c.id and scenario.item(col[2]).counts_toward == counts:
                    r[index[col]] = -1
            a_ub.append(r)
            b_ub.append(-need)
        for p in types:
            ks = [index[col] for col in money if col[1] == c.id and col[3] == p]
            if ks:
                r = row()
                r[ks] = 1
                a_ub.append(r)
                b_ub.append(c.market[p])
    solved = linprog(cost_obj, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=bounds,
                     method="highs")
    assert solved.status == 0, solved.message
    constant = sum(scenario.item(col[2]).priority * demand.loc[(col[1], col[2]), "cases_mean"]
                   for col in index if col[0] == "u")
    return constant - solved.fun


def cap_limits(scenario: Scenario) -> dict[str, float]:
    """The relief cap of each scope: the share of each county's relief fund of last year, or
    of their sum when the cap is pooled over the prefecture (rule relief-cap, 001 §(八))."""
    share = scenario.policy.relief_cap_share
    if scenario.policy.cap_scope == "prefecture":
        return {"prefecture": share * sum(c.relief_fund_last_year for c in scenario.counties)}
    return {c.id: share * c.relief_fund_last_year for c in scenario.counties}


def _penalties(scenario: Scenario, est: object, index: dict[tuple, int],
               price: dict[str, float]) -> tuple[float, float]:
    """``P`` and ``ε`` of max_coverage as docs/allocation.md states them.

    ``eff`` is cases one FTE serves (productive hours × ρ × (1 − loss) / hours per case);
    ``P = 10 · max(prio · eff) · C_max / C_min`` per post short (at least 1);
    ``ε = 10⁻⁴ · q_min · min(prio · eff_min / C_max)`` over cells with a priority.
    """
    ph = scenario.scenario.productive_hours_per_fte
    demand = est.demand.set_index(["county", "item"])  # type: ignore[attr-defined]
    effs: dict[tuple[str, str], list[float]] = {}
    qualities = []
    for col in index:
        if col[0] != "w":
            continue
        cell = demand.loc[(col[1], col[2])]
        loss = est.provider_value("capacity_loss", col[1], col[2], col[3])  # type: ignore
        effs.setdefault((col[1], col[2]), []).append(
            ph * cell["utilisation_target"] * (1 - loss) / cell["hours_per_case"])
        qualities.append(est.provider_value("quality", col[1], col[2], col[3]))  # type: ignore
    c_max, c_min = max(price.values()), min(price.values())
    values, cheapest = [0.0], []
    for (county, item_id), eff in effs.items():
        if demand.loc[(county, item_id), "cases_mean"] <= 0:
            continue
        priority = scenario.item(item_id).priority
        values.append(priority * max(eff))
        if priority > 0:
            cheapest.append(priority * min(eff) / c_max)
    staffing = max(10 * max(values) * c_max / c_min, 1.0)
    tie = 1e-4 * (min(qualities, default=1.0) or 1.0) * min(cheapest, default=0.0)
    return staffing, tie


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_random_scenarios_respect_caps_and_match_linprog(scenario: Scenario) -> None:
    result = allocate(scenario)
    alloc = result.allocation
    for scope, limit in cap_limits(scenario).items():
        relief = alloc[(alloc["fund"] == "relief")
                       & ((alloc["county"] == scope) | (scope == "prefecture"))]
        assert relief["cost"].sum() <= limit + MONEY_TOLERANCE
    assert alloc.loc[alloc["fund"] == "lottery", "cost"].sum() <= (
        scenario.funds.lottery + MONEY_TOLERANCE)
    assert alloc.loc[alloc["fund"] == "child", "cost"].sum() <= (
        scenario.funds.child_welfare + MONEY_TOLERANCE)
    social = alloc.loc[alloc["provider_type"] == "so", "cost"].sum()
    assert social + MONEY_TOLERANCE >= 0.3 * alloc["cost"].sum()
    c = result.compliance
    assert (c.loc[c["rule"].isin(["relief-cap", "social-org-share", "funding-sources"]),
                  "status"] != "fail").all()
    expected = linprog_objective(scenario)
    assert result.objective_value == pytest.approx(expected, rel=1e-6, abs=1e-6)


def test_cli_allocate_writes_outputs(tmp_path: Path) -> None:
    out = tmp_path / "run"
    code = main(["allocate", "tiny", "--year", "2025", "--solver", "cbc", "--out", str(out)])
    assert code == 0
    for name in ("allocation", "staffing", "compliance", "constraints", "explanations"):
        assert (out / f"{name}.csv").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"] == "tiny" and manifest["year"] == 2025
    assert manifest["solver"] == "cbc" and len(manifest["scenario_hash"]) == 64
    assert main(["allocate", "tiny", "--out", str(out)]) == 2  # never without --overwrite
    assert main(["allocate", "tiny", "--out", str(out), "--overwrite"]) == 0  # atomically


def test_cli_allocate_bad_solver_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["allocate", "tiny", "--solver", "gurobi"]) == 2
    assert "unknown solver" in capsys.readouterr().err
