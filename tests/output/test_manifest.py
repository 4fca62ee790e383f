"""govsim.output.manifest: one builder, the same keys in every kind of output folder."""

from __future__ import annotations

import json
from pathlib import Path

import govsim
from govsim.cli import main
from govsim.output.manifest import build_manifest, scenario_hash_of

COMMON = {"kind", "command", "scenario", "versions", "started_utc", "finished_utc", "files"}


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_builder_puts_the_common_keys_around_the_kinds_own(tiny: govsim.Scenario) -> None:
    record = build_manifest("allocate", scenario=tiny, command="govsim allocate tiny", year=2025)
    assert list(record)[:4] == ["kind", "command", "scenario", "year"]
    assert record["scenario"] == {"name": "tiny", "source": "builtin:tiny",
                                  "content_hash": tiny.content_hash()}
    assert record["versions"]["govsim"] == govsim.__version__
    assert record["started_utc"] <= record["finished_utc"]
    assert "data" in build_manifest("run", scenario=tiny, with_data=True)["scenario"]


def test_old_and_new_manifests_give_the_scenario_hash(tiny: govsim.Scenario) -> None:
    assert scenario_hash_of(build_manifest("run", scenario=tiny)) == tiny.content_hash()
    assert scenario_hash_of({"scenario": "tiny", "scenario_hash": "abc"}) == "abc"
    assert scenario_hash_of({"kind": "sweep-export"}) is None


def test_allocate_and_simulate_folders_share_the_keys(tmp_path: Path,
                                                       tiny: govsim.Scenario) -> None:
    assert main(["allocate", "tiny", "--out", str(tmp_path / "a")]) == 0
    assert main(["simulate", "tiny", "--years", "1", "--replications", "1", "--workers", "1",
                 "--out", str(tmp_path / "s")]) == 0
    for folder, kind in ((tmp_path / "a", "allocate"), (tmp_path / "s", "simulate")):
        manifest = _manifest(folder)
        assert set(manifest) >= COMMON and manifest["kind"] == kind
        assert scenario_hash_of(manifest) == tiny.content_hash()
        assert (folder / "kpis.csv" if kind == "simulate" else folder / "allocation.csv") \
            .read_bytes().startswith(b"\xef\xbb\xbf")  # CSV_ENCODING everywhere
