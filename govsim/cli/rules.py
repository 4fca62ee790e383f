"""``govsim rules``: the policy rules govsim encodes, with their source clauses.

The terminal table is in one language (``--lang``; default the built-in scenario's): the rule's
text, its value in words with its unit, the source cited by document title and clause
(:func:`govsim.citations.cite`) and where the model acts on it. ``--markdown`` prints the
bilingual table of ``docs/rules.md``.
"""

from __future__ import annotations

import argparse

from rich.table import Table

from govsim.cli._common import add_lang_option, console
from govsim.policy import RULES, WAN, Rule, per_mille, percent


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("rules", help="list the policy rules and their sources",
                            description="The policy rules as data (govsim/data/rules.toml).")
    parser.add_argument("--markdown", action="store_true",
                        help="print the Markdown table of docs/rules.md")
    add_lang_option(parser, "table")
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
    from govsim.citations import cite
    from govsim.output.labels import label

    lang = args.lang or _default_lang()
    table = Table(title=label("cli.rules_title", lang))
    for key in ("rule_id", "rule_value", "rule_text", "rule_source", "rule_modelled"):
        table.add_column(label(f"cli.{key}", lang), overflow="fold")
    for r in RULES.values():
        where = label(f"modelled.{r.modelled}", lang) + (
            f"\n[mechanisms.{r.mechanism}]" if r.mechanism else "")
        table.add_row(r.id, rule_value_text(r, lang), r.text_zh if lang == "zh" else r.text_en,
                      cite(r.source, lang), where)
    console.print(table, markup=False)
    return 0


def rule_value_text(r: Rule, lang: str) -> str:
    """A rule's value in words with its unit: ``上年社会救助专项资金支出的3%``, ``at least 30%``."""
    from govsim.output.labels import LABELS, label

    value = r.value
    if isinstance(value, str):
        if r.id == "annual-report" and len(value) == 5 and value[2] == "-":
            return label("rule_value.annual-report", lang, month=int(value[:2]),
                         day=int(value[3:]))
        return label(f"value.{value}", lang) if f"value.{value}" in LABELS else value
    if r.id == "caseworker-ratio":
        text = per_mille(float(value), lang)
    elif r.id in ("relief-cap", "social-org-share"):
        text = percent(float(value))
    elif r.id == "post-prices":
        text = f"{float(value) / WAN:g}" if lang == "zh" else f"{float(value):,.0f}"
    else:
        text = f"{value:g}"
    key = f"rule_value.{r.id}"
    return label(key, lang, v=text) if key in LABELS else text


def _default_lang() -> str:
    """The built-in default scenario's language (``govsim rules`` takes no scenario)."""
    from govsim.scenario import load_scenario

    return load_scenario("guangan").header.lang
