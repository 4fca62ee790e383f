"""Budget options side by side: options, common random numbers, paired intervals, monotonicity.

The comparison fixture runs the real pipeline on the ``tiny`` scenario (1 year, 3 replications,
serially) once per module; the workbook and CLI tests are in ``tests/output/test_compare.py``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import govsim
from govsim.compare import (
    METRICS,
    Comparison,
    Option,
    OptionError,
    cap_range,
    compare,
    load_options,
    parse_cap_range,
    parse_option,
    resolve_options,
)
from govsim.compare.core import _run_all
from govsim.compare.metrics import (
    PLAN_METRICS,
    SIMULATION_METRICS,
    paired_difference,
    plan_metrics,
    replication_metrics,
)
from govsim.compare.options import parse_value
from govsim.errors import GovsimError
from govsim.stats import t_critical

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "scenarios" / "options" / "guangan-budget.toml"
OPTIONS = ["base:", "same:", "cap5: policy.relief_cap_share=0.05",
           "pooled: policy.cap_scope=prefecture"]


@pytest.fixture(scope="module")
def comparison(tiny: govsim.Scenario) -> Comparison:
    return compare(tiny, OPTIONS, years=1, replications=3, workers=1)


# -- common random numbers and paired differences ----------------------------------------------

def test_identical_options_differ_by_exactly_zero(comparison: Comparison) -> None:
    table = comparison.table.set_index("option")
    for m in METRICS:
        assert table.at["same", m.id] == table.at["base", m.id] or (
            math.isnan(table.at["same", m.id]) and math.isnan(table.at["base", m.id]))
        for suffix in ("_diff", "_diff_low", "_diff_high"):
            assert table.at["same", m.id + suffix] == 0.0, (m.id, suffix)
        flag = table.at["same", m.id + "_significant"]
        if m.id in PLAN_METRICS:  # one plan per year: no interval, no test
            assert flag is pd.NA
        else:
            assert flag is not pd.NA and not flag


def test_replications_are_paired_by_number(comparison: Comparison) -> None:
    reps = comparison.replication_table
    assert sorted(reps["option"].unique()) == sorted(o.name for o in comparison.options)
    for _, part in reps.groupby("option"):
        assert part["replication"].tolist() == [0, 1, 2]
    base = reps[reps["option"] == "base"].set_index("replication")
    same = reps[reps["option"] == "same"].set_index("replication")
    pd.testing.assert_frame_equal(base.drop(columns="option"), same.drop(columns="option"))


def test_raising_the_cap_never_lowers_simulated_coverage(comparison: Comparison) -> None:
    row = comparison.table.set_index("option").loc["cap5"]
    # Monotone within the simulation interval: the paired interval reaches zero or above.
    assert row["weighted_coverage_diff_high"] >= 0.0
    assert row["spend_relief_wan_diff"] >= 0.0


def test_coverage_monotone_in_the_cap_within_the_interval(tiny: govsim.Scenario) -> None:
    shares = [0.01, 0.02, 0.03, 0.04, 0.05]
    c = compare(tiny, [f"cap{s}: policy.relief_cap_share={s}" for s in shares], years=1,
                replications=3, workers=1)
    reps = c.replication_table
    for low, high in zip(c.options, c.options[1:], strict=False):
        step = paired_difference(
            reps.loc[reps["option"] == high.name, "weighted_coverage"].to_numpy(),
            reps.loc[reps["option"] == low.name, "weighted_coverage"].to_numpy())
        assert step.high >= 0.0, (low.name, high.name, step)
    spend = c.table["spend_relief_wan"].to_numpy()
    assert np.all(np.diff(spend) >= -1e-6)


@pytest.mark.parametrize("name", ["tiny", "guangan"])
def test_raising_the_cap_never_lowers_an_earlier_goal(name: str) -> None:
    """Issue 13: a higher cap never lowers the attainment of a goal before the cost goal."""
    table = cap_range(govsim.load_scenario(name), parse_cap_range("0.0:0.06:0.005"))
    assert np.all(np.diff(table["objective_value"].to_numpy()) >= -1e-6
                  * table["objective_value"].abs().max()), table["objective_value"]
    assert np.all(np.diff(table["spend_relief_wan"].to_numpy()) >= -1e-6)
    # the staffing goal is the people short of both rules together
    short = (table["caseworker_shortfall"] + table["child_staff_shortfall"]).to_numpy()
    assert np.all(np.diff(short) <= 1e-6), short


@settings(max_examples=15, deadline=None)
@given(low=st.floats(0.0, 0.08), extra=st.floats(0.0005, 0.04))
def test_need_met_never_falls_when_the_cap_rises(low: float, extra: float) -> None:
    table = cap_range(govsim.load_scenario("tiny"), [low, low + extra])
    need = table["objective_value"]
    assert need.iloc[1] >= need.iloc[0] - 1e-6 * max(1.0, abs(need.iloc[0]))
    assert table["spend_relief_wan"].iloc[1] >= table["spend_relief_wan"].iloc[0] - 1e-6


def test_plan_differences_have_zero_width_and_are_not_tested(comparison: Comparison) -> None:
    row = comparison.table.set_index("option").loc["cap5"]
    for metric_id in PLAN_METRICS:
        assert row[metric_id + "_ci95"] == 0.0
        assert row[metric_id + "_diff_low"] == row[metric_id + "_diff"] \
            == row[metric_id + "_diff_high"]
        # a zero-width interval is no test: never flagged significant (issue 16)
        assert row[metric_id + "_significant"] is pd.NA
    assert row["spend_total_wan_diff"] > 0  # the tiny scenario's caps bind at 3 %


def test_simulation_values_are_replication_means(comparison: Comparison) -> None:
    reps = comparison.replication_table
    table = comparison.table.set_index("option")
    for metric_id in SIMULATION_METRICS:
        values = reps.loc[reps["option"] == "cap5", metric_id].to_numpy()
        assert table.at["cap5", metric_id] == pytest.approx(values.mean())
        half = t_critical(2) * values.std(ddof=1) / math.sqrt(3)
        assert table.at["cap5", metric_id + "_ci95"] == pytest.approx(half)


def test_pooled_cap_lets_a_county_exceed_its_own_cap(comparison: Comparison) -> None:
    table = comparison.table.set_index("option")
    pooled = comparison.scenarios[3]
    assert pooled.policy.cap_scope == "prefecture"
    limit = 0.03 * sum(c.relief_fund_last_year for c in pooled.counties)  # 3 % of the sum
    spend = table.at["pooled", "spend_relief_wan"] * 1e4
    assert spend <= limit * (1 + 1e-9)
    assert table.at["base", "cap_use_max"] <= 1 + 1e-9


def test_paired_difference_interval() -> None:
    d = paired_difference(np.array([3.0, 4.5, 6.0]), np.array([1.0, 2.0, 3.0]))
    half = t_critical(2) * 0.5 / math.sqrt(3)  # differences 2, 2.5, 3: mean 2.5, sd 0.5
    assert (d.mean, d.low, d.high) == pytest.approx((2.5, 2.5 - half, 2.5 + half))
    assert d.significant is True
    covering = paired_difference(np.array([1.0, 3.0]), np.array([2.0, 2.0]))
    assert covering.significant is False
    assert paired_difference(np.array([1.0]), np.array([0.0])).significant is None
    fixed = paired_difference(np.array([5.0]), np.array([3.0]), deterministic=True)
    assert (fixed.low, fixed.high, fixed.significant) == (2.0, 2.0, True)
    noise = paired_difference(np.array([1.0 - 1e-12]), np.array([1.0]), deterministic=True)
    assert (noise.mean, noise.significant) == (0.0, False)
    assert str(noise.mean) == "0.0"


def test_metrics_by_hand(tiny: govsim.Scenario) -> None:
    allocation = pd.DataFrame({
        "year": [2025] * 3, "county": ["east", "west", "east"],
        "item": ["care", "care", "child_visits"], "provider_type": ["social_org", "enterprise",
                                                                   "enterprise"],
        "fund": ["relief", "relief", "child"], "fte": [1.0, 1.0, 1.0],
        "cost": [180_000.0, 60_000.0, 100_000.0]})
    staffing = pd.DataFrame({"year": [2025, 2025], "county": ["east", "west"],
                             "rule": ["caseworker-ratio"] * 2, "required": [10, 6],
                             "in_post": [6, 5], "purchased": [1.5, 1.0],
                             "shortfall": [2.5, 0.0]})
    compliance = pd.DataFrame({
        "year": [2025] * 6, "rule": ["social-org-share", "social-org-share", "caseworker-ratio",
                                     "contract-term", "relief-cap", "relief-cap"],
        "scope": ["east", "west", "east", "all", "east", "west"],
        "value": [0.75, 0.0, 7.5, 1, 180_000.0, 60_000.0],
        "limit": [0.3, 0.3, 10, 3, 360_000.0, 240_000.0],
        "status": ["pass", "fail", "fail", "not-applicable", "pass", "pass"]})
    out = plan_metrics(allocation, staffing, compliance, tiny, n_years=1)
    assert out["spend_total_wan"] == pytest.approx(34.0)
    assert out["spend_relief_wan"] == pytest.approx(24.0)
    assert out["spend_child_wan"] == pytest.approx(10.0)
    assert out["social_org_share"] == 0.0  # the lowest scope, as the compliance check judged
    # cap use as the compliance rows judged it: east 180,000 of 360,000; west 60,000 of 240,000
    assert out["cap_use_max"] == pytest.approx(0.5)
    assert out["cap_use_mean"] == pytest.approx((0.5 + 0.25) / 2)
    assert out["caseworker_shortfall"] == 2.5
    assert out["rule_failures"] == 2
    kpis = pd.DataFrame({
        "replication": [0, 0, 1, 1], "year": [2025] * 4, "county": ["east"] * 4,
        "item": ["care", "screening"] * 2, "arrivals": [100, 200, 100, 200],
        "carried_in": [0, 0, 0, 50],
        "served": [50, 200, 100, 100], "abandoned": [50, 0, 0, 100],
        "wait_p90_days": [4.0, 1.0, 2.0, np.nan], "satisfaction": [0.5, 1.0, 0.8, 0.8],
        "cost": [1000.0, 0.0, 1000.0, 0.0]})
    reps = replication_metrics(kpis, tiny, n_years=1)
    care, screening = (tiny.item(i).priority * tiny.item(i).mean_hours
                       for i in ("care", "screening"))
    assert reps["weighted_coverage"].tolist() == pytest.approx(
        [(care * 50 + screening * 200) / (care * 100 + screening * 200),
         (care * 100 + screening * 100) / (care * 100 + screening * 250)])
    assert reps["coverage"].tolist() == pytest.approx([250 / 300, 200 / 350])
    assert reps["wait_p90_days"].tolist() == pytest.approx([(4 * 50 + 200) / 250, 2.0])
    assert reps["satisfaction"].tolist() == pytest.approx([(25 + 200) / 250, 0.8])
    assert reps["cost_per_served_cny"].tolist() == pytest.approx([4.0, 5.0])


# -- options ---------------------------------------------------------------------------------------

def test_bad_override_fails_before_anything_runs(tiny: govsim.Scenario) -> None:
    calls = []

    def runner(scenario: govsim.Scenario, **kwargs: object) -> None:
        calls.append(scenario)

    with pytest.raises(OptionError) as info:
        compare(tiny, ["base:", "typo: policy.relief_cap_shar=0.04", "ok: funds.lottery=1"],
                years=1, replications=2, workers=1, runner=runner)
    message = str(info.value)
    assert "option 'typo'" in message and "policy.relief_cap_shar" in message
    assert "relief_cap_share" in message  # the did-you-mean hint
    assert "'ok'" not in message
    assert calls == []


def test_every_bad_option_is_reported_at_once(tiny: govsim.Scenario) -> None:
    options = [Option("a"), Option("b", {"funds.lottery": -1}), Option("A"),
               Option("Summary"), Option("x/y"), Option("c", scenario="no-such.toml")]
    with pytest.raises(OptionError) as info:
        resolve_options(tiny, options)
    names = [problem.path for problem in info.value.problems]
    assert names.count("b") == 1 and "A" in names and "Summary" in names
    assert "x/y" in names and "c" in names
    assert "funds.lottery" in str(info.value)


def test_parse_option_and_values() -> None:
    option = parse_option("lottery+200: funds.lottery=4000000; policy.cap_scope=prefecture")
    assert option.name == "lottery+200"
    assert option.overrides == {"funds.lottery": 4_000_000, "policy.cap_scope": "prefecture"}
    assert parse_option("base:").overrides == {}
    assert parse_value("0.04") == 0.04 and parse_value("true") is True
    assert parse_value('"quoted"') == "quoted" and parse_value("[1, 2]") == [1, 2]
    assert parse_value("a = 1\nb") == "a = 1\nb"
    for bad in ("no-colon", ": a=1", "x: a"):
        with pytest.raises(OptionError):
            parse_option(bad)


def test_example_options_file(guangan: govsim.Scenario) -> None:
    file = load_options(EXAMPLE)
    assert [o.name for o in file.options] == ["cap-3%", "pooled", "lottery+200", "posts",
                                              "social-40%"]
    assert file.options[0].overrides == {}
    assert file.options[1].overrides == {"policy.cap_scope": "prefecture"}
    assert file.options[2].overrides == {"funds.lottery": 4_000_000}
    assert file.scenario == "guangan"
    scenarios = resolve_options(guangan, file.options)
    assert scenarios[4].policy.social_org_min_share == 0.4
    assert scenarios[3].item("evaluation").purchase_mode == "post"


def test_options_file_nested_tables_and_typos(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[compare]\nscenario = "tiny"\nseed = 3\n\n[[options]]\nname = "base"\n\n'
                    '[[options]]\nname = "pool"\n[options.overrides]\n'
                    'policy.cap_scope = "prefecture"\ncounties.east.market.social_org = 12\n',
                    encoding="utf-8")
    file = load_options(good)
    assert file.seed == 3
    assert file.options[1].overrides == {"policy.cap_scope": "prefecture",
                                         "counties.east.market.social_org": 12}
    resolve_options(govsim.load_scenario("tiny"), file.options)
    bad = tmp_path / "bad.toml"
    bad.write_text('[compare]\nreplication = 3\n\n[[options]]\nname = "x"\noverides = {}\n',
                   encoding="utf-8")
    with pytest.raises(OptionError) as info:
        load_options(bad)
    assert "replication" in str(info.value) and "overides" in str(info.value)
    with pytest.raises(OptionError):
        load_options(tmp_path / "missing.toml")


def test_alternative_scenario_file_relative_to_options(tmp_path: Path) -> None:
    alt = tmp_path / "alt.toml"
    alt.write_text((ROOT / "scenarios" / "tiny.toml").read_text(encoding="utf-8")
                   .replace("lottery = 50_000", "lottery = 80_000"), encoding="utf-8")
    options = tmp_path / "opts.toml"
    options.write_text('[[options]]\nname = "base"\n[[options]]\nname = "alt"\n'
                       'scenario = "alt.toml"\n', encoding="utf-8")
    file = load_options(options)
    scenarios = resolve_options(govsim.load_scenario("tiny"), file.options)
    assert scenarios[1].funds.lottery == 80_000


def test_parse_cap_range() -> None:
    assert parse_cap_range("0.01:0.05:0.005") == pytest.approx(
        [0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045, 0.05])
    for bad in ("0.05:0.01:0.01", "a:b:c", "0.01:0.05", "0:1:0", "0:1:0.0001"):
        with pytest.raises(GovsimError):
            parse_cap_range(bad)


def test_compare_rejects_mismatched_replications(tiny: govsim.Scenario) -> None:
    comparison_runs = compare(tiny, ["base:", "cap4: policy.relief_cap_share=0.04"], years=1,
                              replications=2, workers=1)
    fakes = list(comparison_runs.results)

    def runner(scenario: govsim.Scenario, **kwargs: object) -> object:
        result = fakes.pop(0)
        if not fakes:  # the second option lost a replication
            kpis = result.replication_kpis
            return dataclasses.replace(result, replication_kpis=kpis[kpis["replication"] == 0])
        return result

    with pytest.raises(GovsimError, match="replications"):
        compare(tiny, ["base:", "cap4: policy.relief_cap_share=0.04"], years=1,
                replications=2, workers=1, runner=runner)


# -- running the options ------------------------------------------------------------------------

def _where_it_ran(scenario: govsim.Scenario, **kwargs: object) -> tuple[int, float, object]:
    """A stand-in pipeline run (module level: spawned workers unpickle it by name).

    With ``signal`` (a path), a run in the comparing process (``here``) waits until a worker
    has run an option, and a worker's run leaves the file.
    """
    signal = kwargs.get("signal")
    if signal is not None:
        flag = Path(str(signal))
        if os.getpid() == kwargs["here"]:
            deadline = time.monotonic() + 120
            while not flag.exists():
                assert time.monotonic() < deadline, "no worker ran an option"
                time.sleep(0.05)
        else:
            flag.touch()
    return os.getpid(), scenario.funds.lottery, kwargs["workers"]


def test_options_run_in_this_process_and_in_a_worker_in_option_order(
        tiny: govsim.Scenario, tmp_path: Path) -> None:
    scenarios = [tiny.with_overrides({"funds.lottery": k}) for k in (1, 2, 3, 4, 5)]
    ticks: list[tuple[int, int]] = []
    here = os.getpid()
    results = _run_all(_where_it_ran, scenarios, {"signal": tmp_path / "ran", "here": here},
                       2, lambda done, total: ticks.append((done, total)))
    assert [lottery for _, lottery, _ in results] == [1, 2, 3, 4, 5]  # in option order
    assert {workers for _, _, workers in results} == {1}  # an option's run is serial
    # the worker takes options from the front, this process from the back
    assert results[0][0] != here and results[-1][0] == here
    assert len({pid for pid, _, _ in results}) == 2
    assert ticks == [(k, 5) for k in range(1, 6)]  # reported here, one by one


def test_options_done_before_a_worker_is_up_all_run_here(tiny: govsim.Scenario) -> None:
    scenarios = [tiny.with_overrides({"funds.lottery": k}) for k in (1, 2, 3)]
    results = _run_all(_where_it_ran, scenarios, {}, 2, None)
    assert [lottery for _, lottery, _ in results] == [1, 2, 3]
    assert {pid for pid, _, _ in results} == {os.getpid()}


def test_resolved_scenarios_are_used_as_given(tiny: govsim.Scenario) -> None:
    options = ["base:", "cap4: policy.relief_cap_share=0.04"]
    resolved = resolve_options(tiny, [parse_option(o) for o in options])
    seen: list[govsim.Scenario] = []

    def runner(scenario: govsim.Scenario, **kwargs: object) -> None:
        seen.append(scenario)
        raise RuntimeError("stop after the first run")

    with pytest.raises(RuntimeError):
        compare(tiny, options, years=1, replications=2, workers=1, runner=runner,
                resolved=resolved)
    assert seen[0] is resolved[0]
    with pytest.raises(GovsimError, match="1 resolved scenarios for 2 options"):
        compare(tiny, options, years=1, replications=2, workers=1, runner=runner,
                resolved=resolved[:1])


def test_comparison_chart_pngs_are_what_savefig_writes(comparison: Comparison) -> None:
    """Charts are drawn once (``figure_pixels``), not twice as ``savefig`` does: the same
    PNG bytes, at the report's dpi and another."""
    import io

    from govsim.output.charts import plot_comparison
    from govsim.output.figure import PLOT_DPI, png_bytes

    for lang, dpi in (("zh", PLOT_DPI), ("en", 45)):
        buffer = io.BytesIO()
        plot_comparison(comparison, lang).savefig(buffer, format="png", dpi=dpi,
                                                  metadata={"Software": None})
        assert png_bytes(plot_comparison(comparison, lang), dpi) == buffer.getvalue(), lang
