"""Golden tables: a re-layout of the code must not change a single figure of a run.

Two runs are recorded in ``tests/golden/``: ``govsim run tiny --years 2 --replications 2
--seed 7`` and ``govsim run guangan --years 1 --replications 2 --seed 7``. For each run and
each table (allocation, staffing, compliance, constraints, kpis, contracts, explanations,
goals) the recording holds the SHA-256 of the table as the run folder writes it (contract
column order, ``to_csv``); the tiny run's tables are kept as CSV too, so that a difference
can be read.

A change that alters figures on purpose re-records the files::

    GOVSIM_RECORD_GOLDEN=1 python -m pytest tests/test_golden.py

and says in its commit why the figures changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest

import govsim

GOLDEN = Path(__file__).parent / "golden"
TABLES = ("allocation", "staffing", "compliance", "constraints", "kpis", "contracts",
          "explanations", "goals")
#: run name -> (scenario, years, replications, seed); solved with HiGHS, the default of
#: ``govsim.run`` and of ``govsim run``, so that the tiny recording equals the CLI run's CSVs.
RUNS = {
    "tiny-2y-r2-s7": ("tiny", 2, 2, 7),
    "guangan-1y-r2-s7": ("guangan", 1, 2, 7),
}
RECORD = os.environ.get("GOVSIM_RECORD_GOLDEN") == "1"


def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


@pytest.mark.parametrize("name", sorted(RUNS))
def test_run_tables_are_unchanged(name: str) -> None:
    scenario, years, replications, seed = RUNS[name]
    result = govsim.run(govsim.load_scenario(scenario), years=years,
                        replications=replications, seed=seed, solver="highs", workers=1)
    tables = result.tables.checked()
    texts = {table: _csv(tables.table(table)) for table in TABLES}
    hashes = {table: hashlib.sha256(text.encode("utf-8")).hexdigest()
              for table, text in texts.items()}
    record = GOLDEN / f"{name}.json"
    keep_csv = name.startswith("tiny")
    if RECORD:
        GOLDEN.mkdir(exist_ok=True)
        record.write_text(json.dumps(hashes, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if keep_csv:
            for table, text in texts.items():
                (GOLDEN / name).mkdir(exist_ok=True)
                (GOLDEN / name / f"{table}.csv").write_text(text, encoding="utf-8")
    expected = json.loads(record.read_text(encoding="utf-8"))
    changed = [table for table in TABLES if hashes[table] != expected.get(table)]
    if changed and keep_csv:
        for table in changed:  # show the first differing line of each table
            old = (GOLDEN / name / f"{table}.csv").read_text(encoding="utf-8").splitlines()
            new = texts[table].splitlines()
            first = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
                         min(len(old), len(new)))
            print(f"{table}: line {first + 1}\n  golden: {old[first:first + 1]}\n"
                  f"  now:    {new[first:first + 1]}")
    assert not changed, f"{name}: tables differ from tests/golden/: {changed}"
