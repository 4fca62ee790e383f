"""Experimental designs: the points of a sweep, from its parameters and sampler.

Every sampler but the grid first draws points in the unit hypercube ``[0, 1]^D`` and then maps
each coordinate to its parameter: ``low + u·(high − low)`` for a linear range, the same on
``log`` for a log range, ``⌊low + u·(high − low + 1)⌋`` for an integer range (each whole number
equally likely) and ``values[⌊u·k⌋]`` for a list of ``k`` values. The unit coordinates are
kept (:attr:`Design.unit`) because the Morris analysis reads them.

- ``grid``: the full factorial — ``levels`` evenly spaced values of each range (both ends
  included; geometric for log ranges; whole numbers for integer ranges), every value of a list.
- ``random``: independent uniform points.
- ``latin``: Latin hypercube (one point in each of ``points`` strata of every parameter).
- ``sobol``: Saltelli's extension of the Sobol' sequence (SALib), ``points·(D + 2)`` points,
  or ``points·(2D + 2)`` with ``second_order``; analysed by :mod:`govsim.sweep.analyze`.
- ``morris``: ``points`` Morris trajectories on a ``levels`` grid (SALib), ``points·(D + 1)``.

Designs are deterministic functions of the spec (the random ones use streams of the sweep
seed), so a resumed sweep regenerates the same points.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from govsim.rng import stream, stream_seed
from govsim.sweep.spec import ParameterSpec, SweepSpec

__all__ = ["Design", "design_size", "make_design", "salib_problem", "unit_to_values"]


@dataclass(frozen=True)
class Design:
    """The points of a sweep: ``values`` (``point`` + one column per parameter) and ``unit``."""

    values: pd.DataFrame
    unit: np.ndarray | None

    def __len__(self) -> int:
        return len(self.values)

    def point_values(self, point: int) -> dict[str, Any]:
        row = self.values.iloc[point]
        return {name: _python(row[name]) for name in self.values.columns if name != "point"}


def salib_problem(spec: SweepSpec) -> dict[str, Any]:
    """The SALib problem: every parameter on the unit interval (mapped afterwards)."""
    names = spec.parameter_names
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def design_size(spec: SweepSpec) -> int:
    """Number of points the spec's sampler produces (without drawing them)."""
    sampler, d = spec.sampler, len(spec.parameters)
    if sampler.method == "grid":
        return math.prod(len(_grid_values(p.spec, sampler.levels)) for p in spec.parameters)
    n = int(sampler.points or 0)
    if sampler.method == "sobol":
        return n * (2 * d + 2 if sampler.second_order else d + 2)
    if sampler.method == "morris":
        return n * (d + 1)
    return n


def make_design(spec: SweepSpec) -> Design:
    """Draw the spec's points."""
    sampler = spec.sampler
    specs = [p.spec for p in spec.parameters]
    names = spec.parameter_names
    if sampler.method == "grid":
        axes = [_grid_values(p, sampler.levels) for p in specs]
        rows = list(itertools.product(*axes))
        frame = pd.DataFrame(rows, columns=names) if rows else pd.DataFrame(columns=names)
        frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
        return Design(_typed(frame, specs), None)
    n, d = int(sampler.points or 0), len(specs)
    seed = int(stream_seed(spec.header.seed, "sweep-design").generate_state(1)[0])
    if sampler.method == "random":
        unit = stream(spec.header.seed, "sweep-design", "random").random((n, d))
    elif sampler.method == "latin":
        unit = _latin(n, d, stream(spec.header.seed, "sweep-design", "latin"))
    elif sampler.method == "sobol":
        from SALib.sample import sobol

        unit = sobol.sample(salib_problem(spec), n, calc_second_order=sampler.second_order,
                            scramble=True, seed=seed)
    else:
        from SALib.sample import morris

        unit = morris.sample(salib_problem(spec), n, num_levels=sampler.levels, seed=seed)
    return Design(unit_to_values(unit, specs, names), np.asarray(unit, dtype=float))


def unit_to_values(unit: np.ndarray, specs: list[ParameterSpec], names: list[str]
                   ) -> pd.DataFrame:
    """Map unit-hypercube coordinates to parameter values (one column per parameter)."""
    unit = np.clip(np.asarray(unit, dtype=float), 0.0, 1.0)
    columns: dict[str, Any] = {"point": np.arange(len(unit), dtype=np.int64)}
    for j, (p, name) in enumerate(zip(specs, names, strict=True)):
        u = unit[:, j]
        if p.values is not None:
            index = np.minimum((u * len(p.values)).astype(int), len(p.values) - 1)
            columns[name] = [p.values[i] for i in index]
        elif p.integer:
            low, high = int(p.low or 0), int(p.high or 0)
            columns[name] = np.minimum(np.floor(low + u * (high - low + 1)), high).astype(np.int64)
        elif p.scale == "log":
            lo, hi = math.log(float(p.low or 1)), math.log(float(p.high or 1))
            columns[name] = np.exp(lo + u * (hi - lo))
        else:
            columns[name] = float(p.low or 0) + u * (float(p.high or 0) - float(p.low or 0))
    return _typed(pd.DataFrame(columns), specs)


def _grid_values(p: ParameterSpec, default_levels: int) -> list[Any]:
    if p.values is not None:
        return list(p.values)
    levels = p.levels or default_levels
    low, high = float(p.low or 0), float(p.high or 0)
    axis = np.geomspace(low, high, levels) if p.scale == "log" else np.linspace(low, high, levels)
    if p.integer:
        return sorted({round(float(v)) for v in axis})
    return [float(v) for v in axis]


def _latin(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """Latin hypercube: each column has exactly one point in each of ``n`` equal strata."""
    strata = np.stack([rng.permutation(n) for _ in range(d)], axis=1) if d else np.empty((n, 0))
    return (strata + rng.random((n, d))) / n


def _typed(frame: pd.DataFrame, specs: list[ParameterSpec]) -> pd.DataFrame:
    """Numbers as float64 (int64 for integer ranges), text as str, flags as bool."""
    for p, name in zip(specs, frame.columns[1:], strict=True):
        if p.values is None:
            frame[name] = frame[name].astype(np.int64 if p.integer else np.float64)
        elif isinstance(p.values[0], bool):
            frame[name] = frame[name].astype(bool)
        elif isinstance(p.values[0], int | float):
            whole = all(isinstance(v, int) for v in p.values)
            frame[name] = frame[name].astype(np.int64 if whole else np.float64)
        else:
            frame[name] = frame[name].astype(object)
    return frame.reset_index(drop=True)


def _python(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
