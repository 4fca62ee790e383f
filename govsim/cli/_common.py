"""Presentation helpers shared by the subcommands: consoles, money in 万元, error output."""

from __future__ import annotations

import argparse
import os

from rich.console import Console

from govsim.errors import GovsimError, ScenarioError

__all__ = ["add_run_options", "add_scenario_argument", "console", "console_err", "print_error",
           "wan"]

console = Console(highlight=False)
console_err = Console(stderr=True, highlight=False)
# Piped output (files, CI logs, notebooks' subprocesses) is not squeezed into 80 columns.
for _c in (console, console_err):
    if not _c.is_terminal and "COLUMNS" not in os.environ:
        _c.width = 160


def wan(cny: float, digits: int = 1) -> str:
    """Money for Chinese readers: CNY as 万元 (10,000 CNY) with thousands separators."""
    return f"{cny / 1e4:,.{digits}f}"


def add_scenario_argument(parser: argparse.ArgumentParser, default: str | None = "guangan") -> None:
    parser.add_argument("scenario", nargs="?" if default else None, default=default,
                        metavar="SCENARIO",
                        help="scenario file or built-in name" +
                        (f" (default: {default})" if default else ""))


def add_run_options(parser: argparse.ArgumentParser, defaults_from: str = "the scenario's"
                    ) -> None:
    """``--years --replications --seed --rounds --solver --objective`` of the pipeline."""
    from govsim.allocation import SOLVERS  # late: keeps `govsim --help` light

    parser.add_argument("--years", type=int, default=None,
                        help=f"plan years (default: {defaults_from} horizon_years)")
    parser.add_argument("--replications", type=int, default=None,
                        help=f"simulation replications (default: {defaults_from})")
    parser.add_argument("--seed", type=int, default=None,
                        help=f"root seed of the random streams (default: {defaults_from})")
    parser.add_argument("--rounds", type=int, default=None,
                        help="allocation-check rounds per year (default 3)")
    parser.add_argument("--solver", choices=SOLVERS, default="highs", help="solver")
    parser.add_argument("--objective", choices=("ordered_goals", "min_cost"), default=None,
                        help="allocation objective (default: the scenario's)")


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
