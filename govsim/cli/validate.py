"""``govsim validate FILE...``: check scenario files and report every problem at once."""

from __future__ import annotations

import argparse

from govsim.cli._common import console, console_err, print_error
from govsim.errors import ScenarioError
from govsim.scenario import load_scenario


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("validate", help="check scenario files (exit 2 if any is invalid)",
                            description="Check scenario files against the schema and the policy "
                            "rules; print every problem with file, line, field and rule id.")
    parser.add_argument("files", nargs="+", metavar="FILE", help="scenario files or built-ins")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    status = 0
    for name in args.files:
        try:
            scenario = load_scenario(name)
        except ScenarioError as exc:
            print_error(exc)
            status = 2
            continue
        for warning in scenario.warnings:
            console_err.print(warning.format(), style="yellow", markup=False, soft_wrap=True)
        console.print(f"{name}: ok ({scenario.name}, {len(scenario.counties)} counties, "
                      f"{len(scenario.items)} items, hash {scenario.content_hash()[:12]})",
                      markup=False)
    return status
