"""docs/scenario.md against the scenario models: the generated field reference and the examples.

The field tables between the markers must equal
:func:`govsim.schema_doc.scenario_reference_markdown` (as ``docs/rules.md`` must contain
``govsim rules --markdown``); the worked example, its printed outputs, the override examples and
the content-hash claims are run and compared with the text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import Field

import govsim
from govsim.cli import main
from govsim.policy import caseworkers_required, child_staff_required, relief_cap_limits
from govsim.scenario import County, Scenario, load_scenario
from govsim.schema_doc import (
    UNITS,
    TableDoc,
    field_unit,
    generated_part,
    is_numeric,
    replace_generated,
    scenario_reference_markdown,
    scenario_tables,
    table_markdown,
)

ROOT = Path(__file__).parents[1]
DOC = (ROOT / "docs" / "scenario.md").read_text(encoding="utf-8")
#: Numeric keys without a physical unit.
UNITLESS = {("ScenarioHeader", "seed")}


def _block_after(anchor: str, language: str = "") -> str:
    """The first fenced code block after ``anchor`` in the document."""
    start = DOC.index(anchor)
    match = re.compile(rf"^```{language}\n(.*?)^```$", re.S | re.M).search(DOC, start)
    assert match, anchor
    return match.group(1)


# -- the generated reference -------------------------------------------------------------------

def test_generated_reference_matches_the_models() -> None:
    assert generated_part(DOC) == scenario_reference_markdown(), (
        "docs/scenario.md is stale; regenerate with: python -m govsim.schema_doc docs/scenario.md")


def test_every_table_and_key_is_in_the_reference() -> None:
    reference = scenario_reference_markdown()
    headers = [t.header for t in scenario_tables()]
    assert headers == ["[scenario]", "[policy]", "[funds]", "[[counties]]", "[[items]]",
                       "[[provider_types]]", "[[providers]]", "[baseline]",
                       "[[baseline.public_staff]]", "[[baseline.contracts]]", "[mechanisms]",
                       "[mechanisms.vouchers]", "[mechanisms.volunteers]",
                       "[mechanisms.village_assistants]", "[mechanisms.payment_by_assessment]",
                       "[mechanisms.lead_time]", "[mechanisms.eligibility]",
                       "[mechanisms.title_tiers]", "[mechanisms.title_tiers.prices]",
                       "[[mechanisms.title_tiers.mix]]"]
    for table in scenario_tables():
        section = reference.split(f"### `{table.header}`", 1)[1].split("\n### ", 1)[0]
        for name in table.model.model_fields:
            assert f"\n| `{name}` |" in section, (table.header, name)


def test_every_key_has_a_description_and_numbers_have_a_unit() -> None:
    for table in scenario_tables():
        for name, info in table.model.model_fields.items():
            where = (table.model.__name__, name)
            assert info.description, f"{where}: add Field(description=...)"
            if is_numeric(info.annotation) and where not in UNITLESS:
                _, unit = field_unit(info)
                assert unit in UNITS, f"{where}: end the description with ', <unit>'"


def test_the_reference_shows_type_unit_default_limits_and_rules() -> None:
    reference = scenario_reference_markdown()
    assert ("| `dibao` | integer | people | **required** | ≥ 0 | "
            "Minimum-living-guarantee (低保) recipients |") in reference
    assert "| `monthly` | array of number | multiplier | `[1.0 × 12]` | exactly 12 entries; " \
           "each > 0 |" in reference
    assert ("| `cap_scope` | string | — | `\"county\"` | one of `county`, `prefecture` |"
            in reference)
    assert "| `relief_cap_share` | `relief-cap` | `0.03` |" in reference


def test_the_generator_renders_a_new_key() -> None:
    """A key added to a model shows up (so a stale document fails the test above)."""

    class Extended(County):
        shoe_size: int = Field(0, ge=0, description="Shoe size of the mayor, count")

    text = "\n".join(table_markdown(TableDoc("[[counties]]", "counties", Extended, True, "")))
    assert "| `shoe_size` | integer | count | `0` | ≥ 0 | Shoe size of the mayor |" in text
    stale = replace_generated(DOC, "| table | what it holds | required |\n")
    assert generated_part(stale) != scenario_reference_markdown()


def test_replace_generated_round_trips_and_needs_markers() -> None:
    assert replace_generated(DOC, generated_part(DOC)) == DOC
    with pytest.raises(ValueError, match="markers"):
        replace_generated("no markers here", "x")


# -- the worked example ------------------------------------------------------------------------

EXAMPLE = _block_after("<!-- worked example: example.toml -->", "toml")
MISTAKES = (("dibao = 11_000", "dibao = -11_000"),
            ("relief_fund_last_year = ", "relief_fund_lastyear = "),
            ('item = "care"\nprovider_type', 'item = "benefit_approval"\nprovider_type'))


@pytest.fixture
def example_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "example.toml").write_text(EXAMPLE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_worked_example_validates_as_printed(example_dir: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "example.toml"]) == 0
    printed = _block_after("`govsim validate example.toml` prints")
    assert capsys.readouterr().out == printed


def test_worked_example_figures_in_the_text(example_dir: Path) -> None:
    scenario = load_scenario("example.toml")
    hexi = scenario.county("hexi")
    assert caseworkers_required(hexi, scenario.policy.caseworker_ratio) == 25
    assert hexi.public_caseworkers == 18
    assert relief_cap_limits(scenario)["hexi"] == pytest.approx(900_000.0)
    assert child_staff_required(hexi, scenario.policy.child_staff_per_unit) == 162
    assert "= **25** caseworkers against 18" in DOC and "**90.0 万元**" in DOC
    assert "**162** required against 150" in DOC


def test_worked_example_mistakes_are_reported_as_printed(
        example_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = EXAMPLE
    for old, new in MISTAKES:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (example_dir / "example.toml").write_text(text, encoding="utf-8")
    assert main(["validate", "example.toml"]) == 2
    printed = _block_after("are all reported at once")
    assert capsys.readouterr().err == printed


def test_policy_departure_warning_as_printed(example_dir: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    text = EXAMPLE.replace("[funds]", "[policy]\nrelief_cap_share = 0.04\n\n[funds]")
    (example_dir / "whatif.toml").write_text(text, encoding="utf-8")
    assert main(["validate", "whatif.toml"]) == 0
    warning = _block_after("and the rule:")
    assert capsys.readouterr().err == warning


def test_what_if_example_gives_the_commented_values(example_dir: Path) -> None:
    code = _block_after("A what-if with a 4 % cap and more recipients:", "python")
    lines = [line for line in code.splitlines() if line.strip()]
    namespace: dict[str, object] = {"govsim": govsim}
    exec("\n".join(lines[:3]), namespace)
    for line in lines[3:]:
        expression, expected = (part.strip() for part in line.split("#"))
        value = eval(expression, namespace)
        assert str(value) == expected.removeprefix("still ")


def test_override_examples_run(guangan: Scenario) -> None:
    code = _block_after("original is never changed.", "python")
    namespace: dict[str, object] = {"scenario": guangan}
    exec(code, namespace)
    what_if = namespace["what_if"]
    assert isinstance(what_if, Scenario)
    assert what_if.county("linshui").dibao == 50_000
    assert what_if.counties[0].public_caseworkers == 51
    assert what_if.county("linshui").market["social_org"] == 40
    assert what_if.baseline.contracts[0].fte == 3.0
    assert all(item.growth == 0.0 for item in what_if.items)
    assert namespace["no_contracts"].baseline.contracts == ()  # type: ignore[attr-defined]
    assert guangan.county("linshui").dibao == 38_200


def test_override_typo_message_as_documented(example_dir: Path) -> None:
    scenario = load_scenario("example.toml")
    with pytest.raises(govsim.ScenarioError) as info:
        scenario.with_overrides({"counties.hexii.dibao": 12_000})
    assert "'hexii' not found in counties; did you mean 'hexi'?" in str(info.value)
    assert "'hexii' not found in counties; did you mean 'hexi'?" in DOC


# -- the content hash ------------------------------------------------------------------------------

def _hash_of(text: str, tmp_path: Path) -> str:
    path = tmp_path / "variant.toml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path).content_hash()


def test_content_hash_ignores_layout_and_defaults_as_documented(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "tiny.toml").read_text(encoding="utf-8")
    base = load_scenario("tiny").content_hash()
    variants = {
        "comments and blank lines": "# a comment\n\n" + text.replace("\n[[items]]",
                                                                     "\n\n# more\n[[items]]"),
        "key order": text.replace('title_zh = "示例小场景"\ntitle_en = "Tiny example"\n',
                                  'title_en = "Tiny example"\ntitle_zh = "示例小场景"\n'),
        "underscores in numbers": text.replace("population = 120_000", "population = 120000"),
        "3 versus 3.0": text.replace("cost_per_fte_year = 69_000.0", "cost_per_fte_year = 69000"),
        "a default written out": text.replace("lang = \"en\"\n",
                                              "lang = \"en\"\nhours_per_year = 1960.0\n"),
    }
    for what, variant in variants.items():
        assert variant != text, what
        assert _hash_of(variant, tmp_path) == base, what
    changed = text.replace("population = 120_000", "population = 120_001")
    assert _hash_of(changed, tmp_path) != base
