"""Sensitivity analysis and summaries of a stored sweep.

:func:`analyze` computes, per metric and parameter, Sobol' first-order (``S1``) and total
(``ST``) indices with their confidence half-widths (SALib, Saltelli/Jansen estimators,
bootstrap), or Morris elementary-effect statistics ``mu``, ``mu_star`` (μ*, with its
confidence half-width) and ``sigma`` (σ). Replications are averaged per point first, so the
indices describe the expected metric; every point needs at least one successful run.

Morris statistics are in metric units per full range of the parameter (the design lives in
the unit hypercube), so μ* of two parameters compare directly.

:func:`summary` describes each metric's distribution (mean, standard deviation, 10/50/90 %
quantiles) within bins of each parameter — a first look for any sampler, grids included.
The tables are written and drawn by :mod:`govsim.output`
(:func:`~govsim.output.tables.write_analysis`, :func:`~govsim.output.charts.analysis_figure`);
this module writes nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from govsim.errors import SweepError

if TYPE_CHECKING:
    from govsim.sweep.runner import SweepResult

__all__ = ["ANALYSIS_COLUMNS", "analyze", "point_means", "summary"]

log = logging.getLogger(__name__)

#: Index columns of :func:`analyze` by method (after ``metric, parameter``).
ANALYSIS_COLUMNS = {"sobol": ["S1", "S1_conf", "ST", "ST_conf"],
                    "morris": ["mu", "mu_star", "mu_star_conf", "sigma"]}


def point_means(result: SweepResult, metrics: list[str]) -> pd.DataFrame:
    """Mean of each metric over the successful replications of every point (NaN: none)."""
    ok = result.runs[result.runs["status"] == "ok"]
    means = ok.groupby("point")[metrics].mean()
    return means.reindex(result.points["point"].to_numpy())


def analyze(result: SweepResult, method: str = "sobol", metrics: list[str] | None = None, *,
            conf_level: float = 0.95, num_resamples: int = 200) -> pd.DataFrame:
    """Sensitivity indices of every (metric, parameter) from the stored runs.

    Parameters
    ----------
    result : SweepResult
        A sweep sampled with ``method`` (``sobol`` or ``morris``).
    method : {"sobol", "morris"}
    metrics : list of str, optional
        Default: every metric of the sweep.
    conf_level : float
        Confidence level of the bootstrap intervals (half-widths in ``*_conf``).
    num_resamples : int
        Bootstrap resamples.

    Returns
    -------
    DataFrame
        ``metric, parameter`` and ``S1, S1_conf, ST, ST_conf`` (sobol) or
        ``mu, mu_star, mu_star_conf, sigma`` (morris). A metric that does not vary at all gets
        zeros (no parameter matters).
    """
    if method not in ANALYSIS_COLUMNS:
        raise SweepError(f"unknown analysis method {method!r}: use 'sobol' or 'morris'")
    if isinstance(num_resamples, bool) or not isinstance(num_resamples, int) \
            or num_resamples < 1:
        raise SweepError(f"--resamples must be a whole number of at least 1, got "
                         f"{num_resamples!r}")
    if not 0 < conf_level < 1:
        raise SweepError(f"conf_level must lie between 0 and 1, got {conf_level!r}")
    sampler = result.spec["sampler"]
    if sampler["method"] != method:
        raise SweepError(f"a {method} analysis needs a sweep sampled with method = "
                         f"{method!r}; this one used {sampler['method']!r} (try "
                         "'govsim sweep summary')")
    metrics = _check_metrics(result, metrics)
    means = point_means(result, metrics)
    problem = {"num_vars": len(result.parameters), "names": result.parameters,
               "bounds": [[0.0, 1.0]] * len(result.parameters)}
    seed = int(result.spec["sweep"]["seed"]) + 1  # SALib falls back to global state on 0
    rows: list[dict[str, Any]] = []
    for metric in metrics:
        y = means[metric].to_numpy(dtype=float)
        missing = np.flatnonzero(~np.isfinite(y))
        if len(missing):
            raise SweepError(
                f"{len(missing)} of {len(y)} points have no successful value of {metric!r} "
                f"(e.g. points {', '.join(map(str, missing[:5]))}); the {method} estimators "
                "need every point — complete the sweep (--retry-failed re-runs failed runs) "
                "or choose another metric")
        rows += _indices(method, problem, result, sampler, y, metric, conf_level,
                         num_resamples, seed)
    return pd.DataFrame(rows, columns=["metric", "parameter", *ANALYSIS_COLUMNS[method]])


def _indices(method: str, problem: dict[str, Any], result: SweepResult,
             sampler: dict[str, Any], y: np.ndarray, metric: str, conf_level: float,
             num_resamples: int, seed: int) -> list[dict[str, Any]]:
    names = problem["names"]
    if np.ptp(y) == 0:
        zeros = dict.fromkeys(ANALYSIS_COLUMNS[method], 0.0)
        return [{"metric": metric, "parameter": n, **zeros} for n in names]
    if method == "sobol":
        from SALib.analyze import sobol

        indices = sobol.analyze(problem, y, calc_second_order=bool(sampler["second_order"]),
                                num_resamples=num_resamples, conf_level=conf_level, seed=seed)
    else:
        from SALib.analyze import morris

        x = result.unit[names].to_numpy(dtype=float)
        indices = morris.analyze(problem, x, y, num_resamples=num_resamples,
                                 conf_level=conf_level, num_levels=int(sampler["levels"]),
                                 seed=seed)
    return [{"metric": metric, "parameter": name,
             **{c: float(indices[c][j]) for c in ANALYSIS_COLUMNS[method]}}
            for j, name in enumerate(names)]


def _check_metrics(result: SweepResult, metrics: list[str] | None) -> list[str]:
    chosen = list(metrics or result.metrics)
    unknown = [m for m in chosen if m not in result.metrics]
    if unknown:
        raise SweepError(f"metric(s) {', '.join(unknown)} not kept by this sweep; it kept: "
                         f"{', '.join(result.metrics)}")
    if result.runs.empty or not (result.runs["status"] == "ok").any():
        raise SweepError(f"{result.folder} has no successful runs yet")
    return chosen


def summary(result: SweepResult, bins: int = 4, metrics: list[str] | None = None
            ) -> pd.DataFrame:
    """Distribution of each metric within bins of each parameter (successful runs only).

    A numeric parameter with more than ``bins`` distinct values is cut into ``bins``
    quantile bins; otherwise each value is its own bin.

    Returns
    -------
    DataFrame
        ``parameter, bin, metric, runs, mean, std, p10, p50, p90`` in parameter order, bins
        ascending.
    """
    if not 1 <= bins <= 100:
        raise SweepError(f"--bins must be between 1 and 100, got {bins}")
    metrics = _check_metrics(result, metrics)
    runs = result.results()
    runs = runs[runs["status"] == "ok"]
    rows: list[dict[str, Any]] = []
    for parameter in result.parameters:
        column = runs[parameter]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column) \
                and column.nunique() > bins:
            labels = pd.qcut(column, bins, duplicates="drop")
        else:
            labels = column
        for label, group in runs.groupby(labels, sort=True, observed=True):
            for metric in metrics:
                values = group[metric].dropna()
                rows.append({"parameter": parameter, "bin": _bin_text(label), "metric": metric,
                             "runs": len(values), "mean": values.mean(),
                             "std": values.std(ddof=1), "p10": values.quantile(0.1),
                             "p50": values.quantile(0.5), "p90": values.quantile(0.9)})
    return pd.DataFrame(rows, columns=["parameter", "bin", "metric", "runs", "mean", "std",
                                       "p10", "p50", "p90"])


def _bin_text(label: Any) -> str:
    if isinstance(label, pd.Interval):
        return f"{_g(label.left)} – {_g(label.right)}"
    return _g(label) if isinstance(label, float) else str(label)


def _g(value: float) -> str:
    return f"{value:.4g}"


def __getattr__(name: str) -> Any:
    # Deprecated names (one release): drawing and writing moved to govsim.output.
    if name == "analysis_figure":
        from govsim.output.charts import analysis_figure
        return analysis_figure
    if name == "write_analysis":
        from govsim.output.tables import write_analysis
        return write_analysis
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
