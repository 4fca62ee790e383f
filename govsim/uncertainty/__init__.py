"""Uncertainty from the inputs: Latin-hypercube samples of the declared uncertain inputs,
evaluated on common random numbers, summarised as 80 % bands and ranked drivers.

A scenario declares what it is unsure of in ``[[uncertainty]]`` entries
(:mod:`govsim.scenario.uncertain`). :mod:`.design` draws the points (SALib's Latin
hypercube), :mod:`.evaluate` evaluates money needed (``govsim budget --uncertainty N``) or whole
runs (``govsim run --uncertainty N``) at each, and :mod:`.analysis` gives ``uncertainty.csv``
(p10, p50, p90 per metric, county and year) and ``uncertainty_drivers.csv`` (standardised rank
regression coefficients). The experiment design is kept apart from its execution, as in the
EMA Workbench: the same design runs serially or in the process pool with identical tables.
"""

from __future__ import annotations

from govsim.uncertainty.analysis import (
    BAND_QUANTILES,
    DRIVER_COLUMNS,
    UNCERTAINTY_COLUMNS,
    bands_table,
    drivers_table,
    srrc,
)
from govsim.uncertainty.design import (
    MAX_SAMPLES,
    Design,
    check_samples,
    lhs_design,
    sample_scenario,
)
from govsim.uncertainty.evaluate import (
    UncertaintyResult,
    budget_outcomes,
    budget_uncertainty,
    run_outcomes,
    run_uncertainty,
    run_with_uncertainty,
    with_bands,
)

__all__ = ["BAND_QUANTILES", "DRIVER_COLUMNS", "MAX_SAMPLES", "UNCERTAINTY_COLUMNS", "Design",
           "UncertaintyResult", "bands_table", "budget_outcomes", "budget_uncertainty",
           "check_samples", "drivers_table", "lhs_design", "run_outcomes", "run_uncertainty",
           "run_with_uncertainty", "sample_scenario", "srrc", "with_bands"]
