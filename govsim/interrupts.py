"""Critical sections that Ctrl-C does not cut in half.

:func:`deferred` holds a SIGINT that arrives inside the ``with`` block and delivers it to the
handler that was in place (the command's, or Python's default, which raises
``KeyboardInterrupt``) as soon as the block ends. Used where two writes must happen together —
the sweep store commits a run to its database and appends it to ``runs.log`` — so that an
interrupted sweep never has one without the other. Outside the main thread (where Python runs
signal handlers) it does nothing.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = ["deferred"]


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT until the block ends, then deliver it once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple[int, FrameType | None]] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append((signum, frame))

    previous: Any = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            signum, frame = caught[0]
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:
                raise KeyboardInterrupt
