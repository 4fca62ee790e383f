"""``Scenario.county`` / ``item`` / ``provider_type`` look entries up by id: a search for short
tuples, an index for long ones (a province's counties) — the same answers either way."""

from __future__ import annotations

import pytest

from govsim.generate import generate_scenario
from govsim.scenario import schema


def test_indexed_lookup_answers_as_the_search() -> None:
    scenario = generate_scenario(40, seed=3)
    assert len(scenario.counties) >= schema._INDEXED_FROM
    for county in scenario.counties:
        assert scenario.county(county.id) is county
    with pytest.raises(KeyError, match="no county with id 'nowhere'"):
        scenario.county("nowhere")
    with pytest.raises(KeyError, match="no county"):
        scenario.county(["unhashable"])  # type: ignore[arg-type]


def test_a_changed_scenario_is_looked_up_in_its_own_counties() -> None:
    scenario = generate_scenario(20, seed=3)
    first = scenario.counties[0]
    renamed = first.model_copy(update={"population": first.population + 1})
    changed = scenario.model_copy(update={"counties": (renamed, *scenario.counties[1:])})
    assert scenario.county(first.id) is first
    assert changed.county(first.id) is renamed
    assert scenario.county(first.id) is first


def test_a_repeated_id_gives_the_first_entry_as_the_search_did() -> None:
    class Entry:
        def __init__(self, id: str, n: int) -> None:
            self.id, self.n = id, n

    entries = tuple(Entry(f"e{k % 17}", k) for k in range(34))
    assert schema._by_id(entries, "e3", "entry").n == 3
