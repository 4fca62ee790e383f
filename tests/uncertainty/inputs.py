"""Scenarios with ``[[uncertainty]]`` entries for the tests: tiny plus the entries given."""

from __future__ import annotations

from pathlib import Path

import govsim
from govsim.scenario import scenario_from_text

TINY = Path(govsim.__file__).parent / "scenarios" / "tiny.toml"
RATES = 'id = "rates"\npath = "items.*.rate"\nlow = {low}\nhigh = {high}'
WAIT = 'id = "waits"\npath = "items.*.target_wait_days"\nlow = 0.5\nhigh = 2.0'


def with_inputs(*entries: str) -> str:
    """The text of tiny.toml with ``entries`` appended as ``[[uncertainty]]`` tables."""
    return TINY.read_text(encoding="utf-8") + "".join(
        f"\n[[uncertainty]]\n{entry}\n" for entry in entries)


def scenario(*entries: str) -> govsim.Scenario:
    return scenario_from_text(with_inputs(*entries), "tiny+uncertainty.toml")
