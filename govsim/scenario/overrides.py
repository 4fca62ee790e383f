"""What-ifs by dotted path: ``{"policy.relief_cap_share": 0.02, "counties.linshui.dibao": 50000}``.

:func:`apply_overrides` edits a scenario's plain data (``Scenario.to_dict()``) in place. A path
walks tables by key and arrays of tables by ``id`` or index; ``*`` means every entry
(``items.*.growth``). An unknown step is reported with a "did you mean" from the model's
fields, so a typo never silently adds a key. Validating the result is the scenario's job
(:meth:`govsim.scenario.Scenario.with_overrides`).
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from govsim.bounds import limit
from govsim.errors import Problem
from govsim.inputs import fields_at, format_path, nesting_depth

__all__ = ["apply_overrides"]

#: Dict-valued fields whose keys are data (market capacity by provider type), not field names.
FREE_KEYS = {"market"}


def apply_overrides(data: dict[str, Any], overrides: Any,
                    model: type[BaseModel]) -> list[Problem]:
    """Set each dotted path of ``overrides`` in ``data``; the problems found (none: ``[]``).

    Parameters
    ----------
    data
        Plain scenario data, edited in place (values are deep-copied in).
    overrides
        Dotted path -> value.
    model
        The model ``data`` validates against, whose fields name the known keys.
    """
    if not isinstance(overrides, Mapping):
        return [Problem("", "overrides are a mapping of dotted paths to values, like "
                        "{'policy.relief_cap_share': 0.02}", value=overrides)]
    problems: list[Problem] = []
    for path, value in overrides.items():
        if not isinstance(path, str) or not path.strip():
            problems.append(Problem(str(path), "an override path is dotted text, like "
                                    "'policy.relief_cap_share'", value=value))
            continue
        if nesting_depth(value) > limit("nesting_depth"):
            problems.append(Problem(path, f"a value nested more than "
                                    f"{limit('nesting_depth')} levels deep"))
            continue
        problems.extend(_apply_override(data, path, value, model))
    return problems


def _apply_override(data: dict[str, Any], path: str, value: Any,
                    model: type[BaseModel]) -> list[Problem]:
    parts = path.split(".")
    targets: list[Any] = [data]
    walked: list[Any] = []
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        next_targets: list[Any] = []
        for node in targets:
            if isinstance(node, list):
                chosen = _list_entries(node, part)
                if chosen is None:
                    ids = [e.get("id") for e in node if isinstance(e, dict) and "id" in e]
                    return [_override_problem(path, walked, part, [str(i) for i in ids], value)]
                if last:
                    for index in chosen:
                        node[index] = copy.deepcopy(value)
                else:
                    next_targets.extend(node[i] for i in chosen)
            elif isinstance(node, dict):
                known = list(node) or fields_at(model, tuple(walked))
                allowed = set(known) | set(fields_at(model, tuple(walked)))
                if part not in allowed and not _is_free_dict(walked):
                    return [_override_problem(path, walked, part, sorted(allowed), value)]
                if last:
                    node[part] = copy.deepcopy(value)
                else:
                    next_targets.append(node.setdefault(part, {}))
            else:
                return [Problem(path, f"cannot descend into {format_path(tuple(walked))!r}",
                                value=value)]
        walked.append(part)
        targets = next_targets
    return []


def _is_free_dict(walked: list[Any]) -> bool:
    return bool(walked) and walked[-1] in FREE_KEYS


def _list_entries(node: list[Any], part: str) -> list[int] | None:
    if part == "*":
        return list(range(len(node)))
    if part.isdigit() and int(part) < len(node):
        return [int(part)]
    matches = [i for i, e in enumerate(node) if isinstance(e, dict) and e.get("id") == part]
    return matches or None


def _override_problem(path: str, walked: list[Any], part: str, known: list[str],
                      value: Any) -> Problem:
    hint = difflib.get_close_matches(part, known, n=1, cutoff=0.6)
    where = ".".join(str(w) for w in walked) or "the scenario"
    message = f"override path: {part!r} not found in {where}"
    message += f"; did you mean {hint[0]!r}?" if hint else f" (known: {', '.join(known[:12])})"
    return Problem(path, message, value=value)
