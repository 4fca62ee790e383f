"""What one pool's year is drawn from: :class:`PoolDraw` → key for the memo, and the spec.

A pool's :class:`~govsim.sim.spec.PoolSpec` is a pure function of a few inputs: the run's seed,
the year and replication, the county and item (they name the random streams), the item's
expected monthly cases and service, patience and target-wait figures, the clock, the carried
backlog and the workers (slots). :class:`PoolDraw` holds exactly those inputs;
:meth:`PoolDraw.spec` draws the spec from them and nothing else, so :meth:`PoolDraw.key` — a
hash of the same inputs — identifies the outcome before anything is drawn: a pool the memo
(:func:`~govsim.sim.engine.run_pool_memo`) has seen costs neither drawing nor simulating.
Random numbers come only from :func:`govsim.rng.stream`, keyed ``(year, replication,
purpose, county, item)`` with purposes ``arrivals``, ``service``, ``backlog`` (work and
patience of carried cases), ``patience``. Units: clock hours, cases per month.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from govsim.rng import stream
from govsim.sim.spec import (
    PoolSpec,
    Slot,
    commissioned_arrivals,
    poisson_arrivals,
    service_hours,
)

__all__ = ["PoolDraw"]

_SLOT = struct.Struct("<4d")


@dataclass(frozen=True)
class PoolDraw:
    """The inputs of one pool's year; ``arrival_hours`` (sorted) replaces the drawn arrivals:
    a Poisson process, or ``commissioned`` deliverables in equal instalments."""

    seed: int
    year: int
    replication: int
    county: str
    item: str
    monthly_cases: np.ndarray | None
    arrival_hours: np.ndarray | None
    hours_per_year: float
    efficiency: float
    distribution: str
    mean_hours: float
    service_cv: float
    patience_hours: float | None
    target_wait_hours: float
    penalty_per_hour: float
    carried_ages: np.ndarray
    slots: Sequence[Slot]
    deadline_hours: float = float("inf")
    peak_hours: tuple[float, float] | None = None
    commissioned: bool = False

    def key(self) -> bytes:
        """A digest of every input (slot names aside: they change nothing)."""
        digest = hashlib.blake2b(digest_size=20)
        digest.update(repr((self.seed, self.year, self.replication, self.county, self.item,
                            self.distribution, self.patience_hours is None,
                            self.commissioned)).encode())
        digest.update(struct.pack("<7d", self.hours_per_year, self.efficiency, self.mean_hours,
                                  self.service_cv, self.patience_hours or 0.0,
                                  self.target_wait_hours, self.penalty_per_hour))
        digest.update(struct.pack("<3d", self.deadline_hours, *(self.peak_hours or (-1.0, -1.0))))
        digest.update(b"".join(s.kind.encode() + b"\0" + _SLOT.pack(s.fte, s.quality,
                                                                    s.start_hours, s.end_hours)
                               for s in self.slots))  # the bytes of one update per field, at once
        for array in (self.monthly_cases, self.arrival_hours, self.carried_ages):
            if array is None:
                digest.update(b"none")
            else:
                data = np.ascontiguousarray(array, dtype=float)
                digest.update(len(data).to_bytes(8, "little"))
                digest.update(data.data)
        return digest.digest()

    def spec(self) -> PoolSpec:
        """Draw the pool's arrivals, work and patience (carried cases first)."""
        name = (self.year, self.replication)
        where = (self.county, self.item)
        horizon = self.hours_per_year
        if self.arrival_hours is not None:
            arrivals = self.arrival_hours
        else:
            rng = stream(self.seed, *name, "arrivals", *where)
            arrivals = commissioned_arrivals(rng, float(np.sum(self.monthly_cases)), horizon) \
                if self.commissioned else poisson_arrivals(rng, self.monthly_cases, horizon)
        n_carried = len(self.carried_ages)
        dist, mean, cv = self.distribution, self.mean_hours, self.service_cv
        service = service_hours(stream(self.seed, *name, "service", *where), dist, mean, cv,
                                len(arrivals))
        carried_rng = stream(self.seed, *name, "backlog", *where) if n_carried else None
        work = service if carried_rng is None else \
            np.concatenate([service_hours(carried_rng, dist, mean, cv, n_carried), service])
        patience = None
        if self.patience_hours is not None:
            # exponential patience is memoryless: a carried case draws afresh
            fresh = stream(self.seed, *name, "patience", *where).exponential(
                self.patience_hours, len(arrivals))
            patience = fresh if carried_rng is None else np.concatenate(
                [carried_rng.exponential(self.patience_hours, n_carried), fresh])
        return PoolSpec(
            hours_per_year=horizon,
            efficiency=self.efficiency,
            arrival_hours=arrivals,
            carried_ages=np.asarray(self.carried_ages, dtype=float),
            work_hours=work,
            patience_hours=patience,
            slots=self.slots,
            target_wait_hours=self.target_wait_hours,
            penalty_per_hour=self.penalty_per_hour,
            deadline_hours=self.deadline_hours,
            peak_hours=self.peak_hours,
        )
