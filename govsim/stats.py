"""Confidence intervals over replications and paired differences on common random numbers.

The one place govsim computes a statistical interval: Student-t 95 % half-widths of a mean over
replications (:func:`t_critical`, :func:`mean_ci95`), used by the simulation summary
(``kpis.csv``), the comparison of options and the sweeps, and the paired difference of an option
from the baseline (:func:`paired_difference`: replication r of the option against replication r
of the baseline, which share their random numbers). Pure numbers in, numbers out; no units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["RELATIVE_TOLERANCE", "PairedDifference", "mean_ci95", "paired_difference",
           "t_critical"]

# Two-sided 95 % Student-t critical values t_{0.975, df} for df = 1..30.
_T975 = (12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836, 2.446911851,
         2.364624252, 2.306004135, 2.262157163, 2.228138852, 2.200985160, 2.178812830,
         2.160368656, 2.144786688, 2.131449546, 2.119905299, 2.109815578, 2.100922040,
         2.093024054, 2.085963447, 2.079613845, 2.073873068, 2.068657610, 2.063898562,
         2.059538553, 2.055529439, 2.051830516, 2.048407142, 2.045229642, 2.042272456)
_Z975 = 1.959963984540054

#: Differences smaller than this share of the baseline's magnitude (at least 1) are solver
#: noise, not a difference (LP solutions of different models agree to ~1e-10 only).
RELATIVE_TOLERANCE = 1e-9


def t_critical(df: int | float) -> float:
    """Two-sided 95 % critical value of Student's t with ``df`` degrees of freedom.

    Exact table values for ``df <= 30``, beyond that the Cornish-Fisher expansion (error below
    1e-6).

    >>> round(t_critical(9), 4)
    2.2622
    """
    if not df >= 1:
        return math.nan
    if df <= 30 and float(df).is_integer():
        return _T975[int(df) - 1]
    z, v = _Z975, float(df)
    return (z + (z**3 + z) / (4 * v) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
            + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4))


def mean_ci95(values: np.ndarray) -> tuple[float, float]:
    """Mean and 95 % half-width (Student t) of the finite values; half-width NaN below two.

    >>> mean_ci95(np.array([1.0, 3.0, np.nan]))[0]
    2.0
    """
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return math.nan, math.nan
    mean = float(finite.mean())
    if finite.size < 2:
        return mean, math.nan
    half = t_critical(finite.size - 1) * float(finite.std(ddof=1)) / math.sqrt(finite.size)
    return mean, half


@dataclass(frozen=True)
class PairedDifference:
    """Mean of the paired differences with its 95 % interval; ``significant`` is None when
    it cannot be told (one replication of a simulation metric)."""

    mean: float
    low: float
    high: float
    significant: bool | None


def paired_difference(option: np.ndarray, baseline: np.ndarray, *,
                      deterministic: bool = False) -> PairedDifference:
    """Difference of an option from the baseline over paired replications.

    ``option[r]`` and ``baseline[r]`` share replication ``r``'s random numbers. A
    ``deterministic`` metric (a plan metric: one value, the same in every replication) has an
    interval of width zero, so any difference beyond solver noise is significant (and a
    difference within the noise is reported as exactly 0). A simulation metric with fewer than
    two finite pairs has no interval (``significant`` is None).

    >>> d = paired_difference(np.array([3.0, 4.0]), np.array([3.0, 4.0]))
    >>> (d.mean, d.low, d.high, d.significant)
    (0.0, 0.0, 0.0, False)
    """
    option = np.asarray(option, dtype=float)
    baseline = np.asarray(baseline, dtype=float)
    if option.shape != baseline.shape:
        raise ValueError(f"paired values need equal lengths, got {option.size} and "
                         f"{baseline.size}")
    diffs = option - baseline
    finite = diffs[np.isfinite(diffs)]
    if finite.size == 0:
        return PairedDifference(math.nan, math.nan, math.nan, None)
    mean = float(finite.mean())
    if deterministic:
        half = 0.0
    elif finite.size < 2:
        return PairedDifference(mean, math.nan, math.nan, None)
    else:
        spread = float(finite.std(ddof=1))
        half = t_critical(finite.size - 1) * spread / math.sqrt(finite.size) if spread else 0.0
    scale = float(np.nanmean(np.abs(baseline))) if np.isfinite(baseline).any() else 0.0
    tolerance = RELATIVE_TOLERANCE * max(1.0, scale)
    if deterministic and abs(mean) <= tolerance:
        mean = 0.0  # LP round-off between two models, not a difference (and no "-0.0")
    return PairedDifference(mean, mean - half, mean + half, abs(mean) > half + tolerance)
