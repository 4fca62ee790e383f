"""The compiled engine against the SimPy reference: the same log, case for case.

Random pool specs are built to be full of simultaneous events — arrivals on a coarse grid (and
several at one instant), fixed service times of whole hours on whole-FTE tokens (completions
coinciding with arrivals, with each other and with the daily sample at 4 h + 8 h·k), zero
work, zero patience, slots joining and leaving on the grid — as well as plain random ones. For
each, both engines must serve the same cases in the same order, each at the same clock hour by
the same slot for the same hours, the same cases must abandon in the same order, the daily
queue samples must be equal, and so the summarised outcomes (backlog ages included) must be
equal too. Equality is exact: the kernel forms the same floating-point sums as SimPy.
"""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govsim.sim.engine import ENGINES, pool_log, run_pool, run_pool_cached
from govsim.sim.kernel import compiled_log
from govsim.sim.kernel_fifo import LIST_MAX
from govsim.sim.spec import PoolLog, PoolSpec, Slot, service_hours

DISTRIBUTIONS = ("fixed", "exponential", "lognormal", "gamma")


@st.composite
def pool_specs(draw: st.DrawFn) -> PoolSpec:
    horizon = draw(st.sampled_from([24.0, 60.0, 100.0, 250.0]))
    times = draw(st.sampled_from(["continuous", "grid", "distinct grid", "at samples"]))
    step = draw(st.sampled_from([0.25, 0.5, 1.0, 2.0, 4.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(0, 120))
    grid = np.arange(0.0, horizon, step)
    if times == "grid":  # several cases may arrive at one instant
        arrivals = np.sort(rng.choice(grid, n))
    elif times == "distinct grid":  # ties with samples and slots, not between arrivals
        arrivals = np.sort(rng.choice(grid, min(n, len(grid)), replace=False))
    elif times == "at samples":  # sparse arrivals at the daily samples' instants
        samples = np.arange(4.0, horizon, 8.0)
        arrivals = np.sort(np.concatenate([
            rng.choice(samples, min(n // 4, len(samples)), replace=False),
            rng.random(n // 8) * horizon]))
    else:
        arrivals = np.sort(rng.random(n) * horizon)
    n = len(arrivals)
    carried = np.sort(rng.integers(0, 40, draw(st.integers(0, 12))) * step)[::-1].astype(float)
    cases = len(carried) + n
    distribution = draw(st.sampled_from(DISTRIBUTIONS))
    mean = draw(st.sampled_from([0.5, 1.0, 2.0, 4.0, 8.0]))
    work = service_hours(rng, distribution, mean, draw(st.sampled_from([0.3, 1.0, 2.0])), cases)
    if cases and draw(st.booleans()):  # some cases need no work at all
        work[rng.random(cases) < 0.1] = 0.0
    patience = None
    kind = draw(st.sampled_from(["none", "grid", "exponential"]))
    if kind == "grid":
        patience = rng.integers(0, 12, cases) * step
    elif kind == "exponential":
        patience = rng.exponential(draw(st.sampled_from([0.5, 3.0, 20.0])), cases)
    slots = []
    for k in range(draw(st.integers(0, 4))):
        # up to 3 FTE mostly (a list of tokens); 20 and 150 reach the list's long pass and,
        # two together, the heap beyond LIST_MAX tokens
        fte = draw(st.sampled_from([0.0, 0.3, 0.5, 1.0, 1.0, 2.0, 2.5, 3.0, 20.0, 150.0]))
        start = draw(st.sampled_from([0.0, 0.0, -1.0, 4.0, 12.0, step * 7, horizon / 2,
                                      horizon, horizon + 5]))
        end = draw(st.sampled_from([math.inf, math.inf, 0.0, 4.0, 12.0, step * 9, horizon / 3,
                                    horizon]))
        slots.append(Slot(f"s{k}", "public", fte, draw(st.sampled_from([0.5, 0.8, 1.0])),
                          start_hours=start, end_hours=end))
    return PoolSpec(
        hours_per_year=horizon,
        efficiency=draw(st.sampled_from([1.0, 1.0, 0.75, 0.5])),
        arrival_hours=arrivals.astype(float),
        carried_ages=carried,
        work_hours=work,
        patience_hours=patience,
        slots=slots,
        target_wait_hours=draw(st.sampled_from([0.0, 2.0, 8.0])),
        penalty_per_hour=0.05,
        monitor=draw(st.sampled_from([True, True, True, False])),
    )


def assert_same_log(a: PoolLog, b: PoolLog) -> None:
    np.testing.assert_array_equal(a.case, b.case)
    np.testing.assert_array_equal(a.slot, b.slot)
    np.testing.assert_allclose(a.start, b.start, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(a.start, b.start)  # and in fact bit for bit
    np.testing.assert_array_equal(a.hours, b.hours)
    np.testing.assert_array_equal(a.abandoned, b.abandoned)
    np.testing.assert_array_equal(a.queue, b.queue)


def assert_same_outcome(spec: PoolSpec) -> None:
    reference, compiled = run_pool(spec, "simpy"), run_pool(spec, "compiled")
    for field in fields(reference):
        left, right = getattr(reference, field.name), getattr(compiled, field.name)
        if isinstance(left, np.ndarray):
            np.testing.assert_array_equal(left, right)
        elif isinstance(left, float) and math.isnan(left):
            assert math.isnan(right), field.name
        else:
            assert left == right, field.name


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool_specs())
def test_compiled_engine_logs_what_simpy_logs(spec: PoolSpec) -> None:
    """Both compiled kernels, and the engine choosing between them, against SimPy."""
    reference = pool_log(spec, "simpy")
    assert_same_log(reference, compiled_log(spec, kernel="events"))
    try:
        fifo = compiled_log(spec, kernel="fifo")
    except RuntimeError:  # simultaneous events: the engine uses the event loop (above)
        fifo = None
    if fifo is not None:
        assert_same_log(reference, fifo)
    assert_same_log(reference, pool_log(spec, "compiled"))
    assert_same_outcome(spec)


@pytest.mark.slow
@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool_specs())
def test_compiled_engine_logs_what_simpy_logs_many(spec: PoolSpec) -> None:
    """The same property on 5,000 specs (``-m slow``)."""
    test_compiled_engine_logs_what_simpy_logs.hypothesis.inner_test(spec)


def random_spec(rng: np.random.Generator, impatient: bool) -> PoolSpec:
    """A pool as a year of the model makes one: continuous random times, several slots."""
    horizon = 1960.0
    arrivals = np.sort(rng.random(rng.integers(200, 3000)) * horizon)
    carried = np.sort(rng.random(rng.integers(0, 50)) * 500)[::-1]
    cases = len(arrivals) + len(carried)
    slots = [Slot("public", "public", float(rng.uniform(0.5, 3)), 0.8),
             Slot("contract", "contract", float(rng.uniform(0.5, 3)), 0.7,
                  end_hours=float(rng.uniform(0, 2500))),
             Slot("takeover", "takeover", float(rng.uniform(0.2, 1)), 0.8,
                  start_hours=float(rng.uniform(0, 2500)))]
    return PoolSpec(hours_per_year=horizon, efficiency=0.75, arrival_hours=arrivals,
                    carried_ages=carried,
                    work_hours=service_hours(rng, "lognormal", 3.0, 0.8, cases),
                    patience_hours=rng.exponential(320.0, cases) if impatient else None,
                    slots=slots, target_wait_hours=40.0, penalty_per_hour=0.01)


@pytest.mark.parametrize("impatient", [False, True])
def test_fifo_kernel_decides_pools_with_continuous_times(impatient: bool) -> None:
    """The fast kernel needs no fallback on the pools a year of the model makes."""
    rng = np.random.default_rng(7)
    for _ in range(40):
        spec = random_spec(rng, impatient)
        assert_same_log(pool_log(spec, "simpy"), compiled_log(spec, kernel="fifo"))


@pytest.mark.parametrize("tokens", [1, 2, 3, 4, 5, 17, 64, LIST_MAX, LIST_MAX + 1, 400])
@pytest.mark.parametrize("load", [0.3, 0.95])
def test_fifo_kernel_keeps_token_order_at_every_size(tokens: int, load: float) -> None:
    """The token order (a sorted list re-sorted by a scan below 4 tokens and by a fixed pass
    from 4, a heap beyond ``LIST_MAX``) is the SimPy store's at every size: busy pools, idle
    ones, a slot leaving and one joining."""
    rng = np.random.default_rng(tokens)
    horizon = 400.0
    cases = int(load * tokens * horizon)
    arrivals = np.sort(rng.random(cases) * horizon)
    joining = max(1, tokens // 4)
    slots = [Slot("staff", "public", float(tokens - joining), 0.8,
                  end_hours=float(rng.uniform(100, 300))),
             Slot("contract", "contract", float(joining), 0.7,
                  start_hours=float(rng.uniform(10, 100)))] if tokens > 1 else \
        [Slot("staff", "public", 1.0, 0.8)]
    spec = PoolSpec(hours_per_year=horizon, efficiency=1.0, arrival_hours=arrivals,
                    carried_ages=np.sort(rng.random(tokens) * 50)[::-1],
                    work_hours=rng.exponential(1.0, cases + tokens), patience_hours=None,
                    slots=slots, target_wait_hours=2.0, penalty_per_hour=0.01)
    assert_same_log(pool_log(spec, "simpy"), compiled_log(spec, kernel="fifo"))


def hand_spec(arrivals: list[float], work: list[float], slots: list[Slot],
              patience: list[float] | None = None, carried: list[float] | None = None,
              horizon: float = 40.0) -> PoolSpec:
    return PoolSpec(hours_per_year=horizon, efficiency=1.0,
                    arrival_hours=np.array(arrivals, dtype=float),
                    carried_ages=np.array(carried or [], dtype=float),
                    work_hours=np.array(work, dtype=float),
                    patience_hours=None if patience is None else np.array(patience, dtype=float),
                    slots=slots, target_wait_hours=0.0, penalty_per_hour=0.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_patience_running_out_as_a_worker_frees_up(engine: str) -> None:
    """Hand-traced ties at 4 h (one worker, fixed 4 h services; kernel docstring rule 4).

    Case 1's patience runs out at 4 h, exactly when case 0's service ends. If its patience
    timeout was scheduled first (case 1 arrived at 0, before case 0's service began), it fires
    first, the condition is processed before the put, and case 1 abandons. If the completion was
    scheduled first (case 1 arrived at 0.5), the put hands case 1 the token before its
    condition is processed, and it is served at 4 h. The 4 h queue sample comes first (its timer
    was scheduled at time 0 before anything else) and sees case 1 waiting.
    """
    one = [Slot("w", "public", 1.0, 1.0)]
    log = pool_log(hand_spec([0.0, 0.0], [4.0, 4.0], one, patience=[100.0, 4.0]), engine)
    assert (log.case.tolist(), log.abandoned.tolist()) == ([0], [1])
    assert log.queue.tolist() == [1, 0, 0, 0, 0]
    log = pool_log(hand_spec([0.0, 0.5], [4.0, 4.0], one, patience=[100.0, 3.5]), engine)
    assert (log.case.tolist(), log.abandoned.tolist()) == ([0, 1], [])
    assert log.start.tolist() == [0.0, 4.0]
    assert log.queue.tolist() == [1, 0, 0, 0, 0]


@pytest.mark.parametrize("engine", ENGINES)
def test_patience_and_hand_over_at_one_instant_follow_the_older_timer(engine: str) -> None:
    """A token frees at 5 h exactly as a waiting case's patience runs out (rule 4).

    Served: the token's completion timer was set at 1 h, the patience timer at 2 h, so the put
    comes first. Abandons: the completion timer was set at 3 h (when case 1 started), after
    case 2's patience timer (2 h). The FIFO kernel cannot tell these apart from the times alone
    and must hand both to the event loop.
    """
    one = [Slot("w", "public", 1.0, 1.0)]
    served = hand_spec([1.0, 2.0], [4.0, 1.0], one, patience=[100.0, 3.0])
    abandons = hand_spec([1.0, 1.5, 2.0], [2.0, 2.0, 1.0], one, patience=[100.0, 100.0, 3.0])
    log = pool_log(served, engine)
    assert (log.case.tolist(), log.start.tolist(), log.abandoned.tolist()) == (
        [0, 1], [1.0, 5.0], [])
    log = pool_log(abandons, engine)
    assert (log.case.tolist(), log.start.tolist(), log.abandoned.tolist()) == (
        [0, 1], [1.0, 3.0], [2])
    for spec in (served, abandons):
        with pytest.raises(RuntimeError, match="cannot decide"):
            compiled_log(spec, kernel="fifo")


@pytest.mark.parametrize("engine", ENGINES)
def test_leaving_slot_busy_to_the_same_instant_is_not_put_back(engine: str) -> None:
    """A slot leaves at 4 h as its busy token finishes (rule 5).

    The leave timer was scheduled at time 0 before anything else, so the slot leaves first and
    its token is not put back: the case waiting since 1 h is served by the slot joining at 6 h.
    """
    spec = hand_spec([0.0, 1.0], [4.0, 1.0],
                     [Slot("gone", "contract", 1.0, 1.0, end_hours=4.0),
                      Slot("late", "takeover", 1.0, 1.0, start_hours=6.0)])
    log = pool_log(spec, engine)
    assert log.case.tolist() == [0, 1]
    assert log.start.tolist() == [0.0, 6.0]
    assert log.slot.tolist() == [0, 1]


@pytest.mark.parametrize("engine", ENGINES)
def test_carried_cases_start_first_and_oldest_first(engine: str) -> None:
    """Two carried cases and an arrival at 0 h, one worker: carried 0 (oldest) is served at 0,
    carried 1 at 2, the new case at 4 (rule 1)."""
    spec = hand_spec([0.0], [2.0, 2.0, 2.0], [Slot("w", "public", 1.0, 1.0)],
                     carried=[30.0, 10.0])
    log = pool_log(spec, engine)
    assert log.case.tolist() == [0, 1, 2]
    assert log.start.tolist() == [0.0, 2.0, 4.0]


def test_engines_are_remembered_apart() -> None:
    spec = hand_spec([0.0, 1.0], [2.0, 2.0], [Slot("w", "public", 1.0, 1.0)])
    assert run_pool_cached(spec, "simpy") is not run_pool_cached(spec, "compiled")
    with pytest.raises(ValueError, match="engine"):
        run_pool(spec, "fast")


@pytest.mark.parametrize("engine", ENGINES)
def test_bad_specs_are_refused_by_both_engines(engine: str) -> None:
    good = hand_spec([0.0, 1.0], [2.0, 2.0], [Slot("w", "public", 1.0, 1.0)])
    bad = [
        hand_spec([1.0, 0.0], [2.0, 2.0], good.slots),
        hand_spec([0.0, 1.0], [2.0], good.slots),
        hand_spec([0.0, 1.0], [2.0, -1.0], good.slots),
        hand_spec([0.0, 1.0], [2.0, 2.0], [Slot("w", "public", 1.0, 1.0, end_hours=-1.0)]),
        hand_spec([0.0, 1.0], [2.0, 2.0], good.slots, patience=[1.0, math.nan]),
    ]
    for spec in bad:
        with pytest.raises(ValueError):
            run_pool(spec, engine)
