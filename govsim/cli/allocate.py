"""``govsim allocate``: solve one year's allocation, write its tables (:mod:`govsim.output.tables`),
print a summary in one language (``--lang``; default the scenario's): words from
:mod:`govsim.output.labels` (``cli.alloc_*``, ``goal.*``), counties and rules by name."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from rich.table import Table

from govsim.allocation import SOLVERS, AllocationResult, allocate
from govsim.cli._common import (
    add_lang_option,
    add_output_options,
    add_scenario_argument,
    console,
)
from govsim.output.cells import MISSING, num, wan
from govsim.output.figure import display_names, resolve_lang
from govsim.output.first_screen import rule_name
from govsim.output.folders import prepare_folder
from govsim.output.labels import LABELS, label
from govsim.output.manifest import command_line
from govsim.output.phrases import explanation_text
from govsim.output.tables import write_allocation
from govsim.pipeline import check_plan_year
from govsim.policy import policy_fields
from govsim.scenario import Scenario, load_scenario

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "allocate", help="allocate one year's purchase budget under the caps (PuLP)",
        description="Solve the allocation LP for one plan year: purchases per county, item and "
        "provider type under the relief cap, social-organisation share, staffing rules, markets "
        "and funds; write allocation, staffing, compliance, constraints and explanations.")
    add_scenario_argument(parser)
    parser.add_argument("--year", type=int, default=None, help="calendar plan year "
                        "(default: the scenario's base year)")
    parser.add_argument("--objective", choices=["ordered_goals", "min_cost"], default=None,
                        help="default: the scenario's policy.objective")
    parser.add_argument("--solver", default="highs", help=f"one of {', '.join(SOLVERS)}")
    parser.add_argument("--integer-posts", action="store_true", default=None,
                        help="buy whole posts (a MILP)")
    parser.add_argument("--demand", choices=["mean", "quantile"], default="mean",
                        help="cover expected cases or their 90 %% quantile")
    add_lang_option(parser, "summary")
    add_output_options(parser, "an allocation folder (CSV files and manifest.json)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    started = datetime.now(UTC)
    scenario = load_scenario(args.scenario)
    lang = resolve_lang(scenario, args.lang)
    year = check_plan_year(scenario, args.year, "--year")
    target = prepare_folder(args.out, "allocate", overwrite=args.overwrite) \
        if args.out is not None else None
    result = allocate(scenario, year=year, objective=args.objective, solver=args.solver,
                      integer_posts=args.integer_posts, demand=args.demand)
    folder = write_allocation(result, scenario, target, started=started,
                              command=command_line(sys.argv)) if target is not None else None
    _print_summary(result, scenario, lang)
    if folder is not None:
        console.print(label("cli.wrote", lang, folder=folder), markup=False)
    return 0


def _word(key: str, lang: str, fallback: str) -> str:
    return label(key, lang) if key in LABELS else fallback


def _print_summary(result: AllocationResult, scenario: Scenario, lang: str) -> None:
    console.print(label("cli.alloc_head", lang, name=scenario.name, year=result.year,
                        objective=_word(f"objective.{result.objective}", lang, result.objective),
                        solver=result.solver,
                        status=_word(f"status.{result.status.value}", lang,
                                     result.status.value)), markup=False)
    for goal in result.goals.itertuples(index=False):
        value = f"{goal.value:,.1f}"
        key = f"goal.{goal.goal}"
        text = label(key, lang, value=value) if key in LABELS else \
            f"{goal.goal}: {value} {goal.unit}"
        console.print(label("cli.goal_line", lang, order=goal.order, text=text), markup=False)
    caps = result.constraints[result.constraints["rule"] == "relief-cap"].set_index("scope")
    spend = result.allocation.groupby("county")["cost"].sum()
    staff = result.staffing.set_index(["county", "rule"])
    counties = display_names(scenario, "counties", lang)
    table = Table(title=label("cli.alloc_title", lang))
    for key in ("county", "spend", "relief", "cap", "buys", "caseworkers", "required",
                "short"):
        table.add_column(label(f"cli.alloc_{key}", lang),
                         justify="left" if key == "county" else "right")
    for county in scenario.counties:
        cap = caps.loc[county.id] if county.id in caps.index else None
        cw = staff.loc[(county.id, "caseworker-ratio")]
        table.add_row(counties[county.id], wan(spend.get(county.id, 0.0)),
                      wan(cap["value"]) if cap is not None else MISSING,
                      wan(cap["limit"]) if cap is not None else MISSING,
                      num(cap["hours_per_10k_cny"], 0) if cap is not None else MISSING,
                      _people(cw["in_post"] + cw["purchased"], lang), str(int(cw["required"])),
                      _people(cw["shortfall"], lang))
    console.print(table)
    items = display_names(scenario, "items", lang)
    for text in result.explanations["text_zh" if lang == "zh" else "text_en"]:
        console.print(f"• {explanation_text(str(text), counties, items)}", markup=False,
                      soft_wrap=True)
    fails = result.compliance[result.compliance["status"] == "fail"]
    if len(fails):
        fields = policy_fields(scenario.policy, lang)
        where = [f"{rule_name(r, lang, fields)}（{counties.get(s, s)}）" if lang == "zh" else
                 f"{rule_name(r, lang, fields)} ({counties.get(s, s)})"
                 for r, s in zip(fails["rule"], fails["scope"], strict=True)]
        console.print(label("cli.alloc_fails", lang, n=len(fails),
                            list=("、" if lang == "zh" else ", ").join(where)), markup=False,
                      soft_wrap=True)


def _people(value: float, lang: str) -> str:
    """Whole people as integers; fractional FTE (``integer_posts = false``) with a decimal."""
    if abs(value - round(value)) < 1e-6:
        return f"{value:,.0f}"
    return label("cli.fte", lang, value=f"{value:,.1f}")
