"""The engine option end to end, the pool memo's key, and where numba caches its machine code.

Pool-level agreement of the two engines is ``tests/sim/test_engines_agree.py``; here: whole
years and runs give identical tables on either engine, ``engine`` is checked wherever it enters,
the memo key changes with every input a pool's spec is drawn from, and the cache location rules.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import govsim
from govsim.cli import main
from govsim.sim import SimulationError, simulate, simulate_year
from govsim.sim.draw import PoolDraw
from govsim.sim.engine import _spec_key
from govsim.sim.spec import Slot
from govsim.sim.workers import ReplicationWorkers


@pytest.fixture(scope="module")
def small(tiny: govsim.Scenario) -> govsim.Scenario:
    return tiny.with_overrides({f"items.{i.id}.rate": i.rate / 10 for i in tiny.items})


def test_years_are_identical_on_both_engines(tiny: govsim.Scenario) -> None:
    """Two years (backlog, contracts and failures carried over), every table, bit for bit."""
    state = {"compiled": None, "simpy": None}
    for year in (2025, 2026):
        results = {}
        for engine in state:
            results[engine], state[engine] = simulate_year(tiny, year, None, state[engine],
                                                           seed=4, replication=1, engine=engine)
        for table in ("kpis", "contracts", "providers"):
            pd.testing.assert_frame_equal(getattr(results["compiled"], table),
                                          getattr(results["simpy"], table), check_exact=True)
        assert results["compiled"].kpis["served"].sum() > 0
        for key, ages in state["compiled"].backlog.items():
            np.testing.assert_array_equal(ages, state["simpy"].backlog[key])


def test_pipeline_run_records_its_engine_and_matches_the_reference(small: govsim.Scenario
                                                                   ) -> None:
    compiled = govsim.run(small, years=1, replications=2, rounds=2, workers=1)
    reference = govsim.run(small, years=1, replications=2, rounds=2, workers=1, engine="simpy")
    assert compiled.options.engine == "compiled"
    assert reference.tables.manifest["options"]["engine"] == "simpy"
    pd.testing.assert_frame_equal(compiled.replication_kpis, reference.replication_kpis,
                                  check_exact=True)
    pd.testing.assert_frame_equal(compiled.tables.allocation, reference.tables.allocation,
                                  check_exact=True)


def test_a_bad_engine_is_refused_before_any_work(small: govsim.Scenario) -> None:
    with pytest.raises(SimulationError, match="engine must be one of compiled, simpy"):
        simulate(small, years=1, replications=1, engine="fast")
    with pytest.raises(SimulationError, match="engine"):
        simulate_year(small, 2025, None, None, seed=1, engine="SimPy")
    with pytest.raises(SimulationError, match="engine"):
        ReplicationWorkers(1, 1, engine="numba")
    with pytest.raises(govsim.GovsimError, match="engine"):
        govsim.run(small, years=1, replications=1, engine="fast")


def test_engine_flag_on_the_command_line(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sim"
    assert main(["simulate", "tiny", "--years", "1", "--replications", "1", "--workers", "1",
                 "--engine", "simpy", "--out", str(out)]) == 0
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert '"engine": "simpy"' in manifest
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", "tiny", "--engine", "fast"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'fast'" in capsys.readouterr().err


# -- the memo key ------------------------------------------------------------------------------

def base_draw() -> PoolDraw:
    return PoolDraw(seed=3, year=2025, replication=1, county="east", item="care",
                    monthly_cases=np.full(12, 20.0), arrival_hours=None, hours_per_year=1960.0,
                    efficiency=0.75, distribution="lognormal", mean_hours=3.0, service_cv=0.8,
                    patience_hours=320.0, target_wait_hours=40.0, penalty_per_hour=0.01,
                    carried_ages=np.array([30.0, 12.0]),
                    slots=(Slot("public", "public", 1.5, 0.8),
                           Slot("p", "contract", 1.0, 0.7, end_hours=900.0)))


def perturbed(draw: PoolDraw) -> list[tuple[str, PoolDraw]]:
    """``draw`` with each field changed in turn."""
    changes = {
        "seed": 4, "year": 2026, "replication": 2, "county": "west", "item": "meals",
        "monthly_cases": np.full(12, 21.0), "arrival_hours": np.array([1.0, 5.0]),
        "hours_per_year": 1900.0, "efficiency": 0.7, "distribution": "gamma",
        "mean_hours": 3.5, "service_cv": 0.5, "patience_hours": None,
        "target_wait_hours": 48.0, "penalty_per_hour": 0.02,
        "carried_ages": np.array([30.0]),
        "slots": (Slot("public", "public", 1.5, 0.8),
                  Slot("p", "contract", 1.0, 0.7, end_hours=901.0)),
        "deadline_hours": 240.0, "peak_hours": (1470.0, 1960.0), "commissioned": True,
    }
    assert set(changes) == {f.name for f in dataclasses.fields(PoolDraw)}
    return [(name, dataclasses.replace(draw, **{name: value}))
            for name, value in changes.items()]


def test_memo_key_changes_with_every_input_of_the_draw() -> None:
    draw = base_draw()
    assert draw.key() == base_draw().key()
    assert _spec_key(draw.spec()) == _spec_key(base_draw().spec())  # same inputs, same spec
    keys = {draw.key()}
    for name, other in perturbed(draw):
        assert other.key() not in keys, name
        keys.add(other.key())
        if name not in ("target_wait_hours", "penalty_per_hour"):
            # the drawn spec changes too (the two penalty figures only enter the summary)
            assert _spec_key(other.spec()) != _spec_key(draw.spec()), name
    renamed = dataclasses.replace(draw, slots=(Slot("other name", "public", 1.5, 0.8),
                                               draw.slots[1]))
    assert renamed.key() == draw.key()  # slot names change nothing


def test_draw_without_carried_cases_uses_no_backlog_stream() -> None:
    """Carried cases draw from the ``backlog`` stream; without them the spec is the same as if
    that stream existed but gave nothing (what the engine did before it stopped creating it)."""
    draw = dataclasses.replace(base_draw(), carried_ages=np.empty(0))
    spec = draw.spec()
    assert len(spec.work_hours) == len(spec.arrival_hours) == len(spec.patience_hours) > 100
    assert math.isclose(spec.efficiency, 0.75)


# -- numba's cache -----------------------------------------------------------------------------

def test_cache_goes_somewhere_writable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from govsim.sim import jit

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    package = Path(jit.__file__).parent / "__pycache__"
    real = jit._writable
    monkeypatch.setattr(jit, "_writable", lambda folder: folder != package and real(folder))
    assert jit._choose_cache_dir() == str(tmp_path / "xdg" / "govsim" / "numba")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert jit._choose_cache_dir() == str(tmp_path / "mine")
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setattr(jit, "_writable", lambda folder: True)
    assert jit._choose_cache_dir() is None  # beside the source, numba's own default
    # an installed package never gets the cache: uninstalling would leave a govsim/ folder
    monkeypatch.setattr(jit, "__file__", str(tmp_path / "site-packages" / "govsim" / "sim"
                                              / "jit.py"))
    assert jit._choose_cache_dir() == str(tmp_path / "xdg" / "govsim" / "numba")


def test_workers_start_only_when_the_work_is_worth_it() -> None:
    from govsim.sim.workers import auto_workers

    guangan = govsim.load_scenario("guangan")
    # about 500,000 cases a year: 5 replications take the compiled engine well under a second
    assert auto_workers(guangan, 2025, 5, "compiled", cores=2) == 1
    assert auto_workers(guangan, 2025, 5, "simpy", cores=2) == 2
    assert auto_workers(guangan, 2025, 1, "simpy", cores=2) == 1  # one replication: one task


def test_sweep_engine_is_a_run_option_not_part_of_the_sweep(tmp_path: Path) -> None:
    """``[sweep] engine`` reaches every run; it is not in the spec hash, so a sweep may resume
    on the other engine (the runs are identical)."""
    from govsim.sweep import load_sweep_spec, run_sweep
    from govsim.sweep.runner import run_context

    text = (Path(__file__).parents[2] / "scenarios" / "sweeps" / "tiny.toml").read_text(
        encoding="utf-8")
    text = text.replace("[sampler]", 'engine = "simpy"\n\n[sampler]')
    for old, new in (("points = 8", "points = 2"), ("years = 2", "years = 1"),
                     ("replications = 2", "replications = 1")):
        text = text.replace(old, new)
    spec = load_sweep_spec(text)
    default = load_sweep_spec(text.replace('engine = "simpy"\n', ""))
    assert "engine" not in default.text
    assert spec.header.engine == "simpy" and default.header.engine == "compiled"
    assert run_context(spec).engine == "simpy"
    assert spec.spec_hash() == default.spec_hash()
    runs = run_sweep(spec, tmp_path / "sweep", workers=1).runs
    assert len(runs) == 12 and (runs["status"] == "ok").all()


def test_compare_passes_the_engine_to_every_run(tiny: govsim.Scenario) -> None:
    seen = []

    def runner(scenario: govsim.Scenario, **kwargs: object) -> object:
        seen.append(kwargs["engine"])
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        govsim.compare(tiny, ["base:", "cap4: policy.relief_cap_share=0.04"], years=1,
                       replications=1, workers=1, runner=runner, engine="simpy")
    assert seen == ["simpy"]


def test_old_names_of_the_worker_processes_and_the_horizon_still_import() -> None:
    from govsim.sim import horizon, workers

    with pytest.warns(DeprecationWarning, match="ReplicationWorkers"):
        from govsim.sim.workers import YearPool
    assert YearPool is workers.ReplicationWorkers
    sys.modules.pop("govsim.sim.run", None)  # warn again, whichever test imported it first
    with pytest.warns(DeprecationWarning):
        old_run = importlib.import_module("govsim.sim.run")
    assert old_run is horizon and old_run.simulate is govsim.simulate
