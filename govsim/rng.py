"""Named random streams: one ``SeedSequence`` per run, one generator per stochastic activity.

A stream is identified by the run's root seed and a key such as
``(year, replication, "arrivals", county, item)``. The key is hashed to integers that become the
``spawn_key`` of a child ``SeedSequence``, so a stream's numbers depend only on its key — never
on the order in which streams are created or on how many processes share the work. Options
compared on the same seed therefore see common random numbers.

**Seeding fast.** A simulated year opens two to four streams per (county, item) pool — 13,500
for a 183-county year — and NumPy's ``SeedSequence`` costs about 25 µs to build and hash.
:func:`stream` therefore computes the same hash itself: NumPy's published ``SeedSequence``
algorithm (a pool of four 32-bit words; NEP 19 keeps it stable), with the pool after a key's
leading words remembered, since the pools of a year share ``(seed, year, replication,
purpose, county)`` and differ in the last word only. The bit generator receives exactly the
words ``SeedSequence(seed, spawn_key=key).generate_state(4, np.uint64)`` would give it, so
every number is the same (``tests/test_rng.py`` checks this against NumPy on random keys);
``rng.bit_generator.seed_seq`` answers like that ``SeedSequence``.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISpawnableSeedSequence

__all__ = ["stream", "stream_seed"]

# NumPy's SeedSequence constants (numpy/random/bit_generator.pyx), 32-bit arithmetic
_MASK = 0xFFFFFFFF
_INIT_A = 0x43B0D7E5
_MULT_A = 0x931E8875
_INIT_B = 0x8B51F9DD
_MULT_B = 0x58F38DED
_MIX_L = 0xCA01F9DD
_MIX_R = 0x4973F715
_POOL = 4


def _state_hash() -> tuple[tuple[int, int], ...]:
    """The hash constant before and after each of ``generate_state(4, uint64)``'s eight words
    (it does not depend on the pool)."""
    h, pairs = _INIT_B, []
    for _ in range(8):
        after = (h * _MULT_B) & _MASK
        pairs.append((h, after))
        h = after
    return tuple(pairs)


_STATE_HASH = _state_hash()
_Pool = tuple[int, int, int, int, int]  # four pool words, then the running hash constant


def _key_part(part: object) -> int:
    if isinstance(part, str):
        return _text_part(part)
    if isinstance(part, bool | np.bool_):
        return int(part)
    if isinstance(part, int | np.integer):
        if part < 0:
            raise ValueError(f"stream key integers must be >= 0, got {part}")
        return int(part)
    return zlib.crc32(str(part).encode("utf-8"))


@lru_cache(maxsize=65536)
def _text_part(text: str) -> int:
    """The key integer of a text (remembered: a year asks for each county and item's name in
    every pool's streams)."""
    return zlib.crc32(text.encode("utf-8"))


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
    seed = int(seed)
    if seed < 0 or not key:  # NumPy's own path (and its error for a negative seed)
        return np.random.Generator(np.random.PCG64(stream_seed(seed, *key)))
    *head, last = key
    if any(isinstance(part, float) for part in head):  # the memo would take -0.0 for 0.0
        return np.random.Generator(np.random.PCG64(stream_seed(seed, *key)))
    try:
        pool = _prefix_pool(seed, *head)
    except TypeError:  # an unhashable key part: not remembered
        return np.random.Generator(np.random.PCG64(stream_seed(seed, *key)))
    for word in _words(_key_part(last)):
        pool = _mix_word(pool, word)
    return np.random.Generator(np.random.PCG64(_Seeded(pool, seed, key)))


@lru_cache(maxsize=8192, typed=True)
def _prefix_pool(seed: int, *head: object) -> _Pool:
    """The pool after mixing in ``seed`` (padded to the pool's four words, as a spawned
    ``SeedSequence`` pads it) and the key's leading parts ``head``."""
    words = _words(seed)
    words += [0] * (_POOL - len(words))
    for part in head:
        words += _words(_key_part(part))
    pool = _mixed(tuple(words[:_POOL]))
    for word in words[_POOL:]:
        pool = _mix_word(pool, word)
    return pool


def _words(value: int) -> list[int]:
    """``value`` as little-endian 32-bit words (``SeedSequence``'s coercion of an int ≥ 0)."""
    if value < _MASK:
        return [value]
    words = []
    while value > 0:
        words.append(value & _MASK)
        value >>= 32
    return words


def _mixed(words: tuple[int, ...]) -> _Pool:
    """The pool after mixing in the first four entropy words (``SeedSequence.mix_entropy``
    up to its last loop, :func:`_mix_word`)."""
    h = _INIT_A
    pool = []
    for word in words:
        word, h = _hashmix(word, h)
        pool.append(word)
    for src in range(_POOL):  # mix all bits together so late bits can affect earlier ones
        for dst in range(_POOL):
            if src != dst:
                value, h = _hashmix(pool[src], h)
                pool[dst] = _mix(pool[dst], value)
    return (pool[0], pool[1], pool[2], pool[3], h)


def _mix_word(state: _Pool, word: int) -> _Pool:
    """Mix one more entropy word into every pool word (``mix_entropy``'s last loop)."""
    h = state[4]
    pool = list(state[:4])
    for dst in range(_POOL):
        value, h = _hashmix(word, h)
        pool[dst] = _mix(pool[dst], value)
    return (pool[0], pool[1], pool[2], pool[3], h)


def _hashmix(value: int, h: int) -> tuple[int, int]:
    """``SeedSequence``'s ``hashmix``: ``value`` hashed with the running constant ``h``, and
    the constant's next value."""
    value ^= h
    h = (h * _MULT_A) & _MASK
    value = (value * h) & _MASK
    return value ^ (value >> 16), h


def _mix(x: int, y: int) -> int:
    """``SeedSequence``'s ``mix`` of two 32-bit words."""
    mixed = (_MIX_L * x - _MIX_R * y) & _MASK
    return mixed ^ (mixed >> 16)


class _Seeded(ISpawnableSeedSequence):
    """What a stream's bit generator is seeded from: the hashed pool, answering
    ``generate_state(4, uint64)`` (all ``PCG64`` asks) itself and anything else through the
    equivalent ``SeedSequence``."""

    def __init__(self, pool: _Pool, seed: int, key: tuple[object, ...]) -> None:
        self._pool = pool
        self._seed = seed
        self._key = key

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        if n_words != 4 or np.dtype(dtype) != np.uint64:
            return self._sequence().generate_state(n_words, dtype)
        out = []
        for k, (before, after) in enumerate(_STATE_HASH):  # SeedSequence.generate_state
            value = ((self._pool[k % _POOL] ^ before) * after) & _MASK
            out.append(value ^ (value >> 16))
        # 32-bit words in little-endian pairs, as SeedSequence views them
        return np.array([out[0] | out[1] << 32, out[2] | out[3] << 32, out[4] | out[5] << 32,
                         out[6] | out[7] << 32], dtype=np.uint64)

    def spawn(self, n_children: int) -> list[np.random.SeedSequence]:
        return self._sequence().spawn(n_children)

    def __getattr__(self, name: str) -> Any:  # entropy, spawn_key, pool ...
        if name.startswith("_"):  # not yet set (unpickling) or private: not the sequence's
            raise AttributeError(name)
        return getattr(self._sequence(), name)

    def _sequence(self) -> np.random.SeedSequence:
        return stream_seed(self._seed, *self._key)
