"""Scenario input (issue 12, items 5-8 and 12): no hangs, no tracebacks from files that validate.

Every load runs under a hard deadline (:func:`tests.hardening.deadline`), so a regression to a
hang fails here in seconds. Values that used to pass validation and crash the run (infinities,
booleans read as 1, recipients beyond the population, pools too large for memory) must now be
errors naming the field; scenarios with nothing to buy must run and say so.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import govsim
from govsim.cli import main
from govsim.errors import ScenarioError
from govsim.scenario import load_scenario
from govsim.sweep import SweepSpecError, load_sweep_spec
from tests.hardening import ROOT, deadline

TINY = (ROOT / "scenarios" / "tiny.toml").read_text(encoding="utf-8")


def problems_of(path: Path | str) -> list[str]:
    with deadline(10, f"loading {path}"), pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [p.format() for p in info.value.problems]


# -- item 5: line lookup never loops -----------------------------------------------------------

@pytest.mark.parametrize("text, words", [
    ("foo = 1\n", "unknown key"),
    (TINY.replace("[[counties]]", "[[countries]]"), "countries"),
    (TINY.replace("[policy]", "[polcy.x]"), "polcy"),
    (TINY.replace("market = { social_org = 10, enterprise = 10 }",
                  'market = { "social_org." = 10 }'), "social_org."),
])
def test_top_level_and_odd_paths_are_reported_not_looped_on(tmp_path: Path, text: str,
                                                           words: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    assert any(words in p for p in problems_of(path))


def test_sweep_and_options_files_pointing_at_such_a_scenario_fail_fast(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.toml").write_text("foo = 1\n", encoding="utf-8")
    sweep = (ROOT / "scenarios" / "sweeps" / "tiny.toml").read_text(encoding="utf-8")
    (tmp_path / "sweep.toml").write_text(sweep.replace('scenario = "tiny"',
                                                       'scenario = "bad.toml"'), "utf-8")
    with deadline(10), pytest.raises(SweepSpecError, match=r"sweep\.scenario"):
        load_sweep_spec(tmp_path / "sweep.toml")
    (tmp_path / "options.toml").write_text('[[options]]\nname = "a"\n[[options]]\nname = "b"\n'
                                           'scenario = "bad.toml"\n', encoding="utf-8")
    with deadline(10):
        assert main(["compare", "tiny", "--options", str(tmp_path / "options.toml")]) == 2
    assert "unknown key" in capsys.readouterr().err


# -- item 6 (and 9): files that are not files, and nesting ------------------------------------

def test_fifo_and_devices_are_refused_at_once(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    assert any("named pipe" in p for p in problems_of(fifo))
    assert any("character device" in p for p in problems_of("/dev/zero"))
    assert any("folder" in p for p in problems_of(tmp_path))
    with deadline(10):
        assert main(["show", str(fifo)]) == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("text", [
    "[" + ".".join(["a"] * 3000) + "]\nx = 1\n",       # 3,000-deep tables
    "a = " + "[" * 5000 + "]" * 5000 + "\n",           # 5,000-deep arrays (RecursionError)
    "a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n",  # inline tables
])
def test_deep_nesting_is_an_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(text, encoding="utf-8")
    assert any("nested more than" in p for p in problems_of(path))


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.truncate(64 << 20)  # sparse: 64 MiB of zeros, no disk used
    assert any("more than a scenario file may have" in p for p in problems_of(path))


# -- item 12: a byte-order mark is accepted ------------------------------------------------------

def test_byte_order_mark_is_accepted_everywhere(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + TINY.encode("utf-8"))
    with deadline(10):
        assert load_scenario(path).content_hash() == load_scenario("tiny").content_hash()
    sweep = (ROOT / "scenarios" / "sweeps" / "tiny.toml").read_bytes()
    (tmp_path / "sweep.toml").write_bytes(b"\xef\xbb\xbf" + sweep)
    assert load_sweep_spec(tmp_path / "sweep.toml").name == "tiny"


def test_non_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(TINY.encode("utf-8").replace("东县".encode(), "东县".encode("gbk")))
    assert any("not UTF-8" in p and "gbk.toml:" in p for p in problems_of(path))


# -- items 7 and 8: what used to validate and then crash or mislead -----------------------------

@pytest.mark.parametrize("path", [
    "counties.east.relief_fund_last_year", "funds.lottery", "counties.east.market.social_org",
    "items.care.priority", "items.care.rate", "items.care.mean_hours", "scenario.hours_per_year",
    "items.care.patience_hours", "provider_types.social_org.cost_per_fte_year",
])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_numbers_are_errors(tiny: govsim.Scenario, path: str, value: float) -> None:
    with pytest.raises(ScenarioError) as info:
        tiny.with_overrides({path: value})
    assert any("finite" in p.message for p in info.value.problems)


@pytest.mark.parametrize("overrides, path, words", [
    ({"counties.east.dibao": 10**15}, "counties[0].dibao", "exceeds population"),
    ({"counties.east.dibao": 10**18}, "counties[0].dibao", "exceeds population"),
    ({"counties.east.dibao": 2 * 10**19}, "counties[0].dibao", ""),
    ({"counties.east.dibao": True}, "counties[0].dibao", "not true or false"),
    ({"policy.relief_cap_share": True}, "policy.relief_cap_share", "not true or false"),
    ({"funds.lottery": 2e19}, "funds.lottery", "above"),
    ({"scenario.hours_per_year": 1e-300, "scenario.productive_hours_per_fte": 1e-300},
     "scenario.hours_per_year", "below"),
    ({"items.care.monthly": [1e6] + [1.0] * 11}, "items[1].monthly[0]", "above 12"),
    ({"items.screening.growth": 1.0, "scenario.horizon_years": 20}, "items[0].rate",
     "holds every case"),
    ({"counties.east.child_welfare_directors": 100_000, "baseline.director_hours_per_year": 2000,
      "scenario.productive_hours_per_fte": 10}, "counties[0].child_welfare_directors",
     "one token per worker"),
    ({"counties.east.tekun": 200_000}, "counties[0].dibao", "exceeds population"),
])
def test_absurd_values_are_errors_naming_the_field(tiny: govsim.Scenario, overrides: dict,
                                                  path: str, words: str) -> None:
    with deadline(10), pytest.raises(ScenarioError) as info:
        tiny.with_overrides(overrides)
    assert any(p.path == path and words in p.message for p in info.value.problems), \
        [p.format() for p in info.value.problems]


def test_implausible_values_are_warnings_with_their_reason(tiny: govsim.Scenario) -> None:
    odd = tiny.with_overrides({"counties.east.dibao": 50_000})  # 42 % of residents
    warning = next(w for w in odd.warnings if w.path == "counties[0].dibao")
    assert warning.severity == "warning" and "implausible" in warning.message
    assert not [w for w in tiny.warnings if w.path.startswith("counties")]


def test_bounds_are_data_with_reasons() -> None:
    from govsim.bounds import BOUNDS, LIMITS, RELATIONS

    assert all(b.reason for b in BOUNDS) and all(r.reason for r in RELATIONS)
    assert all(limit.reason and limit.value > 0 for limit in LIMITS.values())
    assert LIMITS["horizon_years"].value == 20


def test_compare_option_goes_through_the_same_checks(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("govsim.cli.compare.compare", lambda *a, **k: pytest.fail("ran"))
    for option in ("x: funds.lottery=inf", "x: counties.east.dibao=true",
                   "x: counties.east.dibao=1000000000000000000"):
        assert main(["compare", "tiny", "--option", option]) == 2
    err = capsys.readouterr().err
    assert err.count("option 'x'") == 3 and "Traceback" not in err


@pytest.mark.parametrize("overrides, words", [
    ({"items.*.kind": "prohibited", "items.*.fund": "none", "baseline.contracts": []},
     "every item is a government duty"),
    ({"funds.lottery": 0, "funds.child_welfare": 0, "policy.relief_cap_share": 0},
     "no money"),
    ({"funds.total_budget": 0}, "total budget is 0"),
])
def test_nothing_to_allocate_runs_and_says_so(tiny: govsim.Scenario, overrides: dict,
                                              words: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = tiny.with_overrides(overrides)
    assert any(words in w.message for w in scenario.warnings)
    with deadline(60):
        result = govsim.run(scenario, years=1, replications=1, rounds=1, workers=1)
        monkeypatch.setattr("govsim.output.report.render_plots", lambda *a, **k: {})
        assert (result.write(tmp_path / "run") / "report.html").is_file()
    allocation = result.tables.allocation
    # nothing new is bought; contracts in force (tiny's incumbent care contract) still run
    assert {"county", "item", "fte", "cost", "basis"} <= set(allocation.columns)
    assert (allocation["basis"] == "continuing").all()
    assert len(result.replication_kpis) > 0  # today's staff were simulated
    assert set(result.tables.compliance["rule"]) >= {"relief-cap", "caseworker-ratio"}


# -- with_overrides with keys that are not paths -------------------------------------------------

@pytest.mark.parametrize("overrides", [{1: 2}, {"": 1}, {None: 1}, [("a", 1)]])
def test_bad_override_keys_are_errors(tiny: govsim.Scenario, overrides: object) -> None:
    with pytest.raises(ScenarioError, match=r"override|mapping"):
        tiny.with_overrides(overrides)  # type: ignore[arg-type]


def test_every_bound_and_limit_is_documented() -> None:
    from govsim.bounds import BOUNDS, LIMITS, RELATIONS

    docs = (ROOT / "docs" / "scenario.md").read_text(encoding="utf-8")
    for bound in BOUNDS:
        assert f"| `{bound.path}` |" in docs, bound.path
    for relation in RELATIONS:
        assert f"`{' + '.join(relation.lhs)}`" in docs, relation
    for name in LIMITS:
        assert f"| `{name}` |" in docs, name
