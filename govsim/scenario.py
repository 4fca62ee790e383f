"""The scenario: what a TOML file holds, validated into typed, immutable data.

A scenario describes one prefecture's purchasing problem: its counties (people, recipients,
staff, last year's relief spending), the service catalogue (demand, service times, which items
may be purchased), provider types, the policy caps (defaults from ``govsim/data/rules.toml``)
and who does the work today. Units are in every field's description: money in CNY (yuan),
time in working hours unless a name says ``_days`` (working days of 8 hours) or ``_years``.

``load_scenario`` reads a file or a built-in name (``"guangan"``, ``"tiny"``) and reports every
problem at once as a :class:`~govsim.errors.ScenarioError`. A what-if is
``scenario.with_overrides({"policy.relief_cap_share": 0.02})``, which returns a new validated
scenario; ``scenario.content_hash()`` identifies a scenario by content, not by file.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import logging
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from govsim.errors import Problem, ScenarioError
from govsim.policy import RULES, policy_departures, semantic_problems

__all__ = [
    "DRIVER_FIELDS",
    "Baseline",
    "Contract",
    "County",
    "Funds",
    "Item",
    "Policy",
    "Provider",
    "ProviderType",
    "PublicStaff",
    "Scenario",
    "ScenarioHeader",
    "builtin_scenarios",
    "load_scenario",
]

log = logging.getLogger(__name__)

NonNegInt = Annotated[int, Field(ge=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]

#: County figures that can drive an item's demand; ``county`` means one unit per county.
DriverName = Literal[
    "county",
    "population",
    "dibao",
    "tekun",
    "left_behind_children",
    "children_in_difficulty",
    "townships",
    "villages",
]
DRIVER_FIELDS: tuple[str, ...] = typing.get_args(DriverName)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class ScenarioHeader(_Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$",
                      description="ASCII slug naming the scenario")
    title_zh: str = Field("", description="Chinese title for reports")
    title_en: str = Field("", description="English title for reports")
    description: str = Field("", description="Where the figures come from")
    base_year: int = Field(ge=1990, le=2100, description="First plan year (calendar year)")
    horizon_years: int = Field(3, ge=1, le=20, description="Plan years simulated, years")
    seed: int = Field(0, ge=0, description="Root seed of the run's SeedSequence")
    replications: int = Field(10, ge=1, le=10_000, description="Simulation replications per year")
    hours_per_year: float = Field(1960.0, gt=0, description="Working hours in a year (245 d x 8 h)")
    productive_hours_per_fte: float = Field(
        1470.0, gt=0, description="Hours of casework one FTE delivers per year"
    )
    lang: Literal["zh", "en"] = Field("zh", description="Default language of labels and plots")

    @model_validator(mode="after")
    def _productive_within_year(self) -> ScenarioHeader:
        if self.productive_hours_per_fte > self.hours_per_year:
            raise ValueError("productive_hours_per_fte cannot exceed hours_per_year")
        return self


class Policy(_Model):
    """The caps and mechanisms; defaults are the values of ``govsim/data/rules.toml``."""

    relief_cap_share: Share = Field(
        RULES["relief-cap"].value, description="Max share of last year's relief fund [relief-cap]"
    )
    cap_scope: Literal["county", "prefecture"] = Field(
        "county", description="Cap applies per county or pooled over the prefecture"
    )
    social_org_min_share: Share = Field(
        RULES["social-org-share"].value, description="Min share of spend on social organisations"
    )
    caseworker_ratio: Share = Field(
        RULES["caseworker-ratio"].value, description="Caseworkers per dibao+tekun recipient"
    )
    child_staff_per_unit: NonNegInt = Field(
        RULES["child-welfare-staff"].value, description="Child-welfare staff per township/village"
    )
    max_contract_years: int = Field(
        RULES["contract-term"].value, ge=1, description="Years in a row with one provider"
    )
    blacklist_years: NonNegInt = Field(
        RULES["blacklist"].value, description="Years barred after fraud, years"
    )
    bar_years_after_failure: NonNegInt = Field(
        2, description="Years a provider is barred after failing or failing an assessment, years"
    )
    post_price_assistant: NonNegFloat = Field(
        RULES["post-prices"].value,
        description="Assistant social-worker post price, CNY/person-year",
    )
    volunteers_per_social_worker: NonNegInt = Field(
        RULES["volunteer-link"].value, description="Volunteers each social worker links with"
    )
    assessment_pass_mark: Share = Field(0.6, description="Assessment score (0-1) needed to renew")
    assessment_weights: dict[str, NonNegFloat] = Field(
        default_factory=lambda: {"satisfaction": 0.5, "completion": 0.3, "timeliness": 0.2},
        description="Weights of the annual assessment (satisfaction weighs most)",
    )
    selection_weights: dict[str, NonNegFloat] = Field(
        default_factory=lambda: {"quality": 0.45, "capacity": 0.30, "price": 0.25},
        description="Weights of the comprehensive score choosing providers (not lowest price)",
    )
    takeover_share: Share = Field(0.8, description="Share of a failed provider's capacity restored")
    wait_satisfaction_penalty_per_day: NonNegFloat = Field(
        0.01, description="Satisfaction lost per working day waited beyond the target"
    )
    utilisation_target: Share = Field(0.85, description="Planned worker utilisation (rho)")
    coverage_target: Share = Field(0.9, description="Share of cases served (min_cost objective)")
    objective: Literal["max_coverage", "min_cost"] = Field("max_coverage")
    integer_posts: bool = Field(False, description="Buy whole posts (MILP) instead of FTE")

    @model_validator(mode="after")
    def _weights_known(self) -> Policy:
        for name, allowed in (
            ("assessment_weights", {"satisfaction", "completion", "timeliness"}),
            ("selection_weights", {"quality", "capacity", "price"}),
        ):
            weights = getattr(self, name)
            if set(weights) != allowed:
                raise ValueError(f"{name} needs exactly the keys {sorted(allowed)}")
            if sum(weights.values()) <= 0:
                raise ValueError(f"{name} must not all be zero")
        return self


class County(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="ASCII slug")
    name_zh: str = Field(description="Chinese name")
    name_en: str = Field("", description="English name")
    population: NonNegInt = Field(description="Residents, people")
    dibao: NonNegInt = Field(description="Minimum-living-guarantee (低保) recipients, people")
    tekun: NonNegInt = Field(description="Extremely poor supported (特困) persons, people")
    left_behind_children: NonNegInt = Field(0, description="Left-behind children, people")
    children_in_difficulty: NonNegInt = Field(0, description="Children in difficulty, people")
    townships: NonNegInt = Field(description="Townships and street offices")
    villages: NonNegInt = Field(description="Village and residents' committees")
    relief_fund_last_year: NonNegFloat = Field(
        description="Social-assistance special-fund expenditure of the year before base_year, CNY"
    )
    public_caseworkers: NonNegInt = Field(description="Establishment caseworkers in post, people")
    child_welfare_directors: NonNegInt = Field(
        0, description="Child-welfare directors and supervisors in post, people"
    )
    market: dict[str, NonNegFloat] = Field(
        default_factory=dict, description="FTE each provider type can field here, by type id"
    )

    def driver(self, name: str) -> float:
        """The value of a demand driver (``"county"`` is 1)."""
        return 1.0 if name == "county" else float(getattr(self, name))


class Item(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$", description="ASCII slug")
    name_zh: str = Field(description="Chinese name")
    name_en: str = Field("", description="English name")
    kind: Literal["administrative", "service", "prohibited"]
    fund: Literal["relief", "child", "lottery", "none"] = Field(
        description="Fund that pays for purchases of this item"
    )
    purchasable: bool | None = Field(
        None, description="May be purchased; defaults to true unless kind is prohibited"
    )
    driver: tuple[DriverName, ...] = Field(min_length=1, description="County figures summed")
    rate: NonNegFloat = Field(description="Cases per driver unit per year")
    growth: float = Field(0.0, gt=-1, le=1, description="Demand growth per year (share)")
    monthly: tuple[Annotated[float, Field(gt=0)], ...] = Field(
        (1.0,) * 12, min_length=12, max_length=12, description="12 monthly rate multipliers"
    )
    distribution: Literal["exponential", "lognormal", "gamma", "fixed"] = "lognormal"
    mean_hours: float = Field(gt=0, description="Mean working hours per case")
    cv: NonNegFloat | None = Field(None, description="Coefficient of variation of service time")
    patience_hours: Annotated[float, Field(gt=0)] | None = Field(
        None, description="Mean working hours a case waits before abandoning; none = never"
    )
    priority: NonNegFloat = Field(1.0, description="Weight of a served case in the objective")
    target_wait_days: NonNegFloat = Field(10.0, description="Target wait, working days")
    counts_toward: Literal["caseworker", "child_staff", "none"] = Field(
        "none", description="Workers count toward caseworker-ratio or child-welfare-staff"
    )
    purchase_mode: Literal["post", "project"] = Field(
        "post", description="Buy posts (FTE) or packaged project hours"
    )

    @model_validator(mode="after")
    def _cv_fits_distribution(self) -> Item:
        if self.distribution == "exponential" and self.cv not in (None, 1.0):
            raise ValueError("an exponential service time has cv 1; omit cv or set 1")
        if self.distribution == "fixed" and self.cv not in (None, 0.0):
            raise ValueError("a fixed service time has cv 0; omit cv or set 0")
        if self.distribution in ("lognormal", "gamma") and not self.cv:
            raise ValueError(f"a {self.distribution} service time needs cv > 0")
        return self

    @property
    def is_purchasable(self) -> bool:
        if self.purchasable is None:
            return self.kind != "prohibited"
        return self.purchasable

    @property
    def service_cv(self) -> float:
        return {"exponential": 1.0, "fixed": 0.0}.get(self.distribution, self.cv or 0.0)


class ProviderType(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    name_zh: str
    name_en: str = ""
    is_social_org: bool = Field(description="Counts toward social-org-share")
    cost_per_fte_year: float = Field(gt=0, description="Price of one FTE-year, CNY")
    quality: Share = Field(description="Mean recipient satisfaction, 0-1")
    failure_hazard: NonNegFloat = Field(description="Failures per provider per year")
    takeover_delay_days: NonNegFloat = Field(description="Working days until interim takeover")


class Provider(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name_zh: str = ""
    type: str = Field(description="Provider type id")
    counties: tuple[str, ...] = Field(min_length=1, description="County ids served")
    capacity_fte: NonNegFloat = Field(description="FTE it can field in total")
    rating: Literal["1A", "2A", "3A", "4A", "5A", "none"] = "none"
    age_years: NonNegFloat = Field(0, description="Years since registration")
    quality: Share | None = Field(None, description="Overrides the type's quality")


class PublicStaff(_Model):
    county: str
    item: str
    fte: NonNegFloat = Field(description="Establishment FTE working on the item")


class Contract(_Model):
    county: str
    item: str
    provider_type: str
    provider: str | None = Field(None, description="Named provider id, if any")
    fte: Annotated[float, Field(gt=0)] = Field(description="Contracted FTE")
    start_year: int = Field(ge=1990, le=2100, description="First year with this provider")
    term_years: int = Field(1, ge=1, description="Years signed for (one year at a time: 1)")


class Baseline(_Model):
    """Who does the work today (the base year's staffing before any new purchase)."""

    caseworker_assignment: Literal["prohibited_first", "explicit"] = Field(
        "prohibited_first",
        description="Public caseworkers serve prohibited items first, the rest spread over "
        "caseworker items by demand hours; 'explicit' uses public_staff only",
    )
    director_hours_per_year: NonNegFloat = Field(
        200.0, description="Hours each child-welfare director gives to director_item per year"
    )
    director_item: str | None = Field(None, description="Item the directors' hours go to")
    public_staff: tuple[PublicStaff, ...] = ()
    contracts: tuple[Contract, ...] = ()


class Funds(_Model):
    child_welfare: NonNegFloat = Field(0.0, description="Child-welfare fund per year, CNY")
    lottery: NonNegFloat = Field(0.0, description="Welfare-lottery fund per year, CNY")
    total_budget: NonNegFloat | None = Field(None, description="Optional cap on all purchases, CNY")
    child_welfare_split: Literal["children", "pooled"] = Field(
        "children", description="Child-welfare fund split over counties by children, or pooled"
    )


class Scenario(_Model):
    scenario: ScenarioHeader
    policy: Policy = Policy()
    funds: Funds = Funds()
    counties: tuple[County, ...] = Field(min_length=1)
    items: tuple[Item, ...] = Field(min_length=1)
    provider_types: tuple[ProviderType, ...] = Field(min_length=1)
    providers: tuple[Provider, ...] = ()
    baseline: Baseline = Baseline()
    _source: str | None = PrivateAttr(None)

    # -- lookups ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def source(self) -> str | None:
        """Where the scenario was loaded from (a path, ``builtin:NAME`` or ``<overrides>``)."""
        return self._source

    def county(self, county_id: str) -> County:
        return _by_id(self.counties, county_id, "county")

    def item(self, item_id: str) -> Item:
        return _by_id(self.items, item_id, "item")

    def provider_type(self, type_id: str) -> ProviderType:
        return _by_id(self.provider_types, type_id, "provider type")

    @property
    def purchasable_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.is_purchasable)

    # -- identity and what-if ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-compatible), the inverse of ``Scenario.from_dict``."""
        return self.model_dump(mode="json")

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of the scenario's content (not of its file)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new validated scenario with values replaced by dotted path.

        Paths address list entries by id or index, and ``*`` means every entry::

            s.with_overrides({"policy.relief_cap_share": 0.02,
                              "counties.linshui.dibao": 50000,
                              "items.*.growth": 0.0})
        """
        data = self.to_dict()
        problems: list[Problem] = []
        for path, value in overrides.items():
            problems.extend(_apply_override(data, path, value))
        if problems:
            raise ScenarioError(problems)
        return Scenario.from_dict(data, source=f"{self._source or '<scenario>'} + overrides")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str | None = None,
                  text: str | None = None) -> Scenario:
        """Validate plain data; every problem is collected into one ``ScenarioError``."""
        lines = _line_index(text) if text else {}
        problems = [_with_place(p, source, lines) for p in _schema_problems(data)]
        problems += [_with_place(p, source, lines) for p in semantic_problems(data)]
        if problems:
            raise ScenarioError(sorted(problems, key=_problem_order))
        scenario = cls.model_validate(data)
        scenario._source = source
        for warning in scenario.warnings:
            log.info(warning.format())
        return scenario

    @property
    def warnings(self) -> list[Problem]:
        """Policy values that depart from the documents (allowed, but worth saying)."""
        return [_with_place(w, self._source, {}) for w in policy_departures(self)]


def _by_id(entries: tuple[Any, ...], key: str, what: str) -> Any:
    for entry in entries:
        if entry.id == key:
            return entry
    raise KeyError(f"no {what} with id {key!r}")


# -- loading -------------------------------------------------------------------------------------

def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped inside the package."""
    folder = resources.files("govsim") / "scenarios"
    names = (p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))
    return sorted(names)


def load_scenario(path_or_name: str | Path) -> Scenario:
    """Load and validate a scenario file, or a built-in scenario by name.

    >>> s = load_scenario("guangan")
    >>> [c.id for c in s.counties][:2]
    ['guangan', 'qianfeng']
    """
    path = Path(path_or_name)
    if not path.exists() and str(path_or_name) in builtin_scenarios():
        resource = resources.files("govsim") / "scenarios" / f"{path_or_name}.toml"
        return _load_text(resource.read_text(encoding="utf-8"), f"builtin:{path_or_name}")
    if not path.exists():
        hint = difflib.get_close_matches(str(path_or_name), builtin_scenarios(), n=1)
        known = ", ".join(builtin_scenarios())
        message = f"no such file or built-in scenario (built-ins: {known})"
        if hint:
            message += f"; did you mean {hint[0]!r}?"
        raise ScenarioError([Problem("", message, file=str(path_or_name))])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem("", f"cannot read file: {exc}", file=str(path))]) from exc
    return _load_text(text, str(path))


def _load_text(text: str, source: str) -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise ScenarioError(
            [Problem("", f"malformed TOML: {exc}", file=source, line=line)]
        ) from exc
    return Scenario.from_dict(data, source=source, text=text)


# -- schema errors with field paths and "did you mean" ------------------------------------------

def _schema_problems(data: Mapping[str, Any]) -> list[Problem]:
    try:
        Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # A list whose element is bad also reports "too short after validation": say it once.
        locs = [tuple(e["loc"]) for e in errors]
        return [_problem_from_pydantic(e, data) for e, loc in zip(errors, locs, strict=True)
                if not any(len(o) > len(loc) and o[: len(loc)] == loc for o in locs)]
    return []


def _problem_order(problem: Problem) -> tuple[int, str]:
    return (problem.line if problem.line is not None else 10**9, problem.path)


def _problem_from_pydantic(err: Mapping[str, Any], data: Mapping[str, Any]) -> Problem:
    loc = tuple(err["loc"])
    path = format_path(loc)
    kind = err["type"]
    message = err["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        known = _fields_at(loc[:-1])
        message = "unknown key"
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        if hint:
            message += f"; did you mean {hint[0]!r}?"
        elif known:
            message += f" (known keys: {', '.join(known)})"
    elif kind == "missing":
        return Problem(path, "required field is missing")
    value = err.get("input", None)
    if kind.startswith("model_") or isinstance(value, dict):
        return Problem(path, message)
    return Problem(path, message, value=value)


def format_path(loc: tuple[Any, ...]) -> str:
    """``('counties', 3, 'dibao')`` -> ``counties[3].dibao``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found by walking ``loc`` from ``Scenario``."""
    model: Any = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return []
        model = _inner_model(fields[part].annotation)
    fields = getattr(model, "model_fields", None)
    return list(fields) if fields else []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (tuple, list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


# -- overrides ------------------------------------------------------------------------------------

def _apply_override(data: dict[str, Any], path: str, value: Any) -> list[Problem]:
    parts = path.split(".")
    targets: list[Any] = [data]
    walked: list[Any] = []
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        next_targets: list[Any] = []
        for node in targets:
            if isinstance(node, list):
                chosen = _list_entries(node, part)
                if chosen is None:
                    ids = [e.get("id") for e in node if isinstance(e, dict) and "id" in e]
                    return [_override_problem(path, walked, part, [str(i) for i in ids], value)]
                if last:
                    for index in chosen:
                        node[index] = copy.deepcopy(value)
                else:
                    next_targets.extend(node[i] for i in chosen)
            elif isinstance(node, dict):
                known = list(node) or _fields_at(tuple(walked))
                allowed = set(known) | set(_fields_at(tuple(walked)))
                if part not in allowed and not _is_free_dict(walked):
                    return [_override_problem(path, walked, part, sorted(allowed), value)]
                if last:
                    node[part] = copy.deepcopy(value)
                else:
                    next_targets.append(node.setdefault(part, {}))
            else:
                return [Problem(path, f"cannot descend into {format_path(tuple(walked))!r}",
                                value=value)]
        walked.append(part)
        targets = next_targets
    return []


def _is_free_dict(walked: list[Any]) -> bool:
    """Dict-valued fields whose keys are data (market capacity by provider type)."""
    return bool(walked) and walked[-1] in {"market"}


def _list_entries(node: list[Any], part: str) -> list[int] | None:
    if part == "*":
        return list(range(len(node)))
    if part.isdigit() and int(part) < len(node):
        return [int(part)]
    matches = [i for i, e in enumerate(node) if isinstance(e, dict) and e.get("id") == part]
    return matches or None


def _override_problem(path: str, walked: list[Any], part: str, known: list[str],
                      value: Any) -> Problem:
    hint = difflib.get_close_matches(part, known, n=1, cutoff=0.6)
    where = ".".join(str(w) for w in walked) or "the scenario"
    message = f"override path: {part!r} not found in {where}"
    message += f"; did you mean {hint[0]!r}?" if hint else f" (known: {', '.join(known[:12])})"
    return Problem(path, message, value=value)


# -- line numbers ---------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"]+)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


def _line_index(text: str) -> dict[str, int]:
    """Map field paths (``counties[3].dibao``) to 1-based lines, for the usual TOML layout."""
    index: dict[str, int] = {}
    counters: dict[str, int] = {}
    prefix = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0] if not raw.lstrip().startswith(("\"", "'")) else raw
        header = _HEADER.match(line)
        if header:
            name = header.group(2).replace('"', "")
            if header.group(1) == "[[":
                counters[name] = counters.get(name, -1) + 1
                prefix = _indexed(name, counters)
            else:
                prefix = _indexed(name, counters)
            index.setdefault(prefix, number)
            continue
        key = _KEY.match(line)
        if key:
            path = f"{prefix}.{key.group(1)}" if prefix else key.group(1)
            index.setdefault(path, number)
    return index


def _indexed(name: str, counters: dict[str, int]) -> str:
    """``baseline.contracts`` with counters -> ``baseline.contracts[2]`` (and parents)."""
    parts = name.split(".")
    out: list[str] = []
    for i in range(len(parts)):
        sub = ".".join(parts[: i + 1])
        piece = parts[i]
        if sub in counters and (i < len(parts) - 1 or sub == name):
            piece += f"[{counters[sub]}]"
        out.append(piece)
    return ".".join(out)


def _with_place(problem: Problem, source: str | None, lines: dict[str, int]) -> Problem:
    line = problem.line
    if line is None and lines:
        path = problem.path
        while path and path not in lines:
            path = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", path)
        line = lines.get(path)
    return Problem(problem.path, problem.message, problem.value, problem.rule,
                   problem.file or source, line, problem.severity)
