"""The mechanism table of a run and the compliance rows of the mechanisms.

:func:`mechanism_table` puts together what the plan bought through a mechanism (from the
allocation table: new part-time posts, village assistants, volunteer hours, first-year shares
of new tenders, title-tier prices) and what the simulated years measured (the mean over the
replications of the simulation's mechanism rows: voucher choices and redemptions, surveyed
satisfaction and withheld money, volunteers linked, assistants' subsidies, delayed starts).
One row per year × county × item × provider type × mechanism × measure; ``source`` says plan or
simulation, ``replications`` how many replications the mean is over.

:func:`mechanism_compliance_rows` gives every rule of kind ``mechanism`` (and every other rule
the compliance check has no figure for) a row that says where it is modelled, whether its
switch is on in the scenario and, when on, its figures: volunteers per social worker against
``volunteer-link``, assistants hired against one per village, voucher redemptions against the
budget, withheld money paid, the lead time's delayed starts. These read the output tables only,
not the model's accounting. Money in CNY.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from govsim.demand import PART_TIME_POST
from govsim.mechanisms.prices import (
    NON_PURCHASE_TYPES,
    VILLAGE_ASSISTANT,
    VOLUNTEER,
    title_tier_price,
)
from govsim.policy import MONEY_TOLERANCE, RULES, WAN
from govsim.scenario import Scenario

__all__ = ["RUN_MECHANISM_COLUMNS", "mechanism_compliance_rows", "mechanism_table",
           "plan_rows"]

RUN_MECHANISM_COLUMNS = ["year", "county", "item", "provider_type", "mechanism", "measure",
                         "value", "unit", "source", "replications"]
_KEYS = ["year", "county", "item", "provider_type", "mechanism", "measure", "unit"]


def plan_rows(scenario: Scenario, allocation: pd.DataFrame) -> list[dict[str, Any]]:
    """The plan's mechanism figures, from an allocation table."""
    rows: list[dict[str, Any]] = []
    if allocation.empty:
        return rows

    def add(r: Any, mechanism: str, measure: str, value: float, unit: str) -> None:
        rows.append({"year": int(r.year), "county": r.county, "item": r.item,
                     "provider_type": r.provider_type, "mechanism": mechanism,
                     "measure": measure, "value": float(value), "unit": unit, "source": "plan",
                     "replications": math.nan})

    for r in allocation.itertuples(index=False):
        if r.provider_type == PART_TIME_POST:
            add(r, "public_welfare_posts", "posts", r.persons, "people")
            add(r, "public_welfare_posts", "subsidy_cny", r.cost, "CNY")
        elif r.provider_type == VILLAGE_ASSISTANT:
            add(r, "village_assistants", "assistants", r.persons, "people")
            add(r, "village_assistants", "subsidy_cny", r.cost, "CNY")
        elif r.provider_type == VOLUNTEER:
            add(r, "volunteers", "volunteer_fte", r.fte, "FTE")
            add(r, "volunteers", "volunteers_at_work", r.persons, "people")
    years = sorted(int(y) for y in allocation["year"].unique())
    for p in scenario.provider_types:
        price = title_tier_price(scenario, p.id)
        if price is None:
            continue
        for year in years:
            rows.append({"year": year, "county": "", "item": "", "provider_type": p.id,
                         "mechanism": "title_tiers", "measure": "price_per_fte_cny",
                         "value": price, "unit": "CNY per FTE-year", "source": "plan",
                         "replications": math.nan})
    return rows


def mechanism_table(scenario: Scenario, allocation: pd.DataFrame,
                    simulated: pd.DataFrame) -> pd.DataFrame:
    """The run's mechanism table (see the module docstring).

    ``simulated`` holds the simulation's mechanism rows with a ``replication`` column.
    """
    frames = [pd.DataFrame(plan_rows(scenario, allocation), columns=RUN_MECHANISM_COLUMNS)]
    if len(simulated):
        sim = simulated.copy()
        sim["value"] = sim["value"].astype(float)
        grouped = sim.groupby(_KEYS, sort=False, dropna=False)
        mean = grouped["value"].mean().reset_index()
        mean["replications"] = grouped["replication"].nunique().to_numpy()
        mean["source"] = "simulation"
        frames.append(mean[RUN_MECHANISM_COLUMNS])
    kept = [f for f in frames if len(f)]
    if not kept:
        return pd.DataFrame(columns=RUN_MECHANISM_COLUMNS)
    return pd.concat(kept, ignore_index=True)


# -- compliance ------------------------------------------------------------------------------

def _row(year: Any, rule_id: str, scope: str, value: Any, limit: Any, unit: str, status: str,
         detail: str) -> dict[str, Any]:
    return {"year": year, "rule": rule_id, "scope": scope, "value": value, "limit": limit,
            "unit": unit, "status": status, "source": RULES[rule_id].source, "detail": detail}


def _where(scenario: Scenario, rule_id: str) -> str:
    rule = RULES[rule_id]
    text = f"modelled: {rule.modelled}" + (f" — {rule.how}" if rule.how else "")
    if rule.mechanism:
        on = getattr(scenario.mechanisms, rule.mechanism).enabled
        text += f"; [mechanisms.{rule.mechanism}] is {'on' if on else 'off'} in this scenario"
    return text


def mechanism_compliance_rows(scenario: Scenario, allocation: pd.DataFrame,
                              mechanisms: pd.DataFrame | None, checked: set[str]
                              ) -> list[dict[str, Any]]:
    """Rows for every rule not in ``checked``: where it is modelled, and the figures of the
    switched-on mechanisms (``allocation`` normalised by the compliance check; ``mechanisms``
    the run's mechanism table, or ``None`` for a plan alone)."""
    rows: list[dict[str, Any]] = []
    m = scenario.mechanisms
    figures: dict[str, list[dict[str, Any]]] = {}
    if m.volunteers.enabled:
        figures["volunteer-link"] = _volunteer_rows(scenario, allocation)
    if m.village_assistants.enabled:
        figures["village-assistants"] = _assistant_rows(scenario, allocation)
    sim = mechanisms if mechanisms is not None and len(mechanisms) else None
    if m.vouchers.enabled and sim is not None:
        figures["vouchers"] = _voucher_rows(sim)
    if m.payment_by_assessment.enabled and sim is not None:
        figures["assessment"] = _payment_rows(sim)
    if m.lead_time.enabled and sim is not None:
        figures["annual-cycle"] = _lead_rows(scenario, sim)
    for rule_id in RULES:
        if rule_id in checked:
            continue
        found = figures.get(rule_id, [])
        where = _where(scenario, rule_id)
        for r in found:
            r["detail"] = f"{r['detail']} ({where})"
        rows += found or [_row(None, rule_id, "prefecture", None, RULES[rule_id].value, "",
                               "not-applicable", where)]
    return rows


def _social_fte(alloc: pd.DataFrame, scenario: Scenario) -> pd.Series:
    social = {p.id for p in scenario.provider_types if p.is_social_org}
    bought = alloc[alloc["provider_type"].isin(social)]
    return bought.groupby(["year", "county"])["fte"].sum()


def _volunteer_rows(scenario: Scenario, alloc: pd.DataFrame) -> list[dict[str, Any]]:
    per_worker = scenario.mechanisms.volunteers.per_social_worker
    minimum = scenario.policy.volunteers_per_social_worker
    rows = []
    for (year, county), fte in _social_fte(alloc, scenario).items():
        if fte <= 0:
            continue
        status = "pass" if per_worker >= minimum else "fail"
        rows.append(_row(int(year), "volunteer-link", county, per_worker, minimum,
                         "volunteers per social worker", status,
                         f"{per_worker * fte:,.0f} volunteers linked to {fte:,.1f} purchased "
                         f"social-worker FTE"))
    return rows


def _assistant_rows(scenario: Scenario, alloc: pd.DataFrame) -> list[dict[str, Any]]:
    a = scenario.mechanisms.village_assistants
    mine = alloc[alloc["provider_type"] == VILLAGE_ASSISTANT]
    hired = mine.groupby(["year", "county"])[["persons", "cost"]].sum()
    rows = []
    fund = ("counted toward relief-cap" if a.counts_toward_relief_cap
            else "outside relief-cap (费随事转: paid from the social-assistance work funds)")
    for (year, county_id), r in hired.iterrows():
        limit = a.per_village * scenario.county(county_id).villages
        status = "pass" if r["persons"] <= limit + 1e-9 else "fail"
        rows.append(_row(int(year), "village-assistants", county_id, float(r["persons"]), limit,
                         "persons", status, f"{r['persons']:,.0f} assistants, subsidy "
                         f"{r['cost'] / WAN:,.1f} 万元 {fund}"))
    return rows


def _sum(sim: pd.DataFrame, mechanism: str, measure: str) -> pd.Series:
    rows = sim[(sim["mechanism"] == mechanism) & (sim["measure"] == measure)
               & (sim["source"] == "simulation")]
    return rows.groupby(["year", "county"])["value"].sum()


def _voucher_rows(sim: pd.DataFrame) -> list[dict[str, Any]]:
    budget = _sum(sim, "vouchers", "budget_cny")
    redeemed = _sum(sim, "vouchers", "redeemed_cny")
    rows = []
    for (year, county), limit in budget.items():
        value = float(redeemed.get((year, county), 0.0))
        status = "pass" if value <= limit + MONEY_TOLERANCE else "fail"
        rows.append(_row(int(year), "vouchers", county, value, float(limit), "CNY", status,
                         f"vouchers redeemed {value / WAN:,.1f} of {limit / WAN:,.1f} 万元 "
                         f"budgeted (mean of the replications)"))
    return rows


def _payment_rows(sim: pd.DataFrame) -> list[dict[str, Any]]:
    withheld = _sum(sim, "payment_by_assessment", "withheld_cny")
    paid = _sum(sim, "payment_by_assessment", "withheld_paid_cny")
    rows = []
    for (year, county), limit in withheld.items():
        value = float(paid.get((year, county), 0.0))
        status = "pass" if value <= limit + MONEY_TOLERANCE else "fail"
        rows.append(_row(int(year), "assessment", county, value, float(limit), "CNY", status,
                         f"withheld {limit / WAN:,.1f} 万元, paid by the assessment "
                         f"{value / WAN:,.1f} 万元 (mean of the replications)"))
    return rows


def _lead_rows(scenario: Scenario, sim: pd.DataFrame) -> list[dict[str, Any]]:
    delayed = sim[(sim["mechanism"] == "lead_time") & (sim["source"] == "simulation")]
    months = scenario.mechanisms.lead_time.months
    rows = []
    for (year, county), part in delayed.groupby(["year", "county"]):
        rows.append(_row(int(year), "annual-cycle", county, len(part), None, "new tenders",
                         "not-applicable", f"{len(part)} new tenders started {months:g} months "
                         f"into the year; public staff carried the interim"))
    return rows


def non_purchase(provider_types: pd.Series) -> pd.Series:
    """Rows that are capacity but not a purchase from a provider (posts, volunteers,
    assistants)."""
    return provider_types.isin(NON_PURCHASE_TYPES)
