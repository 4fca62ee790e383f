"""The model is built and solved with Python's cyclic garbage collector paused, and the
collector is left as it was found — also when the build fails."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import replace

import pytest

import govsim
from govsim.allocation import AllocationError, estimates_from_scenario
from govsim.allocation import model as model_module
from govsim.allocation import solve as solve_module
from govsim.allocation.model import build_model, collector_paused


@pytest.fixture
def collector_state() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.enable() if was else gc.disable()


def test_the_collector_is_off_while_the_model_is_built_and_back_on_after(
        tiny: govsim.Scenario, monkeypatch: pytest.MonkeyPatch, collector_state: None) -> None:
    seen: list[bool] = []
    real = model_module.add_need

    def recorded(model: model_module.AllocationModel) -> None:
        seen.append(gc.isenabled())
        real(model)

    monkeypatch.setattr(model_module, "add_need", recorded)
    gc.enable()
    built = build_model(tiny, estimates_from_scenario(tiny, tiny.header.base_year),
                        tiny.header.base_year)
    assert seen == [False]
    assert gc.isenabled()
    assert built.rows


def test_a_collector_switched_off_by_the_caller_stays_off(collector_state: None) -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_a_failed_build_turns_the_collector_back_on(tiny: govsim.Scenario,
                                                    collector_state: None) -> None:
    year = tiny.header.base_year
    full = estimates_from_scenario(tiny, year)
    estimates = replace(full, demand=full.demand.iloc[1:])  # a cell without its row: it fails
    gc.enable()
    with pytest.raises(AllocationError, match="no row"):
        build_model(tiny, estimates, year)
    assert gc.isenabled()


def test_the_collector_is_off_while_the_whole_posts_are_found(
        tiny: govsim.Scenario, monkeypatch: pytest.MonkeyPatch, collector_state: None) -> None:
    seen: list[bool] = []
    real = solve_module.whole_posts

    def recorded(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(solve_module, "whole_posts", recorded)
    gc.enable()
    year = tiny.header.base_year
    model = build_model(tiny, estimates_from_scenario(tiny, year), year)
    solve_module.solve_model(model)
    assert seen == [False]
    assert gc.isenabled()
