"""The plots of a run: one function per figure, from the run's tidy tables to a matplotlib Figure.

Every function takes the table(s) it draws, the :class:`~govsim.scenario.Scenario` and ``lang``
(``"zh"`` | ``"en"``; default: the scenario's) and returns a :class:`matplotlib.figure.Figure`
built without pyplot (no global figure state, nothing to close). Labels use ``name_zh`` or
``name_en`` (else the id); the CJK font comes from :func:`govsim.fonts.use_cjk_font`.

Units: money in 万元 (10,000 CNY), shares in per cent, waits in working days, staff in people.
Large scenarios stay readable: county axes show at most :data:`MAX_COUNTIES` counties (ranked by
what the plot is about, with a note saying so) and the timeline at most :data:`MAX_TIMELINE_ROWS`
rows. :func:`item_summary` is the county aggregation of the KPI table used by the coverage plot
and the report.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from govsim import metrics
from govsim.fonts import use_cjk_font

if TYPE_CHECKING:
    from govsim.scenario import Scenario

__all__ = [
    "LABELS",
    "MAX_COUNTIES",
    "MAX_TIMELINE_ROWS",
    "display_names",
    "item_summary",
    "label",
    "plot_allocation_heatmap",
    "plot_caseworkers",
    "plot_contract_timeline",
    "plot_relief_cap_use",
    "plot_service_levels",
    "plot_social_org_share",
    "resolve_lang",
]

log = logging.getLogger(__name__)

#: Most counties drawn on one county axis; the rest are ranked out (and noted) or aggregated.
MAX_COUNTIES = 25
#: Most county × item rows drawn in the contract timeline.
MAX_TIMELINE_ROWS = 40
WAN = 1e4  # CNY per 万元

#: Display strings by key and language.
LABELS: dict[str, dict[str, str]] = {
    "allocation_title": {"zh": "购买服务资金分配（万元）",
                         "en": "Purchase allocation (10,000 CNY)"},
    "wan": {"zh": "万元", "en": "10,000 CNY (万元)"},
    "year": {"zh": "年度", "en": "Year"},
    "relief_title": {"zh": "社会救助资金购买服务支出与3%上限",
                     "en": "Relief-funded purchases against the relief cap"},
    "cap": {"zh": "上限（上年社会救助专项资金的{share:.0%}）",
            "en": "cap ({share:.0%} of last year's relief fund)"},
    "prefecture": {"zh": "全市合计", "en": "Prefecture"},
    "caseworker_title": {"zh": "社会救助经办人员：需配备、在编与购买（{ratio:g}‰）",
                         "en": "Social-assistance caseworkers: required, in post, purchased "
                               "({ratio:g} ‰ rule)"},
    "people": {"zh": "人", "en": "people"},
    "required": {"zh": "需配备", "en": "required"},
    "in_post": {"zh": "在编", "en": "in post"},
    "purchased": {"zh": "购买", "en": "purchased"},
    "social_title": {"zh": "向社会组织购买的比例", "en": "Share bought from social organisations"},
    "spend_by_type": {"zh": "按承接主体类型的支出（万元）",
                      "en": "Spend by provider type (10,000 CNY)"},
    "share": {"zh": "社会组织占比", "en": "social-organisation share"},
    "minimum": {"zh": "下限 {share:.0%}", "en": "minimum {share:.0%}"},
    "service_title": {"zh": "各服务事项的覆盖率与等待时间（95%置信区间）",
                      "en": "Coverage and waits per item (95 % CI)"},
    "coverage": {"zh": "覆盖率（已服务/（到达+结转））",
                 "en": "coverage (served / (arrivals + carried in))"},
    "no_service": {"zh": "— 无服务", "en": "— none served"},
    "coverage_target": {"zh": "覆盖率目标", "en": "coverage target"},
    "p90_wait": {"zh": "第90百分位等待（工作日）", "en": "90th-percentile wait (working days)"},
    "target_wait": {"zh": "目标等待", "en": "target wait"},
    "timeline_title": {"zh": "购买合同时间线", "en": "Contract timeline"},
    "no_data": {"zh": "无数据", "en": "no data"},
    "top_note": {"zh": "仅显示{by}最高的{shown}个县（共{total}个）",
                 "en": "showing the {shown} of {total} counties with the highest {by}"},
    "by_spend": {"zh": "支出", "en": "spend"},
    "by_cap_use": {"zh": "上限使用率", "en": "cap use"},
    "by_shortfall": {"zh": "缺口", "en": "shortfall"},
    "rows_note": {"zh": "仅显示{shown}行（共{total}行），事件多者优先",
                  "en": "showing {shown} of {total} rows, most eventful first"},
    "years_note": {"zh": "显示年度：{years}", "en": "years shown: {years}"}}

#: Event names of the contract log, by language.
EVENT_LABELS: dict[str, dict[str, str]] = {
    "signed": {"zh": "签订", "en": "signed"},
    "renewed": {"zh": "续签", "en": "renewed"},
    "assessed": {"zh": "评估", "en": "assessed"},
    "not_renewed": {"zh": "未续签", "en": "not renewed"},
    "failed": {"zh": "履约失败", "en": "failed"},
    "takeover": {"zh": "临时接管", "en": "takeover"},
    "exit": {"zh": "退出", "en": "exit"},
    "term_reached": {"zh": "合同期满", "en": "term reached"},
    "barred": {"zh": "禁入", "en": "barred"}}

_EVENT_MARKERS = {"failed": ("X", "#c62828"), "takeover": ("^", "#ef6c00"),
                  "exit": ("D", "#212121"), "not_renewed": ("v", "#757575"),
                  "term_reached": ("s", "#6a1b9a"), "barred": ("P", "#8e0000")}
_CLOSING_EVENTS = {"failed", "exit", "not_renewed", "term_reached"}
_YEAR_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
_TYPE_COLOURS = ("#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f")


# -- names and labels ----------------------------------------------------------------------------

def label(key: str, lang: str, **fields: object) -> str:
    """The display string ``key`` in ``lang``, formatted with ``fields``."""
    text = LABELS[key].get(lang) or LABELS[key]["en"]
    return text.format(**fields) if fields else text


def display_names(scenario: Scenario, kind: str, lang: str) -> dict[str, str]:
    """Id → display name of ``kind`` (``counties``, ``items``, ``provider_types``): ``name_zh``
    in Chinese, ``name_en`` (else the id) in English."""
    entries = getattr(scenario, kind)
    if lang == "zh":
        return {e.id: e.name_zh or e.id for e in entries}
    return {e.id: e.name_en or e.id for e in entries}


def resolve_lang(scenario: Scenario, lang: str | None) -> str:
    """``lang`` checked, or the scenario's language when None."""
    lang = lang or scenario.scenario.lang
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    return lang


def _short(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ordered(ids: Sequence[str], scenario_ids: Sequence[str]) -> list[str]:
    """``ids`` in scenario order, unknown ids last (sorted)."""
    present = set(ids)
    known = [i for i in scenario_ids if i in present]
    return known + sorted(present - set(known))


def _figure(width: float, height: float) -> Figure:
    use_cjk_font()
    return Figure(figsize=(min(width, 22.0), min(height, 30.0)), layout="constrained")


def _tidy(ax: Axes, grid_axis: str = "x") -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis=grid_axis, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=9)


def _empty(title: str, lang: str) -> Figure:
    fig = _figure(6, 2.5)
    fig.suptitle(title, fontsize=12)
    fig.text(0.5, 0.5, label("no_data", lang), ha="center", va="center", fontsize=12,
             color="#757575")
    return fig


def _top_counties(score: pd.Series, order: Sequence[str], lang: str,
                  by: str) -> tuple[list[str], str]:
    """The counties to draw (scenario order) and a note when some were left out."""
    counties = _ordered(list(score.index), order)
    if len(counties) <= MAX_COUNTIES:
        return counties, ""
    keep = set(score.sort_values(ascending=False, kind="stable").index[:MAX_COUNTIES])
    note = label("top_note", lang, shown=MAX_COUNTIES, total=len(counties), by=label(by, lang))
    return [c for c in counties if c in keep], note


def _legend_outside(ax: Axes, handles: list[Artist] | None = None) -> None:
    ax.legend(handles=handles, fontsize=8, frameon=False, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))


def _note(fig: Figure, text: str) -> None:
    if text:  # under the plot, left-aligned
        fig.supxlabel(text, fontsize=8, color="#616161", x=0.01, ha="left")


# -- (a) allocation heatmap -----------------------------------------------------------------------

def plot_allocation_heatmap(allocation: pd.DataFrame, scenario: Scenario,
                            lang: str | None = None) -> Figure:
    """Purchase spend (万元) by item (rows) × county (columns), one panel per plan year.

    At most three years are drawn (first, middle, last); beyond :data:`MAX_COUNTIES` counties
    those with the largest total spend are drawn, with a note. Cells are annotated with their
    value when the grid is small enough to read.
    """
    lang = resolve_lang(scenario, lang)
    title = label("allocation_title", lang)
    if allocation.empty:
        return _empty(title, lang)
    cost = allocation.groupby(["year", "item", "county"])["cost"].sum() / WAN
    years = sorted(allocation["year"].unique())
    shown_years = years if len(years) <= 3 else [years[0], years[len(years) // 2], years[-1]]
    items = _ordered(list(allocation["item"].unique()), [i.id for i in scenario.items])
    county_names = display_names(scenario, "counties", lang)
    item_names = display_names(scenario, "items", lang)
    columns, note = _top_counties(cost.groupby("county").sum(), list(county_names), lang,
                                  "by_spend")
    grids = [cost.loc[year].unstack("county").reindex(index=items, columns=columns).fillna(0.0)
             for year in shown_years]
    col_labels = [_short(county_names.get(c, c), 14) for c in columns]
    n_rows, n_cols = len(items), len(col_labels)
    width = 2.4 + len(shown_years) * max(2.2, 0.5 * n_cols) + 1.0
    height = 1.6 + max(2.0, 0.32 * n_rows)
    fig = _figure(width, height)
    axes = fig.subplots(1, len(shown_years), sharey=True, squeeze=False)[0]
    vmax = max(float(g.to_numpy().max()) for g in grids) or 1.0
    annotate = n_rows * n_cols <= 400 and n_cols <= 14
    image = None
    for ax, year, grid in zip(axes, shown_years, grids, strict=True):
        values = np.ma.masked_less_equal(grid.to_numpy(dtype=float), 0.0)
        image = ax.imshow(values, aspect="auto", cmap="YlGnBu", norm=Normalize(0.0, vmax),
                          interpolation="none")
        ax.set_facecolor("#f4f4f4")
        ax.set_title(str(year), fontsize=11)
        ax.set_xticks(range(n_cols), col_labels, rotation=45,
                      ha="right", rotation_mode="anchor", fontsize=9)
        ax.set_yticks(range(n_rows), [_short(item_names.get(i, i), 28) for i in items],
                      fontsize=9)
        ax.tick_params(length=0)
        if annotate:
            for (r, c), v in np.ndenumerate(grid.to_numpy(dtype=float)):
                if v > 0:
                    ax.text(c, r, f"{v:,.0f}" if v >= 10 else f"{v:.1f}", ha="center",
                            va="center", fontsize=7,
                            color="white" if v > 0.6 * vmax else "#212121")
    fig.colorbar(image, ax=list(axes), label=label("wan", lang), shrink=0.8)
    fig.suptitle(title, fontsize=13)
    if len(shown_years) < len(years):
        note = "; ".join(filter(None, [note, label("years_note", lang, years=", ".join(
            map(str, shown_years)))]))
    _note(fig, note)
    return fig


# -- (b) relief-cap use ---------------------------------------------------------------------------

def plot_relief_cap_use(compliance: pd.DataFrame, scenario: Scenario,
                        lang: str | None = None) -> Figure:
    """Social-assistance purchase spend per county and year (万元) against each year's cap.

    Drawn from the ``relief-cap`` rows of the compliance table, so the figures are those the
    compliance check judged (every contract counted; the cap's base rolls forward). With
    ``policy.cap_scope = "prefecture"`` the pooled spend is drawn against the prefecture's cap.
    Bars are annotated with the share of the cap used; each year's cap is a red tick.
    """
    lang = resolve_lang(scenario, lang)
    title = label("relief_title", lang)
    rows = compliance[compliance["rule"] == "relief-cap"] if len(compliance) else compliance
    if rows.empty:
        return _empty(title, lang)
    rows = rows.assign(year=rows["year"].astype(int), value=rows["value"].astype(float) / WAN,
                       limit=rows["limit"].astype(float) / WAN)
    years = sorted(rows["year"].unique())
    spend = rows.set_index(["scope", "year"])["value"]
    limits = rows.set_index(["scope", "year"])["limit"]
    share = scenario.policy.relief_cap_share
    all_scopes = list(dict.fromkeys(rows["scope"]))
    if all_scopes == ["prefecture"]:
        scopes, note = all_scopes, ""
        names = {"prefecture": label("prefecture", lang)}
    else:
        use = (spend / limits.where(limits > 0)).groupby(level="scope").max().fillna(0.0)
        scopes, note = _top_counties(use, [c.id for c in scenario.counties], lang, "by_cap_use")
        names = display_names(scenario, "counties", lang)

    fig = _figure(9.5, 1.4 + max(1.6, 0.17 * len(scopes) * len(years) + 0.2 * len(scopes)))
    ax = fig.add_subplot()
    height = 0.8 / len(years)
    annotate = len(scopes) * len(years) <= 60
    for k, year in enumerate(years):
        ys = np.arange(len(scopes)) - 0.4 + height * (k + 0.5)
        xs = [float(spend.get((s, year), 0.0)) for s in scopes]
        caps = [float(limits.get((s, year), math.nan)) for s in scopes]
        ax.barh(ys, xs, height=height * 0.92, color=_YEAR_COLOURS[k % len(_YEAR_COLOURS)],
                label=str(year))
        for y, x, cap in zip(ys, xs, caps, strict=True):
            if cap > 0:
                ax.plot([cap] * 2, [y - height * 0.5, y + height * 0.5], color="#c62828",
                        linewidth=2.2)
                if annotate:
                    ax.text(x, y, f" {x / cap:.0%}", va="center", fontsize=7, color="#424242")
    ax.set_yticks(range(len(scopes)), [_short(names.get(s, s), 16) for s in scopes])
    ax.invert_yaxis()
    ax.set_xlabel(label("wan", lang))
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="#c62828", linewidth=2.2,
                          label=label("cap", lang, share=share)))
    _legend_outside(ax, handles)
    top = max(float(limits.max()), float(spend.max()))
    ax.set_xlim(0, top * 1.15 or 1.0)
    _tidy(ax)
    ax.set_title(title, fontsize=12)
    _note(fig, note)
    return fig


# -- (c) caseworkers -----------------------------------------------------------------------------

def plot_caseworkers(staffing: pd.DataFrame, scenario: Scenario,
                     lang: str | None = None) -> Figure:
    """Caseworkers per county and year: in post + purchased (stacked) against the requirement.

    Uses the ``caseworker-ratio`` rows of the staffing table; the requirement (⌈2 ‰ ×
    (dibao + tekun)⌉) is a black tick. Beyond :data:`MAX_COUNTIES` counties, those with the
    largest shortfall are drawn.
    """
    lang = resolve_lang(scenario, lang)
    title = label("caseworker_title", lang, ratio=scenario.policy.caseworker_ratio * 1000)
    rows = staffing[staffing["rule"] == "caseworker-ratio"]
    if rows.empty:
        return _empty(title, lang)
    years = sorted(rows["year"].unique())
    table = rows.groupby(["county", "year"])[["required", "in_post", "purchased",
                                               "shortfall"]].sum()
    shortfall = table["shortfall"].groupby("county").max()
    counties, note = _top_counties(shortfall, [c.id for c in scenario.counties], lang,
                                   "by_shortfall")
    names = display_names(scenario, "counties", lang)
    fig = _figure(9.5, 1.5 + max(1.6, 0.17 * len(counties) * len(years) + 0.2 * len(counties)))
    ax = fig.add_subplot()
    height = 0.8 / len(years)
    for k, year in enumerate(years):
        ys = np.arange(len(counties)) - 0.4 + height * (k + 0.5)
        part = table.xs(year, level="year").reindex(counties).fillna(0.0)
        ax.barh(ys, part["in_post"], height=height * 0.92, color="#9e9e9e",
                label=label("in_post", lang) if k == 0 else None)
        ax.barh(ys, part["purchased"], left=part["in_post"], height=height * 0.92,
                color=_YEAR_COLOURS[k % len(_YEAR_COLOURS)],
                label=f"{label('purchased', lang)} {year}")
        ax.scatter(part["required"], ys, marker="|", s=(height * 40) ** 2 * 0.5, color="black",
                   linewidths=2.2, zorder=3, label=label("required", lang) if k == 0 else None)
    ax.set_yticks(range(len(counties)), [_short(names.get(c, c), 16) for c in counties])
    ax.invert_yaxis()
    ax.set_xlabel(label("people", lang))
    _legend_outside(ax)
    _tidy(ax)
    ax.set_title(title, fontsize=12)
    _note(fig, note)
    return fig


# -- (d) social-organisation share ----------------------------------------------------------------

def plot_social_org_share(compliance: pd.DataFrame, scenario: Scenario,
                          lang: str | None = None) -> Figure:
    """The social-organisation share per county (or the prefecture) and year against the
    minimum share — drawn from the ``social-org-share`` rows of the compliance table (new
    purchases, per purchasing level, as the rule is checked). Scopes with no new purchases
    are shown as missing, not 0.
    """
    lang = resolve_lang(scenario, lang)
    title = label("social_title", lang)
    rows = (compliance[compliance["rule"] == "social-org-share"] if len(compliance)
            else compliance)
    if rows.empty:
        return _empty(title, lang)
    rows = rows.assign(year=rows["year"].astype(int),
                       value=pd.to_numeric(rows["value"], errors="coerce"))
    years = sorted(rows["year"].unique())
    table = rows.pivot_table(index="scope", columns="year", values="value", aggfunc="first",
                             dropna=False)
    minimum = scenario.policy.social_org_min_share
    order = [c.id for c in scenario.counties] if "prefecture" not in table.index \
        else ["prefecture"]
    lowest = table.min(axis=1).fillna(1.0)
    scopes, note = _top_counties(-lowest, order, lang, "by_shortfall")
    names = {"prefecture": label("prefecture", lang), **display_names(scenario, "counties",
                                                                        lang)}
    fig = _figure(9.5, 1.4 + max(1.6, 0.17 * len(scopes) * len(years) + 0.2 * len(scopes)))
    ax = fig.add_subplot()
    height = 0.8 / len(years)
    for k, year in enumerate(years):
        ys = np.arange(len(scopes)) - 0.4 + height * (k + 0.5)
        values = [float(table.at[s, year]) if s in table.index else math.nan for s in scopes]
        shown = [0.0 if math.isnan(v) else v * 100 for v in values]
        ax.barh(ys, shown, height=height * 0.92, color=_YEAR_COLOURS[k % len(_YEAR_COLOURS)],
                label=str(year))
        for y, v in zip(ys, values, strict=True):
            text = " —" if math.isnan(v) else f" {v:.0%}"
            ax.text(0.0 if math.isnan(v) else v * 100, y, text, va="center", fontsize=7,
                    color="#c62828" if not math.isnan(v) and v + 1e-12 < minimum
                    else "#424242")
    ax.axvline(minimum * 100, color="black", linestyle="--", linewidth=1.2,
               label=label("minimum", lang, share=minimum))
    ax.set_yticks(range(len(scopes)), [_short(names.get(s, s), 16) for s in scopes])
    ax.invert_yaxis()
    ax.set_xlim(0, 105)
    ax.set_xlabel("%")
    _legend_outside(ax)
    _tidy(ax)
    ax.set_title(title, fontsize=12)
    _note(fig, note)
    return fig


# -- (e) coverage and waits -----------------------------------------------------------------------

def item_summary(kpis: pd.DataFrame) -> pd.DataFrame:
    """KPIs per (year, item), aggregated over counties with the definitions of
    :mod:`govsim.metrics`.

    Coverage is Σ served ÷ Σ (arrivals + carried in), at most 1; waits and satisfaction are
    served-weighted means over the counties that served someone (NaN — no wait — when none
    did); utilisation is demand-weighted. ``no_service`` flags an item with demand and nobody
    served; ``cells_no_service`` counts its counties with demand and nobody served. 95 % CI
    half-widths combine the counties' half-widths as independent errors: √Σ(wᵢ·ciᵢ)² with the
    same weights — an approximation, the replications being shared.
    """
    k = kpis.copy()
    cells = metrics.cells_from_summary(k)
    k["_need"] = metrics.demand(cells).to_numpy()
    k["_served"] = pd.to_numeric(k["served_mean"], errors="coerce").fillna(0.0)
    k["_none"] = metrics.no_service(cells).to_numpy()
    for col in ("wait_mean_days_mean", "wait_p90_days_mean", "satisfaction_mean"):
        ok = k[col].notna() & (k["_served"] > 0)
        k[f"_w_{col}"] = k["_served"].where(ok, 0.0)
        k[f"_{col}"] = k[col].where(ok, 0.0) * k[f"_w_{col}"]
    k["_w_utilisation_mean"] = k["_need"].where(k["utilisation_mean"].notna(), 0.0)
    k["_utilisation_mean"] = k["utilisation_mean"].fillna(0.0) * k["_w_utilisation_mean"]
    k["_coverage_ci95"] = k["served_ci95"].fillna(0.0) ** 2
    k["_wait_p90_days_ci95"] = (k["wait_p90_days_ci95"].fillna(0.0)
                                * k["_w_wait_p90_days_mean"]) ** 2
    g = k.groupby(["year", "item"], sort=False)
    need = g["_need"].sum()
    out = pd.DataFrame({
        "arrivals": g["arrivals_mean"].sum(),
        "demand": need,
        "served": g["_served"].sum(),
        "abandoned": g["abandoned_mean"].sum(),
        "backlog": g["backlog_mean"].sum(),
        "cost": g["cost_mean"].sum(),
        "cells_no_service": g["_none"].sum(),
    })
    out["coverage"] = (out["served"] / need.where(need > 0)).clip(upper=1.0)
    out["no_service"] = (need > 0) & (out["served"] <= 0)
    for col in ("wait_mean_days_mean", "wait_p90_days_mean", "satisfaction_mean",
                "utilisation_mean"):
        weight = g[f"_w_{col}"].sum()
        out[col.removesuffix("_mean")] = g[f"_{col}"].sum() / weight.where(weight > 0)
    out["coverage_ci95"] = np.sqrt(g["_coverage_ci95"].sum()) / need.where(need > 0)
    weight = g["_w_wait_p90_days_mean"].sum()
    out["wait_p90_days_ci95"] = np.sqrt(g["_wait_p90_days_ci95"].sum()) / weight.where(
        weight > 0)
    return out.reset_index()


def plot_service_levels(kpis: pd.DataFrame, scenario: Scenario,
                        lang: str | None = None) -> Figure:
    """Two panels per item: coverage (%) and 90th-percentile wait (working days), one point per
    plan year with its 95 % confidence interval; the coverage target and each item's target
    wait are marked."""
    lang = resolve_lang(scenario, lang)
    title = label("service_title", lang)
    if kpis.empty:
        return _empty(title, lang)
    summary = item_summary(kpis)
    items = _ordered(list(summary["item"].unique()), [i.id for i in scenario.items])
    years = sorted(summary["year"].unique())
    names = display_names(scenario, "items", lang)
    fig = _figure(11, 1.6 + max(2.0, 0.36 * len(items)))
    cov_ax, wait_ax = fig.subplots(1, 2, sharey=True)
    step = 0.6 / max(len(years), 1)
    for k, year in enumerate(years):
        part = summary[summary["year"] == year].set_index("item").reindex(items)
        ys = np.arange(len(items)) - 0.3 + step * (k + 0.5)
        colour = _YEAR_COLOURS[k % len(_YEAR_COLOURS)]
        cov_ax.errorbar(part["coverage"] * 100, ys, xerr=part["coverage_ci95"].fillna(0) * 100,
                        fmt="o", ms=4, color=colour, capsize=2, label=str(year))
        wait_ax.errorbar(part["wait_p90_days"], ys, xerr=part["wait_p90_days_ci95"].fillna(0),
                         fmt="o", ms=4, color=colour, capsize=2, label=str(year))
        # demand and nobody served: 0 % coverage, flagged, and no wait (never a 0-day point)
        none = part["no_service"].fillna(False).astype(bool).to_numpy()
        if none.any():
            cov_ax.scatter(np.zeros(int(none.sum())), ys[none], marker="x", s=40,
                           color="#c62828", zorder=3)
            for y in ys[none]:
                wait_ax.annotate(label("no_service", lang), (0, y), xytext=(3, 0),
                                 textcoords="offset points", va="center", fontsize=7,
                                 color="#c62828")
    targets = {i.id: i.target_wait_days for i in scenario.items}
    wait_ax.scatter([targets.get(i, np.nan) for i in items], range(len(items)), marker="|",
                    s=200, color="#c62828", linewidths=2, label=label("target_wait", lang))
    cov_ax.axvline(scenario.policy.coverage_target * 100, color="#c62828", linestyle="--",
                   linewidth=1, label=label("coverage_target", lang))
    cov_ax.set_yticks(range(len(items)), [_short(names.get(i, i), 28) for i in items])
    cov_ax.invert_yaxis()
    cov_ax.set_xlim(0, 105)
    cov_ax.set_xlabel(label("coverage", lang) + " %")
    wait_ax.set_xlabel(label("p90_wait", lang))
    wait_ax.set_xlim(left=0)
    for ax in (cov_ax, wait_ax):
        _tidy(ax)
    handles, _ = cov_ax.get_legend_handles_labels()
    wait_handles, wait_labels = wait_ax.get_legend_handles_labels()
    handles += [h for h, text in zip(wait_handles, wait_labels, strict=True)
                if text == label("target_wait", lang)]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8,
               frameon=False)
    fig.suptitle(title, fontsize=13)
    return fig


# -- (f) contract timeline ------------------------------------------------------------------------

def _contract_spans(contracts: pd.DataFrame, days_per_year: float,
                    end: float) -> pd.DataFrame:
    """One row per contract span: county, item, provider, provider_type, start, stop (years)."""
    spans = []
    log_ = contracts.assign(t=contracts["year"] + contracts["day"] / days_per_year)
    for (county, item, provider), rows in log_.sort_values(["t"], kind="stable").groupby(
            ["county", "item", "provider"], sort=False):
        start, ptype = None, None
        for row in rows.itertuples(index=False):
            if row.event == "signed" or (row.event == "renewed" and start is None):
                if start is not None:
                    spans.append((county, item, provider, ptype, start, row.t))
                start, ptype = row.t, row.provider_type
            elif row.event in _CLOSING_EVENTS and start is not None:
                spans.append((county, item, provider, ptype, start, row.t))
                start = None
        if start is not None:
            spans.append((county, item, provider, ptype, start, end))
    return pd.DataFrame(spans, columns=["county", "item", "provider", "provider_type",
                                        "start", "stop"])


def plot_contract_timeline(contracts: pd.DataFrame, scenario: Scenario,
                           lang: str | None = None) -> Figure:
    """Gantt chart of contracts per county × item: bars from signing to end (coloured by provider
    type), with failures, takeovers, exits, non-renewals, term ends and bars marked.

    Time is in years (``year + day / working days per year``). Beyond
    :data:`MAX_TIMELINE_ROWS` rows, those with the most non-routine events are drawn.
    """
    lang = resolve_lang(scenario, lang)
    title = label("timeline_title", lang)
    if contracts.empty:
        return _empty(title, lang)
    days_per_year = scenario.scenario.hours_per_year / 8.0
    first, last = int(contracts["year"].min()), int(contracts["year"].max())
    spans = _contract_spans(contracts, days_per_year, last + 1.0)
    events = contracts.assign(t=contracts["year"] + contracts["day"] / days_per_year)
    marked = events[events["event"].isin(_EVENT_MARKERS)]
    keys = list(dict.fromkeys(zip(contracts["county"], contracts["item"], strict=True)))
    county_rank = {c.id: k for k, c in enumerate(scenario.counties)}
    item_rank = {i.id: k for k, i in enumerate(scenario.items)}
    keys.sort(key=lambda key: (county_rank.get(key[0], 1e9), item_rank.get(key[1], 1e9)))
    note = ""
    if len(keys) > MAX_TIMELINE_ROWS:
        busy = marked.groupby(["county", "item"]).size()
        chosen = set(sorted(keys, key=lambda key: -busy.get(key, 0))[:MAX_TIMELINE_ROWS])
        note = label("rows_note", lang, shown=MAX_TIMELINE_ROWS, total=len(keys))
        keys = [k for k in keys if k in chosen]
    row_of = {key: r for r, key in enumerate(keys)}
    counties = display_names(scenario, "counties", lang)
    items = display_names(scenario, "items", lang)
    types = _ordered(list(contracts["provider_type"].unique()),
                     [p.id for p in scenario.provider_types])
    colour = {t: _TYPE_COLOURS[k % len(_TYPE_COLOURS)] for k, t in enumerate(types)}

    fig = _figure(11, 1.6 + max(1.8, 0.3 * len(keys)))
    ax = fig.add_subplot()
    for span in spans.itertuples(index=False):
        row = row_of.get((span.county, span.item))
        if row is not None:
            ax.barh(row, span.stop - span.start, left=span.start, height=0.56,
                    color=colour.get(span.provider_type, "#9e9e9e"), alpha=0.85,
                    edgecolor="white", linewidth=0.8)
    used_events = []
    for event, (marker, col) in _EVENT_MARKERS.items():
        part = marked[marked["event"] == event]
        rows = [row_of.get(k) for k in zip(part["county"], part["item"], strict=True)]
        pts = [(t, r) for t, r in zip(part["t"], rows, strict=True) if r is not None]
        if pts:
            used_events.append(event)
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], marker=marker, s=45,
                       color=col, zorder=3, edgecolors="white", linewidths=0.5)
    ax.set_yticks(range(len(keys)), [_short(f"{counties.get(c, c)} · {items.get(i, i)}", 30)
                                     for c, i in keys], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(first, last + 1)
    ax.set_xticks(range(first, last + 2))
    ax.set_xlabel(label("year", lang))
    handles = [Patch(color=colour[t], label=display_names(scenario, "provider_types", lang)
                     .get(t, t)) for t in types]
    handles += [Line2D([], [], marker=_EVENT_MARKERS[e][0], color=_EVENT_MARKERS[e][1],
                       linestyle="", label=EVENT_LABELS[e].get(lang, e)) for e in used_events]
    ax.legend(handles=handles, fontsize=8, frameon=False, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))
    _tidy(ax)
    ax.set_title(title, fontsize=12)
    _note(fig, note)
    return fig
