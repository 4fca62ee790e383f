"""The shared pieces of ``govsim/sim/spec.py``: the input checks and the summary of a log.

Since issue 15 the summary's overdue figures, peak-season and new-case 90th percentiles and
queue mean are computed in the one compiled pass over the log (``kernel_shared.log_totals``),
which also keeps a backlog already oldest first unsorted, and ``check_spec`` checks all arrays
in one compiled call. Here they are held against an independent NumPy statement of the same
definitions (``docs/model.md``): masks, ``np.quantile``, ``np.mean`` and ``np.sort`` on the log
— exactly equal, not approximately, since the tables must not move — and each bad input must
still name its field.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from govsim.sim.engine import pool_log
from govsim.sim.kernel_shared import finite_at_least, not_below, quantile, sorted_within
from govsim.sim.spec import (
    PoolLog,
    PoolSpec,
    Slot,
    check_spec,
    commissioned_arrivals,
    summarise_log,
)


def _reference(spec: PoolSpec, log: PoolLog) -> dict[str, float]:
    """The figures from the log in plain NumPy (the definitions, not the compiled pass)."""
    arrival = np.concatenate([-spec.carried_ages, spec.arrival_hours])
    arrived = arrival[log.case]
    waits = log.start - arrived
    done = np.zeros(len(arrival), bool)
    done[log.case] = True
    done[log.abandoned] = True
    backlog = np.sort(spec.hours_per_year - arrival[~done])[::-1]  # oldest first
    deadline = spec.deadline_hours
    served_late = waits[waits > deadline + 1e-9] - deadline
    waiting_late = backlog[backlog > deadline + 1e-9] - deadline
    peak = math.nan
    if spec.peak_hours is not None:
        mine = waits[(arrived >= spec.peak_hours[0]) & (arrived < spec.peak_hours[1])]
        peak = float(np.quantile(mine, 0.9)) if len(mine) else math.nan
    new = waits[arrived >= 0.0]
    return {
        "overdue_served": len(served_late), "overdue_waiting": len(waiting_late),
        "overdue_hours": float(served_late.sum() + waiting_late.sum()),
        "wait_p90_peak_hours": peak,
        "wait_p90_new_hours": float(np.quantile(new, 0.9)) if len(new) else math.nan,
        "wait_p90_hours": float(np.quantile(waits, 0.9)) if len(waits) else math.nan,
        "queue_mean": float(np.mean(log.queue)) if len(log.queue) else 0.0,
        "backlog_ages": backlog,
    }


def _random_spec(rng: np.random.Generator) -> PoolSpec:
    horizon = float(rng.choice([80.0, 400.0, 1960.0]))
    n = int(rng.integers(0, 400))
    arrivals = np.sort(rng.random(n) * horizon)
    if rng.random() < 0.3:  # coarse times: equal waits (ties in the quantiles)
        arrivals = np.sort(np.floor(arrivals))
    carried = np.sort(rng.random(int(rng.integers(0, 60))) * 300.0)[::-1]
    if rng.random() < 0.2:  # not oldest first: the backlog must still come out oldest first
        carried = rng.permutation(carried)
    cases = n + len(carried)
    impatient = rng.random() < 0.5
    peak = sorted(rng.random(2) * horizon) if rng.random() < 0.6 else None
    return PoolSpec(
        hours_per_year=horizon, efficiency=float(rng.choice([1.0, 0.75])),
        arrival_hours=arrivals, carried_ages=carried,
        work_hours=rng.exponential(float(rng.choice([1.0, 6.0, 20.0])), cases),
        patience_hours=rng.exponential(50.0, cases) if impatient else None,
        slots=[Slot("a", "public", float(rng.choice([0.5, 1.0, 2.5])), 0.8),
               Slot("b", "contract", float(rng.choice([0.0, 1.0, 3.0])), 0.7,
                    end_hours=float(rng.choice([math.inf, horizon / 2])))],
        target_wait_hours=8.0, penalty_per_hour=0.01,
        deadline_hours=float(rng.choice([math.inf, 0.0, 5.0, 40.0])),
        peak_hours=None if peak is None else (float(peak[0]), float(peak[1])))


def test_compiled_summary_equals_the_numpy_definitions_exactly() -> None:
    rng = np.random.default_rng(15)
    seen = {"late": 0, "peak": 0, "carried": 0}
    for _ in range(300):
        spec = _random_spec(rng)
        log = pool_log(spec)
        outcome = summarise_log(spec, log)
        expected = _reference(spec, log)
        assert np.array_equal(outcome.backlog_ages, expected.pop("backlog_ages"))
        for name, value in expected.items():
            got = getattr(outcome, name)
            assert got == value or (math.isnan(got) and math.isnan(value)), name
        seen["late"] += expected["overdue_served"] > 0 and expected["overdue_waiting"] > 0
        seen["peak"] += not math.isnan(expected["wait_p90_peak_hours"])
        seen["carried"] += expected["wait_p90_new_hours"] != expected["wait_p90_hours"]
    assert min(seen.values()) > 10, seen  # the cases the figures differ in were exercised


def test_compiled_quantile_is_numpys_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    for n in [1, 2, 3, 9, 10, 11, 50, 1001]:
        for values in (rng.random(n) * 100, np.floor(rng.random(n) * 5), np.full(n, 2.5)):
            assert quantile(values.copy(), 0.9) == np.quantile(values, 0.9)
    assert math.isnan(quantile(np.empty(0), 0.9))


def _spec(**change: object) -> PoolSpec:
    fields: dict[str, object] = dict(
        hours_per_year=40.0, efficiency=1.0, arrival_hours=np.array([0.0, 1.0]),
        carried_ages=np.array([3.0]), work_hours=np.array([1.0, 2.0, 2.0]),
        patience_hours=np.array([5.0, math.inf, 1.0]), slots=[Slot("w", "public", 1.0, 1.0)],
        target_wait_hours=0.0, penalty_per_hour=0.0)
    fields.update(change)
    return PoolSpec(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("change", "field"), [
    ({"arrival_hours": np.array([1.0, 0.0])}, "arrival_hours"),
    ({"arrival_hours": np.array([0.0, 40.0])}, "arrival_hours"),
    ({"arrival_hours": np.array([0.0, math.nan])}, "arrival_hours"),
    ({"carried_ages": np.array([-1.0])}, "carried_ages"),
    ({"carried_ages": np.array([math.inf])}, "carried_ages"),
    ({"work_hours": np.array([1.0, 2.0])}, "work_hours"),
    ({"work_hours": np.array([1.0, -2.0, 2.0])}, "work_hours"),
    ({"work_hours": np.array([1.0, math.inf, 2.0])}, "work_hours"),
    ({"patience_hours": np.array([5.0, 1.0])}, "patience_hours"),
    ({"patience_hours": np.array([5.0, math.nan, 1.0])}, "patience_hours"),
    ({"patience_hours": np.array([5.0, -0.5, 1.0])}, "patience_hours"),
    ({"slots": [Slot("w", "public", math.nan, 1.0)]}, r"slots\[0\].fte"),
    ({"hours_per_year": 0.0}, "hours_per_year"),
])
def test_each_bad_field_is_named(change: dict[str, object], field: str) -> None:
    check_spec(_spec())  # the unchanged spec passes
    with pytest.raises(ValueError, match=field):
        check_spec(_spec(**change))


def test_compiled_checks_equal_their_numpy_statements() -> None:
    """The checks accumulate a flag over the whole array (no early exit): a bad value at the
    first, a middle and the last place, NaN, ±∞, and each range end exactly."""
    rng = np.random.default_rng(5)
    base = np.sort(rng.random(37) * 10.0)
    cases = [base, np.empty(0), np.array([0.0]), np.array([10.0]), np.array([-0.0, 9.999])]
    for place in (0, 18, 36):
        for bad in (math.nan, math.inf, -math.inf, -1.0, 10.0, 3.0):
            values = base.copy()
            values[place] = bad
            cases.append(values)
    for values in cases:
        ordered = bool(np.all(np.diff(values) >= 0)) and not np.isnan(values).any()
        within = bool(np.all((values >= 0.0) & (values < 10.0)))
        assert sorted_within(values, 0.0, 10.0) == (ordered and within), values
        assert finite_at_least(values, 0.0) == bool(np.all(np.isfinite(values) & (values >= 0)))
        assert not_below(values, 0.0) == bool(np.all(values >= 0.0)), values


# -- commissioned deliverables ---------------------------------------------------------------

def test_commissioned_deliverables_come_in_equal_instalments() -> None:
    rng = np.random.default_rng(5)
    assert commissioned_arrivals(rng, 3.0, 1960.0).tolist() == [0.0, 1960.0 / 3, 2 * 1960.0 / 3]
    assert commissioned_arrivals(rng, 1.0, 1960.0).tolist() == [0.0]
    assert len(commissioned_arrivals(rng, 0.0, 1960.0)) == 0


def test_a_fraction_of_a_deliverable_is_one_more_with_that_probability() -> None:
    rng = np.random.default_rng(6)
    counts = np.array([len(commissioned_arrivals(rng, 2.3, 1960.0)) for _ in range(4000)])
    assert set(counts.tolist()) == {2, 3}
    # the share of years with a third: 0.3, within four binomial standard errors
    assert abs((counts == 3).mean() - 0.3) < 4 * math.sqrt(0.3 * 0.7 / 4000)
    three = commissioned_arrivals(np.random.default_rng(1), 2.999999, 1960.0)
    assert np.allclose(np.diff(three), 1960.0 / len(three))
