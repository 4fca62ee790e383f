"""The money-needed chart: money needed against what the caps allow, per county and plan year.

:func:`plot_money_needed` draws ``money_needed.csv`` (:func:`govsim.budget.money_needed_table`)
— one panel per plan year (at most three: first, middle, last), counties on the vertical axis:
a bar of money needed, a black tick at what the caps allow, the gap written beside the bar, and
the 80 % band of money needed as a whisker when the table has one. The prefecture's totals are
in each panel's title. Money in 万元 (10,000 CNY); words from :mod:`govsim.output.labels`;
policy numbers in the note from the scenario's ``[policy]``.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from govsim.output.cells import wan
from govsim.output.figure import (
    MAX_COUNTIES,
    add_note,
    display_names,
    empty_figure,
    legend_outside,
    new_figure,
    resolve_lang,
    shorten,
    tidy_axes,
)
from govsim.output.labels import label, percent, policy_fields
from govsim.policy import WAN

if TYPE_CHECKING:
    from govsim.scenario import Scenario

__all__ = ["plot_money_needed"]


def _numbers(column: pd.Series) -> pd.Series:
    """A money column as floats, missing as NaN (whatever its dtype: Int64, object, float)."""
    return pd.to_numeric(column, errors="coerce").astype(float)


def plot_money_needed(money_needed: pd.DataFrame, scenario: Scenario,
                      lang: str | None = None) -> Figure:
    """Money needed, caps and gap per county, one panel per plan year (see the module
    docstring); beyond :data:`MAX_COUNTIES` counties those with the largest gap are drawn."""
    lang = resolve_lang(scenario, lang)
    title = label("budget.title", lang)
    if money_needed.empty:
        return empty_figure(title, lang)
    table = money_needed.copy()
    table["year"] = table["year"].astype(int)
    table["county"] = table["county"].fillna("").astype(str)  # a CSV read back: "" is NaN
    years = sorted(table["year"].unique())
    shown = years if len(years) <= 3 else [years[0], years[len(years) // 2], years[-1]]
    counties_rows = table[table["county"] != ""]
    order = [c.id for c in scenario.counties]
    gap = _numbers(counties_rows["gap_cny"]).groupby(counties_rows["county"]).max().fillna(0.0)
    counties = [c for c in order if c in set(counties_rows["county"])]
    note = ""
    if len(counties) > MAX_COUNTIES:
        keep = set(gap.sort_values(ascending=False, kind="stable").index[:MAX_COUNTIES])
        counties = [c for c in counties if c in keep]
        note = label("plot.top_note", lang, shown=MAX_COUNTIES, total=len(order),
                     by=label("plot.by_gap", lang))
    names = display_names(scenario, "counties", lang)
    fig = new_figure(3.2 + 3.6 * len(shown), 2.4 + 0.42 * len(counties))
    axes = fig.subplots(1, len(shown), sharey=True, squeeze=False)[0]
    ys = np.arange(len(counties))
    for ax, year in zip(axes, shown, strict=True):
        part = counties_rows[counties_rows["year"] == year].set_index("county").reindex(counties)
        need = _numbers(part["need_cny"]) / WAN
        cap = _numbers(part["cap_cny"]) / WAN
        ax.barh(ys, need.fillna(0.0), height=0.6, color="#90caf9",
                label=label("budget.need", lang))
        ax.scatter(cap, ys, marker="|", s=260, color="black", linewidths=2.4, zorder=3,
                   label=label("budget.cap", lang))
        low, high = _numbers(part["need_cny_p10"]) / WAN, _numbers(part["need_cny_p90"]) / WAN
        if low.notna().any():
            ax.errorbar(need, ys, xerr=[(need - low).clip(lower=0).fillna(0.0),
                                        (high - need).clip(lower=0).fillna(0.0)],
                        fmt="none", ecolor="#37474f", elinewidth=1.0, capsize=3,
                        label=label("budget.band", lang))
        right = float(np.nanmax([need.max(), cap.max(), high.max(), 1.0]))
        ends = pd.concat([need, high], axis=1).max(axis=1)  # beyond the bar and its whisker
        for y, (g, n) in enumerate(zip(_numbers(part["gap_cny"]), ends, strict=True)):
            if not pd.isna(g) and g > 0:
                ax.text(float(n) + right * 0.02, y, f"{label('budget.gap', lang)} {wan(g, 0)}",
                        va="center", fontsize=8, color="#c62828")
        ax.set_xlim(0, right * 1.35)
        whole = table[(table["year"] == year) & (table["county"] == "")]
        if len(whole):
            row = whole.iloc[0]
            totals = label("budget.prefecture", lang, need=wan(row["need_cny"], 0),
                           cap=wan(row["cap_cny"], 0), gap=wan(row["gap_cny"], 0))
            ax.set_title(f"{year}\n{totals}", fontsize=9)
        else:
            ax.set_title(str(year), fontsize=10)
        ax.set_xlabel(label("plot.wan", lang))
        tidy_axes(ax)
    axes[0].set_yticks(ys, [shorten(names.get(c, c), 16) for c in counties])
    axes[0].invert_yaxis()
    legend_outside(axes[-1])
    fig.suptitle(title, fontsize=12)
    fields = policy_fields(scenario.policy, lang)
    rules = label("budget.rules_note", lang, target=percent(scenario.policy.coverage_target),
                  ratio=fields["ratio"], cap=fields["cap"])
    width = int(len(shown) * (34 if lang == "zh" else 62)) + 20  # characters across the figure
    add_note(fig, "\n".join(filter(None, [textwrap.fill(rules, width), note])))
    return fig
