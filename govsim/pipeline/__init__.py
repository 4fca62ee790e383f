"""The simulation–optimisation loop over a contract cycle (``govsim.run``).

Modules: :mod:`~govsim.pipeline.loop` (the year loop, :func:`run`),
:mod:`~govsim.pipeline.estimates` (a plan year's estimates from the simulated year before),
:mod:`~govsim.pipeline.check` (the check rounds and the year's status),
:mod:`~govsim.pipeline.verdict` (a promise judged with its sampling interval),
:mod:`~govsim.pipeline.backlog` (warnings: growing statutory backlogs, establishment staff
short) and :mod:`~govsim.pipeline.result` (:class:`RunOptions`, :class:`RunResult`, the tables,
replay). ``docs/pipeline.md`` states the loop in full.
"""

from __future__ import annotations

from govsim.pipeline.check import (
    COVERAGE_TOLERANCE,
    RHO_FLOOR,
    RHO_STEP,
    WAIT_TOLERANCE,
    status_text,
)
from govsim.pipeline.estimates import PRIOR_FTE_YEARS, estimates_from_simulation, plan_contracts
from govsim.pipeline.loop import run
from govsim.pipeline.result import (
    MAX_SEED,
    RunError,
    RunOptions,
    RunResult,
    check_options,
    check_plan_year,
    replay_hash,
    replay_options,
)

__all__ = ["COVERAGE_TOLERANCE", "MAX_SEED", "PRIOR_FTE_YEARS", "RHO_FLOOR", "RHO_STEP",
           "WAIT_TOLERANCE", "RunError", "RunOptions", "RunResult", "check_options",
           "check_plan_year", "estimates_from_simulation", "plan_contracts", "replay_hash",
           "replay_options", "run", "status_text"]
