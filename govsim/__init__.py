"""govsim: how much social-assistance and child-welfare service to buy, where, and from whom.

A discrete-event simulation of service demand and provider performance feeds a linear program
that allocates the purchase budget under the policy caps of the Sichuan and Guang'an documents.
The public API is re-exported here; see README.md.
"""

from __future__ import annotations

import logging

from govsim.compliance import check_compliance
from govsim.errors import GovsimError, Problem, ScenarioError
from govsim.policy import RULES, caseworkers_required, child_staff_required
from govsim.scenario import Scenario, builtin_scenarios, load_scenario

__version__ = "0.1.0"

from govsim import sweep
from govsim.allocation import AllocationResult, allocate
from govsim.compare import Comparison, compare
from govsim.pipeline import RunResult, run
from govsim.sim import SimulationResult, simulate

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "RULES",
    "AllocationResult",
    "Comparison",
    "GovsimError",
    "Problem",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "__version__",
    "allocate",
    "builtin_scenarios",
    "caseworkers_required",
    "check_compliance",
    "child_staff_required",
    "compare",
    "load_scenario",
    "run",
    "simulate",
    "sweep",
]
