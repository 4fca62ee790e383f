"""govsim's own exception types.

Bad input is reported as a :class:`ScenarioError` carrying every :class:`Problem` found, each
with the file, the line where known, the field path (``counties[3].dibao``), the offending value,
what was expected, and the id of the policy rule it breaks (see ``govsim/data/rules.toml``).
The command line turns these into a message and exit code 2; the library never prints.

:class:`OutputError` covers output folders and files (an ``--out`` that holds someone else's
files, an unwritable folder); its messages name the user's path and the command-line flag,
never a temporary path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["GovsimError", "InputError", "OutputError", "OutputExistsError", "Problem",
           "ScenarioError"]

_MISSING = object()


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or, with ``severity="warning"``, unusual) in an input."""

    path: str
    message: str
    value: Any = _MISSING
    rule: str | None = None
    file: str | None = None
    line: int | None = None
    severity: str = "error"

    def format(self) -> str:
        """``file:line: path = value: message [rule]`` with the parts that are known."""
        where = self.file or "<scenario>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: {self.severity}: {self.path or '(top level)'}"
        if self.value is not _MISSING:
            text += f" = {_short(self.value)}"
        text += f": {self.message}"
        if self.rule:
            text += f" [rule {self.rule}]"
        return text

    @property
    def has_value(self) -> bool:
        return self.value is not _MISSING


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class GovsimError(Exception):
    """Base class of every error govsim raises on purpose."""


class ScenarioError(GovsimError, ValueError):
    """A scenario (or an override of one) is invalid; ``problems`` lists every reason."""

    #: What the problems are in, for the message's first line.
    what = "scenario"

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [p.format() for p in self.problems]
        head = f"{len(lines)} problem{'s' if len(lines) != 1 else ''} in {self.what}"
        super().__init__(head + ":\n  " + "\n  ".join(lines))


class InputError(ScenarioError):
    """An input file cannot be read as govsim input (not a regular file, too large, not UTF-8,
    malformed, nested too deeply); ``problems`` names the file and, where known, the line."""

    what = "input file"


class OutputError(GovsimError):
    """An output folder or file cannot be written (the message names the path and the flag)."""


class OutputExistsError(OutputError, FileExistsError):
    """The output path is taken by something govsim may not replace."""
