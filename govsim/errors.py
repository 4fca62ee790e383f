"""govsim's own exception types, every one of them, and the one payload they carry.

Every error govsim raises on purpose is a :class:`GovsimError` holding a list of
:class:`Problem` — ``Problem(path, message, value, rule)`` plus, for input files, the file and
line — so that the command line, a notebook or a test reads any error the same way:
``[p.format() for p in exc.problems]``. The command line turns them into a message and exit
code 2; the library never prints.

=========================  =======================================================================
type                       raised when
=========================  =======================================================================
:class:`ScenarioError`     a scenario (or an override of one) is invalid: every problem at once
:class:`InputError`        an input file cannot be read as govsim input (size, type, encoding, TOML)
:class:`SweepSpecError`    a sweep file is invalid
:class:`OptionError`       budget options to compare are invalid (each problem's path is the option)
:class:`RunError`          run options (years, replications, rounds, seed) or a replay manifest
:class:`SimulationError`   bad input to the simulation (capacities, years, state)
:class:`AllocationError`   the allocation cannot be built or solved
:class:`SweepError`        a sweep cannot start, resume or be analysed
:class:`OutputError`       an output folder or file cannot be written (names the user's path and
                           flag, never a temporary path); :class:`OutputExistsError` when taken
=========================  =======================================================================

An error made from one plain message (``RunError("--years must be ...")``) reads as that
message; the list types (:class:`ScenarioError` and its kin, :class:`OptionError`) head their
message with the number of problems.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AllocationError",
    "GovsimError",
    "InputError",
    "OptionError",
    "OutputError",
    "OutputExistsError",
    "Problem",
    "RunError",
    "ScenarioError",
    "SimulationError",
    "SweepError",
    "SweepSpecError",
]

_MISSING = object()


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or, with ``severity="warning"``, unusual) in an input.

    Attributes
    ----------
    path : str
        Where: a field path (``counties[3].dibao``), an option name, or ``""`` for the whole.
    message : str
        What is wrong and, where it helps, what was expected.
    value : any
        The offending value (absent when there is none to show).
    rule : str, optional
        Id of the policy rule broken (``govsim/data/rules.toml``).
    file, line : optional
        The input file and 1-based line, where known.
    severity : {"error", "warning"}
    """

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
        return f"{where}: {self.severity}: {self.path or '(top level)'}{self._tail()}"

    def brief(self) -> str:
        """``path = value: message [rule]`` without file and severity; just the message when
        there is neither path nor value."""
        if not self.path and not self.has_value:
            return self.message + (f" [rule {self.rule}]" if self.rule else "")
        return (self.path or "(top level)") + self._tail()

    def _tail(self) -> str:
        text = f" = {_short(self.value)}" if self.has_value else ""
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


def _restore(cls: type[GovsimError], problems: list[Problem]) -> GovsimError:
    error = cls.__new__(cls)
    error.problems = problems
    Exception.__init__(error, error.describe())
    return error


class GovsimError(Exception):
    """Base class of every error govsim raises on purpose; ``problems`` lists every reason.

    Parameters
    ----------
    problems
        A plain message, one :class:`Problem`, or several.
    path, value, rule
        With a plain message: the field path, the offending value, the rule id.
    """

    #: What the problems are in, for the first line of the message ("" = the problems alone).
    what = ""

    def __init__(self, problems: str | Problem | Iterable[Problem] = "", *, path: str = "",
                 value: Any = _MISSING, rule: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(path, problems, value, rule)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self.describe())

    def describe(self) -> str:
        """The message: each problem on its own line, headed by a count for the list types."""
        if not self.what:
            return "\n".join(p.brief() for p in self.problems)
        lines = [self.line(p) for p in self.problems]
        head = f"{len(lines)} problem{'s' if len(lines) != 1 else ''} in {self.what}"
        return head + ":\n  " + "\n  ".join(lines)

    def line(self, problem: Problem) -> str:
        """One problem as a line of the message."""
        return problem.format()

    @property
    def rule(self) -> str | None:
        """The rule id of the first problem that names one."""
        return next((p.rule for p in self.problems if p.rule), None)

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (worker processes); rebuild from the problems, not
        # from the formatted message.
        return (_restore, (type(self), self.problems))


class ScenarioError(GovsimError, ValueError):
    """A scenario (or an override of one) is invalid; ``problems`` lists every reason."""

    what = "scenario"


class InputError(ScenarioError):
    """An input file cannot be read as govsim input (not a regular file, too large, not UTF-8,
    malformed, nested too deeply); ``problems`` names the file and, where known, the line."""

    what = "input file"


class SweepSpecError(ScenarioError):
    """A sweep file is invalid; ``problems`` lists every reason with file, line and path."""

    what = "sweep file"


class OptionError(GovsimError):
    """One or more budget options are invalid; each problem's ``path`` is the option's name
    (``""`` for the options as a whole)."""

    what = "the options"

    def __init__(self, problems: str | Problem | Iterable[Problem | tuple[str, str]] = "",
                 **kwargs: Any) -> None:
        if not isinstance(problems, str | Problem):  # (name, message) pairs of older callers
            problems = [p if isinstance(p, Problem) else Problem(p[0], p[1]) for p in problems]
        super().__init__(problems, **kwargs)

    def line(self, problem: Problem) -> str:
        return f"option {problem.path!r}: {problem.message}" if problem.path \
            else problem.message


class RunError(GovsimError, ValueError):
    """Bad run options (years, replications, rounds, seed) or an unreadable replay manifest."""


class SimulationError(GovsimError, ValueError):
    """Bad input to the simulation (capacities, years, state); ``rule`` names a broken rule."""

    def __init__(self, message: str | Problem | Iterable[Problem], rule: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(message, rule=rule, **kwargs)


class AllocationError(GovsimError):
    """The allocation could not be built or solved (bad option, missing solver, solver failure)."""


class SweepError(GovsimError):
    """A sweep cannot start, resume or be analysed (the message says why and what to do)."""


class OutputError(GovsimError):
    """An output folder or file cannot be written (the message names the path and the flag)."""


class OutputExistsError(OutputError, FileExistsError):
    """The output path is taken by something govsim may not replace."""
