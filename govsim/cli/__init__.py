"""The ``govsim`` command: thin wrappers that parse arguments, call the library and present.

Each subcommand lives in its own module exposing ``add_parser(subparsers)`` (which sets
``func``): parse → call → print. Options that several subcommands share are defined once in
:mod:`govsim.cli._common`; files are written by :mod:`govsim.output`. The top layer: it may
import every room, and no room imports it.

Bad input (:class:`~govsim.errors.GovsimError`) and operating-system errors such as an
unwritable output folder become a message on stderr and exit code 2 — never a traceback; an
interrupt exits 130.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import pkgutil
import signal
import sys
import threading
from collections.abc import Sequence
from importlib import import_module

from govsim import __version__

__all__ = ["main"]

#: Subcommands listed first by ``govsim --help``; any other public module of this package follows.
PREFERRED_ORDER = ["run", "budget", "compare", "sweep", "simulate", "allocate", "show", "validate",
                   "generate", "rules"]


def command_modules() -> list[str]:
    """Names of the subcommand modules (every module here not starting with ``_``)."""
    found = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    return [n for n in PREFERRED_ORDER if n in found] + sorted(found - set(PREFERRED_ORDER))


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``govsim`` parser; with ``argv`` naming a subcommand, only that one is built.

    Importing every subcommand module costs seconds (``run``, ``budget`` and ``sweep`` pull in
    the uncertainty analysis and SciPy), which ``govsim compare --cap-range`` and other short
    commands would pay for nothing; without a known subcommand (``--help``, a typo) every
    subcommand is built, so help and "invalid choice" list them all.
    """
    parser = argparse.ArgumentParser(
        prog="govsim",
        description="Plan government purchase of social-assistance and child-welfare services: "
        "simulate demand, allocate the budget under the policy caps, compare options, sweep.",
    )
    parser.add_argument("--version", action="version", version=f"govsim {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = command_modules()
    first = next((a for a in argv or () if not a.startswith("-")), None)
    for name in [first] if first in names else names:
        import_module(f"govsim.cli.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code.

    Ctrl-C at any moment — while the modules load, during the work, while files are written —
    ends with exit code 130 and one line, never a traceback. While the modules load, an
    interrupt is only noted (raising inside an import can surface as another error, or leave
    the interpreter set to die by SIGINT); it takes effect as soon as they are loaded.
    """
    interrupts = _Interrupts()
    previous = None
    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        previous = signal.signal(signal.SIGINT, interrupts)
    try:
        return _main(argv, interrupts)
    except BaseException as exc:
        if not (interrupts.count or isinstance(exc, KeyboardInterrupt)):
            raise
        with contextlib.suppress(KeyboardInterrupt):
            print("interrupted", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


class _Interrupts:
    """SIGINT handler of the command: counts interrupts; raises once ``deferred`` is off."""

    def __init__(self) -> None:
        self.count = 0
        self.deferred = True

    def __call__(self, signum: int, frame: object) -> None:
        self.count += 1
        if not self.deferred:
            raise KeyboardInterrupt

    def arm(self) -> None:
        """From now on an interrupt raises ``KeyboardInterrupt`` (at once if one came)."""
        self.deferred = False
        if self.count:
            raise KeyboardInterrupt


def _main(argv: Sequence[str] | None, interrupts: _Interrupts) -> int:
    from govsim.cli._common import print_error
    from govsim.errors import GovsimError

    parser = build_parser(sys.argv[1:] if argv is None else argv)
    interrupts.arm()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except GovsimError as exc:
        print_error(exc)
        return 2
    except OSError as exc:
        # An unwritable --out folder or an unreadable input is the user's to fix, not a crash;
        # with --verbose the traceback is logged too.
        logging.getLogger(__name__).info("operating-system error", exc_info=True)
        print_error(GovsimError(f"{exc.strerror or exc}: {exc.filename}" if exc.filename
                                else str(exc)))
        return 2
    except (MemoryError, RecursionError) as exc:
        # Validation bounds every size it knows of; should something still be too large for
        # this machine, say so instead of a traceback.
        logging.getLogger(__name__).info("resources exhausted", exc_info=True)
        what = "memory" if isinstance(exc, MemoryError) else "stack"
        print_error(GovsimError(f"ran out of {what}: the input is too large for this machine; "
                                "reduce the scenario, --years or --replications"))
        return 2


if __name__ == "__main__":
    sys.exit(main())
