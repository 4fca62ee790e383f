"""Audit of issue 2 (the spine): the "done when" bullets that had no test, or only part of one.

Each test names the bullet it closes: the `govsim show` figures cell by cell, the value in every
validation message, the classes of bad input checked only for some tables (shares below 0,
duplicate ids and unknown references outside counties and contracts, the contract-term
boundary), policy departures through the CLI, exit code 2 for every subcommand given bad input,
help for every subcommand, Chinese output under a C locale, and the README's commands.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import govsim
from govsim.cli import command_modules, main
from govsim.scenario import Scenario, load_scenario

ROOT = Path(__file__).parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
BAD = FIXTURES / "bad"
TINY = tomllib.loads((ROOT / "scenarios" / "tiny.toml").read_text(encoding="utf-8"))


def _problems(data: dict[str, Any]) -> list[govsim.Problem]:
    with pytest.raises(govsim.ScenarioError) as info:
        Scenario.from_dict(data)
    return info.value.problems


def _tiny(**edits: Any) -> dict[str, Any]:
    """The tiny scenario's data with ``"a.0.b": value`` edits (``None`` deletes)."""
    data = copy.deepcopy(TINY)
    for path, value in edits.items():
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return data


# -- `govsim show`: 357 required, 249 in post, cap ≈ 1,319 万元 --------------------------------

def _show_rows(out: str) -> dict[str, list[str]]:
    rows = {}
    for line in out.splitlines():
        cells = line.split()
        if len(cells) >= 10 and re.fullmatch(r"[\d,.]+", cells[-1]):
            rows[cells[1] if cells[0] != "合计" else "total"] = cells[-9:]
    return rows


def test_show_prints_each_guangan_figure_in_its_column(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show"]) == 0
    rows = _show_rows(capsys.readouterr().out)
    # columns: people, dibao, tekun, need, post, gap, cap (万元), child need, child post
    assert rows["total"] == ["3,232,537", "158,160", "19,100", "357", "249", "108", "1,318.8",
                             "1,513", "1,409"]
    assert rows["linshui"][3:7] == ["86", "60", "26", "318.4"]  # ⌈0.002 × 42,800⌉ = 86
    assert set(rows) == {"guangan", "qianfeng", "huaying", "yuechi", "wusheng", "linshui",
                         "total"}
    assert round(float(rows["total"][6].replace(",", ""))) == 1319


def test_show_prints_chinese_names_under_a_c_locale() -> None:
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": ""}
    result = subprocess.run([sys.executable, "-m", "govsim", "show"], capture_output=True,
                            check=False, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode("utf-8")
    assert "广安区" in out and "邻水县" in out and "合计" in out


def test_show_pooled_cap_is_the_prefecture_total(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "guangan.toml").read_text(encoding="utf-8")
    pooled = tmp_path / "pooled.toml"
    pooled.write_text(text.replace('cap_scope = "county"', 'cap_scope = "prefecture"'),
                      encoding="utf-8")
    assert main(["show", str(pooled)]) == 0
    assert "pooled over the prefecture: 1,318.8 万元" in capsys.readouterr().out


# -- validation: the value, and bad-input classes not covered for every table -----------------

@pytest.mark.parametrize(("fixture", "path", "value"), [
    ("wrong_type", "counties[0].dibao", "many"),
    ("negative_count", "counties[1].tekun", -400),
    ("share_out_of_range", "policy.relief_cap_share", 3),
    ("monthly_nonpositive", "items[0].monthly[4]", 0),
    ("duplicate_id", "counties[1].id", "east"),
    ("contract_term", "baseline.contracts[0].term_years", 4),
    ("prohibited_purchasable", "items[3].purchasable", True),
])
def test_messages_carry_the_offending_value(fixture: str, path: str, value: object) -> None:
    with pytest.raises(govsim.ScenarioError) as info:
        load_scenario(BAD / f"{fixture}.toml")
    (problem,) = [p for p in info.value.problems if p.path == path]
    assert problem.has_value and problem.value == value
    assert f"{path} = {value!r}" in problem.format()


@pytest.mark.parametrize(("path", "value"), [
    ("policy.social_org_min_share", -0.1),
    ("policy.takeover_share", 1.01),
    ("provider_types.0.quality", -0.2),
    ("policy.coverage_target", 2),
])
def test_shares_below_zero_or_above_one_are_errors(path: str, value: float) -> None:
    problems = _problems(_tiny(**{path: value}))
    expected = re.sub(r"\.(\d+)", r"[\1]", path)
    assert [p.path for p in problems] == [expected]
    assert problems[0].value == value


@pytest.mark.parametrize(("path", "value"), [
    ("funds.lottery", -1.0),
    ("funds.child_welfare", -100_000),
    ("funds.total_budget", -5.0),
    ("counties.0.market", {"social_org": -3}),
])
def test_negative_budgets_are_caught_by_validation(path: str, value: object) -> None:
    """Issue 4: a truly infeasible input (a negative budget) never reaches the solver."""
    problems = _problems(_tiny(**{path: value}))
    assert problems and all("greater than or equal to 0" in p.message for p in problems)


@pytest.mark.parametrize("table", ["items", "provider_types"])
def test_duplicate_ids_in_other_tables(table: str) -> None:
    data = _tiny()
    data[table].append(copy.deepcopy(data[table][0]))
    problems = _problems(data)
    last = len(data[table]) - 1
    assert {p.path for p in problems if "duplicate id" in p.message} == {
        f"{table}[0].id", f"{table}[{last}].id"}


def test_unknown_references_in_every_table() -> None:
    data = _tiny(**{"counties.0.market": {"social_org": 10, "ngo": 5},
                    "baseline.director_item": "child_visit"})
    data["providers"] = [{"id": "p1", "type": "social_orgg", "counties": ["east", "north"],
                          "capacity_fte": 3.0}]
    data["baseline"]["public_staff"] = [{"county": "wset", "item": "screening", "fte": 1.0},
                                        {"county": "west", "item": "screenin", "fte": 1.0}]
    data["baseline"]["contracts"][0]["provider"] = "p2"
    found = {p.path: p.message for p in _problems(data)}
    assert found.keys() == {"counties[0].market.ngo", "baseline.director_item",
                            "providers[0].type", "providers[0].counties[1]",
                            "baseline.public_staff[0].county", "baseline.public_staff[1].item",
                            "baseline.contracts[0].provider"}
    assert "did you mean 'child_visits'" in found["baseline.director_item"]
    assert "did you mean 'social_org'" in found["providers[0].type"]
    assert "did you mean 'west'" in found["baseline.public_staff[0].county"]
    assert "unknown provider" in found["baseline.contracts[0].provider"]


@pytest.mark.parametrize(("start_year", "term_years", "ok"), [
    (2023, 1, True),   # 2023, 2024, 2025: three years in a row by the base year
    (2022, 1, False),  # four years
    (2025, 3, True),
    (2025, 4, False),
    (2026, 1, False),  # starts after the base year
])
def test_contract_term_boundary_in_validation(start_year: int, term_years: int,
                                              ok: bool) -> None:
    data = _tiny(**{"baseline.contracts.0.start_year": start_year,
                    "baseline.contracts.0.term_years": term_years})
    if ok:
        Scenario.from_dict(data)
        return
    problems = _problems(data)
    assert all(p.path.startswith("baseline.contracts[0].") for p in problems)
    if start_year <= 2025:
        assert {p.rule for p in problems} == {"contract-term"}


def test_contract_term_follows_the_policy_override() -> None:
    data = _tiny(**{"policy.max_contract_years": 5, "baseline.contracts.0.start_year": 2021,
                    "baseline.contracts.0.term_years": 5})
    scenario = Scenario.from_dict(data)
    assert [w.rule for w in scenario.warnings] == ["contract-term"]


# -- the command line ------------------------------------------------------------------------

def test_validate_prints_policy_departures_and_exits_zero(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(FIXTURES / "policy_departure.toml")]) == 0
    captured = capsys.readouterr()
    assert ": ok" in captured.out
    assert "warning: policy.relief_cap_share" in captured.err
    assert "[rule relief-cap]" in captured.err


@pytest.mark.parametrize("command", ["show", "simulate", "allocate"])
@pytest.mark.parametrize("fixture", ["malformed", "negative_count", "prohibited_contract"])
def test_every_scenario_command_exits_2_on_bad_input(command: str, fixture: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, str(BAD / f"{fixture}.toml")]) == 2
    err = capsys.readouterr().err
    assert f"{fixture}.toml:" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["generate", "--counties", "0", "-o", "{tmp}/x.toml"],
    ["generate", "--counties", "2", "--seed", "-1", "-o", "{tmp}/x.toml"],
    ["generate", "--counties", "2", "-o", "{tmp}/missing/folder/x.toml"],
    ["generate", "--counties", "2", "-o", "{tmp}"],
    ["allocate", "tiny", "--out", "{tmp}/file.txt/run"],
    ["simulate", "tiny", "--years", "1", "--replications", "1", "--workers", "1",
     "--out", "{tmp}/file.txt/run"],
])
def test_bad_arguments_and_unwritable_outputs_exit_2(argv: list[str], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file.txt").write_text("a file where a folder is expected\n")
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


def test_generate_subprocess_has_no_traceback(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "govsim", "generate", "--counties", "3",
                             "-o", str(tmp_path / "no" / "such" / "dir.toml")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", command_modules())
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: govsim {command}") and "options:" in out


# -- README: the two commands, packaging of the built-ins --------------------------------------

def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(pip install .+)$", readme, re.M)
    assert commands[0].startswith("pip install . && govsim ")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
    assert "ruff check" in ci


def test_built_in_scenarios_and_rules_ship_in_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = config["tool"]["setuptools"]["package-data"]["govsim"]
    assert {"data/*.toml", "scenarios/*.toml"} <= set(shipped)
    assert config["project"]["scripts"]["govsim"] == "govsim.cli:main"
    repo = {p.name for p in (ROOT / "scenarios").glob("*.toml")}
    packaged = {p.name for p in (ROOT / "govsim" / "scenarios").glob("*.toml")}
    assert repo == packaged
    for name in sorted(repo):
        assert (ROOT / "scenarios" / name).read_bytes() == \
            (ROOT / "govsim" / "scenarios" / name).read_bytes(), name
