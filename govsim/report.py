"""A run's results on disk: the tables as CSV, the plots as PNG, a self-contained HTML report.

:class:`RunTables` is what the pipeline hands over — the tidy tables of a run (columns fixed by
:data:`TABLE_COLUMNS`, see ``docs/outputs.md``), the manifest and the scenario.
:func:`write_run` writes them into one folder **atomically**: everything goes to a hidden
temporary folder next to the target, which is renamed to the target name only once complete, so
a crash or Ctrl-C mid-write never leaves a half-written run under the final name.

Files: ``manifest.json``, one ``<table>.csv`` per table (UTF-8 with a byte-order mark, so that
Excel on Chinese Windows opens Chinese text correctly), ``plots/<name>.png`` (dpi 120) and
``report.html`` (see :mod:`govsim.report_html`). Money in the CSVs is in CNY; the plots and the
report show 万元 (10,000 CNY).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from govsim import plots
from govsim.errors import GovsimError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from govsim.scenario import Scenario

__all__ = [
    "CSV_ENCODING",
    "PLOTS",
    "TABLE_COLUMNS",
    "RunFolderExistsError",
    "RunTables",
    "default_run_dir",
    "render_plots",
    "write_run",
]

log = logging.getLogger(__name__)

#: Encoding of every CSV: UTF-8 with a BOM, which Excel needs to recognise UTF-8.
CSV_ENCODING = "utf-8-sig"
#: Resolution of the PNG plots, dots per inch.
PLOT_DPI = 120

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
    "goals": ["year", "order", "goal", "unit", "value", "price", "next_goal", "next_unit"],
    "convergence": ["year", "rounds", "converged", "reason"],
    "rounds": ["year", "round", "cells_checked", "cells_missed", "on_target_share",
               "weighted_coverage", "p90_wait_days", "spend_cny"],
}

#: Plot file stem → (function name in :mod:`govsim.plots`, table it draws), in report order.
PLOTS: dict[str, tuple[str, str]] = {
    "allocation_heatmap": ("plot_allocation_heatmap", "allocation"),
    "relief_cap_use": ("plot_relief_cap_use", "compliance"),
    "social_org_share": ("plot_social_org_share", "compliance"),
    "caseworkers": ("plot_caseworkers", "staffing"),
    "service_levels": ("plot_service_levels", "kpis"),
    "contract_timeline": ("plot_contract_timeline", "contracts"),
}


class RunFolderExistsError(GovsimError, FileExistsError):
    """The run folder exists and is not empty, and ``overwrite`` was not asked for."""


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
        gains ``coverage_mean`` and ``coverage_ci95`` (= served / arrivals) when absent.

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
            frames[name] = frame.assign(year=_whole_years(frame["year"]))
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
    kpis = kpis.copy()
    arrivals = pd.to_numeric(kpis["arrivals_mean"], errors="coerce")
    arrivals = arrivals.where(arrivals > 0)
    if "coverage_mean" not in kpis.columns:
        kpis["coverage_mean"] = pd.to_numeric(kpis["served_mean"], errors="coerce") / arrivals
    if "coverage_ci95" not in kpis.columns:
        kpis["coverage_ci95"] = pd.to_numeric(kpis["served_ci95"], errors="coerce") / arrivals
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


def write_run(tables: RunTables, out_dir: str | Path, lang: str | None = None, *,
              overwrite: bool = False, dpi: int = PLOT_DPI) -> Path:
    """Write a run folder atomically and return its path.

    Parameters
    ----------
    tables
        The run's tables, manifest and scenario.
    out_dir
        The folder to create; its parent is created if needed.
    lang
        ``"zh"`` or ``"en"`` for plots and report; default: the scenario's ``lang``.
    overwrite
        Replace an existing non-empty ``out_dir`` (the old folder is removed only after the
        new one is complete). An existing empty folder is always replaced.
    dpi
        Resolution of the PNG plots.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    RunFolderExistsError
        If ``out_dir`` exists, is not empty and ``overwrite`` is false.
    GovsimError
        If a table lacks a contract column.

    Notes
    -----
    Everything is written to a hidden sibling folder ``.<name>.<random>.tmp`` first. Any
    exception — including ``KeyboardInterrupt`` — removes it and leaves ``out_dir`` as it was.
    """
    out_dir = Path(out_dir)
    lang = plots.resolve_lang(tables.scenario, lang)
    _refuse_existing(out_dir, overwrite)
    tables = tables.checked()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        tmp.chmod(0o755)
        _write_contents(tables, tmp, lang, dpi)
        _move_into_place(tmp, out_dir, overwrite)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("wrote run folder %s", out_dir)
    return out_dir


def _refuse_existing(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise RunFolderExistsError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise RunFolderExistsError(f"run folder {out_dir} exists and is not empty; choose "
                                   "another folder or pass overwrite=True")


def _move_into_place(tmp: Path, out_dir: Path, overwrite: bool) -> None:
    """Rename ``tmp`` to ``out_dir``, setting aside (then deleting) an old folder there."""
    _refuse_existing(out_dir, overwrite)  # again: another process may have written meanwhile
    old = None
    if out_dir.is_dir():
        if any(out_dir.iterdir()):
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old",
                                        dir=out_dir.parent))
            old.rmdir()
            out_dir.rename(old)
        else:
            out_dir.rmdir()
    try:
        tmp.rename(out_dir)
    except BaseException:
        if old is not None and not out_dir.exists():
            old.rename(out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_contents(tables: RunTables, folder: Path, lang: str, dpi: int) -> None:
    from govsim.report_html import render_report  # late: it imports this module

    for name in TABLE_COLUMNS:
        tables.table(name).to_csv(folder / f"{name}.csv", index=False, encoding=CSV_ENCODING)
    (folder / "plots").mkdir()
    images = render_plots(tables, lang, dpi)
    for stem, png in images.items():
        (folder / "plots" / f"{stem}.png").write_bytes(png)
    html = render_report(tables, images, lang)
    (folder / "report.html").write_text(html, encoding="utf-8")
    manifest = dict(tables.manifest)
    manifest["report"] = {
        "lang": lang,
        "written_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "csv_encoding": CSV_ENCODING,
        "files": {p.relative_to(folder).as_posix(): _sha256(p)
                  for p in sorted(folder.rglob("*")) if p.is_file()},
    }
    (folder / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, default=_json_default) + "\n",
        encoding="utf-8")


def render_plots(tables: RunTables, lang: str | None = None,
                 dpi: int = PLOT_DPI) -> dict[str, bytes]:
    """Every plot of :data:`PLOTS` as PNG bytes, by file stem (figures are not kept)."""
    lang = plots.resolve_lang(tables.scenario, lang)
    images = {}
    for stem, (function, table) in PLOTS.items():
        figure = getattr(plots, function)(tables.table(table), tables.scenario, lang)
        images[stem] = _png(figure, dpi)
    return images


def _png(figure: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    with contextlib.suppress(AttributeError, TypeError):
        return value.model_dump(mode="json")
    return str(value)
