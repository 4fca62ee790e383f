"""Keep freed memory for the next pool: the compiled engine's arrays without page faults.

A pool's log is a handful of arrays as long as its cases, made and dropped once per pool. By
default glibc hands the freed top of its heap back to the system as soon as it exceeds a small
threshold, so the next pool's arrays are mapped and zeroed again page by page: in a fresh
process a 200,000-case pool took 26–28 ns a case in the compiled engine instead of 12.6–12.8,
half its time in page faults (benchmarks/README.md, issue 15). :func:`keep_freed_memory` sets
glibc's ``M_TOP_PAD`` to :data:`TOP_PAD_BYTES`, so each process keeps up to that much freed
memory at the top of its heap for reuse: at most that much more resident memory (the
183-county run's main process peaked at 888 MiB before, 930 MiB with 32 MiB kept).

It is called when the compiled engine is first loaded. It does nothing outside Linux, with a C
library without ``mallopt``, or when ``MALLOC_TOP_PAD_`` is set in the environment (the user's
own setting stands).
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys

__all__ = ["TOP_PAD_BYTES", "keep_freed_memory"]

#: Freed memory each process may keep at the top of its heap (glibc's ``M_TOP_PAD``): enough
#: for a 200,000-case pool (16 MiB was not, 32 MiB as fast as 64).
TOP_PAD_BYTES = 32 * 2**20
_M_TOP_PAD = -2  # from glibc's malloc.h


@functools.cache
def keep_freed_memory() -> bool:
    """Ask the C library to keep freed memory for reuse; whether it agreed (once a process)."""
    if not sys.platform.startswith("linux") or "MALLOC_TOP_PAD_" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process runs on
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt(_M_TOP_PAD, TOP_PAD_BYTES) == 1
