"""The folders of ``govsim allocate`` and ``govsim simulate`` (tables and manifest), and the
analysis files of a sweep.

Both are written atomically through the output-folder service (:mod:`govsim.output.folders`):
everything goes to a hidden temporary folder beside the target, renamed into place once
complete; a folder govsim did not write is never replaced. CSVs are
:data:`~govsim.output.files.CSV_ENCODING`; the manifest comes from
:func:`~govsim.output.manifest.build_manifest`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from govsim.errors import OutputError, SweepError
from govsim.output.charts import analysis_figure
from govsim.output.figure import png_bytes
from govsim.output.files import real_folder, write_atomic, write_csv
from govsim.output.folders import OutputFolder, prepare_folder
from govsim.output.manifest import build_manifest

if TYPE_CHECKING:
    import pandas as pd

    from govsim.allocation import AllocationResult
    from govsim.scenario import Scenario
    from govsim.sim import SimulationResult
    from govsim.sweep.runner import SweepResult

__all__ = ["ALLOCATION_TABLES", "SIMULATION_TABLES", "write_allocation", "write_analysis",
           "write_simulation"]

#: The tables of an allocation folder, by file stem (attributes of ``AllocationResult``).
ALLOCATION_TABLES = ("allocation", "staffing", "compliance", "constraints", "explanations",
                     "unmet", "goals")
#: The tables of a simulation folder (attributes of ``SimulationResult``).
SIMULATION_TABLES = ("kpis", "summary", "contracts", "providers")


def _write_folder(out: str | Path | OutputFolder, kind: str, overwrite: bool,
                  result: object, names: tuple[str, ...], manifest: dict) -> Path:
    """Write the tables ``names`` of ``result`` as CSV and then ``manifest``, atomically."""
    target = out if isinstance(out, OutputFolder) else prepare_folder(out, kind,
                                                                      overwrite=overwrite)
    with target.staging() as stage:
        for name in names:
            write_csv(getattr(result, name), stage.path / f"{name}.csv")
        stage.write_manifest(manifest)
    return target.path


def write_allocation(result: AllocationResult, scenario: Scenario,
                     out: str | Path | OutputFolder, *, started: datetime | None = None,
                     command: str | None = None, overwrite: bool = False) -> Path:
    """Write one year's allocation tables (:data:`ALLOCATION_TABLES`) and its manifest into
    ``out`` atomically; returns the folder written."""
    return _write_folder(out, "allocate", overwrite, result, ALLOCATION_TABLES, build_manifest(
        "allocate", scenario=scenario, command=command, started=started,
        year=result.year, objective=result.objective,
        solver={"name": result.solver, "version": result.solver_version},
        status=result.status.value, objective_value=result.objective_value,
        timings_seconds={"build": result.build_seconds, "solve": result.solve_seconds}))


def write_simulation(result: SimulationResult, scenario: Scenario,
                     out: str | Path | OutputFolder, *, started: datetime | None = None,
                     finished: datetime | None = None, command: str | None = None,
                     workers: int | None = None, engine: str = "compiled",
                     overwrite: bool = False) -> Path:
    """Write a simulation's tables (:data:`SIMULATION_TABLES`) and its manifest into ``out``
    atomically; returns the folder written."""
    return _write_folder(out, "simulate", overwrite, result, SIMULATION_TABLES, build_manifest(
        "simulate", scenario=scenario, command=command, started=started, finished=finished,
        seed=result.seed, replications=result.replications, years=list(result.years),
        workers=workers, engine=engine))


def write_analysis(result: SweepResult, table: pd.DataFrame, method: str) -> list[Path]:
    """Write ``analysis/<method>.csv`` and ``analysis/<method>.png`` into the sweep folder,
    atomically and never through a symbolic link (a linked ``analysis`` folder is refused)."""
    try:
        target = real_folder(result.folder / "analysis")
        csv_path = write_csv(table, target / f"{method}.csv")
        what = "Sobol' indices (95 % CI)" if method == "sobol" else \
            "Morris μ*, σ (95 % CI on μ*)"
        fig = analysis_figure(table, method, f"{result.spec['sweep']['name']}: {what}")
        png_path = write_atomic(target / f"{method}.png", png_bytes(fig))
    except OutputError as exc:
        raise SweepError(str(exc)) from exc
    return [csv_path, png_path]
