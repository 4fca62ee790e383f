"""``govsim generate``: write a synthetic scenario of any size (province-scale benchmarks)."""

from __future__ import annotations

import argparse

from govsim.cli._common import console
from govsim.errors import GovsimError
from govsim.generate import generate_scenario, write_scenario


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("generate", help="write a synthetic scenario with N counties",
                            description="Draw N synthetic counties (lognormal sizes, rural/urban "
                            "mix) around the Guang'an service catalogue and write a TOML file.")
    parser.add_argument("--counties", type=int, default=183, help="number of counties (183)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="TOML file to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.counties < 1:
        raise GovsimError(f"--counties must be at least 1, got {args.counties}")
    if args.seed < 0:
        raise GovsimError(f"--seed must be >= 0, got {args.seed}")
    scenario = generate_scenario(args.counties, seed=args.seed)
    try:
        path = write_scenario(scenario, args.output)
    except OSError as exc:
        raise GovsimError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    console.print(f"wrote {path} ({len(scenario.counties)} counties, "
                  f"{sum(c.population for c in scenario.counties):,} people)", markup=False)
    return 0
