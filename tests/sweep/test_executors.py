"""Sweeps across processes: executors agree, SIGKILL and Ctrl-C lose nothing finished.

One small simulate-stage sweep of the tiny scenario (4 points × 2 replications, one plan year)
is run in this process as the reference; two local worker processes, a Dask cluster started
here (real scheduler and worker processes on loopback) must give the same ``runs`` table; a
sweep killed with SIGKILL and one stopped with SIGINT (on Guang'an over three years, runs long
enough to be stopped part-way), each resumed, must give the table of that sweep run in one go.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from govsim.sweep import open_sweep, run_sweep
from govsim.sweep.store import JOURNAL_FILE, MANIFEST_FILE
from tests.hardening import interruptible

SPEC = """\
[sweep]
name = "exec"
scenario = "tiny"
stage = "simulate"
replications = 2
seed = 5
years = 1
metrics = ["served", "abandoned", "coverage", "wait_p90_days", "cost"]

[sampler]
method = "random"
points = 4

[[parameters]]
name = "care_rate"
path = "items.care.rate"
low = 2.5
high = 5.0

[[parameters]]
name = "public_staff"
path = "counties.*.public_caseworkers"
mode = "scale"
low = 0.7
high = 1.3
"""
TOTAL = 8
#: The interruption tests' sweep: the same on Guang'an over three plan years, whose runs (about
#: 0.2 s each) leave the sweep running when the signal lands. The tiny scenario's runs take
#: about 7 ms: the six left could finish between the poll that saw two and the signal (Ctrl-C
#: found the sweep complete in 2 of 8 tries on a quiet machine).
INTERRUPTED_SPEC = SPEC.replace('scenario = "tiny"', 'scenario = "guangan"').replace(
    "years = 1", "years = 3")
#: What must not depend on the executor (timings, worker ids and clock times may).
COMPARED = ["point", "replication", "status", "error", "served", "abandoned", "coverage",
            "wait_p90_days", "cost"]
ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _written(tmp_path_factory, "exec.toml", SPEC)


@pytest.fixture(scope="module")
def reference(spec_path: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return _reference(spec_path, tmp_path_factory)


@pytest.fixture(scope="module")
def interrupted_spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _written(tmp_path_factory, "interrupted.toml", INTERRUPTED_SPEC)


@pytest.fixture(scope="module")
def interrupted_reference(interrupted_spec_path: Path,
                          tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return _reference(interrupted_spec_path, tmp_path_factory)


def _written(tmp_path_factory: pytest.TempPathFactory, name: str, text: str) -> Path:
    path = tmp_path_factory.mktemp("spec") / name
    path.write_text(text, encoding="utf-8")
    return path


def _reference(spec_path: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    result = run_sweep(spec_path, tmp_path_factory.mktemp("ref") / "out", workers=1)
    runs = result.runs[COMPARED]
    assert len(runs) == TOTAL and (runs["status"] == "ok").all()
    assert runs["served"].nunique() == TOTAL  # points and replications really differ
    return runs


def assert_same_runs(runs: pd.DataFrame, reference: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(runs[COMPARED].reset_index(drop=True),
                                  reference.reset_index(drop=True), check_exact=True)


def journal(out: Path) -> list[tuple[int, int]]:
    path = out / JOURNAL_FILE
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(int(p), int(r)) for p, r, _ in (line.split("\t") for line in lines if line)]


def start_cli(spec_path: Path, out: Path, workers: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "govsim", "sweep", "run", str(spec_path), "--out", str(out),
         "--workers", str(workers), "--quiet"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=interruptible)


def wait_for_runs(proc: subprocess.Popen[str], out: Path, count: int) -> None:
    deadline = time.monotonic() + 120
    while len(journal(out)) < count:
        assert proc.poll() is None, f"sweep ended early: {proc.communicate()}"
        assert time.monotonic() < deadline, "no progress within 120 s"
        time.sleep(0.02)


def test_two_local_workers_give_the_same_runs(spec_path: Path, reference: pd.DataFrame,
                                              tmp_path: Path) -> None:
    result = run_sweep(spec_path, tmp_path / "out", workers=2)
    assert_same_runs(result.runs, reference)
    assert result.runs["worker"].nunique() == 2  # really two processes


def test_dask_cluster_gives_the_same_runs(spec_path: Path, reference: pd.DataFrame,
                                          tmp_path: Path) -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        result = run_sweep(spec_path, tmp_path / "out", executor="dask",
                           scheduler=cluster.scheduler_address)
    assert_same_runs(result.runs, reference)
    manifest = json.loads((tmp_path / "out" / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["sessions"][0]["executor"] == {"kind": "dask",
                                                   "scheduler": cluster.scheduler_address}



def test_dask_local_cluster_gives_the_same_runs(spec_path: Path, reference: pd.DataFrame,
                                                tmp_path: Path) -> None:
    result = run_sweep(spec_path, tmp_path / "out", executor="dask", workers=2)
    assert_same_runs(result.runs, reference)
    assert result.runs["worker"].nunique() == 2
    manifest = json.loads((tmp_path / "out" / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["sessions"][0]["executor"] == {"kind": "dask", "local_cluster_workers": 2}


def _worker_settings() -> dict[str, object]:
    import os

    import dask

    return {"trim": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
            "omp": os.environ.get("OMP_NUM_THREADS"),
            "profile": dask.config.get("distributed.worker.profile.enabled"),
            "tick": dask.config.get("distributed.admin.tick.interval"),
            "memory": dask.config.get("distributed.worker.memory.monitor-interval")}


def test_local_cluster_workers_start_without_dasks_long_lived_worker_settings(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import dask
    from distributed import Client

    from govsim.sweep.executors import start_local_cluster

    # a Dask cluster started earlier in this process with Dask's defaults leaves the variable
    # in os.environ, where every later worker would inherit it
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    before = _worker_settings()
    cluster = start_local_cluster(1)
    try:
        with Client(cluster) as client:
            (settings,) = client.run(_worker_settings).values()
    finally:
        cluster.close()
    assert settings == {"trim": None, "omp": "1", "profile": False, "tick": "500ms",
                        "memory": "500ms"}
    # this process's own Dask settings are untouched (the nanny does export OMP_NUM_THREADS)
    here = _worker_settings()
    assert {k: v for k, v in here.items() if k != "omp"} == \
        {k: v for k, v in before.items() if k != "omp"}
    assert dask.config.get("distributed.nanny.pre-spawn-environ")["MALLOC_TRIM_THRESHOLD_"] \
        == 65536

def test_sigkill_then_resume_stores_every_run_once(interrupted_spec_path: Path,
                                                   interrupted_reference: pd.DataFrame,
                                                   tmp_path: Path) -> None:
    spec_path, reference = interrupted_spec_path, interrupted_reference
    out = tmp_path / "out"
    proc = start_cli(spec_path, out, workers=1)
    wait_for_runs(proc, out, 2)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    before = journal(out)
    assert 2 <= len(before) < TOTAL, "the sweep was not killed part-way"

    result = run_sweep(spec_path, out, workers=1)
    pairs = list(zip(result.runs["point"], result.runs["replication"], strict=True))
    assert sorted(pairs) == [(p, r) for p in range(4) for r in range(2)]
    assert_same_runs(result.runs, reference)
    after = journal(out)
    assert len(after) == len(set(after)), "a finished run was run again"
    assert set(before) <= set(after)
    manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["sessions"][0]["status"] == "running"  # the killed session never finished
    assert manifest["sessions"][-1]["status"] == "complete"
    assert manifest["sessions"][-1]["resumed_with_runs"] >= len(before)


def test_ctrl_c_stops_cleanly_and_resumes(interrupted_spec_path: Path,
                                          interrupted_reference: pd.DataFrame,
                                          tmp_path: Path) -> None:
    spec_path, reference = interrupted_spec_path, interrupted_reference
    out = tmp_path / "out"
    proc = start_cli(spec_path, out, workers=2)
    wait_for_runs(proc, out, 2)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted:" in stderr and "Traceback" not in stderr
    stopped = open_sweep(out)  # the store was closed: no lock left behind
    assert 2 <= len(stopped.runs) < TOTAL
    assert sorted(journal(out)) == sorted(zip(stopped.runs["point"],
                                              stopped.runs["replication"], strict=True))
    manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["sessions"][-1]["status"] == "interrupted"

    result = run_sweep(spec_path, out, workers=2)
    assert_same_runs(result.runs, reference)


def test_runs_are_routed_to_their_replications_worker_and_idle_workers_take_over() -> None:
    from govsim.sweep.executors import _Lanes
    from govsim.sweep.tasks import RunTask

    tasks = [RunTask(p, r) for p in range(5) for r in range(2)]
    lanes = _Lanes(iter(tasks), 2, limit=4)
    first = [lanes.next_for(0) for _ in range(3)]
    assert [(t.point, t.replication) for t in first] == [(0, 0), (1, 0), (2, 0)]
    assert sum(map(len, lanes.waiting)) <= 4  # read lazily, never more than the limit waiting
    second = lanes.next_for(1)
    assert (second.point, second.replication) == (0, 1)
    # worker 0 keeps taking its replication's runs, then the other worker's once it has none
    rest = []
    while (task := lanes.next_for(0)) is not None:
        rest.append((task.point, task.replication))
    assert rest[:2] == [(3, 0), (4, 0)] and all(r == 1 for _, r in rest[2:])
    handed = {(t.point, t.replication) for t in [*first, second]} | set(rest)
    assert handed == {(t.point, t.replication) for t in tasks}  # each run exactly once
    assert lanes.next_for(1) is None


def test_one_replication_still_keeps_every_worker_busy() -> None:
    from govsim.sweep.executors import _Lanes
    from govsim.sweep.tasks import RunTask

    lanes = _Lanes(iter([RunTask(p, 0) for p in range(4)]), 2, limit=8)
    got = [lanes.next_for(1), lanes.next_for(0), lanes.next_for(1), lanes.next_for(0)]
    assert sorted(t.point for t in got) == [0, 1, 2, 3]
    assert lanes.next_for(0) is None and lanes.next_for(1) is None
