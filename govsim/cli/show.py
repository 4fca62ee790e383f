"""``govsim show [SCENARIO]``: a readable summary of a scenario and what the rules require.

In one language (``--lang``; default the scenario's): words from :mod:`govsim.output.labels`
(``cli.show_*``, ``cli.item_*``), policy numbers in the titles from the scenario's ``[policy]``,
counties and items by their display names (ids beside them, to type in overrides).
"""

from __future__ import annotations

import argparse

from rich import box
from rich.table import Table

from govsim.cli._common import add_lang_option, add_scenario_argument, console
from govsim.output.cells import wan
from govsim.output.figure import display_names, resolve_lang
from govsim.output.labels import LABELS, label
from govsim.policy import (
    caseworkers_required,
    child_staff_required,
    policy_fields,
    relief_cap_limits,
)
from govsim.scenario import Scenario, load_scenario


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("show", help="summarise a scenario: counties, staffing rules, caps",
                            description="Counties with population and recipients, caseworkers "
                            "required by the scenario's caseworker ratio against those in "
                            "post, the relief cap in 10,000 CNY, and child-welfare staff "
                            "required against those in post.")
    add_scenario_argument(parser)
    parser.add_argument("--items", action="store_true", help="also list the service catalogue")
    add_lang_option(parser, "tables")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    lang = resolve_lang(scenario, args.lang)
    header = scenario.header
    title = (header.title_zh if lang == "zh" else header.title_en) or header.name
    console.print(f"[bold]{title}[/bold]")
    console.print(label("cli.show_facts", lang, name=scenario.name, base_year=header.base_year,
                        years=header.horizon_years, hash=scenario.content_hash()[:12]),
                  markup=False)
    console.print(county_table(scenario, lang))
    if args.items:
        console.print(item_table(scenario, lang))
    for warning in scenario.warnings:
        console.print(f"[yellow]{warning.format()}[/yellow]")
    return 0


def county_table(scenario: Scenario, lang: str = "zh") -> Table:
    policy = scenario.policy
    caps = relief_cap_limits(scenario)
    names = display_names(scenario, "counties", lang)
    table = Table(title=label("cli.show_title", lang, **policy_fields(policy, lang)),
                  box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column(label("cli.show_county", lang), no_wrap=True)
    for key in ("population", "dibao", "tekun", "need", "post", "gap", "cap", "child",
                "child_post"):
        table.add_column(label(f"cli.show_{key}", lang), justify="right")
    totals = [0.0] * 9
    for county in scenario.counties:
        need = caseworkers_required(county, policy.caseworker_ratio)
        cap = caps.get(county.id, policy.relief_cap_share * county.relief_fund_last_year)
        values = [county.population, county.dibao, county.tekun, need,
                  county.public_caseworkers, max(0, need - county.public_caseworkers), cap,
                  child_staff_required(county, policy.child_staff_per_unit),
                  county.child_welfare_directors]
        totals = [t + v for t, v in zip(totals, values, strict=True)]
        table.add_row(f"{names[county.id]} {county.id}", *_cells(values))
    table.add_section()
    table.add_row(label("cli.show_total", lang), *_cells(totals), style="bold")
    if "prefecture" in caps:
        table.caption = label("cli.show_pooled", lang, wan=wan(caps["prefecture"]))
    return table


def _cells(values: list[float]) -> list[str]:
    return [wan(v) if i == 6 else f"{int(v):,}" for i, v in enumerate(values)]


def _word(prefix: str, value: str, lang: str) -> str:
    key = f"{prefix}.{value}"
    return label(key, lang) if key in LABELS else value


def item_table(scenario: Scenario, lang: str = "zh") -> Table:
    names = display_names(scenario, "items", lang)
    table = Table(title=label("cli.items_title", lang))
    for key in ("id", "name", "kind", "fund", "driver", "rate", "hours", "priority", "counts"):
        table.add_column(label(f"cli.item_{key}", lang))
    join = "＋" if lang == "zh" else " + "
    for item in scenario.items:
        table.add_row(item.id, names[item.id], _word("kind", item.kind, lang),
                      label(f"xlsx.fund_{item.fund}", lang),
                      join.join(_word("driver", d, lang) for d in item.driver),
                      f"{item.rate:g}", f"{item.mean_hours:g}", f"{item.priority:g}",
                      _word("counts", item.counts_toward, lang))
    return table
