"""Uncertainty from the inputs (``govsim.uncertainty``): the Latin-hypercube design, 80 % bands,
drivers (standardised rank regression), reproducibility across worker counts and sampled runs.
(The entries' validation is tested in ``tests/scenario/test_uncertain.py``.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govsim.budget import PREFECTURE, money_needed
from govsim.uncertainty import budget_uncertainty, lhs_design, srrc
from tests.uncertainty.inputs import RATES, WAIT, scenario


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


def test_srrc_is_missing_with_fewer_than_two_samples_per_term() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((15, 6))  # 7 terms with the intercept: 14 samples needed, 15 given
    coef, _ = srrc(x, x[:, 0] + 0.01 * rng.random(15))
    assert np.all(np.isfinite(coef))
    coef, r2 = srrc(x[:13], x[:13, 0])  # 13 < 14: the regression would fit the noise
    assert np.all(np.isnan(coef)) and np.isnan(r2)


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


def test_the_terminal_says_when_there_are_too_few_samples_for_drivers(
        capsys: pytest.CaptureFixture[str]) -> None:
    from govsim.cli.budget import print_uncertainty

    bands = pd.DataFrame({"metric": ["need_cny"], "county": [""], "year": [2025],
                          "p10": [1.0], "p50": [2.0], "p90": [3.0], "point": [2.0]})
    inputs = [f"input{k}" for k in range(7)]
    drivers = pd.DataFrame({"metric": "need_cny", "input": inputs, "index": np.nan,
                            "method": "srrc", "r2": np.nan, "samples": 10})
    print_uncertainty(bands, drivers, 10, "en")
    assert "too few samples (10 samples of 7 uncertain inputs; at least 16 needed)" in \
        capsys.readouterr().out
    print_uncertainty(bands, drivers.assign(index=0.5, r2=0.9, samples=16), 16, "en")
    shown = capsys.readouterr().out
    assert "too few" not in shown and "input0" in shown
