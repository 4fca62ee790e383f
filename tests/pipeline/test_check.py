"""The check of a round with its sampling intervals (govsim.pipeline.check): missed and
inconclusive cells, what the loop does with each, and the year's status and reason in both
languages.

The trials are made by hand — one tiny cell (east/care: no deadline, target wait 10 days,
utilisation planned in posts) per replication — so that each interval is known: the 95 %
half-width of five values with standard deviation s is t₀.₉₇₅,₄ × s ÷ √5.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from govsim.output.files import CSV_ENCODING
from govsim.output.labels import label
from govsim.output.phrases import reason_text
from govsim.pipeline import COVERAGE_TOLERANCE, WAIT_TOLERANCE, run
from govsim.pipeline.check import Round, check_round, convergence_row, lower_targets
from govsim.scenario import Scenario
from govsim.stats import t_critical

CELL = ("east", "care")
T4 = t_critical(4)


def _kpis(served: float, wait: float = 2.0, item: str = "care", **more: float) -> pd.DataFrame:
    """One replication's row of east/``item``: 100 cases arrived, ``served`` served."""
    return pd.DataFrame([{
        "year": 2025, "county": "east", "item": item, "arrivals": 100.0, "carried_in": 0.0,
        "served": served, "abandoned": 0.0, "backlog": 100.0 - served, "wait_mean_days": wait,
        "wait_p90_days": wait, "wait_p90_new_days": wait, "wait_p90_peak_days": math.nan,
        "utilisation": 0.8, "satisfaction": 0.9, "cost": 0.0, "queue_mean": 1.0,
        "overdue_served": 0.0, "overdue_waiting": 0.0, "overdue_days": 0.0, **more}])


def _trial(served: list[float], waits: list[float] | None = None) -> list[Any]:
    waits = waits or [2.0] * len(served)
    return [(SimpleNamespace(kpis=_kpis(s, w)), None) for s, w in zip(served, waits, strict=True)]


def _check(tiny: Scenario, trial: list[Any], plan: float = 1.0, item: str = "care") -> Round:
    unmet = pd.DataFrame([{"county": "east", "item": item, "coverage": plan,
                           "hours_need": 200.0, "hours_served": 200.0}])
    constraints = pd.DataFrame(columns=["name", "rule", "scope", "binding", "slack"])
    allocation = SimpleNamespace(unmet=unmet, spend_cny=0.0, constraints=constraints)
    return check_round(tiny, 1, allocation, None, trial, {})


# -- coverage ------------------------------------------------------------------------------------

def test_a_shortfall_within_its_interval_is_inconclusive_and_no_target_is_lowered(
        tiny: Scenario) -> None:
    # coverage 96 % against 100 % planned (98 % with the tolerance); per replication 93–99 %:
    # s = √(20e-4 ÷ 4) = 0.02236, half-width = T4 × 0.01 = 2.8 points, 96 + 2.8 ≥ 98
    checked = _check(tiny, _trial([93.0, 95.0, 97.0, 99.0, 96.0]))
    assert checked.misses == {}
    assert CELL in checked.inconclusive
    assert checked.inconclusive[CELL] == (
        "coverage 96% ± 2.8% < planned 100%: within the 95 % interval at 5 replications "
        "(~10 would decide)")
    # by hand: ceil(5 × (T4 × 0.01 ÷ 0.02)²) = ceil(9.64) = 10
    assert checked.replications_to_decide == {
        CELL: math.ceil(5 * (T4 * 0.01 / (1.0 - COVERAGE_TOLERANCE - 0.96)) ** 2)} == {CELL: 10}
    assert checked.on_target_share == 1.0  # not shown to miss: on target
    assert lower_targets({}, checked.misses, tiny) is None
    row = checked.row(2025)
    assert (row["cells_missed"], row["cells_inconclusive"]) == (0, 1)
    assert row["missed"] == "" and row["inconclusive"].startswith("east/care: coverage 96%")


def test_the_same_shortfall_with_a_tight_interval_is_a_miss(tiny: Scenario) -> None:
    # 95.5–96.5 %: half-width T4 × 0.00158 = 0.4 points, 96.4 < 98
    checked = _check(tiny, _trial([95.5, 96.0, 96.5, 96.0, 96.0]))
    assert checked.misses == {CELL: "coverage 96% ± 0.4% < planned 100%"}
    assert checked.inconclusive == {} and checked.on_target_share == 0.0
    assert lower_targets({}, checked.misses, tiny) == {
        CELL: pytest.approx(tiny.policy.utilisation_target * 0.85)}


def test_the_point_coverage_stays_the_ratio_of_the_means(tiny: Scenario) -> None:
    checked = _check(tiny, _trial([93.0, 95.0, 97.0, 99.0, 96.0]))
    cells = checked.cells.set_index(["county", "item"])
    assert cells.loc[CELL, "served"] == pytest.approx(96.0)
    assert checked.coverage == pytest.approx(0.96)


def test_one_replication_judges_on_the_point_figure(tiny: Scenario) -> None:
    checked = _check(tiny, _trial([96.0]))
    assert checked.misses == {CELL: "coverage 96% < planned 100%"}  # no interval shown
    assert checked.inconclusive == {}


# -- wait ----------------------------------------------------------------------------------------

def test_a_wait_over_its_promise_within_its_interval_is_inconclusive(tiny: Scenario) -> None:
    # p90 12 d against 10 d (11 with the tolerance); 9–15 d: s = √5, half-width = T4 d
    checked = _check(tiny, _trial([100.0] * 5, [9.0, 11.0, 13.0, 15.0, 12.0]))
    assert checked.misses == {}
    assert checked.inconclusive[CELL] == (
        f"p90 wait 12.0 ± {T4:.1f} d > target 10 d: within the 95 % interval at 5 "
        f"replications (~{math.ceil(5 * T4 ** 2)} would decide)")
    assert checked.replications_to_decide[CELL] == 39  # ceil(5 × 2.776²) = ceil(38.5)
    tight = _check(tiny, _trial([100.0] * 5, [11.9, 12.0, 12.1, 12.0, 12.0]))
    assert tight.misses == {CELL: "p90 wait 12.0 ± 0.1 d > target 10 d"}


def test_a_commissioned_deliverable_promises_its_coverage_not_a_wait(tiny: Scenario) -> None:
    """Deliverables ordered for the year are worked through one after the other: the second
    starting months after the order is the plan, not a broken wait promise."""
    ordered = tiny.with_overrides({"items.care.arrivals": "commissioned",
                                   "items.care.patience_hours": None})
    late = _trial([100.0] * 5, [120.0] * 5)
    assert _check(tiny, late).misses == {CELL: "p90 wait 120.0 ± 0.0 d > target 10 d"}
    checked = _check(ordered, late)
    assert checked.misses == {} and checked.inconclusive == {}
    assert _check(ordered, _trial([90.0] * 5, [120.0] * 5)).misses == {
        CELL: "coverage 90% ± 0.0% < planned 100%"}  # coverage still judged


def test_no_case_served_stays_a_miss(tiny: Scenario) -> None:
    checked = _check(tiny, _trial([100.0] * 5, [math.nan] * 5))
    assert checked.misses == {CELL: "no case served > target 10 d"}


def test_a_missed_promise_makes_the_cell_missed_even_if_another_is_inconclusive(
        tiny: Scenario) -> None:
    checked = _check(tiny, _trial([95.5, 96.0, 96.5, 96.0, 96.0],
                                  [9.0, 11.0, 13.0, 15.0, 12.0]))
    assert checked.misses == {CELL: "coverage 96% ± 0.4% < planned 100%"}
    assert checked.inconclusive == {}


def test_a_deadline_item_is_judged_on_time_and_on_its_peak_with_their_intervals(
        tiny: Scenario) -> None:
    data = tiny.to_dict()
    for item in data["items"]:
        if item["id"] == "screening":
            item["deadline_days"] = 30.0
    deadline = Scenario.from_dict(data)
    # 80 served, 20 still waiting of which 1–7 past the deadline: served or within the
    # deadline 93–99 % (96 % ± 2.8 points); the peak's p90 wait 31–37 d (34 ± 2.8 d) against
    # 30 d (33 with the tolerance)
    trial = [(SimpleNamespace(kpis=_kpis(80.0, item="screening", overdue_waiting=late,
                                         wait_p90_peak_days=peak)), None)
             for late, peak in zip([1.0, 3.0, 5.0, 7.0, 4.0], [31.0, 33.0, 35.0, 37.0, 34.0],
                                   strict=True)]
    checked = _check(deadline, trial, item="screening")
    cell = ("east", "screening")
    assert checked.misses == {}
    assert checked.inconclusive[cell].startswith(
        "served or within the deadline 96% ± 2.8% < planned 100%, peak-season p90 wait "
        "34.0 ± 2.8 d > deadline 30 d: within the 95 % interval at 5 replications")
    # the larger of the two estimates: ceil(5 × (T4 ÷ (34 − 33))²) = 39 against 10
    limit = 30.0 * (1 + WAIT_TOLERANCE)
    assert checked.replications_to_decide[cell] == math.ceil(5 * (T4 / (34.0 - limit)) ** 2)


# -- the year's status, reason and columns -------------------------------------------------------

def _converged(tiny: Scenario, inconclusive: bool) -> dict[str, Any]:
    served = [93.0, 95.0, 97.0, 99.0, 96.0] if inconclusive else [100.0] * 5
    checked = _check(tiny, _trial(served))
    return convergence_row(tiny, 2025, [checked], checked, 3, False, [])


def test_a_year_with_only_inconclusive_cells_converges_and_says_so(tiny: Scenario) -> None:
    row = _converged(tiny, inconclusive=True)
    assert row["status"] == "converged" and row["converged"]
    assert (row["cells_checked"], row["cells_missed"], row["cells_inconclusive"],
            row["replications"], row["replications_to_decide"]) == (1, 0, 1, 5, 10)
    assert row["reason"] == (
        "the simulation delivers the plan in all 1 checked cells within their sampling "
        "intervals and the plan covers every cell's need (round 1); 1 cells fall short only "
        "within their sampling interval: 5 replications cannot tell (up to ~10 would decide)")
    assert reason_text(row, "en") == row["reason"]
    zh = reason_text(row, "zh")
    assert zh == ("模拟在全部 1 个检查单元中兑现了计划（在抽样误差之内），"
                  "计划满足每个单元的需求（第 1 轮）；"
                  "1 个单元低于计划的差距在抽样误差之内："
                  "5 次重复无法判定（最多约需 10 次重复才能判定）")
    assert not any("a" <= ch <= "z" for ch in zh.lower())  # one language at a time


def test_a_year_without_inconclusive_cells_says_nothing_of_them(tiny: Scenario) -> None:
    row = _converged(tiny, inconclusive=False)
    assert row["status"] == "converged"
    assert (row["cells_inconclusive"], row["replications_to_decide"]) == (0, None)
    for lang in ("en", "zh"):
        assert reason_text(row, lang) == label(
            "phrase.reason_converged", lang, checked="1", rounds="1",
            within=label("phrase.within_intervals", lang))
    older = {k: v for k, v in row.items() if k not in ("cells_inconclusive", "replications",
                                                       "replications_to_decide")}
    # a table from before the intervals: no interval was read, none is claimed
    assert reason_text(older, "en") == ("the simulation delivers the plan in all 1 checked "
                                        "cells and the plan covers every cell's need (round 1)")


def test_one_replication_claims_no_interval(tiny: Scenario) -> None:
    """One replication has no sampling interval: the reason must not say it read one."""
    checked = _check(tiny, _trial([100.0]))
    row = convergence_row(tiny, 2025, [checked], checked, 3, False, [])
    assert row["status"] == "converged" and row["replications"] == 1
    assert row["reason"] == ("the simulation delivers the plan in all 1 checked cells and the "
                             "plan covers every cell's need (round 1)")
    assert reason_text(row, "en") == row["reason"]
    assert "抽样误差" not in reason_text(row, "zh")


def test_real_misses_leave_the_year_not_converged_with_the_inconclusive_count(
        tiny: Scenario) -> None:
    missed = _check(tiny, _trial([95.5, 96.0, 96.5, 96.0, 96.0]))
    # east/care inconclusive, and west/care missed as east/care is in ``missed``
    unsure = replace(_check(tiny, _trial([93.0, 95.0, 97.0, 99.0, 96.0])), checked=2,
                     misses={("west", "care"): missed.misses[CELL]})
    row = convergence_row(tiny, 2025, [unsure], unsure, 3, False, [])
    assert row["status"] == "not converged" and not row["converged"]
    assert (row["cells_missed"], row["cells_inconclusive"], row["replications_to_decide"]) == (
        1, 1, 10)
    assert reason_text(row, "en") == (
        "1 of 2 checked cells still miss what the plan promised (1 rounds); 1 cells fall "
        "short only within their sampling interval: 5 replications cannot tell (up to ~10 "
        "would decide)")
    assert reason_text(row, "zh") == (
        "2 个检查单元中仍有 1 个未达到计划承诺（1 轮）；1 个单元低于计划的差距在抽样误差之内："
        "5 次重复无法判定（最多约需 10 次重复才能判定）")


# -- the loop reacts only to misses --------------------------------------------------------------

def test_the_loop_lowers_no_target_for_inconclusive_cells_and_writes_the_columns(
        tiny: Scenario, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A tight tiny year: with 2 replications west/care's shortfall is within its interval
    (one round, no target lowered); 5 replications tell it from chance (targets lowered)."""
    import govsim.pipeline.loop as loop

    lowered: list[dict[Any, str]] = []

    def spy(rho: dict[Any, float], misses: dict[Any, str], scenario: Scenario) -> Any:
        lowered.append(dict(misses))
        return lower_targets(rho, misses, scenario)

    monkeypatch.setattr(loop, "lower_targets", spy)
    tight = tiny.with_overrides({"policy.utilisation_target": 0.98,
                                 "items.*.target_wait_days": 1.0})
    result = run(tight, years=1, replications=2, rounds=3, workers=1)
    assert lowered == []
    rounds, conv = result.tables.rounds, result.tables.convergence.iloc[0]
    assert list(rounds["cells_missed"]) == [0] and list(rounds["cells_inconclusive"]) == [1]
    assert conv["status"] in ("converged", "unattainable") and conv["rounds"] == 1
    assert conv["cells_inconclusive"] == 1 and conv["replications"] == 2
    assert conv["replications_to_decide"] > 2
    folder = result.write(tmp_path / "run", lang="en")
    written = pd.read_csv(folder / "convergence.csv", encoding=CSV_ENCODING)
    assert written.loc[0, "cells_inconclusive"] == 1
    assert written.loc[0, "replications_to_decide"] == conv["replications_to_decide"]
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "1 cells fall short only within their sampling interval: 2 replications cannot " \
        "tell" in html
    written = pd.read_csv(folder / "rounds.csv", encoding=CSV_ENCODING)
    assert written.loc[0, "cells_inconclusive"] == 1
    assert written.loc[0, "inconclusive"].startswith("west/care: coverage")

    decided = run(tight, years=1, replications=5, rounds=3, workers=1)
    assert lowered and ("west", "care") in lowered[0]
    assert decided.tables.rounds["cells_missed"].iloc[0] == 1
