"""The folder of ``govsim budget``: money needed, its uncertainty, the chart and the manifest.

Written atomically through the output-folder service (:mod:`govsim.output.folders`):
``money_needed.csv`` (:func:`govsim.budget.money_needed_table`), with ``--uncertainty`` also
``uncertainty.csv`` (80 % bands), ``uncertainty_drivers.csv`` (what drives them) and
``uncertainty_samples.csv`` (the sampled input values and every outcome, one row per sample ×
metric × county × year), ``plots/money_needed.png`` and ``manifest.json``
(:func:`~govsim.output.manifest.build_manifest`). CSVs are
:data:`~govsim.output.files.CSV_ENCODING`; money in CNY.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govsim.output.budget_plots import plot_money_needed
from govsim.output.figure import png_bytes, resolve_lang
from govsim.output.files import write_csv
from govsim.output.folders import OutputFolder, prepare_folder
from govsim.output.manifest import build_manifest

if TYPE_CHECKING:
    from govsim.budget import BudgetResult
    from govsim.uncertainty import UncertaintyResult

__all__ = ["BUDGET_FILES", "write_budget"]

#: The tables of a money-needed folder (the uncertainty ones only with ``--uncertainty``).
BUDGET_FILES = ("money_needed.csv", "uncertainty.csv", "uncertainty_drivers.csv",
                "uncertainty_samples.csv")


def write_budget(result: BudgetResult, out: str | Path | OutputFolder, *,
                 uncertainty: UncertaintyResult | None = None, lang: str | None = None,
                 options: dict[str, Any] | None = None, command: str | None = None,
                 started: datetime | str | None = None, overwrite: bool = False) -> Path:
    """Write a money-needed folder atomically (see the module docstring); returns its path."""
    target = out if isinstance(out, OutputFolder) else prepare_folder(out, "budget",
                                                                      overwrite=overwrite)
    scenario = result.scenario
    lang = resolve_lang(scenario, lang)
    record: dict[str, Any] = {"years": [b.year for b in result.years],
                              "coverage_target": scenario.policy.coverage_target,
                              "options": dict(options or {}), "lang": lang,
                              "unattainable_cells": len(result.unattainable)}
    if uncertainty is not None:
        record["uncertainty"] = {"samples": uncertainty.samples, "seed": uncertainty.seed,
                                 "design": "latin hypercube (SALib)", "band": "p10-p90",
                                 "drivers": "srrc",
                                 "inputs": [u.id for u in scenario.uncertainty]}
    with target.staging() as stage:
        folder = stage.path
        write_csv(result.table, folder / "money_needed.csv")
        if uncertainty is not None:
            write_csv(uncertainty.bands, folder / "uncertainty.csv")
            write_csv(uncertainty.drivers, folder / "uncertainty_drivers.csv")
            samples = uncertainty.outcomes.merge(uncertainty.design.values, on="sample")
            write_csv(samples, folder / "uncertainty_samples.csv")
        (folder / "plots").mkdir()
        figure = plot_money_needed(result.table, scenario, lang)
        (folder / "plots" / "money_needed.png").write_bytes(png_bytes(figure))
        stage.write_manifest(build_manifest("budget", scenario=scenario, with_data=True,
                                            command=command, started=started, **record))
    return target.path
