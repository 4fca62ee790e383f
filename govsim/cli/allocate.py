"""``govsim allocate``: solve one year's allocation, write its tables (:mod:`govsim.output.tables`),
print a summary."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from rich.table import Table

from govsim.allocation import SOLVERS, AllocationResult, allocate
from govsim.cli._common import add_output_options, add_scenario_argument, console, wan
from govsim.output.folders import prepare_folder
from govsim.output.manifest import command_line
from govsim.output.tables import write_allocation
from govsim.pipeline import check_plan_year
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
    add_output_options(parser, "an allocation folder (CSV files and manifest.json)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    started = datetime.now(UTC)
    scenario = load_scenario(args.scenario)
    year = check_plan_year(scenario, args.year, "--year")
    target = prepare_folder(args.out, "allocate", overwrite=args.overwrite) \
        if args.out is not None else None
    result = allocate(scenario, year=year, objective=args.objective, solver=args.solver,
                      integer_posts=args.integer_posts, demand=args.demand)
    folder = write_allocation(result, scenario, target, started=started,
                              command=command_line(sys.argv)) if target is not None else None
    _print_summary(result, scenario)
    if folder is not None:
        console.print(f"wrote {folder}", markup=False)
    return 0


def _print_summary(result: AllocationResult, scenario: Scenario) -> None:
    console.print(f"[bold]{scenario.name}[/bold] {result.year}: {result.objective} with "
                  f"{result.solver} — {result.status.value}")
    for goal in result.goals.itertuples(index=False):
        console.print(f"  goal {goal.order} {goal.goal}: {goal.value:,.1f} {goal.unit}",
                      markup=False)
    caps = result.constraints[result.constraints["rule"] == "relief-cap"].set_index("scope")
    spend = result.allocation.groupby("county")["cost"].sum()
    staff = result.staffing.set_index(["county", "rule"])
    table = Table(title="spend (contracts in force included) vs relief cap (万元) and "
                        "caseworkers vs the staffing rule (people)")
    for column in ("county", "spend", "relief spend", "cap", "万元 shadow", "caseworkers",
                   "required", "short"):
        table.add_column(column, justify="left" if column == "county" else "right")
    for county in scenario.counties:
        cap = caps.loc[county.id] if county.id in caps.index else None
        cw = staff.loc[(county.id, "caseworker-ratio")]
        table.add_row(county.id, wan(spend.get(county.id, 0.0)),
                      wan(cap["value"]) if cap is not None else "-",
                      wan(cap["limit"]) if cap is not None else "-",
                      f"{cap['shadow_price_per_10k_cny']:,.1f}" if cap is not None else "-",
                      _people(cw["in_post"] + cw["purchased"]), str(int(cw["required"])),
                      _people(cw["shortfall"]))
    console.print(table)
    for text in result.explanations["text_en" if scenario.header.lang == "en" else "text_zh"]:
        console.print(f"• {text}", markup=False, soft_wrap=True)
    fails = result.compliance[result.compliance["status"] == "fail"]
    if len(fails):
        console.print(f"compliance: {len(fails)} rule(s) fail: "
                      + ", ".join(f"{r}[{s}]" for r, s in zip(fails["rule"], fails["scope"],
                                                              strict=True)), markup=False)


def _people(value: float) -> str:
    """Whole people as integers; fractional FTE (``integer_posts = false``) with a decimal."""
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-6 else f"{value:,.1f} FTE"
