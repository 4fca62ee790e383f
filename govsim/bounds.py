"""Plausibility bounds of scenario figures and the limits of what govsim accepts, as data.

``govsim/data/bounds.toml`` holds, each with its reason: ranges of single figures
(:data:`BOUNDS`), relations between the figures of one county (:data:`RELATIONS`) and the sizes
of runs and inputs (:data:`LIMITS`). A value outside an ``error`` range is impossible, or would
exhaust memory or numerical precision later: the scenario is invalid. Outside a ``warn`` range
it is implausible: a warning, and the scenario runs.

:func:`bound_problems` checks raw scenario data (so that every problem is reported at once,
even when other fields are bad); :func:`size_problems` checks a validated scenario for sizes the
simulation could not hold — expected cases and workers per (county, item) over the plan horizon.
:func:`check_allocatable` refuses, before an allocation, provider types it could not plan on.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from govsim.errors import Problem

if TYPE_CHECKING:
    from govsim.scenario import Scenario

__all__ = ["BOUNDS", "LIMITS", "RELATIONS", "Bound", "Limit", "Relation", "bound_problems",
           "capacity_problems", "check_allocatable", "format_number", "limit", "size_problems"]


@dataclass(frozen=True)
class Bound:
    """The range one figure (``path``, ``*`` for every entry) must or should lie in."""

    path: str
    reason: str
    error_min: float | None = None
    error_max: float | None = None
    warn_min: float | None = None
    warn_max: float | None = None


@dataclass(frozen=True)
class Relation:
    """Within every entry of ``table``: ``sum(lhs) <= factor * sum(rhs)``."""

    table: str
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    reason: str
    factor: float = 1.0
    severity: str = "error"


@dataclass(frozen=True)
class Limit:
    """A size limit of runs or inputs."""

    name: str
    value: int
    reason: str


def _load() -> tuple[tuple[Bound, ...], tuple[Relation, ...], dict[str, Limit]]:
    raw = tomllib.loads((resources.files("govsim") / "data" / "bounds.toml").read_text("utf-8"))
    bounds = tuple(Bound(**entry) for entry in raw.get("bounds", []))
    relations = tuple(Relation(**{**entry, "lhs": tuple(entry["lhs"]),
                                  "rhs": tuple(entry["rhs"])})
                      for entry in raw.get("relations", []))
    limits = {name: Limit(name, int(entry["value"]), entry["reason"])
              for name, entry in raw.get("limits", {}).items()}
    return bounds, relations, limits


BOUNDS, RELATIONS, LIMITS = _load()


def format_number(value: float) -> str:
    """A bound as people read it: ``8,784``, ``0.002``, ``1e+12`` only when very large."""
    if float(value).is_integer() and abs(value) < 1e13:
        return f"{int(value):,}"
    return f"{value:,.6g}"


def limit(name: str) -> int:
    """The value of the limit called ``name`` (a key of :data:`LIMITS`)."""
    return LIMITS[name].value


def bound_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Errors and warnings for figures outside their bounds, and broken relations.

    Works on raw data: values that are not numbers are left to the schema.
    """
    problems: list[Problem] = []
    for bound in BOUNDS:
        for path, value in _values(data, bound.path.split(".")):
            problems += _check_bound(bound, path, value)
    for relation in RELATIONS:
        entries = data.get(relation.table) if isinstance(data, Mapping) else None
        if not isinstance(entries, list | tuple):
            continue
        for index, entry in enumerate(entries):
            if isinstance(entry, Mapping):
                problems += _check_relation(relation, f"{relation.table}[{index}]", entry)
    return problems


def size_problems(scenario: Scenario) -> list[Problem]:
    """Errors for (county, item) pools too large to simulate over the plan horizon."""
    header = scenario.header
    max_cases = limit("cases_per_pool_year")
    max_workers = limit("workers_per_pool")
    problems: list[Problem] = []
    for i, item in enumerate(scenario.items):
        growth = max((1.0 + item.growth) ** k for k in range(header.horizon_years))
        level = sum(item.monthly) / len(item.monthly)
        for county in scenario.counties:
            cases = sum(county.driver(d) for d in item.driver) * item.rate * growth * level
            if cases > max_cases:
                problems.append(Problem(
                    f"items[{i}].rate", f"expects {cases:,.0f} cases a year of {item.id} in "
                    f"{county.id} within the plan horizon (drivers x rate x growth x monthly); "
                    f"the simulation holds every case of a (county, item) in memory, at most "
                    f"{max_cases:,}", value=item.rate))
                break
    director_hours = scenario.baseline.director_hours_per_year
    for c, county in enumerate(scenario.counties):
        directors = county.child_welfare_directors * director_hours / \
            header.productive_hours_per_fte
        for name, fte in (("public_caseworkers", county.public_caseworkers),
                          ("child_welfare_directors", directors),
                          *((f"market.{k}", v) for k, v in county.market.items())):
            if fte > max_workers:
                problems.append(Problem(
                    f"counties[{c}].{name}", f"makes {fte:,.0f} FTE work on one (county, "
                    f"item); the simulation keeps one token per worker, at most "
                    f"{max_workers:,}", value=getattr(county, name, None)
                    if "." not in name else county.market[name.split(".", 1)[1]]))
    return problems


def capacity_problems(scenario: Scenario, severity: str = "warning") -> list[Problem]:
    """Provider types the allocation expects to lose all their capacity to failures.

    The allocation plans on each type's expected capacity loss (hazard × (delay share +
    (1 − takeover share) × ½ × (1 − delay share)), capped at 1); at 100 % nothing bought from
    it would count. Such a scenario can still be simulated (a warning), not allocated.
    """
    from govsim.allocation.estimates import default_capacity_loss  # late: a heavier room

    working_days = scenario.header.hours_per_year / 8.0
    problems = []
    for k, ptype in enumerate(scenario.provider_types):
        loss = default_capacity_loss(ptype.failure_hazard, ptype.takeover_delay_days,
                                     working_days, scenario.policy.takeover_share)
        if loss >= 1.0:
            problems.append(Problem(
                f"provider_types[{k}].failure_hazard", "with this failure hazard, takeover "
                f"delay ({ptype.takeover_delay_days:g} days) and policy.takeover_share "
                f"({scenario.policy.takeover_share:g}) the provider type is expected to lose "
                "all the capacity bought from it (hazard x (delay share + (1 - takeover share) "
                "x 1/2 x (1 - delay share)) >= 1): it can be simulated, but no allocation can "
                "plan on it", value=ptype.failure_hazard, severity=severity))
    return problems


def check_allocatable(scenario: Scenario) -> None:
    """Raise :class:`~govsim.errors.ScenarioError` if the allocation cannot plan on the
    scenario (see :func:`capacity_problems`); call it before allocating."""
    from govsim.errors import ScenarioError

    problems = capacity_problems(scenario, severity="error")
    if problems:
        source = scenario.source
        raise ScenarioError([Problem(p.path, p.message, p.value, file=source)
                             for p in problems])


# -- helpers ---------------------------------------------------------------------------------

def _values(node: Any, parts: list[str], trail: str = "") -> Iterator[tuple[str, Any]]:
    """``(field path, value)`` of every value a dotted path with ``*`` names in raw data."""
    if not parts:
        yield trail, node
        return
    head, rest = parts[0], parts[1:]
    if isinstance(node, Mapping):
        keys = list(node) if head == "*" else [head] if head in node else []
        for key in keys:
            yield from _values(node[key], rest, f"{trail}.{key}" if trail else str(key))
    elif isinstance(node, list | tuple) and head == "*":
        for index, entry in enumerate(node):
            yield from _values(entry, rest, f"{trail}[{index}]")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _check_bound(bound: Bound, path: str, value: Any) -> list[Problem]:
    number = _number(value)
    if number is None:
        return []
    for severity, low, high in (("error", bound.error_min, bound.error_max),
                                ("warning", bound.warn_min, bound.warn_max)):
        if low is not None and number < low:
            return [Problem(path, f"below {format_number(low)}: {bound.reason}", value=value,
                            severity=severity)]
        if high is not None and number > high:
            return [Problem(path, f"above {format_number(high)}: {bound.reason}", value=value,
                            severity=severity)]
    return []


def _check_relation(relation: Relation, where: str, entry: Mapping[str, Any]) -> list[Problem]:
    lhs = [_number(entry.get(name, 0)) for name in relation.lhs]
    rhs = [_number(entry.get(name, 0)) for name in relation.rhs]
    if any(v is None for v in lhs + rhs):
        return []
    total, ceiling = sum(lhs), relation.factor * sum(rhs)  # type: ignore[arg-type]
    if total <= ceiling:
        return []
    left = " + ".join(relation.lhs)
    right = " + ".join(relation.rhs)
    scale = "" if relation.factor == 1 else f"{relation.factor:g} x "
    message = (f"{left} = {total:,.0f} exceeds {scale}{right} = {ceiling:,.0f}: "
               f"{relation.reason}")
    path = f"{where}.{relation.lhs[0]}"
    return [Problem(path, message, value=entry.get(relation.lhs[0]),
                    severity=relation.severity)]
