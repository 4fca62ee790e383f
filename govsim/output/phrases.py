"""The year's status, reason and warnings in the reader's language.

The status and reason of ``convergence.csv`` are worded from the row's own columns (``status,
cells_checked, cells_rationed, cells_missed, cells_inconclusive, replications,
replications_to_decide, limiting_cap, money_short_cny, rounds``). Warnings
are data (:class:`govsim.pipeline.backlog.YearWarning`, the rows of ``warnings.csv``: a code,
county and item ids and the figures) worded by :func:`warning_text` from the ``phrase.*``
labels of :mod:`govsim.output.labels` — one table for every language: with display names for a
reader, with ids (and the rule's id) for ``convergence.csv``'s English ``warnings`` column. A
code this module does not know is shown as its code and figures, never dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from govsim.output.cells import MISSING, missing, wan
from govsim.output.labels import label, rule_label

__all__ = ["WARNING_COLUMNS", "cap_name", "explanation_text", "reason_text", "status_words",
           "warning_text"]

#: Columns of ``warnings.csv``: ``figures`` is a JSON object of the warning's numbers.
WARNING_COLUMNS = ["year", "code", "county", "item", "figures"]

_LEAD = re.compile(r"^(?P<county>[\w-]+)(?:/(?P<item>[\w-]+))?: ")

_CAPS = {"relief-cap": "phrase.cap_relief", "child-welfare fund": "phrase.cap_child",
         "welfare-lottery fund": "phrase.cap_lottery", "provider capacity": "phrase.cap_market",
         "total budget": "phrase.cap_total"}


def cap_name(cap: str, lang: str) -> str:
    """A limiting cap's name as the convergence table writes it, in words."""
    key = _CAPS.get(cap.strip())
    return label(key, lang) if key else cap


def status_words(row: Mapping[str, Any], lang: str) -> str:
    """``converged`` / ``unattainable`` / ``not converged`` in words, with the caps and money
    short for an unattainable year."""
    status = row.get("status")
    if not isinstance(status, str):
        status = "converged" if bool(row.get("converged")) else "not converged"
    if status == "unattainable":
        caps = str(row.get("limiting_cap") or "")
        names = [cap_name(c, lang) for c in caps.split(",") if c.strip()] or \
            [label("phrase.cap_market", lang)]
        money = row.get("money_short_cny")
        return label("phrase.unattainable", lang, caps=_join(names, lang), wan=wan(money))
    return label(f"phrase.{status.replace(' ', '_')}", lang) if status in (
        "converged", "not converged") else status


def reason_text(row: Mapping[str, Any], lang: str) -> str:
    """Why the year ended as it did, from the row's counts (checked, rationed, missed cells),
    followed by the cells the check could not decide at the run's replications, if any."""
    def count(name: str) -> str:
        value = row.get(name)
        return MISSING if missing(value) else f"{int(float(value)):,}"

    status = row.get("status")
    # one replication has no interval; a table from before the intervals has no count
    within = row.get("replications")
    within = label("phrase.within_intervals", lang) \
        if not missing(within) and float(within) > 1 else ""
    if status == "converged":
        reason = label("phrase.reason_converged", lang, checked=count("cells_checked"),
                       rounds=count("rounds"), within=within)
    elif status == "unattainable":
        reason = label("phrase.reason_unattainable", lang, checked=count("cells_checked"),
                       rationed=count("cells_rationed"), status=status_words(row, lang),
                       within=within)
    elif status == "not converged":
        reason = label("phrase.reason_not_converged", lang, missed=count("cells_missed"),
                       checked=count("cells_checked"), rounds=count("rounds"))
    else:
        return str(row.get("reason") or "")
    unsure = row.get("cells_inconclusive")
    if missing(unsure) or float(unsure) <= 0:  # none, or a table from before the intervals
        return reason
    return ("；" if lang == "zh" else "; ").join([reason, label(
        "phrase.reason_inconclusive", lang, n=count("cells_inconclusive"),
        replications=count("replications"), need=count("replications_to_decide"))])


def _join(parts: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(parts)


def _fte(fte: float) -> str:
    return f"{fte:,.1f}" if fte >= 0.95 else f"{fte:.2f}"


def _cases(value: float) -> str:
    return f"{value:,.0f}"


def _parts(warning: Any) -> tuple[str, str, str, dict[str, Any]]:
    """(code, county, item, figures) of a :class:`YearWarning` or a ``warnings.csv`` row."""
    if isinstance(warning, Mapping):
        code, county, item, figures = (warning.get(k) for k in ("code", "county", "item",
                                                                "figures"))
    else:
        code, county, item, figures = (warning.code, warning.county, warning.item,
                                       warning.figures)
    if isinstance(figures, str):
        figures = json.loads(figures) if figures.strip() else {}
    def text(value: Any) -> str:
        return "" if missing(value) else str(value)
    return text(code), text(county), text(item), dict(figures or {})


def warning_text(warning: Any, lang: str, counties: Mapping[str, str] | None = None,
                 items: Mapping[str, str] | None = None) -> str:
    """A warning (:class:`~govsim.pipeline.backlog.YearWarning` or a ``warnings.csv`` row) in
    ``lang``. With ``counties``/``items`` (id → display name) it is worded for a reader (rules
    by name); without them with ids and rule ids, as ``convergence.csv`` keeps it."""
    code, county, item, f = _parts(warning)
    ids = counties is None
    counties, items = counties or {}, items or {}
    rule = "prohibited-items" if ids else rule_label("prohibited-items", lang)
    sep = "; " if ids or lang != "zh" else "；"
    if code == "late":
        parts = [label("phrase.late", lang, item=items.get(item, item),
                       county=counties.get(county, county), late=_cases(f["late"]),
                       days=f"{f['days']:g}")]
        if f.get("before") is not None:
            parts.append(label("phrase.backlog", lang, before=_cases(f["before"]),
                               after=_cases(f["after"])))
        if f.get("rationed") is not None:
            parts.append(label("phrase.rationed", lang, rationed=_cases(f["rationed"])))
        money = f.get("money_cny")
        parts.append(label("phrase.stop_nobody" if money is None else "phrase.stop_money",
                           lang, fte=_fte(f["fte"]),
                           wan="" if money is None else wan(money)))
        return sep.join(parts)
    if code == "government_late":
        where = [f"{counties.get(c, c)} {_cases(late)}" for c, late in f["where"]]
        return label("phrase.government_late", lang, item=items.get(item, item),
                     days=f"{f['days']:g}", n=len(where),
                     where=", ".join(where) if ids else _join(where, lang),
                     fte=_fte(f["fte"]), rule=rule)
    if code == "establishment_short":
        names = [items.get(i, i) for i in f["items"]]
        return label("phrase.posts_short", lang, county=counties.get(county, county),
                     items=", ".join(names) if ids else _join(names, lang),
                     need=f"{f['need']:,.1f}", rho=f"{f['rho']:.0%}",
                     assigned=f"{f['assigned']:,.1f}", short=f"{f['short']:,.1f}", rule=rule)
    return " ".join(p for p in (code, county, item, json.dumps(f, ensure_ascii=False)) if p)


def explanation_text(text: str, counties: Mapping[str, str], items: Mapping[str, str]) -> str:
    """An explanation sentence (``explanations.csv``) with its leading ``county/item:`` ids
    replaced by display names (the Chinese text already names them)."""
    m = _LEAD.match(text)
    if m is None or m.group("county") not in counties:
        return text
    where = counties[m.group("county")]
    if m.group("item"):
        where += " / " + items.get(m.group("item"), m.group("item"))
    return f"{where}: {text[m.end():]}"
