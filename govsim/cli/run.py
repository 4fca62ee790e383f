"""``govsim run``: the main job — simulate, allocate, check, adopt, year by year; write a report.

Writes a run folder (default ``results/<scenario>/<UTC time>-<hash>/``) atomically and prints
where it is and the few numbers that matter. ``--replay manifest.json`` repeats a past run with
the scenario content and options recorded in its manifest.
"""

from __future__ import annotations

import argparse
import math
import re
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
)
from govsim.cli.budget import print_money_needed, print_uncertainty
from govsim.errors import RunError
from govsim.inputs import parse_json, read_text
from govsim.metrics import year_figures
from govsim.output.cells import MISSING, num, pct, wan
from govsim.output.figure import display_names
from govsim.output.folders import prepare_folder
from govsim.output.labels import LABELS, label
from govsim.output.phrases import explanation_text, reason_text, warning_text
from govsim.output.report import default_run_dir
from govsim.pipeline import RunResult, replay_options
from govsim.scenario import Scenario, load_scenario
from govsim.uncertainty import (
    DEFAULT_BAND_SAMPLES,
    check_band_samples,
    check_samples,
    run_with_uncertainty,
)
from govsim.uncertainty.run_band import run  # the pipeline's run and its money band

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
    add_workers_option(parser, "worker processes, and counties solved at once in threads")
    add_lang_option(parser)
    add_output_options(parser, "a run folder", "results/<scenario>/<UTC time>-<hash>/",
                       results=True)
    parser.add_argument("--replay", type=Path, default=None, metavar="MANIFEST",
                        help="re-run a past run from its manifest.json (same scenario content, "
                        "seed and options; no SCENARIO or run options with it)")
    parser.add_argument("--uncertainty", type=int, default=None, metavar="N",
                        help="80 %% bands from the scenario's [[uncertainty]] inputs "
                        "(uncertainty.csv, uncertainty_drivers.csv). Default: the band of the "
                        "run's money needed, its need plan re-solved on the run's own "
                        f"estimates at {DEFAULT_BAND_SAMPLES} Latin-hypercube samples "
                        "(seconds); 0: no band; N >= 2: N whole runs on the same seed, also "
                        "banding coverage and staff short (N + 1 times the run's time). Not "
                        "with --replay")
    add_engine_option(parser, default="compiled; with --replay, the manifest's")
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    check_counts(args, ("years", "replications", "rounds", "seed", "workers"))
    if args.replay is not None:
        given = explicit_run_options(args) + (["SCENARIO"] if args.scenario is not None else [])
        if given:
            raise RunError(f"--replay repeats the recorded run with its own scenario and "
                           f"options; {', '.join(given)} cannot be given with it")
        if args.uncertainty is not None:
            raise RunError("--replay repeats the recorded run; --uncertainty cannot be given "
                           "with it")
        scenario, kwargs = _replay(args.replay)
    else:
        scenario = load_scenario(args.scenario or DEFAULT_SCENARIO)
        kwargs = {"years": args.years, "replications": args.replications, "seed": args.seed,
                  "rounds": args.rounds, "solver": args.solver or "highs",
                  "objective": args.objective}
    if args.engine is not None:  # results do not depend on it: a replay may switch engines
        kwargs["engine"] = args.engine
    if args.uncertainty:
        check_samples(args.uncertainty, scenario, "--uncertainty (whole runs)")
    elif args.uncertainty == 0:
        kwargs["band_samples"] = 0
    else:
        check_band_samples(scenario, kwargs.get("band_samples"))
    out = args.out or default_run_dir(scenario, args.results)
    target = prepare_folder(out, "run", overwrite=args.overwrite, default=args.out is None)
    for warning in scenario.warnings:
        console.print(f"warning: {warning.format()}", style="yellow", markup=False)
    lang = args.lang or scenario.header.lang
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn(label("cli.rep_years", lang)), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label("cli.starting", lang), total=None)
        if not args.uncertainty:
            result = run(scenario, workers=args.workers, report_lang=args.lang, **kwargs,
                         progress=lambda done, total, text: bar.update(
                             task, completed=done, total=total,
                             description=_progress_text(text, lang)))
        else:
            seed = kwargs.pop("seed")
            result = run_with_uncertainty(
                scenario, args.uncertainty, seed=seed, workers=args.workers, **kwargs,
                progress=lambda done, total: bar.update(
                    task, completed=done, total=total,
                    description=label("cli.uncertainty_samples", lang)))
        bar.update(task, description=label("cli.writing", lang))
        folder = result.write(target, lang=args.lang)
    _print_summary(result, scenario, folder, args.lang)
    print_money_needed(result.tables.money_needed, scenario, lang)
    if len(result.tables.uncertainty):
        print_uncertainty(result.tables.uncertainty, result.tables.uncertainty_drivers,
                          int(result.tables.manifest["uncertainty"]["samples"]), lang)
    return 0


def _replay(path: Path) -> tuple[Scenario, dict[str, object]]:
    source = str(path)
    manifest = parse_json(read_text(path, "run manifest"), source, "run manifest")
    try:
        scenario, options = replay_options(manifest)
    except RunError as exc:
        raise RunError(f"{source}: {exc}") from exc
    # the band the recorded run had: its re-solved money band's samples, else none
    record = manifest.get("uncertainty") if isinstance(manifest, dict) else None
    samples = record.get("samples") if isinstance(record, dict) \
        and record.get("method") == "money" else 0
    band = samples if isinstance(samples, int) and not isinstance(samples, bool) else 0
    return scenario, {**options.as_dict(), "band_samples": band}


def _print_summary(result: RunResult, scenario: Scenario, folder: Path,
                   lang: str | None = None) -> None:
    """The headline per year — :func:`govsim.metrics.year_figures`, the report's numbers — and
    each year's status and warnings, in the language of the run (``--lang``, else the
    scenario's): words from :mod:`govsim.output.labels` (``cli.*``, ``phrase.*``)."""
    lang = lang or scenario.header.lang
    tables = result.tables
    title = scenario.header.title_zh if lang == "zh" else scenario.header.title_en
    table = Table(title=f"{title or scenario.name}  {scenario.name}", title_justify="left")
    for key in ("year", "spend", "cap_use", "social_share", "cw_short", "child_short",
                "coverage", "p90_wait", "overdue", "failures", "status"):
        table.add_column(label(f"cli.{key}", lang), justify="right")
    figures = year_figures(tables)
    convergence = tables.convergence.set_index("year")
    staff = tables.staffing
    for year in result.years:
        f = figures[year] if year in figures.columns else pd.Series(dtype=float)
        key = "phrase.short_" + str(convergence.loc[year, "status"]).replace(" ", "_") \
            if year in convergence.index else ""
        status = label(key, lang) if key in LABELS else MISSING
        child = staff[(staff["year"] == year) & (staff["rule"] == "child-welfare-staff")]
        child_short = float(pd.to_numeric(child["shortfall"], errors="coerce").sum()) \
            if len(child) else math.nan
        table.add_row(str(year), wan(f.get("total_spend", math.nan)), pct(f.get("cap_use")),
                      pct(f.get("social_share")), num(f.get("cw_shortfall")),
                      num(child_short), pct(f.get("coverage")), num(f.get("p90_wait")),
                      num(f.get("overdue"), 0), num(f.get("failures"), 0), status)
    console.print(table)
    counties = display_names(scenario, "counties", lang)
    items = display_names(scenario, "items", lang)
    for year, row in convergence.iterrows():
        console.print(label("cli.status_line", lang, year=year, text=reason_text(row, lang)),
                      markup=False, soft_wrap=True)
    for row in tables.warnings.to_dict("records"):
        console.print(label("cli.warning_line", lang, year=row["year"],
                            text=warning_text(row, lang, counties, items)),
                      style="yellow", markup=False, soft_wrap=True)
    explanations = tables.explanations
    if len(explanations):
        last = explanations[explanations["year"] == explanations["year"].max()]
        console.print(label("cli.why", lang, year=int(last["year"].iloc[0])), markup=False)
        column = "text_zh" if lang == "zh" else "text_en"
        for text in last[column].head(8):
            console.print(f"  • {explanation_text(str(text), counties, items)}", markup=False,
                          soft_wrap=True)
    console.print(label("cli.results", lang, folder=folder), markup=False)


def _progress_text(text: str, lang: str) -> str:
    """The pipeline's progress label (``2025 round 2``, ``2025 baseline``) in ``lang``."""
    if text == "band":
        return label("cli.money_band", lang)
    if m := re.fullmatch(r"(\d{4}) round (\d+)", text):
        return label("cli.round", lang, year=m.group(1), round=m.group(2))
    if m := re.fullmatch(r"(\d{4}) (\w+)", text):
        key = f"cli.stage_{m.group(2)}"
        return label(key, lang, year=m.group(1)) if key in LABELS else text
    return text


