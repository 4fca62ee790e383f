"""``govsim.rng.stream`` seeds each stream exactly as NumPy's ``SeedSequence`` would.

``stream`` hashes a stream's key itself (NumPy's published ``SeedSequence`` algorithm, with the
pools of shared key prefixes remembered: issue 15). Every number of every stream must stay what
``Generator(PCG64(SeedSequence(seed, spawn_key=...)))`` gives — the reference here is NumPy's
own class — for seeds and key integers of one word and of several, text parts, and keys that
share prefixes.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govsim.rng import stream, stream_seed

KEY_PARTS = st.one_of(
    st.integers(0, 2**32 + 5),  # one word, the word boundary, two words
    st.integers(0, 2**100),  # several words
    st.sampled_from(["arrivals", "service", "patience", "backlog", "linshui", "care", "广安"]),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),  # hashed through its text
)
SEEDS = st.one_of(st.integers(0, 2**32 + 5), st.integers(0, 2**200))


def _numpy_reference(seed: int, *key: object) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(stream_seed(seed, *key)))


@settings(max_examples=300, deadline=None)
@given(SEEDS, st.lists(KEY_PARTS, min_size=0, max_size=8))
def test_every_stream_is_numpys_seed_sequence_stream(seed: int, key: list[object]) -> None:
    mine, reference = stream(seed, *key), _numpy_reference(seed, *key)
    assert mine.bit_generator.state == reference.bit_generator.state
    assert np.array_equal(mine.random(5), reference.random(5))


def test_minus_zero_and_zero_in_a_key_name_two_streams() -> None:
    """Found by the property test above: the remembered prefix pools took ``-0.0`` for ``0.0``
    (equal as dictionary keys), so the second stream got the first one's numbers."""
    for first, second in ((0.0, -0.0), (-0.0, 0.0)):
        a, b = stream(819, 165, False, first, 0), stream(819, 165, False, second, 0)
        assert a.bit_generator.state == _numpy_reference(819, 165, False, first, 0
                                                         ).bit_generator.state
        assert b.bit_generator.state == _numpy_reference(819, 165, False, second, 0
                                                         ).bit_generator.state


def test_streams_sharing_a_prefix_keep_their_own_numbers() -> None:
    """The remembered prefix pool must not leak between keys that differ in the last part
    (or in an earlier one), in any order of creation."""
    keys = [(2025, 0, purpose, county, item) for purpose in ("arrivals", "service")
            for county in ("a", "b") for item in ("care", "screening", "care2")]
    first = {key: stream(7, *key).random() for key in keys}
    for key in reversed(keys):
        assert stream(7, *key).random() == first[key] == _numpy_reference(7, *key).random()
    assert len(set(first.values())) == len(keys)


def test_a_streams_seed_sequence_answers_like_numpys() -> None:
    seq = stream(3, 2025, 1, "arrivals", "east").bit_generator.seed_seq
    reference = stream_seed(3, 2025, 1, "arrivals", "east")
    assert seq.entropy == reference.entropy and seq.spawn_key == reference.spawn_key
    assert np.array_equal(seq.generate_state(3), reference.generate_state(3))
    assert [c.spawn_key for c in seq.spawn(2)] == [c.spawn_key for c in reference.spawn(2)]


def test_a_stream_pickles_and_goes_on_with_the_same_numbers() -> None:
    rng = stream(5, 2025, 0, "service", "east", "care")
    rng.random(3)
    copy = pickle.loads(pickle.dumps(rng))
    assert np.array_equal(copy.random(4), rng.random(4))
    assert copy.bit_generator.seed_seq.spawn_key == stream_seed(5, 2025, 0, "service", "east",
                                                                "care").spawn_key


def test_an_unhashable_key_part_is_hashed_through_its_text_as_before() -> None:
    assert stream(1, 2025, [1, 2]).random() == _numpy_reference(1, 2025, [1, 2]).random()


def test_bad_keys_and_seeds_are_refused_as_before() -> None:
    with pytest.raises(ValueError, match="stream key integers must be >= 0"):
        stream(1, 2025, -1, "arrivals")
    with pytest.raises(ValueError):
        stream(-1, 2025)
