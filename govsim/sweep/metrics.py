"""Named scalar metrics: what a sweep keeps of each run, by pipeline stage.

A sweep run produces tables (simulated KPIs, an allocation, a pipeline's results); a sweep
keeps a few numbers of each. Every metric here has a name, a unit, a description and one
function per stage it applies to. Several names mean the same idea in several stages —
``coverage`` is served / arrivals in a simulation and 1 − unmet / demand in an allocation —
and the description of each stage says which.

Simulated metrics are totals over the plan years, counties and items (the backlog: at the end of
the last year); with several simulation replications in one run (the ``run`` stage) they are
means over those replications. Money in CNY, waits in working days.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from govsim.scenario import Scenario

__all__ = ["METRICS", "STAGES", "Metric", "StageOutput", "compute_metrics", "metrics_for_stage"]

#: The pipeline stages a sweep can run.
STAGES: tuple[str, ...] = ("simulate", "allocate", "run")


@dataclass(frozen=True)
class StageOutput:
    """What one run produced, in the shape the metric functions read.

    ``kpis``: simulated KPIs (``replication, year, county, item, arrivals, served, …``);
    ``allocation``, ``staffing``, ``unmet``, ``compliance``: allocation tables (all plan
    years); ``objective``: the LP objective; ``relaxed``: an elastic rule had to give;
    ``constraints``: the named LP rows with shadow prices.
    """

    scenario: Scenario
    kpis: pd.DataFrame | None = None
    allocation: pd.DataFrame | None = None
    staffing: pd.DataFrame | None = None
    unmet: pd.DataFrame | None = None
    compliance: pd.DataFrame | None = None
    constraints: pd.DataFrame | None = None
    objective: float = math.nan
    relaxed: bool = False


MetricFn = Callable[[StageOutput], float]


@dataclass(frozen=True)
class Metric:
    """A named scalar of a run; ``functions`` maps each stage it applies to to its function."""

    name: str
    unit: str
    description: str
    functions: Mapping[str, MetricFn] = field(repr=False)

    @property
    def stages(self) -> tuple[str, ...]:
        return tuple(s for s in STAGES if s in self.functions)


# -- simulated KPIs -------------------------------------------------------------------------

def _reps(kpis: pd.DataFrame) -> int:
    return int(kpis["replication"].nunique()) if "replication" in kpis else 1


def _total(column: str) -> MetricFn:
    def total(out: StageOutput) -> float:
        kpis = _kpis(out)
        return float(kpis[column].sum()) / _reps(kpis)
    return total


def _ratio(num: str, den: str) -> MetricFn:
    def ratio(out: StageOutput) -> float:
        kpis = _kpis(out)
        den_total = float(kpis[den].sum())
        return float(kpis[num].sum()) / den_total if den_total > 0 else math.nan
    return ratio


def _weighted(column: str, weight: Callable[[pd.DataFrame], pd.Series]) -> MetricFn:
    def weighted(out: StageOutput) -> float:
        kpis = _kpis(out)
        w = weight(kpis).where(kpis[column].notna(), 0.0)
        total = float(w.sum())
        return float((kpis[column].fillna(0.0) * w).sum()) / total if total > 0 else math.nan
    return weighted


def _kpis(out: StageOutput) -> pd.DataFrame:
    if out.kpis is None:
        raise ValueError("this run produced no simulated KPIs")
    return out.kpis


def _backlog(out: StageOutput) -> float:
    kpis = _kpis(out)
    last = kpis[kpis["year"] == kpis["year"].max()]
    return float(last["backlog"].sum()) / _reps(kpis)


def _sim_weighted_coverage(out: StageOutput) -> float:
    kpis = _kpis(out)
    priority = kpis["item"].map({i.id: i.priority for i in out.scenario.items})
    demand = float((priority * kpis["arrivals"]).sum())
    return float((priority * kpis["served"]).sum()) / demand if demand > 0 else math.nan


def _fte(kpis: pd.DataFrame) -> pd.Series:
    return kpis["fte_public"] + kpis["fte_purchased"]


# -- allocation tables ----------------------------------------------------------------------

def _table(out: StageOutput, name: str) -> pd.DataFrame:
    table = getattr(out, name)
    if table is None:
        raise ValueError(f"this run produced no {name} table")
    return table


def _spend(out: StageOutput) -> float:
    return float(_table(out, "allocation")["cost"].sum())


def _relief_spend(out: StageOutput) -> float:
    allocation = _table(out, "allocation")
    return float(allocation.loc[allocation["fund"] == "relief", "cost"].sum())


def _purchased_fte(out: StageOutput) -> float:
    return float(_table(out, "allocation")["fte"].sum())


def _social_org_share(out: StageOutput) -> float:
    allocation = _table(out, "allocation")
    social = {p.id for p in out.scenario.provider_types if p.is_social_org}
    total = float(allocation["cost"].sum())
    spent = float(allocation.loc[allocation["provider_type"].isin(social), "cost"].sum())
    return spent / total if total > 0 else math.nan


def _shortfall(rule: str | None) -> MetricFn:
    def shortfall(out: StageOutput) -> float:
        staffing = _table(out, "staffing")
        rows = staffing if rule is None else staffing[staffing["rule"] == rule]
        return float(rows["shortfall"].sum())
    return shortfall


def _unmet_cases(out: StageOutput) -> float:
    return float(_table(out, "unmet")["cases_unmet"].sum())


def _planned_coverage(out: StageOutput) -> float:
    unmet = _table(out, "unmet")
    demand = float(unmet["cases_demand"].sum())
    return 1.0 - float(unmet["cases_unmet"].sum()) / demand if demand > 0 else math.nan


def _planned_weighted_coverage(out: StageOutput) -> float:
    unmet = _table(out, "unmet")
    priority = unmet["item"].map({i.id: i.priority for i in out.scenario.items})
    demand = float((priority * unmet["cases_demand"]).sum())
    served = float((priority * (unmet["cases_demand"] - unmet["cases_unmet"])).sum())
    return served / demand if demand > 0 else math.nan


def _rule_failures(out: StageOutput) -> float:
    return float((_table(out, "compliance")["status"] == "fail").sum())


def _cap_shadow_price(out: StageOutput) -> float:
    rows = _table(out, "constraints")
    caps = rows.loc[rows["rule"] == "relief-cap", "shadow_price_per_10k_cny"]
    caps = pd.to_numeric(caps, errors="coerce").dropna()
    return float(caps.abs().mean()) if len(caps) else math.nan


def _objective(out: StageOutput) -> float:
    return float(out.objective)


def _relaxed(out: StageOutput) -> float:
    return 1.0 if out.relaxed else 0.0


_SIM = ("simulate", "run")
_ALLOC = ("allocate", "run")
_SPECS: list[tuple[str, str, str, tuple[str, ...], MetricFn]] = [
    ("arrivals", "cases", "cases arriving over the horizon", _SIM, _total("arrivals")),
    ("served", "cases", "cases served over the horizon", _SIM, _total("served")),
    ("abandoned", "cases", "cases that gave up waiting over the horizon", _SIM,
     _total("abandoned")),
    ("backlog", "cases", "cases still waiting at the end of the last year", _SIM, _backlog),
    ("abandonment_rate", "share", "abandoned / arrivals", _SIM, _ratio("abandoned", "arrivals")),
    ("wait_mean_days", "working days", "mean wait of served cases (served-weighted)", _SIM,
     _weighted("wait_mean_days", lambda k: k["served"])),
    ("wait_p90_days", "working days", "90th-percentile wait, arrivals-weighted over pools",
     _SIM, _weighted("wait_p90_days", lambda k: k["arrivals"])),
    ("utilisation", "share", "worker utilisation, FTE-weighted over pools", _SIM,
     _weighted("utilisation", _fte)),
    ("satisfaction", "0-1", "recipient satisfaction of served cases (served-weighted)", _SIM,
     _weighted("satisfaction", lambda k: k["served"])),
    ("cost", "CNY", "simulated purchase cost over the horizon (contracts actually paid)", _SIM,
     _total("cost")),
    ("spend_cny", "CNY", "planned purchase spending (allocation), all plan years", _ALLOC,
     _spend),
    ("relief_spend_cny", "CNY", "planned spending from the relief fund (the capped one)",
     _ALLOC, _relief_spend),
    ("purchased_fte", "FTE", "purchased FTE (allocation), all plan years", _ALLOC,
     _purchased_fte),
    ("social_org_share", "share", "share of planned spend on social organisations", _ALLOC,
     _social_org_share),
    ("caseworker_shortfall", "posts",
     "caseworker-ratio shortfall summed over counties (and plan years)", _ALLOC,
     _shortfall("caseworker-ratio")),
    ("child_staff_shortfall", "posts",
     "child-welfare-staff shortfall summed over counties (and plan years)", _ALLOC,
     _shortfall("child-welfare-staff")),
    ("staffing_shortfall", "posts", "both staffing rules' shortfalls summed", _ALLOC,
     _shortfall(None)),
    ("rule_failures", "rules", "compliance rows with status 'fail' (all plan years)", _ALLOC,
     _rule_failures),
]
_ALLOCATE_ONLY: list[tuple[str, str, str, MetricFn]] = [
    ("unmet_cases", "cases", "cases the plan leaves unmet", _unmet_cases),
    ("objective", "model units", "LP objective value (see docs/allocation.md)", _objective),
    ("relaxed", "0/1", "1 when an elastic staffing rule had to give", _relaxed),
    ("cap_shadow_price", "per 10,000 CNY", "mean |shadow price| of the relief-cap rows: what "
     "10,000 CNY more cap buys in the objective", _cap_shadow_price),
]


def _build() -> dict[str, Metric]:
    metrics: dict[str, Metric] = {}
    for name, unit, text, stages, fn in _SPECS:
        metrics[name] = Metric(name, unit, text, dict.fromkeys(stages, fn))
    for name, unit, text, fn in _ALLOCATE_ONLY:
        metrics[name] = Metric(name, unit, text, {"allocate": fn})
    # The same idea in two stages: simulated (served / arrivals) vs planned (1 − unmet / demand).
    metrics["coverage"] = Metric(
        "coverage", "share", "simulate/run: served / arrivals; allocate: planned 1 − unmet / "
        "demand", {"simulate": _ratio("served", "arrivals"), "allocate": _planned_coverage,
                   "run": _ratio("served", "arrivals")})
    metrics["weighted_coverage"] = Metric(
        "weighted_coverage", "share", "coverage weighted by item priority (simulated in "
        "simulate/run, planned in allocate)",
        {"simulate": _sim_weighted_coverage, "allocate": _planned_weighted_coverage,
         "run": _sim_weighted_coverage})
    return dict(sorted(metrics.items()))


#: Every metric by name.
METRICS: dict[str, Metric] = _build()


def metrics_for_stage(stage: str) -> list[str]:
    """Names of the metrics a stage can keep, sorted."""
    return [name for name, m in METRICS.items() if stage in m.functions]


def compute_metrics(stage: str, output: StageOutput, names: tuple[str, ...] | list[str]
                    ) -> dict[str, Any]:
    """The named metrics of one run (NaN where undefined, e.g. coverage with no arrivals)."""
    return {name: float(METRICS[name].functions[stage](output)) for name in names}
