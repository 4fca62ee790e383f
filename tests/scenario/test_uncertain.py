"""``[[uncertainty]]`` entries (``govsim.scenario.uncertain``): draws set every matched field,
and bad entries are reported with file, line, field path, value and rule id, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

import govsim
from govsim.cli import main
from govsim.errors import ScenarioError
from govsim.scenario import scenario_from_text
from govsim.uncertainty import lhs_design, sample_scenario
from tests.uncertainty.inputs import RATES, TINY, scenario, with_inputs


def test_a_sample_scales_every_matched_field() -> None:
    s = scenario(RATES.format(low=0.5, high=1.5))
    design = lhs_design(s, 4, seed=1)
    sampled = sample_scenario(s, design, 2)
    factor = float(design.values.loc[2, "rates"])
    for before, after in zip(s.items, sampled.items, strict=True):
        assert after.rate == pytest.approx(before.rate * factor)
    assert sampled.uncertainty == ()
    assert govsim.load_scenario("tiny").content_hash() == \
        scenario_from_text(TINY.read_text(encoding="utf-8"), "x").content_hash()


@pytest.mark.parametrize("entry, path, words", [
    ('id = "x"\npath = "items.*.ratee"\nlow = 0.5\nhigh = 1.5', "uncertainty[0].path",
     "matches no field"),
    ('id = "x"\npath = "counties.north.dibao"\nlow = 0.5\nhigh = 1.5', "uncertainty[0].path",
     "matches no field"),
    ('id = "x"\npath = "items.*.name_zh"\nlow = 0.5\nhigh = 1.5', "uncertainty[0].path",
     "not a number"),
    ('id = "x"\npath = "items.*.rate"\nlow = 1.5\nhigh = 0.5', "uncertainty[0]",
     "must be below high"),
    ('id = "x"\npath = "items.*.rate"\ndistribution = "triangular"\nlow = 0.5\nhigh = 1.5',
     "uncertainty[0]", "peak"),
    ('id = "x"\npath = "items.*.rate"\ndistribution = "normal"\nlow = 0.5\nhigh = 1.5\n'
     'mean = 1.0', "uncertainty[0]", "sd"),
    ('id = "x"\npath = "policy.relief_cap_share"\nlow = 0.5\nhigh = 50', "uncertainty[0].high",
     "invalid"),
    ('id = "x"\npath = "items.*.rate"\nlow = 0.5\nhigh = 1.5\nshape = 2', "uncertainty[0].shape",
     ""),
])
def test_bad_entries_exit_2_with_their_field_path(tmp_path: Path, entry: str, path: str,
                                                   words: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(with_inputs(entry), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        govsim.load_scenario(str(file))
    assert any(p.path.startswith(path) for p in caught.value.problems), caught.value.problems
    assert main(["validate", str(file)]) == 2
    err = capsys.readouterr().err
    assert path in err and words in err and "bad.toml" in err


def test_duplicate_ids_are_refused() -> None:
    entry = RATES.format(low=0.5, high=1.5)
    with pytest.raises(ScenarioError, match="duplicate id"):
        scenario(entry, entry)
