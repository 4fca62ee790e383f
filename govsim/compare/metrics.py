"""The metrics of a budget comparison, and paired differences on common random numbers.

Each :class:`Metric` has an id (which names its columns), Chinese and English names, a unit and
a kind: ``plan`` metrics come from the allocation (one plan per year, the same in every
replication: spend, relief-cap use, social-organisation share, caseworker shortfall, rule
failures); ``simulation`` metrics are computed per replication from the simulated KPIs (coverage,
cases, waits, cost per case, satisfaction). Flows are **per plan year** (the mean over the run's
plan years). Units: money in 万元 (10,000 CNY) except cost per case in CNY; shares 0-1; waits in
working days; staff in people.

:func:`paired_difference` gives an option's difference from the baseline with a 95 % Student-t
interval over the paired replications (replication r of the option against replication r of
the baseline). A difference is *significant* when its interval excludes zero; a plan metric has
a zero-width interval, so any non-zero difference of it is significant and an exact zero is not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from govsim.output.labels import unit_labels
from govsim.scenario import Scenario
from govsim.sim import t_critical

__all__ = [
    "METRICS",
    "UNITS",
    "Metric",
    "PairedDifference",
    "mean_ci95",
    "metric",
    "paired_difference",
    "plan_metrics",
    "replication_metrics",
]

WAN = 1e4  # CNY per 万元
#: Differences smaller than this share of the baseline's magnitude (at least 1) are solver
#: noise, not a difference (LP solutions of different models agree to ~1e-10 only).
RELATIVE_TOLERANCE = 1e-9

#: Display of each unit: (Chinese, English).
UNITS: dict[str, tuple[str, str]] = unit_labels()  # the one label table: output.labels


@dataclass(frozen=True)
class Metric:
    """A row of the comparison: id, names, unit (a key of :data:`UNITS`) and kind."""

    id: str
    name_zh: str
    name_en: str
    unit: str
    kind: Literal["plan", "simulation"]
    definition: str

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


#: The comparison metrics, in table order.
METRICS: tuple[Metric, ...] = (
    Metric("spend_total_wan", "购买服务总支出", "Total purchase spend", "wan", "plan",
           "sum of the allocation's cost over counties, items, provider types and funds"),
    Metric("spend_relief_wan", "社会救助资金支出", "Spend from the relief fund", "wan", "plan",
           "allocation cost paid by the relief fund (counts against the relief cap)"),
    Metric("spend_child_wan", "儿童福利资金支出", "Spend from the child-welfare fund", "wan",
           "plan", "allocation cost paid by the child-welfare fund"),
    Metric("spend_lottery_wan", "福彩公益金支出", "Spend from the welfare-lottery fund", "wan",
           "plan", "allocation cost paid by the welfare-lottery fund"),
    Metric("cap_use_max", "救助资金上限使用率（最高县）", "Relief-cap use, highest county",
           "share", "plan", "max over counties and years of relief spend / (cap share × the "
           "county's relief fund last year)"),
    Metric("cap_use_mean", "救助资金上限使用率（县均）", "Relief-cap use, county mean",
           "share", "plan", "mean over counties and years of the same ratio"),
    Metric("social_org_share", "社会组织承接比例", "Social-organisation share of spend",
           "share", "plan", "spend on social organisations / total spend"),
    Metric("caseworker_shortfall", "经办人员缺口（2‰规则）", "Caseworkers short of the 2 ‰ rule",
           "people", "plan", "sum over counties of ⌈2 ‰ × (dibao + tekun)⌉ − in post − "
           "purchased, where positive"),
    Metric("coverage_weighted", "优先级加权覆盖率", "Priority-weighted coverage", "share",
           "simulation", "Σ priority × served / Σ priority × arrivals (baseline priorities)"),
    Metric("served_cases", "已服务案件", "Cases served", "cases", "simulation",
           "cases served, all counties and items"),
    Metric("abandoned_cases", "放弃案件", "Cases abandoned", "cases", "simulation",
           "cases that left before service (patience ran out)"),
    Metric("wait_p90_days", "第90百分位等待", "90th-percentile wait", "days", "simulation",
           "served-weighted mean of each county × item's 90th-percentile wait"),
    Metric("cost_per_served_cny", "每服务案件购买成本", "Purchase cost per case served",
           "cny_per_case", "simulation", "simulated purchase cost / cases served (all cases, "
           "also those served by public staff)"),
    Metric("satisfaction", "满意度", "Satisfaction", "score", "simulation",
           "served-weighted mean satisfaction of served cases"),
    Metric("rule_failures", "不符合规则检查数", "Rule checks failed", "count", "plan",
           "compliance checks with status fail, over all plan years"),
)
_BY_ID = {m.id: m for m in METRICS}
PLAN_METRICS = tuple(m.id for m in METRICS if m.kind == "plan")
SIMULATION_METRICS = tuple(m.id for m in METRICS if m.kind == "simulation")


def metric(metric_id: str) -> Metric:
    """The metric called ``metric_id``."""
    try:
        return _BY_ID[metric_id]
    except KeyError:
        raise KeyError(f"unknown metric {metric_id!r}; known: {', '.join(_BY_ID)}") from None


@dataclass(frozen=True)
class PairedDifference:
    """Mean of the paired differences with its 95 % interval; ``significant`` is None when
    it cannot be told (one replication of a simulation metric)."""

    mean: float
    low: float
    high: float
    significant: bool | None


def plan_metrics(allocation: pd.DataFrame, staffing: pd.DataFrame, compliance: pd.DataFrame,
                 scenario: Scenario, n_years: int) -> dict[str, float]:
    """The plan metrics of one option from its allocation, staffing and compliance tables.

    ``scenario`` is the option's own scenario (its cap share and provider types); flows are
    divided by ``n_years``.
    """
    years = max(int(n_years), 1)
    cost = pd.to_numeric(allocation["cost"], errors="coerce").fillna(0.0)
    fund = allocation["fund"].astype(str)
    social = {p.id: p.is_social_org for p in scenario.provider_types}
    is_social = allocation["provider_type"].map(social).fillna(False).astype(bool)
    total = float(cost.sum())
    out = {
        "spend_total_wan": total / WAN / years,
        "spend_relief_wan": float(cost[fund == "relief"].sum()) / WAN / years,
        "spend_child_wan": float(cost[fund == "child"].sum()) / WAN / years,
        "spend_lottery_wan": float(cost[fund == "lottery"].sum()) / WAN / years,
        "social_org_share": float(cost[is_social].sum()) / total if total > 0 else math.nan,
    }
    out.update(_cap_use(allocation.assign(cost=cost), scenario, years))
    rule = staffing["rule"] == "caseworker-ratio"
    shortfall = pd.to_numeric(staffing.loc[rule, "shortfall"], errors="coerce").clip(lower=0)
    out["caseworker_shortfall"] = float(shortfall.sum()) / years
    out["rule_failures"] = float((compliance["status"] == "fail").sum())
    return out


def _cap_use(allocation: pd.DataFrame, scenario: Scenario, n_years: int) -> dict[str, float]:
    """Each county's relief spend against its own cap (share × relief fund last year), even
    when the cap is pooled over the prefecture: pooling shows as counties above 100 %."""
    share = scenario.policy.relief_cap_share
    limits = {c.id: share * c.relief_fund_last_year for c in scenario.counties
              if share * c.relief_fund_last_year > 0}
    relief = allocation[allocation["fund"] == "relief"]
    spend = relief.groupby(["year", "county"])["cost"].sum()
    years = sorted(set(allocation["year"])) or [None]
    uses = [float(spend.get((year, county), 0.0)) / limit
            for year in years for county, limit in limits.items()]
    # Years without any purchase are still plan years with zero use.
    uses += [0.0] * (len(limits) * max(n_years - len(years), 0))
    if not uses:
        return {"cap_use_max": math.nan, "cap_use_mean": math.nan}
    return {"cap_use_max": max(uses), "cap_use_mean": float(np.mean(uses))}


def replication_metrics(kpis: pd.DataFrame, priorities: Mapping[str, float],
                        n_years: int) -> pd.DataFrame:
    """The simulation metrics of every replication: one row per replication.

    Parameters
    ----------
    kpis : DataFrame
        Per replication, year, county and item: ``arrivals, served, abandoned, wait_p90_days,
        satisfaction, cost`` (the pipeline's ``replication_kpis``).
    priorities : mapping
        Item id → priority weight; the baseline's, so every option is weighed alike.
    n_years : int
        Plan years, to turn totals into yearly flows.
    """
    years = max(int(n_years), 1)
    frame = kpis.copy()
    frame["weight"] = frame["item"].map(priorities).fillna(0.0).astype(float)
    served = frame["served"].astype(float)
    frame["w_served"] = frame["weight"] * served
    frame["w_arrivals"] = frame["weight"] * frame["arrivals"].astype(float)
    p90 = pd.to_numeric(frame["wait_p90_days"], errors="coerce")
    sat = pd.to_numeric(frame["satisfaction"], errors="coerce")
    frame["p90_x"] = (p90 * served).where(p90.notna() & (served > 0), 0.0)
    frame["p90_n"] = served.where(p90.notna(), 0.0)
    frame["sat_x"] = (sat * served).where(sat.notna() & (served > 0), 0.0)
    frame["sat_n"] = served.where(sat.notna(), 0.0)
    sums = frame.groupby("replication", sort=True)[
        ["w_served", "w_arrivals", "served", "abandoned", "cost", "p90_x", "p90_n", "sat_x",
         "sat_n"]].sum()
    out = pd.DataFrame(index=sums.index)
    out["coverage_weighted"] = sums["w_served"] / sums["w_arrivals"].where(sums["w_arrivals"] > 0)
    out["served_cases"] = sums["served"] / years
    out["abandoned_cases"] = sums["abandoned"] / years
    out["wait_p90_days"] = sums["p90_x"] / sums["p90_n"].where(sums["p90_n"] > 0)
    out["cost_per_served_cny"] = sums["cost"] / sums["served"].where(sums["served"] > 0)
    out["satisfaction"] = sums["sat_x"] / sums["sat_n"].where(sums["sat_n"] > 0)
    return out.reset_index()


def mean_ci95(values: np.ndarray) -> tuple[float, float]:
    """Mean and 95 % half-width (Student t) of finite values; half-width NaN below two."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return math.nan, math.nan
    mean = float(finite.mean())
    if finite.size < 2:
        return mean, math.nan
    half = t_critical(finite.size - 1) * float(finite.std(ddof=1)) / math.sqrt(finite.size)
    return mean, half


def paired_difference(option: np.ndarray, baseline: np.ndarray, *,
                      deterministic: bool = False) -> PairedDifference:
    """Difference of an option from the baseline over paired replications.

    ``option[r]`` and ``baseline[r]`` share replication ``r``'s random numbers. A
    ``deterministic`` metric (a plan metric: one value, the same in every replication) has an
    interval of width zero, so any difference beyond solver noise is significant (and a
    difference within the noise is reported as exactly 0). A simulation
    metric with fewer than two finite pairs has no interval (``significant`` is None).

    >>> d = paired_difference(np.array([3.0, 4.0]), np.array([3.0, 4.0]))
    >>> (d.mean, d.low, d.high, d.significant)
    (0.0, 0.0, 0.0, False)
    """
    option = np.asarray(option, dtype=float)
    baseline = np.asarray(baseline, dtype=float)
    if option.shape != baseline.shape:
        raise ValueError(f"paired values need equal lengths, got {option.size} and "
                         f"{baseline.size}")
    diffs = option - baseline
    finite = diffs[np.isfinite(diffs)]
    if finite.size == 0:
        return PairedDifference(math.nan, math.nan, math.nan, None)
    mean = float(finite.mean())
    if deterministic:
        half = 0.0
    elif finite.size < 2:
        return PairedDifference(mean, math.nan, math.nan, None)
    else:
        spread = float(finite.std(ddof=1))
        half = t_critical(finite.size - 1) * spread / math.sqrt(finite.size) if spread else 0.0
    scale = float(np.nanmean(np.abs(baseline))) if np.isfinite(baseline).any() else 0.0
    tolerance = RELATIVE_TOLERANCE * max(1.0, scale)
    if deterministic and abs(mean) <= tolerance:
        mean = 0.0  # LP round-off between two models, not a difference (and no "-0.0")
    return PairedDifference(mean, mean - half, mean + half, abs(mean) > half + tolerance)
