"""The discrete-event simulation (SimPy) of service demand and provider performance.

Modules read like the model: :mod:`~govsim.sim.engine` (worker pools and case processes on the
working-hour clock), :mod:`~govsim.sim.contracts` (renewal, tendering, assessment, bars),
:mod:`~govsim.sim.year` (one calendar year, ``simulate_year``) and :mod:`~govsim.sim.run`
(the horizon over replications in parallel, ``simulate``, confidence intervals). Units: cases,
FTE, CNY; waits in working days. See ``docs/model.md`` for the STRESS-DES description.
"""

from __future__ import annotations

from govsim.sim.contracts import CONTRACT_EVENT_COLUMNS, ContractState
from govsim.sim.engine import token_count
from govsim.sim.run import SUMMARY_METRICS, SimulationResult, simulate, summarise, t_critical
from govsim.sim.year import (
    KPI_COLUMNS,
    PROVIDER_COLUMNS,
    SimulationError,
    State,
    YearResult,
    simulate_year,
)

__all__ = [
    "CONTRACT_EVENT_COLUMNS",
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
