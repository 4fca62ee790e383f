"""Scenario loading, validation messages, overrides and hashing."""

from __future__ import annotations

import string
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import govsim
from govsim.scenario import Scenario, load_scenario

BAD = Path(__file__).parents[1] / "fixtures" / "bad"

# fixture file -> (field path named in the message, rule id or None, words in the message)
EXPECTED = {
    "malformed": ("", None, "malformed TOML"),
    "wrong_type": ("counties[0].dibao", None, "valid integer"),
    "missing_field": ("counties[1].dibao", None, "required field is missing"),
    "negative_count": ("counties[1].tekun", None, "greater than or equal to 0"),
    "negative_money": ("counties[0].relief_fund_last_year", None, "greater than or equal to 0"),
    "share_out_of_range": ("policy.relief_cap_share", None, "less than or equal to 1"),
    "monthly_count": ("items[0].monthly", None, "at least 12 items"),
    "monthly_nonpositive": ("items[0].monthly[4]", None, "greater than 0"),
    "duplicate_id": ("counties[1].id", None, "duplicate id"),
    "unknown_county": ("baseline.contracts[0].county", None, "unknown county"),
    "unknown_item": ("baseline.contracts[0].item", None, "did you mean 'care'"),
    "unknown_provider_type": ("baseline.contracts[0].provider_type", None,
                              "unknown provider type"),
    "prohibited_purchasable": ("items[3].purchasable", "prohibited-items", "prohibited"),
    "prohibited_contract": ("baseline.contracts[0].item", "prohibited-items", "may not be"),
    "prohibited_disguised": ("items[3].kind", "prohibited-items", "government duty"),
    "contract_term": ("baseline.contracts[0].term_years", "contract-term", "maximum term"),
    "contract_too_old": ("baseline.contracts[0].start_year", "contract-term", "4 years"),
    "unknown_key": ("counties[0].dibaoo", None, "did you mean 'dibao'"),
    # issue 12: what used to pass validation and crash or mislead later
    "boolean_number": ("counties[0].dibao", None, "not true or false"),
    "infinite_number": ("counties[1].relief_fund_last_year", None, "finite number"),
    "recipients_above_population": ("counties[0].dibao", None, "exceeds population"),
    "pool_too_large": ("items[0].rate", None, "holds every case"),
    "tiny_clock": ("scenario.productive_hours_per_fte", None, "millions of simulated workers"),
}


def test_every_bad_fixture_has_an_expectation() -> None:
    assert {p.stem for p in BAD.glob("*.toml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_names_file_line_field_and_rule(name: str) -> None:
    path, rule, words = EXPECTED[name]
    with pytest.raises(govsim.ScenarioError) as info:
        load_scenario(BAD / f"{name}.toml")
    matching = [p for p in info.value.problems if p.path == path and words in p.message]
    assert matching, [p.format() for p in info.value.problems]
    problem = matching[0]
    assert problem.file == str(BAD / f"{name}.toml")
    assert problem.line is not None and problem.line > 1
    assert problem.rule == rule
    assert path in str(info.value) and words in str(info.value)


def test_line_points_at_the_offending_key() -> None:
    with pytest.raises(govsim.ScenarioError) as info:
        load_scenario(BAD / "negative_count.toml")
    (problem,) = info.value.problems
    line = (BAD / "negative_count.toml").read_text().splitlines()[problem.line - 1]
    assert line.startswith("tekun = -400")


def test_all_problems_are_reported_at_once(tiny: Scenario) -> None:
    data = tiny.to_dict()
    data["counties"][0]["dibao"] = -1
    data["policy"]["social_org_min_share"] = 2
    data["baseline"]["contracts"][0]["county"] = "nowhere"
    with pytest.raises(govsim.ScenarioError) as info:
        Scenario.from_dict(data)
    paths = {p.path for p in info.value.problems}
    assert {"counties[0].dibao", "policy.social_org_min_share",
            "baseline.contracts[0].county"} <= paths


def test_builtin_scenarios_load_and_match_default_figures(guangan: Scenario) -> None:
    assert {"guangan", "tiny"} <= set(govsim.builtin_scenarios())
    assert len(guangan.counties) == 6
    assert sum(govsim.caseworkers_required(c, 0.002) for c in guangan.counties) == 357
    assert sum(c.public_caseworkers for c in guangan.counties) == 249
    cap = 0.03 * sum(c.relief_fund_last_year for c in guangan.counties)
    assert round(cap / 1e4, 1) == 1318.8
    assert {i.kind for i in guangan.items} == {"administrative", "service", "prohibited"}
    assert not any(i.is_purchasable for i in guangan.items if i.kind == "prohibited")


def test_repository_files_equal_packaged_builtins() -> None:
    root = Path(__file__).parents[2] / "scenarios"
    for name in ("guangan", "tiny"):
        on_disk = load_scenario(root / f"{name}.toml")
        assert on_disk.content_hash() == load_scenario(name).content_hash()


def test_unknown_builtin_suggests_a_name() -> None:
    with pytest.raises(govsim.ScenarioError, match="did you mean 'guangan'"):
        load_scenario("guangna")


def test_overrides_return_a_new_validated_scenario(guangan: Scenario) -> None:
    changed = guangan.with_overrides({"policy.relief_cap_share": 0.02,
                                      "counties.linshui.dibao": 50_000,
                                      "items.*.growth": 0.0,
                                      "counties[0].public_caseworkers".replace("[0]", ".0"): 51})
    assert changed.policy.relief_cap_share == 0.02
    assert changed.county("linshui").dibao == 50_000
    assert all(i.growth == 0.0 for i in changed.items)
    assert changed.counties[0].public_caseworkers == 51
    assert guangan.policy.relief_cap_share == 0.03  # the original is untouched
    assert guangan.county("linshui").dibao == 38_200
    assert changed.content_hash() != guangan.content_hash()


def test_override_errors_name_the_path_and_suggest(guangan: Scenario) -> None:
    with pytest.raises(govsim.ScenarioError, match="did you mean 'linshui'"):
        guangan.with_overrides({"counties.linshiu.dibao": 1})
    with pytest.raises(govsim.ScenarioError, match="did you mean 'relief_cap_share'"):
        guangan.with_overrides({"policy.relief_cap_shar": 0.02})
    with pytest.raises(govsim.ScenarioError, match=r"counties\[5\]\.dibao"):
        guangan.with_overrides({"counties.linshui.dibao": -3})


def test_market_override_accepts_provider_type_keys(guangan: Scenario) -> None:
    changed = guangan.with_overrides({"counties.linshui.market.social_org": 99})
    assert changed.county("linshui").market["social_org"] == 99


def test_content_hash_is_stable_and_content_based(tiny: Scenario) -> None:
    again = Scenario.from_dict(tiny.to_dict())
    assert again.content_hash() == tiny.content_hash()
    assert len(tiny.content_hash()) == 64
    assert tiny.with_overrides({"scenario.seed": 8}).content_hash() != tiny.content_hash()


def test_scenario_is_immutable(tiny: Scenario) -> None:
    with pytest.raises(Exception, match="frozen"):
        tiny.counties[0].dibao = 1  # type: ignore[misc]


def test_policy_departure_is_a_warning_not_an_error(fixtures_dir: Path) -> None:
    scenario = load_scenario(fixtures_dir / "policy_departure.toml")
    (warning,) = scenario.warnings
    assert warning.rule == "relief-cap" and warning.severity == "warning"
    assert "policy.relief_cap_share" in warning.format()


# -- property: whatever the corruption, only ScenarioError comes out ---------------------------

TINY_TEXT = (Path(__file__).parents[2] / "scenarios" / "tiny.toml").read_text()
TINY_DATA = tomllib.loads(TINY_TEXT)
_values = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True), st.text(max_size=8),
                    st.lists(st.integers(-3, 3), max_size=13), st.dictionaries(
                        st.text(string.ascii_lowercase, max_size=5), st.integers(), max_size=2))


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


PATHS = _paths(TINY_DATA)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), _values, st.booleans()), min_size=1,
                max_size=4))
def test_corrupted_data_only_raises_scenario_error(edits: list) -> None:
    import copy

    data = copy.deepcopy(TINY_DATA)
    for path, value, delete in edits:
        node = data
        try:
            for key in path[:-1]:
                node = node[key]
            if delete:
                del node[path[-1]]
            else:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    try:
        Scenario.from_dict(data)
    except govsim.ScenarioError as exc:
        assert exc.problems and all(p.message for p in exc.problems)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(TINY_TEXT) - 1), st.text(max_size=6), st.integers(0, 8))
def test_corrupted_text_only_raises_scenario_error(position: int, insert: str, cut: int) -> None:
    from govsim.scenario import scenario_from_text

    text = TINY_TEXT[:position] + insert + TINY_TEXT[position + cut:]
    try:
        scenario_from_text(text, "corrupt.toml")
    except govsim.ScenarioError as exc:
        assert all(p.file == "corrupt.toml" for p in exc.problems)


def test_header_is_scenario_header_and_the_file_key_stays_scenario(tiny: Scenario) -> None:
    assert tiny.header.name == "tiny" and tiny.header.base_year == 2025
    data = tiny.to_dict()
    assert "scenario" in data and "header" not in data
    assert Scenario.from_dict(data).content_hash() == tiny.content_hash()
    assert tiny.with_overrides({"scenario.seed": 3}).header.seed == 3
    with pytest.raises(govsim.ScenarioError, match="unknown key"):
        Scenario.from_dict({**data, "header": data["scenario"]})
    with pytest.warns(DeprecationWarning, match="Scenario.header"):
        assert tiny.scenario is tiny.header
