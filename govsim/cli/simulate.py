"""``govsim simulate``: run the baseline staffing through the simulation and summarise it.

Writes ``kpis.csv``, ``summary.csv``, ``contracts.csv``, ``providers.csv`` and
``manifest.json`` into ``--out`` atomically through :mod:`govsim.output.tables` (a temporary
folder next to it, renamed into place; an existing folder only with ``--overwrite``) and
prints a short table of yearly totals in one language (``--lang``; default the scenario's);
money in 万元, waits in working days.
"""

from __future__ import annotations

import argparse
import shlex
from datetime import UTC, datetime

import pandas as pd
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from govsim.cli._common import (
    add_engine_option,
    add_lang_option,
    add_output_options,
    add_scenario_argument,
    add_workers_option,
    check_counts,
    console,
)
from govsim.output.cells import MISSING, wan
from govsim.output.figure import resolve_lang
from govsim.output.folders import prepare_folder
from govsim.output.labels import label
from govsim.output.tables import write_simulation
from govsim.scenario import load_scenario
from govsim.sim import SimulationResult, simulate, summarise

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "simulate", help="simulate today's staffing over the horizon",
        description="Simulate the baseline staffing (public staff, directors, incumbent "
        "contracts) year by year over independent replications; print yearly totals with "
        "95 % confidence half-widths and, with --out, write kpis.csv, summary.csv, "
        "contracts.csv, providers.csv and manifest.json.")
    add_scenario_argument(parser)
    parser.add_argument("--years", type=int, default=None,
                        help="plan years (default: the scenario's horizon_years)")
    parser.add_argument("--replications", type=int, default=None,
                        help="replications (default: the scenario's replications)")
    parser.add_argument("--seed", type=int, default=None,
                        help="root seed (default: the scenario's seed)")
    add_workers_option(parser)
    add_output_options(parser, "a simulation folder (tables and manifest.json)")
    add_engine_option(parser)
    add_lang_option(parser, "summary table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_counts(args, ("years", "replications", "workers", "seed"))
    scenario = load_scenario(args.scenario)
    lang = resolve_lang(scenario, args.lang)
    target = prepare_folder(args.out, "simulate", overwrite=args.overwrite) \
        if args.out is not None else None
    started = datetime.now(UTC)
    years = args.years or scenario.header.horizon_years
    reps = args.replications or scenario.header.replications
    columns = (TextColumn(label("cli.simulating", lang)), BarColumn(), MofNCompleteColumn(),
               TextColumn(label("cli.rep_years", lang)), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("simulate", total=years * reps)
        result = simulate(scenario, years=years, replications=reps, seed=args.seed,
                          workers=args.workers, engine=args.engine or "compiled",
                          progress=lambda done, total: bar.update(task, completed=done))
    finished = datetime.now(UTC)
    console.print(_summary_table(result, scenario.name, lang))
    if target is not None:
        write_simulation(result, scenario, target, started=started, finished=finished,
                         command=_command(args, result), workers=args.workers,
                         engine=args.engine or "compiled")
        console.print(label("cli.sim_wrote", lang, folder=target.path), markup=False)
    return 0


def _summary_table(result: SimulationResult, name: str, lang: str = "en") -> Table:
    """Yearly totals over counties and items, mean ± 95 % half-width over replications."""
    kpis = result.kpis.copy()
    kpis["wait_x_served"] = kpis["wait_mean_days"].fillna(0.0) * kpis["served"]
    per_rep = kpis.groupby(["replication", "year"], as_index=False)[
        ["arrivals", "served", "abandoned", "backlog", "wait_x_served", "cost"]].sum()
    per_rep["wait_days"] = per_rep["wait_x_served"] / per_rep["served"].where(per_rep["served"] > 0)
    per_rep["county"] = "all"
    per_rep["item"] = "all"
    summary = summarise(per_rep, metrics=["arrivals", "served", "abandoned", "backlog",
                                          "wait_days", "cost"])
    table = Table(title=label("cli.sim_title", lang, name=name, reps=result.replications,
                              seed=result.seed))
    for key in ("year", "arrivals", "served", "abandoned", "backlog", "wait", "cost"):
        table.add_column(label(f"cli.sim_{key}", lang), justify="right")
    for row in summary.itertuples(index=False):
        table.add_row(str(row.year), _pm(row.arrivals_mean, row.arrivals_ci95),
                      _pm(row.served_mean, row.served_ci95),
                      _pm(row.abandoned_mean, row.abandoned_ci95),
                      _pm(row.backlog_mean, row.backlog_ci95),
                      _pm(row.wait_days_mean, row.wait_days_ci95, 1),
                      f"{wan(row.cost_mean)} ± {wan(row.cost_ci95)}"
                      if pd.notna(row.cost_ci95) else wan(row.cost_mean))
    return table


def _pm(mean: float, half: float, digits: int = 0) -> str:
    if pd.isna(mean):
        return MISSING
    text = f"{mean:,.{digits}f}"
    return text + (f" ± {half:,.{digits}f}" if pd.notna(half) else "")


def _command(args: argparse.Namespace, result: SimulationResult) -> str:
    """The command that repeats this simulation, with every default spelled out."""
    command = ["govsim", "simulate", str(args.scenario), "--years", str(len(result.years)),
               "--replications", str(result.replications), "--seed", str(result.seed)]
    if args.workers is not None:
        command += ["--workers", str(args.workers)]
    command += ["--engine", args.engine or "compiled", "--out", str(args.out)]
    return shlex.join(command)
