"""Plausibility bounds of ``govsim/data/bounds.toml`` at their edges (govsim/bounds.py)."""

from __future__ import annotations

import pytest

import govsim
from govsim.errors import ScenarioError


@pytest.mark.parametrize("distribution", ["lognormal", "gamma"])
def test_service_cv_at_its_bound(distribution: str) -> None:
    """cv = 100 simulates; a hair above, or the 1e308 the fuzzer found, is an input error."""
    tiny = govsim.load_scenario("tiny")
    edge = tiny.with_overrides({"items.care.distribution": distribution, "items.care.cv": 100.0})
    result = govsim.simulate(edge, years=1, replications=1, workers=1)
    assert result.kpis["served"].sum() > 0
    for cv in (100.5, 1e308):
        with pytest.raises(ScenarioError, match=r"items\[1\]\.cv.*above 100"):
            tiny.with_overrides({"items.care.distribution": distribution, "items.care.cv": cv})
