"""The 80 % band of a run's own money needed: the need plan re-solved at sampled inputs.

Every ``govsim run`` (and ``govsim.run``: :func:`run` here, :func:`govsim.pipeline.run` plus
:func:`with_money_band`) of a scenario with ``[[uncertainty]]`` entries bands its money needed
(``docs/budget.md`` → "The band of a run's money needed"). For each of ``n`` Latin-hypercube
points (:func:`govsim.uncertainty.lhs_design`, the run's seed) and each plan year, the need plan
(:func:`govsim.budget.need_plan`: ``min_cost``, caps lifted, linear) is solved again on the
sampled scenario S_k and on **the run's own estimates of that year moved as the sample moves
the scenario's expectation** (:func:`sampled_estimates`):

- inputs the need plan reads from the scenario (prices, wages and their indexation, the relief
  base and caps, the rules) act through S_k itself;
- inputs that act through the estimates (demand rates and growth, hours per case, provider
  failure hazards and takeover, quality) scale the run's figure of each cell by
  ``E(S_k) / E(S)``, where ``E`` is :func:`govsim.allocation.estimates_from_scenario` of the
  year (the same cell of the sampled and the written scenario's expected values); where the
  written scenario's value is 0 the difference is added instead. ``cases_quantile`` is the
  quantile of the moved mean as both estimate builders define it
  (:func:`govsim.allocation.estimates.cases_quantile`) — except in the
  band's own samples, whose need plans read the mean cases only: there it is left missing
  (``quantiles=False``) rather than computed once per cell for nothing.

Held at the run's: the simulated arrivals' replication noise (not resampled), the carried
backlog (moved with its cell's demand factor, as part of the cases), the utilisation targets
the check loop lowered (moved only by a sampled ``policy.utilisation_target``), the contracts in
force and the purchases that ran. So at a point equal to the written scenario every estimate is
unchanged and the sample's money needed *is* the run's (:func:`money_bands` is exact there).

Each sample's need plan is :func:`govsim.budget.need_allocation`: the model and the solve of
``need_plan``, its purchases only (the band reads nothing else). Outcomes ``need_cny`` and
``gap_cny`` per county and prefecture and year (:func:`govsim.budget.need_and_gap`, whole
yuan); ``uncertainty.csv`` bands them around the run's own figures. Coverage and staff short
need simulations: ``govsim run --uncertainty N``. Units: CNY.

Where the samples are solved (:func:`run`): with more than one worker, in worker processes
beside the loop, in the background (:func:`govsim.parallel.lower_priority`), on the core the
loop leaves idle while it allocates — each round's samples as soon as its estimates are known,
those of rounds not adopted cancelled (:class:`_BandBeside`); with one worker, in this process
after the loop. Each sample's rows are gathered in plan-year order either way, so the tables do
not depend on it. Once the loop has ended, the same workers draw the report's figures that the
band leaves as they are (:func:`_figures_beside`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from govsim.allocation import Estimates, estimates_from_scenario
from govsim.allocation.estimates import cases_quantile
from govsim.budget import need_allocation, need_and_gap
from govsim.errors import RunError
from govsim.output.plots import resolve_lang
from govsim.output.report import PLOTS, DrawnFigure, draw_figure
from govsim.parallel import interrupts_held, stop_pool, worker_count, worker_pool
from govsim.scenario import Scenario
from govsim.uncertainty.design import Design, check_samples, lhs_design, sample_scenario
from govsim.uncertainty.evaluate import OUTCOME_COLUMNS, UncertaintyResult, _result, band_record

__all__ = ["DEFAULT_BAND_SAMPLES", "band_record", "check_band_samples", "money_bands",
           "point_outcomes", "run", "sampled_estimates", "with_money_band"]

log = logging.getLogger(__name__)

#: Samples of a run's default band (measured on Guang'an: docs/budget.md).
DEFAULT_BAND_SAMPLES = 10
#: A band sample slower than this (seconds) sends the other samples to a pool of one worker per
#: core: twice what starting a worker costs here (importing govsim and numba, about 2.5 s).
#: Guang'an's samples take under a second (serial is faster); a 183-county province's about 30.
POOL_AFTER_SECONDS = 5.0
#: The run's tables the band changes (:func:`_with_band`): the figures of the others are drawn
#: by the band's workers.
_BAND_TABLES = ("uncertainty", "uncertainty_drivers", "money_needed")
#: Columns of ``Estimates.demand`` and ``.providers`` that are shares (kept within [0, 1]).
_SHARES = ("utilisation_target", "capacity_loss", "quality")
#: Columns recomputed, not scaled.
_DERIVED = ("cases_quantile",)


def _key_index(frame: pd.DataFrame, keys: list[str]) -> pd.Index:
    """The rows' ``keys`` as text (how the scenario's and the run's tables are matched)."""
    if len(keys) == 1:
        return pd.Index(frame[keys[0]].astype(str))
    return pd.MultiIndex.from_arrays([frame[k].astype(str) for k in keys])


def _aligned(frame: pd.DataFrame, keys: list[str],
             index: pd.Index) -> Callable[[str], np.ndarray]:
    """``column -> values`` of ``frame``'s row for each key of ``index`` (the last row of a
    repeated key; NaN where ``frame`` has none)."""
    own = _key_index(frame, keys)
    last = ~own.duplicated(keep="last")
    found = own[last].get_indexer(index)
    rows = np.flatnonzero(last)[np.maximum(found, 0)] if last.any() \
        else np.zeros(len(index), dtype=np.int64)
    missing = found < 0

    def values(column: str) -> np.ndarray:
        column_values = frame[column].astype(float).to_numpy()
        if not len(column_values):
            return np.full(len(index), math.nan)
        return np.where(missing, math.nan, column_values[rows])
    return values


def _moved(run: pd.DataFrame, base: pd.DataFrame, sampled: pd.DataFrame,
           keys: list[str]) -> pd.DataFrame:
    """``run`` with each numeric column the scenario estimates share moved by sampled ÷ base
    (sampled − base where base is 0), rows matched on ``keys``."""
    out = run.copy()
    index = _key_index(run, keys)
    in_base, in_sampled = _aligned(base, keys, index), _aligned(sampled, keys, index)
    for column in run.columns:
        if column in keys or column in _DERIVED or column not in base.columns \
                or column not in sampled.columns \
                or not pd.api.types.is_numeric_dtype(run[column]):
            continue
        before, after = in_base(column), in_sampled(column)
        known = np.isfinite(before) & np.isfinite(after)
        if np.array_equal(before[known], after[known]):
            continue  # the sample does not move this column: the run's values bit for bit
        value = run[column].astype(float).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            moved = np.where(before > 0, value * (after / before), value + (after - before))
        moved = np.where(known, moved, value)
        out[column] = np.clip(moved, 0.0, 1.0 if column in _SHARES else None)
    return out


def sampled_estimates(run: Estimates, base: Estimates, sampled: Estimates,
                      scenario: Scenario | None = None, *, quantiles: bool = True
                      ) -> Estimates:
    """The run's estimates ``run`` moved from the written scenario's expected values ``base``
    to the sampled scenario's ``sampled`` (see the module docstring); ``scenario`` (needed
    with ``quantiles``) says how each item's quantile is taken. ``quantiles=False`` leaves
    ``cases_quantile`` missing (NaN) where the cases moved: for a plan on the mean cases (the
    band's need plans), which never reads it."""
    demand = _moved(run.demand, base.demand, sampled.demand, ["county", "item"])
    if not demand["cases_mean"].equals(run.demand["cases_mean"]):
        if quantiles and scenario is None:
            raise ValueError("sampled_estimates needs the scenario to take the quantiles")
        demand["cases_quantile"] = [
            float(cases_quantile(scenario.item(i), m, run.quantile))
            for i, m in zip(demand["item"], demand["cases_mean"], strict=True)
        ] if quantiles and scenario is not None else math.nan
    # the scenario's provider rows are per type: a per-place row moves with its type
    providers = _moved(run.providers, base.providers, sampled.providers, ["provider_type"])
    return Estimates(demand=demand, providers=providers, quantile=run.quantile,
                     contracts=run.contracts, running=run.running)


def point_outcomes(table: pd.DataFrame) -> pd.DataFrame:
    """A money-needed table's ``need_cny`` and ``gap_cny`` as outcome rows (the point)."""
    rows = []
    for metric in ("need_cny", "gap_cny"):
        for county, year, value in zip(table["county"], table["year"], table[metric],
                                       strict=True):
            rows.append((metric, county, int(year),
                         math.nan if pd.isna(value) else float(value)))
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS[1:])


def _band_task(scenario: Scenario, design: Design, sample: int,
               years: Sequence[tuple[int, Estimates]], base: dict[int, Estimates],
               solver: str) -> pd.DataFrame:
    """Worker: money needed of every plan year at point ``sample`` (module level: spawn
    pickles it)."""
    sampled = sample_scenario(scenario, design, sample)
    rows: list[tuple[str, str, int, float]] = []
    for year, estimates in years:
        rows += _year_rows(sampled, year, estimates, base[year], solver)
    return _sample_frame(rows, sample)


def _year_rows(sampled: Scenario, year: int, estimates: Estimates, base: Estimates,
               solver: str) -> list[tuple[str, str, int, float]]:
    """Outcome rows (metric, county, year, value) of one plan year at one sampled scenario."""
    # the need plan reads the mean cases: no Poisson quantiles (one per cell, most of the
    # estimates' time)
    expected = estimates_from_scenario(sampled, year, estimates.quantile, quantiles=False)
    moved = sampled_estimates(estimates, base, expected, quantiles=False)
    allocation = need_allocation(sampled, moved, year, solver=solver)
    rows = []
    for county, (need, _cap, gap) in need_and_gap(sampled, year, allocation).items():
        rows.append(("need_cny", county, year, math.nan if pd.isna(need) else float(need)))
        rows.append(("gap_cny", county, year, math.nan if pd.isna(gap) else float(gap)))
    return rows


def _sample_frame(rows: list[tuple[str, str, int, float]], sample: int) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS[1:]).assign(sample=sample)


def money_bands(scenario: Scenario, years: Sequence[tuple[int, Estimates]], samples: int,
                seed: int, *, solver: str = "highs", point: pd.DataFrame | None = None,
                design_values: pd.DataFrame | None = None, workers: int | str | None = 1,
                progress: Callable[[int, int], None] | None = None) -> UncertaintyResult:
    """The 80 % band of a run's money needed (see the module docstring).

    Parameters
    ----------
    scenario
        The run's scenario, with ``[[uncertainty]]`` entries.
    years
        ``(year, estimates)`` of each plan year: the estimates the run's need plan was solved
        on (the adopted round's).
    samples, seed
        Latin-hypercube points and the design's seed (the run's seed).
    solver
        The run's solver (the point's need plan was solved with it).
    point
        The run's money-needed table (the point beside the band).
    design_values
        Replace the design's values (``sample`` + one column per input id): for tests that
        pin the inputs.
    workers
        Worker processes (1: serial, the default; ``None``: one per core; ``"auto"``: the
        first sample in this process, the rest in a pool of one per core only when that
        sample took longer than :data:`POOL_AFTER_SECONDS` — a province's band, not a
        prefecture's). Samples are collected by index: the tables do not depend on it.
    progress
        ``progress(done, total)`` after each sample.
    """
    check_samples(samples, scenario)
    design = lhs_design(scenario, samples, seed)
    if design_values is not None:
        design = type(design)(design_values.reset_index(drop=True), design.unit)
    base = {year: estimates_from_scenario(scenario, year, estimates.quantile)
            for year, estimates in years}
    frames: dict[int, pd.DataFrame] = {}

    def serially(k: int) -> None:
        frames[k] = _band_task(scenario, design, k, years, base, solver)
        if progress is not None:
            progress(len(frames), len(design))

    if workers == "auto":
        started = time.perf_counter()
        serially(0)
        slow = time.perf_counter() - started > POOL_AFTER_SECONDS
        workers = None if slow else 1
    rest = [k for k in range(len(design)) if k not in frames]
    count = worker_count(workers, len(rest))  # type: ignore[arg-type]
    if count == 1:
        for k in rest:
            serially(k)
    else:
        with worker_pool(count) as pool:
            with interrupts_held():  # a submit may spawn a worker
                futures = {pool.submit(_band_task, scenario, design, k, years, base, solver): k
                           for k in rest}
            for future in as_completed(futures):
                frames[futures[future]] = future.result()
                if progress is not None:
                    progress(len(frames), len(design))
    log.info("money band of %s: %d samples, %d years", scenario.name, len(design), len(years))
    return _result(design, frames, None if point is None else point_outcomes(point), seed)


def check_band_samples(scenario: Scenario, samples: object = None) -> int:
    """The band's sample count, checked before any work: ``None`` gives
    :data:`DEFAULT_BAND_SAMPLES` when the scenario declares ``[[uncertainty]]`` entries (else 0),
    0 gives 0, anything else must be a sample count (:func:`check_samples`)."""
    if samples is None:
        return DEFAULT_BAND_SAMPLES if scenario.uncertainty else 0
    if samples == 0 and isinstance(samples, int) and not isinstance(samples, bool):
        return 0
    return check_samples(samples, scenario, "band_samples")


def with_money_band(result: Any, samples: int | None = None, *,
                    workers: int | str | None = 1,
                    progress: Callable[[int, int], None] | None = None) -> Any:
    """A :class:`govsim.pipeline.RunResult` with the 80 % band of its money needed:
    ``uncertainty.csv``, ``uncertainty_drivers.csv``, the band columns of ``money_needed``, the
    manifest's ``uncertainty`` record and ``timings_seconds.band``. ``samples`` as
    :func:`check_band_samples`; 0 (or a scenario without inputs): ``result`` unchanged.
    ``workers`` as :func:`money_bands`."""
    count = check_band_samples(result.scenario, samples)
    if not count:
        return result
    started = time.perf_counter()
    band = money_bands(result.scenario, result.estimates, count, result.options.seed,
                       solver=result.options.solver, point=result.tables.money_needed,
                       workers=workers, progress=progress)
    return _with_band(result, band, count, time.perf_counter() - started)


def _with_band(result: Any, band: UncertaintyResult, count: int, seconds: float) -> Any:
    """``result`` with ``band`` in its tables, manifest and timings (``seconds``: the band's
    share of the run's wall time)."""
    from govsim.budget import with_band_columns

    manifest = result.tables.manifest
    manifest = {**manifest, "uncertainty": band_record(result.scenario, count,
                                                       result.options.seed),
                "timings_seconds": {**manifest.get("timings_seconds", {}), "band": seconds}}
    tables = replace(result.tables, uncertainty=band.bands, uncertainty_drivers=band.drivers,
                     money_needed=with_band_columns(result.tables.money_needed, band.bands),
                     manifest=manifest)
    return replace(result, tables=tables, timings={**result.timings, "band": seconds})


# -- the band beside the loop -----------------------------------------------------------------

_BESIDE: dict[str, Any] = {}


def _start_beside(scenario: Scenario) -> None:
    """Band worker set-up: the scenario once (the pool is a background one; importing this
    module imported the output modules the figures need, at the worker's spawn)."""
    _BESIDE.clear()
    _BESIDE.update(scenario=scenario, sampled={})


def _beside_task(design: Design, sample: int, year: int, estimates: Estimates, base: Estimates,
                 solver: str) -> list[tuple[str, str, int, float]]:
    """Band worker: one plan year at point ``sample`` (each sampled scenario drawn once)."""
    sampled = _BESIDE["sampled"].get(sample)
    if sampled is None:
        sampled = _BESIDE["sampled"][sample] = sample_scenario(_BESIDE["scenario"], design,
                                                               sample)
    return _year_rows(sampled, year, estimates, base, solver)


class _BandBeside:
    """The loop's ``on_round`` and ``on_year``: the band beside the loop.

    Each round's samples go to the worker pool as soon as its estimates are known, while the
    round is allocated (a province's years have one round, which is adopted; its allocation
    leaves a core idle for long stretches). A new round cancels the year's earlier rounds'
    samples that have not started; once the year is adopted, only the adopted round's samples
    are kept (those cancelled are submitted again). A sample's rows depend only on its point,
    the year and the estimates, so :meth:`frames` collects the rows :func:`money_bands` would
    (each sample's rows in plan-year order), whichever rounds ran.
    """

    def __init__(self, pool: Any, scenario: Scenario, samples: int) -> None:
        self.pool, self.scenario, self.samples = pool, scenario, samples
        self.design: Design | None = None
        self.years: list[int] = []
        #: the adopted round's sample of each (sample, year)
        self.futures: dict[tuple[int, int], Any] = {}
        #: the year's rounds so far: their estimates and samples
        self._rounds: list[tuple[Estimates, list[Any]]] = []
        self._base: dict[int, Estimates] = {}

    def round(self, options: Any, year: int, number: int, estimates: Estimates) -> None:
        """``on_round``: start the round's samples; cancel the earlier rounds' not started."""
        for _, futures in self._rounds:
            for future in futures:
                future.cancel()
        self._rounds.append((estimates, [self._submit(options, year, estimates, k)
                                         for k in range(self.samples)]))

    def __call__(self, options: Any, year: int, estimates: Estimates) -> None:
        kept: list[Any] = []
        for given, futures in self._rounds:
            if given is estimates:  # on_year gets the adopted round's own estimates
                kept = futures
            else:
                for future in futures:
                    future.cancel()  # a running one finishes; its rows are not read
        self._rounds = []
        for k in range(self.samples):
            future = kept[k] if kept else None
            if future is None or future.cancelled():
                future = self._submit(options, year, estimates, k)
            self.futures[k, year] = future
        self.years.append(year)

    def _submit(self, options: Any, year: int, estimates: Estimates, sample: int) -> Any:
        if self.design is None:  # the run's seed, as the band after the run would use it
            self.design = lhs_design(self.scenario, self.samples, options.seed)
        if year not in self._base:
            self._base[year] = estimates_from_scenario(self.scenario, year, estimates.quantile)
        with interrupts_held():  # a submit may spawn a worker
            return self.pool.submit(_beside_task, self.design, sample, year, estimates,
                                    self._base[year], options.solver)

    def frames(self) -> dict[int, pd.DataFrame]:
        """Each sample's outcome rows (waits for the workers)."""
        frames = {}
        for k in range(len(self.design) if self.design is not None else 0):
            rows: list[tuple[str, str, int, float]] = []
            for year in self.years:
                try:
                    rows += self.futures[k, year].result()
                except BrokenProcessPool as exc:
                    raise RunError("a worker process of the money band died (out of memory? "
                                   "killed?); run again, or with --workers 1 to solve the band "
                                   "in the run's own process") from exc
            frames[k] = _sample_frame(rows, k)
        return frames


def _run_band_beside(scenario: Scenario, count: int, pipeline_run: Callable[..., Any],
                     waiting: Callable[[], None], report_lang: str | None,
                     **options: Any) -> Any:
    """:func:`run` with the band's samples solved in worker processes beside the loop;
    ``waiting()`` once the loop has ended. Once the loop has ended, the same workers also draw
    the report's figures the band leaves as they are (:func:`_figures_beside`). The band's
    timing is what the run waited for both after the loop."""
    with worker_pool(worker_count(options.get("workers"), count), initializer=_start_beside,
                     initargs=(scenario,), background=True) as pool:
        beside = _BandBeside(pool, scenario, count)
        result = pipeline_run(scenario, on_year=beside, on_round=beside.round, **options)
        waiting()
        started = time.perf_counter()
        figures = _figures_beside(pool, result, report_lang)
        frames = beside.frames()
        drawn = _drawn(figures)
        # every task is in: end the workers now rather than wait for each to exit on its own
        # (unloading numpy, pandas and HiGHS: 0.4 s of Guang'an's run)
        stop_pool(pool)
    assert beside.design is not None
    band = _result(beside.design, frames, point_outcomes(result.tables.money_needed),
                   result.options.seed)
    return replace(_with_band(result, band, count, time.perf_counter() - started),
                   figures=drawn)


def _figures_beside(pool: Any, result: Any, lang: str | None) -> dict[str, Any]:
    """The report's figures of the tables the band leaves as they are (all but money
    needed's), drawn by the band's workers in ``lang`` (default the scenario's) while this
    process waits for the band: futures by stem."""
    tables = result.tables.checked()
    lang = resolve_lang(tables.scenario, lang)
    with interrupts_held():  # a submit may spawn a worker
        return {stem: pool.submit(_figure_task, tables.table(table), stem, lang)
                for stem, (_, table) in PLOTS.items() if table not in _BAND_TABLES}


def _figure_task(frame: pd.DataFrame, stem: str, lang: str) -> DrawnFigure:
    """Band worker: one report figure (the worker's scenario is the run's)."""
    return draw_figure(frame, _BESIDE["scenario"], stem, lang)


def _drawn(figures: dict[str, Any]) -> dict[str, DrawnFigure]:
    """The figures the workers drew; one that failed is left for ``write`` to draw (and to
    report what is wrong with it)."""
    drawn = {}
    for stem, future in figures.items():
        try:
            drawn[stem] = future.result()
        except Exception:  # drawing ahead only saves time; write() draws it again
            log.warning("figure %s could not be drawn ahead", stem, exc_info=True)
    return drawn


def run(scenario: Scenario, *, band_samples: int | None = None,
        progress: Callable[[int, int, str], None] | None = None,
        report_lang: str | None = None, **options: Any) -> Any:
    """``govsim.run``: :func:`govsim.pipeline.run` (``options`` as there) and the 80 % band of
    its money needed (``band_samples`` ``None``: the default when the scenario declares
    uncertain inputs, 0: none). With more than one worker the band's samples are solved in
    worker processes (one per worker, at a lower priority) while the loop goes on: a round's
    samples start once its estimates are known, and those of the adopted round are kept
    (:class:`_BandBeside`). With ``workers=1`` the band is solved in this
    process after the loop (:func:`with_money_band`). The tables are the same either way.
    With workers, they also draw the report's figures the band does not change once the loop
    has ended, in ``report_lang`` (default the scenario's language; the CLI's ``--lang``):
    :attr:`~govsim.pipeline.RunResult.figures`, which ``write`` takes instead of drawing them.

    Examples
    --------
    >>> import govsim
    >>> result = govsim.run(govsim.load_scenario("tiny"), years=1, replications=2, workers=1)
    >>> result.tables.uncertainty.empty  # tiny declares no uncertain inputs: no band
    True
    """
    from govsim.pipeline import run as pipeline_run

    count = check_band_samples(scenario, band_samples)  # before the run: a bad count fails fast
    last = [0, 0]

    def track(done: int, total: int, label: str) -> None:
        last[:] = [done, total]
        if progress is not None:
            progress(done, total, label)

    if count and options.get("workers") != 1:
        # the band's samples in worker processes while the loop goes on (a round's samples
        # start with its allocation); --workers 1 keeps the band in this process, after
        def waiting() -> None:
            if progress is not None:
                progress(last[0], last[1], "band")

        return _run_band_beside(scenario, count, pipeline_run, waiting, report_lang,
                                progress=track, **options)
    result = pipeline_run(scenario, progress=track, **options)
    if count and progress is not None:
        progress(last[0], last[1], "band")
    return with_money_band(result, count, workers=1)
