"""The year's status, reason and warnings of ``convergence.csv`` in the reader's language.

The pipeline writes one English sentence per warning and a reason per year (the CSV keeps them
for developers). A reader sees them in the report's and the terminal's language: the status
and reason are worded from the row's own columns (``status, cells_checked, cells_rationed,
cells_missed, limiting_cap, money_short_cny, rounds``), the warnings from the pieces of their
sentence (county and item by display name). A sentence of an unknown shape is shown as it is.
Words live in :mod:`govsim.output.labels` (``phrase.*``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from govsim.output.labels import label

__all__ = ["cap_name", "explanation_text", "reason_text", "status_words", "warning_text"]

WAN = 1e4

_LATE = re.compile(
    r"^(?P<item>[\w-]+) in (?P<county>[\w-]+): (?P<late>[\d,.]+) cases past the "
    r"(?P<days>[\d.]+)-day deadline \(served late or still waiting at year end\)"
    r"(?:; backlog (?P<before>[\d,.]+) → (?P<after>[\d,.]+))?"
    r"(?:; the plan leaves (?P<rationed>[\d,.]+) cases' work unstaffed)?"
    r"; about (?P<fte>[\d,.]+) more FTE"
    r"(?: \((?P<money>[\d,.]+) 万元 a year\) would stop it| would stop it \(no provider offers "
    r"it here\))$")
_GOV = re.compile(
    r"^(?P<item>[\w-]+) \(government-only\): cases past the (?P<days>[\d.]+)-day deadline in "
    r"(?P<n>\d+) counties \((?P<where>[^)]*)\); about (?P<fte>[\d,.]+) more FTE of establishment "
    r"staff in all would stop it \(not purchasable: prohibited-items\)$")
_POSTS = re.compile(
    r"^(?P<county>[\w-]+): government-only duties \((?P<items>[^)]*)\) need (?P<need>[\d,.]+) "
    r"FTE of establishment staff at the (?P<rho>[\d.]+%) utilisation target; "
    r"(?P<assigned>[\d,.]+) in post for them, (?P<short>[\d,.]+) short \(they may not be "
    r"purchased: prohibited-items\)$")

_LEAD = re.compile(r"^(?P<county>[\w-]+)(?:/(?P<item>[\w-]+))?: ")

_CAPS = {"relief-cap": "phrase.cap_relief", "child-welfare fund": "phrase.cap_child",
         "welfare-lottery fund": "phrase.cap_lottery", "provider capacity": "phrase.cap_market",
         "total budget": "phrase.cap_total"}


def cap_name(cap: str, lang: str) -> str:
    """A limiting cap's name as the convergence table writes it, in words."""
    key = _CAPS.get(cap.strip())
    return label(key, lang) if key else cap


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


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
        wan = "—" if _missing(money) else f"{float(money) / WAN:,.1f}"
        return label("phrase.unattainable", lang, caps=_join(names, lang), wan=wan)
    return label(f"phrase.{status.replace(' ', '_')}", lang) if status in (
        "converged", "not converged") else status


def reason_text(row: Mapping[str, Any], lang: str) -> str:
    """Why the year ended as it did, from the row's counts (checked, rationed, missed cells)."""
    def count(name: str) -> str:
        value = row.get(name)
        return "—" if _missing(value) else f"{int(float(value)):,}"

    status = row.get("status")
    if status == "converged":
        return label("phrase.reason_converged", lang, checked=count("cells_checked"),
                     rounds=count("rounds"))
    if status == "unattainable":
        return label("phrase.reason_unattainable", lang, checked=count("cells_checked"),
                     rationed=count("cells_rationed"), status=status_words(row, lang))
    if status == "not converged":
        return label("phrase.reason_not_converged", lang, missed=count("cells_missed"),
                     checked=count("cells_checked"), rounds=count("rounds"))
    return str(row.get("reason") or "")


def _join(parts: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(parts)


def warning_text(text: str, lang: str, counties: Mapping[str, str],
                 items: Mapping[str, str]) -> str:
    """One warning sentence of ``convergence.csv`` in ``lang`` with display names."""
    text = text.strip()
    if m := _LATE.match(text):
        g = m.groupdict()
        parts = [label("phrase.late", lang, item=items.get(g["item"], g["item"]),
                       county=counties.get(g["county"], g["county"]), late=g["late"],
                       days=g["days"])]
        if g["before"]:
            parts.append(label("phrase.backlog", lang, before=g["before"], after=g["after"]))
        if g["rationed"]:
            parts.append(label("phrase.rationed", lang, rationed=g["rationed"]))
        parts.append(label("phrase.stop_money" if g["money"] else "phrase.stop_nobody", lang,
                           fte=g["fte"], wan=g["money"] or ""))
        return ("；" if lang == "zh" else "; ").join(parts)
    if m := _GOV.match(text):
        g = m.groupdict()
        where = []
        for piece in g["where"].split(", "):
            county, _, late = piece.rpartition(" ")
            where.append(f"{counties.get(county, county)} {late}")
        return label("phrase.government_late", lang, item=items.get(g["item"], g["item"]),
                     days=g["days"], n=g["n"], where=_join(where, lang), fte=g["fte"])
    if m := _POSTS.match(text):
        g = m.groupdict()
        names = [items.get(i.strip(), i.strip()) for i in g["items"].split(",")]
        return label("phrase.posts_short", lang, county=counties.get(g["county"], g["county"]),
                     items=_join(names, lang), need=g["need"], rho=g["rho"],
                     assigned=g["assigned"], short=g["short"])
    return text


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
