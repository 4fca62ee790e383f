"""Sweeps (issue 12, items 11 and 15): a stated maximum size, and nothing written outside the
sweep folder through a symbolic link."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from govsim.bounds import LIMITS
from govsim.cli import main
from govsim.output.tables import write_analysis
from govsim.sweep import SweepError, SweepSpecError, load_sweep_spec, run_sweep
from govsim.sweep.runner import check_sweep_size, open_sweep
from govsim.sweep.store import JOURNAL_FILE, SweepStore
from tests.hardening import ROOT

MINI = '''[sweep]
name = "mini"
scenario = "tiny"
stage = "allocate"
metrics = ["spend_cny"]
{extra}
[sampler]
method = "{method}"
{sampler}

[[parameters]]
path = {path}
low = 0.02
high = 0.03
{more}
'''


def spec_text(method: str = "grid", sampler: str = "levels = 2", extra: str = "",
              path: str = '"policy.relief_cap_share"', more: str = "") -> str:
    return MINI.format(method=method, sampler=sampler, extra=extra, path=path, more=more)


SECOND = '''
[[parameters]]
path = "policy.social_org_min_share"
low = 0.2
high = 0.4
'''


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished two-run sweep folder (allocate stage: about a second)."""
    folder = tmp_path_factory.mktemp("sweep") / "mini"
    run_sweep(spec_text(), folder, workers=1)
    return folder


# -- item 11: size ---------------------------------------------------------------------------------

@pytest.mark.parametrize("method, sampler, extra, more, runs", [
    ("grid", "levels = 1000", "", SECOND + SECOND.replace("social_org_min_share",
                                                          "utilisation_target"), 10**9),
    ("sobol", "points = 8388608", "", SECOND, 8 * 2**20 * 4),
    ("random", "points = 10000000", "replications = 100000", "", 10**12),
])
def test_absurd_sweeps_are_refused_before_anything_is_drawn(
        tmp_path: Path, method: str, sampler: str, extra: str, more: str, runs: int) -> None:
    text = spec_text(method, sampler, extra.replace("100000", "1") if method != "random"
                     else "", more=more)
    if method == "random":  # allocate sweeps are deterministic: use the simulate stage
        text = text.replace('stage = "allocate"', 'stage = "simulate"').replace(
            'metrics = ["spend_cny"]', 'metrics = ["served"]\nreplications = 100000')
    spec = load_sweep_spec(text)
    started = time.monotonic()
    for force in (False, True):
        with pytest.raises(SweepError, match=f"{runs:,} runs"):
            run_sweep(spec, tmp_path / "out", workers=1, force=force)
    assert time.monotonic() - started < 5  # no design drawn, no MemoryError
    assert not (tmp_path / "out").exists()


def test_above_the_stated_maximum_needs_force() -> None:
    soft = LIMITS["sweep_runs"].value
    spec = load_sweep_spec(spec_text("random", f"points = {soft + 1}").replace(
        'stage = "allocate"', 'stage = "simulate"').replace('"spend_cny"', '"served"'))
    with pytest.raises(SweepError, match="--force"):
        check_sweep_size(spec)
    assert check_sweep_size(spec, force=True) == soft + 1
    at = load_sweep_spec(spec_text("random", f"points = {soft}").replace(
        'stage = "allocate"', 'stage = "simulate"').replace('"spend_cny"', '"served"'))
    assert check_sweep_size(at) == soft  # exactly the maximum needs no --force


@pytest.mark.parametrize("path", ["[]", '""', '["policy.relief_cap_share", ""]'])
def test_empty_paths_are_refused(path: str) -> None:
    with pytest.raises(SweepSpecError, match=r"parameters\[0\]\.path"):
        load_sweep_spec(spec_text(path=path))


def test_run_count_and_estimate_are_printed_before_starting(
        swept: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = swept.parent / "mini.toml"
    spec.write_text(spec_text(), encoding="utf-8")
    assert main(["sweep", "run", str(spec), "--out", str(swept), "--workers", "1",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert "2 points × 1 replications = 2 runs" in first
    assert "2 runs stored; estimated time for the other 0" in out


# -- item 15: no symbolic links out of the sweep folder --------------------------------------------

def test_a_linked_journal_is_refused_and_left_alone(swept: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.log"
    outside.write_text("not govsim's\n", encoding="utf-8")
    journal = swept / JOURNAL_FILE
    saved = journal.read_text(encoding="utf-8")
    journal.unlink()
    journal.symlink_to(outside)
    try:
        with pytest.raises(SweepError, match="symbolic link"):
            SweepStore(swept)
        with pytest.raises(SweepError, match="symbolic link"):
            run_sweep(spec_text(), swept, workers=1, retry_failed=True)
        assert outside.read_text(encoding="utf-8") == "not govsim's\n"
    finally:
        journal.unlink()
        journal.write_text(saved, encoding="utf-8")


def test_a_linked_analysis_folder_is_refused(swept: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (swept / "analysis").symlink_to(elsewhere, target_is_directory=True)
    try:
        table = pd.DataFrame({"metric": ["spend_cny"], "parameter": ["x"], "S1": [0.1],
                              "S1_conf": [0.0], "ST": [0.1], "ST_conf": [0.0]})
        with pytest.raises(SweepError, match="symbolic link"):
            write_analysis(open_sweep(swept), table, "sobol")
        assert list(elsewhere.iterdir()) == []
    finally:
        (swept / "analysis").unlink()


def test_a_linked_store_is_refused(tmp_path: Path, swept: Path) -> None:
    folder = tmp_path / "linked"
    folder.mkdir()
    (folder / "sweep.duckdb").symlink_to(swept / "sweep.duckdb")
    with pytest.raises(SweepError, match="symbolic link"):
        open_sweep(folder)


def test_export_never_overwrites_without_overwrite(swept: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "export"
    assert main(["sweep", "export", str(swept), "--csv", "--to", str(target)]) == 0
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json", "points.csv",
                                                        "results.csv", "runs.csv"]
    assert main(["sweep", "export", str(swept), "--csv", "--to", str(target)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["sweep", "export", str(swept), "--csv", "--to", str(target),
                 "--overwrite"]) == 0
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "points.csv").write_text("my own\n", encoding="utf-8")
    assert main(["sweep", "export", str(swept), "--csv", "--to", str(mine),
                 "--overwrite"]) == 2
    assert (mine / "points.csv").read_text(encoding="utf-8") == "my own\n"


@pytest.mark.parametrize("low, high", [("-1e308", "1.3"), ("0.7", "1e308")])
def test_a_scale_that_overflows_its_base_is_a_clear_error(low: str, high: str) -> None:
    """Found by the fuzz test: public caseworkers (6) scaled by -1e308 overflowed to -inf and
    the rounding of a whole number raised OverflowError instead of a sweep-file problem."""
    text = (ROOT / "scenarios" / "sweeps" / "tiny.toml").read_text(encoding="utf-8")
    old = 'path = "counties.*.public_caseworkers"\nmode = "scale"'
    assert old in text
    start = text.index(old)
    end = text.index("high = 1.3", start) + len("high = 1.3")
    text = text[:start] + old + f"\nlow = {low}\nhigh = {high}" + text[end:]
    with pytest.raises(SweepSpecError, match="not finite"):
        load_sweep_spec(text)
