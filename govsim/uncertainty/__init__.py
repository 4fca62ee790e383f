"""Uncertainty from the inputs: Latin-hypercube samples of the declared uncertain inputs,
evaluated on common random numbers, summarised as 80 % bands and ranked drivers.

A scenario declares what it is unsure of in ``[[uncertainty]]`` entries
(:mod:`govsim.scenario.uncertain`). :mod:`.design` draws the points (SALib's Latin
hypercube), :mod:`.evaluate` evaluates money needed (``govsim budget --uncertainty N``) or whole
runs (``govsim run --uncertainty N``) at each, :mod:`.run_band` re-solves a run's own money
needed at each (every ``govsim run`` by default), and :mod:`.analysis` gives ``uncertainty.csv``
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
    OFF_CENTRE,
    Design,
    check_samples,
    lhs_design,
    sample_scenario,
    written_positions,
)
from govsim.uncertainty.evaluate import (
    UncertaintyResult,
    band_record,
    budget_outcomes,
    budget_uncertainty,
    run_outcomes,
    run_uncertainty,
    run_with_uncertainty,
    with_bands,
)
from govsim.uncertainty.run_band import (
    DEFAULT_BAND_SAMPLES,
    check_band_samples,
    money_bands,
    sampled_estimates,
    with_money_band,
)

__all__ = ["BAND_QUANTILES", "DEFAULT_BAND_SAMPLES", "DRIVER_COLUMNS", "MAX_SAMPLES",
           "OFF_CENTRE",
           "UNCERTAINTY_COLUMNS", "Design", "UncertaintyResult", "band_record", "bands_table",
           "budget_outcomes", "budget_uncertainty", "check_band_samples", "check_samples",
           "drivers_table", "lhs_design", "money_bands", "run_outcomes", "run_uncertainty",
           "run_with_uncertainty", "sample_scenario", "sampled_estimates", "srrc", "with_bands",
           "with_money_band", "written_positions"]
