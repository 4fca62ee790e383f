"""The scenario as a whole: ``[scenario]`` (:class:`ScenarioHeader`), ``[policy]``
(:class:`Policy`) and :class:`Scenario`, which validates every table together.

:meth:`Scenario.from_dict` checks plain data — the schema, the policy rules
(:func:`govsim.policy.semantic_problems`), the plausibility bounds of
``govsim/data/bounds.toml`` and the sizes the simulation can hold — and reports every problem at
once as a :class:`~govsim.errors.ScenarioError`, placed at its file and line. A what-if is
``scenario.with_overrides({"policy.relief_cap_share": 0.02})`` (:mod:`.overrides`), which
returns a new validated scenario; ``scenario.content_hash()`` identifies a scenario by content,
not by file. The header table is ``scenario.header`` (the TOML table and the key of
``to_dict()`` stay ``scenario``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import warnings
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, model_validator

from govsim.bounds import bound_problems, capacity_problems, limit, size_problems
from govsim.errors import InputError, Problem, ScenarioError
from govsim.inputs import nesting_depth, validation_problems
from govsim.policy import RULES, policy_departures, purchase_warnings, semantic_problems
from govsim.scenario.lines import line_index, placed, problem_order
from govsim.scenario.mechanism_checks import mechanism_problems
from govsim.scenario.mechanisms import Mechanisms
from govsim.scenario.overrides import apply_overrides
from govsim.scenario.tables import (
    Baseline,
    County,
    Funds,
    Item,
    NonNegFloat,
    NonNegInt,
    Provider,
    ProviderType,
    ScenarioTable,
    Share,
)
from govsim.scenario.uncertain import UncertainInput, uncertainty_problems

__all__ = ["Policy", "Scenario", "ScenarioHeader"]

log = logging.getLogger(__name__)


class ScenarioHeader(ScenarioTable):
    """The ``[scenario]`` table: what the scenario is, when it starts and how it is run."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$",
                      description="ASCII slug naming the scenario (results folders, manifests)")
    title_zh: str = Field("", description="Chinese title for reports")
    title_en: str = Field("", description="English title for reports")
    description: str = Field("", description="Where the figures come from (free text)")
    base_year: int = Field(ge=1990, le=2100, description="First plan year; "
                           "relief_fund_last_year is the spending of the year before, "
                           "calendar year")
    horizon_years: int = Field(3, ge=1, le=limit("horizon_years"),
                               description="Plan years simulated and allocated, "
                               "from base_year on (one contract cycle is 3), years")
    seed: int = Field(0, ge=0, description="Root seed of the run's numpy SeedSequence: the same "
                      "seed gives the same results")
    replications: int = Field(10, ge=1, le=limit("replications"),
                              description="Independent simulation replications per plan year, "
                                          "runs")
    hours_per_year: float = Field(1960.0, gt=0, description="Working hours in a year, the "
                                  "simulation clock (245 days x 8 h), working hours per year")
    productive_hours_per_fte: float = Field(
        1470.0, gt=0, description="Hours of casework one full-time worker delivers in a year "
        "(the rest is travel, training, paperwork); at most hours_per_year, "
        "working hours per year"
    )
    lang: Literal["zh", "en"] = Field("zh", description="Default language of labels, plots and "
                                      "reports")

    @model_validator(mode="after")
    def _productive_within_year(self) -> ScenarioHeader:
        if self.productive_hours_per_fte > self.hours_per_year:
            raise ValueError("productive_hours_per_fte cannot exceed hours_per_year")
        return self


class Policy(ScenarioTable):
    """The caps and mechanisms; defaults are the values of ``govsim/data/rules.toml``."""

    relief_cap_share: Share = Field(
        RULES["relief-cap"].value, description="Most that relief-funded purchases may spend in a "
        "year, as a share of relief_fund_last_year (rule relief-cap), share 0-1"
    )
    cap_scope: Literal["county", "prefecture"] = Field(
        "county", description="The relief cap applies to each county on its own, or pooled over "
        "the prefecture"
    )
    lottery_counts_toward_relief_cap: bool = Field(
        True, description="Lottery-fund money paying for social-assistance items counts toward "
        "relief-cap like any other yuan (001 §(八): 所需经费…统筹安排); false is the permissive "
        "what-if in which the lottery fund tops up beyond the cap"
    )
    social_org_min_share: Share = Field(
        RULES["social-org-share"].value, description="Least share of purchase spending that "
        "goes to social organisations (rule social-org-share), share 0-1"
    )
    social_org_scope: Literal["county", "prefecture"] = Field(
        "county", description="social-org-share holds at each purchasing level (county, as "
        "004 各级 says) or pooled over the prefecture (what-if)"
    )
    social_org_base: Literal["new", "all"] = Field(
        "new", description="social-org-share applies to new purchase spending (not renewals or "
        "continuations of contracts in their term, as 004 新增 says) or to all purchase spending "
        "(what-if)"
    )
    caseworker_ratio: Share = Field(
        RULES["caseworker-ratio"].value, description="Caseworkers required per dibao + tekun "
        "recipient, rounded up to whole people (rule caseworker-ratio; 0.002 = 2 per thousand), "
        "caseworkers per recipient"
    )
    child_staff_per_unit: NonNegInt = Field(
        RULES["child-welfare-staff"].value, description="Child-welfare staff required per "
        "township and per village (rule child-welfare-staff), people per unit"
    )
    max_contract_years: int = Field(
        RULES["contract-term"].value, ge=1, description="Most years in a row one provider may "
        "hold a contract for one (county, item) (rule contract-term), years"
    )
    blacklist_years: NonNegInt = Field(
        RULES["blacklist"].value, description="Years a provider found committing fraud is barred "
        "from purchases (rule blacklist), years"
    )
    bar_years_after_failure: NonNegInt = Field(
        RULES["blacklist"].value, description="Years a provider is barred after its contract "
        "fails or fails its annual assessment (003 三(五) says 一定时期 without a number; the "
        "only documented period is 002 Shanghai §二(五)'s 3 years), years"
    )
    post_price_assistant: NonNegFloat = Field(
        RULES["post-prices"].value,
        description="Price of an assistant social-worker post (rule post-prices), "
                    "CNY per person-year",
    )
    volunteers_per_social_worker: NonNegInt = Field(
        RULES["volunteer-link"].value, description="Volunteers each social worker keeps in touch "
        "with (rule volunteer-link), people"
    )
    assessment_pass_mark: Share = Field(0.6, description="Annual assessment score a contract "
                                        "needs to be renewed, score 0-1")
    assessment_weights: dict[str, NonNegFloat] = Field(
        default_factory=lambda: {"satisfaction": 0.5, "completion": 0.3, "timeliness": 0.2},
        description="Weights of the annual assessment; keys exactly satisfaction, completion, "
                    "timeliness, not all zero (satisfaction weighs most), weight",
    )
    selection_weights: dict[str, NonNegFloat] = Field(
        default_factory=lambda: {"quality": 0.45, "capacity": 0.30, "price": 0.25},
        description="Weights of the comprehensive score that chooses providers; keys exactly "
                    "quality, capacity, price, not all zero (never lowest price alone), weight",
    )
    takeover_share: Share = Field(0.8, description="Share of a failed provider's FTE that the "
                                  "interim takeover restores after the takeover delay, share 0-1")
    wait_satisfaction_penalty_per_day: NonNegFloat = Field(
        0.01, description="Satisfaction a served case loses per working day waited beyond its "
        "item's target wait, score per working day"
    )
    utilisation_target: Share = Field(0.85, description="Planned utilisation (rho) of "
                                      "post-mode workers in the allocation's capacity "
                                      "constraint, share 0-1")
    coverage_target: Share = Field(0.9, description="Share of each item's need (hours) that "
                                   "money needed (the min_cost objective) must serve, share 0-1")
    objective: Literal["ordered_goals", "min_cost"] = Field(
        "ordered_goals", description="What the allocation optimises: the ordered goals under "
        "the caps (statutory duties, staffing rules, floors and fairness, need met, cost; see "
        "docs/allocation.md), or min_cost, the money needed to meet goals 1-3 and "
        "coverage_target with the caps lifted"
    )
    integer_posts: bool = Field(True, description="Buy whole posts of post-mode items (a MILP); "
                                "false buys fractional FTE (an LP)")
    equity_floor: Share = Field(
        0.0, description="Every county's need-weighted coverage is at least this share of the "
        "prefecture's (goal 3 of the allocation; 0 = no fairness floor), share 0-1"
    )
    need_breakpoints: tuple[Share, ...] = Field(
        (0.5, 0.8, 1.0), min_length=1, description="Diminishing returns of need met: upper ends "
        "of the segments of a (county, item) cell's need, increasing and ending at 1, share 0-1"
    )
    need_weights: tuple[NonNegFloat, ...] = Field(
        (1.0, 0.5, 0.2), min_length=1, description="Value of an hour of need met in each "
        "segment of need_breakpoints, non-increasing (so money spreads across items), weight"
    )
    goal_tolerance: Annotated[float, Field(ge=0, le=0.1)] = Field(
        1e-9, description="Relative tolerance within which each goal's optimum is held while "
        "the later goals are optimised, ratio"
    )

    @model_validator(mode="before")
    @classmethod
    def _old_objective_name(cls, data: Any) -> Any:
        # "max_coverage" counted cases and starved long services; it is replaced by the
        # ordered goals. Old files keep working.
        if isinstance(data, dict) and data.get("objective") == "max_coverage":
            log.warning("policy.objective 'max_coverage' is now 'ordered_goals'")
            return {**data, "objective": "ordered_goals"}
        return data

    @model_validator(mode="after")
    def _segments_valid(self) -> Policy:
        points, weights = self.need_breakpoints, self.need_weights
        if len(points) != len(weights):
            raise ValueError("need_breakpoints and need_weights need the same length")
        if any(b <= a for a, b in zip((0.0, *points), points, strict=False)) \
                or abs(points[-1] - 1.0) > 1e-12:
            raise ValueError("need_breakpoints must increase and end at 1")
        if any(b > a for a, b in itertools.pairwise(weights)):
            raise ValueError("need_weights must not increase (diminishing returns)")
        return self

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


class Scenario(ScenarioTable):
    """A whole scenario file: the tables below, validated together (cross-references too)."""

    # The TOML table is [scenario]; in code it is the header of the scenario, not a scenario.
    header: ScenarioHeader = Field(alias="scenario",
                                   description="Name, base year, horizon, seed and clock")
    policy: Policy = Field(Policy(), description="The caps and mechanisms; defaults are the "
                           "documents' values")
    funds: Funds = Field(Funds(), description="Yearly budgets outside the relief cap")
    counties: tuple[County, ...] = Field(min_length=1, description="The county-level units")
    items: tuple[Item, ...] = Field(min_length=1, description="The service catalogue, "
                                    "purchasable and prohibited items")
    provider_types: tuple[ProviderType, ...] = Field(min_length=1, description="The kinds of "
                                                     "provider services can be bought from")
    providers: tuple[Provider, ...] = Field((), description="Named organisations (optional)")
    baseline: Baseline = Field(Baseline(), description="Who does the work today")
    mechanisms: Mechanisms = Field(
        default_factory=Mechanisms, exclude_if=lambda m: m == Mechanisms(),
        description="Mechanisms of the documents, each off by default (docs/mechanisms.md); "
        "left out of the content hash while all are at their defaults")
    uncertainty: tuple[UncertainInput, ...] = Field(
        (), exclude_if=lambda u: not u, description="Inputs a planner cannot pin down, with "
        "their ranges or distributions (govsim run/budget --uncertainty samples them; "
        "docs/budget.md); left out of the content hash when there are none")
    _source: str | None = PrivateAttr(None)

    # -- lookups ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.header.name

    @property
    def scenario(self) -> ScenarioHeader:
        """Deprecated: the ``[scenario]`` table is :attr:`header` (``scenario.header``)."""
        warnings.warn("Scenario.scenario is deprecated; use Scenario.header",
                      DeprecationWarning, stacklevel=2)
        return self.header

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

    def in_id_order(self) -> Scenario:
        """The same scenario with its counties, items and provider types sorted by id: what a
        model built from it computes then depends on the scenario's content, not on the order
        its file lists them in (a linear program with several optimal plans returns the one its
        column order leads to)."""
        lists = {name: tuple(sorted(getattr(self, name), key=lambda entry: entry.id))
                 for name in ("counties", "items", "provider_types")}
        if all(lists[name] == getattr(self, name) for name in lists):
            return self
        return self.model_copy(update=lists)

    # -- identity and what-if ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-compatible), the inverse of ``Scenario.from_dict``."""
        return self.model_dump(mode="json", by_alias=True)

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
        problems = apply_overrides(data, overrides, Scenario)
        if problems:
            raise ScenarioError(problems)
        return Scenario.from_dict(data, source=f"{self._source or '<scenario>'} + overrides")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str | None = None,
                  text: str | None = None) -> Scenario:
        """Validate plain data; every problem is collected into one ``ScenarioError``.

        Besides the schema and the policy rules, figures are checked against the plausibility
        bounds of ``govsim/data/bounds.toml`` (errors for the impossible; the implausible is in
        :attr:`warnings`), and the pools against the sizes the simulation can hold.
        """
        if not isinstance(data, Mapping):
            raise ScenarioError([Problem("", "a scenario is a table of tables ([scenario], "
                                         "[[counties]], ...)", file=source)])
        if nesting_depth(data) > limit("nesting_depth"):
            raise InputError([Problem("", f"tables or arrays nested more than "
                                      f"{limit('nesting_depth')} levels deep", file=source)])
        lines = line_index(text) if text else {}
        problems = (validation_problems(Scenario, data) + semantic_problems(data)
                    + mechanism_problems(data))
        reported = {p.path for p in problems}  # a value the schema refuses is reported once
        problems += [p for p in bound_problems(data)
                     if p.severity == "error" and p.path not in reported]
        if not problems:
            problems = size_problems(cls.model_validate(data)) + uncertainty_problems(data, cls)
        if problems:
            raise ScenarioError(sorted((placed(p, source, lines) for p in problems),
                                       key=problem_order))
        scenario = cls.model_validate(data)
        scenario._source = source
        for warning in scenario.warnings:
            log.info(warning.format())
        return scenario

    @property
    def warnings(self) -> list[Problem]:
        """Policy values that depart from the documents, figures outside their plausible range
        (``govsim/data/bounds.toml``), nothing to buy: allowed, but worth saying."""
        found = policy_departures(self) + purchase_warnings(self) + capacity_problems(self)
        found += [p for p in bound_problems(self.to_dict()) if p.severity == "warning"]
        return [placed(w, self._source, {}) for w in found]


#: id(tuple of entries) -> (that tuple, its entries by id): a province's 183 counties were
#: searched one by one per look-up, ~10⁵ look-ups a run. The tuple is kept, so its id is not
#: reused while the entry lives; a scenario's tuples never change (a changed scenario is a
#: new one, with new tuples).
_INDEXES: dict[int, tuple[tuple[Any, ...], dict[str, Any]]] = {}
_INDEXED_FROM = 16
_INDEXES_KEPT = 256


def _by_id(entries: tuple[Any, ...], key: str, what: str) -> Any:
    if len(entries) < _INDEXED_FROM:
        for entry in entries:
            if entry.id == key:
                return entry
        raise KeyError(f"no {what} with id {key!r}")
    known = _INDEXES.get(id(entries))
    if known is None or known[0] is not entries:
        if len(_INDEXES) >= _INDEXES_KEPT:
            _INDEXES.clear()
        index: dict[str, Any] = {}
        for entry in entries:
            index.setdefault(entry.id, entry)  # the first of a repeated id, as the search
        known = _INDEXES[id(entries)] = (entries, index)
    try:
        return known[1][key]
    except (KeyError, TypeError):
        raise KeyError(f"no {what} with id {key!r}") from None
