"""Scenario validation (govsim.scenario): the value in every message, and the classes of bad
input for every table — shares below 0 or above 1, negative budgets, duplicate ids and unknown
references outside counties and contracts, the contract-term boundary and its policy override.
"""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

import govsim
from govsim.scenario import Scenario, load_scenario

ROOT = Path(__file__).parents[2]
BAD = ROOT / "tests" / "fixtures" / "bad"
TINY = tomllib.loads((ROOT / "scenarios" / "tiny.toml").read_text(encoding="utf-8"))


def _problems(data: dict[str, Any]) -> list[govsim.Problem]:
    with pytest.raises(govsim.ScenarioError) as info:
        Scenario.from_dict(data)
    return info.value.problems


def _tiny(**edits: Any) -> dict[str, Any]:
    """The tiny scenario's data with ``"a.0.b": value`` edits (``None`` deletes)."""
    data = copy.deepcopy(TINY)
    for path, value in edits.items():
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return data


# -- the value, and bad-input classes for every table ---------------------------------------

@pytest.mark.parametrize(("fixture", "path", "value"), [
    ("wrong_type", "counties[0].dibao", "many"),
    ("negative_count", "counties[1].tekun", -400),
    ("share_out_of_range", "policy.relief_cap_share", 3),
    ("monthly_nonpositive", "items[0].monthly[4]", 0),
    ("duplicate_id", "counties[1].id", "east"),
    ("contract_term", "baseline.contracts[0].term_years", 4),
    ("prohibited_purchasable", "items[3].purchasable", True),
])
def test_messages_carry_the_offending_value(fixture: str, path: str, value: object) -> None:
    with pytest.raises(govsim.ScenarioError) as info:
        load_scenario(BAD / f"{fixture}.toml")
    (problem,) = [p for p in info.value.problems if p.path == path]
    assert problem.has_value and problem.value == value
    assert f"{path} = {value!r}" in problem.format()


@pytest.mark.parametrize(("path", "value"), [
    ("policy.social_org_min_share", -0.1),
    ("policy.takeover_share", 1.01),
    ("provider_types.0.quality", -0.2),
    ("policy.coverage_target", 2),
])
def test_shares_below_zero_or_above_one_are_errors(path: str, value: float) -> None:
    problems = _problems(_tiny(**{path: value}))
    expected = re.sub(r"\.(\d+)", r"[\1]", path)
    assert [p.path for p in problems] == [expected]
    assert problems[0].value == value


@pytest.mark.parametrize(("path", "value"), [
    ("funds.lottery", -1.0),
    ("funds.child_welfare", -100_000),
    ("funds.total_budget", -5.0),
    ("counties.0.market", {"social_org": -3}),
])
def test_negative_budgets_are_caught_by_validation(path: str, value: object) -> None:
    """Issue 4: a truly infeasible input (a negative budget) never reaches the solver."""
    problems = _problems(_tiny(**{path: value}))
    assert problems and all("greater than or equal to 0" in p.message for p in problems)


@pytest.mark.parametrize("table", ["items", "provider_types"])
def test_duplicate_ids_in_other_tables(table: str) -> None:
    data = _tiny()
    data[table].append(copy.deepcopy(data[table][0]))
    problems = _problems(data)
    last = len(data[table]) - 1
    assert {p.path for p in problems if "duplicate id" in p.message} == {
        f"{table}[0].id", f"{table}[{last}].id"}


def test_unknown_references_in_every_table() -> None:
    data = _tiny(**{"counties.0.market": {"social_org": 10, "ngo": 5},
                    "baseline.director_item": "child_visit"})
    data["providers"] = [{"id": "p1", "type": "social_orgg", "counties": ["east", "north"],
                          "capacity_fte": 3.0}]
    data["baseline"]["public_staff"] = [{"county": "wset", "item": "screening", "fte": 1.0},
                                        {"county": "west", "item": "screenin", "fte": 1.0}]
    data["baseline"]["contracts"][0]["provider"] = "p2"
    found = {p.path: p.message for p in _problems(data)}
    assert found.keys() == {"counties[0].market.ngo", "baseline.director_item",
                            "providers[0].type", "providers[0].counties[1]",
                            "baseline.public_staff[0].county", "baseline.public_staff[1].item",
                            "baseline.contracts[0].provider"}
    assert "did you mean 'child_visits'" in found["baseline.director_item"]
    assert "did you mean 'social_org'" in found["providers[0].type"]
    assert "did you mean 'west'" in found["baseline.public_staff[0].county"]
    assert "unknown provider" in found["baseline.contracts[0].provider"]


@pytest.mark.parametrize(("start_year", "term_years", "ok"), [
    (2023, 1, True),   # 2023, 2024, 2025: three years in a row by the base year
    (2022, 1, False),  # four years
    (2025, 3, True),
    (2025, 4, False),
    (2026, 1, False),  # starts after the base year
])
def test_contract_term_boundary_in_validation(start_year: int, term_years: int,
                                              ok: bool) -> None:
    data = _tiny(**{"baseline.contracts.0.start_year": start_year,
                    "baseline.contracts.0.term_years": term_years})
    if ok:
        Scenario.from_dict(data)
        return
    problems = _problems(data)
    assert all(p.path.startswith("baseline.contracts[0].") for p in problems)
    if start_year <= 2025:
        assert {p.rule for p in problems} == {"contract-term"}


def test_contract_term_follows_the_policy_override() -> None:
    data = _tiny(**{"policy.max_contract_years": 5, "baseline.contracts.0.start_year": 2021,
                    "baseline.contracts.0.term_years": 5})
    scenario = Scenario.from_dict(data)
    assert [w.rule for w in scenario.warnings] == ["contract-term"]



@pytest.mark.parametrize(("item", "edits", "words"), [
    (2, {"items.2.monthly": [1.5] * 6 + [0.5] * 6}, "equal instalments"),
    (1, {}, "not withdrawn"),  # care waits with patience_hours = 320
])
def test_a_commissioned_item_has_no_season_and_no_patience(item: int, edits: dict[str, Any],
                                                          words: str) -> None:
    problems = _problems(_tiny(**{f"items.{item}.arrivals": "commissioned", **edits}))
    assert len(problems) == 1 and words in problems[0].message
    assert problems[0].path == f"items[{item}]"
    # without the season (or for an item without patience) it validates
    assert Scenario.from_dict(_tiny(**{"items.2.arrivals": "commissioned"})).item(
        "child_visits").arrivals == "commissioned"
