"""The tables of a scenario file below ``[scenario]`` and ``[policy]``: counties, items,
provider types, providers, the baseline staffing and the funds.

Units are in every field's description: money in CNY (yuan), time in working hours unless a
name says ``_days`` (working days of 8 hours) or ``_years``. The models are immutable; unknown
keys, infinities, NaN and booleans where numbers belong are errors
(:class:`~govsim.inputs.InputModel`).
"""

from __future__ import annotations

import typing
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from govsim.inputs import InputModel

__all__ = [
    "DRIVER_FIELDS",
    "Baseline",
    "Contract",
    "County",
    "DriverName",
    "Funds",
    "Item",
    "NonNegFloat",
    "NonNegInt",
    "Provider",
    "ProviderType",
    "PublicStaff",
    "ScenarioTable",
    "Share",
]

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


class ScenarioTable(InputModel):
    """Base of every table of a scenario file: immutable, defaults validated too."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)



class County(ScenarioTable):
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


class Item(ScenarioTable):
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
    deadline_days: Annotated[float, Field(gt=0)] | None = Field(
        None, description="Statutory deadline of a case: a case served later, or still "
        "waiting past it at year end, is overdue (counted, never dropped); with a seasonal "
        "demand the plan sizes the item's capacity to clear its peak within it; omit for "
        "none, working days"
    )
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
    arrivals: Literal["random", "commissioned"] = Field(
        "random", description="How the year's cases come: random (requests arriving as a "
        "Poisson process at the expected rate, monthly multipliers applied) or commissioned "
        "(deliverables the bureau orders itself, such as one evaluation a county a year: the "
        "expected number each year, whole, a fraction being one more with that probability, "
        "handed over in equal instalments from the first working day)"
    )

    @model_validator(mode="after")
    def _commissioned_has_no_season_or_patience(self) -> Item:
        if self.arrivals == "commissioned" and len(set(self.monthly)) > 1:
            raise ValueError("commissioned deliverables come in equal instalments; omit "
                             "monthly (or make it flat)")
        if self.arrivals == "commissioned" and self.patience_hours is not None:
            raise ValueError("a commissioned deliverable is not withdrawn while it waits; "
                             "omit patience_hours")
        return self

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


class ProviderType(ScenarioTable):
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


class Provider(ScenarioTable):
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


class PublicStaff(ScenarioTable):
    """One ``[[baseline.public_staff]]`` entry: establishment staff on one (county, item)."""

    county: str = Field(description="Id of a [[counties]] entry")
    item: str = Field(description="Id of an [[items]] entry")
    fte: NonNegFloat = Field(description="Establishment staff working on the item in the "
                             "county, FTE")


class Contract(ScenarioTable):
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


class Baseline(ScenarioTable):
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


class Funds(ScenarioTable):
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
