"""``govsim budget``: money needed per county and plan year against the caps, and its 80 % band.

Checks every option and the output folder first, computes the money-needed table
(:func:`govsim.budget.money_needed`; with ``--uncertainty N`` also N Latin-hypercube samples of
the scenario's uncertain inputs, :func:`govsim.uncertainty.budget_uncertainty`), writes the
folder (:func:`govsim.output.budget.write_budget`) and prints the table in the chosen language.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from govsim.budget import check_coverage_target, money_needed, plan_years, with_coverage_target
from govsim.cli._common import (
    add_lang_option,
    add_output_options,
    add_scenario_argument,
    add_workers_option,
    check_counts,
    console,
)
from govsim.output.budget import write_budget
from govsim.output.cells import MISSING, num, pct, wan, wan_range
from govsim.output.figure import display_names, resolve_lang
from govsim.output.folders import prepare_folder
from govsim.output.labels import label
from govsim.output.manifest import command_line
from govsim.output.report import default_run_dir
from govsim.scenario import Scenario, load_scenario
from govsim.uncertainty import budget_uncertainty, check_samples, with_bands
from govsim.uncertainty.analysis import SRRC_SAMPLES_PER_TERM

__all__ = ["add_parser", "budget_command", "print_money_needed", "print_uncertainty"]

#: Items named per row of the terminal table (the CSV has them all).
ITEMS_SHOWN = 2


def add_parser(sub: argparse._SubParsersAction) -> None:
    from govsim.allocation import SOLVERS  # late: keeps `govsim --help` light

    parser = sub.add_parser(
        "budget", help="money needed per county and year against the caps (with an 80 %% band)",
        description="Money needed: per county and plan year, the least money that clears the "
        "statutory work, meets the staffing rules (2 per mille caseworkers, child-welfare "
        "staff) and the coverage target; what the caps allow; the gap; what the capped plan "
        "leaves unserved. With --uncertainty N, N Latin-hypercube samples of the scenario's "
        "[[uncertainty]] inputs give 80 %% bands and the inputs that drive them.")
    add_scenario_argument(parser)
    parser.add_argument("--years", type=int, default=None,
                        help="plan years (default: the scenario's horizon_years)")
    parser.add_argument("--coverage-target", type=float, default=None, metavar="SHARE",
                        help="share of each item's need to serve, 0-1 (default: the "
                        "scenario's policy.coverage_target)")
    parser.add_argument("--uncertainty", type=int, default=None, metavar="N",
                        help="sample the scenario's uncertain inputs N times (Latin "
                        "hypercube) for 80 %% bands and drivers")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the sample design (default: the scenario's)")
    parser.add_argument("--solver", choices=SOLVERS, default="highs", help="default highs")
    parser.add_argument("--whole-posts", action="store_true",
                        help="buy whole posts as the scenario's integer_posts says (a MILP; "
                        "slower); default: linear programs, the least money")
    add_workers_option(parser)
    add_lang_option(parser, "chart and terminal table")
    add_output_options(parser, "a money-needed folder",
                       "results/<scenario>/budget-<UTC time>-<hash>/", results=True)
    parser.set_defaults(func=budget_command)


def budget_command(args: argparse.Namespace) -> int:
    started = datetime.now(UTC)
    check_counts(args, ("years", "seed", "workers"))
    scenario = load_scenario(args.scenario)
    if args.coverage_target is not None:
        check_coverage_target(args.coverage_target)
    plan_years(scenario, args.years)
    if args.uncertainty is not None:
        check_samples(args.uncertainty, scenario)
    scenario = with_coverage_target(scenario, args.coverage_target)
    lang = resolve_lang(scenario, args.lang)
    out = args.out
    if out is None:
        run_dir = default_run_dir(scenario, args.results)
        out = run_dir.parent / f"budget-{run_dir.name}"
    target = prepare_folder(out, "budget", overwrite=args.overwrite, default=args.out is None)
    for warning in scenario.warnings:
        console.print(f"warning: {warning.format()}", style="yellow", markup=False)
    clock = time.perf_counter()
    result = money_needed(scenario, args.years, solver=args.solver, whole_posts=args.whole_posts)
    uncertainty = None
    if args.uncertainty is not None:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("samples", total=args.uncertainty)
            uncertainty = budget_uncertainty(
                scenario, args.uncertainty, args.seed, years=args.years, solver=args.solver,
                whole_posts=args.whole_posts, workers=args.workers, point=result,
                progress=lambda done, total: bar.update(task, completed=done))
        result = with_bands(result, uncertainty)
    seconds = time.perf_counter() - clock
    options = {"years": len(result.years), "solver": args.solver,
               "whole_posts": args.whole_posts, "uncertainty": args.uncertainty,
               "seed": uncertainty.seed if uncertainty is not None else None,
               "workers": args.workers}
    folder = write_budget(result, target, uncertainty=uncertainty, lang=lang, options=options,
                          command=command_line(sys.argv), started=started)
    print_money_needed(result.table, scenario, lang, result.unattainable)
    if uncertainty is not None:
        print_uncertainty(uncertainty.bands, uncertainty.drivers, uncertainty.samples, lang)
    console.print(label("budget.written", lang, folder=f"{folder}/") + f"  ({seconds:.1f} s)",
                  markup=False)
    return 0


def print_money_needed(table: pd.DataFrame, scenario: Scenario, lang: str,
                       unattainable: list[tuple[int, str, str, float]] | None = None) -> None:
    """The money-needed table in one language (and the cells no money can bring to the
    target)."""
    counties = display_names(scenario, "counties", lang)
    items = display_names(scenario, "items", lang)
    banded = table["need_cny_p10"].notna().any()
    out = Table(title=label("budget.table_title", lang), title_justify="left")
    heads = ["budget.year", "budget.county", "budget.need_wan", "budget.cap_wan",
             "budget.gap_wan"]
    heads += ["budget.band_wan", "budget.gap_band_wan"] if banded else []
    heads += ["budget.unserved_hours", "budget.unserved_cases", "budget.staff_short",
              "budget.unserved_items"]
    for key in heads:
        if key == "budget.unserved_items":  # the CSV has them all; one line per row here
            out.add_column(label(key, lang), no_wrap=True, overflow="ellipsis", max_width=36)
        else:
            out.add_column(label(key, lang), justify="left" if key == "budget.county"
                           else "right")
    for row in table.itertuples(index=False):
        name = counties.get(row.county, row.county) if row.county else \
            label("plot.prefecture", lang)
        cells = [str(row.year), name, wan(row.need_cny, 0), wan(row.cap_cny, 0),
                 wan(row.gap_cny, 0)]
        if banded:
            cells += [wan_range(row.need_cny_p10, row.need_cny_p90, 0),
                      wan_range(row.gap_cny_p10, row.gap_cny_p90, 0)]
        shown = [items.get(i, i) for i in str(row.unserved_items).split(";") if i][:ITEMS_SHOWN]
        cells += [num(row.unserved_hours, 0), num(row.unserved_cases, 0),
                  num(row.staff_short), "、".join(shown) if lang == "zh"
                  else ", ".join(shown)]
        out.add_row(*cells, end_section=row.county == "")
    console.print(out)
    if unattainable:
        hours = sum(cell[3] for cell in unattainable)
        console.print(label("budget.unattainable", lang, n=len(unattainable),
                            hours=f"{hours:,.0f}"),
                      markup=False, soft_wrap=True)


def print_uncertainty(bands: pd.DataFrame, drivers_table: pd.DataFrame, samples: int,
                      lang: str) -> None:
    """The prefecture's 80 % bands and the top three drivers of each metric."""
    bands = bands[bands["county"] == ""]
    out = Table(title=label("uncertainty.table_title", lang, n=samples),
                title_justify="left")
    for key in ("uncertainty.metric", "budget.year"):
        out.add_column(label(key, lang))
    for head in ("p10", "p50", "p90"):
        out.add_column(head, justify="right")
    out.add_column(label("uncertainty.point", lang), justify="right")
    out.add_column(label("uncertainty.point_percentile", lang), justify="right")
    for row in bands.itertuples(index=False):
        fmt = _band_format(str(row.metric))
        where = getattr(row, "point_percentile", None)
        # a row without a year is the plan horizon's total (the band of each sample's total)
        out.add_row(label(f"metric.{row.metric}", lang),
                    label("report.all_years", lang) if pd.isna(row.year) else str(row.year),
                    fmt(row.p10), fmt(row.p50), fmt(row.p90), fmt(row.point),
                    MISSING if where is None or pd.isna(where) else f"{float(where):g}")
    console.print(out)
    if drivers_table.empty:
        return
    inputs = drivers_table["input"].nunique()
    if samples < SRRC_SAMPLES_PER_TERM * (inputs + 1):  # srrc leaves them missing
        console.print(label("uncertainty.drivers_too_few", lang, n=samples, d=inputs,
                            need=SRRC_SAMPLES_PER_TERM * (inputs + 1)))
        return
    drivers = Table(title=label("uncertainty.drivers_title", lang), title_justify="left")
    for key in ("uncertainty.metric", "uncertainty.input", "uncertainty.index",
                "uncertainty.r2"):
        drivers.add_column(label(key, lang), justify="right" if key in (
            "uncertainty.index", "uncertainty.r2") else "left")
    for metric, group in drivers_table.groupby("metric", sort=False):
        for k, row in enumerate(group.head(3).itertuples(index=False)):
            drivers.add_row(label(f"metric.{metric}", lang) if k == 0 else "", row.input,
                            num(row.index, 2), num(row.r2, 2) if k == 0 else "")
    console.print(drivers)


def _band_format(metric: str) -> Callable[[object], str]:
    if metric.endswith("_cny"):
        return lambda v: wan(v, 0)
    if metric == "coverage":
        return pct
    return num
