"""The sweep file: which scenario, which parameters over which ranges, how to sample, what to keep.

A sweep file is TOML with three parts (the full reference is ``docs/sweep.md``)::

    [sweep]                      # what to run
    name = "tiny-cap"
    scenario = "tiny"            # built-in name, or a path relative to the sweep file
    stage = "allocate"           # simulate | allocate | run
    replications = 1             # runs per point (independent random streams)
    seed = 1
    metrics = ["spend_cny", "coverage"]

    [sampler]                    # how to choose the points
    method = "sobol"             # grid | random | latin | sobol | morris
    points = 16

    [[parameters]]               # what varies, by dotted scenario path
    name = "cap_share"
    path = "policy.relief_cap_share"
    low = 0.01
    high = 0.05

A parameter is a range (``low``/``high``, optionally ``scale = "log"`` or ``integer = true``)
or a list of ``values``. One parameter may move several scenario fields together (``path``
as a list, or a ``*`` wildcard such as ``counties.*.dibao``); with ``mode = "scale"`` the
sampled number multiplies each field's base value, with ``mode = "shift"`` it is added to it.

:func:`load_sweep_spec` validates everything it can before a single run starts — the schema
(unknown keys are errors), the metric names, and every parameter's paths and end values against
the base scenario — and reports every problem at once as a :class:`SweepSpecError` with the
file, line, field path and value.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import Field, field_validator, model_validator

from govsim.bounds import limit
from govsim.errors import InputError, Problem, ScenarioError, SweepError, SweepSpecError
from govsim.inputs import InputModel, parse_toml, read_text, validation_problems
from govsim.scenario import Scenario, builtin_scenarios, load_scenario
from govsim.scenario.lines import line_index, placed
from govsim.sweep.metrics import METRICS, metrics_for_stage

__all__ = [
    "ParameterSpec",
    "ResolvedParameter",
    "SamplerSpec",
    "SweepError",
    "SweepHeader",
    "SweepSpec",
    "SweepSpecError",
    "load_sweep_spec",
]

log = logging.getLogger(__name__)

Stage = Literal["simulate", "allocate", "run"]
Method = Literal["grid", "random", "latin", "sobol", "morris"]
_SLUG = r"^[a-z0-9][a-z0-9_-]*$"
_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
#: Names a parameter cannot take (columns of the runs table).
_RESERVED = {"point", "replication", "status", "error", "duration_s", "worker", "finished_utc"}


class _Model(InputModel):
    pass


class SweepHeader(_Model):
    """The ``[sweep]`` table: what each run does and which numbers it keeps."""

    name: str = Field(pattern=_SLUG, description="ASCII slug; default output results/sweeps/NAME")
    description: str = Field("", description="Free text: the question the sweep asks")
    scenario: str = Field(description="Built-in scenario name or path (relative to this file)")
    stage: Stage = Field(description="Pipeline stage each run executes")
    metrics: tuple[str, ...] = Field(min_length=1, description="Metric names kept per run")
    replications: int = Field(1, ge=1, le=100_000, description="Runs per point")
    seed: int = Field(0, ge=0, description="Root seed of the sweep")
    years: int | None = Field(None, ge=1, le=limit("horizon_years"),
                              description="simulate/run: plan years (default: horizon_years)")
    year: int | None = Field(None, ge=1990, le=2100,
                             description="allocate: calendar plan year (default: base_year)")
    solver: Literal["highs", "cbc"] = Field("highs", description="allocate/run: solver")
    run_replications: int | None = Field(
        None, ge=1, le=limit("replications"),
        description="run: simulation replications inside each pipeline run")
    rounds: int | None = Field(None, ge=1, le=limit("rounds"),
                               description="run: allocation–check rounds per year")
    engine: Literal["compiled", "simpy"] = Field(
        "compiled", description="simulate/run: simulation engine (results are identical)")


class SamplerSpec(_Model):
    """The ``[sampler]`` table: the experimental design."""

    method: Method = Field(description="grid | random | latin | sobol | morris")
    points: int | None = Field(
        None, ge=1, le=10_000_000,
        description="random/latin: points; sobol: base sample N (power of 2); "
        "morris: trajectories; grid: not used (levels decide)")
    levels: int = Field(4, ge=2, le=1000,
                        description="grid: levels per range; morris: grid levels (even)")
    second_order: bool = Field(False, description="sobol: also sample second-order indices")

    @model_validator(mode="after")
    def _points_fit_method(self) -> SamplerSpec:
        if self.method == "grid" and self.points is not None:
            raise ValueError("a grid takes its size from the levels; remove 'points'")
        if self.method != "grid" and self.points is None:
            raise ValueError(f"method {self.method!r} needs 'points'")
        if self.method == "sobol" and self.points is not None and (
                self.points & (self.points - 1)):
            low = 1 << (self.points.bit_length() - 1)
            raise ValueError(f"sobol needs points = a power of 2 (Sobol' balance), e.g. "
                             f"{low} or {low * 2}")
        if self.method == "morris" and self.points is not None and self.points < 2:
            raise ValueError("morris needs at least 2 trajectories")
        if self.method == "morris" and self.levels % 2:
            raise ValueError("morris needs an even number of levels")
        return self


class ParameterSpec(_Model):
    """One ``[[parameters]]`` entry: a range or a list of values, applied to scenario paths."""

    name: str | None = Field(None, pattern=_NAME,
                             description="Column name (default: the last part of the path)")
    path: str | tuple[str, ...] = Field(description="Dotted scenario path(s); '*' = every entry")

    @field_validator("path")
    @classmethod
    def _paths_given(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        paths = (value,) if isinstance(value, str) else value
        if not paths:
            raise ValueError("give at least one scenario path")
        if any(not p.strip() for p in paths):
            raise ValueError("a path may not be empty")
        return value
    low: float | None = Field(None, description="Range start")
    high: float | None = Field(None, description="Range end")
    scale: Literal["linear", "log"] = Field("linear", description="Spacing of the range")
    integer: bool = Field(False, description="Whole numbers only (low..high inclusive)")
    values: tuple[Any, ...] | None = Field(None, min_length=1, description="Discrete values")
    levels: int | None = Field(None, ge=2, description="grid: levels of this range")
    mode: Literal["set", "scale", "shift"] = Field(
        "set", description="set the value, multiply (scale) or add to (shift) the base value")

    @model_validator(mode="after")
    def _range_or_values(self) -> ParameterSpec:
        has_range = self.low is not None or self.high is not None
        if self.values is not None and has_range:
            raise ValueError("give either low/high or values, not both")
        if self.values is None:
            if self.low is None or self.high is None:
                raise ValueError("a range needs both low and high (or give values)")
            if not self.low < self.high:
                raise ValueError(f"low must be below high (got {self.low} and {self.high})")
            if self.scale == "log" and self.low <= 0:
                raise ValueError("a log-scale range needs low > 0")
            if self.integer and (self.low != int(self.low) or self.high != int(self.high)):
                raise ValueError("an integer range needs whole-number low and high")
        else:
            if self.integer or self.scale != "linear" or self.levels is not None:
                raise ValueError("integer, scale and levels apply to ranges, not to values")
            kinds = {_kind(v) for v in self.values}
            if len(kinds) != 1 or None in kinds:
                raise ValueError("values must all be numbers, all text or all true/false")
            if len(set(map(repr, self.values))) != len(self.values):
                raise ValueError("values must not repeat")
        if self.mode != "set" and (self.values is not None and _kind(self.values[0]) != "number"):
            raise ValueError(f"mode {self.mode!r} needs numbers")
        return self

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.path,) if isinstance(self.path, str) else tuple(self.path)

    @property
    def column(self) -> str:
        return self.name or self.paths[0].rsplit(".", 1)[-1]


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    return None


class _SpecModel(_Model):
    sweep: SweepHeader
    sampler: SamplerSpec
    parameters: tuple[ParameterSpec, ...] = Field(min_length=1)


@dataclass(frozen=True)
class ResolvedParameter:
    """A parameter tied to the base scenario: the concrete fields it sets and their base values.

    ``targets`` pairs each concrete dotted path (list entries by id) with its base value;
    :meth:`overrides` turns one sampled value into ``with_overrides`` input.
    """

    spec: ParameterSpec
    targets: tuple[tuple[str, Any], ...]

    @property
    def name(self) -> str:
        return self.spec.column

    def overrides(self, value: Any) -> dict[str, Any]:
        if self.spec.mode == "set":
            return {path: value for path, _ in self.targets}
        out = {}
        for path, base in self.targets:
            new = base * value if self.spec.mode == "scale" else base + value
            # Counts stay counts: a scaled integer field (dibao, townships) is rounded.
            out[path] = round(float(new)) if isinstance(base, int) else float(new)
        return out

    def overrides_or_none(self, value: Any) -> dict[str, Any] | None:
        """:meth:`overrides`, or ``None`` when a shifted or scaled value is not finite."""
        if self.spec.mode != "set" and any(
                not math.isfinite(float(base) * value if self.spec.mode == "scale"
                                  else float(base) + value) for _, base in self.targets):
            return None
        return self.overrides(value)


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: header, sampler, parameters and the base scenario they apply to."""

    header: SweepHeader
    sampler: SamplerSpec
    parameters: tuple[ResolvedParameter, ...]
    scenario: Scenario
    text: str
    source: str | None = None

    @property
    def name(self) -> str:
        return self.header.name

    @property
    def parameter_names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def canonical(self) -> dict[str, Any]:
        """Everything that decides the runs' results (not comments, not file locations)."""
        return {
            # the engine is not part of it: both engines give identical runs
            "sweep": self.header.model_dump(mode="json",
                                            exclude={"description", "scenario", "engine"}),
            "sampler": self.sampler.model_dump(mode="json"),
            "parameters": [{**p.spec.model_dump(mode="json"), "targets": [t for t, _ in
                                                                           p.targets]}
                           for p in self.parameters],
            "scenario_hash": self.scenario.content_hash(),
        }

    def spec_hash(self) -> str:
        """SHA-256 of :meth:`canonical`: two sweeps with the same hash produce the same runs."""
        blob = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def overrides(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Scenario overrides of one point, given its parameter values by name."""
        out: dict[str, Any] = {}
        for parameter in self.parameters:
            out.update(parameter.overrides(values[parameter.name]))
        return out


def load_sweep_spec(source: str | Path | Mapping[str, Any], *,
                    base_dir: str | Path | None = None) -> SweepSpec:
    """Load and validate a sweep file (a path, TOML text, or already-parsed data).

    Parameters
    ----------
    source : str, Path or mapping
        A path to a ``.toml`` file, TOML text (anything containing a newline), or a dict
        with the file's structure.
    base_dir : path, optional
        Folder that a relative ``scenario`` path is taken from (default: the sweep file's
        folder, or the current folder for text and dicts).

    Raises
    ------
    SweepSpecError
        Every problem found, each with file, line, field path and value.

    Examples
    --------
    >>> spec = load_sweep_spec("scenarios/sweeps/tiny.toml")
    >>> spec.header.stage
    'simulate'
    """
    text, name, data = _read(source)
    folder = Path(base_dir) if base_dir is not None else (
        Path(name).parent if name and Path(name).exists() else Path.cwd())
    lines = line_index(text) if text else {}

    def place(problems: list[Problem]) -> SweepSpecError:
        return SweepSpecError([placed(p, name, lines) for p in problems])

    problems = validation_problems(_SpecModel, data)
    if problems:
        raise place(problems)
    model = _SpecModel.model_validate(data)
    problems = _metric_problems(model.sweep)
    if model.sweep.stage == "allocate" and model.sweep.replications != 1:
        problems.append(Problem("sweep.replications", "the allocate stage is deterministic; "
                                "use replications = 1", value=model.sweep.replications))
    try:
        scenario = _scenario(model.sweep.scenario, folder)
    except ScenarioError as exc:
        problems.append(Problem("sweep.scenario", "; ".join(p.message for p in exc.problems),
                                value=model.sweep.scenario))
        raise place(problems) from exc
    resolved, more = _resolve_parameters(model.parameters, scenario,
                                         _RESERVED | set(model.sweep.metrics))
    problems += more
    if problems:
        raise place(problems)
    if text is None:
        text = tomli_w.dumps(_plain(dict(data)))
    return SweepSpec(header=model.sweep, sampler=model.sampler, parameters=tuple(resolved),
                     scenario=scenario, text=text, source=name)


def _read(source: str | Path | Mapping[str, Any]) -> tuple[str | None, str | None,
                                                             Mapping[str, Any]]:
    if isinstance(source, Mapping):
        return None, None, source
    if isinstance(source, str) and "\n" in source:
        text, name = source, None
    else:
        name = str(source)
        text = _as_spec_error(lambda: read_text(source, "sweep file"))
    text = text.removeprefix("\ufeff")
    return text, name, _as_spec_error(lambda: parse_toml(text, name, "sweep file"))


def _as_spec_error(read: Any) -> Any:
    """Run ``read`` and report an unreadable or malformed file as a :class:`SweepSpecError`."""
    try:
        return read()
    except InputError as exc:
        raise SweepSpecError(exc.problems) from exc


def _metric_problems(header: SweepHeader) -> list[Problem]:
    valid = metrics_for_stage(header.stage)
    problems = []
    for index, name in enumerate(header.metrics):
        if name not in valid:
            where = (f"a {METRICS[name].stages[0]}-stage metric; " if name in METRICS else "")
            hint = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
            message = (f"unknown metric for stage {header.stage!r}: {where}"
                       + (f"did you mean {hint[0]!r}? " if hint else "")
                       + f"valid: {', '.join(valid)}")
            problems.append(Problem(f"sweep.metrics[{index}]", message, value=name))
    if len(set(header.metrics)) != len(header.metrics):
        problems.append(Problem("sweep.metrics", "a metric is listed twice",
                                value=list(header.metrics)))
    return problems


def _scenario(name: str, folder: Path) -> Scenario:
    candidate = folder / name
    if candidate.is_file():
        return load_scenario(candidate)
    if name in builtin_scenarios() or Path(name).exists():
        return load_scenario(name)
    return load_scenario(candidate)  # raises with the built-in names and a "did you mean"


def _resolve_parameters(specs: tuple[ParameterSpec, ...], scenario: Scenario,
                        reserved: set[str]) -> tuple[list[ResolvedParameter], list[Problem]]:
    data = scenario.to_dict()
    resolved: list[ResolvedParameter] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, spec in enumerate(specs):
        where = f"parameters[{index}]"
        if spec.column in seen:
            problems.append(Problem(f"{where}.name", f"two parameters are called "
                                    f"{spec.column!r} (parameters[{seen[spec.column]}] too); "
                                    "give each a distinct name", value=spec.column))
            continue
        seen[spec.column] = index
        if spec.column in reserved:
            problems.append(Problem(f"{where}.name", f"{spec.column!r} is a column of the runs "
                                    "table or a metric; give the parameter another name",
                                    value=spec.column))
            continue
        targets: list[tuple[str, Any]] = []
        local: list[Problem] = []
        for path in spec.paths:
            found = _expand(data, path)
            if not found:
                local.append(_path_problem(scenario, path, f"{where}.path"))
            targets += found
        local = local or _target_problems(spec, targets, where)
        parameter = ResolvedParameter(spec, tuple(targets))
        local = local or _endpoint_problems(parameter, scenario, where)
        problems += local
        resolved.append(parameter)
    return resolved, problems


def _expand(data: Any, path: str) -> list[tuple[str, Any]]:
    """Concrete ``(path, base value)`` pairs of a dotted path; list entries by id or index."""
    nodes: list[tuple[list[str], Any]] = [([], data)]
    for part in path.split("."):
        found: list[tuple[list[str], Any]] = []
        for trail, node in nodes:
            if isinstance(node, list):
                for i, entry in enumerate(node):
                    label = entry.get("id", str(i)) if isinstance(entry, dict) else str(i)
                    if part in ("*", label, str(i)):
                        found.append(([*trail, str(label)], entry))
            elif isinstance(node, dict):
                for key, value in node.items():
                    if part in ("*", key):
                        found.append(([*trail, key], value))
        nodes = found
    return [(".".join(trail), value) for trail, value in nodes
            if not isinstance(value, dict | list)]


def _path_problem(scenario: Scenario, path: str, where: str) -> Problem:
    """Let the scenario's own override check explain a bad path (with a 'did you mean')."""
    try:
        scenario.with_overrides({path: 0})
    except ScenarioError as exc:
        paths = [p for p in exc.problems if "override path" in p.message]
        if paths:
            return Problem(where, paths[0].message, value=path)
    return Problem(where, "path does not name a value of the scenario (a table or list "
                   "cannot be swept; name one field)", value=path)


def _target_problems(spec: ParameterSpec, targets: list[tuple[str, Any]],
                     where: str) -> list[Problem]:
    problems = []
    for path, base in targets:
        numeric = isinstance(base, int | float) and not isinstance(base, bool)
        if spec.mode != "set" and not numeric:
            problems.append(Problem(f"{where}.mode", f"{path} is not a number (base value "
                                    f"{base!r}); only numbers can be scaled or shifted",
                                    value=spec.mode))
        elif (spec.mode == "set" and spec.values is None and isinstance(base, int)
              and not isinstance(base, bool) and not spec.integer):
            problems.append(Problem(f"{where}.integer", f"{path} is a whole number; add "
                                    "integer = true (or use mode = \"scale\")", value=False))
    return problems


def _endpoint_problems(parameter: ResolvedParameter, scenario: Scenario,
                       where: str) -> list[Problem]:
    """Each end of the range (each value) alone, on the base scenario, must be valid."""
    spec = parameter.spec
    ends = list(spec.values) if spec.values is not None else [spec.low, spec.high]
    if spec.integer:
        ends = [int(v) for v in ends]
    for value in ends:
        if isinstance(value, float) and not math.isfinite(value):
            return [Problem(where, "values must be finite", value=value)]
        overrides = parameter.overrides_or_none(value)
        if overrides is None:  # e.g. a scale of -1e308 on a base of 6 overflows
            return [Problem(where, f"value {value!r} gives a value that is not finite",
                            value=value)]
        try:
            scenario.with_overrides(overrides)
        except ScenarioError as exc:
            reasons = "; ".join(f"{p.path}: {p.message}" for p in exc.problems[:3])
            return [Problem(where, f"value {value!r} gives an invalid scenario: {reasons}",
                            value=value)]
    return []


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
