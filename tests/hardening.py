"""Helpers of the hardening tests: a hard deadline per call, process trees, the CLI in a process.

:func:`deadline` interrupts a call that runs too long (SIGALRM, main thread only) so that a hang
fails its test at once instead of stalling the suite; hypothesis' own ``deadline`` setting only
measures an example after it has finished.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parents[1]


class HangError(AssertionError):
    """A call ran past its deadline."""


@contextlib.contextmanager
def deadline(seconds: float, what: str = "the call") -> Iterator[None]:
    """Raise :class:`HangError` in the main thread if the block runs longer than ``seconds``."""

    def expire(signum: int, frame: object) -> None:
        raise HangError(f"{what} ran longer than {seconds} s (a hang?)")

    previous = signal.signal(signal.SIGALRM, expire)
    # pytest-timeout may have its own alarm running: put it back afterwards, less the time used
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer > 0:
            signal.setitimer(signal.ITIMER_REAL,
                             max(0.001, outer - (time.monotonic() - started)))


def govsim(*args: str, cwd: Path | None = None, timeout: float = 120,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m govsim ARGS`` in a new process (text output captured)."""
    return subprocess.run([sys.executable, "-m", "govsim", *args], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, **(env or {})})


def start_govsim(*args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    """``python -m govsim ARGS`` started in the background (output captured), with Ctrl-C
    delivered as at a terminal (:func:`interruptible`)."""
    return subprocess.Popen([sys.executable, "-m", "govsim", *args], cwd=cwd or ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=interruptible)


def interruptible() -> None:
    """``Popen(preexec_fn=...)``: SIGINT's default action in the child, as a terminal's Ctrl-C
    finds it. A test runner started as a background job of a non-interactive shell inherits
    SIGINT ignored, and so would every govsim it starts — which then rightly ignores the
    tests' Ctrl-C (govsim keeps an inherited "ignore", as ``nohup``-style launches expect)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def descendants(pid: int) -> list[int]:
    """Process ids of every living descendant of ``pid`` (Linux ``/proc``)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return [p for p in found if alive(p)]


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def wait_until(condition: object, timeout: float, step: float = 0.05) -> bool:
    """Poll ``condition()`` until it is true or ``timeout`` seconds have passed."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(step)
    return bool(condition())  # type: ignore[operator]
