"""Parameter sweeps: many scenario variants × replications, stored as they finish, analysed.

A sweep file (TOML, :mod:`~govsim.sweep.spec`) names a scenario, the parameters to vary (by
dotted path, a range or a list of values), a sampler (:mod:`~govsim.sweep.samplers`: grid,
random, Latin hypercube, Sobol'/Saltelli, Morris), the pipeline stage each run executes and
the metrics to keep (:mod:`~govsim.sweep.metrics`). Runs execute in local worker processes
or on a Dask cluster (:mod:`~govsim.sweep.executors`); each finished run is committed to a
DuckDB database in the output folder at once (:mod:`~govsim.sweep.store`), so a sweep that dies
resumes where it stopped. :mod:`~govsim.sweep.analyze` computes Sobol' and Morris indices.

For notebooks::

    import govsim.sweep
    result = govsim.sweep("scenarios/sweeps/tiny.toml", workers=2)   # the module is callable
    result.runs.head()
    result.analyze("sobol")

``govsim.sweep(...)`` is :func:`sweep` (the same as :func:`run_sweep`). The reference of the
file format, seeds, store schema and resume rules is ``docs/sweep.md``.

This room returns tables; the one thing it writes itself is its store (the DuckDB database,
``sweep.toml``, the manifest and ``runs.log``): the sweep's own data, committed run by run so
that a sweep resumes, through :mod:`govsim.output`'s atomic files and folders. Analysis files
and charts are :mod:`govsim.output`'s (``output.tables.write_analysis``,
``output.charts.analysis_figure``).

May import: ``govsim.pipeline``, ``govsim.allocation``, ``govsim.sim``, ``govsim.output``,
``govsim.parallel`` and the rooms below them; never ``govsim.compare`` or ``govsim.cli``.
"""

from __future__ import annotations

from typing import Any

from govsim.callable_module import make_callable
from govsim.errors import SweepError, SweepSpecError
from govsim.sweep.metrics import METRICS, Metric, metrics_for_stage
from govsim.sweep.runner import (
    SweepInterrupted,
    SweepProgress,
    SweepResult,
    open_sweep,
    run_sweep,
)
from govsim.sweep.spec import SweepSpec, load_sweep_spec

__all__ = [
    "METRICS",
    "Metric",
    "SweepError",
    "SweepInterrupted",
    "SweepProgress",
    "SweepResult",
    "SweepSpec",
    "SweepSpecError",
    "load_sweep_spec",
    "metrics_for_stage",
    "open_sweep",
    "run_sweep",
    "sweep",
]


def sweep(spec: SweepSpec | str | Any, out: Any = None, *, executor: Any = "local",
          **options: Any) -> SweepResult:
    """Run or resume a sweep: ``govsim.sweep(spec, executor=...) -> SweepResult``.

    The same as :func:`~govsim.sweep.runner.run_sweep`; see there for the options
    (``workers``, ``scheduler``, ``retry_failed``, ``progress``).
    """
    return run_sweep(spec, out, executor=executor, **options)


make_callable(__name__, sweep)
