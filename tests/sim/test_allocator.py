"""The compiled engine asks glibc to keep freed memory for reuse (``govsim/sim/allocator.py``)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

GLIBC_LINUX = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def _loaded_result(environment: dict[str, str]) -> str:
    """What ``keep_freed_memory`` said in a fresh process that loaded the compiled engine."""
    code = ("import govsim.sim.kernel; from govsim.sim.allocator import keep_freed_memory; "
            "print(keep_freed_memory())")
    return subprocess.run([sys.executable, "-c", code], env=environment, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.mark.skipif(not GLIBC_LINUX, reason="mallopt is glibc's")
def test_loading_the_engine_sets_the_top_pad() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "MALLOC_TOP_PAD_"}
    assert _loaded_result(environment) == "True"


def test_the_users_own_setting_stands() -> None:
    assert _loaded_result({**os.environ, "MALLOC_TOP_PAD_": "131072"}) == "False"
