"""Where a problem is in its TOML file: field paths mapped to line numbers.

:func:`line_index` reads TOML text as it is usually laid out (tables and arrays of tables,
one key per line) and maps field paths such as ``counties[3].dibao`` to their 1-based line;
:func:`placed` gives a :class:`~govsim.errors.Problem` its file and the line of its field or of
the nearest enclosing table. The scenario and the sweep file use both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from govsim.errors import Problem

__all__ = ["line_index", "placed", "problem_order"]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"]+)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


def line_index(text: str) -> dict[str, int]:
    """Map field paths (``counties[3].dibao``) to 1-based lines, for the usual TOML layout."""
    index: dict[str, int] = {}
    counters: dict[str, int] = {}
    prefix = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0] if not raw.lstrip().startswith(("\"", "'")) else raw
        header = _HEADER.match(line)
        if header:
            name = header.group(2).replace('"', "")
            if header.group(1) == "[[":
                counters[name] = counters.get(name, -1) + 1
                prefix = _indexed(name, counters)
            else:
                prefix = _indexed(name, counters)
            index.setdefault(prefix, number)
            continue
        key = _KEY.match(line)
        if key:
            path = f"{prefix}.{key.group(1)}" if prefix else key.group(1)
            index.setdefault(path, number)
    return index


def _indexed(name: str, counters: dict[str, int]) -> str:
    """``baseline.contracts`` with counters -> ``baseline.contracts[2]`` (and parents)."""
    parts = name.split(".")
    out: list[str] = []
    for i in range(len(parts)):
        sub = ".".join(parts[: i + 1])
        piece = parts[i]
        if sub in counters and (i < len(parts) - 1 or sub == name):
            piece += f"[{counters[sub]}]"
        out.append(piece)
    return ".".join(out)


def placed(problem: Problem, source: str | None, lines: Mapping[str, int]) -> Problem:
    """``problem`` with its file and the line of its field, or of the nearest enclosing table
    (``counties[2].market.x`` falls back to ``counties[2].market``, then ``counties[2]``)."""
    line = problem.line
    path = problem.path
    while line is None and path:
        line = lines.get(path)
        shorter = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", path)
        path = "" if shorter == path else shorter
    return Problem(problem.path, problem.message, problem.value, problem.rule,
                   problem.file or source, line, problem.severity)


def problem_order(problem: Problem) -> tuple[int, str]:
    """Sort key putting problems in file order (those without a line last, by path)."""
    return (problem.line if problem.line is not None else 10**9, problem.path)
