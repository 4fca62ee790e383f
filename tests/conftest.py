"""Shared fixtures: the tiny and Guang'an scenarios, and the fixture folder."""

from __future__ import annotations

from pathlib import Path

import pytest

import govsim

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def tiny() -> govsim.Scenario:
    return govsim.load_scenario("tiny")


@pytest.fixture(scope="session")
def guangan() -> govsim.Scenario:
    return govsim.load_scenario("guangan")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES
