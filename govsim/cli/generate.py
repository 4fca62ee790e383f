"""``govsim generate``: write a synthetic scenario of any size (province-scale benchmarks)."""

from __future__ import annotations

import argparse
from pathlib import Path

from govsim.bounds import LIMITS
from govsim.cli._common import console
from govsim.errors import GovsimError, OutputExistsError
from govsim.generate import generate_scenario, is_unchanged_generated, write_scenario


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("generate", help="write a synthetic scenario with N counties",
                            description="Draw N synthetic counties (lognormal sizes, rural/urban "
                            "mix) around the Guang'an service catalogue and write a TOML file.")
    parser.add_argument("--counties", type=int, default=183, help="number of counties (183)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="TOML file to write")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace FILE if govsim generate wrote it and it is unchanged "
                        "(never a file you wrote or edited)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    most = LIMITS["generated_counties"]
    if not 1 <= args.counties <= most.value:
        raise GovsimError(f"--counties must be between 1 and {most.value:,} ({most.reason}), "
                          f"got {args.counties:,}")
    if not 0 <= args.seed < 2**64:
        raise GovsimError(f"--seed must be between 0 and 2**64 - 1, got {args.seed}")
    target = Path(args.output)
    _check_target(target, args.overwrite)
    scenario = generate_scenario(args.counties, seed=args.seed)
    path = write_scenario(scenario, target)
    console.print(f"wrote {path} ({len(scenario.counties)} counties, "
                  f"{sum(c.population for c in scenario.counties):,} people)", markup=False)
    return 0


def _check_target(path: Path, overwrite: bool) -> None:
    if path.is_symlink():
        raise OutputExistsError(f"-o {path} is a symbolic link; give the file it points to")
    if path.is_dir():
        raise OutputExistsError(f"-o {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise GovsimError(f"cannot write -o {path}: the folder {path.parent} does not exist")
    if not path.exists():
        return
    if not overwrite:
        raise OutputExistsError(f"-o {path} exists; choose another file, or pass --overwrite to "
                                "replace a scenario govsim generate wrote there")
    if not is_unchanged_generated(path):
        raise OutputExistsError(f"-o {path} was not written by govsim generate, or was edited "
                                "since; --overwrite never replaces such a file: choose another "
                                "file")
