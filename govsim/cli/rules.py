"""``govsim rules``: the policy rules govsim encodes, with their source clauses."""

from __future__ import annotations

import argparse

from rich.table import Table

from govsim.cli._common import console
from govsim.policy import RULES


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("rules", help="list the policy rules and their sources",
                            description="The policy rules as data (govsim/data/rules.toml).")
    parser.add_argument("--markdown", action="store_true",
                        help="print the Markdown table of docs/rules.md")
    parser.set_defaults(func=run)


def rules_markdown() -> str:
    """The rules table of ``docs/rules.md``, generated from the data."""
    lines = ["| id | value | unit | rule | 规则 | source | modelled | how |",
             "|---|---|---|---|---|---|---|---|"]
    for r in RULES.values():
        how = r.how + (f" (switch: `[mechanisms.{r.mechanism}]`)" if r.mechanism else "")
        cells = [f"`{r.id}`", str(r.value), r.unit, r.text_en, r.text_zh, r.source, r.modelled,
                 how]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    if args.markdown:
        print(rules_markdown(), end="")
        return 0
    table = Table(title="Policy rules 政策规则")
    for name in ("id", "value", "rule", "source", "modelled 建模"):
        table.add_column(name, overflow="fold")
    for r in RULES.values():
        where = r.modelled + (f"\n[mechanisms.{r.mechanism}]" if r.mechanism else "")
        table.add_row(r.id, str(r.value), f"{r.text_zh}\n{r.text_en}", r.source, where)
    console.print(table)
    return 0
