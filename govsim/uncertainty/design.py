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

import typing
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel

from govsim.errors import RunError
from govsim.rng import stream_seed
from govsim.scenario import Scenario
from govsim.scenario.uncertain import UncertainInput, draw_overrides, expand_path

__all__ = ["MAX_SAMPLES", "OFF_CENTRE", "Design", "check_samples", "lhs_design",
           "sample_scenario", "written_positions"]

#: Most samples ``--uncertainty`` accepts (each is a full evaluation).
MAX_SAMPLES = 10_000
#: A written value this close to an end of its declared distribution (probability below it, or
#: above it) is "at the end": nearly every sample moves the input the same way, so the run's
#: figure may lie outside its own band (the report says which input and why).
OFF_CENTRE = 0.1


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


def _cdf(entry: UncertainInput, x: float) -> float:
    """Probability that a draw of ``entry`` is below ``x`` (0 below the range, 1 above)."""
    low, high = entry.low, entry.high
    if x <= low:
        return 0.0
    if x >= high:
        return 1.0
    if entry.distribution == "uniform":
        return (x - low) / (high - low)
    from scipy import stats  # late: scipy.stats takes 0.4 s to import; uniform needs none

    if entry.distribution == "triangular":
        c = (float(entry.peak) - low) / (high - low)  # type: ignore[arg-type]
        return float(stats.triang.cdf(x, c, loc=low, scale=high - low))
    mean, sd = float(entry.mean), float(entry.sd)  # type: ignore[arg-type]
    return float(stats.truncnorm.cdf(x, (low - mean) / sd, (high - mean) / sd, loc=mean,
                                     scale=sd))


def _end(written: float | None, quantile: float | None, entry: UncertainInput) -> str | None:
    """``below``/``bottom``/``top``/``above`` (see :func:`written_positions`), else None."""
    if written is None or quantile is None:
        return None
    if written < entry.low:
        return "below"
    if written > entry.high:
        return "above"
    if quantile <= OFF_CENTRE:
        return "bottom"
    if quantile >= 1.0 - OFF_CENTRE:
        return "top"
    return None


def written_positions(scenario: Scenario) -> list[dict[str, object]]:
    """Where the scenario's own (written) value of each uncertain input lies in its declared
    distribution: ``id``, ``path``, ``written`` (a factor of 1 when the input scales, else the
    value the path's fields share; ``None`` when they differ), ``low``, ``high`` and ``quantile``
    (probability of a draw below the written value, 0–1, 4 decimals; 0 below the range, 1
    above it; ``None`` with the written value) and ``end``: ``"below"`` or ``"above"`` the
    range, at its ``"bottom"`` or ``"top"`` (within :data:`OFF_CENTRE`), else ``None``; and
    ``written_cny``: for a factor on money fields (CNY), the written values' sum over the
    fields ``path`` matches (the counties' relief bases: the prefecture's), so that a report can
    say the range in yuan (``low`` × the sum to ``high`` × it); else ``None``.
    JSON-able: the manifest records it. The run's point is computed at the written values,
    the band at draws: an input written at an end of its range moves nearly every sample the
    same way, and can put the point outside its band (``docs/budget.md``)."""
    data = scenario.to_dict()
    out: list[dict[str, object]] = []
    for entry in scenario.uncertainty:
        written: float | None
        if entry.scale:
            written = 1.0
        else:
            values = {float(v) for path in entry.paths for _, v in expand_path(data, path) or []}
            written = values.pop() if len(values) == 1 else None
        quantile = None if written is None else round(_cdf(entry, written), 4)
        money = None
        if entry.scale and _in_cny(type(scenario), entry.path):
            money = float(sum(float(v) for _, v in expand_path(data, entry.path) or []))
        out.append({"id": entry.id, "path": entry.path, "scale": entry.scale,
                    "written": written, "low": entry.low, "high": entry.high,
                    "quantile": quantile, "end": _end(written, quantile, entry),
                    "written_cny": money})
    return out


def _in_cny(model: type[BaseModel], path: str) -> bool:
    """Whether ``path`` (``counties.*.relief_fund_last_year``) ends at a scenario field in
    yuan: its description ends in ``", CNY"`` (the scenario's unit convention)."""
    parts = path.split(".")
    k = 0
    while k < len(parts):
        info = model.model_fields.get(parts[k])
        if info is None:
            return False
        k += 1
        if k == len(parts):
            return (info.description or "").endswith(", CNY")
        entry = next(iter(typing.get_args(info.annotation)), None)
        if not (isinstance(entry, type) and issubclass(entry, BaseModel)):
            return False  # a mapping or a number: not a table of fields
        model, k = entry, k + 1  # the next part picks entries (* or an id)
    return False
