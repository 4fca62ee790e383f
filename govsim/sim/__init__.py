"""The discrete-event simulation of service demand and provider performance.

Modules read like the model: :mod:`~govsim.sim.spec` (a pool's year as data: slots, tokens, the
log and its summary), :mod:`~govsim.sim.engine` (``run_pool``; the SimPy reference engine, one
process per case on the working-hour clock), :mod:`~govsim.sim.kernel` (the compiled engine,
the default: :mod:`~govsim.sim.kernel_fifo` and :mod:`~govsim.sim.kernel_events`),
:mod:`~govsim.sim.contracts` (renewal, tendering, assessment, bars), :mod:`~govsim.sim.year`
(one calendar year, ``simulate_year``), :mod:`~govsim.sim.horizon` (the horizon over
replications, ``simulate``, confidence intervals) and :mod:`~govsim.sim.workers` (the worker
processes that simulate a year's replications, ``ReplicationWorkers``). A *pool* is always one
(county × item) queue and its workers, never a set of processes. Units: cases, FTE, CNY; waits
in working days. See ``docs/model.md`` for the STRESS-DES description.

May import: ``govsim.scenario``, ``govsim.demand``, ``govsim.rng``, ``govsim.parallel``,
``govsim.errors`` (and ``govsim.stats`` once it exists); never ``govsim.allocation``,
``govsim.pipeline`` or ``govsim.output``.
"""

from __future__ import annotations

from govsim.errors import SimulationError
from govsim.sim.contracts import CONTRACT_EVENT_COLUMNS, ContractState
from govsim.sim.engine import DEFAULT_ENGINE, ENGINES, token_count
from govsim.sim.horizon import SUMMARY_METRICS, SimulationResult, simulate, summarise, t_critical
from govsim.sim.year import KPI_COLUMNS, PROVIDER_COLUMNS, State, YearResult, simulate_year

__all__ = [
    "CONTRACT_EVENT_COLUMNS",
    "DEFAULT_ENGINE",
    "ENGINES",
    "KPI_COLUMNS",
    "PROVIDER_COLUMNS",
    "SUMMARY_METRICS",
    "ContractState",
    "SimulationError",
    "SimulationResult",
    "State",
    "YearResult",
    "simulate",
    "simulate_year",
    "summarise",
    "t_critical",
    "token_count",
]
