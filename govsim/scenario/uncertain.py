"""Uncertain inputs of a scenario: the optional ``[[uncertainty]]`` entries.

Each entry names one input a planner cannot pin down — a field path into the scenario, as a
what-if override writes it (``items.*.rate``, ``counties.*.relief_fund_last_year``,
``provider_types.social_org.cost_per_fte_year``) — and its range or distribution:

- ``uniform`` on ``[low, high]``;
- ``triangular`` on ``[low, high]`` with its mode at ``peak``;
- ``normal`` with ``mean`` and ``sd``, truncated to ``[low, high]``.

With ``scale = true`` (the default) a draw **multiplies** the scenario's value at every field
the path matches (one factor for all of them: the counties' relief bases move together); with
``scale = false`` the draw **is** the value. Fields holding whole numbers (people) are rounded.

A scenario is checked on load (:func:`uncertainty_problems`): the path must match at least one
number of the scenario, and the scenario must stay valid at both ends of the range (a demand
factor that makes a share exceed 1 is an error, rule ``uncertainty``). Sampling and analysis are
:mod:`govsim.uncertainty`'s; this module only says what may be sampled and turns a draw into
overrides (:func:`draw_overrides`). Units: those of the field, or a factor when ``scale``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from govsim.bounds import bound_problems
from govsim.errors import Problem
from govsim.inputs import validation_problems
from govsim.scenario.tables import ScenarioTable

__all__ = ["UNCERTAINTY_RULE", "UncertainInput", "draw_overrides", "expand_path",
           "uncertainty_problems"]

#: Rule id of the problems of ``[[uncertainty]]`` entries.
UNCERTAINTY_RULE = "uncertainty"


class UncertainInput(ScenarioTable):
    """One ``[[uncertainty]]`` entry: a field path and the range or distribution of its value."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$",
                    description="ASCII slug naming the input in uncertainty_drivers.csv")
    path: str = Field(min_length=1, description="Dotted field path into the scenario, as an "
                      "override writes it; * means every entry or key (items.*.rate)")
    also: tuple[str, ...] = Field((), description="More field paths that take the same draw "
                                  "(e.g. counties.*.relief_fund_by_year.* with the relief base)")
    distribution: Literal["uniform", "triangular", "normal"] = Field(
        "uniform", description="uniform on [low, high]; triangular on [low, high] with its "
        "mode at peak; normal with mean and sd, truncated to [low, high]")
    scale: bool = Field(True, description="true: a draw multiplies the scenario's value at "
                        "every field the path matches (one factor for all); false: the draw "
                        "is the value")
    low: float = Field(description="Lower end of the range: a factor of the scenario's value "
                       "when scale, else the value itself, multiplier or the field's unit")
    high: float = Field(description="Upper end of the range, above low, multiplier or the "
                        "field's unit")
    peak: float | None = Field(None, description="Mode of a triangular distribution, within "
                               "[low, high], multiplier or the field's unit")
    mean: float | None = Field(None, description="Mean of a normal distribution before "
                               "truncation, multiplier or the field's unit")
    sd: float | None = Field(None, gt=0, description="Standard deviation of a normal "
                             "distribution before truncation, multiplier or the field's "
                             "unit")
    description: str = Field("", description="Why the input is uncertain (free text)")
    source: str = Field("", description="Where the range comes from (free text)")

    @model_validator(mode="after")
    def _range_valid(self) -> UncertainInput:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.distribution == "triangular":
            if self.peak is None or not self.low <= self.peak <= self.high:
                raise ValueError("a triangular distribution needs peak within [low, high]")
        elif self.peak is not None:
            raise ValueError("peak belongs to a triangular distribution only")
        if self.distribution == "normal":
            if self.mean is None or self.sd is None:
                raise ValueError("a normal distribution needs mean and sd")
        elif self.mean is not None or self.sd is not None:
            raise ValueError("mean and sd belong to a normal distribution only")
        return self

    @property
    def paths(self) -> tuple[str, ...]:
        """``path`` and the ``also`` paths: every path the draw sets."""
        return (self.path, *self.also)

    def value(self, u: float) -> float:
        """The input's value at the unit-interval quantile ``u`` (inverse CDF)."""
        u = min(max(float(u), 0.0), 1.0)
        low, high = self.low, self.high
        if self.distribution == "uniform":
            return low + u * (high - low)
        from scipy import stats  # late: scipy.stats takes 0.4 s to import; uniform needs none

        if self.distribution == "triangular":
            c = (float(self.peak) - low) / (high - low)  # type: ignore[arg-type]
            return float(stats.triang.ppf(u, c, loc=low, scale=high - low))
        mean, sd = float(self.mean), float(self.sd)  # type: ignore[arg-type]
        a, b = (low - mean) / sd, (high - mean) / sd
        return float(stats.truncnorm.ppf(u, a, b, loc=mean, scale=sd))


def expand_path(data: Any, path: str) -> list[tuple[str, Any]] | None:
    """Every concrete path ``path`` matches in plain scenario data, with its value.

    Array entries are named by ``id`` (else index), so ``items.*.rate`` becomes
    ``items.screening.rate``, ``items.care.rate`` …; ``None`` when a step is not found.
    """
    found: list[tuple[list[str], Any]] = [([], data)]
    for part in path.split("."):
        step: list[tuple[list[str], Any]] = []
        for walked, node in found:
            if isinstance(node, list):
                for index, entry in enumerate(node):
                    name = entry.get("id") if isinstance(entry, Mapping) else None
                    key = str(name) if name is not None else str(index)
                    if part in ("*", key) or (part.isdigit() and int(part) == index):
                        step.append(([*walked, key], entry))
            elif isinstance(node, Mapping):
                for key in (list(node) if part == "*" else [part] if part in node else []):
                    step.append(([*walked, str(key)], node[key]))
        if not step and not (part == "*" and all(
                isinstance(node, list | Mapping) for _, node in found)):
            return None
        found = step
    return [(".".join(walked), value) for walked, value in found]


def draw_overrides(data: Mapping[str, Any], entry: UncertainInput,
                   value: float) -> dict[str, Any]:
    """The overrides (concrete path → value) that set ``entry`` to the draw ``value``."""
    out: dict[str, Any] = {}
    matches = [m for path in entry.paths for m in expand_path(data, path) or []]
    for path, current in matches:
        new = current * value if entry.scale else value
        out[path] = round(new) if isinstance(current, int) and not isinstance(current, bool) \
            else float(new)
    return out


def uncertainty_problems(data: Mapping[str, Any], model: type[BaseModel]) -> list[Problem]:
    """Problems of the ``[[uncertainty]]`` entries of valid scenario data (none: ``[]``).

    Checks that ids are unique, that each path matches numbers of the scenario, and that the
    scenario stays valid (as ``model``, the scenario schema) with the input at either end of
    its range.
    """
    entries = data.get("uncertainty") or []
    if not entries:
        return []
    # paths address the scenario as validated (defaults filled), as draws will
    data = model.model_validate(data).model_dump(mode="json", by_alias=True)
    problems: list[Problem] = []
    seen: set[str] = set()
    for k, raw in enumerate(entries):
        where = f"uncertainty[{k}]"
        entry = UncertainInput.model_validate(raw)
        if entry.id in seen:
            problems.append(Problem(f"{where}.id", "duplicate id", value=entry.id,
                                    rule=UNCERTAINTY_RULE))
        seen.add(entry.id)
        bad = False
        for field, path in [("path", entry.path),
                            *((f"also[{j}]", p) for j, p in enumerate(entry.also))]:
            matches = expand_path(data, path)
            if matches is None or (field == "path" and not matches) \
                    or path.split(".")[0] in ("uncertainty", "scenario"):
                problems.append(Problem(f"{where}.{field}", "matches no field of the scenario "
                                        "(write it as an override path, e.g. items.*.rate)",
                                        value=path, rule=UNCERTAINTY_RULE))
                bad = True
                continue
            odd = [p for p, v in matches if isinstance(v, bool)
                   or not isinstance(v, int | float) or not math.isfinite(v)]
            if odd:
                problems.append(Problem(f"{where}.{field}", f"{odd[0]} is not a number",
                                        value=path, rule=UNCERTAINTY_RULE))
                bad = True
        if bad:
            continue
        for end in ("low", "high"):
            edited = copy.deepcopy(dict(data))
            for path, value in draw_overrides(data, entry, getattr(entry, end)).items():
                _set(edited, path, value)
            found = validation_problems(model, edited) or [
                p for p in bound_problems(edited) if p.severity == "error"]
            if found:
                first = found[0]
                problems.append(Problem(
                    f"{where}.{end}", f"with {entry.path} at its {end} end the scenario is "
                    f"invalid: {first.path}: {first.message}", value=getattr(entry, end),
                    rule=UNCERTAINTY_RULE))
    return problems


def _set(data: Any, path: str, value: Any) -> None:
    """Set a concrete path of :func:`expand_path` (entries named by id or index)."""
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        node = _child(node, part)
    if isinstance(node, list):
        node[_index(node, parts[-1])] = value
    else:
        node[parts[-1]] = value


def _child(node: Any, part: str) -> Any:
    return node[_index(node, part)] if isinstance(node, list) else node[part]


def _index(node: list[Any], part: str) -> int:
    for index, entry in enumerate(node):
        if isinstance(entry, Mapping) and str(entry.get("id")) == part:
            return index
    return int(part)
