"""Running a sweep end to end: design, store, executor, progress, resume and interrupts.

:func:`run_sweep` draws the design, opens (or resumes) the store in the output folder, skips
every run already stored, hands the rest to an executor and stores each outcome the moment it
arrives. Running the same sweep into the same folder again continues where it stopped; a
changed sweep file is refused. Ctrl-C raises :class:`SweepInterrupted` after the store is
closed cleanly with every finished run kept. :func:`open_sweep` reads a folder back as a
:class:`SweepResult` — the object notebooks work with.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from govsim.bounds import LIMITS
from govsim.errors import SweepError
from govsim.output.files import write_atomic
from govsim.output.folders import clean_stale, prepare_folder
from govsim.output.manifest import build_manifest, manifest_json, package_versions
from govsim.sweep.analyze import analyze, summary
from govsim.sweep.executors import Executor, make_executor
from govsim.sweep.samplers import Design, design_size, make_design
from govsim.sweep.spec import SweepSpec, load_sweep_spec
from govsim.sweep.store import DB_FILE, MANIFEST_FILE, SPEC_FILE, SweepStore
from govsim.sweep.tasks import RunContext, RunTask

__all__ = ["SweepInterrupted", "SweepProgress", "SweepResult", "check_sweep_size",
           "open_sweep", "pending_tasks", "run_context", "run_sweep", "stored_runs"]

log = logging.getLogger(__name__)


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: the store is closed, finished runs are kept (``stored``)."""

    def __init__(self, folder: Path, stored: int, total: int):
        super().__init__(f"sweep interrupted: {stored} of {total} runs stored in {folder}; "
                         "run the same command again to resume")
        self.folder, self.stored, self.total = folder, stored, total


@dataclass(frozen=True)
class SweepProgress:
    """Where a sweep stands, passed to the ``progress`` callback after every stored run."""

    total: int
    done: int
    failed: int
    resumed: int
    elapsed_s: float

    @property
    def new(self) -> int:
        """Runs finished in this session."""
        return self.done - self.resumed

    @property
    def rate(self) -> float:
        """Runs per second in this session."""
        return self.new / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        return (self.total - self.done) / self.rate if self.rate > 0 else None


@dataclass
class SweepResult:
    """A sweep folder read back: its points, runs and spec.

    Attributes
    ----------
    folder : Path
    points : DataFrame
        ``point`` and one column per parameter.
    runs : DataFrame
        ``point, replication, status, error, duration_s, worker, finished_utc`` and one
        column per metric, sorted by ``(point, replication)``.
    spec : dict
        The canonical sweep definition (``sweep``, ``sampler``, ``parameters``).
    spec_text : str
        The sweep file as given.
    """

    folder: Path
    points: pd.DataFrame
    runs: pd.DataFrame
    spec: dict[str, Any]
    spec_text: str
    unit: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    meta: dict[str, str] = field(repr=False, default_factory=dict)

    @property
    def metrics(self) -> list[str]:
        return list(self.spec["sweep"]["metrics"])

    @property
    def parameters(self) -> list[str]:
        return [c for c in self.points.columns if c != "point"]

    @property
    def expected_runs(self) -> int:
        return len(self.points) * int(self.spec["sweep"]["replications"])

    @property
    def complete(self) -> bool:
        return len(self.runs) == self.expected_runs

    def counts(self) -> dict[str, int]:
        """Runs ``ok``, ``failed`` and ``pending``."""
        ok = int((self.runs["status"] == "ok").sum())
        failed = int((self.runs["status"] == "failed").sum())
        return {"ok": ok, "failed": failed, "pending": self.expected_runs - ok - failed}

    def results(self) -> pd.DataFrame:
        """Runs joined with their points' parameter values (one row per run)."""
        return self.points.merge(self.runs, on="point", how="right")

    def analyze(self, method: str = "sobol", metrics: list[str] | None = None,
                **options: Any) -> pd.DataFrame:
        """Sensitivity indices per metric and parameter; see :func:`govsim.sweep.analyze`."""
        return analyze(self, method=method, metrics=metrics, **options)

    def summary(self, bins: int = 4, metrics: list[str] | None = None) -> pd.DataFrame:
        """Metric distributions per parameter bin; see :func:`govsim.sweep.analyze.summary`."""
        return summary(self, bins=bins, metrics=metrics)


def open_sweep(folder: str | Path) -> SweepResult:
    """Read a sweep folder (while no sweep is writing to it)."""
    folder = Path(folder)
    with SweepStore(folder, read_only=True) as store:
        meta = store.meta()
        return SweepResult(folder=folder, points=store.points(), runs=store.runs(),
                           spec=json.loads(meta["spec_json"]), spec_text=meta.get("spec_toml",
                                                                                  ""),
                           unit=store.unit_points(), meta=meta)


def run_sweep(spec: SweepSpec | str | Path, out: str | Path | None = None, *,
              executor: str | Executor = "local", workers: int | None = None,
              scheduler: str | None = None, retry_failed: bool = False,
              progress: Callable[[SweepProgress], None] | None = None,
              command: str | None = None, force: bool = False) -> SweepResult:
    """Run (or resume) a sweep and return its results.

    Parameters
    ----------
    spec : SweepSpec, path or TOML text
        The sweep (see :func:`~govsim.sweep.spec.load_sweep_spec`).
    out : path, optional
        Output folder (default ``results/sweeps/<name>``). An existing folder of the same
        sweep is resumed: stored runs are skipped, never repeated.
    executor : {"local", "dask"} or Executor
        ``"local"``: worker processes (``workers``, default all cores; 1 = this process).
        ``"dask"``: ``scheduler="tcp://HOST:PORT"``, or a local cluster of ``workers``.
    retry_failed : bool
        Run the stored failed runs again (they are skipped by default).
    progress : callable, optional
        Called with a :class:`SweepProgress` at the start and after every stored run.
    command : str, optional
        The command line, recorded in the manifest.
    force : bool
        Run a sweep of more than ``limits.sweep_runs`` runs (``govsim/data/bounds.toml``);
        beyond ``limits.sweep_runs_hard`` a sweep is refused even so.

    Raises
    ------
    SweepSpecError, SweepError
        Bad sweep file, too many runs, a folder holding something else or another sweep, a
        dead worker process.
    SweepInterrupted
        Ctrl-C; every run finished before it is stored.

    Examples
    --------
    >>> result = run_sweep("scenarios/sweeps/tiny.toml", out="/tmp/tiny-sweep", workers=1)
    >>> result.counts()["pending"]
    0
    """
    if not isinstance(spec, SweepSpec):
        spec = load_sweep_spec(spec)
    folder = Path(out) if out is not None else Path("results") / "sweeps" / spec.name
    check_sweep_size(spec, force=force)
    prepare_folder(folder, "sweep")
    clean_stale(folder)
    runner = make_executor(executor, workers=workers, scheduler=scheduler)
    design = make_design(spec)
    replications = spec.header.replications
    total = len(design) * replications
    started = datetime.now(UTC)
    with SweepStore(folder) as store:
        new = store.initialise(_meta(spec), design.values, design.unit, list(spec.header.metrics))
        if retry_failed:
            log.info("forgetting %d failed runs", store.delete_failed())
        done = store.finished()
        counts = store.counts()
        state = {"done": len(done), "failed": counts.get("failed", 0)}
        resumed = state["done"]
        if new:
            write_atomic(folder / SPEC_FILE, spec.text)
        session = {"started_utc": started.isoformat(timespec="seconds"),
                   "executor": runner.describe(), "command": command,
                   "resumed_with_runs": resumed, "status": "running"}
        _write_manifest(folder, spec, total, session, store)
        clock = time.perf_counter()

        def report() -> None:
            if progress is not None:
                progress(SweepProgress(total, state["done"], state["failed"], resumed,
                                       time.perf_counter() - clock))

        report()
        context = run_context(spec)
        outcome_status = "complete"
        outcomes = runner.run(context, pending_tasks(spec, design, done))
        try:
            for outcome in outcomes:
                store.add(outcome)
                state["done"] += 1
                state["failed"] += outcome.status == "failed"
                report()
        except KeyboardInterrupt as exc:
            outcome_status = "interrupted"
            raise SweepInterrupted(folder, state["done"], total) from exc
        except BaseException:
            outcome_status = "stopped by an error"
            raise
        finally:
            outcomes.close()  # ends the workers now, not when the generator is collected
            session.update(status=outcome_status,
                           finished_utc=datetime.now(UTC).isoformat(timespec="seconds"),
                           runs_this_session=state["done"] - resumed)
            _write_manifest(folder, spec, total, session, store, final=True)
    return open_sweep(folder)


def check_sweep_size(spec: SweepSpec, *, force: bool = False) -> int:
    """The sweep's run count (points x replications), computed without drawing the design.

    Raises
    ------
    SweepError
        Beyond ``limits.sweep_runs`` without ``force``, or beyond ``limits.sweep_runs_hard``.
    """
    points = design_size(spec)
    total = points * spec.header.replications
    soft, hard = LIMITS["sweep_runs"], LIMITS["sweep_runs_hard"]
    size = f"{points:,} points x {spec.header.replications:,} replications = {total:,} runs"
    if total > hard.value:
        raise SweepError(f"sweep {spec.name}: {size}; at most {hard.value:,} even with --force "
                         f"({hard.reason}); use fewer points, levels or replications")
    if total > soft.value and not force:
        raise SweepError(f"sweep {spec.name}: {size}, more than {soft.value:,} ({soft.reason}); "
                         "pass --force to run it anyway, or use fewer points, levels or "
                         "replications")
    return total


def stored_runs(folder: str | Path) -> tuple[int, float | None]:
    """Runs already stored in a sweep folder and their mean wall-clock seconds (``None`` when
    none is stored): with the number of workers, an estimate of the time the rest take."""
    path = Path(folder)
    if not (path / DB_FILE).is_file() or (path / DB_FILE).is_symlink():
        return 0, None
    try:
        with SweepStore(path, read_only=True) as store:
            runs = store.runs()
    except SweepError:
        return 0, None
    durations = runs["duration_s"].dropna()
    return len(runs), (float(durations.mean()) if len(durations) else None)


def run_context(spec: SweepSpec) -> RunContext:
    """What every run of ``spec`` shares (shipped to each worker once).

    The scenario goes without its ``[[uncertainty]]`` entries: no run stage draws from them,
    and each point's ``with_overrides`` would otherwise check every entry again at both ends
    of its range (0.36 s of a 10 s Guang'an run)."""
    h = spec.header
    scenario = spec.scenario.with_overrides({"uncertainty": []}) if spec.scenario.uncertainty \
        else spec.scenario
    return RunContext(scenario=scenario, stage=h.stage, metrics=tuple(h.metrics),
                      seed=h.seed, years=h.years, year=h.year, solver=h.solver,
                      run_replications=h.run_replications, rounds=h.rounds, engine=h.engine)


def pending_tasks(spec: SweepSpec, design: Design, done: set[tuple[int, int]]
                  ) -> Iterator[RunTask]:
    """Pending runs in (point, replication) order, built lazily."""
    for point in range(len(design)):
        pending = [r for r in range(spec.header.replications) if (point, r) not in done]
        if not pending:
            continue
        overrides = spec.overrides(design.point_values(point))
        for replication in pending:
            yield RunTask(point, replication, overrides)


def _meta(spec: SweepSpec) -> dict[str, str]:
    return {"spec_hash": spec.spec_hash(),
            "spec_json": json.dumps(spec.canonical(), sort_keys=True),
            "spec_toml": spec.text,
            "scenario_json": json.dumps(spec.scenario.to_dict(), ensure_ascii=False),
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": json.dumps(package_versions())}


def _write_manifest(folder: Path, spec: SweepSpec, total: int, session: dict[str, Any],
                    store: SweepStore, final: bool = False) -> None:
    path = folder / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    sessions = manifest.get("sessions", [])
    if final and sessions and sessions[-1].get("started_utc") == session["started_utc"]:
        sessions[-1] = dict(session)
    else:
        sessions.append(dict(session))
    counts = store.counts()
    manifest = build_manifest(
        "sweep", scenario=spec.scenario, command=sessions[0].get("command"),
        started=sessions[0].get("started_utc"),
        finished=session.get("finished_utc") or datetime.now(UTC),
        name=spec.name, spec_hash=spec.spec_hash(), spec_file=SPEC_FILE, source=spec.source,
        stage=spec.header.stage, seed=spec.header.seed,
        sampler=spec.sampler.model_dump(mode="json"), parameters=spec.parameter_names,
        metrics=list(spec.header.metrics), points=total // spec.header.replications,
        replications=spec.header.replications, runs_total=total,
        runs_ok=counts.get("ok", 0), runs_failed=counts.get("failed", 0),
        runs_pending=total - sum(counts.values()), sessions=sessions,
        updated_utc=datetime.now(UTC).isoformat(timespec="seconds"))
    write_atomic(path, manifest_json(manifest))
