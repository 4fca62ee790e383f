"""A comparison on disk: CSV, workbook, chart, HTML section and manifest, written atomically.

:func:`write_comparison` writes one folder (default
``results/<scenario>/compare-<UTC YYYYmmddTHHMMSSZ>/``) holding ``comparison.csv`` (one row per
option, the columns of :attr:`~govsim.compare.core.Comparison.table`), ``replications.csv`` (the
simulation metrics of every option and replication), ``comparison.xlsx``
(:mod:`~govsim.output.excel`), ``comparison.png``
(:func:`~govsim.output.charts.plot_comparison`), ``comparison.html`` (:func:`comparison_html`
as a page, from ``templates/comparison.html.j2``) and ``manifest.json``, through the
output-folder service (:mod:`govsim.output.folders`): a hidden temporary folder beside the
target, renamed into place once complete; nothing govsim did not write is replaced.

CSV files are UTF-8 with a byte-order mark (Excel on Chinese Windows needs it). Money is in 万元
(10,000 CNY) per year, as in the comparison table; cost per case in CNY.
"""

from __future__ import annotations

import base64
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from govsim.output.charts import (
    comparison_title,
    format_value,
    plot_cap_range,
    plot_comparison,
)
from govsim.output.excel import not_applicable, write_cap_range_workbook, write_workbook
from govsim.output.figure import PLOT_DPI, png_bytes, resolve_lang
from govsim.output.files import CSV_ENCODING, write_csv
from govsim.output.folders import OutputFolder, prepare_folder
from govsim.output.html import environment
from govsim.output.labels import label
from govsim.output.manifest import build_manifest

if TYPE_CHECKING:
    from govsim.compare.core import Comparison
    from govsim.compare.metrics import Metric
    from govsim.scenario import Scenario

__all__ = [
    "CAP_RANGE_FILES",
    "FILES",
    "comparison_html",
    "default_cap_range_dir",
    "default_compare_dir",
    "write_cap_range",
    "write_comparison",
]

#: The files of a compare folder besides manifest.json.
FILES = ("comparison.csv", "replications.csv", "comparison.xlsx", "comparison.png",
         "comparison.html")
#: The files of a cap-range folder besides manifest.json.
CAP_RANGE_FILES = ("cap_range.csv", "cap_range.xlsx", "cap_range.png")


def default_compare_dir(scenario: Scenario, results_root: str | Path = "results",
                        now: datetime | None = None) -> Path:
    """``<results_root>/<scenario name>/compare-<UTC YYYYmmddTHHMMSSZ>/``."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return Path(results_root) / scenario.name / f"compare-{now.strftime('%Y%m%dT%H%M%SZ')}"


def default_cap_range_dir(scenario: Scenario, results_root: str | Path = "results",
                          now: datetime | None = None) -> Path:
    """``<results_root>/<scenario name>/cap-range-<UTC YYYYmmddTHHMMSSZ>/``."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return Path(results_root) / scenario.name / f"cap-range-{now.strftime('%Y%m%dT%H%M%SZ')}"


# -- HTML ------------------------------------------------------------------------------------------

def comparison_html(comparison: Comparison, lang: str | None = None,
                    image: bytes | None = None, *, page: bool = False) -> str:
    """A self-contained HTML ``<section>`` (inline CSS, chart as a data URI) for a report.

    Parameters
    ----------
    comparison : Comparison
    lang : {"zh", "en"}, optional
        Default: the baseline scenario's language.
    image : bytes, optional
        The chart as PNG; default :func:`~govsim.output.charts.plot_comparison` is drawn.
        Pass ``b""`` for none.
    page : bool
        A whole HTML page around the section (``comparison.html``).
    """
    lang = resolve_lang(comparison.scenario, lang)
    table = comparison.table.set_index("option")
    names = [o.name for o in comparison.options]
    rows = []
    notes: list[str] = []
    for m in comparison.metrics:
        cells = []
        base_na = not_applicable(m.id, comparison.scenarios[0], lang)
        for i, (name, scenario) in enumerate(zip(names, comparison.scenarios, strict=True)):
            why = not_applicable(m.id, scenario, lang)
            if why:
                cells.append((label("compare.not_applicable", lang) + "*", "", "ns"))
                if why not in notes:
                    notes.append(why)
                continue
            diff, css = _diff_text(table.loc[name], m, lang) if i > 0 and not base_na \
                else ("", "")
            cells.append((format_value(table.at[name, m.id], m.unit, lang=lang), diff, css))
        rows.append((m.name(lang, comparison.scenario.policy), label(f"unit.{m.unit}", lang),
                     cells))
    if image is None:
        image = png_bytes(plot_comparison(comparison, lang))
    facts = label("compare.facts", lang, name=comparison.scenario.name,
                  hash=comparison.scenario.content_hash()[:12], seed=comparison.seed,
                  reps=comparison.replications,
                  years=", ".join(str(y) for y in comparison.years))
    return environment().get_template("comparison.html.j2").render(
        lang=lang, page=page, title=comparison_title(comparison, lang), facts=facts,
        t=lambda key: label(f"compare.{key}", lang),
        options=[(o.name, o.title(lang)) for o in comparison.options], rows=rows,
        notes=["* " + n for n in notes],
        image=("data:image/png;base64," + base64.b64encode(image).decode("ascii"))
        if image else "").strip()


def _diff_text(record: pd.Series, m: Metric, lang: str) -> tuple[str, str]:
    """``Δ +1.2 [0.3, 2.1]`` (with ``n.s.`` when not significant) and its CSS class; a plan
    metric (one plan per year, no interval) is not marked either way."""
    diff = record[f"{m.id}_diff"]
    low, high = record[f"{m.id}_diff_low"], record[f"{m.id}_diff_high"]
    significant = record[f"{m.id}_significant"]
    known = significant is not pd.NA and significant is not None and m.kind != "plan"
    css = ("sig" if bool(significant) else "ns") if known else "plan"
    text = f"Δ {format_value(diff, m.unit, signed=True, lang=lang)}"
    if not (isinstance(low, float) and math.isnan(low)) and low != high:
        text += (f" [{format_value(low, m.unit, True, lang)}, "
                 f"{format_value(high, m.unit, True, lang)}]")
    if known and not bool(significant):
        text += " n.s."
    return text, css


# -- the folders -----------------------------------------------------------------------------------

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
        Language of the chart, the HTML and the workbook.
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
        write_csv(comparison.table, tmp / "comparison.csv")
        write_csv(comparison.replication_table, tmp / "replications.csv")
        write_workbook(comparison, tmp / "comparison.xlsx", lang=lang, command=command,
                       generated=now)
        image = png_bytes(plot_comparison(comparison, lang), dpi)
        (tmp / "comparison.png").write_bytes(image)
        (tmp / "comparison.html").write_text(
            comparison_html(comparison, lang, image=image, page=True) + "\n", encoding="utf-8")
        stage.write_manifest(_manifest(comparison, command, started or now, now, lang))
    return target.path


def write_cap_range(table: pd.DataFrame, scenario: Scenario,
                    out_dir: str | Path | OutputFolder | None = None, *,
                    lang: str | None = None, command: str | None = None,
                    overwrite: bool = False, year: int | None = None) -> Path:
    """Write ``cap_range.csv``, ``cap_range.xlsx`` (in ``lang``, default the scenario's; for plan
    ``year``, default the base year), ``cap_range.png`` and ``manifest.json``
    into a folder (default ``results/<scenario>/cap-range-<UTC time>/``), atomically, through
    :mod:`govsim.output.folders`."""
    now = datetime.now(UTC)
    if isinstance(out_dir, OutputFolder):
        target = out_dir
    elif out_dir is None:
        target = prepare_folder(default_cap_range_dir(scenario, now=now), "cap-range",
                                default=True)
    else:
        target = prepare_folder(out_dir, "cap-range", overwrite=overwrite)
    with target.staging() as stage:
        tmp = stage.path
        write_csv(table, tmp / "cap_range.csv")
        write_cap_range_workbook(table, tmp / "cap_range.xlsx", scenario,
                                 resolve_lang(scenario, lang), year)
        (tmp / "cap_range.png").write_bytes(png_bytes(plot_cap_range(table, scenario, lang),
                                                 PLOT_DPI))
        stage.write_manifest(build_manifest(
            "cap-range", scenario=scenario, command=command, started=now,
            shares=table["relief_cap_share"].tolist(), cap_scope=scenario.policy.cap_scope,
            objective=scenario.policy.objective))
    return target.path


def _manifest(comparison: Comparison, command: str | None, started: datetime,
              finished: datetime, lang: str) -> dict[str, Any]:
    return build_manifest(
        "compare", scenario=comparison.scenario, with_data=True, command=command,
        started=started, finished=finished,
        seed=comparison.seed, replications=comparison.replications,
        years=list(comparison.years), solver=comparison.solver,
        objective=comparison.objective, rounds=comparison.rounds,
        common_random_numbers=True,
        options=[{**o.to_dict(), "baseline": i == 0, "content_hash": s.content_hash()}
                 for i, (o, s) in enumerate(zip(comparison.options, comparison.scenarios,
                                                strict=True))],
        metrics=[{"id": m.id, "name_zh": m.name("zh", comparison.scenario.policy),
                  "name_en": m.name("en", comparison.scenario.policy), "unit": m.unit,
                  "kind": m.kind} for m in comparison.metrics],
        lang=lang, csv_encoding=CSV_ENCODING)
