"""Fixtures shared by the report tests: one real Guang'an run (library defaults: its money
needed banded), made once per session for the browser and first-screen tests."""

from __future__ import annotations

import pytest

import govsim


@pytest.fixture(scope="session")
def guangan_run() -> govsim.RunResult:
    # the scenario loaded here: test modules name their own ``guangan`` fixtures
    return govsim.run(govsim.load_scenario("guangan"), years=1, replications=2, seed=7,
                      workers=1)
