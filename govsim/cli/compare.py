"""``govsim compare``: budget options side by side, for the finance bureau's meeting.

Runs every option (from ``--options FILE`` and/or ``--option "NAME: path=value; ..."``) through
the pipeline on common random numbers, prints the comparison and writes a folder (default
``results/<scenario>/compare-<UTC time>/``) with ``comparison.xlsx``, ``comparison.csv``,
``replications.csv``, ``comparison.png``, ``comparison.html`` and ``manifest.json``.
``--cap-range START:STOP:STEP`` instead sweeps the relief-cap share through the allocation
alone (no simulation) and writes ``cap_range.csv``, ``.xlsx`` and ``.png``. Money in 万元.
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
    add_workers_option,
    check_counts,
    console,
)
from govsim.compare import (
    Comparison,
    Option,
    cap_range,
    compare,
    load_options,
    parse_cap_range,
    parse_option,
    resolve_options,
    write_cap_range,
    write_comparison,
)
from govsim.errors import OptionError
from govsim.output.cells import num, pct
from govsim.output.charts import format_value
from govsim.output.compare import default_cap_range_dir, default_compare_dir
from govsim.output.excel import cap_range_headers, not_applicable
from govsim.output.folders import prepare_folder
from govsim.output.labels import label
from govsim.output.manifest import command_line
from govsim.pipeline import check_plan_year
from govsim.policy import policy_fields
from govsim.scenario import Scenario, load_scenario

__all__ = ["add_parser", "run"]

DEFAULT_SCENARIO = "guangan"


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "compare", help="compare budget options side by side; export to Excel",
        description="Run budget options of one scenario through the pipeline on common random "
        "numbers (same seed, replications and years) and compare them with the baseline (the "
        "first option): spend by fund (万元), relief-cap use, social-organisation share, "
        "caseworker shortfall, priority-weighted coverage, cases, p90 wait, cost per case, "
        "satisfaction, rule failures, each difference with a paired 95 % interval. Writes "
        "comparison.xlsx, comparison.csv, comparison.png, comparison.html and manifest.json. "
        "With --cap-range, sweep the relief-cap share through the allocation instead.")
    parser.add_argument("scenario", nargs="?", default=None, metavar="SCENARIO",
                        help="scenario file or built-in name (default: the options file's "
                        f"[compare] scenario, else {DEFAULT_SCENARIO})")
    parser.add_argument("--options", type=Path, default=None, metavar="FILE",
                        help="options file (TOML); its first option is the baseline")
    parser.add_argument("--option", action="append", default=[], metavar='"NAME: PATH=VALUE; ..."',
                        help="an option as overrides (repeatable); without --options a "
                        "'baseline' option (the scenario as is) comes first")
    add_run_options(parser, defaults_from="the options file's, else the scenario's")
    add_engine_option(parser)
    add_workers_option(parser, "processes running options in parallel")
    parser.add_argument("--cap-range", default=None, metavar="START:STOP:STEP",
                        help="sweep the relief-cap share (e.g. 0.01:0.05:0.005) through the "
                        "allocation of the baseline option; no simulation")
    parser.add_argument("--year", type=int, default=None,
                        help="plan year of --cap-range (default: the base year)")
    add_lang_option(parser, "chart and HTML")
    add_output_options(parser, "a comparison folder", "results/<scenario>/compare-<UTC time>/",
                       results=True)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_counts(args, ("years", "replications", "rounds", "workers", "seed"))
    file = load_options(args.options) if args.options is not None else None
    inline = [parse_option(text) for text in args.option]
    options = list(file.options) if file else []
    if not options and inline:
        options.append(Option("baseline", title_zh="基准（场景原值）",
                              title_en="Baseline (the scenario as is)"))
    options += inline
    scenario = load_scenario(args.scenario or (file.scenario if file else None)
                             or DEFAULT_SCENARIO)
    if args.cap_range is not None:
        return _cap_range(args, scenario, options)
    if args.year is not None:
        raise OptionError("--year applies to --cap-range only; a comparison runs the whole "
                          "plan horizon (--years)")
    if len(options) < 2:
        raise OptionError("nothing to compare: give --options FILE and/or --option "
                          '"NAME: path=value" (at least one option besides the baseline)')
    settings = {key: getattr(args, key) if getattr(args, key) is not None
                else (getattr(file, key) if file else None)
                for key in ("years", "replications", "seed")}
    # every bad option reported before anything runs (and resolved once: compare reuses them)
    resolved = resolve_options(scenario, options)
    target = prepare_folder(args.out or default_compare_dir(scenario, args.results), "compare",
                            overwrite=args.overwrite, default=args.out is None)
    columns = (TextColumn("comparing options"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("compare", total=len(options))
        comparison = compare(scenario, options, **settings, rounds=args.rounds,
                             solver=args.solver or "highs", objective=args.objective,
                             workers=args.workers, engine=args.engine or "compiled",
                             resolved=resolved,
                             progress=lambda done, total: bar.update(task, completed=done),
                             title_zh=file.title_zh if file else "",
                             title_en=file.title_en if file else "")
    lang = args.lang or scenario.header.lang
    console.print(_summary(comparison, lang))
    folder = write_comparison(comparison, target, lang=args.lang, command=command_line())
    console.print(label("compare.written", lang, folder=folder), markup=False)
    return 0


def _cap_range(args: argparse.Namespace, scenario: Scenario, options: list[Option]) -> int:
    shares = parse_cap_range(args.cap_range)
    if options:
        scenario = resolve_options(scenario, options)[0]
    check_plan_year(scenario, args.year, "--year")
    out = args.out or default_cap_range_dir(scenario, args.results)
    target = prepare_folder(out, "cap-range", overwrite=args.overwrite,
                            default=args.out is None)
    lang = args.lang or scenario.header.lang
    with Progress(TextColumn(label("cap_range.solving", lang)), BarColumn(),
                  MofNCompleteColumn(), console=console, transient=True) as bar:
        task = bar.add_task("cap-range", total=len(shares))
        table = cap_range(scenario, shares, year=args.year, solver=args.solver or "highs",
                          objective=args.objective,
                          progress=lambda done, total: bar.update(task, completed=done))
    console.print(_cap_table(table, scenario, lang))
    folder = write_cap_range(table, scenario, target, lang=lang, command=command_line(),
                             year=args.year)
    console.print(label("cap_range.written", lang, folder=folder), markup=False)
    return 0


def _summary(comparison: Comparison, lang: str) -> Table:
    """Metrics as rows, options as columns, in ``lang``; other options show Δ (shares in
    percentage points) and "n.s." when the paired 95 % interval covers zero (plan metrics
    are not tested); "n/a" where a metric does not apply to an option."""
    table = Table(title=label("cli.compare_title", lang, name=comparison.scenario.name,
                              reps=comparison.replications, seed=comparison.seed),
                  title_justify="left")
    table.add_column(label("compare.metric", lang))
    table.add_column(label("compare.unit", lang))
    names = [o.name for o in comparison.options]
    for i, name in enumerate(names):
        table.add_column(f"{name}\n({label('compare.baseline', lang)})" if i == 0 else name,
                         justify="right")
    data = comparison.table.set_index("option")
    for m in comparison.metrics:
        cells = [m.name(lang, comparison.scenario.policy), label(f"unit.{m.unit}", lang)]
        base_na = not_applicable(m.id, comparison.scenarios[0], lang)
        for i, (name, scenario) in enumerate(zip(names, comparison.scenarios, strict=True)):
            if not_applicable(m.id, scenario, lang):
                cells.append(label("compare.not_applicable", lang))
                continue
            text = format_value(data.at[name, m.id], m.unit, lang=lang)
            if i > 0 and not base_na:
                significant = data.at[name, f"{m.id}_significant"]
                mark = "" if significant is pd.NA or m.kind == "plan" else (
                    "" if significant else " n.s.")
                diff = format_value(data.at[name, f"{m.id}_diff"], m.unit, True, lang)
                text += f"\nΔ {diff}{mark}"
            cells.append(text)
        table.add_row(*cells)
    return table


def _cap_table(frame: pd.DataFrame, scenario: Scenario, lang: str) -> Table:
    """The cap range in ``lang``: headers are the workbook's (``cap_range.col.*``)."""
    columns = ["relief_cap_share", "spend_total_wan", "spend_relief_wan", "coverage_planned",
               "caseworker_shortfall", "gain_per_wan", "binding_scopes"]
    table = Table(title=label("cap_range.terminal_title", lang, name=scenario.name),
                  title_justify="left")
    for text in cap_range_headers(columns, lang, policy_fields(scenario.policy, lang)):
        table.add_column(text, justify="right", overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(pct(row.relief_cap_share), num(row.spend_total_wan),
                      num(row.spend_relief_wan), pct(row.coverage_planned),
                      num(row.caseworker_shortfall),
                      format_value(row.gain_per_wan, "wan"), str(row.binding_scopes))
    return table
