"""The year loop's figures (issue 14): one definition everywhere, deadlines and backlog, peak
seasons, converged vs unattainable, money shown in one rounding, shadow prices in money.

Runs are small (the tiny scenario, 2 replications): each test's scenario is a variant built
from ``tiny`` so that the property it checks is forced, not hoped for.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

import govsim
from govsim import metrics
from govsim.allocation import allocate, estimates_from_scenario
from govsim.cli import main
from govsim.cli._common import console
from govsim.compliance import check_compliance, money_pair
from govsim.demand import peak_season, public_duty_staffing
from govsim.output import plots
from govsim.output.files import CSV_ENCODING
from govsim.pipeline import WAIT_TOLERANCE, RunResult, run
from govsim.pipeline.check import (
    RHO_FLOOR,
    RHO_STEP,
    _no_target_left,
    _wait_verdicts,
    lower_targets,
    targets_plan,
)
from govsim.scenario import Scenario

Q4 = [0.7] * 9 + [1.9] * 3


def variant(tiny: Scenario, *, items: dict[str, dict[str, Any]] | None = None,
            counties: dict[str, Any] | None = None, policy: dict[str, Any] | None = None,
            contracts: bool = True) -> Scenario:
    """``tiny`` with item fields, every county's fields and policy fields replaced."""
    data = tiny.to_dict()
    for item in data["items"]:
        item.update((items or {}).get(item["id"], {}))
    for county in data["counties"]:
        county.update(counties or {})
    data["policy"] = {**data.get("policy", {}), **(policy or {})}
    if not contracts:
        data["baseline"]["contracts"] = []
    return Scenario.from_dict(data)


def statutory_backlog(tiny: Scenario) -> Scenario:
    """Screening is statutory (30-day deadline, three times tiny's demand) and the year-1 cap
    buys less than a post; from year 2 the cap's base is ten times larger."""
    return variant(tiny, items={"screening": {"statutory": True, "deadline_days": 30.0,
                                              "rate": 3.0}},
                   counties={"relief_fund_last_year": 1_000_000,
                             "relief_fund_by_year": {2025: 300_000_000},
                             "market": {"social_org": 40, "enterprise": 40}})


def loose(tiny: Scenario) -> Scenario:
    """Money is no object: every cap and fund far above the need."""
    data = variant(tiny, counties={"relief_fund_last_year": 500_000_000}).to_dict()
    data["funds"] = {**data["funds"], "child_welfare": 50_000_000, "lottery": 50_000_000}
    return Scenario.from_dict(data)


@pytest.fixture(scope="module")
def backlog_run(tiny: Scenario) -> RunResult:
    return run(statutory_backlog(tiny), years=2, replications=2, workers=1)


# -- one set of figures --------------------------------------------------------------------------

def _terminal_rows(out: str) -> dict[int, list[str]]:
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 11 and cells[0].isdigit():
            rows[int(cells[0])] = cells
    return rows


def _report_rows(html: str) -> dict[str, list[str]]:
    body = html[html.index('id="headline"'):html.index('id="compliance"')]
    rows = {}
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def test_terminal_report_and_convergence_csv_give_the_same_numbers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "width", 250)
    out_dir = tmp_path / "run"
    assert main(["run", "tiny", "--years", "2", "--replications", "2", "--workers", "1",
                 "--out", str(out_dir), "--lang", "en"]) == 0
    terminal = _terminal_rows(capsys.readouterr().out)
    report = _report_rows((out_dir / "report.html").read_text(encoding="utf-8"))
    conv = pd.read_csv(out_dir / "convergence.csv", encoding=CSV_ENCODING).set_index("year")
    assert sorted(terminal) == [2025, 2026] == sorted(conv.index)
    coverage = report["Coverage (served / (arrivals + carried in))"]
    p90 = report["90th-percentile wait (working days)"]
    overdue = report["Overdue statutory cases"]
    spend = report["Total purchase spend (万元)"]
    cap_use = report["Relief-cap use (all scopes)"]
    social = report["Social-organisation share of new purchases (lowest county)"]
    short = report["Caseworker shortfall"]
    failed = report["Rule checks failed"]
    for k, year in enumerate((2025, 2026)):
        row = terminal[year]
        # spend, cap use, social-organisation share, caseworkers short: the report's cells
        assert row[1:5] == [spend[k], cap_use[k], social[k], short[k]]
        assert row[9] == failed[k]
        # terminal: coverage, p90 wait, overdue, status (after the two staff-short columns)
        assert row[6] == coverage[k] == f"{conv.loc[year, 'coverage']:.1%}"
        assert row[7] == p90[k] == f"{conv.loc[year, 'p90_wait_days']:,.1f}"
        assert row[8] == overdue[k] == f"{conv.loc[year, 'overdue_cases']:,.0f}"
        assert row[10] == report["Status"][k] == conv.loc[year, "status"]  # in a word
    # and the headline function is the one both call
    kpis = pd.read_csv(out_dir / "kpis.csv", encoding=CSV_ENCODING)
    for year in (2025, 2026):
        cells = metrics.cells_from_summary(kpis[kpis["year"] == year])
        assert metrics.coverage(cells) == pytest.approx(conv.loc[year, "coverage"], rel=1e-9)
        assert metrics.p90_wait_days(cells) == pytest.approx(conv.loc[year, "p90_wait_days"],
                                                             rel=1e-9)


def test_rounds_and_convergence_share_the_adopted_round_figures(backlog_run: RunResult) -> None:
    tables = backlog_run.tables
    rounds = tables.rounds.set_index(["year", "round"])
    for row in tables.convergence.itertuples(index=False):
        adopted = rounds.loc[(row.year, row.adopted_round)]
        for column in ("coverage", "weighted_coverage", "p90_wait_days", "overdue_cases"):
            assert getattr(row, column) == pytest.approx(adopted[column], rel=1e-12)
    figures = metrics.year_figures(tables)
    for row in tables.convergence.itertuples(index=False):
        assert figures.loc["coverage", row.year] == pytest.approx(row.coverage, rel=1e-12)
        assert figures.loc["overdue", row.year] == pytest.approx(row.overdue_cases, rel=1e-12)


# -- coverage never above 100 % ------------------------------------------------------------------

def test_coverage_is_never_above_one_even_when_a_backlog_is_cleared(
        backlog_run: RunResult) -> None:
    tables = backlog_run.tables.checked()
    kpis = tables.kpis
    # the year that clears the backlog serves more than arrived: served / arrivals would be > 1
    clearing = kpis[(kpis["item"] == "screening") & (kpis["year"] == 2026)]
    assert (clearing["served_mean"] > clearing["arrivals_mean"]).any()
    assert (kpis["coverage_mean"].dropna() <= 1.0).all()
    assert (tables.rounds["coverage"] <= 1.0).all()
    assert (tables.convergence["coverage"] <= 1.0).all()
    assert (tables.convergence["weighted_coverage"] <= 1.0).all()
    assert (plots.item_summary(kpis)["coverage"].dropna() <= 1.0).all()
    assert (metrics.year_figures(tables).loc[["coverage", "weighted_coverage"]] <= 1.0).all().all()
    reps = backlog_run.replication_kpis
    for _, part in reps.groupby(["replication", "year", "county", "item"]):
        assert metrics.coverage(part) <= 1.0 or math.isnan(metrics.coverage(part))


# -- statutory backlog ---------------------------------------------------------------------------

def test_statutory_backlog_is_planned_for_and_cleared_in_year_two(
        backlog_run: RunResult) -> None:
    tables = backlog_run.tables
    kpis = tables.kpis.set_index(["year", "county", "item"])
    plans = {a.year: a.unmet.set_index(["county", "item"]) for a in backlog_run.plans}
    assert set(tables.goals.loc[tables.goals["goal"] == "statutory", "year"]) == {2025, 2026}
    conv = tables.convergence.set_index("year")
    for county in ("east", "west"):
        end_1 = kpis.loc[(2025, county, "screening"), "backlog_mean"]
        assert end_1 > 100  # year 1 under-staffed: a real backlog
        assert plans[2025].loc[(county, "screening"), "coverage"] < 0.95
        assert kpis.loc[(2026, county, "screening"), "carried_in_mean"] == end_1
        # year 2 plans this year's cases plus the backlog carried in, and covers them ...
        year_2 = plans[2026].loc[(county, "screening")]
        grown = kpis.loc[(2025, county, "screening"), "arrivals_mean"] * (1 - 0.025)
        assert year_2["cases_demand"] == pytest.approx(grown + end_1, rel=1e-9)
        assert year_2["coverage"] == pytest.approx(1.0)
        # ... and clears it: the year-2 backlog is a small share of the year-1 backlog, or the
        # run says with money why not
        end_2 = kpis.loc[(2026, county, "screening"), "backlog_mean"]
        warned = str(conv.loc[2026, "warnings"])
        assert end_2 < 0.05 * end_1 or (f"screening in {county}" in warned and "万元" in warned)
    # year 1 says, with money, why its statutory work is late
    warned_1 = str(conv.loc[2025, "warnings"])
    assert "screening in east" in warned_1 and "万元 a year) would stop it" in warned_1


# -- seasons -------------------------------------------------------------------------------------

def test_peak_season_factor_as_documented(tiny: Scenario) -> None:
    item = variant(tiny, items={"screening": {"monthly": Q4, "deadline_days": 30.0}}).item(
        "screening")
    first, months, factor = peak_season(item, 245.0)
    assert (first, months) == (9, 3)
    assert factor == pytest.approx((1.9 * 3 / 12) / ((3 * 245 / 12 + 30) / 245))
    assert peak_season(tiny.item("screening"), 245.0) == (0, 12, 1.0)  # no deadline: no peak
    flat = variant(tiny, items={"screening": {"deadline_days": 30.0}}).item("screening")
    assert peak_season(flat, 245.0)[2] == 1.0  # no season: no peak


def test_q4_peaked_item_is_planned_for_its_peak_and_the_check_reports_it(
        tiny: Scenario) -> None:
    scenario = loose(variant(tiny, items={"screening": {"monthly": Q4, "deadline_days": 30.0,
                                                        "statutory": True, "rate": 3.0}}))
    factor = peak_season(scenario.item("screening"), 245.0)[2]
    estimates = estimates_from_scenario(scenario)
    demand = estimates.demand.set_index(["county", "item"])
    rho = scenario.policy.utilisation_target
    assert factor > 1 / rho  # the peak, not the year, sets the capacity here
    assert demand.loc[("east", "screening"), "utilisation_target"] == pytest.approx(1 / factor)
    assert demand.loc[("east", "care"), "utilisation_target"] == pytest.approx(rho)
    # planned capacity covers the peak: the quarter's work within the quarter plus the deadline
    result = allocate(scenario, estimates)
    ph = scenario.header.productive_hours_per_fte
    for county in ("east", "west"):
        bought = result.allocation[(result.allocation["county"] == county)
                                   & (result.allocation["item"] == "screening")]
        capacity = sum(
            float(r.fte) * ph * (1 - estimates.provider_value("capacity_loss", county,
                                                              "screening", r.provider_type))
            for r in bought.itertuples())
        capacity += demand.loc[(county, "screening"), "public_fte"] * ph
        work = demand.loc[(county, "screening"), "cases_mean"] * scenario.item(
            "screening").mean_hours
        quarter_work = work * 1.9 * 3 / 12
        assert capacity * (3 * 245 / 12 + 30) / 245 >= quarter_work
    # the simulation then clears the peak within the deadline, and the check reports the peak
    outcome = run(scenario, years=1, replications=2, workers=1)
    kpis = outcome.tables.kpis.set_index(["county", "item"])
    for county in ("east", "west"):
        peak = kpis.loc[(county, "screening"), "wait_p90_peak_days_mean"]
        assert 0 <= peak <= 30.0 * (1 + WAIT_TOLERANCE)
        assert math.isnan(kpis.loc[(county, "care"), "wait_p90_peak_days_mean"])
    row = pd.Series({"wait_p90_days": 5.0, "wait_p90_new_days": 5.0,
                     "wait_p90_peak_days": 40.0})
    # one replication (no half-widths): the figure alone decides
    verdicts = _wait_verdicts(scenario.item("screening"), row, {}, 1)
    assert [why for why, _ in verdicts] == ["peak-season p90 wait 40.0 d > deadline 30 d"]
    row["wait_p90_peak_days"] = 32.0  # within the 10 % tolerance
    assert _wait_verdicts(scenario.item("screening"), row, {}, 1) == []


# -- converged vs unattainable -------------------------------------------------------------------

def test_loose_cap_converges_and_tight_cap_is_unattainable_with_the_money(
        tiny: Scenario) -> None:
    easy = run(loose(tiny), years=1, replications=2, workers=1).tables.convergence
    assert easy["status"].tolist() == ["converged"]
    assert easy["converged"].all() and (easy["money_short_cny"] == 0).all()
    tight = run(variant(tiny, counties={"relief_fund_last_year": 3_000_000}), years=1,
                replications=2, workers=1).tables.convergence.iloc[0]
    assert tight["status"] == "unattainable" and bool(tight["converged"])
    assert tight["limiting_cap"] == "relief-cap" and tight["money_short_cny"] > 0
    money = f"{tight['money_short_cny'] / 1e4:,.1f}"
    assert metrics.status_text(tight) == f"unattainable under relief-cap, {money} 万元 short"
    assert "unattainable under relief-cap" in tight["reason"]


# -- an item with demand and nobody served -------------------------------------------------------

def test_item_with_demand_and_no_service_is_zero_flagged_and_has_no_wait(
        tiny: Scenario, tmp_path: Path) -> None:
    scenario = variant(tiny, counties={"relief_fund_last_year": 100_000}, contracts=False)
    result = run(scenario, years=1, replications=2, workers=1)
    folder = result.write(tmp_path / "run", lang="en")
    kpis = pd.read_csv(folder / "kpis.csv", encoding=CSV_ENCODING)
    care = kpis[kpis["item"] == "care"]
    assert (care["arrivals_mean"] > 0).all() and (care["served_mean"] == 0).all()
    assert (care["coverage_mean"] == 0).all() and care["no_service"].all()
    assert care["wait_p90_days_mean"].isna().all() and care["wait_mean_days_mean"].isna().all()
    assert not kpis.loc[kpis["item"] == "screening", "no_service"].any()
    summary = plots.item_summary(result.tables.checked().kpis).set_index("item")
    assert summary.loc["care", "coverage"] == 0 and bool(summary.loc["care", "no_service"])
    assert math.isnan(summary.loc["care", "wait_p90_days"])
    html = (folder / "report.html").read_text(encoding="utf-8")
    service = html[html.index('id="service"'):]
    row = next(tr for tr in re.findall(r"<tr[^>]*>.*?</tr>", service, flags=re.S)
               if "Care and nursing" in tr)
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
    assert cells[4] == "0.0% (none served)" and cells[7] == "—" and 'class="fail"' in row
    figure = plots.plot_service_levels(result.tables.checked().kpis, scenario, "en")
    texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    assert "— none served" in texts
    assert metrics.year_figures(result.tables.checked()).loc["no_service_cells", 2025] == 2


# -- public staff on government-only duties ------------------------------------------------------

def test_public_staff_on_government_only_duties_use_the_utilisation_target(
        tiny: Scenario) -> None:
    table = public_duty_staffing(tiny).set_index(["county", "item"])
    east = tiny.county("east")
    hours = (east.dibao + east.tekun) * 0.25 * 1.0
    needed = hours / (tiny.policy.utilisation_target * tiny.header.productive_hours_per_fte)
    assert table.loc[("east", "benefit_approval"), "fte_needed"] == pytest.approx(needed)
    assert table.loc[("east", "benefit_approval"), "fte_assigned"] == pytest.approx(needed)
    short = tiny.with_overrides({"counties.*.public_caseworkers": 0})
    table = public_duty_staffing(short).set_index(["county", "item"])
    assert table.loc[("east", "benefit_approval"), "fte_short"] == pytest.approx(needed)
    from govsim.output.phrases import warning_text
    from govsim.pipeline.backlog import public_staff_warnings

    warnings = public_staff_warnings(short)
    assert len(warnings) == 2 and warnings[0].code == "establishment_short"
    assert warnings[0].figures["short"] == pytest.approx(needed)
    text = warning_text(warnings[0], "en")  # the wording convergence.csv keeps
    assert "prohibited-items" in text and f"{needed:,.1f} short" in text


# -- honest money ---------------------------------------------------------------------------------

def _relief_row(tiny: Scenario, cost: float) -> pd.Series:
    allocation = pd.DataFrame({"year": [2025], "county": ["east"], "item": ["care"],
                               "provider_type": ["social_org"], "fte": [1.0], "cost": [cost]})
    table = check_compliance(tiny, allocation)
    return table[(table["rule"] == "relief-cap") & (table["scope"] == "east")].iloc[0]


def test_compliance_value_and_limit_in_one_rounding(tiny: Scenario) -> None:
    limit = tiny.policy.relief_cap_share * tiny.county("east").relief_fund_last_year
    noise = _relief_row(tiny, limit + 1e-9)
    assert noise["status"] == "pass" and noise["value"] == noise["limit"] == limit
    shown, allowed = money_pair(noise["value"], noise["limit"])
    assert shown == allowed and f"{shown} (contracts" in noise["detail"]
    over = _relief_row(tiny, limit + 1.0)
    assert over["status"] == "fail" and over["value"] > over["limit"]
    shown, allowed = money_pair(over["value"], over["limit"])
    assert shown != allowed and shown.endswith("元") and "1.00 元 over" in over["detail"]
    # the case of the issue: 1,015,500.0000000003 against 1,015,500 read "101.6 of 101.5"
    assert money_pair(1_015_500.0000000003, 1_015_500.0) == ("101.6 万元", "101.6 万元")


def test_shadow_price_in_money_a_finance_officer_uses(tiny: Scenario) -> None:
    scenario = variant(tiny, counties={"relief_fund_last_year": 3_000_000})
    result = allocate(scenario)
    caps = result.constraints[result.constraints["rule"] == "relief-cap"].set_index("scope")
    estimates = estimates_from_scenario(scenario)
    for county in ("east", "west"):
        row = caps.loc[county]
        assert row["slack"] < 66_000  # less than one post left: money stops purchases
        cell_county, item_id = row["marginal_cell"].split("/")
        assert cell_county == county
        item = scenario.item(item_id)
        rho = estimates.demand.set_index(["county", "item"]).loc[(county, item_id),
                                                                 "utilisation_target"]
        hours = {p.id: scenario.header.productive_hours_per_fte * rho * (
            1 - estimates.provider_value("capacity_loss", county, item_id, p.id))
            for p in scenario.provider_types}
        # no statutory work or floor short here: the need stage's best buy per yuan
        best = max(scenario.provider_types,
                   key=lambda p: p.quality * hours[p.id] / p.cost_per_fte_year)
        assert row["hours_per_10k_cny"] == pytest.approx(
            1e4 * hours[best.id] / best.cost_per_fte_year)
        assert row["people_per_10k_cny"] == pytest.approx(row["hours_per_10k_cny"]
                                                          / item.mean_hours)
    texts = result.explanations.loc[result.explanations["rule"] == "relief-cap", "text_en"]
    assert all("1 万元 more cap →" in t and "more people served" in t for t in texts)


# -- what the check rounds can change ------------------------------------------------------------

def test_only_targets_that_plan_a_cell_are_lowered(guangan: Scenario) -> None:
    """A project item's hours carry no utilisation target (the model reads no ρ for them):
    lowering one could not change the plan, so it is left alone."""
    post, project = ("guangan", "screening"), ("guangan", "evaluation")
    assert targets_plan(guangan, post) and not targets_plan(guangan, project)
    start = guangan.policy.utilisation_target
    lowered = lower_targets({}, {post: "coverage", project: "coverage"}, guangan)
    assert lowered == {post: pytest.approx(start * RHO_STEP)}
    assert lower_targets({}, {project: "coverage"}, guangan) is None
    assert lower_targets({post: RHO_FLOOR}, {post: "coverage"}, guangan) is None


def test_a_year_whose_misses_are_project_items_is_allocated_once(
        tiny: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, the loop lowered a project cell's target and allocated the year again, to find
    the same plan (every round of a 183-county run: a third of its allocation time), and said
    the posts were set by the staffing rules or the caps."""
    import govsim.pipeline.loop as loop

    scenario = variant(tiny, items={"care": {"purchase_mode": "project"}})
    real_check, real_solve = loop.check_round, loop.solve_allocation
    years: list[int] = []

    def missing_care(scenario: Scenario, number: int, *args: Any) -> Any:
        checked = real_check(scenario, number, *args)
        return replace(checked, misses={("east", "care"): "coverage 50% < planned 90%"})

    def counted(scenario: Scenario, estimates: Any, year: int, **options: Any) -> Any:
        years.append(year)
        return real_solve(scenario, estimates, year, **options)

    monkeypatch.setattr(loop, "check_round", missing_care)
    monkeypatch.setattr(loop, "solve_allocation", counted)
    result = run(scenario, years=2, replications=1, workers=1)
    assert years == [2025, 2026]
    convergence = result.tables.convergence
    assert list(convergence["status"]) == ["not converged"] * 2
    assert list(convergence["rounds"]) == [1, 1]
    assert all("project items" in r and "staffing rules" not in r
               for r in convergence["reason"])


def test_the_stop_names_project_items_and_targets_at_the_floor(tiny: Scenario) -> None:
    scenario = variant(tiny, items={"care": {"purchase_mode": "project"}})
    round_with = SimpleNamespace
    project, post = ("east", "care"), ("east", "screening")
    assert _no_target_left(scenario, round_with(misses={project: "x"})).startswith(
        "they are project items")
    assert _no_target_left(scenario, round_with(misses={post: "x"})) == (
        f"their utilisation targets are at the floor ({RHO_FLOOR:.0%})")
    assert _no_target_left(scenario, round_with(misses={project: "x", post: "y"})) == (
        "the project items among them (1) have no utilisation target to lower (bought as "
        f"deliveries); the others' utilisation targets are at the floor ({RHO_FLOOR:.0%})")


# -- the package ---------------------------------------------------------------------------------

def test_pipeline_package_keeps_its_public_names() -> None:
    import govsim.pipeline as pipeline
    from govsim.pipeline import loop, result
    from govsim.uncertainty import run_band

    assert pipeline.run is loop.run
    # govsim.run is the pipeline's run plus the band of its money needed (a room above)
    assert govsim.run is run_band.run
    assert pipeline.RunOptions is result.RunOptions
    for name in ("RunError", "RunResult", "check_options", "check_plan_year", "replay_hash",
                 "replay_options", "plan_contracts", "estimates_from_simulation"):
        assert hasattr(pipeline, name), name
    assert np.isclose(metrics.coverage(pd.DataFrame({"arrivals": [10.0], "carried_in": [5.0],
                                                     "served": [15.0]})), 1.0)
