"""``govsim sweep``: run parameter sweeps, resume them, analyse and export their results.

Subcommands: ``run FILE`` (local processes by default; ``--dask-local N`` or ``--scheduler``
for Dask), ``analyze DIR --method sobol|morris``, ``summary DIR``, ``export DIR --parquet``
and ``metrics`` (the metric names a sweep file may keep). The library does the work
(:mod:`govsim.sweep`); this module parses, shows progress and prints tables.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import shlex
from pathlib import Path

import pandas as pd
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from govsim.bounds import LIMITS
from govsim.cli._common import add_engine_option, console, console_err
from govsim.errors import SweepError
from govsim.output.cells import MISSING
from govsim.output.folders import prepare_folder
from govsim.output.labels import unit_labels
from govsim.output.tables import write_analysis
from govsim.sweep import (
    METRICS,
    SweepInterrupted,
    SweepProgress,
    load_sweep_spec,
    open_sweep,
    run_sweep,
)
from govsim.sweep.analyze import analyze, summary
from govsim.sweep.executors import check_scheduler_address
from govsim.sweep.metrics import STAGES
from govsim.sweep.runner import check_sweep_size, stored_runs
from govsim.sweep.store import SweepStore

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sweep", help="parameter sweeps: run (resumable), analyze, summary, export",
        description="Run many scenario variants (a sweep file: parameters, sampler, stage, "
        "metrics), storing every run in DUCKDB as it finishes; analyse Sobol'/Morris "
        "sensitivity. See docs/sweep.md.")
    commands = parser.add_subparsers(dest="sweep_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: _help(parser))

    run = commands.add_parser(
        "run", help="run or resume a sweep",
        description="Run the sweep file's runs, skipping those already stored in --out; each "
        "run is committed to DIR/sweep.duckdb when it finishes. Ctrl-C stops cleanly.")
    run.add_argument("file", type=Path, metavar="FILE", help="sweep file (TOML)")
    run.add_argument("--out", type=Path, default=None, metavar="DIR",
                     help="output folder (default: results/sweeps/<name>)")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, metavar="N",
                       help="local worker processes (default: all cores; 1 = this process)")
    where.add_argument("--dask-local", type=int, default=None, metavar="N",
                       help="start a local Dask cluster of N worker processes")
    where.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                       help="run on the Dask cluster of this scheduler")
    run.add_argument("--retry-failed", action="store_true",
                     help="run the stored failed runs again")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--force", action="store_true",
                     help=f"run a sweep of more than {LIMITS['sweep_runs'].value:,} runs "
                     f"(never more than {LIMITS['sweep_runs_hard'].value:,})")
    add_engine_option(run, default="the sweep file's engine, else compiled")
    run.set_defaults(func=_run)

    ana = commands.add_parser("analyze", help="Sobol' or Morris sensitivity indices",
                              description="Indices per metric and parameter from the stored "
                              "runs (replications averaged per point), with confidence "
                              "intervals; writes DIR/analysis/<method>.csv and .png.")
    ana.add_argument("folder", type=Path, metavar="DIR")
    ana.add_argument("--method", choices=["sobol", "morris"], required=True)
    ana.add_argument("--metric", action="append", default=None, metavar="M",
                     help="metric to analyse (repeatable; default: all)")
    ana.add_argument("--resamples", type=int, default=200,
                     help="bootstrap resamples (at least 1; default 200)")
    ana.set_defaults(func=_analyze)

    summ = commands.add_parser("summary", help="metric distributions per parameter bin")
    summ.add_argument("folder", type=Path, metavar="DIR")
    summ.add_argument("--bins", type=int, default=4,
                      help="bins per numeric parameter (1 to 100; default 4)")
    summ.add_argument("--metric", action="append", default=None, metavar="M",
                      help="metric to show (repeatable; default: all)")
    summ.set_defaults(func=_summary)

    exp = commands.add_parser("export", help="write points, runs and results as files")
    exp.add_argument("folder", type=Path, metavar="DIR")
    fmt = exp.add_mutually_exclusive_group(required=True)
    fmt.add_argument("--parquet", action="store_const", const="parquet", dest="format")
    fmt.add_argument("--csv", action="store_const", const="csv", dest="format")
    exp.add_argument("--to", type=Path, default=None, metavar="DIR2",
                     help="target folder (default: DIR/export)")
    exp.add_argument("--overwrite", action="store_true",
                     help="replace an export govsim wrote at the target (never other files)")
    exp.set_defaults(func=_export)

    met = commands.add_parser("metrics", help="list the metrics a sweep can keep")
    met.add_argument("--stage", choices=list(STAGES), default=None)
    met.set_defaults(func=_metrics)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _run(args: argparse.Namespace) -> int:
    for flag, value in (("--workers", args.workers), ("--dask-local", args.dask_local)):
        if value is not None and value < 1:
            raise SweepError(f"{flag} must be at least 1, got {value}")
    if args.scheduler is not None:
        check_scheduler_address(args.scheduler)
    spec = load_sweep_spec(args.file)
    if args.engine is not None:  # not part of the spec hash: a sweep may resume on either
        spec = dataclasses.replace(spec, header=spec.header.model_copy(
            update={"engine": args.engine}))
    executor, workers = "local", args.workers
    if args.dask_local is not None:
        executor, workers = "dask", args.dask_local
    elif args.scheduler is not None:
        executor = "dask"
    total = check_sweep_size(spec, force=args.force)
    out = args.out or Path("results") / "sweeps" / spec.name
    prepare_folder(out, "sweep")
    console.print(f"sweep {spec.name}: {spec.header.stage} stage, {spec.sampler.method} "
                  f"design, {total // spec.header.replications:,} points × "
                  f"{spec.header.replications:,} replications = {total:,} runs → {out}",
                  markup=False)
    stored, per_run = stored_runs(out)
    if per_run is not None and args.scheduler is None:
        parallel = workers or os.cpu_count() or 1
        pending = max(0, total - stored)
        console.print(f"{stored:,} runs stored; estimated time for the other {pending:,}: "
                      f"about {_duration(per_run * pending / parallel)} on {parallel} "
                      f"worker{'s' if parallel != 1 else ''} (mean {per_run:.2f} s per "
                      "stored run)", markup=False)
    command = ["govsim", "sweep", "run", str(args.file), "--out", str(out)]
    for flag, value in (("--workers", args.workers), ("--dask-local", args.dask_local),
                        ("--scheduler", args.scheduler)):
        command += [flag, str(value)] if value is not None else []
    command += ["--retry-failed"] if args.retry_failed else []
    command += ["--force"] if args.force else []
    command += ["--engine", args.engine] if args.engine else []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("runs · [red]{task.fields[failed]} failed[/red] · "
                          "{task.fields[rate]} · ETA {task.fields[eta]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=args.quiet) as bar:
        task = bar.add_task("sweeping", total=total, failed=0, rate=f"{MISSING} runs/s",
                            eta=MISSING)
        try:
            result = run_sweep(spec, out, executor=executor, workers=workers,
                               scheduler=args.scheduler, retry_failed=args.retry_failed,
                               progress=lambda p: _update(bar, task, p),
                               command=shlex.join(command), force=args.force)
        except SweepInterrupted as exc:
            bar.stop()
            console_err.print(f"interrupted: {exc.stored} of {exc.total} runs stored in "
                              f"{exc.folder}; run the same command again to resume",
                              markup=False)
            return 130
    counts = result.counts()
    console.print(f"done: {counts['ok']} ok, {counts['failed']} failed, {counts['pending']} "
                  f"pending; results in {out}/sweep.duckdb", markup=False)
    if counts["failed"]:
        errors = result.runs.loc[result.runs["status"] == "failed", "error"].value_counts()
        for message, n in errors.head(5).items():
            console_err.print(f"  {n} × {message}", markup=False, soft_wrap=True)
    return 0


def _update(bar: Progress, task: TaskID, p: SweepProgress) -> None:
    eta = MISSING if p.eta_s is None else _duration(p.eta_s)
    bar.update(task, completed=p.done, failed=p.failed, rate=f"{p.rate:.2f} runs/s", eta=eta)


def _duration(seconds: float) -> str:
    seconds = math.ceil(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _analyze(args: argparse.Namespace) -> int:
    if args.resamples < 1:
        raise SweepError(f"--resamples must be at least 1, got {args.resamples}")
    result = open_sweep(args.folder)
    if not result.complete:
        counts = result.counts()
        console_err.print(f"note: the sweep is not complete ({counts['pending']} runs pending)",
                          markup=False)
    table = analyze(result, method=args.method, metrics=args.metric,
                    num_resamples=args.resamples)
    written = write_analysis(result, table, args.method)
    console.print(_frame_table(table, f"{args.method} indices of sweep "
                               f"{result.spec['sweep']['name']}"))
    console.print("wrote " + ", ".join(str(p) for p in written), markup=False)
    return 0


def _summary(args: argparse.Namespace) -> int:
    if not 1 <= args.bins <= 100:
        raise SweepError(f"--bins must be between 1 and 100, got {args.bins}")
    result = open_sweep(args.folder)
    counts = result.counts()
    console.print(f"sweep {result.spec['sweep']['name']}: {len(result.points)} points, "
                  f"{counts['ok']} runs ok, {counts['failed']} failed, {counts['pending']} "
                  "pending", markup=False)
    table = summary(result, bins=args.bins, metrics=args.metric)
    for parameter, part in table.groupby("parameter", sort=False):
        console.print(_frame_table(part.drop(columns="parameter"), f"by {parameter}"))
    return 0


def _export(args: argparse.Namespace) -> int:
    target = prepare_folder(args.to or args.folder / "export", "sweep-export",
                            overwrite=args.overwrite, flag="--to")
    with SweepStore(args.folder, read_only=True) as store:
        written = store.export(target, args.format)
    console.print("wrote " + ", ".join(str(p) for p in written), markup=False)
    return 0


def _metrics(args: argparse.Namespace) -> int:
    table = Table(title="sweep metrics")
    for header in ("name", "stages", "unit", "description"):
        table.add_column(header)
    for metric in METRICS.values():
        if args.stage is None or args.stage in metric.stages:
            table.add_row(metric.id, ", ".join(metric.stages), unit_labels()[metric.unit][1],
                          metric.definition)
    console.print(table)
    return 0


def _frame_table(frame: pd.DataFrame, title: str) -> Table:
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column), justify="right" if
                         pd.api.types.is_numeric_dtype(frame[column]) else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    return table


def _cell(value: object) -> str:
    if isinstance(value, float):
        return MISSING if math.isnan(value) else f"{value:,.4g}"
    return str(value)
