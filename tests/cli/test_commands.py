"""The command line: exit codes, messages, no tracebacks for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import govsim
from govsim.cli import main
from govsim.cli.rules import rules_markdown

BAD = Path(__file__).parents[1] / "fixtures" / "bad"
ROOT = Path(__file__).parents[2]


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
