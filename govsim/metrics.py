"""The one definition of every figure a user reads: KPIs of a simulated year and of a plan.

Every consumer — the terminal summary (``govsim run``), the report's headline, ``rounds.csv``,
``convergence.csv``, ``kpis.csv``, the comparison of options and the sweeps — takes its figures
from here, so one label never means two numbers.

**Cells.** The simulated figures are computed from *cells*: rows of (year, county, item) — or of
(replication, year, county, item) — with plain columns ``arrivals, carried_in, served,
abandoned, backlog, wait_p90_days, …`` (``govsim.sim.KPI_COLUMNS``). The run's ``kpis.csv``
holds each cell's mean over replications (``<column>_mean``); :func:`cells_from_summary` turns
it back into cells, and the pipeline computes the check rounds' figures from the same means, so
the terminal, the report and ``convergence.csv`` agree to the last digit.

Definitions (sums over whichever cells are given):

- **demand** (cases) = arrivals + backlog carried in from the year before;
- **coverage** = served ÷ demand, never above 100 % (a case is served at most once); NaN when
  there is no demand;
- **need-weighted coverage** = Σ priority × hours per case × served ÷ Σ priority × hours per
  case × demand — the allocation's own weighting of need (hours, priority);
- **p90 wait** (working days) = the served-weighted mean of the cells' 90th-percentile waits,
  over cells that served someone; a cell that served nobody has **no** wait (NaN, shown "—"),
  never 0, and is flagged (:func:`no_service`);
- **overdue cases** = cases of items with a deadline served past it plus those still waiting
  past it at year end; **overdue days** = their working days past the deadline (at service, or
  at year end);
- **relief-cap use** = Σ relief spend ÷ Σ limit over the ``relief-cap`` rows of the compliance
  check (NaN without a cap); **social-organisation share** = the lowest share of new purchases
  from social organisations over the ``social-org-share`` scopes as the check judged them (NaN
  when no scope bought anything new); **caseworker shortfall** = people short of the
  caseworker ratio (the scenario's policy; its name says the ratio), summed over counties.

The registry :data:`METRICS` names every scalar a comparison or a sweep can keep, each with
one definition, a unit (a key of :data:`UNITS`) and the functions that compute it from a run's
simulated KPIs (``simulated``) and from its plan (``planned``). Money in CNY unless the id
ends in ``_wan`` (万元); waits in working days; flows in a metric whose unit ends in ``/year``
are per plan year, the others totals over the plan years given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from govsim.policy import WAN, policy_fields
from govsim.scenario import Policy, Scenario

__all__ = [
    "HEADLINE",
    "METRICS",
    "STAGES",
    "UNITS",
    "Metric",
    "RunFigures",
    "cell_coverage",
    "cells_from_summary",
    "coverage",
    "demand",
    "metric",
    "need_weighted_coverage",
    "no_service",
    "overdue_cases",
    "p90_wait_days",
    "relief_cap_use",
    "served_weighted_mean",
    "social_org_share",
    "status_text",
    "year_figures",
]

#: The units a metric may have; their words are ``unit.*`` in :mod:`govsim.output.labels`.
UNITS: frozenset[str] = frozenset({"wan", "cny", "share", "people", "cases", "cases_total",
                                   "days", "cny_per_case", "score", "count", "fte", "flag",
                                   "model", "per_wan"})

#: The sweep stages a metric can be computed in (see :mod:`govsim.sweep`).
STAGES: tuple[str, ...] = ("simulate", "allocate", "run")


# -- cells ----------------------------------------------------------------------------------------

def cells_from_summary(kpis: pd.DataFrame) -> pd.DataFrame:
    """Cells (plain KPI columns) from a summary over replications (``<column>_mean``)."""
    keys = [c for c in ("year", "county", "item") if c in kpis.columns]
    means = {c: c.removesuffix("_mean") for c in kpis.columns if c.endswith("_mean")}
    return kpis[keys + list(means)].rename(columns=means)


def _column(cells: pd.DataFrame, name: str) -> pd.Series:
    if name in cells.columns:
        return pd.to_numeric(cells[name], errors="coerce").fillna(0.0).astype(float)
    return pd.Series(0.0, index=cells.index)


def demand(cells: pd.DataFrame) -> pd.Series:
    """Cases each cell had to serve: arrivals + backlog carried in."""
    return _column(cells, "arrivals") + _column(cells, "carried_in")


def cell_coverage(cells: pd.DataFrame) -> pd.Series:
    """Each cell's served ÷ demand (NaN without demand), at most 1."""
    need = demand(cells)
    return (_column(cells, "served") / need.where(need > 0)).clip(upper=1.0)


def no_service(cells: pd.DataFrame) -> pd.Series:
    """Cells with demand that served nobody: 0 % coverage and no wait, flagged everywhere."""
    return (demand(cells) > 0) & (_column(cells, "served") <= 0)


def _ratio(num: float, den: float) -> float:
    return min(1.0, num / den) if den > 0 else math.nan


def coverage(cells: pd.DataFrame) -> float:
    """Σ served ÷ Σ (arrivals + carried in); NaN without demand; never above 1."""
    return _ratio(float(_column(cells, "served").sum()), float(demand(cells).sum()))


def _need_weights(cells: pd.DataFrame, scenario: Scenario) -> pd.Series:
    weight = {i.id: i.priority * i.mean_hours for i in scenario.items}
    return cells["item"].map(weight).fillna(0.0).astype(float)


def need_weighted_coverage(cells: pd.DataFrame, scenario: Scenario) -> float:
    """Σ priority × hours × served ÷ Σ priority × hours × demand (NaN without need)."""
    weight = _need_weights(cells, scenario)
    return _ratio(float((weight * _column(cells, "served")).sum()),
                  float((weight * demand(cells)).sum()))


def p90_wait_days(cells: pd.DataFrame) -> float:
    """Served-weighted mean of the cells' 90th-percentile waits (working days), over cells that
    served someone (NaN when none did)."""
    return served_weighted_mean(cells, "wait_p90_days")


def served_weighted_mean(cells: pd.DataFrame, column: str) -> float:
    """Served-weighted mean of a per-cell figure over the cells that served someone and have
    it (NaN when none)."""
    if column not in cells.columns:
        return math.nan
    wait = pd.to_numeric(cells[column], errors="coerce")
    served = _column(cells, "served")
    ok = wait.notna() & (served > 0)
    total = float(served[ok].sum())
    return float((wait[ok] * served[ok]).sum()) / total if total > 0 else math.nan


def _deadline_items(scenario: Scenario) -> set[str]:
    return {i.id for i in scenario.items if i.deadline_days is not None}


def overdue_cases(cells: pd.DataFrame, scenario: Scenario) -> float:
    """Cases of items with a deadline served past it or still waiting past it at year end."""
    mine = cells[cells["item"].isin(_deadline_items(scenario))]
    return float((_column(mine, "overdue_served") + _column(mine, "overdue_waiting")).sum())


def overdue_days(cells: pd.DataFrame, scenario: Scenario) -> float:
    """Working days past the deadline of the overdue cases (at service, or at year end)."""
    mine = cells[cells["item"].isin(_deadline_items(scenario))]
    return float(_column(mine, "overdue_days").sum())


def _replications(cells: pd.DataFrame) -> int:
    return int(cells["replication"].nunique()) if "replication" in cells.columns and \
        len(cells) else 1


def _per_replication(cells: pd.DataFrame, column: str) -> float:
    return float(_column(cells, column).sum()) / _replications(cells)


# -- the plan (allocation, staffing, compliance tables) -------------------------------------------

def _rows(compliance: pd.DataFrame, rule: str, year: int | None) -> pd.DataFrame:
    rows = compliance[compliance["rule"] == rule]
    if year is not None:
        rows = rows[pd.to_numeric(rows["year"], errors="coerce") == year]
    return rows


def relief_cap_use(compliance: pd.DataFrame, year: int | None = None) -> float:
    """Σ relief spend ÷ Σ limit over the ``relief-cap`` rows (of ``year``); NaN without a cap."""
    rows = _rows(compliance, "relief-cap", year)
    value = pd.to_numeric(rows["value"], errors="coerce").sum()
    limit = pd.to_numeric(rows["limit"], errors="coerce").sum()
    return float(value / limit) if limit > 0 else math.nan


def max_relief_cap_use(compliance: pd.DataFrame, year: int | None = None) -> float:
    """The highest value ÷ limit of one ``relief-cap`` scope (of ``year``)."""
    rows = _rows(compliance, "relief-cap", year)
    value = pd.to_numeric(rows["value"], errors="coerce")
    limit = pd.to_numeric(rows["limit"], errors="coerce")
    use = (value / limit.where(limit > 0)).dropna()
    return float(use.max()) if len(use) else math.nan


def social_org_share(compliance: pd.DataFrame, year: int | None = None) -> float:
    """The lowest social-organisation share over the ``social-org-share`` scopes (of ``year``)
    as the compliance check judged it; NaN when no scope bought anything new."""
    values = pd.to_numeric(_rows(compliance, "social-org-share", year)["value"],
                           errors="coerce").dropna()
    return float(values.min()) if len(values) else math.nan


def _staffing(staffing: pd.DataFrame, rule: str | None, year: int | None,
              column: str) -> float:
    rows = staffing if rule is None else staffing[staffing["rule"] == rule]
    if year is not None:
        rows = rows[rows["year"] == year]
    return float(pd.to_numeric(rows[column], errors="coerce").clip(lower=0).sum())


def rule_failures(compliance: pd.DataFrame, year: int | None = None) -> int:
    """Compliance rows that fail (of ``year``, plus the rows that belong to no year)."""
    failed = compliance["status"] == "fail"
    if year is None:
        return int(failed.sum())
    years = pd.to_numeric(compliance["year"], errors="coerce")
    return int((failed & ((years == year) | years.isna())).sum())


# -- the headline per year ------------------------------------------------------------------------

#: The headline figures per plan year, in the order the terminal and the report show them.
HEADLINE: tuple[str, ...] = (
    "total_spend", "relief_spend", "cap_use", "max_cap_use", "social_share", "cw_required",
    "cw_in_post", "cw_purchased", "cw_shortfall", "coverage", "weighted_coverage", "p90_wait",
    "overdue", "no_service_cells", "failures")


@dataclass(frozen=True)
class RunFigures:
    """What :func:`year_figures` reads: a run's tables (kpis as the summary over replications)."""

    scenario: Scenario
    allocation: pd.DataFrame
    staffing: pd.DataFrame
    compliance: pd.DataFrame
    kpis: pd.DataFrame


def year_figures(tables: Any) -> pd.DataFrame:
    """The headline figures of a run per plan year (index: :data:`HEADLINE`; columns: years).

    ``tables`` has ``scenario, allocation, staffing, compliance`` and ``kpis`` (the summary
    over replications, as in ``kpis.csv``): a :class:`govsim.report.RunTables` or a
    :class:`RunFigures`. Money in CNY, shares 0–1, waits in working days, people, cases. A
    figure that cannot be computed is NaN (shown "—").
    """
    alloc, staffing, compliance = tables.allocation, tables.staffing, tables.compliance
    cells = cells_from_summary(tables.kpis) if len(tables.kpis) else pd.DataFrame(
        columns=["year", "county", "item"])
    years = sorted({int(y) for y in pd.concat([alloc["year"], staffing["year"],
                                               cells["year"]]).dropna()})
    out: dict[int, dict[str, float]] = {}
    for year in years:
        part = alloc[alloc["year"] == year]
        mine = cells[cells["year"] == year]
        cw = ("caseworker-ratio", year)
        out[year] = {
            "total_spend": float(pd.to_numeric(part["cost"]).sum()),
            "relief_spend": float(pd.to_numeric(
                _rows(compliance, "relief-cap", year)["value"], errors="coerce").sum()),
            "cap_use": relief_cap_use(compliance, year),
            "max_cap_use": max_relief_cap_use(compliance, year),
            "social_share": social_org_share(compliance, year),
            "cw_required": _staffing(staffing, *cw, "required"),
            "cw_in_post": _staffing(staffing, *cw, "in_post"),
            "cw_purchased": _staffing(staffing, *cw, "purchased"),
            "cw_shortfall": _staffing(staffing, *cw, "shortfall"),
            "coverage": coverage(mine),
            "weighted_coverage": need_weighted_coverage(mine, tables.scenario),
            "p90_wait": p90_wait_days(mine),
            "overdue": overdue_cases(mine, tables.scenario) if len(mine) else math.nan,
            "no_service_cells": float(no_service(mine).sum()) if len(mine) else math.nan,
            "failures": float(rule_failures(compliance, year)),
        }
    return pd.DataFrame(out, index=list(HEADLINE), dtype=float)


def status_text(row: pd.Series | Mapping[str, Any]) -> str:
    """A year's status (a ``convergence.csv`` row) as a user reads it: ``converged``,
    ``unattainable under relief-cap, 12.3 万元 short`` or ``not converged``."""
    if "status" in row and isinstance(row["status"], str):
        status = row["status"]
    else:  # a table from before statuses: the loop's own verdict
        status = "converged" if bool(row["converged"]) else "not converged"
    if status == "unattainable":
        money = float(row["money_short_cny"])
        cap = row["limiting_cap"] if isinstance(row["limiting_cap"], str) and \
            row["limiting_cap"] else "provider capacity"
        return f"unattainable under {cap}, {money / WAN:,.1f} 万元 short"
    return status


# -- the registry of scalars (compare, sweep) -----------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """What the metric functions read: a run's (or one option's) tables.

    ``kpis``: simulated cells (``replication, year, county, item, arrivals, served, …``);
    ``allocation``, ``staffing``, ``unmet``, ``compliance``, ``constraints``: plan tables over
    the plan years; ``objective``: the last goal's optimum; ``relaxed``: an elastic rule had to
    give; ``n_years``: plan years (to turn totals into yearly flows).
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
    n_years: int = 1


MetricFn = Callable[[Plan], float]


@dataclass(frozen=True)
class Metric:
    """A named scalar: id, names, unit (a key of :data:`UNITS`), definition, and how it is
    computed from the simulated KPIs (``simulated``) and from the plan (``planned``)."""

    id: str
    name_zh: str
    name_en: str
    unit: str
    definition: str
    simulated: MetricFn | None = field(default=None, repr=False)
    planned: MetricFn | None = field(default=None, repr=False)
    allocate_only: bool = False

    def name(self, lang: str, policy: Policy | None = None) -> str:
        """The name in ``lang`` with the policy numbers it names (``{ratio}``, ``{cap}`` …)
        taken from ``policy`` — the scenario's, so a what-if names its own rule; without one,
        the rules data's defaults."""
        text = self.name_zh if lang == "zh" else self.name_en
        return text.format(**policy_fields(policy or Policy(), lang)) if "{" in text else text

    @property
    def kind(self) -> str:
        """``simulation`` when a simulation gives it, else ``plan``."""
        return "simulation" if self.simulated is not None else "plan"

    @property
    def stages(self) -> tuple[str, ...]:
        """The sweep stages that can compute it."""
        out = []
        if self.simulated is not None:
            out.append("simulate")
        if self.planned is not None:
            out.append("allocate")
        if not self.allocate_only and (self.simulated or self.planned):
            out.append("run")
        return tuple(s for s in STAGES if s in out)

    def compute(self, stage: str, plan: Plan) -> float:
        """The metric in ``stage``: a simulation's where there is one (``simulate``, ``run``),
        the plan's in ``allocate``."""
        fn = self.planned if stage == "allocate" or self.simulated is None else self.simulated
        if fn is None or stage not in self.stages:
            raise ValueError(f"metric {self.id!r} is not computed in stage {stage!r}")
        return float(fn(plan))


def _kpis(plan: Plan) -> pd.DataFrame:
    if plan.kpis is None:
        raise ValueError("this run produced no simulated KPIs")
    return plan.kpis


def _table(plan: Plan, name: str) -> pd.DataFrame:
    table = getattr(plan, name)
    if table is None:
        raise ValueError(f"this run produced no {name} table")
    return table


def _years(plan: Plan) -> int:
    return max(int(plan.n_years), 1)


def _total(column: str, per_year: bool = False) -> MetricFn:
    def total(plan: Plan) -> float:
        value = _per_replication(_kpis(plan), column)
        return value / _years(plan) if per_year else value
    return total


def _served_weighted(column: str) -> MetricFn:
    return lambda plan: served_weighted_mean(_kpis(plan), column)


def _end_backlog(plan: Plan) -> float:
    kpis = _kpis(plan)
    return _per_replication(kpis[kpis["year"] == kpis["year"].max()], "backlog")


def _abandonment(plan: Plan) -> float:
    kpis = _kpis(plan)
    return _ratio(float(_column(kpis, "abandoned").sum()), float(demand(kpis).sum()))


def _utilisation(plan: Plan) -> float:
    kpis = _kpis(plan)
    fte = _column(kpis, "fte_public") + _column(kpis, "fte_purchased")
    use = pd.to_numeric(kpis["utilisation"], errors="coerce")
    w = fte.where(use.notna(), 0.0)
    return float((use.fillna(0.0) * w).sum() / w.sum()) if w.sum() > 0 else math.nan


def _cost_per_served(plan: Plan) -> float:
    kpis = _kpis(plan)
    served = float(_column(kpis, "served").sum())
    return float(_column(kpis, "cost").sum()) / served if served > 0 else math.nan


def _spend(fund: str | None, wan: bool = False) -> MetricFn:
    def spend(plan: Plan) -> float:
        alloc = _table(plan, "allocation")
        cost = pd.to_numeric(alloc["cost"], errors="coerce").fillna(0.0)
        if fund is not None:
            cost = cost[alloc["fund"].astype(str) == fund]
        total = float(cost.sum())
        return total / WAN / _years(plan) if wan else total
    return spend


def _cap_uses(plan: Plan) -> list[float]:
    """Spend ÷ limit of every ``relief-cap`` scope and plan year, as the compliance check
    judged it (running contracts and every fund the cap counts included, the rolling relief
    base): the counties, or the prefecture when the cap is pooled."""
    rows = _rows(_table(plan, "compliance"), "relief-cap", None)
    value = pd.to_numeric(rows["value"], errors="coerce")
    limit = pd.to_numeric(rows["limit"], errors="coerce")
    return [float(u) for u in (value / limit.where(limit > 0)).dropna()]


def _cap_use_max(plan: Plan) -> float:
    uses = _cap_uses(plan)
    return max(uses) if uses else math.nan


def _cap_use_mean(plan: Plan) -> float:
    uses = _cap_uses(plan)
    return float(np.mean(uses)) if uses else math.nan


def _shortfall(rule: str | None) -> MetricFn:
    return lambda plan: _staffing(_table(plan, "staffing"), rule, None,
                                  "shortfall") / _years(plan)


def _planned_coverage(plan: Plan) -> float:
    unmet = _table(plan, "unmet")
    need = float(unmet["cases_demand"].sum())
    return _ratio(need - float(unmet["cases_unmet"].sum()), need)


def _planned_weighted_coverage(plan: Plan) -> float:
    unmet = _table(plan, "unmet")
    priority = unmet["item"].map({i.id: i.priority for i in plan.scenario.items}).fillna(0.0)
    need = float((priority * unmet["hours_need"]).sum())
    return _ratio(float((priority * unmet["hours_served"]).sum()), need)


def _cap_shadow_price(plan: Plan) -> float:
    rows = _table(plan, "constraints")
    caps = rows.loc[rows["rule"] == "relief-cap", "shadow_price_per_10k_cny"]
    caps = pd.to_numeric(caps, errors="coerce").dropna()
    return float(caps.abs().mean()) if len(caps) else math.nan


def _hours_per_wan(plan: Plan) -> float:
    rows = _table(plan, "constraints")
    if "hours_per_10k_cny" not in rows.columns:
        return math.nan
    caps = pd.to_numeric(rows.loc[rows["rule"] == "relief-cap", "hours_per_10k_cny"],
                         errors="coerce").dropna()
    return float(caps.mean()) if len(caps) else math.nan


def _sim(plan_fn: Callable[[pd.DataFrame, Scenario], float]) -> MetricFn:
    return lambda plan: plan_fn(_kpis(plan), plan.scenario)


def _per_year(fn: Callable[[pd.DataFrame, Scenario], float]) -> MetricFn:
    """A total per replication and plan year."""
    return lambda plan: fn(_kpis(plan), plan.scenario) / _replications(_kpis(plan)) / \
        _years(plan)


_M = Metric
_ALL: tuple[Metric, ...] = (
    # simulated cases and waits
    _M("arrivals", "到达案件", "Cases arriving", "cases_total",
       "cases arriving over the plan years (mean over replications)",
       simulated=_total("arrivals")),
    _M("served", "已服务案件（合计）", "Cases served (total)", "cases_total",
       "cases served over the plan years", simulated=_total("served")),
    _M("served_cases", "已服务案件", "Cases served", "cases",
       "cases served per plan year", simulated=_total("served", per_year=True)),
    _M("abandoned", "放弃案件（合计）", "Cases abandoned (total)", "cases_total",
       "cases that gave up waiting over the plan years", simulated=_total("abandoned")),
    _M("abandoned_cases", "放弃案件", "Cases abandoned", "cases",
       "cases that gave up waiting, per plan year", simulated=_total("abandoned", True)),
    _M("backlog", "年末积压", "Backlog at the end", "cases_total",
       "cases still waiting at the end of the last plan year", simulated=_end_backlog),
    _M("abandonment_rate", "放弃率", "Abandonment rate", "share",
       "abandoned ÷ demand (arrivals + carried in)", simulated=_abandonment),
    _M("coverage", "覆盖率", "Coverage", "share",
       "simulated: served ÷ (arrivals + backlog carried in), never above 100 %; planned "
       "(allocate): cases the plan serves ÷ cases of need",
       simulated=lambda p: coverage(_kpis(p)), planned=_planned_coverage),
    _M("weighted_coverage", "需求加权覆盖率", "Need-weighted coverage", "share",
       "Σ priority × hours × served ÷ Σ priority × hours × demand (simulated), or the plan's "
       "hours served ÷ hours of need weighted by priority (allocate)",
       simulated=_sim(need_weighted_coverage), planned=_planned_weighted_coverage),
    _M("wait_mean_days", "平均等待", "Mean wait", "days",
       "served-weighted mean of the cells' mean waits", simulated=_served_weighted(
           "wait_mean_days")),
    _M("wait_p90_days", "第90百分位等待", "90th-percentile wait", "days",
       "served-weighted mean of the cells' 90th-percentile waits over cells that served "
       "someone", simulated=_served_weighted("wait_p90_days")),
    _M("overdue_cases", "逾期法定案件", "Overdue statutory cases", "cases",
       "cases of items with a deadline served past it or still waiting past it at year end, "
       "per plan year", simulated=_per_year(overdue_cases)),
    _M("overdue_days", "逾期天数", "Days overdue", "days",
       "working days past the deadline of the overdue cases, per plan year",
       simulated=_per_year(overdue_days)),
    _M("utilisation", "人员利用率", "Utilisation", "share",
       "worker utilisation, FTE-weighted over cells", simulated=_utilisation),
    _M("satisfaction", "满意度", "Satisfaction", "score",
       "served-weighted mean satisfaction of served cases",
       simulated=_served_weighted("satisfaction")),
    _M("cost", "模拟购买成本", "Simulated purchase cost", "cny",
       "purchase cost paid in the simulation over the plan years", simulated=_total("cost")),
    _M("cost_per_served_cny", "每服务案件购买成本", "Purchase cost per case served",
       "cny_per_case", "simulated purchase cost ÷ cases served (all cases, also those served "
       "by public staff)", simulated=_cost_per_served),
    # the plan
    _M("spend_cny", "计划购买支出", "Planned purchase spend", "cny",
       "allocation cost over the plan years, contracts in force included", planned=_spend(None)),
    _M("relief_spend_cny", "计划救助资金支出", "Planned relief-fund spend", "cny",
       "allocation cost paid by the relief fund (the capped one)", planned=_spend("relief")),
    _M("spend_total_wan", "购买服务总支出", "Total purchase spend", "wan",
       "allocation cost per plan year", planned=_spend(None, wan=True)),
    _M("spend_relief_wan", "社会救助资金支出", "Spend from the relief fund", "wan",
       "allocation cost paid by the relief fund per plan year", planned=_spend("relief", True)),
    _M("spend_child_wan", "儿童福利资金支出", "Spend from the child-welfare fund", "wan",
       "allocation cost paid by the child-welfare fund per plan year",
       planned=_spend("child", True)),
    _M("spend_lottery_wan", "福彩公益金支出", "Spend from the welfare-lottery fund", "wan",
       "allocation cost paid by the welfare-lottery fund per plan year",
       planned=_spend("lottery", True)),
    _M("purchased_fte", "购买人员", "Purchased FTE", "fte",
       "purchased FTE over the plan years", planned=lambda p: float(
           pd.to_numeric(_table(p, "allocation")["fte"]).sum())),
    _M("cap_use", "救助资金上限使用率", "Relief-cap use", "share",
       "Σ relief spend ÷ Σ relief-cap limit over the compliance check's rows",
       planned=lambda p: relief_cap_use(_table(p, "compliance"))),
    _M("cap_use_max", "救助资金上限使用率（最高的核算范围）", "Relief-cap use, highest scope",
       "share",
       "max over the relief-cap scopes (counties; the prefecture when the cap is pooled) "
       "and years of spend ÷ limit, as the compliance table judged it", planned=_cap_use_max),
    _M("cap_use_mean", "救助资金上限使用率（县均）", "Relief-cap use, county mean", "share",
       "mean over counties and years of the same ratio", planned=_cap_use_mean),
    _M("social_org_share", "社会组织承接比例（最低县）",
       "Social-organisation share of new purchases (lowest scope)", "share",
       "the lowest share of new purchase spending from social organisations over the "
       "social-org-share scopes and years, as the compliance check judged it",
       planned=lambda p: social_org_share(_table(p, "compliance"))),
    _M("caseworker_shortfall", "经办人员缺口（{ratio}规则）",
       "Caseworkers short of the {ratio} rule",
       "people", "people short of caseworker-ratio, summed over counties, per plan year",
       planned=_shortfall("caseworker-ratio")),
    _M("child_staff_shortfall", "儿童福利人员缺口", "Child-welfare staff short",
       "people", "people short of child-welfare-staff, summed over counties, per plan "
       "year", planned=_shortfall("child-welfare-staff")),
    _M("staffing_shortfall", "人员缺口合计", "Staff short (both rules)", "people",
       "both staffing rules' shortfalls, per plan year", planned=_shortfall(None)),
    _M("rule_failures", "不符合规则检查数", "Rule checks failed", "count",
       "compliance checks with status fail, over all plan years",
       planned=lambda p: float(rule_failures(_table(p, "compliance")))),
    _M("unmet_cases", "计划未满足案件", "Cases the plan leaves unmet", "cases_total",
       "cases of need the plan leaves unmet", planned=lambda p: float(
           _table(p, "unmet")["cases_unmet"].sum()), allocate_only=True),
    _M("objective", "目标值", "Objective", "model",
       "the last goal's optimum (docs/allocation.md)", planned=lambda p: float(p.objective),
       allocate_only=True),
    _M("relaxed", "规则放宽", "Relaxed", "flag", "1 when an elastic rule had to give",
       planned=lambda p: 1.0 if p.relaxed else 0.0, allocate_only=True),
    _M("cap_shadow_price", "上限影子价格", "Relief-cap shadow price", "per_wan",
       "mean |shadow price| of the relief-cap rows: the need stage's dual, need met "
       "(priority × quality × hours) per 10,000 CNY with the earlier goals held — what more cap "
       "buys only where no earlier goal still takes the money (docs/compare.md)",
       planned=_cap_shadow_price, allocate_only=True),
    _M("cap_hours_per_wan", "上限每万元可满足需求小时", "Hours of need per 10,000 CNY more cap",
       "per_wan", "mean over the relief-cap rows of the hours of need that 10,000 CNY more cap "
       "would serve (docs/allocation.md, shadow prices in money)", planned=_hours_per_wan,
       allocate_only=True),
)

#: Every metric by id.
METRICS: dict[str, Metric] = {m.id: m for m in _ALL}


def metric(metric_id: str) -> Metric:
    """The metric called ``metric_id``."""
    try:
        return METRICS[metric_id]
    except KeyError:
        raise KeyError(f"unknown metric {metric_id!r}; known: {', '.join(METRICS)}") from None


def select(ids: tuple[str, ...] | list[str]) -> tuple[Metric, ...]:
    """The metrics called ``ids``, in that order."""
    return tuple(metric(i) for i in ids)


def by_replication(ids: tuple[str, ...] | list[str], kpis: pd.DataFrame, scenario: Scenario,
                   n_years: int) -> pd.DataFrame:
    """The simulated metrics ``ids`` of every replication: one row per replication."""
    rows = []
    for rep, part in kpis.groupby("replication", sort=True):
        plan = Plan(scenario=scenario, kpis=part, n_years=n_years)
        rows.append({"replication": rep, **{i: metric(i).compute("run", plan) for i in ids}})
    return pd.DataFrame(rows, columns=["replication", *ids])


def units(mapping: Mapping[str, Metric] | None = None) -> dict[str, str]:
    """Metric id → unit key (of :data:`UNITS`)."""
    return {m.id: m.unit for m in (mapping or METRICS).values()}
