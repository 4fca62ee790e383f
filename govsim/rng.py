"""Named random streams: one ``SeedSequence`` per run, one generator per stochastic activity.

A stream is identified by the run's root seed and a key such as
``(year, replication, "arrivals", county, item)``. The key is hashed to integers that become the
``spawn_key`` of a child ``SeedSequence``, so a stream's numbers depend only on its key — never
on the order in which streams are created or on how many processes share the work. Options
compared on the same seed therefore see common random numbers.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["stream", "stream_seed"]


def _key_part(part: object) -> int:
    if isinstance(part, bool | np.bool_):
        return int(part)
    if isinstance(part, int | np.integer):
        if part < 0:
            raise ValueError(f"stream key integers must be >= 0, got {part}")
        return int(part)
    return zlib.crc32(str(part).encode("utf-8"))


def stream_seed(seed: int, *key: object) -> np.random.SeedSequence:
    """The ``SeedSequence`` of the stream named ``key`` in the run seeded with ``seed``."""
    return np.random.SeedSequence(entropy=int(seed), spawn_key=tuple(_key_part(k) for k in key))


def stream(seed: int, *key: object) -> np.random.Generator:
    """A fresh generator for the stream named ``key``.

    >>> a = stream(1, 2025, 0, "arrivals", "linshui", "care").random()
    >>> b = stream(1, 2025, 0, "arrivals", "linshui", "care").random()
    >>> a == b
    True
    """
    return np.random.Generator(np.random.PCG64(stream_seed(seed, *key)))
