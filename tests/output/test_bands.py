"""The first screen's 80 % bands (issue 16): every run of a scenario with uncertain inputs bands
its money needed by default (re-solved at sampled inputs); ``govsim run --uncertainty N`` (whole
runs) also bands coverage and staff short. The money table carries the bands and a table shows
the prefecture's bands from ``uncertainty.csv``, with how many samples they rest on; where a run
has none, the first screen says so and gives the exact commands that make them."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import govsim
from govsim.output.first_screen import SUGGESTED_SAMPLES, band_command, band_method, has_band
from govsim.output.html import render_report
from govsim.output.labels import label
from govsim.output.plan_workbook import write_plan_workbook
from govsim.output.report import RunTables
from govsim.uncertainty import lhs_design, money_bands, written_positions
from tests.output.money_fixture import money_needed_fixture
from tests.output.test_report import synthetic_tables


@pytest.fixture(scope="module")
def guangan() -> RunTables:
    tables = synthetic_tables(govsim.load_scenario("guangan")).checked()
    return dataclasses.replace(tables, manifest={
        "command": "govsim run --years 1 --out /tmp/somewhere --overwrite",
        "scenario": {"name": "guangan", "source": "builtin:guangan"}})


def _money(tables: RunTables, band: bool) -> pd.DataFrame:
    counties = [c.id for c in tables.scenario.counties]
    years = sorted({int(y) for y in tables.allocation["year"]})
    return money_needed_fixture(counties, years, band=band, gaps={counties[0]: 300_000.0})


def _first_screen(html: str) -> str:
    text = html[html.index('id="answers"'):html.index('id="costs"')]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).replace("&#39;", "'")


def _uncertainty(tables: RunTables, samples: int = 12) -> pd.DataFrame:
    rows = []
    for year in sorted({int(y) for y in tables.allocation["year"]}):
        for metric, unit, p10, point, p90 in (
                ("need_cny", "CNY", 2.0e7, 2.5e7, 3.1e7), ("gap_cny", "CNY", 0.0, 4e6, 9e6),
                ("coverage", "share", 0.61, 0.68, 0.74),
                ("staff_short", "people", 3.0, 7.5, 12.25)):
            rows.append({"metric": metric, "county": np.nan, "year": year, "p10": p10,
                         "p50": point, "p90": p90, "unit": unit, "point": point,
                         "samples": samples})
            rows.append({"metric": metric, "county": "yuechi", "year": year, "p10": 1.0,
                         "p50": 2.0, "p90": 3.0, "unit": unit, "point": 2.0,
                         "samples": samples})
    return pd.DataFrame(rows)


def test_without_a_band_the_first_screen_gives_the_command(guangan: RunTables) -> None:
    """A run made with --uncertainty 0 (its band columns empty, or absent)."""
    money = _money(guangan, band=False)
    empty = money.assign(need_cny_p10=math.nan, need_cny_p90=math.nan, gap_cny_p10=math.nan,
                         gap_cny_p90=math.nan)
    assert not has_band(money) and not has_band(empty)
    for table in (money, empty):
        en = _first_screen(render_report(guangan, {}, "en", table))
        assert "No 80 % band in this run (--uncertainty 0): the scenario declares 7 uncertain " \
            "inputs" in en
        # the run's own command, without --out/--overwrite: the default band; and whole runs
        assert "govsim run --years 1 gives the 80 % bands of money needed and the gap" in en
        assert f"govsim run --years 1 --uncertainty {SUGGESTED_SAMPLES} also" in en
        assert "80 % band]" not in en and "Uncertainty from the inputs" not in en
    zh = _first_screen(render_report(guangan, {}, "zh", money))
    assert "本次运行未计算80%区间" in zh and f"--uncertainty {SUGGESTED_SAMPLES}" in zh


def test_a_scenario_without_uncertain_inputs_says_so() -> None:
    tiny = synthetic_tables(govsim.load_scenario("tiny")).checked()
    en = _first_screen(render_report(tiny, {}, "en", _money(tiny, band=False)))
    assert "declares no uncertain inputs" in en and "--uncertainty" not in en


def test_with_bands_the_first_screen_shows_them_and_their_samples(guangan: RunTables) -> None:
    tables = dataclasses.replace(guangan, uncertainty=_uncertainty(guangan))
    money = _money(tables, band=True)
    assert has_band(money)
    en = _first_screen(render_report(tables, {}, "en", money))
    assert "resting on 12 Latin-hypercube samples of the scenario's 7 uncertain inputs" in en
    assert "No 80 % band" not in en
    bands = en[en.index("Uncertainty from the inputs: prefecture 80 % bands"):]
    # the prefecture rows only, each metric in its unit: coverage in %, people, 万元
    assert "Coverage (served / (arrivals + carried in)) 2025 68.0% 61.0%–74.0%" in bands
    assert "Staff short under the caps (people, both staffing rules) 2025 7.5 3.0–12.2" in bands
    assert "Money needed (万元) 2025 2,500.0 2,000.0–3,100.0" in bands
    assert "Gap (万元) 2025 400.0 0.0–900.0" in bands
    assert "1.0–3.0" not in bands  # yuechi's row is not the prefecture's
    zh = _first_screen(render_report(tables, {}, "zh", money))
    assert "来自场景 7 个不确定输入的 12 个拉丁超立方样本" in zh
    assert "覆盖率（已服务/（到达+结转）） 2025 68.0% 61.0%–74.0%" in zh


def test_band_command_keeps_the_run_and_drops_its_folder(guangan: RunTables) -> None:
    def command(text: str, source: str = "builtin:guangan") -> tuple[str, str]:
        tables = dataclasses.replace(guangan, manifest={"command": text,
                                                        "scenario": {"source": source}})
        return band_command(tables, 8)

    assert command("govsim run my.toml --seed 3 --out=x --overwrite") == \
        ("govsim run my.toml --seed 3", "govsim run my.toml --seed 3 --uncertainty 8")
    assert command("govsim run --uncertainty 0 --results r") == \
        ("govsim run", "govsim run --uncertainty 8")
    # a replay cannot take --uncertainty: the scenario it ran, by its source
    assert command("govsim run --replay m.json", "scenarios/x.toml") == \
        ("govsim run scenarios/x.toml", "govsim run scenarios/x.toml --uncertainty 8")
    assert command("", "builtin:tiny")[1] == "govsim run tiny --uncertainty 8"


def test_a_money_band_says_what_it_rests_on(guangan: RunTables) -> None:
    """The default band (money needed re-solved on the run's estimates): its note says so and
    names the command for bands of coverage and staff short; the table shows money only."""
    bands = _uncertainty(guangan, samples=10)
    bands = bands[bands["metric"].isin(["need_cny", "gap_cny"])]
    tables = dataclasses.replace(guangan, uncertainty=bands, manifest={
        **guangan.manifest, "uncertainty": {"method": "money", "samples": 10}})
    assert band_method(tables) == "money"
    assert band_method(dataclasses.replace(tables, manifest=guangan.manifest)) == "money"
    en = _first_screen(render_report(tables, {}, "en", _money(tables, band=True)))
    assert "its need plan re-solved on this run's own estimates at 10 Latin-hypercube " \
        "samples of the scenario's 7 uncertain inputs" in en
    assert f"govsim run --years 1 --uncertainty {SUGGESTED_SAMPLES}." in en
    assert "Money needed (万元) 2025 2,500.0 2,000.0–3,100.0" in en
    assert "Coverage (served" not in en
    assert "outside their 80 % band" not in en  # every point here is inside its band
    zh = _first_screen(render_report(tables, {}, "zh", _money(tables, band=True)))
    assert "按本次运行自身的估计重新求解所需资金" in zh and "10 个拉丁超立方样本" in zh
    # a gap above its band (an input's written value off the centre of its range): said so
    above = bands.assign(p90=bands["p90"].where(bands["metric"] != "gap_cny", 1e6))
    tables = dataclasses.replace(tables, uncertainty=above)
    en = _first_screen(render_report(tables, {}, "en", _money(tables, band=True)))
    # no record of where the inputs' written values lie: the general reason
    assert "This run's figures lie outside their 80 % band — the prefecture's gap: 2025: " \
        "400.0 万元" in en
    assert "no input's written value is at an end of its declared range" in en


def test_a_default_guangan_run_shows_its_band(guangan_run: govsim.RunResult) -> None:
    """A default run of the built-in scenario (library defaults: the band on): the first
    screen's money table and county table carry the run's own figure and its band, and the
    note says how many samples of how many inputs."""
    tables = guangan_run.tables
    money = tables.money_needed
    assert has_band(money) and band_method(tables) == "money"
    en = _first_screen(render_report(tables, {}, "en", money))
    samples = int(tables.manifest["uncertainty"]["samples"])
    assert f"at {samples} Latin-hypercube samples of the scenario's 7 uncertain inputs" in en
    prefecture = money[money["county"] == ""].iloc[0]
    shown = (f"{prefecture['need_cny'] / 1e4:,.1f} [{prefecture['need_cny_p10'] / 1e4:,.1f}–"
             f"{prefecture['need_cny_p90'] / 1e4:,.1f}]")
    assert shown in en
    assert "Money needed (万元) [80 % band]" in en
    zh = _first_screen(render_report(tables, {}, "zh", money))
    assert f"{samples} 个拉丁超立方样本" in zh and "所需资金（万元） [80%区间]" in zh


# -- where the point lies in its band, and why ----------------------------------------------------

def _outside(tables: RunTables) -> RunTables:
    """The money bands of ``_uncertainty`` with the prefecture's gap above its band (at the
    100th percentile of 10 samples, a total row too) and the manifest's record of the written
    values (Guang'an's own: the relief base below its declared range)."""
    bands = _uncertainty(tables, samples=10)
    bands = bands[bands["metric"].isin(["need_cny", "gap_cny"])].assign(point_percentile=40.0)
    gap = (bands["metric"] == "gap_cny") & bands["county"].isna()
    bands.loc[gap, "p90"] = 3e6
    bands.loc[gap, "point_percentile"] = 100.0
    total = bands[gap].iloc[[0]].assign(year=pd.NA, point=1.2e7, p10=0.0, p90=9e6)
    record = {"method": "money", "samples": 10,
              "written": written_positions(govsim.load_scenario("guangan"))}
    return dataclasses.replace(tables, uncertainty=pd.concat([bands, total]),
                               manifest={**tables.manifest, "uncertainty": record})


def test_a_point_outside_its_band_says_where_it_lies_and_why(guangan: RunTables) -> None:
    tables = _outside(guangan)
    money = _money(tables, band=True)
    html = render_report(tables, {}, "en", money)
    en = _first_screen(html)
    why = re.search(r'id="band-why">(.*?)</p>', html, re.S)
    assert why is not None
    # which figure, where it lies among the samples, and the input whose written value is off
    assert "This run's figures lie outside their 80 % band — the prefecture's gap: 2025: " \
        "400.0 万元 (above all 10 samples)" in en
    assert "the scenario's relief base (last year's social-assistance special-fund " \
        "expenditure) (43,960.0 万元 over the counties) is below its declared range " \
        "(44,311.7–115,219.2 万元), so every sample takes a higher value, hence a " \
        "higher relief cap and a smaller gap." in en
    # the bands table: the percentile column, and the plan horizon's total row
    bands = en[en.index("Uncertainty from the inputs: prefecture 80 % bands"):]
    assert "Where this run lies among the samples" in bands
    assert "Gap (万元) 2025 400.0 0.0–300.0 above all 10 samples" in bands
    assert "Money needed (万元) 2025 2,500.0 2,000.0–3,100.0 40th percentile of 10 samples" \
        in bands
    assert "Gap (万元) all years 1,200.0 0.0–900.0 above all 10 samples" in bands
    zh = _first_screen(render_report(tables, {}, "zh", money))
    assert "本次运行的数值落在其80%区间之外——全市缺口：2025年 400.0 万元（高于全部 10 个样本）" \
        in zh
    # the relief base in yuan (the counties' written 43,960 万元 × 1.008 and × 2.621)
    assert "救助基数（上年度社会救助专项资金支出）的场景写明值（各县合计 43,960.0 万元）" \
        "低于其声明范围（44,311.7–115,219.2 万元），每个样本都取更高的值，救助上限因而更高、" \
        "缺口更小。" in zh
    assert "10 个样本中的第 40 百分位" in zh
    assert "relief base" not in zh and "percentile of" not in zh  # one language at a time


def test_a_factor_without_a_sum_in_yuan_is_said_as_a_factor(guangan: RunTables) -> None:
    """An input scaling fields that do not add up to money (or a manifest from before the sum
    was recorded) is worded as factors of the written value."""
    tables = _outside(guangan)
    record = tables.manifest["uncertainty"]
    written = [{**entry, "written_cny": None} for entry in record["written"]]
    tables = dataclasses.replace(tables, manifest={
        **tables.manifest, "uncertainty": {**record, "written": written}})
    en = _first_screen(render_report(tables, {}, "en", _money(tables, band=True)))
    assert "expenditure) (×1, the written value itself) is below its declared range " \
        "(×1.008–×2.621 of the written value)" in en


def test_a_point_inside_its_band_adds_no_explanation(guangan: RunTables) -> None:
    tables = _outside(guangan)
    inside = tables.uncertainty.assign(p90=1e8)
    tables = dataclasses.replace(tables, uncertainty=inside)
    html = render_report(tables, {}, "en", _money(tables, band=True))
    assert 'id="band-why"' not in html and "outside their 80 % band" not in html
    assert "(above all" not in _first_screen(html)


def test_the_workbook_shows_the_percentile_and_the_reason(guangan: RunTables,
                                                         tmp_path: Path) -> None:
    tables = _outside(guangan)
    money = _money(tables, band=True)
    for lang in ("zh", "en"):
        path = write_plan_workbook(tables, tmp_path / f"plan-{lang}.xlsx", lang, money)
        sheet = openpyxl.load_workbook(path)[label("xlsx.sheet_money", lang)]
        rows = list(sheet.iter_rows(values_only=True))
        heads = list(rows[0])
        gap_pct = heads.index(label("xlsx.gap_pct", lang))
        need_pct = heads.index(label("xlsx.need_pct", lang))
        prefecture = [r for r in rows[1:] if r[1] == label("xlsx.prefecture", lang)]
        assert prefecture and all(r[gap_pct] == 100.0 and r[need_pct] == 40.0
                                  for r in prefecture)
        notes = [r[0] for r in rows[1:] if isinstance(r[0], str)]  # the line under the table
        assert len(notes) == 1
        assert notes[0].startswith("本次运行的数值落在其80%区间之外" if lang == "zh"
                                   else "This run's figures lie outside their 80 % band")
        assert ("救助基数" if lang == "zh" else "relief base") in notes[0]


def test_guangans_gap_band_lies_below_its_point_because_of_the_relief_base(
        guangan_run: govsim.RunResult) -> None:
    """The default run's band at its own design: with only the relief base drawn (every other
    input at its written value) money needed is the run's to the yuan and the gap never above
    it — the relief base's draws, all above its written value, only raise the caps; with the
    relief base held at its written value and the others drawn, the run's gap lies within the
    samples' range. The report says so exactly when a figure lies outside its band."""
    tables, scenario = guangan_run.tables, guangan_run.scenario
    money = tables.money_needed
    samples = int(tables.manifest["uncertainty"]["samples"])
    seed = guangan_run.options.seed
    design = lhs_design(scenario, samples, seed).values
    assert (design["relief_base"] > 1.0).all()  # every draw above the written value

    def outcomes(values: pd.DataFrame) -> pd.DataFrame:
        band = money_bands(scenario, guangan_run.estimates, samples, seed,
                           solver=guangan_run.options.solver, point=money,
                           design_values=values)
        point = money.melt(id_vars=["year", "county"], value_vars=["need_cny", "gap_cny"],
                           var_name="metric", value_name="point")
        return band.outcomes.merge(point, on=["metric", "county", "year"])

    written = design.assign(**{c: 1.0 for c in design.columns if c != "sample"})
    only_relief = outcomes(written.assign(relief_base=design["relief_base"]))
    need = only_relief[only_relief["metric"] == "need_cny"]
    assert (need["value"] == need["point"].astype(float)).all()
    gap = only_relief[only_relief["metric"] == "gap_cny"]
    assert (gap["value"] <= gap["point"].astype(float)).all()
    positive = gap[gap["point"].astype(float) > 0]
    assert len(positive) and (positive["value"] < positive["point"].astype(float)).all()
    held = outcomes(design.assign(relief_base=1.0))
    held = held[held["metric"] == "gap_cny"].groupby("county").agg(
        low=("value", "min"), high=("value", "max"), point=("point", "first"))
    assert ((held["low"] <= held["point"].astype(float))
            & (held["point"].astype(float) <= held["high"])).all(), held
    # the report: the explanation exactly when some figure lies outside its band
    bands = tables.uncertainty
    outside = bool(((bands["point"] < bands["p10"]) | (bands["point"] > bands["p90"])).any())
    html = render_report(tables, {}, "en", money)
    assert ('id="band-why"' in html) == outside
    if outside:
        assert "relief base" in html and "is below its declared range" in html
