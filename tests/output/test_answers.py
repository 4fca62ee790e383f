"""The report's first screen, one language at a time, citations, the plan workbook, CSV numbers
(issue 16).

The money-needed table is a fixture in the budget room's contract
(``tests/output/money_fixture.py``): the report must show what that table says — never the
caps as money needed, never 0 for what cannot be computed — and must say so when the run has
no such table.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import govsim
from govsim.output.answers import county_shortfalls, money_needed
from govsim.output.files import for_csv
from govsim.output.html import render_report
from govsim.output.labels import LABELS, label, policy_fields
from govsim.output.phrases import reason_text, status_words, warning_text
from govsim.output.plan_workbook import write_plan_workbook
from govsim.output.report import TABLE_COLUMNS, RunTables, write_run
from govsim.pipeline.backlog import YearWarning
from tests.output.money_fixture import money_needed_fixture
from tests.output.test_report import synthetic_tables

CJK = re.compile(r"[\u4e00-\u9fff]")
# Latin words a Chinese page may hold: units, the product, ids of files named on purpose
_ALLOWED_LATIN = {"govsim", "csv", "money_needed", "budget", "png", "html", "xlsx", "manifest",
                  "json", "pp", "fte", "ci", "p90", "n", "s", "utf", "bom", "excel", "lp"}


@pytest.fixture(scope="module")
def tables() -> RunTables:
    return synthetic_tables(govsim.load_scenario("tiny")).checked()


def _money(tables: RunTables, band: bool = True, **kwargs: object) -> pd.DataFrame:
    counties = [c.id for c in tables.scenario.counties]
    years = sorted({int(y) for y in tables.allocation["year"]})
    return money_needed_fixture(counties, years, band=band, **kwargs)


def _answers(html: str) -> str:
    return html[html.index('id="answers"'):html.index('id="costs"')]


# -- the first screen -----------------------------------------------------------------------------

def _horizon_bands(totals: dict[str, tuple[float, float, float, float]]) -> pd.DataFrame:
    """``uncertainty.csv`` horizon rows (year missing): county -> (p10, p90, point, pct)."""
    return pd.DataFrame([{"metric": "gap_cny", "county": county, "year": pd.NA, "p10": p10,
                          "p50": p10, "p90": p90, "unit": "CNY", "point": point,
                          "samples": 10, "point_percentile": where}
                         for county, (p10, p90, point, where) in totals.items()])


def test_counties_ranked_by_money_needed_with_band(tables: RunTables) -> None:
    money = _money(tables, gaps={"west": 500_000.0, "east": 20_000.0},
                   items={"west": "care;screening", "east": "care"})
    years = tables.allocation["year"].nunique()
    total = 500_000.0 * years
    # the band of a county's total is uncertainty.csv's horizon row (the samples' own totals)
    horizon = _horizon_bands({"west": (0.5 * total, 0.9 * total, total, 100.0),
                              "east": (0.0, 80_000.0, 20_000.0 * years, 40.0)})
    banded = dataclasses.replace(tables, uncertainty=horizon)
    ranked = county_shortfalls(banded, money)
    assert [c.county for c in ranked] == ["west", "east"]
    assert ranked[0].gap_cny == pytest.approx(total)
    assert ranked[0].gap_p10 == pytest.approx(0.5 * total)
    assert ranked[0].gap_p90 == pytest.approx(0.9 * total)
    assert ranked[0].unserved_items == ["care", "screening"]
    html = render_report(banded, {}, "en", money)
    answers = _answers(html)
    table = answers[answers.index("Which county is short of what?"):]
    names = {c.id: c.name_en for c in tables.scenario.counties}
    assert table.index(names["west"]) < table.index(names["east"])
    wan = total / 1e4
    # above its band: where it lies among the samples; east's inside: nothing added
    assert f"{wan:,.1f} [{0.5 * wan:,.1f}–{0.9 * wan:,.1f}] (above all 10 samples)" in answers
    assert f"{2 * years:,.1f} [0.0–8.0]" in answers
    assert f"{2 * years:,.1f} [0.0–8.0] (" not in answers
    # without the horizon rows the years' percentiles are never summed into a band
    plain = county_shortfalls(tables, money)
    assert plain[0].gap_cny == pytest.approx(total)
    assert plain[0].gap_p10 != plain[0].gap_p10 and plain[0].gap_p90 != plain[0].gap_p90
    assert f"{wan:,.1f} [" not in _answers(render_report(tables, {}, "en", money))


def test_missing_money_is_said_never_caps_or_zero(tables: RunTables) -> None:
    html = render_report(tables, {}, "en", None)
    answers = _answers(html)
    assert "Money needed is not available for this run" in answers
    assert "Caps allow" not in answers
    # a county whose money cannot be computed shows "—", not 0
    money = _money(tables, gaps={"west": 100_000.0}, missing_county="east")
    east = next(c for c in county_shortfalls(tables, money) if c.county == "east")
    assert east.gap_cny != east.gap_cny  # NaN: unknown, not 0


def test_county_staff_short_and_failures_are_each_countys_own(tables: RunTables) -> None:
    """Staff short is the county's largest shortfall per rule, unknown (NaN) where it has no
    number; failures count the county's own failed checks only."""
    staff = pd.DataFrame(
        [{"year": 2025, "county": "west", "rule": "caseworker-ratio", "shortfall": 1.0},
         {"year": 2026, "county": "west", "rule": "caseworker-ratio", "shortfall": 3.0},
         {"year": 2025, "county": "west", "rule": "child-welfare-staff", "shortfall": ""},
         {"year": 2025, "county": "east", "rule": "child-welfare-staff", "shortfall": 2.0}],
        columns=TABLE_COLUMNS["staffing"])
    fail = {"year": 2025, "rule": "relief-cap", "status": "fail"}
    comp = pd.DataFrame([{**fail, "scope": "west"}, {**fail, "scope": "west"},
                         {**fail, "scope": "prefecture"}, {**fail, "scope": "east",
                                                           "status": "pass"}],
                        columns=TABLE_COLUMNS["compliance"])
    ranked = county_shortfalls(dataclasses.replace(tables, staffing=staff, compliance=comp),
                               None)
    west, east = (next(c for c in ranked if c.county == name) for name in ("west", "east"))
    assert west.staff_short["caseworker-ratio"] == 3.0
    assert math.isnan(west.staff_short["child-welfare-staff"])
    assert math.isnan(east.staff_short["caseworker-ratio"])
    assert east.staff_short["child-welfare-staff"] == 2.0
    assert (west.failures, east.failures) == (2, 0)
    assert [c.county for c in ranked] == ["west", "east"]  # more staff short, then failures


def test_report_reads_money_needed_from_the_run_folder(tables: RunTables, tmp_path: Path) -> None:
    money = _money(tables, gaps={"west": 250_000.0})
    tables = dataclasses.replace(tables, money_needed=pd.DataFrame())  # only the folder's table
    folder = write_run(tables, tmp_path / "run", "zh", money_needed_table=money)
    assert money_needed(tables, folder) is not None
    back = pd.read_csv(folder / "money_needed.csv", encoding="utf-8-sig")
    assert back["gap_cny"].dropna().map(lambda v: float(v).is_integer()).all()  # whole yuan
    answers = _answers((folder / "report.html").read_text(encoding="utf-8"))
    assert "所需资金（万元）" in answers and "80%区间" in answers
    book = openpyxl.load_workbook(folder / "plan.xlsx")
    sheet = book[label("xlsx.sheet_money", "zh")]
    assert sheet.cell(row=1, column=3).value == label("xlsx.need_wan", "zh")
    west = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == "西县")
    assert west[4] == pytest.approx(25.0)  # gap 250,000 CNY = 25.0 万元


def test_compliance_verdict_counts_every_check(tables: RunTables) -> None:
    comp = tables.compliance
    fails = int((comp["status"] == "fail").sum())
    checks = int(comp["status"].isin(["pass", "fail"]).sum())
    answers = _answers(render_report(tables, {}, "en", None))
    assert f"{fails} of {checks} rule checks fail" in answers if fails else \
        f"all {checks} rule checks pass" in answers


def test_header_shows_the_runs_own_years(tables: RunTables) -> None:
    one_year = RunTables(**{**{f: getattr(tables, f) for f in tables.__dataclass_fields__},
                            "allocation": tables.allocation[tables.allocation["year"] == 2025]})
    html = render_report(one_year, {}, "zh", None)
    header = html[html.index("<header>"):html.index("</header>")]
    assert "规划年度 2025 (1)" in header
    assert "规划年数" not in html


def test_no_lp_row_names_in_the_report(tables: RunTables) -> None:
    html = render_report(tables, {}, "en", None)
    assert not re.search(r"\b(relief_cap|capacity|market|fund)\[", html)


# -- one language at a time -----------------------------------------------------------------------

def _latin_words(text: str) -> set[str]:
    words = set(re.findall(r"[A-Za-z][A-Za-z_]+", text))
    return {w for w in words if w.lower() not in _ALLOWED_LATIN}


def test_chinese_report_reads_chinese(tables: RunTables) -> None:
    html = render_report(tables, {}, "zh", _money(tables, gaps={"west": 1e5}))
    body = html[html.index("<body>"):html.index('id="manifest"')]
    visible = re.sub(r"<[^>]+>", " ", body)
    visible = visible.replace(tables.scenario.content_hash()[:16], "")
    ids = {c.id for c in tables.scenario.counties} | {i.id for i in tables.scenario.items} | {
        p.id for p in tables.scenario.provider_types}
    # the synthetic tables' own made-up texts (provider names, English reasons) are data
    # (the synthetic text_zh names rule ids; "lt"/"gt"/"section" are escapes and a cut tag)
    data = {"org", "ent", "x", "targets", "met", "round", "limit", "hazard", "score",
            "years", "script", "alert", "quotes", "amp", "more", "staff", "needed", "under",
            "caseworker", "ratio", "child", "welfare", "lt", "gt", "section"}
    leftover = _latin_words(visible) - ids - data - {"tiny", "east", "west"}
    assert not leftover, sorted(leftover)[:20]


def test_rule_numbers_come_from_the_scenario_policy() -> None:
    tiny = govsim.load_scenario("tiny")
    what_if = tiny.with_overrides({"policy.relief_cap_share": 0.04})
    tables = synthetic_tables(what_if).checked()
    for lang in ("zh", "en"):
        html = render_report(tables, {}, lang, None)
        assert label("rule.relief-cap", lang, **policy_fields(what_if.policy, lang)) in html
        assert "4%" in label("rule.relief-cap", lang, **policy_fields(what_if.policy, lang))
        assert "3%" not in label("rule.relief-cap", lang,
                                 **policy_fields(what_if.policy, lang))


def test_every_label_has_both_languages_and_chinese_is_chinese() -> None:
    for key, (zh, en) in LABELS.items():
        assert zh and en, key
        if key.startswith(("report.", "xlsx.", "phrase.", "rule.", "cli.")) and \
                key not in ("report.ci", "xlsx.diff_low", "xlsx.diff_high"):
            assert CJK.search(zh), key


def test_convergence_status_and_warnings_in_chinese() -> None:
    row = {"status": "unattainable", "limiting_cap": "relief-cap", "money_short_cny": 2.1e7,
           "cells_checked": 96, "cells_rationed": 75, "cells_missed": 0, "rounds": 2}
    assert status_words(row, "zh") == "受救助资金购买上限约束无法达到，缺 2,100.0 万元"
    assert "75 个单元限量供给" in reason_text(row, "zh")
    assert reason_text(row, "en").startswith("the simulation delivers the plan in all 96")
    counties, items = {"yuechi": "岳池县"}, {"screening": "对象排查"}
    warning = YearWarning("late", "yuechi", "screening", {
        "late": 1309.2, "days": 30.0, "before": 7164.0, "after": 6146.4, "rationed": 6335.0,
        "fte": 8.21, "money_cny": 557_000.0})
    # the English wording with ids is what convergence.csv keeps (the old sentence, exactly)
    assert warning_text(warning, "en") == (
        "screening in yuechi: 1,309 cases past the 30-day deadline (served late or still "
        "waiting at year end); backlog 7,164 → 6,146; the plan leaves 6,335 cases' work "
        "unstaffed; about 8.2 more FTE (55.7 万元 a year) would stop it")
    zh = warning_text(warning, "zh", counties, items)
    assert zh.startswith("岳池县对象排查：1,309 件超过 30 天时限") and "55.7 万元" in zh
    assert not _latin_words(zh)
    # the same warning read back from warnings.csv is worded the same
    row = warning.row(2026)
    assert warning_text(row, "zh", counties, items) == zh
    # no provider: no money, and the sentence says why
    nobody = YearWarning("late", "yuechi", "screening", {**warning.figures, "money_cny": None,
                                                         "before": None, "rationed": None})
    assert warning_text(nobody, "en", {"yuechi": "Yuechi"}, {"screening": "Screening"}) == (
        "Screening in Yuechi: 1,309 cases past the 30-day deadline (served late or still "
        "waiting at year end); about 8.2 more FTE would stop it (no provider offers it here)")
    # an unknown code is shown with its figures, never dropped
    assert "something_new" in warning_text({"code": "something_new", "figures": "{}"}, "zh",
                                           counties, items)


def test_government_only_warnings_name_the_rule_in_words() -> None:
    counties = {"east": "东县", "west": "西县"}
    items = {"fund_disbursement": "资金筹集和发放"}
    warning = YearWarning("government_late", "", "fund_disbursement", {
        "days": 20.0, "where": [["east", 12.0], ["west", 3.4]], "fte": 0.551})
    assert warning_text(warning, "en") == (
        "fund_disbursement (government-only): cases past the 20-day deadline in 2 counties "
        "(east 12, west 3); about 0.55 more FTE of establishment staff in all would stop it "
        "(not purchasable: prohibited-items)")
    zh = warning_text(warning, "zh", counties, items)
    assert "东县 12、西县 3" in zh and "禁止购买事项" in zh and not _latin_words(zh)
    en = warning_text(warning, "en", {"east": "East", "west": "West"},
                      {"fund_disbursement": "Benefit payment"})
    assert en.endswith("(not purchasable: prohibited items)") and "fund_disbursement" not in en
    short = YearWarning("establishment_short", "east", "", {
        "items": ["fund_disbursement"], "need": 3.26, "rho": 0.85, "assigned": 2.0,
        "short": 1.26})
    assert warning_text(short, "en") == (
        "east: government-only duties (fund_disbursement) need 3.3 FTE of establishment staff "
        "at the 85% utilisation target; 2.0 in post for them, 1.3 short (they may not be "
        "purchased: prohibited-items)")
    assert warning_text(short, "zh", counties, items).startswith(
        "东县：仅限政府履行的职责（资金筹集和发放）")


def test_plan_workbook_prints_and_adds_up(tables: RunTables, tmp_path: Path) -> None:
    # an item absent in one year must not break the county × item table
    alloc = tables.allocation
    second = sorted(alloc["year"].unique())[-1]
    dropped = alloc[~((alloc["year"] == second) & (alloc["item"] == alloc["item"].iloc[0]))]
    part = RunTables(**{**{f: getattr(tables, f) for f in tables.__dataclass_fields__},
                        "allocation": dropped})
    for lang in ("zh", "en"):
        path = write_plan_workbook(part, tmp_path / f"plan-{lang}.xlsx", lang, None)
        book = openpyxl.load_workbook(path)
        assert book.sheetnames == [label(f"xlsx.sheet_{k}", lang) for k in
                                   ("allocation", "staffing", "compliance", "money", "about")]
        for sheet in book.worksheets:
            assert sheet.page_setup.orientation == "landscape"
            assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        allocation = book.worksheets[0]
        assert allocation.print_title_rows == "$1:$1"
        headers = [c.value for c in allocation[1]]
        assert headers[-1] == label("xlsx.total_wan", lang)
        rows = list(allocation.iter_rows(min_row=2, values_only=True))
        prefecture = [r for r in rows if r[1] == label("xlsx.prefecture", lang)]
        assert len(prefecture) == dropped["year"].nunique()
        for r in prefecture:
            spend = dropped.loc[dropped["year"] == r[0], "cost"].sum() / 1e4
            assert r[-1] == pytest.approx(spend, abs=0.05)
        money = book.worksheets[3]
        assert money.cell(row=1, column=1).value == label("report.money_missing", lang)
        status = {r[6] for r in book.worksheets[2].iter_rows(min_row=2, values_only=True)}
        assert status <= {label(f"report.{s}", lang) for s in ("pass", "fail", "not-applicable")}


def test_plan_workbook_says_how_the_band_was_made(tables: RunTables, tmp_path: Path) -> None:
    record = {"samples": 10, "seed": 7, "method": "money", "inputs": ["a", "b", "c"]}
    banded = dataclasses.replace(tables, manifest={**tables.manifest, "uncertainty": record})
    unbanded = dataclasses.replace(tables, manifest={k: v for k, v in tables.manifest.items()
                                                     if k != "uncertainty"})
    for lang in ("zh", "en"):
        for part, expected in ((banded, label("xlsx.band_money", lang, samples=10, seed=7,
                                              inputs=3)),
                               (unbanded, label("xlsx.band_none", lang))):
            path = write_plan_workbook(part, tmp_path / f"plan-{lang}.xlsx", lang, None)
            about = openpyxl.load_workbook(path).worksheets[-1]
            facts = {r[0]: r[1] for r in about.iter_rows(values_only=True)}
            assert facts[label("xlsx.band", lang)] == expected
    assert "10" in label("xlsx.band_money", "en", samples=10, seed=7, inputs=3)


# -- the CSVs -------------------------------------------------------------------------------------

def test_csv_money_in_whole_yuan_and_years_as_ints() -> None:
    frame = pd.DataFrame({"year": [2025.0, 2026.0], "cost": [1311000.0000000002, 12.5],
                          "money_cny": [135285.59972415856, float("nan")],
                          "cost_per_served_cny": [40.0625, 39.6],
                          "unit": ["CNY", "share"], "value": [788699.9, 0.5187],
                          "limit": [788700.0, 0.3]})
    out = for_csv(frame).to_csv(index=False)
    assert "2025,1311000,135286,40.0625,CNY,788700,788700" in out
    assert "2026,12,,39.6,share,0.5187,0.3" in out  # half a yuan rounds to even


def test_people_by_title_tier_when_the_scenario_sets_the_mix() -> None:
    tiny = govsim.load_scenario("tiny")
    social = next(p.id for p in tiny.provider_types if p.is_social_org)
    tiered = tiny.with_overrides({
        "mechanisms.title_tiers.enabled": True,
        "mechanisms.title_tiers.mix": [{"id": social, "unqualified": 0.25, "assistant": 0.5,
                                        "intermediate": 0.25}]})
    tables = synthetic_tables(tiered).checked()
    html = render_report(tables, {}, "zh", None)
    costs = html[html.index('id="costs"'):html.index("<nav>")]
    alloc = tables.allocation
    year = int(alloc["year"].min())
    social_people = alloc[(alloc["year"] == year) & (alloc["provider_type"] == social)][
        "persons"].sum()
    assert f"<td>助理社会工作师</td><td class=\"num\">{0.5 * social_people:,.0f}</td>" in costs
    assert "本场景未设置职称层级" not in costs
    plain = render_report(synthetic_tables(tiny).checked(), {}, "zh", None)
    assert "本场景未设置职称层级" in plain[plain.index('id="costs"'):plain.index("<nav>")]
