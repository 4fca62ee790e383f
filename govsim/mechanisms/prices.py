"""Figures of the mechanisms that the allocation and the simulation both read.

One definition each, so the plan and the simulated year price and size a mechanism alike:
a provider type's price per FTE-year (title tiers, the volunteers' subsidy), the share of a
first year a new tender delivers (lead time), the casework hours volunteers add per purchased
social worker, the local market a social-organisation type may bid from (eligibility), and the
provider-type names of capacity that is not a purchase (part-time posts, volunteers, village
assistants). Units: CNY, FTE, working hours, shares.
"""

from __future__ import annotations

from govsim.demand import PART_TIME_POST
from govsim.scenario import Scenario

__all__ = [
    "NON_PURCHASE_TYPES",
    "VILLAGE_ASSISTANT",
    "VOLUNTEER",
    "first_year_share",
    "lead_start_hours",
    "market_share",
    "provider_price",
    "title_tier_price",
    "volunteer_hours_per_fte",
    "volunteer_subsidy_per_fte",
]

#: ``provider_type`` of volunteers' rows in an allocation table (hours, no money of their own).
VOLUNTEER = "volunteer"
#: ``provider_type`` of village social-assistance assistants' rows (a subsidy, 费随事转).
VILLAGE_ASSISTANT = "village_assistant"
#: Rows of an allocation table that are capacity but not a purchase from a provider.
NON_PURCHASE_TYPES = (PART_TIME_POST, VOLUNTEER, VILLAGE_ASSISTANT)


def title_tier_price(scenario: Scenario, type_id: str) -> float | None:
    """Price per FTE-year of a provider type from its mix of title tiers, or ``None`` when
    title tiers are off or the type has no mix: Σ share × tier price × wage index ×
    (1 + overhead), shares normalised."""
    tiers = scenario.mechanisms.title_tiers
    mix = tiers.mix_of(type_id) if tiers.enabled else None
    if mix is None:
        return None
    shares = mix.shares()
    post = sum(share * getattr(tiers.prices, tier) for tier, share in shares.items()) \
        / sum(shares.values())
    return post * tiers.wage_index * (1.0 + tiers.overhead)


def volunteer_subsidy_per_fte(scenario: Scenario) -> float:
    """Volunteer subsidy that comes with one purchased social-worker FTE-year (CNY): the
    volunteers linked to the worker × their hours × the subsidy per hour; 0 when off."""
    v = scenario.mechanisms.volunteers
    if not v.enabled:
        return 0.0
    return v.per_social_worker * v.hours_per_volunteer * v.subsidy_per_hour


def volunteer_hours_per_fte(scenario: Scenario) -> float:
    """Casework hours a year the volunteers linked to one social-worker FTE deliver."""
    v = scenario.mechanisms.volunteers
    if not v.enabled:
        return 0.0
    return v.per_social_worker * v.hours_per_volunteer * v.effectiveness


def provider_price(scenario: Scenario, type_id: str) -> float:
    """What one purchased FTE-year of a provider type costs the purchaser (CNY).

    ``cost_per_fte_year``, or the title-tier price; for a social organisation with volunteers
    on, plus the volunteers' subsidy (the linkage's funds are part of the social-work purchase,
    《东莞市社工、志愿者联动工作实施方案》 §二(一), (三)).
    """
    ptype = scenario.provider_type(type_id)
    tiered = title_tier_price(scenario, type_id)
    price = ptype.cost_per_fte_year if tiered is None else tiered
    if ptype.is_social_org and scenario.mechanisms.volunteers.enabled:
        price += volunteer_subsidy_per_fte(scenario)
    return price


def first_year_share(scenario: Scenario) -> float:
    """Share of its first year a new tender delivers (and is paid for): (12 − months) / 12."""
    lead = scenario.mechanisms.lead_time
    return (12.0 - lead.months) / 12.0 if lead.enabled else 1.0


def lead_start_hours(scenario: Scenario) -> float:
    """Clock hour a new tender's workers start in its first year (0 without lead time)."""
    lead = scenario.mechanisms.lead_time
    return lead.months / 12.0 * scenario.header.hours_per_year if lead.enabled else 0.0


def market_share(scenario: Scenario, type_id: str) -> float:
    """Share of a type's local market that may bid: the eligible share of unnamed local
    social organisations (eligibility on), else 1."""
    eligibility = scenario.mechanisms.eligibility
    if eligibility.enabled and scenario.provider_type(type_id).is_social_org:
        return eligibility.unnamed_eligible_share
    return 1.0
