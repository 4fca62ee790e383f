"""The first screen's 80 % bands (issue 16): every run of a scenario with uncertain inputs bands
its money needed by default (re-solved at sampled inputs); ``govsim run --uncertainty N`` (whole
runs) also bands coverage and staff short. The money table carries the bands and a table shows
the prefecture's bands from ``uncertainty.csv``, with how many samples they rest on; where a run
has none, the first screen says so and gives the exact commands that make them."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pandas as pd
import pytest

import govsim
from govsim.output.first_screen import SUGGESTED_SAMPLES, band_command, band_method, has_band
from govsim.output.html import render_report
from govsim.output.report import RunTables
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
    assert "may lie outside its band" not in en  # every point here is inside its band
    zh = _first_screen(render_report(tables, {}, "zh", _money(tables, band=True)))
    assert "按本次运行自身的估计重新求解所需资金" in zh and "10 个拉丁超立方样本" in zh
    # a gap above its band (an input's written value off the centre of its range): said so
    above = bands.assign(p90=bands["p90"].where(bands["metric"] != "gap_cny", 1e6))
    tables = dataclasses.replace(tables, uncertainty=above)
    en = _first_screen(render_report(tables, {}, "en", _money(tables, band=True)))
    assert "A run's figure may lie outside its band" in en


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
