"""Loading a scenario: a TOML file, or a built-in scenario by name.

Files are read through :mod:`govsim.inputs` (a regular file of bounded size, UTF-8 with an
optional byte-order mark, TOML of bounded nesting); the text's line index places every problem
at its line (:mod:`govsim.scenario.lines`). Built-in scenarios ship inside the package
(``govsim/scenarios/*.toml``) so that ``govsim run`` works after ``pip install``.
"""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path

from govsim.errors import Problem, ScenarioError
from govsim.inputs import parse_toml, read_text
from govsim.scenario.schema import Scenario

__all__ = ["builtin_scenarios", "load_scenario", "scenario_from_text"]


def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped inside the package."""
    folder = resources.files("govsim") / "scenarios"
    names = (p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))
    return sorted(names)


def load_scenario(path_or_name: str | Path) -> Scenario:
    """Load and validate a scenario file, or a built-in scenario by name.

    >>> s = load_scenario("guangan")
    >>> [c.id for c in s.counties][:2]
    ['guangan', 'qianfeng']
    """
    path = Path(path_or_name)
    exists = _exists(path)
    if not exists and str(path_or_name) in builtin_scenarios():
        resource = resources.files("govsim") / "scenarios" / f"{path_or_name}.toml"
        return scenario_from_text(resource.read_text(encoding="utf-8"), f"builtin:{path_or_name}")
    if not exists:
        hint = difflib.get_close_matches(str(path_or_name), builtin_scenarios(), n=1)
        known = ", ".join(builtin_scenarios())
        message = f"no such file or built-in scenario (built-ins: {known})"
        if hint:
            message += f"; did you mean {hint[0]!r}?"
        raise ScenarioError([Problem("", message, file=str(path_or_name))])
    return scenario_from_text(read_text(path, "scenario file"), str(path))


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long for the system, or with a NUL byte
        return False


def scenario_from_text(text: str, source: str) -> Scenario:
    """Validate the TOML text of a scenario file; ``source`` names it in problems."""
    data = parse_toml(text, source, "scenario file")
    return Scenario.from_dict(data, source=source, text=text.removeprefix("\ufeff"))
