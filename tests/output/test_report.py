"""Tests of govsim.output.report and govsim.output.html: the run folder, its atomic writing, HTML.

The tables are synthetic (``synthetic_tables``), made by hand to follow the contracts of
``docs/outputs.md``; only ``compliance`` comes from ``govsim.check_compliance``.
``tests/output/test_plots.py`` reuses the builder.
"""

from __future__ import annotations

import base64
import json
import math
import re
from datetime import UTC, datetime
from html import escape as html_escape
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import govsim
from govsim.budget import MONEY_NEEDED_COLUMNS, cap_limits
from govsim.citations import cite
from govsim.errors import GovsimError
from govsim.output import plots
from govsim.output.first_screen import rule_name
from govsim.output.html import headline
from govsim.output.labels import policy_fields
from govsim.output.report import (
    CSV_ENCODING,
    PLOTS,
    TABLE_COLUMNS,
    RunFolderExistsError,
    RunTables,
    default_run_dir,
    write_run,
)
from govsim.policy import RULES, caseworkers_required, child_staff_required, relief_cap_limits

DOCS = Path(__file__).resolve().parents[2] / "docs" / "outputs.md"
HOSTILE = "<script>alert('x')</script> & \"quotes\""


def synthetic_tables(scenario: govsim.Scenario, seed: int = 0) -> RunTables:
    """Plausible run tables for any scenario, following the table contracts."""
    rng = np.random.default_rng(seed)
    header = scenario.header
    years = [header.base_year + k for k in range(header.horizon_years)]
    items = scenario.purchasable_items
    days = header.hours_per_year / 8
    alloc = [{"year": y, "county": c.id, "item": i.id, "provider_type": p.id, "fund": i.fund,
              "basis": "new", "persons": fte, "fte": fte, "cost": fte * p.cost_per_fte_year,
              "cost_lottery": 0.0}
             for y in years for c in scenario.counties for i in items
             for p in scenario.provider_types
             if (fte := float(rng.choice([0.0, 0.0, 0.5, 1.0, 2.0, 3.5]))) > 0]
    allocation = pd.DataFrame(alloc, columns=TABLE_COLUMNS["allocation"])
    counts = {i.id: i.counts_toward for i in scenario.items}
    fte = allocation.assign(counts=allocation["item"].map(counts)).groupby(
        ["year", "county", "counts"])["fte"].sum()
    staffing = []
    for y in years:
        for c in scenario.counties:
            for rule, need, have, kind in (
                    ("caseworker-ratio", caseworkers_required(c, scenario.policy.caseworker_ratio),
                     c.public_caseworkers, "caseworker"),
                    ("child-welfare-staff", child_staff_required(c, 1),
                     c.child_welfare_directors, "child_staff")):
                bought = float(fte.get((y, c.id, kind), 0.0))
                staffing.append({"year": y, "county": c.id, "rule": rule, "required": need,
                                 "in_post": have, "purchased": bought, "part_time_posts": 0.0,
                                 "shortfall": max(0.0, need - have - bought)})
    staffing = pd.DataFrame(staffing, columns=TABLE_COLUMNS["staffing"])
    cost = allocation.groupby(["year", "county", "item"])["cost"].sum()
    kpis = []
    for y in years:
        for c in scenario.counties:
            for i in scenario.items:
                arrivals = float(rng.uniform(50, 2000))
                served = arrivals * float(rng.uniform(0.6, 1.0))
                wait = float(rng.uniform(1, 15))
                kpis.append({
                    "year": y, "county": c.id, "item": i.id, "arrivals_mean": arrivals,
                    "served_mean": served, "served_ci95": 0.03 * served,
                    "abandoned_mean": 0.3 * (arrivals - served),
                    "backlog_mean": 0.7 * (arrivals - served), "wait_mean_days_mean": wait,
                    "wait_p90_days_mean": 2.2 * wait, "wait_p90_days_ci95": 0.2 * wait,
                    "utilisation_mean": float(rng.uniform(0.5, 0.95)),
                    "satisfaction_mean": float(rng.uniform(0.6, 0.9)),
                    "cost_mean": float(cost.get((y, c.id, i.id), 0.0))})
    kpis = pd.DataFrame(kpis, columns=TABLE_COLUMNS["kpis"])
    relief = allocation[allocation["fund"] == "relief"].groupby(["year", "county"])["cost"].sum()
    constraints = []
    for y in years:
        for scope, limit in relief_cap_limits(scenario).items():
            spend = float(relief.get((y, scope), 0.0))
            binding = spend >= 0.9 * limit
            constraints.append({"year": y, "name": f"relief_cap[{scope}]", "rule": "relief-cap",
                                "scope": scope, "binding": binding,
                                "slack": max(0.0, limit - spend),
                                "shadow_price": -3.2e-4 if binding else 0.0})
        constraints.append({"year": y, "name": "social_org_share", "rule": "social-org-share",
                            "scope": "prefecture", "binding": False, "slack": 1.5e5,
                            "shadow_price": 0.0})
    constraints = pd.DataFrame(constraints, columns=TABLE_COLUMNS["constraints"])
    events = []
    for k, c in enumerate(scenario.counties):
        item = items[k % len(items)].id
        social = next(p for p in scenario.provider_types if p.is_social_org).id
        other = scenario.provider_types[-1].id
        events += [(years[0], 0, c.id, item, f"org-{k}", social, "signed", 2.0, ""),
                   (years[0], days, c.id, item, f"org-{k}", social, "assessed", 2.0, "score 0.81")]
        if len(years) > 1:
            events.append((years[1], 0, c.id, item, f"org-{k}", social, "renewed", 2.0, ""))
        if k % 2:
            item2 = items[(k + 1) % len(items)].id
            events += [(years[0], 0, c.id, item2, f"ent-{k}", other, "signed", 1.5, ""),
                       (years[0], 90, c.id, item2, f"ent-{k}", other, "failed", 1.5, "hazard"),
                       (years[0], 110, c.id, item2, f"ent-{k}", other, "takeover", 1.2, ""),
                       (years[0], 110, c.id, item2, f"ent-{k}", other, "exit", 1.5, ""),
                       (years[0], 110, c.id, item2, f"ent-{k}", other, "barred", 0.0, "2 years"),
                       (years[0], 111, c.id, item2, f"org-x{k}", social, "signed", 1.5, "")]
    events.append((years[-1], days, scenario.counties[0].id, items[0].id, "org-0",
                   events[0][5], "term_reached", 2.0, HOSTILE))
    contracts = pd.DataFrame(events, columns=TABLE_COLUMNS["contracts"])
    short = staffing[staffing["shortfall"] > 0]
    explanations = pd.DataFrame({
        "year": short["year"], "county": short["county"], "item": "", "rule": short["rule"],
        "shortfall": short["shortfall"], "money_cny": short["shortfall"] * 69_000.0,
        "text_en": [f"{c}: {s:.1f} more staff needed under {r}" for c, s, r in
                    zip(short["county"], short["shortfall"], short["rule"], strict=True)],
        "text_zh": [f"{c}：按{r}还缺{s:.1f}人" for c, s, r in
                    zip(short["county"], short["shortfall"], short["rule"], strict=True)],
    }, columns=TABLE_COLUMNS["explanations"])
    explanations.loc[len(explanations)] = [years[0], scenario.counties[0].id, "",
                                           "relief-cap", 0.0, 0.0, HOSTILE, HOSTILE]
    convergence = pd.DataFrame({"year": years, "rounds": [2 + k for k in range(len(years))],
                                "converged": [k == 0 for k in range(len(years))],
                                "reason": ["targets met"] + ["round limit"] * (len(years) - 1)})
    money = []
    for y in years:
        caps = cap_limits(scenario, y)
        for c in [*scenario.counties, None]:
            need = float(rng.uniform(0.5, 2.5)) * (caps[c.id] if c else 0.0)
            money.append({"year": y, "county": c.id if c else "", "need_cny": round(need),
                          "cap_cny": round(caps[c.id] if c else caps[""]),
                          "unserved_hours": float(rng.uniform(0, 5000)),
                          "unserved_cases": float(rng.uniform(0, 2000)),
                          "unserved_items": items[0].id, "staff_short": 0.0})
    money_needed = pd.DataFrame(money)
    total = money_needed[money_needed["county"] != ""].groupby("year")["need_cny"].sum()
    whole = money_needed["county"] == ""
    money_needed.loc[whole, "need_cny"] = money_needed.loc[whole, "year"].map(total)
    money_needed["gap_cny"] = (money_needed["need_cny"] - money_needed["cap_cny"]).clip(lower=0)
    for column in MONEY_NEEDED_COLUMNS:
        if column not in money_needed:
            money_needed[column] = pd.NA
    manifest = {"scenario": scenario.name, "scenario_hash": scenario.content_hash(),
                "seed": header.seed, "replications": header.replications,
                "command": "govsim run " + scenario.name, "versions": {"govsim": "0.1.0"},
                "started": datetime(2025, 1, 1, tzinfo=UTC)}
    return RunTables(scenario=scenario, allocation=allocation, staffing=staffing, kpis=kpis,
                     compliance=govsim.check_compliance(scenario, allocation),
                     constraints=constraints, contracts=contracts, explanations=explanations,
                     convergence=convergence, money_needed=money_needed[MONEY_NEEDED_COLUMNS],
                     manifest=manifest)


@pytest.fixture(scope="module")
def tiny_tables() -> RunTables:
    return synthetic_tables(govsim.load_scenario("tiny"))


@pytest.fixture(scope="module")
def run_dir(tiny_tables: RunTables, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run(tiny_tables, tmp_path_factory.mktemp("runs") / "tiny-run", lang="zh")


@pytest.fixture
def cheap_plots(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace every plot by a blank 1-inch figure (the plots are tested in test_plots.py)."""
    for function, _ in PLOTS.values():
        monkeypatch.setattr(plots, function, lambda *args, **kwargs: Figure(figsize=(1, 1)))


class _Checker(HTMLParser):
    """Collects tags, img sources and links; fails on unbalanced tags."""

    VOID: ClassVar[set[str]] = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.srcs: list[str] = []
        self.hrefs: list[str] = []
        self.html_attrs: dict[str, str | None] = {}
        self.tables = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.html_attrs = attributes
        if tag == "img":
            self.srcs.append(attributes.get("src") or "")
        if "href" in attributes:
            self.hrefs.append(attributes["href"] or "")
        self.tables += tag == "table"
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def _parse(html: str) -> _Checker:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return checker


# -- files ----------------------------------------------------------------------------------------

def test_every_file_is_written(run_dir: Path) -> None:
    names = {p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file()}
    expected = {"manifest.json", "report.html", "plan.xlsx"} | {f"{t}.csv" for t in TABLE_COLUMNS}
    expected |= {f"plots/{stem}.png" for stem in PLOTS}
    assert names == expected


def test_csvs_have_documented_columns_and_a_bom(run_dir: Path, tiny_tables: RunTables) -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for name, columns in TABLE_COLUMNS.items():
        raw = (run_dir / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name
        frame = pd.read_csv(run_dir / f"{name}.csv", encoding=CSV_ENCODING)
        extra = ["coverage_mean", "coverage_ci95", "no_service"] if name == "kpis" else []
        assert list(frame.columns) == columns + extra, name
        assert len(frame) == len(tiny_tables.table(name)), name
        assert f"`{name}.csv`" in docs
        for column in columns + extra:
            assert f"`{column}`" in docs, (name, column)
    for stem in PLOTS:
        assert f"`plots/{stem}.png`" in docs


def test_csv_keeps_chinese_text(run_dir: Path) -> None:
    frame = pd.read_csv(run_dir / "explanations.csv", encoding=CSV_ENCODING)
    assert frame["text_zh"].str.contains("还缺").any()


def test_manifest_keeps_input_and_lists_file_hashes(run_dir: Path) -> None:
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 7
    assert manifest["started"].startswith("2025-01-01")
    files = manifest["files"]
    assert "report.html" in files and "plots/caseworkers.png" in files
    assert manifest["kind"] == "run"
    assert manifest["report"]["lang"] == "zh"


def test_plots_are_png_at_120_dpi(run_dir: Path) -> None:
    for stem in PLOTS:
        data = (run_dir / "plots" / f"{stem}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        match = re.search(rb"pHYs(.{4})(.{4})", data)
        assert match is not None
        assert round(int.from_bytes(match.group(1), "big") * 0.0254) == 120


def test_default_run_dir() -> None:
    scenario = govsim.load_scenario("tiny")
    path = default_run_dir(scenario, "out", now=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC))
    assert path == Path("out", "tiny", f"20260304T050607Z-{scenario.content_hash()[:8]}")


def test_missing_column_is_named(tiny_tables: RunTables, tmp_path: Path) -> None:
    bad = RunTables.empty(tiny_tables.scenario, staffing=pd.DataFrame({"year": [2025]}))
    with pytest.raises(GovsimError, match="staffing: county"):
        write_run(bad, tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_empty_tables_still_make_a_report(tmp_path: Path) -> None:
    tables = RunTables.empty(govsim.load_scenario("tiny"), explanations=pd.DataFrame())
    out = write_run(tables, tmp_path / "run", lang="en")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert _parse(html).errors == []
    assert len(list((out / "plots").glob("*.png"))) == len(PLOTS)


# -- atomicity ------------------------------------------------------------------------------------

@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failure_mid_write_leaves_nothing(tiny_tables: RunTables, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, cheap_plots: None,
                                          error: BaseException) -> None:
    written: list[str] = []

    def fail(*args: object, **kwargs: object) -> None:
        written.extend(p.name for p in tmp_path.rglob("*.csv"))
        raise error

    monkeypatch.setattr(plots, "plot_caseworkers", fail)
    with pytest.raises(type(error)):
        write_run(tiny_tables, tmp_path / "run")
    assert "allocation.csv" in written  # the failure really was mid-write
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite(tiny_tables: RunTables, tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(RunFolderExistsError, match="--overwrite"):
        write_run(tiny_tables, out)
    with pytest.raises(RunFolderExistsError, match="no govsim manifest"):
        write_run(tiny_tables, out, overwrite=True)  # not a govsim folder: never replaced
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_overwrite_replaces_and_failed_overwrite_keeps_old(
        tiny_tables: RunTables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        cheap_plots: None) -> None:
    out = tmp_path / "run"
    write_run(tiny_tables, out)
    before = (out / "manifest.json").read_bytes()
    inode = out.stat().st_ino
    blank = plots.plot_service_levels
    monkeypatch.setattr(plots, "plot_service_levels", _raise)
    with pytest.raises(RuntimeError):
        write_run(tiny_tables, out, overwrite=True)
    assert (out / "manifest.json").read_bytes() == before and out.stat().st_ino == inode
    monkeypatch.setattr(plots, "plot_service_levels", blank)
    write_run(tiny_tables, out, overwrite=True)
    assert out.stat().st_ino != inode and (out / "report.html").is_file()  # a new folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_empty_existing_folder_is_used(tiny_tables: RunTables, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    out.mkdir()
    monkeypatch.setattr("govsim.output.report.render_plots", lambda *a, **k: {})
    assert write_run(tiny_tables, out, lang="en") == out
    assert (out / "report.html").is_file()


def _raise(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


# -- report.html ----------------------------------------------------------------------------------

def test_report_is_well_formed_and_self_contained(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    checker = _parse(html)
    assert checker.errors == [] and checker.stack == []
    assert checker.html_attrs.get("lang") == "zh-CN"
    assert '<meta charset="utf-8">' in html
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:)?//", html, re.IGNORECASE)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert all(h.startswith("#") for h in checker.hrefs)


def test_report_embeds_every_plot(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    srcs = _parse(html).srcs
    shown = list(PLOTS)  # money_needed.png in the answers section, the others below
    assert len(srcs) == len(shown)
    embedded = {base64.b64decode(s.removeprefix("data:image/png;base64,")) for s in srcs}
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    assert embedded == {(run_dir / "plots" / f"{p}.png").read_bytes() for p in shown}


def test_report_lists_every_rule_with_its_source(run_dir: Path, tiny_tables: RunTables) -> None:
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    section = html[html.index('id="compliance"'):html.index('id="explanations"')]
    fields = policy_fields(tiny_tables.scenario.policy, "zh")
    for rule in RULES.values():
        assert f"<td>{html_escape(rule_name(rule.id, 'zh', fields))}</td>" in section
        assert rule.text_zh in section
        assert html_escape(cite(rule.source, "zh")) in section  # title and clause, no file
    assert ".txt" not in section
    assert 'class="fail"' in section  # the synthetic allocation breaks a cap


def test_report_escapes_data(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_report_language(tiny_tables: RunTables, tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("govsim.output.report.render_plots", lambda *a, **k: {})
    zh = write_run(tiny_tables, tmp_path / "zh", lang="zh") / "report.html"
    en = write_run(tiny_tables, tmp_path / "en", lang="en") / "report.html"
    zh_html, en_html = zh.read_text(encoding="utf-8"), en.read_text(encoding="utf-8")
    assert "示例小场景" in zh_html and "东县" in zh_html and "政策规则符合情况" in zh_html
    assert "Tiny example" in en_html and "East County" in en_html
    assert "Compliance with the policy rules" in en_html and "东县" not in en_html
    assert "还缺" in zh_html and "more staff needed" in en_html


def test_headline_numbers(tiny_tables: RunTables) -> None:
    table = headline(tiny_tables.checked())
    alloc = tiny_tables.allocation
    for year in table.columns:
        assert math.isclose(table.loc["total_spend", year],
                            alloc.loc[alloc["year"] == year, "cost"].sum())
        fails = tiny_tables.compliance
        expected = ((fails["status"] == "fail")
                    & ((fails["year"] == year) | fails["year"].isna())).sum()
        assert table.loc["failures", year] == expected
        assert 0 <= table.loc["social_share", year] <= 1
