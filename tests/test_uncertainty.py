"""Uncertainty from the inputs: ``[[uncertainty]]`` validation, the Latin-hypercube design,
80 % bands, drivers (standardised rank regression) and reproducibility across worker counts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import govsim
from govsim.budget import PREFECTURE, money_needed
from govsim.cli import main
from govsim.errors import ScenarioError
from govsim.scenario import scenario_from_text
from govsim.uncertainty import budget_uncertainty, lhs_design, sample_scenario, srrc

TINY = Path(govsim.__file__).parent / "scenarios" / "tiny.toml"


def with_inputs(*entries: str) -> str:
    return TINY.read_text(encoding="utf-8") + "".join(
        f"\n[[uncertainty]]\n{entry}\n" for entry in entries)


def scenario(*entries: str) -> govsim.Scenario:
    return scenario_from_text(with_inputs(*entries), "tiny+uncertainty.toml")


RATES = 'id = "rates"\npath = "items.*.rate"\nlow = {low}\nhigh = {high}'
WAIT = 'id = "waits"\npath = "items.*.target_wait_days"\nlow = 0.5\nhigh = 2.0'


def test_draws_follow_their_distributions() -> None:
    s = scenario('id = "a"\npath = "items.*.rate"\nlow = 0.5\nhigh = 1.5',
                 'id = "b"\npath = "items.*.mean_hours"\ndistribution = "triangular"\n'
                 'low = 0.5\nhigh = 2.0\npeak = 1.0',
                 'id = "c"\npath = "provider_types.*.cost_per_fte_year"\n'
                 'distribution = "normal"\nlow = 0.9\nhigh = 1.1\nmean = 1.0\nsd = 0.2')
    design = lhs_design(s, 200, seed=3)
    values = design.values
    for name, low, high in (("a", 0.5, 1.5), ("b", 0.5, 2.0), ("c", 0.9, 1.1)):
        assert values[name].between(low, high).all()
    # a Latin hypercube: exactly one point in each of the 200 strata of every input
    for j in range(3):
        assert sorted(np.floor(design.unit[:, j] * 200).astype(int)) == list(range(200))
    assert values["a"].mean() == pytest.approx(1.0, abs=0.01)
    assert values["b"].mean() == pytest.approx((0.5 + 2.0 + 1.0) / 3, abs=0.02)
    assert values["c"].mean() == pytest.approx(1.0, abs=0.01)  # symmetric truncation
    # same seed, same design; another seed, another
    assert design.values.equals(lhs_design(s, 200, seed=3).values)
    assert not design.values.equals(lhs_design(s, 200, seed=4).values)


def test_a_sample_scales_every_matched_field() -> None:
    s = scenario(RATES.format(low=0.5, high=1.5))
    design = lhs_design(s, 4, seed=1)
    sampled = sample_scenario(s, design, 2)
    factor = float(design.values.loc[2, "rates"])
    for before, after in zip(s.items, sampled.items, strict=True):
        assert after.rate == pytest.approx(before.rate * factor)
    assert sampled.uncertainty == ()
    assert govsim.load_scenario("tiny").content_hash() == \
        scenario_from_text(TINY.read_text(encoding="utf-8"), "x").content_hash()


@pytest.mark.parametrize("entry, path, words", [
    ('id = "x"\npath = "items.*.ratee"\nlow = 0.5\nhigh = 1.5', "uncertainty[0].path",
     "matches no field"),
    ('id = "x"\npath = "counties.north.dibao"\nlow = 0.5\nhigh = 1.5', "uncertainty[0].path",
     "matches no field"),
    ('id = "x"\npath = "items.*.name_zh"\nlow = 0.5\nhigh = 1.5', "uncertainty[0].path",
     "not a number"),
    ('id = "x"\npath = "items.*.rate"\nlow = 1.5\nhigh = 0.5', "uncertainty[0]",
     "must be below high"),
    ('id = "x"\npath = "items.*.rate"\ndistribution = "triangular"\nlow = 0.5\nhigh = 1.5',
     "uncertainty[0]", "peak"),
    ('id = "x"\npath = "items.*.rate"\ndistribution = "normal"\nlow = 0.5\nhigh = 1.5\n'
     'mean = 1.0', "uncertainty[0]", "sd"),
    ('id = "x"\npath = "policy.relief_cap_share"\nlow = 0.5\nhigh = 50', "uncertainty[0].high",
     "invalid"),
    ('id = "x"\npath = "items.*.rate"\nlow = 0.5\nhigh = 1.5\nshape = 2', "uncertainty[0].shape",
     ""),
])
def test_bad_entries_exit_2_with_their_field_path(tmp_path: Path, entry: str, path: str,
                                                   words: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(with_inputs(entry), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        govsim.load_scenario(str(file))
    assert any(p.path.startswith(path) for p in caught.value.problems), caught.value.problems
    assert main(["validate", str(file)]) == 2
    err = capsys.readouterr().err
    assert path in err and words in err and "bad.toml" in err


def test_duplicate_ids_are_refused() -> None:
    entry = RATES.format(low=0.5, high=1.5)
    with pytest.raises(ScenarioError, match="duplicate id"):
        scenario(entry, entry)


def test_srrc_ranks_a_linear_input_and_ignores_noise() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((50, 3))
    coef, r2 = srrc(x, 3 * x[:, 1] + 0.1 * x[:, 2])
    assert abs(coef[1]) > 0.9 and abs(coef[0]) < 0.1 and r2 > 0.95
    coef, r2 = srrc(x, np.ones(50))  # nothing varies: missing, never 0
    assert np.isnan(coef).all() and np.isnan(r2)


@pytest.fixture(scope="module")
def narrow_and_wide() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    narrow = scenario(RATES.format(low=0.9, high=1.1), WAIT)
    wide = scenario(RATES.format(low=0.7, high=1.3), WAIT)
    point = money_needed(narrow, 1)
    a = budget_uncertainty(narrow, 12, seed=5, years=1, workers=1, point=point)
    b = budget_uncertainty(wide, 12, seed=5, years=1, workers=1, point=point)
    return a.bands, b.bands, a.drivers


def _band(bands: pd.DataFrame, metric: str) -> pd.Series:
    return bands[(bands["metric"] == metric) & (bands["county"] == PREFECTURE)].iloc[0]


def test_bands_contain_the_point_estimate(narrow_and_wide: tuple[pd.DataFrame, ...]) -> None:
    bands = narrow_and_wide[0]
    for metric in ("need_cny", "coverage"):
        row = _band(bands, metric)
        assert row["p10"] <= row["point"] <= row["p90"], row
        assert row["p10"] < row["p90"]
        assert row["samples"] == 12


def test_bands_widen_with_wider_input_ranges(narrow_and_wide: tuple[pd.DataFrame, ...]) -> None:
    narrow, wide, _ = narrow_and_wide
    for metric in ("need_cny", "coverage"):
        n, w = _band(narrow, metric), _band(wide, metric)
        assert w["p90"] - w["p10"] > n["p90"] - n["p10"]


def test_the_only_input_that_matters_ranks_first(
        narrow_and_wide: tuple[pd.DataFrame, ...]) -> None:
    drivers = narrow_and_wide[2]
    need = drivers[drivers["metric"] == "need_cny"]
    assert need.iloc[0]["input"] == "rates"
    assert need.iloc[0]["index"] > 0.9  # more demand, more money
    assert abs(need.set_index("input").loc["waits", "index"]) < 0.2  # target waits: not in the LP
    assert set(drivers["method"]) == {"srrc"}


def test_tables_do_not_depend_on_the_worker_count() -> None:
    s = scenario(RATES.format(low=0.8, high=1.2),
                 'id = "base"\npath = "counties.*.relief_fund_last_year"\nlow = 0.5\nhigh = 2')
    serial = budget_uncertainty(s, 6, seed=11, years=1, workers=1)
    pooled = budget_uncertainty(s, 6, seed=11, years=1, workers=2)
    pd.testing.assert_frame_equal(serial.bands, pooled.bands)
    pd.testing.assert_frame_equal(serial.drivers, pooled.drivers)
    pd.testing.assert_frame_equal(serial.outcomes, pooled.outcomes)


def test_budget_command_with_uncertainty(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "tinyu.toml"
    file.write_text(with_inputs(RATES.format(low=0.8, high=1.2), WAIT), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["budget", str(file), "--uncertainty", "5", "--years", "1", "--workers", "1",
                 "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"uncertainty.csv", "uncertainty_drivers.csv", "uncertainty_samples.csv"} <= names
    table = pd.read_csv(out / "money_needed.csv", encoding="utf-8-sig")
    assert table["need_cny_p10"].notna().all()
    assert (table["need_cny_p10"] <= table["need_cny_p90"]).all()
    assert "80 % bands (5 Latin-hypercube samples)" in capsys.readouterr().out


def test_run_with_uncertainty(tmp_path: Path) -> None:
    file = tmp_path / "tinyu.toml"
    file.write_text(with_inputs(RATES.format(low=0.8, high=1.2)), encoding="utf-8")
    out = tmp_path / "run"
    assert main(["run", str(file), "--years", "1", "--replications", "2", "--workers", "1",
                 "--uncertainty", "3", "--out", str(out)]) == 0
    bands = pd.read_csv(out / "uncertainty.csv", encoding="utf-8-sig", keep_default_na=False)
    assert set(bands["metric"]) == {"need_cny", "gap_cny", "staff_short", "coverage"}
    assert (bands["samples"] == 3).all()
    assert (out / "uncertainty_drivers.csv").exists()
    assert main(["run", "--replay", str(out / "manifest.json"), "--uncertainty", "3"]) == 2
