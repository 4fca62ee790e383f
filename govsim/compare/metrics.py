"""The metrics of a budget comparison: a selection from :mod:`govsim.metrics`.

Each metric of :data:`METRICS` is defined once in :data:`govsim.metrics.METRICS` (id, Chinese
and English names, unit, definition); this module picks the comparison's rows and computes them
for one option: ``plan`` metrics from the allocation (one plan per year, the same in every
replication: spend, relief-cap use, social-organisation share, caseworker shortfall, rule
failures), ``simulation`` metrics per replication from the simulated KPIs (coverage, cases,
waits, overdue statutory cases, cost per case, satisfaction). Flows are **per plan year** (the
mean over the run's plan years). Units: money in 万元 (10,000 CNY) except cost per case in CNY;
shares 0-1; waits in working days; staff in people.

The confidence intervals and paired differences are :mod:`govsim.stats`' (re-exported here):
an option's difference from the baseline with a 95 % Student-t interval over the paired
replications. A difference is *significant* when its interval excludes zero; a plan metric has a
zero-width interval, so any non-zero difference of it is significant and an exact zero is not.
"""

from __future__ import annotations

import pandas as pd

from govsim.metrics import Metric, Plan, by_replication, select
from govsim.metrics import metric as _metric
from govsim.output.labels import unit_labels
from govsim.scenario import Scenario
from govsim.stats import PairedDifference, mean_ci95, paired_difference

__all__ = [
    "METRICS",
    "PLAN_METRICS",
    "SIMULATION_METRICS",
    "UNITS",
    "Metric",
    "PairedDifference",
    "mean_ci95",
    "metric",
    "paired_difference",
    "plan_metrics",
    "replication_metrics",
]

#: The comparison's rows, in table order (ids of :data:`govsim.metrics.METRICS`).
COMPARE_METRIC_IDS: tuple[str, ...] = (
    "spend_total_wan", "spend_relief_wan", "spend_child_wan", "spend_lottery_wan", "cap_use_max",
    "cap_use_mean", "social_org_share", "caseworker_shortfall", "child_staff_shortfall",
    "staffing_shortfall", "weighted_coverage", "coverage",
    "served_cases", "abandoned_cases", "wait_p90_days", "overdue_cases", "cost_per_served_cny",
    "satisfaction", "rule_failures")
METRICS: tuple[Metric, ...] = select(COMPARE_METRIC_IDS)
#: Display of each unit: (Chinese, English), from the one label table.
UNITS: dict[str, tuple[str, str]] = unit_labels()
PLAN_METRICS = tuple(m.id for m in METRICS if m.kind == "plan")
SIMULATION_METRICS = tuple(m.id for m in METRICS if m.kind == "simulation")


def metric(metric_id: str) -> Metric:
    """The comparison metric called ``metric_id``."""
    if metric_id not in COMPARE_METRIC_IDS:
        raise KeyError(f"unknown metric {metric_id!r}; known: {', '.join(COMPARE_METRIC_IDS)}")
    return _metric(metric_id)


def plan_metrics(allocation: pd.DataFrame, staffing: pd.DataFrame, compliance: pd.DataFrame,
                 scenario: Scenario, n_years: int) -> dict[str, float]:
    """The plan metrics of one option from its allocation, staffing and compliance tables.

    ``scenario`` is the option's own scenario (its cap share and provider types); flows are
    divided by ``n_years``.
    """
    plan = Plan(scenario=scenario, allocation=allocation, staffing=staffing,
                compliance=compliance, n_years=n_years)
    return {m: _metric(m).compute("allocate", plan) for m in PLAN_METRICS}


def replication_metrics(kpis: pd.DataFrame, scenario: Scenario, n_years: int) -> pd.DataFrame:
    """The simulation metrics of every replication: one row per replication.

    Parameters
    ----------
    kpis : DataFrame
        Per replication, year, county and item: ``arrivals, carried_in, served, abandoned,
        wait_p90_days, satisfaction, cost, …`` (the pipeline's ``replication_kpis``).
    scenario : Scenario
        Whose priorities and hours weigh the need: the baseline's, so every option is weighed
        alike (changing a weight is not mistaken for coverage).
    n_years : int
        Plan years, to turn totals into yearly flows.
    """
    return by_replication(SIMULATION_METRICS, kpis, scenario, n_years)
