"""govsim: how much social-assistance and child-welfare service to buy, where, and from whom.

A discrete-event simulation of service demand and provider performance feeds a linear program
that allocates the purchase budget under the policy caps of the Sichuan and Guang'an documents.
The public API is re-exported here; see README.md.

The names below are imported on first use (PEP 562), so that ``import govsim`` — and the
``govsim`` command, which installs its Ctrl-C handling first thing — starts in milliseconds
instead of loading pandas, SimPy and PuLP before anything can answer.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

#: Public name -> the module it lives in.
_EXPORTS = {
    "RULES": "govsim.policy",
    "AllocationResult": "govsim.allocation",
    "Comparison": "govsim.compare",
    "GovsimError": "govsim.errors",
    "Problem": "govsim.errors",
    "RunResult": "govsim.pipeline",
    "Scenario": "govsim.scenario",
    "ScenarioError": "govsim.errors",
    "SimulationResult": "govsim.sim",
    "allocate": "govsim.allocation",
    "builtin_scenarios": "govsim.scenario",
    "caseworkers_required": "govsim.policy",
    "check_compliance": "govsim.compliance",
    "child_staff_required": "govsim.policy",
    "compare": "govsim.compare",
    "load_scenario": "govsim.scenario",
    "run": "govsim.uncertainty.run_band",  # the pipeline's run and its money band
    "simulate": "govsim.sim",
}

__all__ = [*sorted(_EXPORTS), "__version__", "sweep"]

if TYPE_CHECKING:  # what type checkers and IDEs see (ruff: re-exports)
    from govsim import sweep
    from govsim.allocation import AllocationResult, allocate  # noqa: F401
    from govsim.compare import Comparison, compare  # noqa: F401
    from govsim.compliance import check_compliance  # noqa: F401
    from govsim.errors import GovsimError, Problem, ScenarioError  # noqa: F401
    from govsim.pipeline import RunResult  # noqa: F401
    from govsim.policy import RULES, caseworkers_required, child_staff_required  # noqa: F401
    from govsim.scenario import Scenario, builtin_scenarios, load_scenario  # noqa: F401
    from govsim.sim import SimulationResult, simulate  # noqa: F401
    from govsim.uncertainty.run_band import run  # noqa: F401


def __getattr__(name: str) -> Any:
    if name == "sweep":  # a subpackage that is also callable (govsim.sweep(...))
        return importlib.import_module("govsim.sweep")
    if name not in _EXPORTS:
        raise AttributeError(f"module 'govsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
