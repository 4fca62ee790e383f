"""Cross-references of the ``[mechanisms]`` section, checked on raw scenario data.

Runs with the schema's and the policy's semantic checks (:mod:`govsim.scenario.schema`), so
every problem of a file is reported at once, each with its field path
(``mechanisms.vouchers.items[1]``) and, through the loader, its line. Checked: item ids name
items of the catalogue (purchasable ones for the mechanisms that buy or route purchased work:
vouchers, volunteers); provider ids name ``[[providers]]`` entries; title-tier mixes name
provider types.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from govsim.errors import Problem

__all__ = ["mechanism_problems"]

#: Sub-tables whose ``items`` must be purchasable (they change purchased work).
_PURCHASED = ("vouchers", "volunteers")
_ITEM_LISTS = ("vouchers", "volunteers", "village_assistants")


def mechanism_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Unknown or unfit ids in ``data["mechanisms"]`` (raw scenario data)."""
    section = data.get("mechanisms")
    if not isinstance(section, Mapping):
        return []
    items = {r["id"]: r for r in _records(data.get("items")) if isinstance(r.get("id"), str)}
    providers = {r["id"] for r in _records(data.get("providers")) if isinstance(r.get("id"), str)}
    types = {r["id"] for r in _records(data.get("provider_types"))
             if isinstance(r.get("id"), str)}
    problems: list[Problem] = []
    for name in _ITEM_LISTS:
        sub = section.get(name)
        if not isinstance(sub, Mapping):
            continue
        for k, item_id in enumerate(_sequence(sub.get("items"))):
            path = f"mechanisms.{name}.items[{k}]"
            if not isinstance(item_id, str):
                continue
            if item_id not in items:
                problems.append(_unknown(path, item_id, "item", set(items)))
            elif name in _PURCHASED and not _purchasable(items[item_id]):
                problems.append(Problem(path, "an item that may not be purchased (government's "
                                        "own duty) cannot be bought this way", value=item_id,
                                        rule="prohibited-items"))
    eligibility = section.get("eligibility")
    if isinstance(eligibility, Mapping):
        for k, provider in enumerate(_sequence(eligibility.get("barred_providers"))):
            if isinstance(provider, str) and provider not in providers:
                problems.append(_unknown(f"mechanisms.eligibility.barred_providers[{k}]",
                                         provider, "provider", providers))
    tiers = section.get("title_tiers")
    if isinstance(tiers, Mapping):
        for k, entry in enumerate(_records(tiers.get("mix"))):
            type_id = entry.get("id")
            if isinstance(type_id, str) and type_id not in types:
                problems.append(_unknown(f"mechanisms.title_tiers.mix[{k}].id", type_id,
                                         "provider type", types))
    return problems


def _purchasable(item: Mapping[str, Any]) -> bool:
    flag = item.get("purchasable")
    return item.get("kind") != "prohibited" if flag is None else bool(flag)


def _records(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list | tuple):
        return []
    return [r for r in value if isinstance(r, Mapping)]


def _sequence(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _unknown(path: str, value: str, what: str, known: set[str]) -> Problem:
    names = sorted(known)
    hint = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    message = f"unknown {what}"
    message += f"; did you mean {hint[0]!r}?" if hint else f" (known: {', '.join(names[:12])})"
    return Problem(path, message, value=value)
