"""The first screen's 80 % bands (issue 16): where a run has them (``govsim run --uncertainty
N``) the money table carries them and a table shows the prefecture's bands of money needed, the
gap, coverage and staff short from ``uncertainty.csv``, with how many samples they rest on;
where it has none, the first screen says so and gives the exact command that makes them."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pandas as pd
import pytest

import govsim
from govsim.output.first_screen import SUGGESTED_SAMPLES, band_command, has_band
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
    money = _money(guangan, band=False)
    # a run's table has the band columns, empty: that is no band either
    empty = money.assign(need_cny_p10=math.nan, need_cny_p90=math.nan, gap_cny_p10=math.nan,
                         gap_cny_p90=math.nan)
    assert not has_band(money) and not has_band(empty)
    for table in (money, empty):
        en = _first_screen(render_report(guangan, {}, "en", table))
        assert "No 80 % band in this run: the scenario declares 7 uncertain inputs" in en
        # the run's own command, without --out/--overwrite, with --uncertainty
        assert f"govsim run --years 1 --uncertainty {SUGGESTED_SAMPLES} gives" in en
        assert "govsim budget guangan --uncertainty 20" in en
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
    def command(text: str, source: str = "builtin:guangan") -> str:
        tables = dataclasses.replace(guangan, manifest={"command": text,
                                                        "scenario": {"source": source}})
        return band_command(tables, 8)[0]

    assert command("govsim run my.toml --seed 3 --out=x --overwrite") == \
        "govsim run my.toml --seed 3 --uncertainty 8"
    assert command("govsim run --uncertainty 4 --results r") == "govsim run --uncertainty 8"
    # a replay cannot take --uncertainty: the scenario it ran, by its source
    assert command("govsim run --replay m.json", "scenarios/x.toml") == \
        "govsim run scenarios/x.toml --uncertainty 8"
    assert command("", "builtin:tiny") == "govsim run tiny --uncertainty 8"
