"""Bounded fuzzing (issue 12): corrupted inputs give govsim's own errors, never a traceback or a
hang.

Each example runs under a hard deadline (:func:`tests.hardening.deadline`, SIGALRM), so a hang
fails the test at once with the example that caused it. The default suite runs a few dozen
examples of each kind; ``python -m pytest -m slow tests/test_fuzz.py`` runs 10,000 corrupted
scenario files (``--hypothesis-show-statistics`` prints how many loaded, allocated and
simulated). Scenarios that survive corruption and load are allocated, and simulated for a year
when small, so that "passes validation, then crashes" is caught too.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import govsim
from govsim.cli import build_parser, main
from govsim.compare.options import Option, OptionError, parse_option, resolve_options
from govsim.errors import GovsimError, ScenarioError
from govsim.manifest import scenario_record
from govsim.pipeline import RunError, RunOptions, replay_hash, replay_options
from govsim.scenario import Scenario, scenario_from_text
from govsim.sweep import SweepError, SweepSpecError, load_sweep_spec
from govsim.sweep.runner import check_sweep_size
from tests.hardening import ROOT, deadline

TINY_TEXT = (ROOT / "scenarios" / "tiny.toml").read_text(encoding="utf-8")
SWEEP_TEXT = (ROOT / "scenarios" / "sweeps" / "tiny.toml").read_text(encoding="utf-8")
BAD = ROOT / "tests" / "fixtures" / "bad"

#: Values that are valid TOML and used to slip through validation or crash the run.
EXTREMES = ["inf", "-inf", "nan", "1e308", "-1e308", "1e-300", "0", "-1", "true", "false",
            '"x"', '""', "[]", "{}", "[1, [2]]", "{ a = 1 }", "2025-01-01",
            "1_000_000_000_000_000_000", "18446744073709551616", "0.5", "12", "1e6"]
NOISE = st.text(st.sampled_from(list("[]{}=.,\"'#\n\t -_0123456789aezX\\\ufeff\x00")),
                max_size=12)
_FUZZ = settings(deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.filter_too_much,
                                        HealthCheck.function_scoped_fixture])


def fuzz(examples: int) -> settings:
    """Hypothesis settings of a fuzz test: ``examples`` examples, hangs caught by deadline()."""
    return settings(_FUZZ, max_examples=examples)


@st.composite
def corrupted(draw: st.DrawFn, text: str) -> str:
    """``text`` with one to three corruptions: noise, cuts, extreme values, repeated lines."""
    for _ in range(draw(st.integers(1, 3))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["insert", "cut", "value", "value", "repeat", "nest",
                                     "bom"]))
        if kind == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(NOISE) + text[at:]
        elif kind == "cut":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif kind == "value":
            keyed = [i for i, line in enumerate(lines) if " = " in line]
            i = draw(st.sampled_from(keyed)) if keyed else 0
            key = lines[i].split(" = ", 1)[0] if keyed else "x"
            lines[i] = f"{key} = {draw(st.sampled_from(EXTREMES))}"
            text = "\n".join(lines)
        elif kind == "repeat":
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(draw(st.integers(0, len(lines))), lines[i])
            text = "\n".join(lines)
        elif kind == "nest":
            depth = draw(st.integers(30, 3000))
            at = draw(st.integers(0, len(text)))
            text = text[:at] + "x = " + "[" * depth + "]" * depth + "\n" + text[at:]
        else:
            text = "\ufeff" + text
    return text


def _exercise(scenario: Scenario) -> None:
    """Allocate a scenario that loaded, and simulate a year of it when that is cheap."""
    with deadline(60, "allocating a fuzzed scenario"):
        try:
            govsim.allocate(scenario)
            event("allocated")
        except GovsimError:
            event("allocation refused with a govsim error")
    header = scenario.header
    cases = sum(sum(c.driver(d) for d in i.driver) * i.rate * max(i.monthly)
                for c in scenario.counties for i in scenario.items)
    if cases > 30_000:  # valid but slow to simulate (tiny has about 11,000): not this test's
        return
    from govsim.sim import simulate_year

    with deadline(60, "simulating a fuzzed scenario"):
        simulate_year(scenario, header.base_year, None, None, header.seed, 0)
        event("simulated a year")


def check_scenario_text(text: str) -> None:
    try:
        with deadline(10, "loading a corrupted scenario"):
            scenario = scenario_from_text(text, "fuzz.toml")
    except ScenarioError as exc:
        event("scenario error")
        assert exc.problems and all(p.message and p.file == "fuzz.toml" for p in exc.problems)
        return
    event("loaded")
    _exercise(scenario)


@fuzz(40)
@given(corrupted(TINY_TEXT))
def test_corrupted_scenario_text(text: str) -> None:
    check_scenario_text(text)


@pytest.mark.slow
@fuzz(10_000)
@given(corrupted(TINY_TEXT))
def test_corrupted_scenario_text_10000(text: str) -> None:
    check_scenario_text(text)


# -- corrupted data (what with_overrides, compare --option and sweeps feed from_dict) ----------

TINY_DATA = govsim.load_scenario("tiny").to_dict()


def _leaves(node: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(node, list) and node:
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


LEAVES = [p for p in _leaves(TINY_DATA) if p]


def edited(data: dict[str, Any], edits: list[tuple[tuple, Any]]) -> dict[str, Any]:
    """A deep copy of ``data`` with the value at each path replaced."""
    data = copy.deepcopy(data)
    for path, value in edits:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return data
DATA_VALUES = st.one_of(st.sampled_from([math.inf, -math.inf, math.nan, 1e308, 1e-300, -1, 0,
                                         True, False, None, "", [], {}, 10**19, 2**64, 1e18]),
                        st.floats(), st.integers(), st.text(max_size=5))


@fuzz(40)
@given(st.lists(st.tuples(st.sampled_from(LEAVES), DATA_VALUES), min_size=1, max_size=3))
def test_corrupted_scenario_data(edits: list[tuple[tuple, Any]]) -> None:
    data = edited(TINY_DATA, edits)
    try:
        with deadline(10, "validating corrupted data"):
            scenario = Scenario.from_dict(data)
    except ScenarioError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    _exercise(scenario)


# -- sweep files, option strings, manifests -----------------------------------------------------

@fuzz(30)
@given(corrupted(SWEEP_TEXT))
def test_corrupted_sweep_file(text: str) -> None:
    with deadline(20, "loading a corrupted sweep file"):
        try:
            spec = load_sweep_spec(text if "\n" in text else text + "\n")
        except SweepSpecError as exc:
            assert exc.problems
            return
        with contextlib.suppress(SweepError):
            assert check_sweep_size(spec) >= 1


OPTION_TEXT = st.one_of(
    NOISE,
    st.builds(lambda name, parts: f"{name}: " + "; ".join(parts), NOISE,
              st.lists(st.builds(lambda path, value: f"{path}={value}",
                                 st.sampled_from([".".join(map(str, p)) for p in LEAVES]
                                                 + ["x", "", "policy", "counties.*.dibao"]),
                                 st.sampled_from([*EXTREMES, "prefecture", "[[[["]) | NOISE),
                       max_size=3)))


@fuzz(50)
@given(OPTION_TEXT)
def test_option_strings(text: str) -> None:
    tiny = govsim.load_scenario("tiny")
    with deadline(10, "resolving an option string"):
        try:
            option = parse_option(text)
            resolve_options(tiny, [Option("base"), option])
        except OptionError as exc:
            assert exc.problems


def _manifest() -> dict[str, Any]:
    tiny = govsim.load_scenario("tiny")
    options = RunOptions(years=1, replications=1, seed=1).as_dict()
    return {"kind": "run", "scenario": scenario_record(tiny), "options": options,
            "replay_hash": replay_hash(tiny.content_hash(), options)}


MANIFEST = _manifest()
MANIFEST_LEAVES = [p for p in _leaves(MANIFEST) if p]


@fuzz(30)
@given(st.lists(st.tuples(st.sampled_from(MANIFEST_LEAVES), DATA_VALUES), min_size=1,
                max_size=3), st.booleans())
def test_corrupted_manifests(edits: list[tuple[tuple, Any]], rehash: bool) -> None:
    manifest = edited(MANIFEST, edits)
    if rehash and isinstance(manifest.get("options"), dict):
        manifest["replay_hash"] = replay_hash(str(manifest["scenario"].get("content_hash")),
                                              manifest["options"])
    with deadline(10, "replaying a corrupted manifest"):
        try:
            replay_options(manifest)
        except (RunError, ScenarioError) as exc:
            assert str(exc)


# -- the command line, every subcommand -----------------------------------------------------------

def _commands() -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every (sub)subcommand and its parser."""
    found: dict[tuple[str, ...], argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, prefix: tuple[str, ...]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if prefix and not subs:
            found[prefix] = parser
        for action in subs:
            for name, child in action.choices.items():
                walk(child, (*prefix, name))

    walk(build_parser(), ())
    return found


COMMANDS = _commands()


@pytest.fixture(scope="module")
def playground(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a small sweep, an options file and a FIFO, where the CLI fuzz runs."""
    root = tmp_path_factory.mktemp("cli-fuzz")
    (root / "mini.toml").write_text(
        '[sweep]\nname = "mini"\nscenario = "tiny"\nstage = "allocate"\nmetrics = '
        '["spend_cny"]\n[sampler]\nmethod = "grid"\nlevels = 2\n[[parameters]]\n'
        'path = "policy.relief_cap_share"\nlow = 0.02\nhigh = 0.03\n', encoding="utf-8")
    (root / "options.toml").write_text('[[options]]\nname = "a"\n[[options]]\nname = "b"\n'
                                       'overrides = { "funds.lottery" = 1 }\n', encoding="utf-8")
    os.mkfifo(root / "fifo.toml")
    return root


VALUES = ["0", "-1", "1", "2", "2025", "3000", "1e9", "nan", "", "x", "tiny", "nowhere.toml",
          str(BAD / "malformed.toml"), str(BAD / "boolean_number.toml"), "/dev/zero",
          "fifo.toml", "mini.toml", "options.toml", "out", "out/sub", ".", "results",
          "notaurl", "tcp://", "0.01:0.05:0.01", "0.05:0.01:0.01", "a: funds.lottery=1",
          "x: p=1; p=2", "zh", "en", "sobol", "morris", "max_coverage", "cbc", "--help"]
SCENARIOS = ["tiny", "nowhere.toml", str(BAD / "malformed.toml"),
             str(BAD / "boolean_number.toml"), "/dev/zero", "fifo.toml", "x: y"]
#: Appended to commands that run the pipeline, so that a valid example stays small.
SMALL = {"run": ["--years", "1", "--replications", "1", "--workers", "1", "--rounds", "1"],
         "compare": ["--years", "1", "--replications", "1", "--workers", "1", "--rounds", "1"],
         "simulate": ["--years", "1", "--replications", "1", "--workers", "1"],
         "sweep run": ["--workers", "1", "--quiet"]}
#: Flags left out: a Dask cluster takes seconds to start and a scheduler 30 s to time out.
SKIP = {"--dask-local", "--scheduler"}


@st.composite
def argv(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    parser = COMMANDS[command]
    args = list(command)
    for action in parser._actions:
        if action.option_strings or action.dest == "help":
            continue
        if action.dest == "scenario":  # always given: the default (guangan) takes a minute
            args.append(draw(st.sampled_from(SCENARIOS)))
        elif draw(st.booleans()):
            args.append(draw(st.sampled_from(VALUES)))
    options = [a for a in parser._actions if a.option_strings and
               not set(a.option_strings) & (SKIP | {"-h", "--help"})]
    for action in draw(st.lists(st.sampled_from(options), max_size=4)) if options else []:
        args.append(action.option_strings[-1])
        if action.nargs != 0:
            args.append(draw(st.sampled_from(VALUES)))
    return args + SMALL.get(" ".join(command), [])


@fuzz(40)
@given(args=argv())
def test_cli_exits_0_or_2_never_a_traceback(playground: Path, args: list[str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    check_cli(playground, args, capsys)


@pytest.mark.slow
@fuzz(300)
@given(args=argv())
def test_cli_exits_0_or_2_never_a_traceback_300(playground: Path, args: list[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    check_cli(playground, args, capsys)


def check_cli(playground: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    cwd = Path.cwd()
    os.chdir(playground)
    try:
        with deadline(120, f"govsim {' '.join(args)}"):
            try:
                code = main(args)
            except SystemExit as exc:  # argparse: usage errors 2, --help 0
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(cwd)
    err = capsys.readouterr().err
    assert code in (0, 2), (args, code, err[-2000:])
    assert "Traceback" not in err, (args, err[-2000:])
    event(f"exit {code}")


def test_every_subcommand_is_fuzzed() -> None:
    names = {" ".join(c) for c in COMMANDS}
    assert {"run", "compare", "simulate", "allocate", "show", "validate", "generate", "rules",
            "sweep run", "sweep analyze", "sweep summary", "sweep export",
            "sweep metrics"} <= names
    assert json.dumps(sorted(names))  # every one is reachable by the strategy above


# -- valid variants through the whole run, report included -----------------------------------------

def _value_at(data: Any, path: tuple) -> Any:
    for key in path:
        data = data[key]
    return data


NUMERIC_LEAVES = [p for p in LEAVES if isinstance(_value_at(TINY_DATA, p), int | float)
                  and not isinstance(_value_at(TINY_DATA, p), bool)]


@pytest.mark.slow
@fuzz(150)
@given(edits=st.lists(st.tuples(st.sampled_from(NUMERIC_LEAVES),
                                st.sampled_from([0, 0.001, 0.1, 0.5, 2, 10, 100, 1e4])),
                      min_size=1, max_size=4))
def test_scaled_variants_run_and_write_without_traceback(edits: list[tuple[tuple, float]],
                                                         tmp_path_factory: pytest.TempPathFactory
                                                         ) -> None:
    data = copy.deepcopy(TINY_DATA)
    for path, factor in edits:
        node = data
        for key in path[:-1]:
            node = node[key]
        value = node[path[-1]]
        scaled = value * factor if value else factor
        node[path[-1]] = round(scaled) if isinstance(value, int) else scaled
    try:
        scenario = Scenario.from_dict(data)
    except ScenarioError:
        event("refused by validation")
        return
    cases = sum(sum(c.driver(d) for d in i.driver) * i.rate * max(i.monthly)
                for c in scenario.counties for i in scenario.items)
    if cases > 30_000:
        event("too large to simulate here")
        return
    with deadline(300, "a run of a scaled variant"):
        try:
            result = govsim.run(scenario, years=1, replications=1, rounds=1, workers=1)
        except GovsimError:
            event("run refused with a govsim error")
            return
        result.write(tmp_path_factory.mktemp("variant") / "run")
        event("ran and wrote")
