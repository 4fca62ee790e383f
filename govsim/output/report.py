"""A run's results on disk: the tables as CSV, the plots as PNG, a self-contained HTML report.

:class:`RunTables` is what the pipeline hands over — the tidy tables of a run (columns fixed by
:data:`TABLE_COLUMNS`, see ``docs/outputs.md``), the manifest and the scenario.
:func:`write_run` writes them into one folder **atomically** through the output-folder service
(:mod:`govsim.output.folders`): everything goes to a hidden temporary folder next to the target,
renamed to the target name only once complete, so a crash or Ctrl-C mid-write never leaves a
half-written run under the final name, and nothing govsim did not write is ever replaced.

Files: ``manifest.json``, one ``<table>.csv`` per table (UTF-8 with a byte-order mark, so that
Excel on Chinese Windows opens Chinese text correctly), ``plots/<name>.png`` (dpi 120) and
``report.html`` (see :mod:`govsim.output.html`) and ``plan.xlsx`` (see
:mod:`govsim.output.plan_workbook`). Money in the CSVs is in CNY; the plots and the
report show 万元 (10,000 CNY).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from govsim.budget.table import DRIVER_COLUMNS, MONEY_NEEDED_COLUMNS, UNCERTAINTY_COLUMNS
from govsim.errors import GovsimError, OutputExistsError
from govsim.metrics import cell_coverage, cells_from_summary, demand, no_service
from govsim.output import plots
from govsim.output.answers import MONEY_NEEDED_FILE, money_needed
from govsim.output.figure import PLOT_DPI, encode_png, figure_pixels
from govsim.output.files import CSV_ENCODING, write_csv
from govsim.output.folders import OutputFolder, Staging, prepare_folder
from govsim.output.html import render_report
from govsim.output.phrases import WARNING_COLUMNS
from govsim.output.plan_workbook import write_plan_workbook

if TYPE_CHECKING:
    from govsim.scenario import Scenario

__all__ = [
    "CSV_ENCODING",
    "PLOTS",
    "TABLE_COLUMNS",
    "DrawnFigure",
    "RunFolderExistsError",
    "RunTables",
    "default_run_dir",
    "draw_figure",
    "figure_key",
    "render_plots",
    "write_run",
]

log = logging.getLogger(__name__)


#: The columns each table must have, in the order they are written (extra columns follow).
TABLE_COLUMNS: dict[str, list[str]] = {
    "allocation": ["year", "county", "item", "provider_type", "fund", "basis", "persons", "fte",
                   "cost", "cost_lottery"],
    "staffing": ["year", "county", "rule", "required", "in_post", "purchased", "part_time_posts",
                 "shortfall"],
    "kpis": ["year", "county", "item", "arrivals_mean", "served_mean", "served_ci95",
             "abandoned_mean", "backlog_mean", "wait_mean_days_mean", "wait_p90_days_mean",
             "wait_p90_days_ci95", "utilisation_mean", "satisfaction_mean", "cost_mean"],
    "compliance": ["year", "rule", "scope", "value", "limit", "unit", "status", "source",
                   "detail"],
    "constraints": ["year", "name", "rule", "scope", "binding", "slack", "shadow_price"],
    "contracts": ["year", "day", "county", "item", "provider", "provider_type", "event", "fte",
                  "detail"],
    "explanations": ["year", "county", "item", "rule", "shortfall", "money_cny", "text_en",
                     "text_zh"],
    "goals": ["year", "order", "goal", "unit", "value", "price", "next_goal", "next_unit",
              "whole_post_gap"],
    "convergence": ["year", "rounds", "converged", "reason"],
    "rounds": ["year", "round", "cells_checked", "cells_missed", "cells_inconclusive",
               "on_target_share", "weighted_coverage", "p90_wait_days", "spend_cny"],
    "mechanisms": ["year", "county", "item", "provider_type", "mechanism", "measure", "value",
                   "unit", "source", "replications"],
    # money needed (govsim.budget) and, with --uncertainty, its bands and drivers
    "money_needed": MONEY_NEEDED_COLUMNS,
    "uncertainty": UNCERTAINTY_COLUMNS,
    "uncertainty_drivers": DRIVER_COLUMNS,
    # the year's warnings as data (code, ids, figures), worded by govsim.output.phrases
    "warnings": WARNING_COLUMNS,
}

#: Plot file stem → (function name in :mod:`govsim.output.plots`, table it draws), in report order.
PLOTS: dict[str, tuple[str, str]] = {
    "allocation_heatmap": ("plot_allocation_heatmap", "allocation"),
    "relief_cap_use": ("plot_relief_cap_use", "compliance"),
    "social_org_share": ("plot_social_org_share", "compliance"),
    "caseworkers": ("plot_caseworkers", "staffing"),
    "child_welfare_staff": ("plot_child_welfare_staff", "staffing"),
    "service_levels": ("plot_service_levels", "kpis"),
    "contract_timeline": ("plot_contract_timeline", "contracts"),
    "money_needed": ("plot_money_needed", "money_needed"),
}


#: The run folder is taken by something govsim may not replace (kept for older callers).
RunFolderExistsError = OutputExistsError


@dataclass(frozen=True)
class RunTables:
    """Everything a run produced, as handed from the pipeline to the report.

    Each table is a tidy :class:`pandas.DataFrame` with (at least) the columns of
    :data:`TABLE_COLUMNS`; an empty table may be given as ``pd.DataFrame()``. ``manifest`` is a
    JSON-able dict (scenario hash, seed, replications, versions, solver, command, times).
    """

    scenario: Scenario
    allocation: pd.DataFrame
    staffing: pd.DataFrame
    kpis: pd.DataFrame
    compliance: pd.DataFrame
    constraints: pd.DataFrame
    contracts: pd.DataFrame
    explanations: pd.DataFrame
    convergence: pd.DataFrame
    rounds: pd.DataFrame = field(default_factory=pd.DataFrame)
    goals: pd.DataFrame = field(default_factory=pd.DataFrame)
    mechanisms: pd.DataFrame = field(default_factory=pd.DataFrame)
    money_needed: pd.DataFrame = field(default_factory=pd.DataFrame)
    uncertainty: pd.DataFrame = field(default_factory=pd.DataFrame)
    uncertainty_drivers: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: pd.DataFrame = field(default_factory=pd.DataFrame)
    manifest: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def empty(cls, scenario: Scenario, **tables: pd.DataFrame) -> RunTables:
        """Tables with the contract columns and no rows, except those given by keyword."""
        frames = {name: pd.DataFrame(columns=cols) for name, cols in TABLE_COLUMNS.items()}
        frames.update(tables)
        return cls(scenario=scenario, **frames)

    def table(self, name: str) -> pd.DataFrame:
        """The table called ``name`` (a key of :data:`TABLE_COLUMNS`)."""
        if name not in TABLE_COLUMNS:
            raise KeyError(f"unknown table {name!r}; known: {', '.join(TABLE_COLUMNS)}")
        return getattr(self, name)

    def checked(self) -> RunTables:
        """A copy with every table in contract column order and derived columns added.

        Columns are ordered as in :data:`TABLE_COLUMNS` (extra columns after them); ``kpis``
        gains ``coverage_mean``, ``coverage_ci95`` and ``no_service`` when absent (see
        :func:`govsim.metrics.cell_coverage`).

        Raises
        ------
        GovsimError
            Naming every table that lacks a contract column.
        """
        missing, frames = [], {}
        for name, columns in TABLE_COLUMNS.items():
            frame = self.table(name)
            if not isinstance(frame, pd.DataFrame):
                raise GovsimError(f"table {name!r} is a {type(frame).__name__}, not a DataFrame")
            if frame.columns.empty and frame.empty:
                frame = pd.DataFrame(columns=columns)
            lacking = [c for c in columns if c not in frame.columns]
            if lacking:
                missing.append(f"{name}: {', '.join(lacking)}")
                continue
            frame = frame[columns + [c for c in frame.columns if c not in columns]]
            frames[name] = frame.assign(year=_whole_years(frame["year"])) \
                if "year" in frame.columns else frame
        if missing:
            raise GovsimError("run tables lack contract columns (see docs/outputs.md): "
                              + "; ".join(missing))
        frames["kpis"] = _with_coverage(frames["kpis"])
        return replace(self, **frames)


def _whole_years(year: pd.Series) -> pd.Series:
    """Years as nullable integers (compliance rows without a year make the column float)."""
    numbers = pd.to_numeric(year, errors="coerce")
    if numbers.notna().sum() == year.notna().sum() and (numbers.dropna() % 1 == 0).all():
        return numbers.astype("Int64")
    return year


def _with_coverage(kpis: pd.DataFrame) -> pd.DataFrame:
    """``coverage_mean`` (:func:`govsim.metrics.cell_coverage`: served ÷ (arrivals + carried
    in), at most 1), ``coverage_ci95`` (served's half-width ÷ demand) and ``no_service`` (demand
    and nobody served: 0 % coverage, no wait) when absent."""
    kpis = kpis.copy()
    cells = cells_from_summary(kpis)
    need = demand(cells)
    if "coverage_mean" not in kpis.columns:
        kpis["coverage_mean"] = cell_coverage(cells).to_numpy()
    if "coverage_ci95" not in kpis.columns:
        kpis["coverage_ci95"] = (pd.to_numeric(kpis["served_ci95"], errors="coerce")
                                 / need.where(need > 0)).to_numpy()
    if "no_service" not in kpis.columns:
        kpis["no_service"] = no_service(cells).to_numpy()
    return kpis


# -- run folder -----------------------------------------------------------------------------------

def default_run_dir(scenario: Scenario, results_root: str | Path = "results",
                    now: datetime | None = None) -> Path:
    """``<results_root>/<scenario name>/<UTC YYYYmmddTHHMMSSZ>-<8 hex of content hash>/``.

    >>> from govsim import load_scenario
    >>> when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    >>> default_run_dir(load_scenario("tiny"), now=when).name[:17]
    '20250102T030405Z-'
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    return Path(results_root) / scenario.name / f"{stamp}-{scenario.content_hash()[:8]}"


def write_run(tables: RunTables, out_dir: str | Path | OutputFolder, lang: str | None = None, *,
              overwrite: bool = False, dpi: int = PLOT_DPI,
              money_needed_table: pd.DataFrame | None = None,
              drawn: Mapping[str, DrawnFigure] | None = None) -> Path:
    """Write a run folder atomically and return its path.

    Parameters
    ----------
    tables
        The run's tables, manifest and scenario.
    out_dir
        The folder to create (its parent is created if needed), or an
        :class:`~govsim.output.OutputFolder` already checked by
        :func:`~govsim.output.prepare_folder` before the run started.
    lang
        ``"zh"`` or ``"en"`` for plots and report; default: the scenario's ``lang``.
    overwrite
        Replace an existing run folder that govsim wrote (never a folder holding other files;
        the old folder is removed only after the new one is complete). An existing empty
        folder is always used.
    dpi
        Resolution of the PNG plots.
    money_needed_table
        A money-needed table (columns of :data:`govsim.output.answers.MONEY_NEEDED_COLUMNS`)
        to write as ``money_needed.csv`` when the run's tables do not carry one; the report
        and ``plan.xlsx`` read it from the folder.
    drawn
        Figures drawn ahead by stem (:func:`draw_figure`); each is used only if drawn from the
        same table, scenario, language and dpi — the others are drawn here.

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    OutputError
        If ``out_dir`` cannot be used (see :mod:`govsim.output.folders`).
    GovsimError
        If a table lacks a contract column.

    Notes
    -----
    Everything is written to a hidden sibling folder first (:meth:`OutputFolder.staging`). Any
    exception — including ``KeyboardInterrupt`` — removes it and leaves ``out_dir`` as it was.
    """
    target = out_dir if isinstance(out_dir, OutputFolder) else \
        prepare_folder(out_dir, "run", overwrite=overwrite)
    lang = plots.resolve_lang(tables.scenario, lang)
    tables = tables.checked()
    with target.staging() as stage:
        _write_contents(tables, stage, lang, dpi, money_needed_table, drawn)
    log.info("wrote run folder %s", target.path)
    return target.path


def _write_contents(tables: RunTables, stage: Staging, lang: str, dpi: int,
                    money_table: pd.DataFrame | None = None,
                    drawn: Mapping[str, DrawnFigure] | None = None) -> None:
    folder = stage.path
    for name in TABLE_COLUMNS:
        write_csv(tables.table(name), folder / f"{name}.csv")
    if money_table is not None and tables.table("money_needed").empty:
        write_csv(money_table, folder / MONEY_NEEDED_FILE)  # in place of the empty table
    (folder / "plots").mkdir()
    images = render_plots(tables, lang, dpi, drawn)
    for stem, png in images.items():
        (folder / "plots" / f"{stem}.png").write_bytes(png)
    # the answers read the money-needed table the run folder holds (written above when the
    # run carries one): it is never recomputed here
    money = money_needed(tables, folder)
    chart = folder / "plots" / "money_needed.png"  # the budget room's chart, when written
    if money is not None and "money_needed" not in images and chart.is_file():
        images = {**images, "money_needed": chart.read_bytes()}
    html = render_report(tables, images, lang, money)
    (folder / "report.html").write_text(html, encoding="utf-8")
    write_plan_workbook(tables, folder / "plan.xlsx", lang, money)
    manifest = dict(tables.manifest)
    manifest["report"] = {
        "lang": lang,
        "written_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "csv_encoding": CSV_ENCODING,
    }
    stage.write_manifest(manifest)


@dataclass(frozen=True)
class DrawnFigure:
    """A report figure drawn ahead of writing, elsewhere (:func:`draw_figure`): its PNG and a
    digest of what it was drawn from (:func:`figure_key`)."""

    key: bytes
    png: bytes


def figure_key(frame: pd.DataFrame, scenario: Scenario, stem: str, lang: str,
               dpi: int) -> bytes:
    """A digest of everything figure ``stem`` is drawn from: its table ``frame`` (as
    :meth:`RunTables.checked` gives it), the scenario, the language and the dpi."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"{PLOTS[stem][0]}|{lang}|{dpi}|{scenario.content_hash()}|".encode())
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    try:
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    except TypeError:  # a cell pandas cannot hash (a list): its text
        digest.update(frame.to_csv().encode())
    return digest.digest()


def draw_figure(frame: pd.DataFrame, scenario: Scenario, stem: str, lang: str,
                dpi: int = PLOT_DPI) -> DrawnFigure:
    """Figure ``stem`` of its checked table ``frame``, as :func:`render_plots` draws it — for a
    worker process to draw ahead of writing (``govsim.run``'s band workers do)."""
    figure = getattr(plots, PLOTS[stem][0])(frame, scenario, lang)
    return DrawnFigure(figure_key(frame, scenario, stem, lang, dpi),
                       encode_png(figure_pixels(figure, dpi), dpi))


def render_plots(tables: RunTables, lang: str | None = None, dpi: int = PLOT_DPI,
                 drawn: Mapping[str, DrawnFigure] | None = None) -> dict[str, bytes]:
    """Every plot of :data:`PLOTS` as PNG bytes, by file stem (figures are not kept); a figure
    ``drawn`` ahead from the same table, scenario, language and dpi is taken as it is.

    Each figure's PNG is compressed in a second thread while the next figure is built and
    drawn (Pillow releases the GIL while compressing); the bytes are those of
    :func:`~govsim.output.figure.png_bytes`.
    """
    lang = plots.resolve_lang(tables.scenario, lang)
    encoding: dict[str, Any] = {}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="govsim-png") as encoder:
        for stem, (function, table) in PLOTS.items():
            ahead = (drawn or {}).get(stem)
            frame = tables.table(table)
            if ahead is not None and ahead.key == figure_key(frame, tables.scenario, stem,
                                                             lang, dpi):
                encoding[stem] = ahead.png
                continue
            figure = getattr(plots, function)(frame, tables.scenario, lang)
            encoding[stem] = encoder.submit(encode_png, figure_pixels(figure, dpi), dpi)
        return {stem: png if isinstance(png, bytes) else png.result()
                for stem, png in encoding.items()}
