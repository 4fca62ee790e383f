"""The results store of a sweep: an embedded DuckDB database written as runs finish.

The store is the sweep's own data, not a presentation of it, so it stays in ``sweep/`` (the
one thing this room writes); files beside it go through :mod:`govsim.output.files` and
:mod:`govsim.output.folders` like every other output.

One folder per sweep holds:

- ``sweep.duckdb`` with the tables ``meta`` (key/value: spec hash, canonical spec, the sweep
  file's text, the base scenario as JSON, versions), ``points`` (one row per point: ``point``
  and one column per parameter), ``unit_points`` (the same points in the unit hypercube, read
  by the Morris analysis) and ``runs`` (``point, replication, status, error, duration_s,
  worker, finished_utc`` and one column per metric), primary key ``(point, replication)`` so a
  run can never be stored twice;
- ``sweep.toml`` (the sweep file as given) and ``manifest.json`` (spec hash, seed, versions,
  one entry per session with its executor, command and times), each written atomically;
- ``runs.log``: one line per stored run (``point replication status``), appended after each
  commit, for watching a sweep from outside (DuckDB locks the database while it is open).

Nothing in the folder is opened through a symbolic link: a linked ``sweep.duckdb`` or
``runs.log`` is refused (``O_NOFOLLOW``), so a sweep never writes outside its folder.

Only the parent process writes; each run is inserted in its own transaction the moment it
arrives, so a crash, ``kill -9`` or power cut loses at most the runs still in flight.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import duckdb
import numpy as np
import pandas as pd

from govsim.errors import OutputError, SweepError
from govsim.interrupts import deferred
from govsim.output.files import open_append, real_folder
from govsim.output.folders import OutputFolder, prepare_folder
from govsim.output.manifest import build_manifest
from govsim.sweep.tasks import RunOutcome

__all__ = [
    "DB_FILE",
    "JOURNAL_FILE",
    "MANIFEST_FILE",
    "RUN_COLUMNS",
    "SPEC_FILE",
    "SweepStore",
]

log = logging.getLogger(__name__)

DB_FILE = "sweep.duckdb"
SPEC_FILE = "sweep.toml"
MANIFEST_FILE = "manifest.json"
JOURNAL_FILE = "runs.log"
#: Columns of ``runs`` before the metrics.
RUN_COLUMNS = ["point", "replication", "status", "error", "duration_s", "worker", "finished_utc"]


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise SweepError(f"{path} is in use by another process (a sweep still running "
                             f"there?); wait for it to finish or stop it first") from exc
        raise SweepError(f"cannot open {path}: {exc}") from exc


def _sql_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(series):
        return "BIGINT"
    if pd.api.types.is_float_dtype(series):
        return "DOUBLE"
    return "VARCHAR"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SweepStore:
    """The DuckDB store of one sweep folder (see the module docstring for its layout)."""

    def __init__(self, folder: str | Path, *, read_only: bool = False) -> None:
        self.folder = Path(folder)
        self.read_only = read_only
        path = self.folder / DB_FILE
        if path.is_symlink():
            raise SweepError(f"{path} is a symbolic link; govsim does not open links in a "
                             "sweep folder")
        if read_only and not path.is_file():
            raise SweepError(f"{self.folder} holds no sweep ({DB_FILE} not found)")
        self._journal: TextIO | None = None
        if not read_only:
            try:
                real_folder(self.folder)
                self._journal = open_append(self.folder / JOURNAL_FILE)  # never through a link
            except OutputError as exc:
                raise SweepError(str(exc)) from exc
        try:
            self.con = _connect(path, read_only)
        except BaseException:
            if self._journal is not None:
                self._journal.close()
            raise
        self.metrics: list[str] = []
        if self._has_table("meta"):
            self.metrics = json.loads(self.meta().get("metrics", "[]"))

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        self.con.close()

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _has_table(self, name: str) -> bool:
        found = self.con.execute("SELECT count(*) FROM information_schema.tables "
                                 "WHERE table_name = ?", [name]).fetchone()
        return bool(found and found[0])

    # -- creation and resume --------------------------------------------------------------
    def initialise(self, meta: Mapping[str, str], points: pd.DataFrame,
                   unit: np.ndarray | None, metrics: list[str]) -> bool:
        """Create the tables for a new sweep, or check that the folder holds this sweep.

        Returns True when the sweep is new. Raises :class:`SweepError` when the folder holds
        a different sweep (its spec hash, or its points, differ).
        """
        if self._has_table("meta"):
            self._check_same(meta, points)
            return False
        self.metrics = list(metrics)
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
            self.con.executemany("INSERT INTO meta VALUES (?, ?)",
                                 [[k, v] for k, v in {**meta, "metrics": json.dumps(metrics)
                                                      }.items()])
            self._create_points("points", points)
            names = [c for c in points.columns if c != "point"]
            unit_frame = (pd.DataFrame(unit, columns=names) if unit is not None
                          else pd.DataFrame(index=range(len(points))))
            unit_frame.insert(0, "point", points["point"].to_numpy())
            self._create_points("unit_points", unit_frame)
            metric_sql = "".join(f", {_quote(m)} DOUBLE" for m in metrics)
            self.con.execute(
                "CREATE TABLE runs (point BIGINT, replication INTEGER, status VARCHAR NOT NULL, "
                "error VARCHAR, duration_s DOUBLE, worker VARCHAR, finished_utc TIMESTAMP"
                f"{metric_sql}, PRIMARY KEY (point, replication))")
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return True

    def _create_points(self, table: str, frame: pd.DataFrame) -> None:
        columns = ", ".join(f"{_quote(c)} {_sql_type(frame[c])}" for c in frame.columns)
        self.con.execute(f"CREATE TABLE {table} ({columns}, PRIMARY KEY (point))")
        if len(frame):
            self.con.register("_frame", frame)
            self.con.execute(f"INSERT INTO {table} SELECT * FROM _frame")
            self.con.unregister("_frame")

    def _check_same(self, meta: Mapping[str, str], points: pd.DataFrame) -> None:
        stored = self.meta()
        if stored.get("spec_hash") != meta["spec_hash"]:
            old = json.loads(stored.get("spec_json", "{}"))
            new = json.loads(meta["spec_json"])
            changed = _differences(old, new) or ["the sweep definition"]
            raise SweepError(
                f"{self.folder} holds a different sweep (changed: {', '.join(changed)}); "
                "resuming would mix results. Use another --out folder, or delete this one "
                "to start over")
        stored_points = self.points()
        same = (len(stored_points) == len(points) and list(stored_points.columns) ==
                list(points.columns) and all(
                    _same_column(stored_points[c], points[c]) for c in points.columns))
        if not same:
            raise SweepError(
                f"the points drawn now differ from those stored in {self.folder} although "
                "the sweep file is unchanged (a different SALib or numpy version?); resume "
                f"with the versions in {MANIFEST_FILE}, or start a new folder")

    # -- runs -----------------------------------------------------------------------------
    def finished(self) -> set[tuple[int, int]]:
        """``(point, replication)`` of every stored run (ok or failed)."""
        rows = self.con.execute("SELECT point, replication FROM runs").fetchall()
        return {(int(p), int(r)) for p, r in rows}

    def delete_failed(self) -> int:
        """Forget failed runs so that they run again; returns how many."""
        found = self.con.execute("SELECT count(*) FROM runs WHERE status = 'failed'").fetchone()
        self.con.execute("DELETE FROM runs WHERE status = 'failed'")
        return int(found[0]) if found else 0

    def add(self, outcome: RunOutcome) -> None:
        """Store one finished run in its own transaction (committed before returning)."""
        values = [outcome.point, outcome.replication, outcome.status, outcome.error,
                  outcome.duration_s, outcome.worker, datetime.now(UTC).replace(tzinfo=None)]
        values += [_finite_or_none(outcome.metrics.get(m)) for m in self.metrics]
        marks = ", ".join("?" * len(values))
        if self._journal is None:
            raise SweepError("the store was opened read-only")
        with deferred():  # Ctrl-C never leaves a stored run out of runs.log
            self.con.execute(f"INSERT INTO runs VALUES ({marks})", values)
            self._journal.write(f"{outcome.point}\t{outcome.replication}\t{outcome.status}\n")
            self._journal.flush()

    # -- reading --------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return dict(self.con.execute("SELECT key, value FROM meta").fetchall())

    def points(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM points ORDER BY point").df()

    def unit_points(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM unit_points ORDER BY point").df()

    def runs(self) -> pd.DataFrame:
        """Every stored run, sorted by ``(point, replication)``; NULL metrics are NaN."""
        frame = self.con.execute("SELECT * FROM runs ORDER BY point, replication").df()
        for m in self.metrics:
            frame[m] = pd.to_numeric(frame[m], errors="coerce").astype(float)
        return frame

    def counts(self) -> dict[str, int]:
        rows = self.con.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall()
        return {str(s): int(n) for s, n in rows}

    def export(self, target: Path | OutputFolder, fmt: str = "parquet") -> list[Path]:
        """Write ``points``, ``runs`` and ``results`` (the two joined) as Parquet or CSV, with a
        manifest, into a new folder (see :mod:`govsim.output.folders`); returns the files."""
        if not isinstance(target, OutputFolder):
            target = prepare_folder(target, "sweep-export")
        option = "(FORMAT PARQUET)" if fmt == "parquet" else "(FORMAT CSV, HEADER)"
        queries = {"points": "SELECT * FROM points ORDER BY point",
                   "runs": "SELECT * FROM runs ORDER BY point, replication",
                   "results": "SELECT p.*, r.* EXCLUDE (point) FROM runs r JOIN points p "
                              "USING (point) ORDER BY point, replication"}
        with target.staging() as stage:
            for name, query in queries.items():
                literal = str(stage.path / f"{name}.{fmt}").replace("'", "''")
                self.con.execute(f"COPY ({query}) TO '{literal}' {option}")
            meta = self.meta()
            stage.write_manifest(build_manifest(
                "sweep-export", sweep=json.loads(meta.get("spec_json", "{}"))
                .get("sweep", {}).get("name"), spec_hash=meta.get("spec_hash"), format=fmt,
                source=str(self.folder)))
        return [target.path / f"{name}.{fmt}" for name in queries]


def _finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def _same_column(a: pd.Series, b: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
        return bool(np.allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-12, atol=0))
    return [str(x) for x in a] == [str(x) for x in b]


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            out += _differences(old.get(key), new.get(key), f"{prefix}.{key}" if prefix
                                else str(key))
        return out
    if old != new:
        return [{"scenario_hash": "the base scenario's content"}.get(prefix, prefix)]
    return []
