"""Shared fixtures: the tiny and Guang'an scenarios, and the fixture folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

import govsim

FIXTURES = Path(__file__).parent / "fixtures"

# CI (CI=true) draws the same property-test examples on every run, so a red CI is reproducible
# and never a matter of luck; elsewhere every run explores new examples. print_blob: a failure
# prints the @reproduce_failure line that replays it.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def tiny() -> govsim.Scenario:
    return govsim.load_scenario("tiny")


@pytest.fixture(scope="session")
def guangan() -> govsim.Scenario:
    return govsim.load_scenario("guangan")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES
