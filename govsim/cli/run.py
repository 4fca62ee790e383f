"""``govsim run``: the main job — simulate, allocate, check, adopt, year by year; write a report.

Writes a run folder (default ``results/<scenario>/<UTC time>-<hash>/``) atomically and prints
where it is and the few numbers that matter. ``--replay manifest.json`` repeats a past run with
the scenario content and options recorded in its manifest.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from govsim.cli._common import (
    add_engine_option,
    add_lang_option,
    add_output_options,
    add_run_options,
    add_scenario_argument,
    add_workers_option,
    check_counts,
    console,
    explicit_run_options,
    wan,
)
from govsim.errors import RunError
from govsim.inputs import parse_json, read_text
from govsim.output.folders import prepare_folder
from govsim.output.report import default_run_dir
from govsim.pipeline import RunResult, replay_options, run
from govsim.scenario import Scenario, load_scenario

__all__ = ["add_parser", "run_command"]

DEFAULT_SCENARIO = "guangan"


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "run", help="the main job: simulate, allocate under the caps, check, report",
        description="Run the simulation-optimisation loop over the plan horizon: estimate "
        "demand from a simulation, allocate the purchase budget under the policy caps (PuLP), "
        "check the allocation with trial simulations (SimPy) and re-allocate where service "
        "targets are missed, adopt, carry contracts and backlog into the next year. Writes "
        "the tables, plots, report.html and manifest.json into one folder.")
    add_scenario_argument(parser, default=None, shown_default=DEFAULT_SCENARIO)
    add_run_options(parser)
    add_workers_option(parser)
    add_lang_option(parser)
    add_output_options(parser, "a run folder", "results/<scenario>/<UTC time>-<hash>/",
                       results=True)
    parser.add_argument("--replay", type=Path, default=None, metavar="MANIFEST",
                        help="re-run a past run from its manifest.json (same scenario content, "
                        "seed and options; no SCENARIO or run options with it)")
    add_engine_option(parser, default="compiled; with --replay, the manifest's")
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    check_counts(args, ("years", "replications", "rounds", "seed", "workers"))
    if args.replay is not None:
        given = explicit_run_options(args) + (["SCENARIO"] if args.scenario is not None else [])
        if given:
            raise RunError(f"--replay repeats the recorded run with its own scenario and "
                           f"options; {', '.join(given)} cannot be given with it")
        scenario, kwargs = _replay(args.replay)
    else:
        scenario = load_scenario(args.scenario or DEFAULT_SCENARIO)
        kwargs = {"years": args.years, "replications": args.replications, "seed": args.seed,
                  "rounds": args.rounds, "solver": args.solver or "cbc",
                  "objective": args.objective}
    if args.engine is not None:  # results do not depend on it: a replay may switch engines
        kwargs["engine"] = args.engine
    out = args.out or default_run_dir(scenario, args.results)
    target = prepare_folder(out, "run", overwrite=args.overwrite, default=args.out is None)
    for warning in scenario.warnings:
        console.print(f"warning: {warning.format()}", style="yellow", markup=False)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("replication-years"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("starting", total=None)
        result = run(scenario, workers=args.workers, **kwargs,
                     progress=lambda done, total, label: bar.update(
                         task, completed=done, total=total, description=label))
        bar.update(task, description="writing report")
        folder = result.write(target, lang=args.lang)
    _print_summary(result, scenario, folder)
    return 0


def _replay(path: Path) -> tuple[Scenario, dict[str, object]]:
    source = str(path)
    manifest = parse_json(read_text(path, "run manifest"), source, "run manifest")
    try:
        scenario, options = replay_options(manifest)
    except RunError as exc:
        raise RunError(f"{source}: {exc}") from exc
    return scenario, options.as_dict()


def _print_summary(result: RunResult, scenario: Scenario, folder: Path) -> None:
    tables = result.tables
    table = Table(title=f"{scenario.header.title_zh or scenario.name}  {scenario.name}",
                  title_justify="left")
    for header in ("year 年", "spend 万元", "relief cap use", "social-org share (lowest county)",
                   "caseworkers short", "coverage", "p90 wait (d)", "rule failures",
                   "converged"):
        table.add_column(header, justify="right")
    caps = _relief_use(tables.compliance)
    for year in result.years:
        alloc = tables.allocation[tables.allocation["year"] == year] \
            if len(tables.allocation) else tables.allocation
        spend = float(alloc["cost"].sum()) if len(alloc) else 0.0
        social = _lowest_social_share(tables.compliance, year)
        staff = tables.staffing
        short = staff[(staff["year"] == year) & (staff["rule"] == "caseworker-ratio")]
        kpis = result.replication_kpis
        mine = kpis[kpis["year"] == year]
        purchasable = {i.id for i in scenario.purchasable_items}
        mine = mine[mine["item"].isin(purchasable)]
        coverage = mine["served"].sum() / mine["arrivals"].sum() if len(mine) else float("nan")
        waits = mine.dropna(subset=["wait_p90_days"])
        p90 = (waits["wait_p90_days"] * waits["arrivals"]).sum() / waits["arrivals"].sum() \
            if len(waits) and waits["arrivals"].sum() > 0 else float("nan")
        comp = tables.compliance
        failures = int(((comp["year"] == year) & (comp["status"] == "fail")).sum())
        conv = tables.convergence[tables.convergence["year"] == year]
        table.add_row(str(year), wan(spend), caps.get(year, "–"),
                      "–" if social != social else f"{social:.0%}",
                      f"{short['shortfall'].sum():,.0f}", f"{coverage:.1%}", f"{p90:.1f}",
                      str(failures), "yes" if bool(conv["converged"].iloc[0]) else "no")
    console.print(table)
    explanations = tables.explanations
    if len(explanations):
        last = explanations[explanations["year"] == explanations["year"].max()]
        console.print(f"Why rules are not met, {int(last['year'].iloc[0])}:", markup=False)
        for text in last["text_en"].head(8):
            console.print(f"  • {text}", markup=False, soft_wrap=True)
    console.print(f"results: {folder}/  (report.html, *.csv, plots/, manifest.json)",
                  markup=False)


def _relief_use(compliance: pd.DataFrame) -> dict[int, str]:
    rows = compliance[(compliance["rule"] == "relief-cap") & compliance["year"].notna()]
    out = {}
    for year, part in rows.groupby("year"):
        limit = part["limit"].astype(float).sum()
        if limit > 0:  # without a cap the use of it cannot be computed: shown as missing
            out[int(year)] = f"{part['value'].astype(float).sum() / limit:.0%}"
    return out


def _lowest_social_share(compliance: pd.DataFrame, year: int) -> float:
    """The lowest social-organisation share of new purchases over the scopes, as checked."""
    rows = compliance[(compliance["rule"] == "social-org-share") & (compliance["year"] == year)]
    values = pd.to_numeric(rows["value"], errors="coerce").dropna()
    return float(values.min()) if len(values) else float("nan")
