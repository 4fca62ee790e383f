"""Sweeps in this process: the sweep file's errors, the samplers, metrics, failures, analysis.

Executors with several processes, Dask, SIGKILL and Ctrl-C are in
``tests/sweep/test_executors.py``. Everything runs the tiny scenario; the allocation stage
(deterministic, ~30 ms a run) carries the sensitivity tests.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import govsim
import govsim.sweep as gs
from govsim.cli import main
from govsim.sim import simulate
from govsim.sweep import SweepError, SweepSpecError, load_sweep_spec, open_sweep, run_sweep
from govsim.sweep.metrics import METRICS, metrics_for_stage
from govsim.sweep.samplers import design_size, make_design

HEADER = """\
[sweep]
name = "t"
scenario = "tiny"
stage = "{stage}"
replications = {reps}
seed = 11
metrics = {metrics}
{extra}
[sampler]
{sampler}
"""


def sweep_text(parameters: str, *, stage: str = "allocate", reps: int = 1,
               metrics: str = '["spend_cny", "relief_spend_cny"]', extra: str = "",
               sampler: str = 'method = "grid"') -> str:
    return HEADER.format(stage=stage, reps=reps, metrics=metrics, extra=extra,
                         sampler=sampler) + parameters


CAP = """
[[parameters]]
name = "cap"
path = "policy.relief_cap_share"
low = 0.01
high = 0.05
"""
IGNORED = """
[[parameters]]
name = "volunteers"
path = "policy.volunteers_per_social_worker"
low = 5
high = 20
integer = true
"""


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the sweep file -----------------------------------------------------------------------

def test_example_sweep_files_load() -> None:
    root = Path(__file__).parents[2] / "scenarios" / "sweeps"
    tiny = load_sweep_spec(root / "tiny.toml")
    guangan = load_sweep_spec(root / "guangan-sensitivity.toml")
    assert tiny.scenario.name == "tiny" and guangan.scenario.name == "guangan"
    assert design_size(tiny) * tiny.header.replications <= 200  # "under a minute on 2 cores"
    assert {"growth", "failure_hazard", "post_price", "cap_share"} <= set(
        guangan.parameter_names)


def test_runs_share_the_scenario_without_its_uncertain_inputs() -> None:
    """No run stage draws from ``[[uncertainty]]``: the runs' scenario leaves the entries out
    (each point's overrides would check them again) and is otherwise the sweep's."""
    from govsim.sweep.runner import run_context

    root = Path(__file__).parents[2] / "scenarios" / "sweeps"
    spec = load_sweep_spec(root / "guangan-sensitivity.toml")
    assert spec.scenario.uncertainty  # Guang'an declares uncertain inputs
    shared = run_context(spec).scenario
    assert shared.uncertainty == ()
    assert {**shared.to_dict(), "uncertainty": None} == {**spec.scenario.to_dict(),
                                                         "uncertainty": None}


def test_unknown_key_has_line_and_suggestion(tmp_path: Path) -> None:
    text = sweep_text(CAP).replace("replications = 1", "replicatons = 1")
    with pytest.raises(SweepSpecError) as err:
        load_sweep_spec(write(tmp_path, text))
    (problem,) = err.value.problems
    assert problem.path == "sweep.replicatons"
    assert "did you mean 'replications'" in problem.message
    assert problem.line == 5 and problem.file.endswith("sweep.toml")


def test_unknown_metric_names_the_valid_ones(tmp_path: Path) -> None:
    text = sweep_text(CAP, stage="simulate", metrics='["servd", "spend_cny"]')
    with pytest.raises(SweepSpecError) as err:
        load_sweep_spec(write(tmp_path, text))
    messages = {p.path: p.message for p in err.value.problems}
    assert "did you mean 'served'" in messages["sweep.metrics[0]"]
    assert "valid: " in messages["sweep.metrics[1]"]
    assert "wait_p90_days" in messages["sweep.metrics[1]"]
    assert "spend_cny" not in messages["sweep.metrics[1]"].split("valid: ")[1]


def test_bad_path_gets_did_you_mean(tmp_path: Path) -> None:
    text = sweep_text(CAP.replace("relief_cap_share", "relief_cap_shar"))
    with pytest.raises(SweepSpecError) as err:
        load_sweep_spec(write(tmp_path, text))
    (problem,) = err.value.problems
    assert problem.path == "parameters[0].path" and problem.value == "policy.relief_cap_shar"
    assert "did you mean 'relief_cap_share'" in problem.message


@pytest.mark.parametrize(("parameters", "sampler", "path", "fragment"), [
    (CAP.replace("high = 0.05", "high = 1.5"), 'method = "grid"', "parameters[0]",
     "value 1.5 gives an invalid scenario"),
    (CAP, 'method = "sobol"\npoints = 10', "sampler", "power of 2"),
    (CAP, 'method = "grid"\npoints = 10', "sampler", "levels"),
    ("[[parameters]]\npath = \"counties.east.dibao\"\nlow = 1000\nhigh = 5000\n",
     'method = "grid"', "parameters[0].integer", "whole number"),
    (CAP.replace("high = 0.05", "high = 0.05\nvalues = [0.1]"), 'method = "grid"',
     "parameters[0]", "either low/high or values"),
    (CAP.replace('name = "cap"', 'name = "spend_cny"'), 'method = "grid"',
     "parameters[0].name", "metric"),
])
def test_invalid_sweep_files(tmp_path: Path, parameters: str, sampler: str, path: str,
                             fragment: str) -> None:
    with pytest.raises(SweepSpecError) as err:
        load_sweep_spec(write(tmp_path, sweep_text(parameters, sampler=sampler)))
    assert any(p.path == path and fragment in p.message for p in err.value.problems), \
        err.value.problems


def test_allocate_with_replications_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SweepSpecError, match="deterministic"):
        load_sweep_spec(write(tmp_path, sweep_text(CAP, reps=2)))


def test_cli_reports_a_bad_file_with_exit_2(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, sweep_text(CAP.replace("low = 0.01", "lo = 0.01")))
    assert main(["sweep", "run", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "parameters[0].lo" in err and f"{path}:" in err
    assert not (tmp_path / "o").exists()


def test_group_scales_every_county_from_its_base(tmp_path: Path) -> None:
    text = sweep_text('[[parameters]]\nname = "dibao_scale"\npath = "counties.*.dibao"\n'
                      'mode = "scale"\nvalues = [0.5, 2.0]\n')
    spec = load_sweep_spec(write(tmp_path, text))
    tiny = govsim.load_scenario("tiny")
    base = {c.id: c.dibao for c in tiny.counties}
    assert spec.overrides({"dibao_scale": 0.5}) == {
        f"counties.{cid}.dibao": round(v * 0.5) for cid, v in base.items()}
    scaled = tiny.with_overrides(spec.overrides({"dibao_scale": 2.0}))
    assert [c.dibao for c in scaled.counties] == [2 * v for v in base.values()]


# -- samplers -----------------------------------------------------------------------------

def _spec(tmp_path: Path, sampler: str, parameters: str = CAP + IGNORED, **kw: str):
    return load_sweep_spec(write(tmp_path, sweep_text(parameters, sampler=sampler, **kw)))


def test_grid_is_the_full_factorial_with_both_ends(tmp_path: Path) -> None:
    spec = _spec(tmp_path, 'method = "grid"\nlevels = 3',
                 CAP + IGNORED.replace("integer = true", "integer = true\nlevels = 2"))
    design = make_design(spec)
    assert len(design) == design_size(spec) == 6
    assert sorted(design.values["cap"].unique()) == pytest.approx([0.01, 0.03, 0.05])
    assert sorted(design.values["volunteers"].unique()) == [5, 20]
    assert design.values["volunteers"].dtype == np.int64


@pytest.mark.parametrize("sampler", ['method = "random"\npoints = 40',
                                     'method = "latin"\npoints = 40',
                                     'method = "sobol"\npoints = 16',
                                     'method = "morris"\npoints = 6\nlevels = 4'])
def test_designs_are_deterministic_and_within_bounds(tmp_path: Path, sampler: str) -> None:
    spec = _spec(tmp_path, sampler)
    first, again = make_design(spec), make_design(spec)
    assert len(first) == design_size(spec)
    pd.testing.assert_frame_equal(first.values, again.values)
    assert first.values["cap"].between(0.01, 0.05).all()
    assert set(first.values["volunteers"]) <= set(range(5, 21))


def test_seed_changes_the_random_design(tmp_path: Path) -> None:
    a = make_design(_spec(tmp_path, 'method = "random"\npoints = 5'))
    b = make_design(load_sweep_spec(write(tmp_path, sweep_text(
        CAP + IGNORED, sampler='method = "random"\npoints = 5').replace("seed = 11",
                                                                        "seed = 12"))))
    assert not np.allclose(a.values["cap"], b.values["cap"])


def test_latin_hypercube_fills_every_stratum(tmp_path: Path) -> None:
    design = make_design(_spec(tmp_path, 'method = "latin"\npoints = 25'))
    strata = np.floor(design.unit * 25).astype(int)
    for column in strata.T:
        assert sorted(column) == list(range(25))


def test_integer_ranges_reach_both_ends_equally(tmp_path: Path) -> None:
    design = make_design(_spec(tmp_path, 'method = "random"\npoints = 3200'))
    counts = design.values["volunteers"].value_counts()
    assert sorted(counts.index) == list(range(5, 21))
    assert counts.min() > 140 and counts.max() < 260  # 200 expected each


# -- metrics --------------------------------------------------------------------------------

def test_every_stage_has_documented_metrics() -> None:
    for stage in ("simulate", "allocate", "run"):
        assert len(metrics_for_stage(stage)) >= 8
    assert all(m.definition and m.unit for m in METRICS.values())


def test_simulate_runs_equal_replications_of_govsim_simulate(tmp_path: Path, tiny) -> None:
    """Replication r of a point is replication r of ``simulate(seed=sweep seed)``."""
    text = sweep_text('[[parameters]]\npath = "policy.blacklist_years"\nvalues = [3]\n',
                      stage="simulate", reps=2, extra="years = 1",
                      metrics='["served", "abandoned", "wait_p90_days"]')
    result = run_sweep(write(tmp_path, text), tmp_path / "out", workers=1)
    kpis = simulate(tiny, years=1, replications=2, seed=11, workers=1).kpis
    for r in (0, 1):
        rep = kpis[kpis["replication"] == r]
        row = result.runs[result.runs["replication"] == r].iloc[0]
        assert row["served"] == rep["served"].sum()
        assert row["abandoned"] == rep["abandoned"].sum()
        # govsim.metrics: served-weighted over the pools that served someone
        w = rep["served"].where(rep["wait_p90_days"].notna() & (rep["served"] > 0), 0)
        expected = (rep["wait_p90_days"].fillna(0) * w).sum() / w.sum()
        assert row["wait_p90_days"] == pytest.approx(expected, rel=1e-12)


# -- failures, store, resume ------------------------------------------------------------------

FAILING = """
[[parameters]]
name = "hours"
path = "scenario.hours_per_year"
values = [1960.0, 1500.0]

[[parameters]]
name = "productive"
path = "scenario.productive_hours_per_fte"
values = [1470.0, 1800.0]
"""


def test_a_failing_point_is_stored_and_the_others_complete(tmp_path: Path) -> None:
    result = run_sweep(write(tmp_path, sweep_text(FAILING)), tmp_path / "out", workers=1)
    runs = result.results()
    assert len(runs) == 4 and result.complete
    failed = runs[runs["status"] == "failed"]
    assert failed[["hours", "productive"]].values.tolist() == [[1500.0, 1800.0]]
    assert "productive_hours_per_fte cannot exceed hours_per_year" in failed["error"].iloc[0]
    assert failed["spend_cny"].isna().all()
    ok = runs[runs["status"] == "ok"]
    assert len(ok) == 3 and (ok["spend_cny"] > 0).all() and ok["error"].isna().all()
    assert result.counts() == {"ok": 3, "failed": 1, "pending": 0}
    # A second run skips everything, even the failure; --retry-failed runs it (and fails) again.
    again = run_sweep(write(tmp_path, sweep_text(FAILING)), tmp_path / "out", workers=1)
    pd.testing.assert_frame_equal(again.runs, result.runs)
    retried = run_sweep(write(tmp_path, sweep_text(FAILING)), tmp_path / "out", workers=1,
                        retry_failed=True)
    assert retried.counts() == {"ok": 3, "failed": 1, "pending": 0}
    assert retried.runs["finished_utc"].iloc[-1] >= result.runs["finished_utc"].max()


def test_a_changed_sweep_is_refused_on_resume(tmp_path: Path) -> None:
    path = write(tmp_path, sweep_text(CAP, sampler='method = "grid"\nlevels = 2'))
    run_sweep(path, tmp_path / "out", workers=1)
    write(tmp_path, sweep_text(CAP, sampler='method = "grid"\nlevels = 3'))
    with pytest.raises(SweepError, match=r"different sweep \(changed: sampler.levels\)"):
        run_sweep(path, tmp_path / "out", workers=1)
    assert len(open_sweep(tmp_path / "out").runs) == 2


def test_store_files_and_parquet_export(tmp_path: Path) -> None:
    path = write(tmp_path, sweep_text(CAP, sampler='method = "grid"\nlevels = 3'))
    result = gs(path, tmp_path / "out", workers=1)  # the module is callable
    assert isinstance(result, gs.SweepResult)
    out = tmp_path / "out"
    assert (out / "sweep.toml").read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    manifest = pd.read_json(out / "manifest.json", typ="series")
    assert manifest["spec_hash"] == load_sweep_spec(path).spec_hash()
    assert manifest["runs_ok"] == 3 and manifest["sessions"][0]["status"] == "complete"
    assert main(["sweep", "export", str(out), "--parquet"]) == 0
    runs = duckdb.sql(f"SELECT * FROM '{out / 'export' / 'runs.parquet'}' ORDER BY point").df()
    assert runs["spend_cny"].tolist() == pytest.approx(result.runs["spend_cny"].tolist())
    joined = duckdb.sql(f"SELECT cap, spend_cny FROM '{out / 'export' / 'results.parquet'}'"
                        " ORDER BY cap").df()
    assert joined["spend_cny"].is_monotonic_increasing and len(joined) == 3


# -- analysis -------------------------------------------------------------------------------

def test_sobol_total_index_zero_for_an_ignored_parameter(tmp_path: Path) -> None:
    path = write(tmp_path, sweep_text(CAP + IGNORED, sampler='method = "sobol"\npoints = 16'))
    result = run_sweep(path, tmp_path / "out", workers=1)
    assert len(result.runs) == 16 * 4
    table = result.analyze("sobol").set_index(["metric", "parameter"])
    for metric in ("spend_cny", "relief_spend_cny"):
        assert abs(table.loc[(metric, "volunteers"), "ST"]) < 0.01
        # Only the cap acts, so its true S1 = ST = 1; N = 16 estimates them roughly.
        assert table.loc[(metric, "cap"), "ST"] > 0.6
        assert table.loc[(metric, "cap"), "S1"] > 0.6
        assert 0 < table.loc[(metric, "cap"), "ST_conf"] < 1
    assert main(["sweep", "analyze", str(tmp_path / "out"), "--method", "sobol"]) == 0
    assert (tmp_path / "out" / "analysis" / "sobol.png").stat().st_size > 1000
    written = pd.read_csv(tmp_path / "out" / "analysis" / "sobol.csv")
    assert list(written.columns) == ["metric", "parameter", "S1", "S1_conf", "ST", "ST_conf"]


def test_morris_mu_star_zero_for_an_ignored_parameter(tmp_path: Path) -> None:
    path = write(tmp_path, sweep_text(CAP + IGNORED, sampler='method = "morris"\npoints = 6'))
    result = run_sweep(path, tmp_path / "out", workers=1)
    table = result.analyze("morris", metrics=["relief_spend_cny"]).set_index("parameter")
    assert table.loc["volunteers", "mu_star"] == 0
    # Relief spend can rise at most as fast as the cap allows (0.04 of the counties' 20 M CNY
    # fund over the cap's range) and levels off once demand is met.
    assert 1e5 < table.loc["cap", "mu_star"] <= 0.04 * 20e6 * (1 + 1e-9)
    assert table.loc["cap", "mu"] == pytest.approx(table.loc["cap", "mu_star"])  # never falls
    with pytest.raises(SweepError, match="sampled with method = 'sobol'"):
        result.analyze("sobol")


def test_summary_bins_and_analysis_errors(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, sweep_text(CAP + IGNORED, sampler='method = "random"\npoints = 12'))
    result = run_sweep(path, tmp_path / "out", workers=1)
    table = result.summary(bins=3)
    cap = table[(table["parameter"] == "cap") & (table["metric"] == "spend_cny")]
    assert len(cap) == 3 and cap["runs"].sum() == 12
    assert cap["mean"].is_monotonic_increasing
    assert main(["sweep", "summary", str(tmp_path / "out"), "--bins", "3"]) == 0
    assert "by volunteers" in capsys.readouterr().out
    assert main(["sweep", "analyze", str(tmp_path / "out"), "--method", "morris"]) == 2
    assert main(["sweep", "summary", str(tmp_path / "nowhere")]) == 2
    assert math.isfinite(result.runs["spend_cny"].sum())


def test_run_stage(tmp_path: Path) -> None:
    text = sweep_text(CAP.replace("low = 0.01\nhigh = 0.05", "values = [0.01, 0.05]"),
                      stage="run", extra="years = 1\nrun_replications = 1\nrounds = 1",
                      metrics='["spend_cny", "coverage", "served"]')
    result = run_sweep(write(tmp_path, text), tmp_path / "out", workers=1)
    assert (result.runs["status"] == "ok").all(), result.runs["error"].tolist()
    low, high = result.runs["spend_cny"]
    assert high > low > 0
    assert result.runs["coverage"].between(0, 1).all()
