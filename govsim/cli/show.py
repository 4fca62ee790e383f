"""``govsim show [SCENARIO]``: a readable summary of a scenario and what the rules require."""

from __future__ import annotations

import argparse

from rich import box
from rich.table import Table

from govsim.cli._common import add_scenario_argument, console, wan
from govsim.policy import caseworkers_required, child_staff_required, relief_cap_limits
from govsim.scenario import Scenario, load_scenario


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("show", help="summarise a scenario: counties, 2 ‰ rule, caps",
                            description="Counties with population and recipients, caseworkers "
                            "required by the 2 ‰ rule against those in post, the relief cap in "
                            "万元, and child-welfare staff required against those in post.")
    add_scenario_argument(parser)
    parser.add_argument("--items", action="store_true", help="also list the service catalogue")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    header = scenario.header
    console.print(f"[bold]{header.title_zh or header.name}[/bold]  {header.title_en}")
    console.print(f"scenario {scenario.name}, base year {header.base_year}, "
                  f"{header.horizon_years} plan years, hash {scenario.content_hash()[:12]}")
    console.print(county_table(scenario))
    if args.items:
        console.print(item_table(scenario))
    for warning in scenario.warnings:
        console.print(f"[yellow]{warning.format()}[/yellow]")
    return 0


def county_table(scenario: Scenario) -> Table:
    policy = scenario.policy
    caps = relief_cap_limits(scenario)
    table = Table(title=f"Counties 县: caseworkers ≥ {policy.caseworker_ratio * 1000:g} ‰ of "
                        f"dibao+tekun; relief cap {policy.relief_cap_share:.1%} of last year's "
                        "relief fund", box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("县 county", no_wrap=True)
    for name in ("人口\npeople", "低保\ndibao", "特困\ntekun", "需配\nneed", "在岗\npost",
                 "缺口\ngap", "上限万元\ncap", "儿童需配\nchild", "在岗\npost"):
        table.add_column(name, justify="right", no_wrap=True)
    totals = [0.0] * 9
    for county in scenario.counties:
        need = caseworkers_required(county, policy.caseworker_ratio)
        cap = caps.get(county.id, policy.relief_cap_share * county.relief_fund_last_year)
        values = [county.population, county.dibao, county.tekun, need,
                  county.public_caseworkers, max(0, need - county.public_caseworkers), cap,
                  child_staff_required(county, policy.child_staff_per_unit),
                  county.child_welfare_directors]
        totals = [t + v for t, v in zip(totals, values, strict=True)]
        table.add_row(f"{county.name_zh} {county.id}", *_cells(values))
    table.add_section()
    table.add_row("合计 total", *_cells(totals), style="bold")
    if "prefecture" in caps:
        table.caption = f"cap pooled over the prefecture: {wan(caps['prefecture'])} 万元"
    return table


def _cells(values: list[float]) -> list[str]:
    return [wan(v) if i == 6 else f"{int(v):,}" for i, v in enumerate(values)]


def item_table(scenario: Scenario) -> Table:
    table = Table(title="Service items 服务事项")
    for name in ("item", "名称", "kind", "fund", "driver", "rate/yr", "hours", "priority",
                 "counts toward"):
        table.add_column(name)
    for item in scenario.items:
        table.add_row(item.id, item.name_zh, item.kind, item.fund, "+".join(item.driver),
                      f"{item.rate:g}", f"{item.mean_hours:g}", f"{item.priority:g}",
                      item.counts_toward)
    return table
