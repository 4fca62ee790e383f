"""Worker processes (issue 12, item 13): every pool comes from govsim.parallel and dies with its
parent.

The SIGKILL tests start each command that uses worker processes (the run's ``ReplicationWorkers``,
``simulate``, ``compare`` and a local sweep), wait until it has its two workers, ``kill -9`` it
and assert that no descendant — workers, multiprocessing resource tracker — survives a few
seconds later. A driver test does the same for a bare :func:`process_pool`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govsim.parallel import (
    BACKGROUND_NICE,
    process_pool,
    stop_pool,
    worker_count,
    worker_pool,
)
from tests.hardening import ROOT, alive, descendants, start_govsim, wait_until

COMMANDS = {
    "ReplicationWorkers (govsim run)": ["run", "tiny", "--years", "2", "--replications", "4",
                              "--workers", "2", "--results", "{tmp}/run"],
    "simulate": ["simulate", "tiny", "--years", "2", "--replications", "6", "--workers", "2"],
    # compare runs options in its own process too: 3 processes are the command and 2 workers
    "compare": ["compare", "tiny", "--option", "a: funds.lottery=1", "--option",
                "b: funds.lottery=2", "--option", "c: funds.lottery=3", "--years", "2",
                "--replications", "2", "--workers", "3", "--out", "{tmp}/compare"],
    "sweep (local)": ["sweep", "run", str(ROOT / "scenarios" / "sweeps" / "tiny.toml"),
                      "--workers", "2", "--out", "{tmp}/sweep", "--quiet"],
}
#: Seconds the descendants of a killed command get to disappear.
GRACE = 5.0


def survivors_of_sigkill(argv: list[str]) -> list[int]:
    """Start a command, wait for its two workers, ``kill -9`` it; who is alive ``GRACE``
    seconds later (killed too before returning, so nothing is left behind)."""
    proc = start_govsim(*argv)
    try:
        # two workers and the multiprocessing resource tracker
        assert wait_until(lambda: len(descendants(proc.pid)) >= 3 or proc.poll() is not None,
                          120, 0.02)
        assert proc.poll() is None, "the command ended before its workers were seen"
        children = descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        wait_until(lambda: not any(alive(p) for p in children), GRACE)
        survivors = [p for p in children if alive(p)]
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)
        return survivors
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_no_worker_outlives_a_killed_parent(tmp_path: Path, name: str) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in COMMANDS[name]]
    assert survivors_of_sigkill(argv) == [], f"{name}: processes outlived their parent"


def _sleep(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def _ppid() -> tuple[int, int]:
    return os.getpid(), os.getppid()


def test_stop_pool_ends_busy_workers_at_once() -> None:
    pool = process_pool(2)
    futures = [pool.submit(_sleep, 60) for _ in range(2)]
    assert wait_until(lambda: len(pool._processes) == 2, 30)  # type: ignore[attr-defined]
    workers = list(pool._processes)  # type: ignore[attr-defined]
    started = time.monotonic()
    stop_pool(pool)
    assert time.monotonic() - started < 10
    assert not [pid for pid in workers if alive(pid)]
    assert all(f.done() for f in futures)


def test_worker_pool_workers_are_children_of_this_process() -> None:
    with worker_pool(2) as pool:
        pids = {pool.submit(_ppid).result(timeout=60) for _ in range(4)}
    assert {parent for _, parent in pids} == {os.getpid()}


def test_a_background_pools_workers_run_at_the_lowest_priority() -> None:
    """The money band's workers are lowered when spawned, before they import govsim (a second
    or two of CPU each that competed with the loop's allocation)."""
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    with worker_pool(1, background=True) as pool:
        assert pool.submit(os.getpriority, os.PRIO_PROCESS, 0).result(timeout=60) == \
            BACKGROUND_NICE
    with worker_pool(1) as pool:
        assert pool.submit(os.getpriority, os.PRIO_PROCESS, 0).result(timeout=60) == mine


def test_worker_count_is_bounded() -> None:
    cores = os.cpu_count() or 1
    assert worker_count(None, 100) == min(cores, 100)
    assert worker_count(1, 100) == 1 and worker_count(3, 2) == 2
    assert worker_count(10**6, 10**9) == 4 * cores  # never a million processes
    assert worker_count(0, 5) == 1


def test_every_pool_comes_from_govsim_parallel() -> None:
    """No module but govsim/parallel.py starts processes itself (one executor, one policy)."""
    found = subprocess.run(["grep", "-rlE", r"ProcessPoolExecutor\(|get_context\(|"
                            r"multiprocessing\.Process\(", str(ROOT / "govsim")],
                           capture_output=True, text=True, check=False).stdout.split()
    assert [Path(f).relative_to(ROOT).as_posix() for f in found] == ["govsim/parallel.py"]


DRIVER = """
import sys, time
from govsim.parallel import process_pool
pool = process_pool(2)
futures = [pool.submit(time.sleep, 60) for _ in range(2)]
print("ready", flush=True)
time.sleep(60)
"""


def test_bare_pool_workers_die_with_a_killed_parent() -> None:
    proc = subprocess.Popen([sys.executable, "-c", DRIVER], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        assert wait_until(lambda: len(descendants(proc.pid)) >= 3, 60, 0.02)
        children = descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert wait_until(lambda: not any(alive(p) for p in children), GRACE), \
            [p for p in children if alive(p)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
