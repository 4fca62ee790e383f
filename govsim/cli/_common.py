"""What the subcommands share: their common options, consoles, money in 万元, error output.

Every option that more than one subcommand takes is defined here once (``--years
--replications --seed --rounds --solver --objective``, ``--engine``, ``--workers``, ``--lang``,
``--out --results --overwrite``), so that its name, default and help read the same everywhere.
The subcommand modules parse, call the library and print; the library never prints.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.console import Console

from govsim.errors import GovsimError, ScenarioError

__all__ = ["add_engine_option", "add_lang_option", "add_output_options", "add_run_options",
           "add_scenario_argument", "add_workers_option", "check_counts", "console",
           "console_err", "explicit_run_options", "print_error"]

console = Console(highlight=False)
console_err = Console(stderr=True, highlight=False)
# Piped output (files, CI logs, notebooks' subprocesses) is not squeezed into 80 columns.
for _c in (console, console_err):
    if not _c.is_terminal and "COLUMNS" not in os.environ:
        _c.width = 160


def add_scenario_argument(parser: argparse.ArgumentParser, default: str | None = "guangan",
                          shown_default: str | None = None) -> None:
    """The positional SCENARIO; with ``default=None`` and ``shown_default`` it is optional but
    left ``None`` when not given (so a command can tell)."""
    optional = bool(default or shown_default)
    parser.add_argument("scenario", nargs="?" if optional else None, default=default,
                        metavar="SCENARIO",
                        help="scenario file or built-in name" +
                        (f" (default: {default or shown_default})" if optional else ""))


def add_run_options(parser: argparse.ArgumentParser, defaults_from: str = "the scenario's"
                    ) -> None:
    """``--years --replications --seed --rounds --solver --objective`` of the pipeline.

    Every option defaults to ``None`` (the scenario's value, or the pipeline's default), so
    that :func:`explicit_run_options` can tell which ones the user gave.
    """
    from govsim.allocation import SOLVERS  # late: keeps `govsim --help` light

    before = len(parser._actions)
    parser.add_argument("--years", type=int, default=None,
                        help=f"plan years (default: {defaults_from} horizon_years)")
    parser.add_argument("--replications", type=int, default=None,
                        help=f"simulation replications (default: {defaults_from})")
    parser.add_argument("--seed", type=int, default=None,
                        help=f"root seed of the random streams (default: {defaults_from})")
    parser.add_argument("--rounds", type=int, default=None,
                        help="allocation-check rounds per year (default 3)")
    parser.add_argument("--solver", choices=SOLVERS, default=None,
                        help="solver (default highs)")
    parser.add_argument("--objective", choices=("ordered_goals", "min_cost"), default=None,
                        help="allocation objective (default: the scenario's)")
    added = parser._actions[before:]
    parser.set_defaults(run_option_flags={a.dest: a.option_strings[0] for a in added})


def add_workers_option(parser: argparse.ArgumentParser,
                       what: str = "worker processes") -> None:
    """``--workers N``: how many processes (``None``: all cores; 1: serial)."""
    parser.add_argument("--workers", type=int, default=None,
                        help=f"{what} (default: all cores; 1 = serial)")


def add_lang_option(parser: argparse.ArgumentParser, what: str = "plots and report") -> None:
    """``--lang zh|en``: language of what is written (default: the scenario's)."""
    parser.add_argument("--lang", choices=("zh", "en"), default=None,
                        help=f"language of the {what} (default: the scenario's)")


def add_output_options(parser: argparse.ArgumentParser, kind: str, default: str | None = None,
                       results: bool = False) -> None:
    """``--out DIR`` and ``--overwrite`` (and, with ``results``, ``--results DIR``).

    ``kind`` names the folder in the help (``a run folder``); ``default`` describes where it
    goes without ``--out`` (``None``: nothing is written without it).
    """
    where = f" (default: {default})" if default else ""
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help=f"{kind}{where}")
    if results:
        parser.add_argument("--results", type=Path, default=Path("results"), metavar="DIR",
                            help="root of the default output folders (default: ./results)")
    parser.add_argument("--overwrite", action="store_true",
                        help=f"replace {kind} govsim wrote at --out (never a folder holding "
                        "other files)")


def explicit_run_options(args: argparse.Namespace) -> list[str]:
    """The flags of :func:`add_run_options` the user gave (those not left at ``None``)."""
    flags: dict[str, str] = getattr(args, "run_option_flags", {})
    return [flag for dest, flag in flags.items() if getattr(args, dest, None) is not None]


def check_counts(args: argparse.Namespace, names: tuple[str, ...]) -> None:
    """Refuse counts out of range before any work: ``--years`` (at most the horizon limit),
    ``--replications``, ``--rounds``, ``--workers`` (at least 1) and ``--seed`` (>= 0)."""
    from govsim.bounds import limit
    from govsim.errors import RunError
    from govsim.pipeline import MAX_SEED

    highs = {"years": limit("horizon_years"), "replications": limit("replications"),
             "rounds": limit("rounds"), "seed": MAX_SEED}
    for name in names:
        value = getattr(args, name, None)
        if value is None:
            continue
        low = 0 if name == "seed" else 1
        high = highs.get(name)
        flag = "--" + name.replace("_", "-")
        if value < low or (high is not None and value > high):
            span = f"between {low} and {high:,}" if high is not None else f"at least {low}"
            raise RunError(f"{flag} must be {span}, got {value:,}")


def add_engine_option(parser: argparse.ArgumentParser, default: str = "compiled") -> None:
    """``--engine compiled|simpy``: which simulation engine runs the pools (results identical)."""
    from govsim.sim.engine import ENGINES  # late: keeps `govsim --help` light

    parser.add_argument("--engine", choices=ENGINES, default=None,
                        help=f"simulation engine: compiled (numba, fast) or simpy (the "
                        f"reference); both give identical results (default: {default})")


def print_error(exc: GovsimError) -> None:
    """Every problem on its own line, plain text (no markup surprises from user values)."""
    if isinstance(exc, ScenarioError):
        count = len(exc.problems)
        console_err.print(f"error: {count} problem{'s' if count != 1 else ''} found:",
                          style="bold red", markup=False)
        for problem in exc.problems:
            console_err.print("  " + problem.format(), markup=False, soft_wrap=True)
    else:
        console_err.print(f"error: {exc}", style="bold red", markup=False, soft_wrap=True)
