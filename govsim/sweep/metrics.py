"""The scalars a sweep keeps of each run: :data:`govsim.metrics.METRICS`, by pipeline stage.

A sweep run produces tables (simulated KPIs, an allocation, a pipeline's results); a sweep
keeps a few numbers of each, chosen by id from the one registry of figures,
:mod:`govsim.metrics`, where each has its one definition, its unit and the stages that can
compute it: a simulated figure in ``simulate`` and ``run``, a planned one in ``allocate`` (and
``run`` when no simulation gives it). With several simulation replications in one run (the
``run`` stage) simulated totals are means over those replications. Money in CNY unless the id
ends in ``_wan``, waits in working days.
"""

from __future__ import annotations

from typing import Any

from govsim.metrics import METRICS, STAGES, Metric
from govsim.metrics import Plan as StageOutput

__all__ = ["METRICS", "STAGES", "Metric", "StageOutput", "compute_metrics", "metrics_for_stage"]


def metrics_for_stage(stage: str) -> list[str]:
    """Ids of the metrics a stage can keep, sorted."""
    return sorted(name for name, m in METRICS.items() if stage in m.stages)


def compute_metrics(stage: str, output: StageOutput, names: tuple[str, ...] | list[str]
                    ) -> dict[str, Any]:
    """The named metrics of one run (NaN where undefined, e.g. coverage with no demand)."""
    return {name: METRICS[name].compute(stage, output) for name in names}
