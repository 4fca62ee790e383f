"""The experiment design of input uncertainty: Latin-hypercube draws of the declared inputs.

:func:`lhs_design` draws ``n`` points of the scenario's ``[[uncertainty]]`` inputs with
SALib's Latin hypercube (one point in each of ``n`` equal-probability strata of every input),
on the unit interval, and maps each coordinate through its input's inverse distribution
function (:meth:`govsim.scenario.uncertain.UncertainInput.value`). The design is a
deterministic function of the scenario and the seed (stream ``"uncertainty-design"`` of the
run's seed), so the same seed gives the same points whatever executes them.
:func:`sample_scenario` turns one point into a validated what-if scenario. Units: those of the
inputs (factors where an input scales).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from govsim.errors import RunError
from govsim.rng import stream_seed
from govsim.scenario import Scenario
from govsim.scenario.uncertain import draw_overrides

__all__ = ["MAX_SAMPLES", "Design", "check_samples", "lhs_design", "sample_scenario"]

#: Most samples ``--uncertainty`` accepts (each is a full evaluation).
MAX_SAMPLES = 10_000


@dataclass(frozen=True)
class Design:
    """The sampled points: ``values`` (``sample`` + one column per input id) and ``unit``."""

    values: pd.DataFrame
    unit: np.ndarray

    @property
    def inputs(self) -> list[str]:
        return [c for c in self.values.columns if c != "sample"]

    def __len__(self) -> int:
        return len(self.values)


def check_samples(n: object, scenario: Scenario | None = None,
                  name: str = "--uncertainty") -> int:
    """``n`` as a sample count (at least 2, at most :data:`MAX_SAMPLES`); with ``scenario``,
    also that it declares uncertain inputs. Raises :class:`RunError` naming ``name``."""
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_SAMPLES:
        raise RunError(f"{name} must be a number of samples between 2 and {MAX_SAMPLES:,}, "
                       f"got {n!r}")
    if scenario is not None and not scenario.uncertainty:
        raise RunError(f"{name}: scenario {scenario.name} declares no uncertain inputs; add "
                       "[[uncertainty]] entries (docs/budget.md)")
    return n


def lhs_design(scenario: Scenario, n: int, seed: int) -> Design:
    """``n`` Latin-hypercube points of the scenario's uncertain inputs (see the module
    docstring)."""
    from SALib.sample import latin  # late: SALib is only needed here

    check_samples(n, scenario)
    inputs = scenario.uncertainty
    problem = {"num_vars": len(inputs), "names": [u.id for u in inputs],
               "bounds": [[0.0, 1.0]] * len(inputs)}
    rng = np.random.default_rng(stream_seed(seed, "uncertainty-design"))
    unit = np.clip(np.asarray(latin.sample(problem, n, seed=rng), dtype=float), 0.0, 1.0)
    columns: dict[str, object] = {"sample": np.arange(n, dtype=np.int64)}
    for j, entry in enumerate(inputs):
        columns[entry.id] = np.array([entry.value(u) for u in unit[:, j]], dtype=float)
    return Design(pd.DataFrame(columns), unit)


def sample_scenario(scenario: Scenario, design: Design, sample: int) -> Scenario:
    """The scenario with every uncertain input at its value in point ``sample`` (and no
    ``[[uncertainty]]`` entries of its own: a sample is one certain what-if)."""
    data = scenario.to_dict()
    row = design.values.iloc[sample]
    overrides: dict[str, object] = {"uncertainty": []}
    for entry in scenario.uncertainty:
        overrides.update(draw_overrides(data, entry, float(row[entry.id])))
    return scenario.with_overrides(overrides)
