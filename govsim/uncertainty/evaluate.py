"""Evaluating sampled scenarios: money needed (``govsim budget``) or whole runs (``govsim run``).

:func:`budget_uncertainty` evaluates :func:`govsim.budget.money_needed` at every point of the
Latin-hypercube design, in the project's one process pool (:mod:`govsim.parallel`; serial with
one worker), and :func:`run_uncertainty` the whole simulation–optimisation loop, one sampled
run after the other (each run uses the pool for its replications). Every sample runs on the same
random numbers (the run's seed: common random numbers), so the spread between samples is the
inputs', not chance's; samples are collected by index, so the tables do not depend on the number
of workers. Outcomes are a long table ``sample, metric, county, year, value`` (:func:`outcomes`
reads one evaluation), analysed by :mod:`govsim.uncertainty.analysis`.

Outcome metrics: ``need_cny`` and ``gap_cny`` (the money-needed table), ``staff_short`` (people
short of the staffing rules under the caps) and ``coverage`` — of a budget, the capped plan's
planned coverage (hours of need served ÷ hours of need, purchasable items); of a run, the
simulated coverage (:func:`govsim.metrics.coverage`: served ÷ (arrivals + carried in)).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass
from typing import Any

import pandas as pd

from govsim.budget import (
    PREFECTURE,
    BudgetResult,
    money_needed,
    money_needed_table,
    with_band_columns,
)
from govsim.parallel import worker_count, worker_pool
from govsim.scenario import Scenario
from govsim.uncertainty.analysis import bands_table, drivers_table
from govsim.uncertainty.design import (
    Design,
    check_samples,
    lhs_design,
    sample_scenario,
    written_positions,
)

__all__ = ["OUTCOME_COLUMNS", "UncertaintyResult", "band_record", "budget_outcomes",
           "budget_uncertainty", "run_outcomes", "run_uncertainty", "run_with_uncertainty",
           "with_bands"]

log = logging.getLogger(__name__)

OUTCOME_COLUMNS = ["sample", "metric", "county", "year", "value"]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class UncertaintyResult:
    """The design, the outcomes per sample, the 80 % bands and the drivers."""

    design: Design
    outcomes: pd.DataFrame
    bands: pd.DataFrame
    drivers: pd.DataFrame
    seed: int

    @property
    def samples(self) -> int:
        return len(self.design)


def budget_outcomes(result: BudgetResult) -> pd.DataFrame:
    """One money-needed evaluation as outcome rows (``metric, county, year, value``)."""
    table = result.table
    rows = []
    for metric in ("need_cny", "gap_cny", "staff_short"):
        for county, year, value in zip(table["county"], table["year"], table[metric],
                                       strict=True):
            rows.append((metric, county, int(year), math.nan if pd.isna(value)
                         else float(value)))
    for budget in result.years:
        unmet = budget.capped.unmet
        unmet = unmet[unmet["item"].isin([i.id for i in result.scenario.purchasable_items])]
        for county, mine in [*unmet.groupby("county", sort=False), (PREFECTURE, unmet)]:
            need = float(mine["hours_need"].sum())
            rows.append(("coverage", county, budget.year,
                         float(mine["hours_served"].sum()) / need if need > 0 else math.nan))
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS[1:])


def _budget_task(scenario: Scenario, design: Design, sample: int,
                 options: dict[str, Any]) -> pd.DataFrame:
    """Worker: money needed for one sampled scenario (module level: spawn pickles it)."""
    sampled = sample_scenario(scenario, design, sample)
    return budget_outcomes(money_needed(sampled, **options)).assign(sample=sample)


def budget_uncertainty(scenario: Scenario, samples: int, seed: int | None = None, *,
                       years: int | None = None, solver: str = "highs",
                       whole_posts: bool = False, workers: int | None = None,
                       point: BudgetResult | None = None,
                       progress: Progress | None = None) -> UncertaintyResult:
    """Money needed at ``samples`` Latin-hypercube points of the scenario's uncertain inputs.

    Parameters
    ----------
    scenario
        With ``[[uncertainty]]`` entries (and the coverage target to use).
    samples, seed
        Design size and seed (default the scenario's seed).
    years, solver, whole_posts
        As :func:`govsim.budget.money_needed`.
    workers
        Worker processes (``None``: one per core; 1: serial). Results do not depend on it.
    point
        The point estimate (the scenario as written), reported beside the bands.
    progress
        ``progress(done, total)`` after each sample.
    """
    check_samples(samples, scenario)
    seed = scenario.header.seed if seed is None else seed
    design = lhs_design(scenario, samples, seed)
    options = {"years": years, "solver": solver, "whole_posts": whole_posts}
    frames: dict[int, pd.DataFrame] = {}
    count = worker_count(workers, samples)
    if count == 1:
        for k in range(samples):
            frames[k] = _budget_task(scenario, design, k, options)
            if progress is not None:
                progress(len(frames), samples)
    else:
        with worker_pool(count) as pool:
            futures = {pool.submit(_budget_task, scenario, design, k, options): k
                       for k in range(samples)}
            for future in as_completed(futures):
                frames[futures[future]] = future.result()
                if progress is not None:
                    progress(len(frames), samples)
    return _result(design, frames, None if point is None else budget_outcomes(point), seed)


def run_outcomes(result: Any) -> pd.DataFrame:
    """One run (:class:`govsim.pipeline.RunResult`) as outcome rows: its money-needed table
    and its simulated coverage per county and year."""
    from govsim.metrics import cells_from_summary, coverage

    table = result.tables.money_needed
    rows = []
    for metric in ("need_cny", "gap_cny", "staff_short"):
        for county, year, value in zip(table["county"], table["year"], table[metric],
                                       strict=True):
            rows.append((metric, county, int(year), math.nan if pd.isna(value)
                         else float(value)))
    cells = cells_from_summary(result.tables.kpis)
    for year, per_year in cells.groupby("year", sort=True):
        for county, mine in [*per_year.groupby("county", sort=False), (PREFECTURE, per_year)]:
            rows.append(("coverage", county, int(year), coverage(mine)))
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS[1:])


def run_uncertainty(scenario: Scenario, samples: int, run: Callable[[Scenario], Any],
                    seed: int | None = None, *, point: Any | None = None,
                    progress: Progress | None = None) -> UncertaintyResult:
    """Whole runs at ``samples`` Latin-hypercube points: ``run(sampled_scenario)`` must return
    a :class:`govsim.pipeline.RunResult` (the caller fixes years, replications, the seed —
    the same for every sample — and the workers)."""
    check_samples(samples, scenario)
    seed = scenario.header.seed if seed is None else seed
    design = lhs_design(scenario, samples, seed)
    frames = {}
    for k in range(samples):
        frames[k] = run_outcomes(run(sample_scenario(scenario, design, k))).assign(sample=k)
        if progress is not None:
            progress(k + 1, samples)
    return _result(design, frames, None if point is None else run_outcomes(point), seed)


def _result(design: Design, frames: dict[int, pd.DataFrame], point: pd.DataFrame | None,
            seed: int) -> UncertaintyResult:
    outcomes = pd.concat([frames[k] for k in sorted(frames)], ignore_index=True)
    outcomes = outcomes[OUTCOME_COLUMNS]
    log.info("uncertainty: %d samples, %d outcome rows", len(frames), len(outcomes))
    return UncertaintyResult(design=design, outcomes=outcomes,
                             bands=bands_table(outcomes, point),
                             drivers=drivers_table(design.values, outcomes), seed=seed)


def band_record(scenario: Scenario, samples: int, seed: int, method: str = "money"
                ) -> dict[str, object]:
    """The manifest's ``uncertainty`` record. ``method``: ``money`` (the need plan re-solved
    on the run's estimates, :mod:`.run_band`) or ``runs`` (whole runs, ``--uncertainty N``);
    ``written``: :func:`~govsim.uncertainty.design.written_positions` (what the report names
    when a point lies outside its band)."""
    return {"samples": samples, "seed": seed, "method": method,
            "design": "latin hypercube (SALib)", "band": "p10-p90", "drivers": "srrc",
            "inputs": [u.id for u in scenario.uncertainty],
            # where each input's written value (the point's) lies in its declared range
            "written": written_positions(scenario)}


def with_bands(result: BudgetResult, uncertainty: UncertaintyResult) -> BudgetResult:
    """``result`` with its table's band columns filled from ``uncertainty``."""
    table = money_needed_table(result.scenario, result.years, uncertainty.bands)
    return BudgetResult(scenario=result.scenario, years=result.years, table=table)


def run_with_uncertainty(scenario: Scenario, samples: int, *, seed: int | None = None,
                         progress: Progress | None = None, **run_options: Any) -> Any:
    """``govsim.run(scenario, **run_options)`` and ``samples`` sampled runs on the same seed:
    the point run's :class:`~govsim.pipeline.RunResult` with ``uncertainty`` and
    ``uncertainty_drivers`` tables, the bands in ``money_needed`` and a manifest record.

    ``seed`` is the run's seed (default the scenario's), also the design's.
    """
    from dataclasses import replace

    from govsim.pipeline import run

    check_samples(samples, scenario)
    seed = scenario.header.seed if seed is None else seed
    point = run(scenario, seed=seed, **run_options)
    result = run_uncertainty(scenario, samples, lambda s: run(s, seed=seed, **run_options),
                             seed, point=point, progress=progress)
    manifest = {**point.tables.manifest,
                "uncertainty": band_record(scenario, samples, seed, method="runs")}
    tables = replace(point.tables, uncertainty=result.bands, uncertainty_drivers=result.drivers,
                     money_needed=with_band_columns(point.tables.money_needed, result.bands),
                     manifest=manifest)
    return replace(point, tables=tables)
