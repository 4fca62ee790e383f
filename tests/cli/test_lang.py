"""``--lang`` on ``govsim rules``, ``show``, ``allocate`` and ``simulate`` (issue 16): with
``--lang zh`` every word of the terminal tables is Chinese, with ``--lang en`` English, and the
default is the scenario's language.

What a Chinese screen may still hold in Latin letters, decided here: ids a user types (county,
item and rule ids, the scenario's name, ``[mechanisms.*]`` sections, the solver's name), file
names and ``govsim`` itself. Everything else in Latin letters is an English word that leaked.
An English screen holds no Chinese character, except ``万元`` in the allocation's explanations
(the unit the allocation room writes into its English sentences).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import govsim
from govsim.cli import main
from govsim.cli.show import county_table
from govsim.metrics import metric
from govsim.policy import RULES

CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_PATH = re.compile(r"(/[\w.\-]+)+/?")
_FILE = re.compile(r"\b[\w\-]+\.(csv|json|xlsx|png|html)\b")


def _ids(scenario: govsim.Scenario) -> list[str]:
    ids = [scenario.name, "govsim", "highs", "cbc"]
    ids += [c.id for c in scenario.counties] + [i.id for i in scenario.items]
    ids += list(RULES)
    return sorted(set(ids), key=len, reverse=True)  # longest first: 'child_care' before 'care'


def leaked_english(text: str, scenario: govsim.Scenario) -> list[str]:
    """Latin words of ``text`` that are neither ids, file names nor paths."""
    text = re.sub(r"\[mechanisms\.\w+\]", " ", text)
    text = re.sub(r"\b[0-9a-f]{12,}\b", " ", text)  # content hashes
    text = _PATH.sub(" ", text)
    text = _FILE.sub(" ", text)
    for ident in _ids(scenario):
        text = re.sub(rf"(?<![\w-]){re.escape(ident)}(?![\w-])", " ", text)
    return LATIN_WORD.findall(text)


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wide enough that no id is folded across two lines of a table cell."""
    from govsim.cli._common import console

    monkeypatch.setattr(console, "width", 400)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


def test_the_helper_catches_a_leaked_word() -> None:
    tiny = govsim.load_scenario("tiny")
    assert leaked_english("东县 east 缺口 3 人", tiny) == []
    assert leaked_english("东县 east short 3 人 kpis.csv /tmp/x/y", tiny) == ["short"]


@pytest.mark.parametrize("argv", [["rules"], ["show", "--items"], ["show", "tiny", "--items"]])
def test_rules_and_show_in_chinese_have_no_english_word(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    scenario = govsim.load_scenario(argv[1] if len(argv) > 1 and argv[1] == "tiny"
                                    else "guangan")
    out = _run([*argv, "--lang", "zh"], capsys)
    assert CJK.search(out)
    assert leaked_english(out, scenario) == []


@pytest.mark.parametrize("argv", [["rules"], ["show", "--items"]])
def test_rules_and_show_in_english_have_no_chinese(argv: list[str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = _run([*argv, "--lang", "en"], capsys)
    assert CJK.findall(out) == []
    assert "Counties" in out or "Policy rules" in out


def test_default_language_is_the_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert CJK.search(_run(["show"], capsys))            # guangan: zh
    assert not CJK.search(_run(["show", "tiny"], capsys))  # tiny: en
    assert not CJK.search(_run(["rules", "--lang", "en"], capsys))
    assert CJK.search(_run(["rules"], capsys))          # the built-in scenario's: zh


def test_allocate_in_chinese_and_in_english(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    tiny = govsim.load_scenario("tiny")
    out = _run(["allocate", "tiny", "--lang", "zh", "--out", str(tmp_path / "a")], capsys)
    assert "目标1" in out and "东县" in out and "已写出" in out
    assert leaked_english(out, tiny) == []
    out = _run(["allocate", "tiny", "--lang", "en"], capsys)
    assert "goal 1" in out and "East County" in out
    assert set(CJK.findall(out)) <= {"万", "元"}


def test_simulate_in_chinese_and_in_english(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    tiny = govsim.load_scenario("tiny")
    argv = ["simulate", "tiny", "--years", "1", "--replications", "2", "--workers", "1"]
    out = _run([*argv, "--lang", "zh", "--out", str(tmp_path / "s")], capsys)
    assert "到达案件" in out and "已写出" in out
    assert leaked_english(out, tiny) == []
    out = _run([*argv, "--lang", "en"], capsys)
    assert "arrivals" in out and CJK.findall(out) == []


# -- policy numbers in labels come from the scenario's policy ---------------------------------

def test_show_title_names_the_scenarios_own_ratio_and_cap() -> None:
    what_if = govsim.load_scenario("guangan").with_overrides(
        {"policy.caseworker_ratio": 0.003, "policy.relief_cap_share": 0.04})
    assert "3‰" in str(county_table(what_if, "zh").title)
    assert "4%" in str(county_table(what_if, "zh").title)
    assert "2‰" not in str(county_table(what_if, "zh").title)
    assert "3 ‰" in str(county_table(what_if, "en").title)


def test_metric_names_say_the_scenarios_ratio() -> None:
    what_if = govsim.load_scenario("tiny").with_overrides({"policy.caseworker_ratio": 0.003})
    m = metric("caseworker_shortfall")
    assert m.name("zh", what_if.policy) == "经办人员缺口（3‰规则）"
    assert m.name("en", what_if.policy) == "Caseworkers short of the 3 ‰ rule"
    assert m.name("zh") == "经办人员缺口（2‰规则）"  # the rules data's default
