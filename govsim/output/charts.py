"""Charts of comparisons, cap ranges and sweeps: tables in, a matplotlib Figure out.

Like :mod:`govsim.output.plots` (the plots of a run), every function builds its figure without
pyplot, takes words from :mod:`govsim.output.labels` (policy numbers from the scenario's
policy) and leaves writing to the caller; :func:`~govsim.output.figure.png_bytes` turns a figure
into PNG bytes. Units: money in 万元 (10,000 CNY) per year, shares in per cent.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from govsim.output.cells import MISSING
from govsim.output.figure import resolve_lang
from govsim.output.fonts import use_cjk_font
from govsim.output.labels import label, policy_fields

if TYPE_CHECKING:
    from govsim.compare.core import Comparison
    from govsim.scenario import Scenario

__all__ = ["CHART_METRICS", "analysis_figure", "comparison_title", "format_value",
           "plot_cap_range", "plot_comparison"]

#: The key metrics drawn by :func:`plot_comparison`, in panel order.
CHART_METRICS = ("spend_total_wan", "weighted_coverage", "staffing_shortfall",
                 "wait_p90_days", "cost_per_served_cny", "satisfaction")
_COLOURS = {"baseline": "#1565c0", "significant": "#ef6c00", "not": "#9e9e9e",
            "plan": "#7e57c2"}


def comparison_title(comparison: Comparison, lang: str) -> str:
    """The comparison's title in ``lang``, else in the other language, else a generic one."""
    first, second = ((comparison.title_zh, comparison.title_en) if lang == "zh"
                     else (comparison.title_en, comparison.title_zh))
    return first or second or label("compare.title", lang)


def format_value(value: Any, unit: str, signed: bool = False, lang: str = "en") -> str:
    """A metric value for reading: 万元 with one decimal, shares in per cent, and so on; a
    difference (``signed``) of shares in percentage points."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    sign = "+" if signed else ""
    if unit == "share":
        if signed:
            return f"{value * 100:+,.1f} " + ("个百分点" if lang == "zh" else "pp")
        return f"{value * 100:,.1f}%"
    digits = {"wan": 1, "people": 1, "cases": 0, "days": 1, "cny_per_case": 0, "score": 3,
              "count": 0}[unit]
    return f"{value:{sign},.{digits}f}"


def plot_comparison(comparison: Comparison, lang: str | None = None) -> Figure:
    """Key metrics per option: one horizontal bar per option in six panels.

    Bars are blue for the baseline, orange where the option differs significantly from it (the
    paired 95 % interval excludes zero), grey where it does not, and purple for a plan figure
    (one plan per year: no interval, no test). No per-option error bars:
    under common random numbers two options' own intervals may overlap although their paired
    difference is significant, so the colour carries the test.
    """
    lang = resolve_lang(comparison.scenario, lang)
    use_cjk_font()
    table = comparison.table
    names = [o.name for o in comparison.options]
    height = max(4.0, 1.2 + 0.38 * len(names)) * 2
    fig = Figure(figsize=(14, height), layout="constrained")
    axes = fig.subplots(2, 3, sharey=True)
    positions = np.arange(len(names))[::-1]
    by_id = {m.id: m for m in comparison.metrics}
    for ax, metric_id in zip(axes.flat, CHART_METRICS, strict=True):
        m = by_id[metric_id]
        scale = 100.0 if m.unit == "share" else 1.0
        values = table[m.id].to_numpy(dtype=float) * scale
        colours = [_COLOURS["plan"] if i and m.kind == "plan" else
                   _bar_colour(i, table.at[i, f"{m.id}_significant"]) for i in range(len(names))]
        ax.barh(positions, np.nan_to_num(values), color=colours)
        unit = "%" if m.unit == "share" else label(f"unit.{m.unit}", lang)
        name = m.name(lang, comparison.scenario.policy)
        ax.set_title(f"{name}（{unit}）" if lang == "zh" else f"{name} ({unit})",
                     fontsize=10)
        ax.set_yticks(positions, names)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=9)
        for y, value in zip(positions, values, strict=True):
            ax.annotate(format_value(value / scale, m.unit, lang=lang), (np.nan_to_num(value), y),
                        xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        finite = values[np.isfinite(values)]
        top = float(finite.max()) if finite.size else 0.0
        low = min(0.0, float(finite.min()) if finite.size else 0.0)
        ax.set_xlim(low * 1.18, top * 1.18 if top > 0 else 1.0)
    handles = [Patch(color=_COLOURS[k], label=label(f"compare.{k}", lang))
               for k in ("baseline", "significant", "not", "plan")]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False, fontsize=9)
    fig.suptitle(comparison_title(comparison, lang), fontsize=12)
    return fig


def _bar_colour(index: int, significant: Any) -> str:
    if index == 0:
        return _COLOURS["baseline"]
    if significant is pd.NA or significant is None or not bool(significant):
        return _COLOURS["not"]
    return _COLOURS["significant"]


def plot_cap_range(table: pd.DataFrame, scenario: Scenario, lang: str | None = None) -> Figure:
    """Coverage, caseworker shortfall and what one more 万元 of cap buys against money spent.

    Each point is labelled with its relief-cap share.
    """
    lang = resolve_lang(scenario, lang)
    fields = policy_fields(scenario.policy, lang)
    use_cjk_font()
    fig = Figure(figsize=(8, 9), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    x = table["spend_total_wan"].to_numpy(dtype=float)
    need = scenario.policy.objective == "ordered_goals"
    unit = label("cap_range.need_per_wan" if need else "cap_range.cny_per_wan", lang)
    panels = (
        ("coverage_planned", 100.0, label("cap_range.coverage", lang), "#1565c0"),
        ("caseworker_shortfall", 1.0, label("cap_range.caseworkers", lang, **fields), "#c62828"),
        ("gain_per_wan", 1.0, label("cap_range.gain", lang, unit=unit), "#2e7d32"),
    )
    for ax, (column, scale, title, colour) in zip(axes, panels, strict=True):
        y = table[column].to_numpy(dtype=float) * scale
        ax.plot(x, y, marker="o", color=colour, linewidth=1.4)
        for (xi, yi), shares in _same_points(x, y, table["relief_cap_share"]).items():
            text = f"{shares[0]:.1%}" if len(shares) == 1 else f"{shares[0]:.1%}–{shares[-1]:.1%}"
            ax.annotate(text, (xi, yi), xytext=(0, 6), textcoords="offset points",
                        ha="center", fontsize=7, color="#424242")
        ax.set_title(title, fontsize=10, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(color="#dddddd", linewidth=0.6)
        ax.tick_params(labelsize=9)
    axes[-1].set_xlabel(label("cap_range.spend", lang), fontsize=9)
    title = label("cap_range.title", lang)
    fig.suptitle(title, fontsize=12)
    return fig


def _same_points(x: np.ndarray, y: np.ndarray,
                 shares: pd.Series) -> dict[tuple[float, float], list[float]]:
    """Shares by drawn point: once the cap no longer binds, several shares land on one point."""
    points: dict[tuple[float, float], list[float]] = {}
    for xi, yi, share in zip(x, y, shares, strict=True):
        if np.isfinite(xi) and np.isfinite(yi):
            points.setdefault((round(float(xi), 6), round(float(yi), 6)), []).append(share)
    return points


def analysis_figure(table: pd.DataFrame, method: str, title: str = "") -> Figure:
    """Sensitivity indices of a sweep: one panel per metric, a bar per parameter and index,
    with CI whiskers."""
    metrics = list(dict.fromkeys(table["metric"]))
    cols = min(3, max(1, len(metrics)))
    rows = math.ceil(len(metrics) / cols) if metrics else 1
    n_params = table["parameter"].nunique() if len(table) else 1
    fig = Figure(figsize=(4.2 * cols, 0.9 + rows * (0.9 + 0.42 * n_params)),
                 layout="constrained")
    bars = ([("S1", "S1_conf", "first order S1"), ("ST", "ST_conf", "total ST")]
            if method == "sobol" else
            [("mu_star", "mu_star_conf", "μ*"), ("sigma", None, "σ")])
    for k, metric in enumerate(metrics):
        ax = fig.add_subplot(rows, cols, k + 1)
        part = table[table["metric"] == metric]
        y = np.arange(len(part))
        height = 0.8 / len(bars)
        for b, (col, conf, name) in enumerate(bars):
            err = part[conf].abs().to_numpy() if conf else None
            ax.barh(y + (b - (len(bars) - 1) / 2) * height, part[col].to_numpy(), height,
                    xerr=err, capsize=2, label=name)
        ax.set_yticks(y, part["parameter"].tolist())
        ax.invert_yaxis()
        ax.set_title(metric, fontsize=10)
        ax.axvline(0, color="0.4", linewidth=0.6)
        if k == 0:
            ax.legend(fontsize=8, loc="best")
    if title:
        fig.suptitle(title, fontsize=11)
    return fig
