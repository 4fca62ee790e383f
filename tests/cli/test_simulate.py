"""``govsim simulate``: files, manifest, summary and errors (run in-process through ``main``)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import govsim
from govsim.cli import main


def test_simulate_writes_tables_and_manifest(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    code = main(["simulate", "tiny", "--years", "1", "--replications", "2", "--seed", "3",
                 "--workers", "1", "--out", str(out)])
    assert code == 0
    assert {p.name for p in out.iterdir()} == {"kpis.csv", "summary.csv", "contracts.csv",
                                                "providers.csv", "manifest.json"}
    kpis = pd.read_csv(out / "kpis.csv")
    assert len(kpis) == 2 * 8 and set(kpis["replication"]) == {0, 1}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"]["content_hash"] == govsim.load_scenario("tiny").content_hash()
    assert manifest["seed"] == 3 and manifest["replications"] == 2
    assert manifest["years"] == [2025]
    assert manifest["versions"]["govsim"] == govsim.__version__
    assert {"simpy", "numpy", "pandas"} <= set(manifest["versions"])
    assert manifest["command"].startswith("govsim simulate tiny --years 1")
    assert manifest["started_utc"] <= manifest["finished_utc"]
    printed = capsys.readouterr().out
    assert "2025" in printed and "served" in printed
    # a second run into the same folder needs --overwrite, then replaces the folder, leaving
    # no temporary folder
    again = ["simulate", "tiny", "--years", "1", "--replications", "1", "--workers", "1",
             "--out", str(out)]
    assert main(again) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main([*again, "--overwrite"]) == 0
    assert json.loads((out / "manifest.json").read_text())["replications"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@pytest.mark.parametrize("argv", [["simulate", "no-such-scenario"],
                                  ["simulate", "tiny", "--years", "0"],
                                  ["simulate", "tiny", "--seed", "-1"]])
def test_bad_input_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err
