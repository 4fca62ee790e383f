"""The command line, every subcommand: help, exit codes, messages, no tracebacks for bad input,
and the figures ``govsim show`` prints (cell by cell, and in Chinese under a C locale)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import govsim
from govsim.cli import command_modules, main
from govsim.cli.rules import rules_markdown

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
BAD = FIXTURES / "bad"


def test_help_lists_the_spine_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("validate", "show", "generate", "rules"):
        assert command in out


def test_validate_good_files_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ROOT / "scenarios" / "guangan.toml"), "tiny"]) == 0
    assert capsys.readouterr().out.count(": ok") == 2


@pytest.mark.parametrize("name", sorted(p.stem for p in BAD.glob("*.toml")))
def test_validate_bad_file_exits_two_without_traceback(name: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BAD / f"{name}.toml")]) == 2
    err = capsys.readouterr().err
    assert f"{name}.toml:" in err and "Traceback" not in err


def test_subprocess_bad_input_exit_code_and_message() -> None:
    result = subprocess.run([sys.executable, "-m", "govsim", "validate",
                             str(BAD / "prohibited_contract.toml")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "prohibited-items" in result.stderr and "baseline.contracts[0].item" in result.stderr
    assert "Traceback" not in result.stderr


def test_show_prints_the_guangan_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show"]) == 0
    out = capsys.readouterr().out
    assert "广安区" in out and "邻水县" in out
    total = next(line for line in out.splitlines() if "合计" in line)
    assert "357" in total and "249" in total and "1,318.8" in total


def test_show_unknown_scenario_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "nowhere.toml"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_generate_writes_a_valid_scenario(tmp_path: Path) -> None:
    target = tmp_path / "big.toml"
    assert main(["generate", "--counties", "12", "--seed", "3", "-o", str(target)]) == 0
    scenario = govsim.load_scenario(target)
    assert len(scenario.counties) == 12


def test_rules_markdown_matches_docs() -> None:
    docs = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert rules_markdown() in docs, "regenerate with: govsim rules --markdown"


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
    assert "全市统筹上限：1,318.8 万元" in capsys.readouterr().out
    assert main(["show", str(pooled), "--lang", "en"]) == 0
    assert "cap pooled over the prefecture: 1,318.8 10,000 CNY" in capsys.readouterr().out


# -- every subcommand: bad input exits 2, help -------------------------------------------------

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


def test_allocate_says_what_one_more_wan_of_cap_buys_as_the_explanations_do(
        capsys: pytest.CaptureFixture[str]) -> None:
    # the hours of the marginal cell (constraints.csv), not the need stage's dual, which holds
    # the earlier goals and overstates what the money buys while statutory work is unmet
    from govsim.allocation import allocate

    assert main(["allocate", "guangan", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    caps = allocate(govsim.load_scenario("guangan")).constraints
    caps = caps[caps["rule"] == "relief-cap"]
    assert "hours 1 万元 more cap buys" in out and "shadow price" not in out
    for hours in caps["hours_per_10k_cny"]:
        assert f"│ {hours:,.0f} │" in re.sub(r" +", " ", out)
        assert f"{hours:,.0f} more hours of need met" in out  # the explanations' words
