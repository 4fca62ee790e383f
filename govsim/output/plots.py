"""The plots of a run: one function per figure, from the run's tidy tables to a matplotlib Figure.

Every function takes the table(s) it draws, the :class:`~govsim.scenario.Scenario` and ``lang``
(``"zh"`` | ``"en"``; default: the scenario's) and returns a :class:`matplotlib.figure.Figure`
built without pyplot (no global figure state, nothing to close). Labels use ``name_zh`` or
``name_en`` (else the id); the CJK font comes from :func:`govsim.output.fonts.use_cjk_font`.

Units: money in 万元 (10,000 CNY), shares in per cent, waits in working days, staff in people.
Large scenarios stay readable: county axes show at most :data:`MAX_COUNTIES` counties (ranked by
what the plot is about, with a note saying so) and the timeline at most :data:`MAX_TIMELINE_ROWS`
rows. The coverage and timeline plots (and :func:`item_summary`) are in
:mod:`govsim.output.service_plots`, the shared figure helpers (language, names, ``PLOT_DPI``,
``png_bytes``) in :mod:`govsim.output.figure`; this module re-exports them, so that every plot
of a run is ``govsim.output.plots.<name>``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from govsim.output.budget_plots import plot_money_needed
from govsim.output.cells import MISSING
from govsim.output.figure import (
    MAX_COUNTIES,
    PLOT_DPI,
    YEAR_COLOURS,
    add_note,
    display_names,
    empty_figure,
    legend_outside,
    new_figure,
    ordered,
    png_bytes,
    resolve_lang,
    shorten,
    tidy_axes,
)
from govsim.output.labels import label, percent, policy_fields
from govsim.output.service_plots import (
    MAX_TIMELINE_ROWS,
    item_summary,
    plot_contract_timeline,
    plot_service_levels,
)
from govsim.policy import WAN

if TYPE_CHECKING:
    from govsim.scenario import Scenario

__all__ = [
    "MAX_COUNTIES",
    "MAX_TIMELINE_ROWS",
    "PLOT_DPI",
    "display_names",
    "item_summary",
    "plot_allocation_heatmap",
    "plot_caseworkers",
    "plot_child_welfare_staff",
    "plot_contract_timeline",
    "plot_money_needed",
    "plot_relief_cap_use",
    "plot_service_levels",
    "plot_social_org_share",
    "png_bytes",
    "resolve_lang",
]

log = logging.getLogger(__name__)


# -- names and labels ----------------------------------------------------------------------------

def _top_counties(score: pd.Series, order: Sequence[str], lang: str,
                  by: str) -> tuple[list[str], str]:
    """The counties to draw (scenario order) and a note when some were left out."""
    counties = ordered(list(score.index), order)
    if len(counties) <= MAX_COUNTIES:
        return counties, ""
    keep = set(score.sort_values(ascending=False, kind="stable").index[:MAX_COUNTIES])
    note = label("plot.top_note", lang, shown=MAX_COUNTIES, total=len(counties),
                 by=label(f"plot.{by}", lang))
    return [c for c in counties if c in keep], note


def plot_allocation_heatmap(allocation: pd.DataFrame, scenario: Scenario,
                            lang: str | None = None) -> Figure:
    """Purchase spend (万元) by item (rows) × county (columns), one panel per plan year.

    At most three years are drawn (first, middle, last); beyond :data:`MAX_COUNTIES` counties
    those with the largest total spend are drawn, with a note. Cells are annotated with their
    value when the grid is small enough to read.
    """
    lang = resolve_lang(scenario, lang)
    title = label("plot.allocation_title", lang)
    if allocation.empty:
        return empty_figure(title, lang)
    cost = allocation.groupby(["year", "item", "county"])["cost"].sum() / WAN
    years = sorted(allocation["year"].unique())
    shown_years = years if len(years) <= 3 else [years[0], years[len(years) // 2], years[-1]]
    items = ordered(list(allocation["item"].unique()), [i.id for i in scenario.items])
    county_names = display_names(scenario, "counties", lang)
    item_names = display_names(scenario, "items", lang)
    columns, note = _top_counties(cost.groupby("county").sum(), list(county_names), lang,
                                  "by_spend")
    grids = [cost.loc[year].unstack("county").reindex(index=items, columns=columns).fillna(0.0)
             for year in shown_years]
    col_labels = [shorten(county_names.get(c, c), 14) for c in columns]
    n_rows, n_cols = len(items), len(col_labels)
    width = 2.4 + len(shown_years) * max(2.2, 0.5 * n_cols) + 1.0
    height = 1.6 + max(2.0, 0.32 * n_rows)
    fig = new_figure(width, height)
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
        ax.set_yticks(range(n_rows), [shorten(item_names.get(i, i), 28) for i in items],
                      fontsize=9)
        ax.tick_params(length=0)
        if annotate:
            for (r, c), v in np.ndenumerate(grid.to_numpy(dtype=float)):
                if v > 0:
                    # centred in its cell, inside the axes: the layout need not measure it
                    ax.text(c, r, f"{v:,.0f}" if v >= 10 else f"{v:.1f}", ha="center",
                            va="center", fontsize=7, in_layout=False,
                            color="white" if v > 0.6 * vmax else "#212121")
    fig.colorbar(image, ax=list(axes), label=label("plot.wan", lang), shrink=0.8)
    fig.suptitle(title, fontsize=13)
    if len(shown_years) < len(years):
        note = "; ".join(filter(None, [note, label("plot.years_note", lang, years=", ".join(
            map(str, shown_years)))]))
    add_note(fig, note)
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
    title = label("plot.relief_title", lang, **policy_fields(scenario.policy, lang))
    rows = compliance[compliance["rule"] == "relief-cap"] if len(compliance) else compliance
    if rows.empty:
        return empty_figure(title, lang)
    rows = rows.assign(year=rows["year"].astype(int), value=rows["value"].astype(float) / WAN,
                       limit=rows["limit"].astype(float) / WAN)
    years = sorted(rows["year"].unique())
    spend = rows.set_index(["scope", "year"])["value"]
    limits = rows.set_index(["scope", "year"])["limit"]
    share = scenario.policy.relief_cap_share
    all_scopes = list(dict.fromkeys(rows["scope"]))
    if all_scopes == ["prefecture"]:
        scopes, note = all_scopes, ""
        names = {"prefecture": label("plot.prefecture", lang)}
    else:
        use = (spend / limits.where(limits > 0)).groupby(level="scope").max().fillna(0.0)
        scopes, note = _top_counties(use, [c.id for c in scenario.counties], lang, "by_cap_use")
        names = display_names(scenario, "counties", lang)

    fig = new_figure(9.5, 1.4 + max(1.6, 0.17 * len(scopes) * len(years) + 0.2 * len(scopes)))
    ax = fig.add_subplot()
    height = 0.8 / len(years)
    annotate = len(scopes) * len(years) <= 60
    for k, year in enumerate(years):
        ys = np.arange(len(scopes)) - 0.4 + height * (k + 0.5)
        xs = [float(spend.get((s, year), 0.0)) for s in scopes]
        caps = [float(limits.get((s, year), math.nan)) for s in scopes]
        ax.barh(ys, xs, height=height * 0.92, color=YEAR_COLOURS[k % len(YEAR_COLOURS)],
                label=str(year))
        for y, x, cap in zip(ys, xs, caps, strict=True):
            if cap > 0:
                ax.plot([cap] * 2, [y - height * 0.5, y + height * 0.5], color="#c62828",
                        linewidth=2.2)
                if annotate:
                    ax.text(x, y, f" {x / cap:.0%}", va="center", fontsize=7, color="#424242")
    ax.set_yticks(range(len(scopes)), [shorten(names.get(s, s), 16) for s in scopes])
    ax.invert_yaxis()
    ax.set_xlabel(label("plot.wan", lang))
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="#c62828", linewidth=2.2,
                          label=label("plot.cap", lang, cap=percent(share))))
    legend_outside(ax, handles)
    top = max(float(limits.max()), float(spend.max()))
    ax.set_xlim(0, top * 1.15 or 1.0)
    tidy_axes(ax)
    ax.set_title(title, fontsize=12)
    add_note(fig, note)
    return fig


# -- (c) caseworkers -----------------------------------------------------------------------------

def plot_caseworkers(staffing: pd.DataFrame, scenario: Scenario,
                     lang: str | None = None, rule: str = "caseworker-ratio") -> Figure:
    """Staff per county and year under a staffing rule: in post + purchased (stacked) against
    the requirement.

    Uses the ``rule`` rows of the staffing table — ``caseworker-ratio`` (the requirement is
    ⌈ratio × (dibao + tekun)⌉) or ``child-welfare-staff`` (one per township and village);
    the requirement is a black tick. Beyond :data:`MAX_COUNTIES` counties, those with the
    largest shortfall are drawn.
    """
    lang = resolve_lang(scenario, lang)
    key = "plot.caseworker_title" if rule == "caseworker-ratio" else "plot.child_staff_title"
    title = label(key, lang, **policy_fields(scenario.policy, lang))
    rows = staffing[staffing["rule"] == rule]
    if rows.empty:
        return empty_figure(title, lang)
    years = sorted(rows["year"].unique())
    table = rows.groupby(["county", "year"])[["required", "in_post", "purchased",
                                               "shortfall"]].sum()
    shortfall = table["shortfall"].groupby("county").max()
    counties, note = _top_counties(shortfall, [c.id for c in scenario.counties], lang,
                                   "by_shortfall")
    names = display_names(scenario, "counties", lang)
    fig = new_figure(9.5, 1.5 + max(1.6, 0.17 * len(counties) * len(years) + 0.2 * len(counties)))
    ax = fig.add_subplot()
    height = 0.8 / len(years)
    for k, year in enumerate(years):
        ys = np.arange(len(counties)) - 0.4 + height * (k + 0.5)
        part = table.xs(year, level="year").reindex(counties).fillna(0.0)
        ax.barh(ys, part["in_post"], height=height * 0.92, color="#9e9e9e",
                label=label("plot.in_post", lang) if k == 0 else None)
        ax.barh(ys, part["purchased"], left=part["in_post"], height=height * 0.92,
                color=YEAR_COLOURS[k % len(YEAR_COLOURS)],
                label=f"{label('plot.purchased', lang)} {year}")
        ax.scatter(part["required"], ys, marker="|", s=(height * 40) ** 2 * 0.5, color="black",
                   linewidths=2.2, zorder=3, label=label("plot.required", lang) if k == 0 else None)
    ax.set_yticks(range(len(counties)), [shorten(names.get(c, c), 16) for c in counties])
    ax.invert_yaxis()
    ax.set_xlabel(label("plot.people", lang))
    legend_outside(ax)
    tidy_axes(ax)
    ax.set_title(title, fontsize=12)
    add_note(fig, note)
    return fig


def plot_child_welfare_staff(staffing: pd.DataFrame, scenario: Scenario,
                             lang: str | None = None) -> Figure:
    """Child-welfare supervisors and directors per county and year against the requirement
    (rule ``child-welfare-staff``): :func:`plot_caseworkers` of that rule."""
    return plot_caseworkers(staffing, scenario, lang, rule="child-welfare-staff")


# -- (d) social-organisation share ----------------------------------------------------------------

def plot_social_org_share(compliance: pd.DataFrame, scenario: Scenario,
                          lang: str | None = None) -> Figure:
    """The social-organisation share per county (or the prefecture) and year against the
    minimum share — drawn from the ``social-org-share`` rows of the compliance table (new
    purchases, per purchasing level, as the rule is checked). Scopes with no new purchases
    are shown as missing, not 0.
    """
    lang = resolve_lang(scenario, lang)
    title = label("plot.social_title", lang)
    rows = (compliance[compliance["rule"] == "social-org-share"] if len(compliance)
            else compliance)
    if rows.empty:
        return empty_figure(title, lang)
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
    names = {"prefecture": label("plot.prefecture", lang), **display_names(scenario, "counties",
                                                                        lang)}
    fig = new_figure(9.5, 1.4 + max(1.6, 0.17 * len(scopes) * len(years) + 0.2 * len(scopes)))
    ax = fig.add_subplot()
    height = 0.8 / len(years)
    for k, year in enumerate(years):
        ys = np.arange(len(scopes)) - 0.4 + height * (k + 0.5)
        values = [float(table.at[s, year]) if s in table.index else math.nan for s in scopes]
        shown = [0.0 if math.isnan(v) else v * 100 for v in values]
        ax.barh(ys, shown, height=height * 0.92, color=YEAR_COLOURS[k % len(YEAR_COLOURS)],
                label=str(year))
        for y, v in zip(ys, values, strict=True):
            text = f" {MISSING}" if math.isnan(v) else f" {v:.0%}"
            ax.text(0.0 if math.isnan(v) else v * 100, y, text, va="center", fontsize=7,
                    color="#c62828" if not math.isnan(v) and v + 1e-12 < minimum
                    else "#424242")
    ax.axvline(minimum * 100, color="black", linestyle="--", linewidth=1.2,
               label=label("plot.minimum", lang, social=percent(minimum)))
    ax.set_yticks(range(len(scopes)), [shorten(names.get(s, s), 16) for s in scopes])
    ax.invert_yaxis()
    ax.set_xlim(0, 105)
    ax.set_xlabel("%")
    legend_outside(ax)
    tidy_axes(ax)
    ax.set_title(title, fontsize=12)
    add_note(fig, note)
    return fig


# -- (e) coverage and waits -----------------------------------------------------------------------
