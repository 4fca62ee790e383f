"""The synthetic scenario generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import govsim
from govsim.generate import generate_scenario, write_scenario


def test_same_seed_same_scenario_other_seed_differs() -> None:
    a, b = generate_scenario(20, seed=5), generate_scenario(20, seed=5)
    assert a.content_hash() == b.content_hash()
    assert generate_scenario(20, seed=6).content_hash() != a.content_hash()


def test_spread_is_realistic() -> None:
    scenario = generate_scenario(183, seed=1)
    population = np.array([c.population for c in scenario.counties])
    assert len(population) == 183
    assert 150_000 < np.median(population) < 800_000
    assert population.max() / population.min() > 10  # lognormal spread, not uniform
    short = [c for c in scenario.counties
             if c.public_caseworkers < govsim.caseworkers_required(c, 0.002)]
    assert len(short) > 150  # most counties fall short of 2 per thousand, as in Guang'an


def test_written_file_round_trips(tmp_path: Path) -> None:
    scenario = generate_scenario(7, seed=2)
    loaded = govsim.load_scenario(write_scenario(scenario, tmp_path / "s.toml"))
    assert loaded.content_hash() == scenario.content_hash()
