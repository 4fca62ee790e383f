"""The 80 % band of a run's own money needed (``govsim.uncertainty.run_band``): what a sample
moves (the run's estimates by the scenario's expected ratio), exactness at the written scenario,
the band around the run's figure in every table, no band without inputs, reproducibility."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import govsim
from govsim.allocation import estimates_from_scenario
from govsim.budget import BAND_COLUMNS, PREFECTURE, need_allocation, need_plan
from govsim.cli import main
from govsim.errors import RunError
from govsim.uncertainty import DEFAULT_BAND_SAMPLES, money_bands, sampled_estimates
from govsim.uncertainty.design import lhs_design, sample_scenario
from tests.hardening import alive, descendants, start_govsim, wait_until
from tests.uncertainty.inputs import RATES, scenario, with_inputs

INPUTS = (RATES.format(low=0.8, high=1.3),
          'id = "hours"\npath = "items.*.mean_hours"\nlow = 0.8\nhigh = 1.25',
          'id = "price"\npath = "provider_types.*.cost_per_fte_year"\nlow = 0.9\nhigh = 1.2',
          'id = "failures"\npath = "provider_types.*.failure_hazard"\nlow = 0.5\nhigh = 2.0',
          'id = "relief"\npath = "counties.*.relief_fund_last_year"\nlow = 0.2\nhigh = 1.0')


@pytest.fixture(scope="module")
def uncertain() -> govsim.Scenario:
    return scenario(*INPUTS)


@pytest.fixture(scope="module")
def banded(uncertain: govsim.Scenario) -> govsim.RunResult:
    return govsim.run(uncertain, years=2, replications=2, workers=1)


def test_sampled_estimates_move_the_runs_figures_by_the_scenarios_ratio(
        uncertain: govsim.Scenario) -> None:
    year = uncertain.header.base_year
    base = estimates_from_scenario(uncertain, year)
    # the run's own estimates: its simulated cases (here: base + a carried backlog of 7),
    # a lowered utilisation target, a blended capacity loss
    demand = base.demand.assign(cases_mean=base.demand["cases_mean"] + 7.0,
                                utilisation_target=0.6)
    providers = base.providers.assign(capacity_loss=base.providers["capacity_loss"] * 0.5)
    run = type(base)(demand=demand, providers=providers, quantile=base.quantile,
                     contracts=base.contracts)
    sampled_scenario = uncertain.with_overrides({
        **{f"items.{i.id}.rate": i.rate * 1.25 for i in uncertain.items},
        **{f"items.{i.id}.mean_hours": i.mean_hours * 0.8 for i in uncertain.items},
        **{f"provider_types.{p.id}.failure_hazard": p.failure_hazard * 2.0
           for p in uncertain.provider_types}})
    sampled = estimates_from_scenario(sampled_scenario, year)
    moved = sampled_estimates(run, base, sampled, sampled_scenario)
    ratio = sampled.demand["cases_mean"] / base.demand["cases_mean"]
    assert ratio.round(9).eq(1.25).all()  # cases are linear in the rate
    assert moved.demand["cases_mean"].tolist() == pytest.approx(
        ((base.demand["cases_mean"] + 7.0) * 1.25).tolist(), rel=1e-12)
    # copied from the scenario in the run (public staff is split over items by workload):
    # now the sampled scenario's
    for column in ("hours_per_case", "public_fte"):
        assert moved.demand[column].tolist() == pytest.approx(
            sampled.demand[column].tolist(), rel=1e-12, abs=1e-12)
    # the check loop's lowered target does not move with demand
    assert (moved.demand["utilisation_target"] == 0.6).all()
    loss = sampled.providers["capacity_loss"] / base.providers["capacity_loss"]
    assert moved.providers["capacity_loss"].tolist() == pytest.approx(
        (providers["capacity_loss"] * loss).tolist(), rel=1e-12)
    assert (moved.providers["quality"] == providers["quality"]).all()
    assert moved.contracts is run.contracts
    # at the written scenario nothing moves, bit for bit
    same = sampled_estimates(run, base, estimates_from_scenario(uncertain, year), uncertain)
    assert same.demand.equals(run.demand) and same.providers.equals(run.providers)


def test_at_the_written_scenario_the_band_is_the_runs_figure(
        uncertain: govsim.Scenario, banded: govsim.RunResult) -> None:
    """Every input at its written value (a factor of 1): each sample re-solves the run's own
    need plan on unchanged estimates, so p10 = p90 = the run's money needed, to the yuan."""
    ids = [u.id for u in uncertain.uncertainty]
    identity = pd.DataFrame({"sample": range(3), **{i: [1.0] * 3 for i in ids}})
    result = money_bands(uncertain, banded.estimates, 3, banded.seed,
                         solver=banded.options.solver, point=banded.tables.money_needed,
                         design_values=identity)
    money = banded.tables.money_needed
    yearly = result.bands[result.bands["year"].notna()]
    horizon = result.bands[result.bands["year"].isna()]
    assert len(yearly) == 2 * len(money)
    assert len(horizon) == 2 * money["county"].nunique()
    for metric in ("need_cny", "gap_cny"):
        rows = yearly[yearly["metric"] == metric]
        merged = rows.merge(money, on=["county", "year"])
        assert len(merged) == len(money)
        for column in ("p10", "p50", "p90", "point"):
            assert (merged[column] == merged[metric].astype(float)).all(), (metric, column)
        # every sample ties with the point: the middle of the samples
        assert (merged["point_percentile"] == 50.0).all()
        totals = money.groupby("county")[metric].sum().astype(float)
        mine = horizon[horizon["metric"] == metric].set_index("county")
        for column in ("p10", "p90", "point"):
            assert (mine[column] == totals.reindex(mine.index)).all(), (metric, column)


def test_a_run_bands_its_own_money_needed_by_default(banded: govsim.RunResult) -> None:
    tables = banded.tables
    money, bands = tables.money_needed, tables.uncertainty
    assert set(bands["metric"]) == {"need_cny", "gap_cny"}  # money only: no simulations
    assert (bands["samples"] == DEFAULT_BAND_SAMPLES).all()
    assert tables.manifest["uncertainty"]["method"] == "money"
    assert tables.manifest["uncertainty"]["samples"] == DEFAULT_BAND_SAMPLES
    assert "band" in tables.manifest["timings_seconds"]
    for metric in ("need_cny", "gap_cny"):
        rows = bands[bands["metric"] == metric].merge(money, on=["county", "year"])
        assert len(rows) == len(money)
        # the point beside the band is the run's own figure, the band columns the p10/p90
        assert (rows["point"] == rows[metric].astype(float)).all()
        assert (rows[f"{metric}_p10"].astype(float) == rows["p10"]).all()
        assert (rows[f"{metric}_p90"].astype(float) == rows["p90"]).all()
        assert (rows["p10"] <= rows["p50"]).all() and (rows["p50"] <= rows["p90"]).all()
    need = bands[bands["metric"] == "need_cny"]
    assert (need["p90"] > need["p10"]).all()  # the inputs move money needed everywhere
    assert set(tables.uncertainty_drivers["metric"]) == {"need_cny", "gap_cny"}


def test_band_off_and_no_inputs_leave_the_tables_as_they_were(
        uncertain: govsim.Scenario, banded: govsim.RunResult, tiny: govsim.Scenario) -> None:
    off = govsim.run(uncertain, years=2, replications=2, workers=1, band_samples=0)
    assert off.tables.uncertainty.empty and "uncertainty" not in off.tables.manifest
    assert off.tables.money_needed[BAND_COLUMNS].isna().all().all()
    # the band changes nothing but its own columns
    assert off.tables.money_needed.drop(columns=BAND_COLUMNS).equals(
        banded.tables.money_needed.drop(columns=BAND_COLUMNS))
    assert off.tables.allocation.equals(banded.tables.allocation)
    # the pipeline's own run has no band: govsim.run adds it (a room above the pipeline)
    from govsim.pipeline import run as pipeline_run
    plain = pipeline_run(uncertain, years=2, replications=2, workers=1)
    assert plain.tables.uncertainty.empty and len(plain.estimates) == 2
    assert plain.tables.money_needed.equals(off.tables.money_needed)
    with pytest.raises(RunError, match="band_samples"):
        govsim.run(uncertain, years=1, band_samples=1)
    none = govsim.run(tiny, years=1, replications=2, workers=1)
    assert none.tables.uncertainty.empty and "uncertainty" not in none.tables.manifest
    assert none.tables.money_needed[BAND_COLUMNS].isna().all().all()


def test_the_band_does_not_depend_on_workers(uncertain: govsim.Scenario,
                                             banded: govsim.RunResult) -> None:
    serial = money_bands(uncertain, banded.estimates[:1], 4, 3, solver=banded.options.solver)
    pooled = money_bands(uncertain, banded.estimates[:1], 4, 3, solver=banded.options.solver,
                         workers=2)
    assert serial.outcomes.equals(pooled.outcomes) and serial.bands.equals(pooled.bands)
    prefecture = serial.outcomes[serial.outcomes["county"] == PREFECTURE]
    assert len(prefecture) == 2 * 4


@pytest.mark.parametrize("slow", [False, True])
def test_an_auto_band_pools_only_slow_samples(uncertain: govsim.Scenario,
                                              banded: govsim.RunResult, slow: bool,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """workers="auto" (a run's default): the first sample in this process; the rest in a pool
    only when it took longer than POOL_AFTER_SECONDS. The tables are the serial ones."""
    from govsim.uncertainty import run_band

    pools: list[int] = []
    real = run_band.worker_pool

    def counted(count: int):  # type: ignore[no-untyped-def]
        pools.append(count)
        return real(count)

    monkeypatch.setattr(run_band, "worker_pool", counted)
    monkeypatch.setattr(run_band, "POOL_AFTER_SECONDS", 0.0 if slow else 1e9)
    serial = money_bands(uncertain, banded.estimates[:1], 3, 3, solver=banded.options.solver)
    auto = money_bands(uncertain, banded.estimates[:1], 3, 3, solver=banded.options.solver,
                       workers="auto")
    cores = os.cpu_count() or 1
    assert pools == ([min(cores, 2)] if slow and cores > 1 else [])  # 2 samples left
    assert serial.outcomes.equals(auto.outcomes) and serial.bands.equals(auto.bands)


def test_the_band_beside_the_loop_gives_the_tables_of_the_band_after_it(
        uncertain: govsim.Scenario, banded: govsim.RunResult,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """workers > 1: each round's samples go to a pool of band workers while the loop goes on,
    the adopted round's are kept. Every table is the one of the band solved after the loop in
    this process."""
    from govsim.uncertainty import run_band

    pools: list[int] = []
    submitted: list[int] = []
    real_pool, real_call = run_band.worker_pool, run_band._BandBeside.__call__

    def counted(count: int, **kwargs):  # type: ignore[no-untyped-def]
        pools.append(count)
        return real_pool(count, **kwargs)

    def on_year(self, options, year, estimates):  # type: ignore[no-untyped-def]
        submitted.append(year)
        return real_call(self, options, year, estimates)

    monkeypatch.setattr(run_band, "worker_pool", counted)
    monkeypatch.setattr(run_band._BandBeside, "__call__", on_year)
    beside = govsim.run(uncertain, years=2, replications=2, workers=2)
    assert pools == [2] and submitted == [year for year, _ in banded.estimates]
    for name in ("uncertainty", "uncertainty_drivers", "money_needed", "allocation",
                 "staffing", "convergence"):
        assert getattr(beside.tables, name).equals(getattr(banded.tables, name)), name
    assert beside.tables.manifest["uncertainty"] == banded.tables.manifest["uncertainty"]
    assert beside.timings["band"] >= 0.0
    # the band's workers drew the report's figures the band leaves as they are: the PNGs this
    # process draws from the same tables
    from govsim.output.report import PLOTS, render_plots

    assert sorted(beside.figures) == sorted(s for s in PLOTS if s != "money_needed")
    assert not banded.figures  # one worker: nothing drawn ahead
    images = render_plots(beside.tables.checked())
    assert {s: f.png for s, f in beside.figures.items()} == {s: images[s] for s in beside.figures}


def test_the_band_beside_keeps_the_adopted_rounds_samples(uncertain: govsim.Scenario) -> None:
    """_BandBeside: a round's samples start with the round; the next round cancels those not
    started; on adoption the adopted round's are kept — a cancelled one is submitted again —
    and every other round's not started are cancelled."""
    from concurrent.futures import Future

    from govsim.uncertainty import run_band

    submitted: list[tuple[int, object, int, Future]] = []

    class Pool:
        def submit(self, task, design, sample, year, estimates, base,  # type: ignore
                   solver):
            future: Future = Future()
            submitted.append((year, estimates, sample, future))
            return future

    beside = run_band._BandBeside(Pool(), uncertain, 3)
    options = SimpleNamespace(seed=7, solver="highs")
    one, two = (estimates_from_scenario(uncertain, 2025) for _ in range(2))
    beside.round(options, 2025, 1, one)
    first = [future for *_, future in submitted]
    assert first[0].set_running_or_notify_cancel()  # a worker has taken it
    beside.round(options, 2025, 2, two)
    assert [f.cancelled() for f in first] == [False, True, True]
    second = [future for *_, future in submitted[3:]]
    assert [(year, estimates, k) for year, estimates, k, _ in submitted[3:]] == [
        (2025, two, 0), (2025, two, 1), (2025, two, 2)]
    beside(options, 2025, one)  # round 1 adopted
    assert all(f.cancelled() for f in second)
    assert [(estimates, k) for _, estimates, k, _ in submitted[6:]] == [(one, 1), (one, 2)]
    kept = [beside.futures[k, 2025] for k in range(3)]
    assert kept[0] is first[0] and kept[1:] == [f for *_, f in submitted[6:]]
    assert beside.years == [2025] and beside.design is not None


def test_a_figure_the_workers_could_not_draw_is_left_to_write(
        caplog: pytest.LogCaptureFixture) -> None:
    """Drawing ahead only saves time: a figure whose worker failed is not kept (write draws
    it, and raises there if it cannot), with a warning naming it."""
    from concurrent.futures import Future

    from govsim.output.report import DrawnFigure
    from govsim.uncertainty import run_band

    drawn, failed = Future(), Future()
    drawn.set_result(DrawnFigure(b"key", b"png"))
    failed.set_exception(ValueError("no font"))
    with caplog.at_level("WARNING", logger="govsim.uncertainty.run_band"):
        kept = run_band._drawn({"caseworkers": drawn, "service_levels": failed})
    assert kept == {"caseworkers": DrawnFigure(b"key", b"png")}
    assert "service_levels" in caplog.text


def test_sampling_uniform_inputs_imports_no_scipy_stats() -> None:
    """scipy.stats costs a process about 0.4 s of CPU to import; the band's workers (which
    import this module) and a run of Guang'an (uniform inputs, too few samples for the drivers)
    need none of it."""
    code = ("import sys, govsim, govsim.uncertainty.run_band\n"
            "from govsim.uncertainty.design import lhs_design, sample_scenario\n"
            "scenario = govsim.load_scenario('guangan')\n"
            "sample_scenario(scenario, lhs_design(scenario, 2, 1), 0)\n"
            "print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "False"


def test_ctrl_c_while_the_band_runs_beside_the_loop_exits_130_and_leaves_nothing(
        tmp_path: Path) -> None:
    """Ctrl-C once the band's workers exist beside the loop's simulation workers: exit 130,
    one line, no process left, no results written."""
    proc = start_govsim("run", "--years", "2", "--replications", "2", "--workers", "2",
                        "--results", str(tmp_path))
    # two simulation workers, the resource tracker, then two band workers once 2025's first
    # round is allocated
    assert wait_until(lambda: len(descendants(proc.pid)) >= 5 or proc.poll() is not None, 120)
    assert proc.poll() is None, "the run ended before its band workers started"
    workers = descendants(proc.pid)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip().endswith("interrupted"), err
    assert wait_until(lambda: not any(alive(pid) for pid in workers), 10)
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


def test_govsim_run_default_band_off_and_replay(tmp_path: Path) -> None:
    file = tmp_path / "uncertain.toml"
    file.write_text(with_inputs(*INPUTS), encoding="utf-8")
    common = ["--years", "1", "--replications", "2", "--workers", "1"]
    out = tmp_path / "default"
    assert main(["run", str(file), *common, "--out", str(out)]) == 0
    bands = pd.read_csv(out / "uncertainty.csv", encoding="utf-8-sig", keep_default_na=False)
    assert set(bands["samples"]) == {DEFAULT_BAND_SAMPLES}
    money = pd.read_csv(out / "money_needed.csv", encoding="utf-8-sig")
    assert money[BAND_COLUMNS].notna().all().all()
    # a replay repeats the band it had
    again = tmp_path / "replay"
    assert main(["run", "--replay", str(out / "manifest.json"), "--out", str(again)]) == 0
    assert (again / "uncertainty.csv").read_bytes() == (out / "uncertainty.csv").read_bytes()
    off = tmp_path / "off"
    assert main(["run", str(file), *common, "--uncertainty", "0", "--out", str(off)]) == 0
    assert not (off / "uncertainty.csv").exists() or pd.read_csv(
        off / "uncertainty.csv", encoding="utf-8-sig").empty
    assert pd.read_csv(off / "money_needed.csv", encoding="utf-8-sig")[BAND_COLUMNS] \
        .isna().all().all()
    report = (off / "report.html").read_text(encoding="utf-8")
    assert "No 80 % band in this run" in report or "本次运行未计算80%区间" in report


# -- the band's faster path gives the same figures -------------------------------------------------

def test_the_bands_need_plan_is_need_plans_purchases_at_sampled_points(
        uncertain: govsim.Scenario, banded: govsim.RunResult) -> None:
    """The band solves each sample with ``need_allocation`` on estimates without Poisson
    quantiles; at several sampled points and every plan year the purchases are those of
    ``need_plan`` on the fully moved estimates, row for row and bit for bit."""
    design = lhs_design(uncertain, 4, banded.seed)
    base = {year: estimates_from_scenario(uncertain, year, run.quantile)
            for year, run in banded.estimates}
    checked = 0
    for sample in range(len(design)):
        sampled = sample_scenario(uncertain, design, sample)
        for year, run in banded.estimates:
            full = sampled_estimates(run, base[year],
                                     estimates_from_scenario(sampled, year, run.quantile),
                                     sampled)
            lean = sampled_estimates(
                run, base[year],
                estimates_from_scenario(sampled, year, run.quantile, quantiles=False),
                quantiles=False)
            assert lean.demand.drop(columns="cases_quantile").equals(
                full.demand.drop(columns="cases_quantile"))
            assert lean.demand["cases_quantile"].isna().all()  # moved, and never computed
            assert lean.providers.equals(full.providers)
            plan = need_plan(sampled, full, year, solver=banded.options.solver).allocation
            assert not plan.empty
            assert need_allocation(sampled, lean, year,
                                   solver=banded.options.solver).equals(plan)
            checked += 1
    assert checked == 4 * len(banded.estimates)


def _moved_by_lookup(run: pd.DataFrame, base: pd.DataFrame, sampled: pd.DataFrame,
                     keys: list[str]) -> pd.DataFrame:
    """The band's rule written out row by row (dicts of text keys), to check the vectorised
    one against: each numeric column moved by sampled ÷ base (sampled − base where base is 0),
    the last row of a repeated key, unmoved where either side has no row."""
    out = run.copy()

    def lookup(frame: pd.DataFrame, column: str) -> np.ndarray:
        values = {tuple(str(row[k]) for k in keys): float(row[column])
                  for _, row in frame.iterrows()}
        return np.array([values.get(tuple(str(row[k]) for k in keys), math.nan)
                         for _, row in run.iterrows()], dtype=float)

    for column in run.columns:
        if column in keys or column == "cases_quantile" or column not in base \
                or column not in sampled or not pd.api.types.is_numeric_dtype(run[column]):
            continue
        before, after = lookup(base, column), lookup(sampled, column)
        known = np.isfinite(before) & np.isfinite(after)
        if np.array_equal(before[known], after[known]):
            continue
        value = run[column].astype(float).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            moved = np.where(before > 0, value * (after / before), value + (after - before))
        share = column in ("utilisation_target", "capacity_loss", "quality")
        out[column] = np.clip(np.where(known, moved, value), 0.0, 1.0 if share else None)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_moving_a_table_matches_the_row_by_row_rule(seed: int) -> None:
    """Random tables with repeated, missing and extra keys, zeros (moved by the difference),
    NaN and columns the sample does not move: the vectorised move equals the rule written out
    row by row, bit for bit."""
    from govsim.uncertainty.run_band import _moved

    rng = np.random.default_rng(seed)
    counties, items = ["a", "b", "c"], ["x", "y", "z", "w"]

    def table(rows: int) -> pd.DataFrame:
        frame = pd.DataFrame({
            "county": rng.choice(counties, rows), "item": rng.choice(items, rows),
            "cases_mean": rng.choice([0.0, 1.5, 7.0, 30.0], rows) * rng.uniform(0.5, 2, rows),
            "utilisation_target": rng.uniform(0.5, 0.99, rows),
            "public_fte": rng.choice([0.0, 2.0], rows), "cases_quantile": 9.0,
            "label": "text"})
        frame.loc[rng.random(rows) < 0.1, "cases_mean"] = math.nan
        return frame

    run = table(10)
    base = table(12)
    sampled = base.assign(cases_mean=base["cases_mean"] * rng.uniform(0.7, 1.4, len(base))
                          + rng.choice([0.0, 3.0], len(base)),
                          utilisation_target=base["utilisation_target"] * 1.2)
    sampled = sampled.iloc[rng.permutation(len(sampled))[:10]]  # a key or two goes missing
    expected = _moved_by_lookup(run, base, sampled, ["county", "item"])
    got = _moved(run, base, sampled, ["county", "item"])
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got["cases_quantile"].equals(run["cases_quantile"])  # derived: never scaled
    assert not got["cases_mean"].equals(run["cases_mean"])  # the sample did move something
    one = _moved(run, base, sampled, ["county"])
    pd.testing.assert_frame_equal(one, _moved_by_lookup(run, base, sampled, ["county"]),
                                  check_exact=True)
    empty = _moved(run, base.iloc[:0], sampled, ["county", "item"])
    pd.testing.assert_frame_equal(empty, run, check_exact=True)  # nothing to move by
