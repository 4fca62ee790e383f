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
import itertools
import json
import logging
import re
import types
import typing
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from govsim.bounds import bound_problems, capacity_problems, limit, size_problems
from govsim.errors import InputError, Problem, ScenarioError
from govsim.inputs import InputModel, nesting_depth, parse_toml, read_text
from govsim.mechanisms.models import Mechanisms
from govsim.policy import RULES, policy_departures, purchase_warnings, semantic_problems

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


class _Model(InputModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)


class ScenarioHeader(_Model):
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


class Policy(_Model):
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


class County(_Model):
    """One ``[[counties]]`` entry: a county-level unit (县/区/市) that purchases services."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$",
                    description="ASCII slug naming the county; overrides address it by this id")
    name_zh: str = Field(description="Chinese name")
    name_en: str = Field("", description="English name")
    population: NonNegInt = Field(description="Residents, people")
    dibao: NonNegInt = Field(description="Minimum-living-guarantee (低保) recipients, people")
    tekun: NonNegInt = Field(description="Extremely poor supported (特困) persons, people")
    left_behind_children: NonNegInt = Field(0, description="Left-behind children (留守儿童), "
                                            "people")
    children_in_difficulty: NonNegInt = Field(0, description="Children in difficulty (困境儿童), "
                                              "people")
    townships: NonNegInt = Field(description="Townships and street offices (乡镇/街道), each "
                                 "needing a child-welfare supervisor, count")
    villages: NonNegInt = Field(description="Village and residents' committees (村/居), each "
                                "needing a child-welfare director, count")
    relief_fund_last_year: NonNegFloat = Field(
        description="Social-assistance special-fund expenditure of the year before base_year "
                    "(the base of relief-cap), CNY"
    )
    public_caseworkers: NonNegInt = Field(description="Establishment social-assistance "
                                          "caseworkers in post (they count first toward "
                                          "caseworker-ratio), people")
    child_welfare_directors: NonNegInt = Field(
        0, description="Child-welfare directors and supervisors in post (they count toward "
        "child-welfare-staff), people"
    )
    relief_fund_growth: Annotated[float, Field(gt=-1, le=1)] = Field(
        0.0, description="Growth per year of the social-assistance special-fund expenditure after "
        "relief_fund_last_year, for years relief_fund_by_year does not give; the base of "
        "relief-cap rolls forward with it, share per year"
    )
    relief_fund_by_year: dict[int, NonNegFloat] = Field(
        default_factory=dict, description="Social-assistance special-fund expenditure of "
        "later calendar years (keys are years, e.g. \"2025\" = 90_000_000); year y's "
        "relief-cap is the share of year y - 1's expenditure, CNY"
    )
    market: dict[str, NonNegFloat] = Field(
        default_factory=dict, description="FTE that local providers of each type can field here, "
        "keyed by provider type id; a type missing here cannot be bought here, FTE"
    )

    def driver(self, name: str) -> float:
        """The value of a demand driver (``"county"`` is 1)."""
        return 1.0 if name == "county" else float(getattr(self, name))


class Item(_Model):
    """One ``[[items]]`` entry: a service item of the catalogue, its demand and service time."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$",
                    description="ASCII slug naming the item; overrides address it by this id")
    name_zh: str = Field(description="Chinese name")
    name_en: str = Field("", description="English name")
    kind: Literal["administrative", "service", "prohibited"] = Field(
        description="administrative (事务性) and service (服务性) items may be purchased; "
        "prohibited items are the government's own duties, public-staff workload only "
        "(rule prohibited-items)"
    )
    fund: Literal["relief", "child", "lottery", "none"] = Field(
        description="Fund that pays for purchases of this item: relief (under relief-cap), "
        "child (funds.child_welfare), lottery (funds.lottery); none for prohibited items "
        "(a purchasable item with none is paid from the lottery fund)"
    )
    purchasable: bool | None = Field(
        None, description="May be purchased; omitted: true unless kind is prohibited (a "
        "prohibited item marked true is an error, rule prohibited-items)"
    )
    driver: tuple[DriverName, ...] = Field(min_length=1, description="County figures summed to "
                                           "drive demand (county counts 1 per county)")
    rate: NonNegFloat = Field(description="Expected cases per driver unit in the base year, "
                              "cases per driver unit per year")
    growth: float = Field(0.0, gt=-1, le=1, description="Demand growth: expected cases scale by "
                          "(1 + growth) ^ (year - base_year), share per year")
    monthly: tuple[Annotated[float, Field(gt=0)], ...] = Field(
        (1.0,) * 12, min_length=12, max_length=12, description="Arrival-rate multipliers for "
        "January to December; average 1 keeps the annual total at driver x rate, multiplier"
    )
    distribution: Literal["exponential", "lognormal", "gamma", "fixed"] = Field(
        "lognormal", description="Distribution of the service time per case"
    )
    mean_hours: float = Field(gt=0, description="Mean work per case, working hours per case")
    cv: NonNegFloat | None = Field(None, description="Coefficient of variation of the service "
                                   "time: needed (> 0) for lognormal and gamma; omit (or 1) for "
                                   "exponential, omit (or 0) for fixed, ratio")
    patience_hours: Annotated[float, Field(gt=0)] | None = Field(
        None, description="Mean of the exponential patience: how long a waiting case waits "
        "before it abandons; omit for never, working hours"
    )
    priority: NonNegFloat = Field(1.0, description="Value of an hour of this item's need met, "
                                  "relative to other items (goals 3 and 4 of the allocation), "
                                  "weight")
    target_wait_days: NonNegFloat = Field(10.0, description="Target wait; waiting beyond it "
                                          "lowers satisfaction and timeliness, working days")
    statutory: bool = Field(False, description="Statutory administrative work (means tests, "
                            "annual reviews): this year's cases and the carried backlog must "
                            "be cleared within the year (goal 1 of the allocation)")
    min_coverage: Share = Field(0.0, description="Least share of this item's need (hours) the "
                                "plan serves in every county (goal 3 of the allocation), "
                                "share 0-1")
    counts_toward: Literal["caseworker", "child_staff", "none"] = Field(
        "none", description="Workers on this item count toward caseworker-ratio (caseworker), "
        "child-welfare-staff (child_staff) or neither (none)"
    )
    purchase_mode: Literal["post", "project"] = Field(
        "post", description="Buy posts (FTE planned at utilisation_target) or a project "
        "(packaged hours, fully used, at the provider type's price)"
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
    """One ``[[provider_types]]`` entry: a kind of provider services can be bought from."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$", description="ASCII slug naming the type; "
                    "the keys of counties' market tables")
    name_zh: str = Field(description="Chinese name")
    name_en: str = Field("", description="English name")
    is_social_org: bool = Field(description="A social organisation (social group, social-service "
                                "agency, foundation): its spend counts toward social-org-share")
    cost_per_fte_year: float = Field(gt=0, description="Price of one purchased FTE-year, "
                                     "overheads included, CNY per FTE-year")
    quality: Share = Field(description="Mean recipient satisfaction with its service, score 0-1")
    failure_hazard: NonNegFloat = Field(description="Rate at which one provider's contract fails "
                                        "(exponential time to failure), failures per year")
    takeover_delay_days: NonNegFloat = Field(description="Time from a failure until the interim "
                                             "takeover restores capacity, working days")


class Provider(_Model):
    """One ``[[providers]]`` entry: a named organisation that may win tenders (optional)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$",
                    description="ASCII slug naming the organisation")
    name_zh: str = Field("", description="Chinese name")
    type: str = Field(description="Id of its [[provider_types]] entry")
    counties: tuple[str, ...] = Field(min_length=1, description="Ids of the [[counties]] it "
                                      "serves")
    capacity_fte: NonNegFloat = Field(description="FTE it can field over all its contracts "
                                      "together, FTE")
    rating: Literal["1A", "2A", "3A", "4A", "5A", "none"] = Field(
        "none", description="Official rating; a social organisation older than 3 years needs 3A "
        "or higher to win a tender (rule provider-rating)"
    )
    age_years: NonNegFloat = Field(0, description="Time since registration, years")
    quality: Share | None = Field(None, description="Mean recipient satisfaction, replacing its "
                                  "type's quality; omit to use the type's, score 0-1")


class PublicStaff(_Model):
    """One ``[[baseline.public_staff]]`` entry: establishment staff on one (county, item)."""

    county: str = Field(description="Id of a [[counties]] entry")
    item: str = Field(description="Id of an [[items]] entry")
    fte: NonNegFloat = Field(description="Establishment staff working on the item in the "
                             "county, FTE")


class Contract(_Model):
    """One ``[[baseline.contracts]]`` entry: an incumbent purchase contract in the base year."""

    county: str = Field(description="Id of a [[counties]] entry")
    item: str = Field(description="Id of a purchasable [[items]] entry (rule prohibited-items)")
    provider_type: str = Field(description="Id of a [[provider_types]] entry")
    provider: str | None = Field(None, description="Id of a [[providers]] entry; omit for a "
                                 "generic local provider of the type")
    fte: Annotated[float, Field(gt=0)] = Field(description="Contracted workers, FTE")
    start_year: int = Field(ge=1990, le=2100, description="First year of the current run of "
                            "contracts with this provider; at most base_year, and base_year - "
                            "start_year + 1 may not exceed max_contract_years (rule "
                            "contract-term), calendar year")
    term_years: int = Field(1, ge=1, description="Years signed for at once (one year at a time: "
                            "1); at most max_contract_years (rule contract-term), years")


class Baseline(_Model):
    """Who does the work today (the base year's staffing before any new purchase)."""

    caseworker_assignment: Literal["prohibited_first", "explicit"] = Field(
        "prohibited_first",
        description="Public caseworkers serve prohibited items first, the rest spread over "
        "caseworker items by demand hours; 'explicit' uses public_staff only",
    )
    director_hours_per_year: NonNegFloat = Field(
        200.0, description="Hours each child-welfare director in post gives to director_item, "
        "working hours per year"
    )
    director_item: str | None = Field(None, description="Id of the item the directors' hours go "
                                      "to; omit for none")
    director_post_subsidy: NonNegFloat | None = Field(
        None, description="Yearly subsidy of a new part-time child-welfare director or "
        "supervisor post (a village cadre or public-welfare post, 000 §(十)), paid from the "
        "child-welfare fund; each post counts as one person toward child-welfare-staff and "
        "gives director_hours_per_year to director_item; omit when new posts can only be "
        "purchased FTE, CNY per person-year"
    )
    public_quality: Share = Field(
        0.8, description="Mean satisfaction of cases served by establishment staff, directors "
        "and interim takeovers (no survey figure at hand), score 0-1"
    )
    public_staff: tuple[PublicStaff, ...] = Field(
        (), description="Establishment FTE per (county, item); a county listed here uses these "
        "figures instead of the prohibited_first split"
    )
    contracts: tuple[Contract, ...] = Field((), description="Incumbent purchase contracts")


class Funds(_Model):
    """The ``[funds]`` table: yearly budgets for purchases outside the relief cap."""

    child_welfare: NonNegFloat = Field(0.0, description="Child-welfare work fund for purchases "
                                       "of child items, outside relief-cap, CNY per year")
    lottery: NonNegFloat = Field(0.0, description="Welfare-lottery public-welfare fund, usable "
                                 "for any purchasable item, CNY per year")
    total_budget: NonNegFloat | None = Field(None, description="Optional cap on all purchases "
                                             "from every fund together; omit for none, "
                                             "CNY per year")
    child_welfare_split: Literal["children", "pooled"] = Field(
        "children", description="Split the child-welfare fund over counties by their children "
        "(left-behind + in difficulty), or pool it over the prefecture"
    )


class Scenario(_Model):
    """A whole scenario file: the tables below, validated together (cross-references too)."""

    scenario: ScenarioHeader = Field(description="Name, base year, horizon, seed and clock")
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
        if not isinstance(overrides, Mapping):
            raise ScenarioError([Problem("", "overrides are a mapping of dotted paths to values, "
                                         "like {'policy.relief_cap_share': 0.02}",
                                         value=overrides)])
        data = self.to_dict()
        problems: list[Problem] = []
        for path, value in overrides.items():
            if not isinstance(path, str) or not path.strip():
                problems.append(Problem(str(path), "an override path is dotted text, like "
                                        "'policy.relief_cap_share'", value=value))
                continue
            if nesting_depth(value) > limit("nesting_depth"):
                problems.append(Problem(path, f"a value nested more than "
                                        f"{limit('nesting_depth')} levels deep"))
                continue
            problems.extend(_apply_override(data, path, value))
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
        problems = _schema_problems(data) + semantic_problems(data)
        reported = {p.path for p in problems}  # a value the schema refuses is reported once
        problems += [p for p in bound_problems(data)
                     if p.severity == "error" and p.path not in reported]
        if not problems:
            problems = size_problems(cls.model_validate(data))
        if problems:
            raise ScenarioError(sorted((_with_place(p, source, lines) for p in problems),
                                       key=_problem_order))
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
        return [_with_place(w, self._source, {}) for w in found]


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
    exists = _exists(path)
    if not exists and str(path_or_name) in builtin_scenarios():
        resource = resources.files("govsim") / "scenarios" / f"{path_or_name}.toml"
        return _load_text(resource.read_text(encoding="utf-8"), f"builtin:{path_or_name}")
    if not exists:
        hint = difflib.get_close_matches(str(path_or_name), builtin_scenarios(), n=1)
        known = ", ".join(builtin_scenarios())
        message = f"no such file or built-in scenario (built-ins: {known})"
        if hint:
            message += f"; did you mean {hint[0]!r}?"
        raise ScenarioError([Problem("", message, file=str(path_or_name))])
    return _load_text(read_text(path, "scenario file"), str(path))


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long for the system, or with a NUL byte
        return False


def _load_text(text: str, source: str) -> Scenario:
    data = parse_toml(text, source, "scenario file")
    return Scenario.from_dict(data, source=source, text=text.removeprefix("\ufeff"))


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


def line_index(text: str) -> dict[str, int]:
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
    return placed(problem, source, lines)


def placed(problem: Problem, source: str | None, lines: Mapping[str, int]) -> Problem:
    """``problem`` with its file and the line of its field, or of the nearest enclosing table
    (``counties[2].market.x`` falls back to ``counties[2].market``, then ``counties[2]``)."""
    line = problem.line
    path = problem.path
    while line is None and path:
        line = lines.get(path)
        shorter = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", path)
        path = "" if shorter == path else shorter
    return Problem(problem.path, problem.message, problem.value, problem.rule,
                   problem.file or source, line, problem.severity)
