"""The plots of a run's service: coverage and waits per item, and the contract timeline.

Like every plot of :mod:`govsim.output.plots` (which re-exports these), each function takes
the table it draws, the scenario and ``lang`` and returns a matplotlib Figure built without
pyplot. :func:`item_summary` is the county aggregation of the KPI table used by the coverage
plot and the report. Waits in working days, coverage in per cent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from govsim import metrics
from govsim.output.figure import (
    YEAR_COLOURS,
    add_note,
    display_names,
    empty_figure,
    new_figure,
    ordered,
    resolve_lang,
    shorten,
    tidy_axes,
)
from govsim.output.labels import event_name, label

if TYPE_CHECKING:
    from govsim.scenario import Scenario

__all__ = ["MAX_TIMELINE_ROWS", "item_summary", "plot_contract_timeline", "plot_service_levels"]

#: Most county × item rows drawn in the contract timeline.
MAX_TIMELINE_ROWS = 40
_EVENT_MARKERS = {"failed": ("X", "#c62828"), "takeover": ("^", "#ef6c00"),
                  "exit": ("D", "#212121"), "not_renewed": ("v", "#757575"),
                  "term_reached": ("s", "#6a1b9a"), "barred": ("P", "#8e0000")}
_CLOSING_EVENTS = {"failed", "exit", "not_renewed", "term_reached"}
_TYPE_COLOURS = ("#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f")


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
    title = label("plot.service_title", lang)
    if kpis.empty:
        return empty_figure(title, lang)
    summary = item_summary(kpis)
    items = ordered(list(summary["item"].unique()), [i.id for i in scenario.items])
    years = sorted(summary["year"].unique())
    names = display_names(scenario, "items", lang)
    fig = new_figure(11, 1.6 + max(2.0, 0.36 * len(items)))
    cov_ax, wait_ax = fig.subplots(1, 2, sharey=True)
    step = 0.6 / max(len(years), 1)
    for k, year in enumerate(years):
        part = summary[summary["year"] == year].set_index("item").reindex(items)
        ys = np.arange(len(items)) - 0.3 + step * (k + 0.5)
        colour = YEAR_COLOURS[k % len(YEAR_COLOURS)]
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
                wait_ax.annotate(label("plot.no_service", lang), (0, y), xytext=(3, 0),
                                 textcoords="offset points", va="center", fontsize=7,
                                 color="#c62828")
    targets = {i.id: i.target_wait_days for i in scenario.items}
    wait_ax.scatter([targets.get(i, np.nan) for i in items], range(len(items)), marker="|",
                    s=200, color="#c62828", linewidths=2, label=label("plot.target_wait", lang))
    cov_ax.axvline(scenario.policy.coverage_target * 100, color="#c62828", linestyle="--",
                   linewidth=1, label=label("plot.coverage_target", lang))
    cov_ax.set_yticks(range(len(items)), [shorten(names.get(i, i), 28) for i in items])
    cov_ax.invert_yaxis()
    cov_ax.set_xlim(0, 105)
    cov_ax.set_xlabel(label("plot.coverage", lang) + " %")
    wait_ax.set_xlabel(label("plot.p90_wait", lang))
    wait_ax.set_xlim(left=0)
    for ax in (cov_ax, wait_ax):
        tidy_axes(ax)
    handles, _ = cov_ax.get_legend_handles_labels()
    wait_handles, wait_labels = wait_ax.get_legend_handles_labels()
    handles += [h for h, text in zip(wait_handles, wait_labels, strict=True)
                if text == label("plot.target_wait", lang)]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8,
               frameon=False)
    fig.suptitle(title, fontsize=13)
    return fig


# -- (f) contract timeline ------------------------------------------------------------------------

def _contract_spans(contracts: pd.DataFrame, days_per_year: float,
                    end: float) -> pd.DataFrame:
    """One row per contract span: county, item, provider, provider_type, start, stop (years).

    A span opens at ``signed`` (closing an open one) or at ``renewed`` when none is open, and
    closes at a closing event or at ``end``. Spans come grouped by (county, item, provider) in
    the order the groups first appear in time, each group's in time order: the order they
    are drawn in (overlapping bars are blended in that order).
    """
    key_columns = ["county", "item", "provider"]
    contracts = contracts[contracts[key_columns].notna().all(axis=1)]  # as groupby drops them
    t = (contracts["year"] + contracts["day"] / days_per_year).to_numpy(dtype=float)
    by_time = np.argsort(t, kind="stable")
    keys = contracts[key_columns].iloc[by_time]
    codes = pd.MultiIndex.from_frame(keys).factorize()[0]  # in order of first appearance
    grouped = np.argsort(codes, kind="stable")  # time order kept within each group
    rows, group = by_time[grouped], codes[grouped]
    county = contracts["county"].to_numpy()[rows]
    item = contracts["item"].to_numpy()[rows]
    provider = contracts["provider"].to_numpy()[rows]
    ptypes = contracts["provider_type"].to_numpy()[rows]
    events = contracts["event"].to_numpy()[rows]
    times = t[rows]
    # one pass over the grouped log (a loop over groups in pandas costs ~100x more)
    spans: list[tuple] = []
    start, ptype, last = None, None, -1
    for k, g in enumerate(group):
        if g != last:
            if start is not None:
                spans.append((county[k - 1], item[k - 1], provider[k - 1], ptype, start, end))
            start, last = None, g
        event = events[k]
        if event == "signed" or (event == "renewed" and start is None):
            if start is not None:
                spans.append((county[k], item[k], provider[k], ptype, start, times[k]))
            start, ptype = times[k], ptypes[k]
        elif event in _CLOSING_EVENTS and start is not None:
            spans.append((county[k], item[k], provider[k], ptype, start, times[k]))
            start = None
    if start is not None:
        spans.append((county[-1], item[-1], provider[-1], ptype, start, end))
    return pd.DataFrame(spans, columns=["county", "item", "provider", "provider_type",
                                        "start", "stop"])


def plot_contract_timeline(contracts: pd.DataFrame, scenario: Scenario,
                           lang: str | None = None) -> Figure:
    """Gantt chart of contracts per county × item: bars from signing to end (coloured by provider
    type), with failures, takeovers, exits, non-renewals, term ends and bars marked.

    Time is in years (``year + day / working days per year``). Beyond
    :data:`MAX_TIMELINE_ROWS` rows, those with the most non-routine events are drawn. With
    several replications, the first one's contracts are drawn (the note says so): providers
    keep their ids across replications, and one row overlaying them all would mix one
    replication's failure with another's contract.
    """
    lang = resolve_lang(scenario, lang)
    title = label("plot.timeline_title", lang)
    if contracts.empty:
        return empty_figure(title, lang)
    days_per_year = scenario.header.hours_per_year / 8.0
    first, last = int(contracts["year"].min()), int(contracts["year"].max())
    notes = []
    if "replication" in contracts and contracts["replication"].nunique() > 1:
        replications = sorted(contracts["replication"].unique())
        contracts = contracts[contracts["replication"] == replications[0]]
        notes.append(label("plot.replication_note", lang, shown=int(replications[0]),
                           total=len(replications)))
    spans = _contract_spans(contracts, days_per_year, last + 1.0)
    events = contracts.assign(t=contracts["year"] + contracts["day"] / days_per_year)
    marked = events[events["event"].isin(_EVENT_MARKERS)]
    keys = list(dict.fromkeys(zip(contracts["county"], contracts["item"], strict=True)))
    county_rank = {c.id: k for k, c in enumerate(scenario.counties)}
    item_rank = {i.id: k for k, i in enumerate(scenario.items)}
    keys.sort(key=lambda key: (county_rank.get(key[0], 1e9), item_rank.get(key[1], 1e9)))
    if len(keys) > MAX_TIMELINE_ROWS:
        busy = marked.groupby(["county", "item"]).size()
        chosen = set(sorted(keys, key=lambda key: -busy.get(key, 0))[:MAX_TIMELINE_ROWS])
        notes.append(label("plot.rows_note", lang, shown=MAX_TIMELINE_ROWS, total=len(keys)))
        keys = [k for k in keys if k in chosen]
    row_of = {key: r for r, key in enumerate(keys)}
    counties = display_names(scenario, "counties", lang)
    items = display_names(scenario, "items", lang)
    types = ordered(list(contracts["provider_type"].unique()),
                     [p.id for p in scenario.provider_types])
    colour = {t: _TYPE_COLOURS[k % len(_TYPE_COLOURS)] for k, t in enumerate(types)}

    fig = new_figure(11, 1.6 + max(1.8, 0.3 * len(keys)))
    ax = fig.add_subplot()
    # every span one rectangle of a single collection (one artist, not one patch per span)
    rows = [row_of.get(key) for key in zip(spans["county"], spans["item"], strict=True)]
    bars = spans.loc[np.array([r is not None for r in rows], dtype=bool)]
    y0 = np.array([r for r in rows if r is not None], dtype=float) - 0.28  # bars 0.56 high
    x0 = bars["start"].to_numpy(dtype=float)
    x1, y1 = x0 + (bars["stop"].to_numpy(dtype=float) - x0), y0 + 0.56  # as barh computes
    corners = np.stack([np.column_stack([x0, x1, x1, x0]),
                        np.column_stack([y0, y0, y1, y1])], axis=-1)
    ax.add_collection(PolyCollection(  # mitred corners, as the rectangles barh would draw
        list(corners), facecolors=[colour.get(t, "#9e9e9e") for t in bars["provider_type"]],
        edgecolors="white", linewidths=0.8, alpha=0.85, joinstyle="miter"))
    used_events = []
    for event, (marker, col) in _EVENT_MARKERS.items():
        part = marked[marked["event"] == event]
        rows = [row_of.get(k) for k in zip(part["county"], part["item"], strict=True)]
        pts = [(t, r) for t, r in zip(part["t"], rows, strict=True) if r is not None]
        if pts:
            used_events.append(event)
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], marker=marker, s=45,
                       color=col, zorder=3, edgecolors="white", linewidths=0.5)
    ax.set_yticks(range(len(keys)), [shorten(f"{counties.get(c, c)} · {items.get(i, i)}", 30)
                                     for c, i in keys], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(first, last + 1)
    ax.set_xticks(range(first, last + 2))
    ax.set_xlabel(label("plot.year", lang))
    handles = [Patch(color=colour[t], label=display_names(scenario, "provider_types", lang)
                     .get(t, t)) for t in types]
    handles += [Line2D([], [], marker=_EVENT_MARKERS[e][0], color=_EVENT_MARKERS[e][1],
                       linestyle="", label=event_name(e, lang)) for e in used_events]
    ax.legend(handles=handles, fontsize=8, frameon=False, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))
    tidy_axes(ax)
    ax.set_title(title, fontsize=12)
    add_note(fig, "; ".join(notes))
    return fig
