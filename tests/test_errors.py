"""govsim.errors: one payload (Problem) for every error type, messages, old import places."""

from __future__ import annotations

import importlib
import pickle

import pytest

from govsim import errors
from govsim.errors import (
    AllocationError,
    GovsimError,
    OptionError,
    Problem,
    RunError,
    ScenarioError,
    SimulationError,
    SweepError,
    SweepSpecError,
)

ERROR_TYPES = [getattr(errors, name) for name in errors.__all__
               if name != "Problem" and issubclass(getattr(errors, name), Exception)]


@pytest.mark.parametrize("kind", ERROR_TYPES, ids=lambda k: k.__name__)
def test_every_error_carries_problems_and_survives_pickling(kind: type[GovsimError]) -> None:
    error = kind([Problem("counties[0].dibao", "below 0", -1, "bounds")])
    assert issubclass(kind, GovsimError)
    (problem,) = error.problems
    assert (problem.path, problem.message, problem.value, problem.rule) == \
        ("counties[0].dibao", "below 0", -1, "bounds")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is kind and copy.problems == error.problems and str(copy) == str(error)


def test_a_plain_message_reads_as_itself() -> None:
    assert str(RunError("--years must be at least 1")) == "--years must be at least 1"
    error = SimulationError("item x may not be purchased", rule="prohibited-items")
    assert str(error) == "item x may not be purchased [rule prohibited-items]"
    assert error.rule == "prohibited-items" and error.problems[0].message.startswith("item x")
    assert str(AllocationError("no solver")) == "no solver"
    assert str(SweepError("locked")) == "locked"


def test_list_errors_count_their_problems() -> None:
    error = ScenarioError([Problem("a", "bad"), Problem("b", "worse", 3)])
    assert str(error).startswith("2 problems in scenario:\n  <scenario>: error: a: bad")
    assert str(SweepSpecError([Problem("x", "y")])).startswith("1 problem in sweep file:")
    options = OptionError([Problem("lottery+", "override 'x': expected 'path=value'"),
                           Problem("", "no options to compare")])
    assert str(options) == ("2 problems in the options:\n  option 'lottery+': override 'x': "
                            "expected 'path=value'\n  no options to compare")
    assert OptionError([("a", "bad")]).problems == [Problem("a", "bad")]  # older callers


@pytest.mark.parametrize(("module", "name"), [
    ("govsim.allocation.model", "AllocationError"), ("govsim.compare.options", "OptionError"),
    ("govsim.pipeline", "RunError"), ("govsim.sim.year", "SimulationError"),
    ("govsim.sweep.spec", "SweepError"), ("govsim.sweep.spec", "SweepSpecError")])
def test_old_places_still_export_the_same_classes(module: str, name: str) -> None:
    assert getattr(importlib.import_module(module), name) is getattr(errors, name)
