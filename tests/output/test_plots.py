"""Tests of govsim.output.plots: every plot builds, in both languages, with Chinese glyphs present,
without pyplot state, and stays readable for a 183-county scenario.

The synthetic tables come from ``tests/output/test_report.py`` (``synthetic_tables``).
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib._pylab_helpers import Gcf
from matplotlib.figure import Figure
from matplotlib.font_manager import findfont
from matplotlib.text import Text

import govsim
from govsim.output import plots, service_plots
from govsim.output.figure import shorten
from govsim.output.fonts import cjk_font_path, font_covers
from govsim.output.labels import LABELS
from govsim.output.report import PLOTS, TABLE_COLUMNS, RunTables
from tests.output.test_report import synthetic_tables

FUNCTIONS = {stem: (getattr(plots, function), table) for stem, (function, table) in PLOTS.items()}


@pytest.fixture(scope="module")
def tiny() -> RunTables:
    return synthetic_tables(govsim.load_scenario("tiny")).checked()


@pytest.fixture(scope="module")
def guangan() -> RunTables:
    return synthetic_tables(govsim.load_scenario("guangan"), seed=1).checked()


@pytest.fixture(scope="module")
def many_counties() -> RunTables:
    """Guang'an with 183 counties (the six real ones and 177 copies) over one year."""
    data = govsim.load_scenario("guangan").to_dict()
    data["scenario"]["horizon_years"] = 1
    template = data["counties"][0]
    data["counties"] += [{**template, "id": f"c{k:03d}", "name_zh": f"第{k}县",
                          "name_en": f"County {k}"} for k in range(177)]
    scenario = govsim.Scenario.from_dict(data)
    return synthetic_tables(scenario, seed=2).checked()


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def _save(fig: Figure) -> list[str]:
    """Save as PNG; return the missing-glyph warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png", dpi=50)
    return [str(w.message) for w in caught if "Glyph" in str(w.message)
            or "missing from" in str(w.message)]


@pytest.mark.parametrize("stem", list(PLOTS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_plot_builds_in_both_languages(tiny: RunTables, stem: str, lang: str) -> None:
    function, table = FUNCTIONS[stem]
    fig = function(tiny.table(table), tiny.scenario, lang)
    assert isinstance(fig, Figure)
    if lang == "zh":  # the glyph check; English labels are covered by any font
        assert _save(fig) == []
    text = " ".join(_texts(fig))
    assert text.strip()
    if stem != "social_org_share":  # that one has no county or item axis
        expected = {"zh": ("东县", "对象排查与动态管理"), "en": ("East County", "Screening")}[lang]
        assert any(name in text for name in expected), text
    if lang == "en":
        assert "东县" not in text and "照料护理" not in text
    assert Gcf.get_num_fig_managers() == 0  # no pyplot figure was created


def test_chinese_plots_use_the_cjk_font_for_every_text(guangan: RunTables) -> None:
    scenario = guangan.scenario
    wanted = {c.name_zh for c in scenario.counties} | {i.name_zh for i in scenario.items
                                                         if i.is_purchasable}
    seen: set[str] = set()
    for stem, (function, table) in FUNCTIONS.items():
        fig = function(guangan.table(table), scenario, "zh")
        assert _save(fig) == [], stem
        for text in fig.findobj(Text):
            content = text.get_text()
            if not content:
                continue
            assert Path(findfont(text.get_fontproperties())) == cjk_font_path(), content
            assert font_covers(content), content
            seen.update(name for name in wanted if name in content)
    # every county and purchasable item name of guangan was drawn somewhere
    assert seen == wanted


def test_scenario_language_is_the_default(tiny: RunTables) -> None:
    assert tiny.scenario.header.lang == "en"
    fig = plots.plot_caseworkers(tiny.staffing, tiny.scenario)
    assert "East County" in " ".join(_texts(fig))
    with pytest.raises(ValueError, match="lang"):
        plots.plot_caseworkers(tiny.staffing, tiny.scenario, "fr")


@pytest.mark.parametrize("stem", list(PLOTS))
def test_empty_tables_give_a_no_data_figure(stem: str) -> None:
    scenario = govsim.load_scenario("tiny")
    function, table = FUNCTIONS[stem]
    fig = function(pd.DataFrame(columns=TABLE_COLUMNS[table]), scenario, "zh")
    assert "无数据" in _texts(fig)


def test_many_counties_stay_readable(many_counties: RunTables) -> None:
    scenario = many_counties.scenario
    assert len(scenario.counties) == 183
    heat = plots.plot_allocation_heatmap(many_counties.allocation, scenario, "en")
    assert any("of 183 counties" in t for t in _texts(heat))
    for ax in heat.axes[:-1]:  # the last axes is the colour bar
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert len(labels) == plots.MAX_COUNTIES
    for function in (plots.plot_relief_cap_use, plots.plot_caseworkers):
        table = many_counties.compliance if function is plots.plot_relief_cap_use \
            else many_counties.staffing
        fig = function(table, scenario, "en")
        assert len(fig.axes[0].get_yticks()) == plots.MAX_COUNTIES
        assert any("of 183 counties" in t for t in _texts(fig))
    timeline = plots.plot_contract_timeline(many_counties.contracts, scenario, "zh")
    assert len(timeline.axes[0].get_yticks()) == plots.MAX_TIMELINE_ROWS
    width, height = timeline.get_size_inches()
    assert width <= 22 and height <= 30


def test_item_summary_aggregates_counties() -> None:
    """Coverage over arrivals + carried in; waits served-weighted over counties that served."""
    kpis = pd.DataFrame({
        "year": [2025, 2025, 2025], "county": ["a", "b", "c"], "item": ["care"] * 3,
        "arrivals_mean": [100.0, 300.0, 50.0], "carried_in_mean": [0.0, 100.0, 0.0],
        "served_mean": [90.0, 150.0, 0.0], "served_ci95": [3.0, 4.0, 0.0],
        "abandoned_mean": [1.0, 2.0, 0.0], "backlog_mean": [0.0, 1.0, 50.0],
        "wait_mean_days_mean": [2.0, 4.0, np.nan], "wait_p90_days_mean": [5.0, 10.0, np.nan],
        "wait_p90_days_ci95": [1.0, 1.0, np.nan], "utilisation_mean": [0.5, 0.9, np.nan],
        "satisfaction_mean": [0.8, 0.7, np.nan], "cost_mean": [1e5, 2e5, 0.0]})
    row = plots.item_summary(kpis).iloc[0]
    assert math.isclose(row["coverage"], 240 / 550)
    assert math.isclose(row["coverage_ci95"], 5 / 550)
    assert math.isclose(row["wait_p90_days"], (5 * 90 + 10 * 150) / 240)
    assert math.isclose(row["wait_p90_days_ci95"], math.hypot(90, 150) / 240)
    assert row["served"] == 240 and row["cost"] == 3e5
    assert row["cells_no_service"] == 1 and not row["no_service"]


def test_item_with_demand_and_no_service_has_no_wait() -> None:
    """An item with demand and nobody served: 0 % coverage, flagged, wait missing (never 0)."""
    kpis = pd.DataFrame({
        "year": [2025], "county": ["a"], "item": ["care"], "arrivals_mean": [19064.0],
        "carried_in_mean": [0.0], "served_mean": [0.0], "served_ci95": [0.0],
        "abandoned_mean": [0.0], "backlog_mean": [19064.0], "wait_mean_days_mean": [np.nan],
        "wait_p90_days_mean": [np.nan], "wait_p90_days_ci95": [np.nan],
        "utilisation_mean": [np.nan], "satisfaction_mean": [np.nan], "cost_mean": [0.0]})
    row = plots.item_summary(kpis).iloc[0]
    assert row["coverage"] == 0.0 and bool(row["no_service"])
    assert math.isnan(row["wait_p90_days"]) and math.isnan(row["wait_mean_days"])


def test_contract_spans_follow_the_event_log() -> None:
    log = pd.DataFrame([
        (2025, 0, "a", "care", "p1", "social_org", "signed"),
        (2025, 245, "a", "care", "p1", "social_org", "assessed"),
        (2026, 0, "a", "care", "p1", "social_org", "renewed"),
        (2026, 49, "a", "care", "p1", "social_org", "failed"),
        (2026, 60, "a", "care", "p2", "enterprise", "signed"),
    ], columns=["year", "day", "county", "item", "provider", "provider_type", "event"])
    spans = service_plots._contract_spans(log, 245.0, 2027.0)
    got = {(r.provider, round(r.start, 3), round(r.stop, 3)) for r in spans.itertuples()}
    assert got == {("p1", 2025.0, 2026.2), ("p2", round(2026 + 60 / 245, 3), 2027.0)}


def _spans_by_group_loop(contracts: pd.DataFrame, days_per_year: float,
                         end: float) -> pd.DataFrame:
    """The spans as the timeline first computed them (one pandas group at a time): the
    reference for the one-pass version, order included."""
    spans = []
    log = contracts.assign(t=contracts["year"] + contracts["day"] / days_per_year)
    for (county, item, provider), rows in log.sort_values(["t"], kind="stable").groupby(
            ["county", "item", "provider"], sort=False):
        start, ptype = None, None
        for row in rows.itertuples(index=False):
            if row.event == "signed" or (row.event == "renewed" and start is None):
                if start is not None:
                    spans.append((county, item, provider, ptype, start, row.t))
                start, ptype = row.t, row.provider_type
            elif row.event in {"failed", "exit", "not_renewed", "term_reached"} \
                    and start is not None:
                spans.append((county, item, provider, ptype, start, row.t))
                start = None
        if start is not None:
            spans.append((county, item, provider, ptype, start, end))
    return pd.DataFrame(spans, columns=["county", "item", "provider", "provider_type",
                                        "start", "stop"])


def _busy_log(seed: int) -> pd.DataFrame:
    """A shuffled event log with every kind of event, several providers per county × item,
    spans that overlap and groups left open at the end."""
    rng = np.random.default_rng(seed)
    events = ["signed", "renewed", "assessed", "failed", "takeover", "exit", "not_renewed",
              "term_reached", "barred"]
    n = 400
    log = pd.DataFrame({
        "year": rng.integers(2025, 2028, n), "day": rng.integers(0, 245, n).astype(float),
        "county": rng.choice(["a", "b", "c"], n), "item": rng.choice(["care", "visit"], n),
        "provider": rng.choice(["p1", "p2", "p3"], n),
        "provider_type": rng.choice(["social_org", "enterprise"], n),
        "event": rng.choice(events, n)})
    return log.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_contract_spans_match_the_group_by_group_reference(seed: int) -> None:
    """Same spans, same order (overlapping bars blend in drawing order)."""
    log = _busy_log(seed)
    expected = _spans_by_group_loop(log, 245.0, 2028.0)
    assert len(expected) > 50
    pd.testing.assert_frame_equal(service_plots._contract_spans(log, 245.0, 2028.0), expected,
                                  check_exact=True)


def test_timeline_draws_every_span_as_one_collection(guangan: RunTables) -> None:
    """Every span of a drawn row is one rectangle of a single collection, at its row, from its
    start to its stop, in the provider type's colour."""
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Rectangle

    scenario, contracts = guangan.scenario, guangan.contracts
    fig = plots.plot_contract_timeline(contracts, scenario, "en")
    ax = fig.axes[0]
    assert not [p for p in ax.patches if isinstance(p, Rectangle)]  # no bar per span
    (bars,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    rows = {text.get_text(): k for k, text in enumerate(ax.get_yticklabels())}
    counties = plots.display_names(scenario, "counties", "en")
    items = plots.display_names(scenario, "items", "en")
    days = scenario.header.hours_per_year / 8.0
    spans = _spans_by_group_loop(contracts, days, float(contracts["year"].max()) + 1.0)
    expected = sorted(
        (rows[shorten(f"{counties[s.county]} · {items[s.item]}", 30)], round(s.start, 9),
         round(s.stop, 9))
        for s in spans.itertuples())
    drawn = sorted((round(float(p.vertices[:4, 1].mean())), round(p.vertices[:4, 0].min(), 9),
                    round(p.vertices[:4, 0].max(), 9)) for p in bars.get_paths())
    assert len(spans) == len(bars.get_paths()) > 0
    assert drawn == expected
    heights = {round(float(np.ptp(p.vertices[:4, 1])), 9) for p in bars.get_paths()}
    assert heights == {0.56}
    assert len({tuple(c) for c in bars.get_facecolor()}) == contracts["provider_type"].nunique()


def test_report_pngs_are_what_savefig_writes(tiny: RunTables) -> None:
    """render_plots draws each figure, then compresses it in a thread: the bytes are those of
    matplotlib's own ``savefig(format="png")`` at the same dpi, with no software tag."""
    from govsim.output.report import render_plots

    images = render_plots(tiny, "zh", dpi=60)
    assert list(images) == list(PLOTS)
    for stem, (function, table) in FUNCTIONS.items():
        buffer = io.BytesIO()
        function(tiny.table(table), tiny.scenario, "zh").savefig(
            buffer, format="png", dpi=60, metadata={"Software": None})
        assert images[stem] == buffer.getvalue(), stem
    assert b"Software" not in images["caseworkers"]


def test_a_figure_drawn_ahead_is_used_only_if_drawn_from_the_same_inputs(
        tiny: RunTables) -> None:
    """render_plots(drawn=...): a figure drawn elsewhere (draw_figure, as the money band's
    workers do) is taken as it is when its table, scenario, language and dpi are the ones it
    would draw from; one drawn from anything else is drawn again."""
    from govsim.output.report import DrawnFigure, draw_figure, render_plots

    checked = tiny.checked()
    frame = checked.table("staffing")
    ahead = draw_figure(frame, checked.scenario, "caseworkers", "zh", 60)
    marked = DrawnFigure(ahead.key, b"drawn ahead")
    assert render_plots(checked, "zh", 60, {"caseworkers": marked})["caseworkers"] == \
        b"drawn ahead"
    plain = render_plots(checked, "zh", 60)
    assert ahead.png == plain["caseworkers"]
    for other in (draw_figure(frame, checked.scenario, "caseworkers", "en", 60),
                  draw_figure(frame, checked.scenario, "caseworkers", "zh", 72),
                  draw_figure(frame.head(1), checked.scenario, "caseworkers", "zh", 60)):
        stale = DrawnFigure(other.key, b"drawn from something else")
        assert render_plots(checked, "zh", 60, {"caseworkers": stale}) == plain


def test_every_label_has_both_languages() -> None:
    for key, texts in LABELS.items():
        assert len(texts) == 2 and all(texts), key


def test_policy_numbers_in_labels_come_from_the_scenario() -> None:
    from govsim.output.labels import label, policy_fields

    what_if = govsim.load_scenario("tiny").with_overrides({"policy.relief_cap_share": 0.025,
                                   "policy.caseworker_ratio": 0.003})
    zh = policy_fields(what_if.policy, "zh")
    assert label("plot.relief_title", "zh", **zh) == "社会救助资金购买服务支出与2.5%上限"
    assert label("report.staffing", "zh", **zh) == "人员配备（3‰规则与儿童福利）"
    assert label("cap_range.caseworkers", "en", **policy_fields(what_if.policy, "en")) == \
        "Caseworkers short of the 3 ‰ rule (people)"
    frozen = [key for key, texts in LABELS.items() for text in texts
              if any(number in text for number in ("3%", "2‰", "2 ‰", "30%"))]
    assert frozen == []


def test_timeline_draws_one_replication_and_says_so(guangan: RunTables) -> None:
    """Providers keep their ids across replications: a failure in replication 1 must not cut
    replication 0's contract short. The first replication is drawn; the note says which."""
    from matplotlib.collections import PolyCollection

    scenario = guangan.scenario
    county, item = scenario.counties[0].id, scenario.items[0].id
    columns = ["year", "day", "county", "item", "provider", "provider_type", "event",
               "replication"]
    log = pd.DataFrame([
        (2025, 0.0, county, item, "p1", "social_org", "signed", 0),
        (2025, 0.0, county, item, "p1", "social_org", "signed", 1),
        (2025, 100.0, county, item, "p1", "social_org", "failed", 1),
    ], columns=columns)
    fig = plots.plot_contract_timeline(log, scenario, "en")
    (bars,) = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    spans = [(p.vertices[:4, 0].min(), p.vertices[:4, 0].max()) for p in bars.get_paths()]
    assert spans == [(2025.0, 2026.0)]  # replication 0's contract, to the end of the plan
    assert not [c for c in fig.axes[0].collections if not isinstance(c, PolyCollection)]
    assert "replication 0 (2 replications" in fig._supxlabel.get_text()
    zh = plots.plot_contract_timeline(log, scenario, "zh")
    assert "重复序号 0" in zh._supxlabel.get_text()
