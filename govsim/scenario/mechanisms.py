"""The ``[mechanisms]`` section of a scenario: one switchable sub-table per mechanism.

Every mechanism is off by default (``enabled = false``); a scenario without the section, or with
every mechanism off, gives exactly the results it gave before the mechanisms existed. Item-level
choices are lists of item ids inside the sub-table (``items = ["care", "rehabilitation"]``);
:func:`govsim.scenario.mechanism_checks.mechanism_problems` reports an unknown id with its field
path.
Defaults are the documents' figures where they give one (cited in each field's description by
document title) and stated assumptions otherwise; ``docs/mechanisms.md`` says which reading of
each clause the model takes and why. Units are in every field's description.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, model_validator

from govsim.inputs import InputModel
from govsim.policy import RULES

__all__ = [
    "TIERS",
    "Eligibility",
    "LeadTime",
    "Mechanisms",
    "PaymentByAssessment",
    "TierMix",
    "TierPrices",
    "TitleTiers",
    "VillageAssistants",
    "Volunteers",
    "Vouchers",
]

NonNegFloat = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]
ItemIds = tuple[Annotated[str, Field(min_length=1)], ...]

#: Title tiers of a purchased social-work post (rule ``post-prices``).
TIERS = ("unqualified", "assistant", "intermediate")


class _Section(InputModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)

    enabled: bool = Field(False, description="Switch the mechanism on; off (the default) "
                          "leaves results exactly as without it")


class _ItemSection(_Section):
    items: ItemIds = Field((), description="Ids of the [[items]] entries the mechanism acts on; "
                           "at least one when enabled")

    @model_validator(mode="after")
    def _items_when_enabled(self) -> _ItemSection:
        if self.enabled and not self.items:
            raise ValueError("an enabled mechanism needs at least one item id in items")
        if len(set(self.items)) != len(self.items):
            raise ValueError("items lists an item twice")
        return self


class Vouchers(_ItemSection):
    """``[mechanisms.vouchers]``: voucher mode (凭单制),
    《成都市政府购买服务工作规程》 Arts. 19, 30."""

    providers: int = Field(3, ge=2, le=10, description="Qualified providers contracted per "
                           "(county, item) — one per provider type offered in the county, best "
                           "by comprehensive score, at most this many (Art. 19: 依法确定多个承接"
                           "主体), count")
    quality_weight: NonNegFloat = Field(
        10.0, description="Logit coefficient of a provider's quality in a recipient's choice "
        "(utility per unit of satisfaction; 10 makes a provider 0.1 better about 2.7 times as "
        "likely to be chosen); an assumption, no document gives it, weight")
    wait_weight_per_day: NonNegFloat = Field(
        0.1, description="Logit coefficient of the expected wait at a provider (utility lost "
        "per working day of last year's mean wait there); an assumption, weight")


class Volunteers(_ItemSection):
    """``[mechanisms.volunteers]``: social workers lead volunteers (社工、志愿者联动)."""

    per_social_worker: NonNegFloat = Field(
        float(RULES["volunteer-link"].value), description="Volunteers each purchased social "
        "worker (social-organisation FTE) keeps in touch with (《东莞市社工、志愿者联动工作实施"
        "方案》 §一(一): 至少10名; rule volunteer-link), people per unit")
    hours_per_volunteer: NonNegFloat = Field(
        40.0, description="Hours of service one volunteer gives in a year (an assumption: about "
        "one half-day a month; no document gives it), working hours per year")
    effectiveness: Share = Field(
        0.5, description="Casework delivered per volunteer hour (volunteers assist; a social "
        "worker's hour delivers 1), share 0-1")
    quality: Share = Field(0.75, description="Mean satisfaction of cases served by volunteers "
                           "(an assumption), score 0-1")
    subsidy_per_hour: NonNegFloat = Field(
        15.0, description="Transport and meal subsidy per volunteer hour (§三(三): 交通饮食补贴; "
        "the amount is an assumption), paid with the social worker's purchase from the same "
        "fund, CNY per working hour")


class VillageAssistants(_ItemSection):
    """``[mechanisms.village_assistants]``: village social-assistance assistants
    (村级社会救助协理员) paid on 费随事转
    (四川省民政厅等《关于全面推进政府购买社会救助服务的实施意见》 §(十一))."""

    per_village: NonNegFloat = Field(1.0, description="Most assistants per village (one village "
                                     "post, §(十一) 村级社会救助协理员), people per unit")
    hours_per_year: NonNegFloat = Field(240.0, description="Hours one part-time assistant gives "
                                        "the listed items in a year (an assumption: about a "
                                        "day a week), working hours per year")
    subsidy_per_year: NonNegFloat = Field(
        3600.0, description="Yearly subsidy of one assistant, paid by the county civil-affairs "
        "bureau from its social-assistance work funds as the task moves to the village (费随事转; "
        "the amount is an assumption: 300 CNY a month), CNY per person-year")
    quality: Share = Field(0.75, description="Mean satisfaction of cases served by assistants "
                           "(an assumption), score 0-1")
    counts_toward_relief_cap: bool = Field(
        False, description="Count the assistants' subsidies toward relief-cap; false (the "
        "reading of docs/mechanisms.md): a subsidy for work handed to a village committee is "
        "not a purchase from a social force, which is what the 3 % cap limits")


class PaymentByAssessment(_Section):
    """``[mechanisms.payment_by_assessment]``: the assessment decides part of the payment
    (《成都市政府购买服务工作规程》 Art. 28; 四川省实施意见 §(十))."""

    withheld_share: Share = Field(0.2, description="Share of each contract's money withheld "
                                  "until the year-end assessment (an assumption; Art. 28 says "
                                  "only 挂钩), share 0-1")
    full_payment_score: Annotated[float, Field(gt=0, le=1)] = Field(
        0.9, description="Assessment score at which the withheld money is paid in full; "
        "below the pass mark none is paid, between them the share paid is score / this, "
        "score 0-1")
    survey_sample: int = Field(30, ge=1, le=10_000, description="Recipients surveyed per "
                               "contract and year for the satisfaction part of the score "
                               "(fewer if fewer were served), count")
    response_sd: NonNegFloat = Field(0.15, description="Standard deviation of one respondent's "
                                     "satisfaction around the provider's true mean (an "
                                     "assumption), score 0-1")


class LeadTime(_Section):
    """``[mechanisms.lead_time]``: the annual cycle — budget, tender, contract — delays a new
    purchase's start (四川省实施意见 §(七)1,3; 《成都市政府购买服务工作规程》 Arts. 4–10)."""

    months: Annotated[float, Field(ge=0, le=12)] = Field(
        3.0, description="Months into its first year before a new tender's contract starts "
        "(budget approved in the first quarter, then the tender; an assumption). Renewals and "
        "re-tenders of a running purchase start on day 0, months")


class Eligibility(_Section):
    """``[mechanisms.eligibility]``: who may take a contract (《东莞市政府购买社会工作服务实施办法》
    Art. 7; 安徽《关于深化民政领域购买社会服务改革的指导意见》)."""

    min_age_years: NonNegFloat = Field(3.0, description="A social organisation older than "
                                       "this needs the minimum rating (Art. 7: 成立3年以上), "
                                       "years")
    min_rating: str = Field("3A", pattern=r"^[1-5]A$", description="Least rating of an older "
                            "social organisation (Art. 7: 3A或以上)")
    last_assessment_must_pass: bool = Field(
        True, description="A provider whose last assessment fell below the pass mark may not "
        "bid, even after its bar (Art. 7(四): 最近一次考核评估为合格以上)")
    barred_providers: ItemIds = Field(
        (), description="Ids of [[providers]] with a bad record (penalised by the registration "
        "authority, failed or refused the annual inspection; Art. 7(四)): never eligible")
    unnamed_eligible_share: Share = Field(
        1.0, description="Share of unnamed local social-organisation capacity that meets the "
        "rules (an assumption: the scenario's market figures do not say how old or rated the "
        "local organisations are; 1 counts all of it), share 0-1")


class TierPrices(InputModel):
    """``[mechanisms.title_tiers.prices]``: a purchased post's price per title tier at
    ``price_year`` levels (《东莞市财政支持社会工作发展的实施方案》 §三(一):
    无职称4万元、助理级6万元、中级9.9万元/人·年)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)

    unqualified: NonNegFloat = Field(40_000.0, description="A post without a social-work "
                                     "title, CNY per person-year")
    assistant: NonNegFloat = Field(float(RULES["post-prices"].value), description="An "
                                   "assistant social worker's post, CNY per person-year")
    intermediate: NonNegFloat = Field(99_000.0, description="An intermediate social worker's "
                                      "post, CNY per person-year")


class TierMix(InputModel):
    """One ``[[mechanisms.title_tiers.mix]]`` entry: a provider type's staff by title tier."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)

    id: str = Field(min_length=1, description="Id of a [[provider_types]] entry")
    unqualified: NonNegFloat = Field(0.0, description="Share of its staff without a title "
                                     "(shares are normalised), weight")
    assistant: NonNegFloat = Field(0.0, description="Share of assistant social workers, weight")
    intermediate: NonNegFloat = Field(0.0, description="Share of intermediate social workers, "
                                      "weight")

    @model_validator(mode="after")
    def _some_staff(self) -> TierMix:
        if self.unqualified + self.assistant + self.intermediate <= 0:
            raise ValueError("the shares must not all be zero")
        return self

    def shares(self) -> dict[str, float]:
        return {tier: getattr(self, tier) for tier in TIERS}


class TitleTiers(_Section):
    """``[mechanisms.title_tiers]``: a post's price from its title tier
    (《东莞市财政支持社会工作发展的实施方案》 §三(一))."""

    prices: TierPrices = Field(default_factory=TierPrices, description="Price of a post per "
                               "title tier at price_year levels")
    price_year: int = Field(2011, ge=1990, le=2100, description="Year the prices are from, "
                            "calendar year")
    wage_index: Annotated[float, Field(gt=0)] = Field(
        1.0, description="Wages of price_year's professionals → the base year's (§三(一): "
        "调整 with pay); 1 keeps the 2011 levels, multiplier")
    overhead: NonNegFloat = Field(0.15, description="Overheads added to a post's price (the "
                                  "Guang'an provider price is an assistant post + 15 %), ratio")
    mix: tuple[TierMix, ...] = Field(
        (), description="Provider types' staff by title tier, one entry per type; a type not "
        "listed keeps its cost_per_fte_year")

    @model_validator(mode="after")
    def _one_mix_per_type(self) -> TitleTiers:
        ids = [m.id for m in self.mix]
        if len(set(ids)) != len(ids):
            raise ValueError("mix lists a provider type twice")
        return self

    def mix_of(self, type_id: str) -> TierMix | None:
        return next((m for m in self.mix if m.id == type_id), None)


class Mechanisms(InputModel):
    """The ``[mechanisms]`` table: mechanisms of the documents, each switchable, all off by
    default (see docs/mechanisms.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)

    vouchers: Vouchers = Field(default_factory=Vouchers, description="Voucher mode: recipients "
                               "choose among several contracted providers, money follows the "
                               "served case")
    volunteers: Volunteers = Field(default_factory=Volunteers, description="Volunteers led by "
                                   "purchased social workers add capacity on suitable items")
    village_assistants: VillageAssistants = Field(
        default_factory=VillageAssistants, description="Part-time village assistants carry "
        "listed legwork items, paid by the task (费随事转)")
    payment_by_assessment: PaymentByAssessment = Field(
        default_factory=PaymentByAssessment, description="Part of the contract money paid by "
        "the year-end assessment, observed through a recipient sample survey")
    lead_time: LeadTime = Field(default_factory=LeadTime, description="New tenders start "
                                "months into their first year")
    eligibility: Eligibility = Field(default_factory=Eligibility, description="Rating, record "
                                     "and last-assessment rules for bidders")
    title_tiers: TitleTiers = Field(default_factory=TitleTiers, description="Provider prices "
                                    "from the title tiers of their posts")

    @property
    def any_enabled(self) -> bool:
        return any(getattr(self, name).enabled for name in type(self).model_fields)
