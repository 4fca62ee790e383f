"""A comparison on disk: CSV, workbook, chart, HTML section and manifest, written atomically.

:func:`write_comparison` writes one folder (default
``results/<scenario>/compare-<UTC YYYYmmddTHHMMSSZ>/``) holding ``comparison.csv`` (one row per
option, the columns of :attr:`~govsim.compare.core.Comparison.table`), ``replications.csv`` (the
simulation metrics of every option and replication), ``comparison.xlsx``
(:mod:`~govsim.compare.excel`), ``comparison.png`` (:func:`plot_comparison`),
``comparison.html`` (:func:`comparison_html` as a page) and ``manifest.json``, through the
output-folder service (:mod:`govsim.output.folders`): a hidden temporary folder beside the
target, renamed into place once complete; nothing govsim did not write is replaced.

CSV files are UTF-8 with a byte-order mark (Excel on Chinese Windows needs it). Money is in 万元
(10,000 CNY) per year, as in the comparison table; cost per case in CNY.
"""

from __future__ import annotations

import base64
import html
import io
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

import govsim
from govsim.compare.excel import write_workbook
from govsim.compare.metrics import METRICS, UNITS, metric
from govsim.fonts import use_cjk_font
from govsim.manifest import package_versions, scenario_record
from govsim.output.folders import OutputFolder, prepare_folder
from govsim.plots import resolve_lang

if TYPE_CHECKING:
    from govsim.compare.core import Comparison

__all__ = [
    "CHART_METRICS",
    "CSV_ENCODING",
    "FILES",
    "comparison_html",
    "default_compare_dir",
    "format_value",
    "plot_comparison",
    "png_bytes",
    "write_comparison",
]

CSV_ENCODING = "utf-8-sig"
PLOT_DPI = 120
#: The files of a compare folder besides manifest.json.
FILES = ("comparison.csv", "replications.csv", "comparison.xlsx", "comparison.png",
         "comparison.html")
#: The key metrics drawn by :func:`plot_comparison`, in panel order.
CHART_METRICS = ("spend_total_wan", "weighted_coverage", "caseworker_shortfall",
                 "wait_p90_days", "cost_per_served_cny", "satisfaction")
_COLOURS = {"baseline": "#1565c0", "significant": "#ef6c00", "not": "#9e9e9e"}
_TEXT = {
    "title": ("预算方案比较", "Budget options compared"),
    "baseline": ("基准方案", "baseline"),
    "significant": ("与基准差异显著（95%）", "differs from baseline (95 %)"),
    "not": ("与基准差异不显著", "no significant difference"),
    "metric": ("指标", "Measure"),
    "unit": ("单位", "Unit"),
    "note": ("Δ 为与基准方案的差异（方案 − 基准），方括号内为配对重复的95%置信区间；加粗为显著，"
             "灰色为不显著（n.s.）。所有方案使用相同的随机数（共同随机数）。",
             "Δ is the difference from the baseline (option − baseline), with the 95 % interval "
             "of the paired replications in brackets; bold when significant, grey when not "
             "(n.s.). Every option runs on the same random numbers."),
    "facts": ("场景 {name}，内容哈希 {hash}，随机种子 {seed}，重复 {reps} 次，年度 {years}。",
              "Scenario {name}, content hash {hash}, seed {seed}, {reps} replications, years "
              "{years}."),
}


def _t(key: str, lang: str) -> str:
    return _TEXT[key][0 if lang == "zh" else 1]


def _title(comparison: Comparison, lang: str) -> str:
    """The comparison's title in ``lang``, else in the other language, else a generic one."""
    first, second = ((comparison.title_zh, comparison.title_en) if lang == "zh"
                     else (comparison.title_en, comparison.title_zh))
    return first or second or _t("title", lang)


def default_compare_dir(scenario: govsim.Scenario, results_root: str | Path = "results",
                        now: datetime | None = None) -> Path:
    """``<results_root>/<scenario name>/compare-<UTC YYYYmmddTHHMMSSZ>/``."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return Path(results_root) / scenario.name / f"compare-{now.strftime('%Y%m%dT%H%M%SZ')}"


def format_value(value: Any, unit: str, signed: bool = False) -> str:
    """A metric value for reading: 万元 with one decimal, shares in per cent, and so on."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "+" if signed else ""
    if unit == "share":
        return f"{value * 100:{sign},.1f}%"
    digits = {"wan": 1, "people": 1, "cases": 0, "days": 1, "cny_per_case": 0, "score": 3,
              "count": 0}[unit]
    return f"{value:{sign},.{digits}f}"


# -- chart -----------------------------------------------------------------------------------------

def plot_comparison(comparison: Comparison, lang: str | None = None) -> Figure:
    """Key metrics per option: one horizontal bar per option in six panels.

    Bars are blue for the baseline, orange where the option differs significantly from it (the
    paired 95 % interval excludes zero) and grey where it does not. No per-option error bars:
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
    for ax, metric_id in zip(axes.flat, CHART_METRICS, strict=True):
        m = metric(metric_id)
        scale = 100.0 if m.unit == "share" else 1.0
        values = table[m.id].to_numpy(dtype=float) * scale
        colours = [_bar_colour(i, table.at[i, f"{m.id}_significant"]) for i in range(len(names))]
        ax.barh(positions, np.nan_to_num(values), color=colours)
        unit = "%" if m.unit == "share" else UNITS[m.unit][0 if lang == "zh" else 1]
        ax.set_title(f"{m.name(lang)}（{unit}）" if lang == "zh" else f"{m.name(lang)} ({unit})",
                     fontsize=10)
        ax.set_yticks(positions, names)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=9)
        for y, value in zip(positions, values, strict=True):
            ax.annotate(format_value(value / scale, m.unit), (np.nan_to_num(value), y),
                        xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        finite = values[np.isfinite(values)]
        top = float(finite.max()) if finite.size else 0.0
        low = min(0.0, float(finite.min()) if finite.size else 0.0)
        ax.set_xlim(low * 1.18, top * 1.18 if top > 0 else 1.0)
    handles = [Patch(color=_COLOURS[k], label=_t(k, lang))
               for k in ("baseline", "significant", "not")]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=9)
    fig.suptitle(_title(comparison, lang), fontsize=12)
    return fig


def _bar_colour(index: int, significant: Any) -> str:
    if index == 0:
        return _COLOURS["baseline"]
    if significant is pd.NA or significant is None or not bool(significant):
        return _COLOURS["not"]
    return _COLOURS["significant"]


def png_bytes(figure: Figure, dpi: int = PLOT_DPI) -> bytes:
    """The figure as PNG (no software tag, so that equal figures give equal bytes)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


# -- HTML ------------------------------------------------------------------------------------------

_STYLE = """
.govsim-compare table{border-collapse:collapse;font-size:13px;margin:8px 0}
.govsim-compare th,.govsim-compare td{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top}
.govsim-compare th{background:#ddebf7;text-align:center}
.govsim-compare td.num{text-align:right;white-space:nowrap}
.govsim-compare th.base{background:#bdd7ee}
.govsim-compare .sig{background:#fff2cc;font-weight:bold}
.govsim-compare .ns{color:#808080}
.govsim-compare .d{font-size:11px;display:block}
.govsim-compare img{max-width:100%}
.govsim-compare p.note{color:#555;font-size:12px}
"""


def comparison_html(comparison: Comparison, lang: str | None = None,
                    image: bytes | None = None) -> str:
    """A self-contained HTML ``<section>`` (inline CSS, chart as a data URI) for a report.

    Parameters
    ----------
    comparison : Comparison
    lang : {"zh", "en"}, optional
        Default: the baseline scenario's language.
    image : bytes, optional
        The chart as PNG; default :func:`plot_comparison` is drawn. Pass ``b""`` for none.
    """
    lang = resolve_lang(comparison.scenario, lang)
    esc = html.escape
    table = comparison.table.set_index("option")
    names = [o.name for o in comparison.options]
    head = "".join(
        f'<th{" class=base" if i == 0 else ""}>{esc(o.name)}<br><small>{esc(o.title(lang))}'
        f"</small></th>" for i, o in enumerate(comparison.options))
    rows = []
    for m in METRICS:
        unit = UNITS[m.unit][0 if lang == "zh" else 1]
        cells = [f"<td>{esc(m.name(lang))}</td><td>{esc(unit)}</td>"]
        for i, name in enumerate(names):
            text = esc(format_value(table.at[name, m.id], m.unit))
            if i > 0:
                text += _diff_html(table.loc[name], m.id, m.unit)
            cells.append(f'<td class="num">{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    if image is None:
        image = png_bytes(plot_comparison(comparison, lang))
    picture = (f'<img alt="{esc(_t("title", lang))}" src="data:image/png;base64,'
               f'{base64.b64encode(image).decode("ascii")}">' if image else "")
    facts = _t("facts", lang).format(
        name=comparison.scenario.name, hash=comparison.scenario.content_hash()[:12],
        seed=comparison.seed, reps=comparison.replications,
        years=", ".join(str(y) for y in comparison.years))
    title = _title(comparison, lang)
    return (f'<section class="govsim-compare" id="comparison"><style>{_STYLE}</style>'
            f"<h2>{esc(title)}</h2><p>{esc(facts)}</p>"
            f'<table><thead><tr><th>{esc(_t("metric", lang))}</th>'
            f'<th>{esc(_t("unit", lang))}</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>'
            f'<p class="note">{esc(_t("note", lang))}</p>{picture}</section>')


def _diff_html(record: pd.Series, metric_id: str, unit: str) -> str:
    diff = record[f"{metric_id}_diff"]
    low, high = record[f"{metric_id}_diff_low"], record[f"{metric_id}_diff_high"]
    significant = record[f"{metric_id}_significant"]
    known = significant is not pd.NA and significant is not None
    css = "sig" if known and bool(significant) else "ns"
    text = f"Δ {format_value(diff, unit, signed=True)}"
    if not (isinstance(low, float) and math.isnan(low)) and low != high:
        text += f" [{format_value(low, unit, True)}, {format_value(high, unit, True)}]"
    if known and not bool(significant):
        text += " n.s."
    return f'<span class="d {css}">{html.escape(text)}</span>'


def _page(section: str, lang: str, title: str) -> str:
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8"><title>{html.escape(title)}</title></head>'
            f'<body style="font-family:sans-serif;margin:24px">{section}</body></html>\n')


# -- the folder -----------------------------------------------------------------------------------

def write_comparison(comparison: Comparison, out_dir: str | Path | OutputFolder | None = None, *,
                     lang: str | None = None, command: str | None = None,
                     overwrite: bool = False, started: datetime | None = None,
                     dpi: int = PLOT_DPI) -> Path:
    """Write the compare folder atomically and return its path.

    Parameters
    ----------
    comparison : Comparison
    out_dir : str, Path or OutputFolder, optional
        Default :func:`default_compare_dir` of the baseline scenario (made unique with ``-2``,
        ``-3`` ... when taken); an :class:`~govsim.output.OutputFolder` checked before the
        comparison ran.
    lang : {"zh", "en"}, optional
        Language of the chart and the HTML (the workbook is bilingual).
    command : str, optional
        The command line, for the manifest and the Assumptions sheet.
    overwrite : bool
        Replace a comparison folder that govsim wrote there (only once the new one is
        complete; never a folder holding other files).
    started : datetime, optional
        When the comparison started (manifest); default now.

    Raises
    ------
    OutputError
        If ``out_dir`` cannot be used (see :mod:`govsim.output.folders`).
    """
    lang = resolve_lang(comparison.scenario, lang)
    if isinstance(out_dir, OutputFolder):
        target = out_dir
    elif out_dir is None:
        target = prepare_folder(default_compare_dir(comparison.scenario), "compare",
                                default=True)
    else:
        target = prepare_folder(out_dir, "compare", overwrite=overwrite)
    now = datetime.now(UTC)
    with target.staging() as stage:
        tmp = stage.path
        comparison.table.to_csv(tmp / "comparison.csv", index=False, encoding=CSV_ENCODING)
        comparison.replication_table.to_csv(tmp / "replications.csv", index=False,
                                            encoding=CSV_ENCODING)
        write_workbook(comparison, tmp / "comparison.xlsx", command=command, generated=now)
        image = png_bytes(plot_comparison(comparison, lang), dpi)
        (tmp / "comparison.png").write_bytes(image)
        section = comparison_html(comparison, lang, image=image)
        (tmp / "comparison.html").write_text(_page(section, lang, _title(comparison, lang)),
                                             encoding="utf-8")
        stage.write_manifest(_manifest(comparison, command, started or now, now, lang))
    return target.path


def _manifest(comparison: Comparison, command: str | None, started: datetime,
              finished: datetime, lang: str) -> dict[str, Any]:
    scenario = comparison.scenario
    return {
        "kind": "compare",
        "command": command,
        "scenario": scenario_record(scenario),
        "seed": comparison.seed,
        "replications": comparison.replications,
        "years": list(comparison.years),
        "solver": comparison.solver,
        "objective": comparison.objective,
        "rounds": comparison.rounds,
        "common_random_numbers": True,
        "options": [{**o.to_dict(), "baseline": i == 0, "content_hash": s.content_hash()}
                    for i, (o, s) in enumerate(zip(comparison.options, comparison.scenarios,
                                                   strict=True))],
        "metrics": [{"id": m.id, "name_zh": m.name_zh, "name_en": m.name_en, "unit": m.unit,
                     "kind": m.kind} for m in METRICS],
        "lang": lang,
        "csv_encoding": CSV_ENCODING,
        "versions": package_versions(),
        "started_utc": started.astimezone(UTC).isoformat(timespec="seconds"),
        "finished_utc": finished.astimezone(UTC).isoformat(timespec="seconds"),
    }
