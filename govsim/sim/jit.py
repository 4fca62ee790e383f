"""numba for the compiled engine: where its machine code is cached, and a binary heap.

Importing this module imports numba (about 0.4 s), so only the compiled engine imports it, on
first use. Compiled functions are cached on disk (``cache=True``): the first process compiles
(about 10 s for all kernels), later ones — spawned workers, Dask workers, the next run — load
the machine code (about 0.5 s). The cache goes to ``$NUMBA_CACHE_DIR`` if that is set; else
beside the source (``govsim/sim/__pycache__``) if that is writable and not an installed
package (``site-packages``); else to
``$XDG_CACHE_HOME/govsim/numba`` (``~/.cache/govsim/numba``); else to ``govsim-numba-<uid>`` in
the temporary directory. The choice is made before numba is imported and exported as
``NUMBA_CACHE_DIR``, so processes started later inherit it.

The heap orders entries by ``(time, sequence number)`` (both engines' order of simultaneous
timeouts: first scheduled, first processed) and carries a kind and an argument with each.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "heap_pop", "heap_push", "heap_replace", "njit"]


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


def _choose_cache_dir() -> str | None:
    """Where numba should cache: ``None`` keeps numba's default (beside the source)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    beside = Path(__file__).parent / "__pycache__"
    # never into an installed package: pip does not remove cache files it did not install, and
    # a govsim/ folder left in site-packages by `pip install .` then shadowed the editable
    # install of README command 2 in the notebooks' kernels
    installed = any(part in ("site-packages", "dist-packages") for part in beside.parts)
    if not installed and _writable(beside):
        return None
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    for folder in (Path(xdg) / "govsim" / "numba",
                   Path(tempfile.gettempdir()) / f"govsim-numba-{os.getuid()}"):
        if _writable(folder):
            return str(folder)
    return None


_CACHE_DIR = _choose_cache_dir()
if _CACHE_DIR is not None:
    os.environ["NUMBA_CACHE_DIR"] = _CACHE_DIR
_numba_was_loaded = "numba" in sys.modules

import numba  # noqa: E402  (after NUMBA_CACHE_DIR is settled)

if _CACHE_DIR is not None and _numba_was_loaded:
    numba.config.CACHE_DIR = _CACHE_DIR  # numba read its settings before us: tell it directly

#: ``numba.njit`` with the on-disk cache; functions compile on their first call.
njit = numba.njit(cache=True)

# The heap's helpers are typed up front: one machine-code version each, whatever the caller.
_HEAP = "float64[::1], int64[::1], int64[::1], int64"


def cache_dir() -> str:
    """The folder the compiled engine's machine code is cached in."""
    return _CACHE_DIR or str(Path(__file__).parent / "__pycache__")


@numba.njit(f"int64({_HEAP}, float64, int64, int64)", cache=True)
def heap_push(ht, hs, hp, n, t, s, p):  # pragma: no cover - compiled
    """Add ``(t, s)`` carrying ``p`` to the heap of size ``n``; return the new size."""
    i = n
    while i > 0:
        q = (i - 1) >> 1
        if ht[q] < t or (ht[q] == t and hs[q] < s):
            break
        ht[i] = ht[q]
        hs[i] = hs[q]
        hp[i] = hp[q]
        i = q
    ht[i] = t
    hs[i] = s
    hp[i] = p
    return n + 1


@numba.njit(f"void({_HEAP}, float64, int64, int64)", cache=True)
def heap_replace(ht, hs, hp, n, t, s, p):  # pragma: no cover - compiled
    """Replace the earliest entry by ``(t, s)`` carrying ``p`` (one sift down)."""
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and (ht[c + 1] < ht[c] or (ht[c + 1] == ht[c] and hs[c + 1] < hs[c])):
            c += 1
        if t < ht[c] or (t == ht[c] and s < hs[c]):
            break
        ht[i] = ht[c]
        hs[i] = hs[c]
        hp[i] = hp[c]
        i = c
    ht[i] = t
    hs[i] = s
    hp[i] = p


@numba.njit(f"int64({_HEAP})", cache=True)
def heap_pop(ht, hs, hp, n):  # pragma: no cover - compiled
    """Remove the earliest entry (entry 0) of the heap of size ``n``; return the new size."""
    n -= 1
    if n > 0:
        heap_replace(ht, hs, hp, n, ht[n], hs[n], hp[n])
    return n
