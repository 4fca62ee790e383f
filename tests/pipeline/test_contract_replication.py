"""Contract events carry the replication they happened in (issue 16)."""

from __future__ import annotations

from pathlib import Path

import govsim


def test_contract_events_carry_their_replication(tiny: govsim.Scenario, tmp_path: Path) -> None:
    result = govsim.run(tiny, years=1, replications=2, seed=7, workers=1)
    contracts = result.tables.contracts
    assert "replication" in contracts.columns
    assert set(contracts["replication"]) == {0, 1}
