"""From sampled outcomes to 80 % bands and the inputs that drive them.

:func:`bands_table` reads a long table of outcomes (``sample, metric, county, year, value``)
and gives ``uncertainty.csv``: per metric, county (``""`` for the prefecture) and year the
10th, 50th and 90th percentiles over the samples (linear interpolation; CNY in whole yuan,
people to 2 and shares to 4 decimals), the unit, the point
estimate (the scenario as written), the number of samples and ``point_percentile``: where the
point lies among the samples (:func:`point_percentile`, 0–100). Money (need and gap) also
has one row per county and the prefecture with ``year`` missing: the band of the plan horizon's
total, the percentiles of each sample's own total (the first screen's county table shows it;
summing the years' percentiles would give no percentile of the total). A metric missing in a sample
(nothing to compute) is left out of that sample's count; with no value at all the band is
missing.

The point need not lie inside its band: when a declared range is not centred on the scenario's
written value (Guang'an's relief base: the written value is below its range), nearly every
sample moves the same way, and ``point_percentile`` says how far out the point is (0 or 100:
beyond every sample).

:func:`drivers_table` ranks the inputs by **standardised rank regression coefficients**
(SRRC): inputs and outcome are replaced by their ranks, standardised, and the outcome regressed
on all inputs at once by least squares. With a Latin hypercube the inputs are nearly
uncorrelated, so each coefficient is the share-like effect of one input with the others
held, signed, robust to any monotone (not only linear) relation, and it needs only a few more
samples than inputs — where variance-based indices (Sobol') need a Saltelli design of
``N·(2D + 2)`` runs and the density-based ones (delta, PAWN) hundreds of samples to be stable.
The regression's R² says how much of the outcome's rank variance the inputs explain together:
well below 1 means interactions or non-monotone effects that SRRC cannot rank.
Drivers are computed on prefecture figures over the horizon: money summed over the years,
coverage and people short averaged.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from govsim.budget import DRIVER_COLUMNS, PREFECTURE, UNCERTAINTY_COLUMNS

__all__ = ["BAND_QUANTILES", "DRIVER_COLUMNS", "HORIZON_METRICS", "METRIC_UNITS",
           "UNCERTAINTY_COLUMNS", "bands_table", "drivers_table", "point_percentile", "srrc"]

#: The band: 10th and 90th percentiles (an 80 % band) around the median.
BAND_QUANTILES = (0.1, 0.5, 0.9)
#: Unit of each outcome metric.
METRIC_UNITS = {"need_cny": "CNY", "gap_cny": "CNY", "coverage": "share",
                "staff_short": "people"}
#: Decimals each unit is written with (money in whole yuan, as ``money_needed.csv``).
_DECIMALS = {"CNY": 0, "people": 2, "share": 4}
#: How the horizon's years combine into one figure for the drivers.
_OVER_YEARS = {"need_cny": "sum", "gap_cny": "sum", "coverage": "mean", "staff_short": "mean"}


def point_percentile(values: np.ndarray, point: float) -> float:
    """Where ``point`` lies among the sampled ``values``: the percentage of samples below it,
    ties counted half (the mid-rank percentile, 0–100, one decimal). 0 or 100: the point is
    beyond every sample. NaN when the point or every value is missing.

    >>> point_percentile(np.array([0.0, 1.0, 2.0, 3.0]), 5.0)
    100.0
    >>> point_percentile(np.array([0.0, 0.0, 2.0, 3.0]), 0.0)
    25.0
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values) or not math.isfinite(float(point)):
        return math.nan
    below = float(np.count_nonzero(values < point))
    tied = float(np.count_nonzero(values == point))
    return round(100.0 * (below + 0.5 * tied) / len(values), 1)


def bands_table(outcomes: pd.DataFrame, point: pd.DataFrame | None = None) -> pd.DataFrame:
    """``uncertainty.csv`` from sampled ``outcomes`` (and the ``point`` estimate, same
    columns without ``sample``)."""
    columns = UNCERTAINTY_COLUMNS
    if outcomes.empty:
        return pd.DataFrame(columns=columns)
    keys = ["metric", "county", "year"]
    rows = []
    points = {} if point is None else {
        (m, c, int(y)): v for m, c, y, v in point[[*keys, "value"]].itertuples(index=False)}
    for (metric, county, year), group in outcomes.groupby(keys, sort=False):
        values = group["value"].astype(float).dropna().to_numpy()
        q = np.quantile(values, BAND_QUANTILES) if len(values) else [math.nan] * 3
        unit = METRIC_UNITS.get(str(metric), "")
        digits = _DECIMALS.get(unit, 6)
        point_value = round(float(points.get((metric, county, int(year)), math.nan)), digits)
        rows.append({"metric": metric, "county": county, "year": int(year),
                     "p10": round(float(q[0]), digits), "p50": round(float(q[1]), digits),
                     "p90": round(float(q[2]), digits), "unit": unit,
                     "point": point_value, "samples": len(values),
                     # the samples as written (same rounding as the point) decide ties
                     "point_percentile": point_percentile(np.round(values, digits),
                                                          point_value)})
    rows += _horizon_rows(outcomes, points)
    table = pd.DataFrame(rows, columns=columns)
    table["year"] = table["year"].astype("Int64")
    return table


#: Metrics whose plan-horizon total has its own band (``year`` missing in ``uncertainty.csv``).
HORIZON_METRICS = ("need_cny", "gap_cny")


def _horizon_rows(outcomes: pd.DataFrame,
                  points: dict[tuple[str, str, int], float]) -> list[dict[str, object]]:
    """The band of each money metric summed over the plan years, per county and prefecture:
    the percentiles of each sample's own total (not the sum of the years' percentiles, which
    is no percentile of the total); ``year`` missing. A sample missing a year is left out."""
    rows: list[dict[str, object]] = []
    years = sorted({int(y) for y in outcomes["year"]})
    money = outcomes[outcomes["metric"].isin(HORIZON_METRICS)]
    if money.empty:
        return rows
    # every (metric, county)'s samples by year in one table, not one pivot per county
    wide = money.pivot_table(index=["metric", "county", "sample"], columns="year",
                             values="value", aggfunc="first").reindex(columns=years)
    complete = wide.dropna()
    sample_totals = complete.sum(axis=1).groupby(level=["metric", "county"], sort=False)
    totals_of = {key: part.to_numpy(dtype=float) for key, part in sample_totals}
    for metric, county in money[["metric", "county"]].drop_duplicates().itertuples(index=False):
        totals = totals_of.get((metric, county), np.zeros(0))
        q = [round(float(v)) for v in np.quantile(totals, BAND_QUANTILES)] if len(totals) \
            else [math.nan] * 3
        point = math.fsum(points.get((str(metric), county, y), math.nan) for y in years)
        point = round(point) if math.isfinite(point) else math.nan
        rows.append({"metric": metric, "county": county, "year": pd.NA,
                     "p10": q[0], "p50": q[1], "p90": q[2], "unit": METRIC_UNITS[str(metric)],
                     "point": point, "samples": len(totals),
                     "point_percentile": point_percentile(np.round(totals), point)})
    return rows


#: Samples per regression term below which the drivers are not computed (shown missing).
SRRC_SAMPLES_PER_TERM = 2


def srrc(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Standardised rank regression coefficients of ``y`` on the columns of ``x``, and R².

    NaN coefficients when ``y`` does not vary or there are fewer than
    :data:`SRRC_SAMPLES_PER_TERM` samples per regression term (inputs and intercept): with
    fewer the regression fits the noise (Guang'an's 7 inputs on 10 samples gave a coefficient
    of 1.87 at R² 0.99). An input that does not vary gets 0.
    """
    n, d = x.shape
    if n < SRRC_SAMPLES_PER_TERM * (d + 1) or np.ptp(y) == 0:
        return np.full(d, math.nan), math.nan
    from scipy.stats import rankdata  # here: scipy.stats costs a band worker 0.4 s to import

    ranks = np.column_stack([rankdata(x[:, j]) for j in range(d)]).astype(float)
    ry = rankdata(y).astype(float)
    sx = ranks.std(axis=0)
    varying = sx > 0
    zx = np.zeros_like(ranks)
    zx[:, varying] = (ranks[:, varying] - ranks[:, varying].mean(axis=0)) / sx[varying]
    zy = (ry - ry.mean()) / ry.std()
    beta, *_ = np.linalg.lstsq(zx[:, varying], zy, rcond=None)
    coef = np.zeros(d)
    coef[varying] = beta
    fitted = zx[:, varying] @ beta
    r2 = 1.0 - float(np.sum((zy - fitted) ** 2)) / float(np.sum(zy ** 2))
    return coef, r2


def drivers_table(design_values: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """``uncertainty_drivers.csv``: SRRC of every input on every prefecture metric, inputs
    ranked by |index| within each metric."""
    columns = DRIVER_COLUMNS
    inputs = [c for c in design_values.columns if c != "sample"]
    prefecture = outcomes[outcomes["county"] == PREFECTURE]
    rows = []
    for metric, how in _OVER_YEARS.items():
        mine = prefecture[prefecture["metric"] == metric]
        if mine.empty:
            continue
        per_sample = mine.groupby("sample")["value"].agg(how).dropna()
        values = design_values.set_index("sample").loc[per_sample.index, inputs]
        coef, r2 = srrc(values.to_numpy(dtype=float), per_sample.to_numpy(dtype=float))
        order = sorted(range(len(inputs)),
                       key=lambda j: (-abs(coef[j]) if math.isfinite(coef[j]) else 0.0, j))
        for j in order:
            rows.append({"metric": metric, "input": inputs[j], "index": float(coef[j]),
                         "method": "srrc", "r2": r2, "samples": len(per_sample)})
    return pd.DataFrame(rows, columns=columns)
