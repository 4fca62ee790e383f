"""Marginal analysis for the budget hearing: sweep the relief-cap share, read what money buys.

:func:`cap_range` solves the allocation (:func:`govsim.allocation.allocate`) once per relief-cap
share and reports, per point, the money spent, the planned priority-weighted coverage, the
caseworker shortfall against the 2 ‰ rule and the **shadow price** of the relief cap — what one
more 万元 of cap buys, in points of need met (``ordered_goals``) or CNY (``min_cost``).
The allocation is deterministic and takes well under a second, so the sweep needs no simulation:
coverage here is the plan's (capacity against expected demand), not a simulated one.

With per-county caps the shadow price reported is the cap-weighted mean over counties: raising
the share by δ raises county c's cap by δ × its relief fund, so the objective gains
Σ_c price_c × δ × fund_c for δ × Σ_c fund_c of money. Units: money in 万元 (10,000 CNY) per year,
shares 0-1, staff in people.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from govsim.allocation import allocate
from govsim.errors import GovsimError
from govsim.metrics import Plan, metric
from govsim.policy import WAN
from govsim.scenario import Scenario

__all__ = ["CAP_RANGE_COLUMNS", "cap_range", "parse_cap_range"]

#: The columns of :func:`cap_range`, in order.
CAP_RANGE_COLUMNS: tuple[str, ...] = (
    "relief_cap_share", "spend_total_wan", "spend_relief_wan", "coverage_planned",
    "caseworker_shortfall", "child_staff_shortfall", "objective_value", "shadow_price_per_wan",
    "shadow_price_per_wan_max", "binding_scopes", "status")

_MAX_POINTS = 500

def parse_cap_range(text: str) -> list[float]:
    """``START:STOP:STEP`` (shares, STOP included) as a list of shares.

    >>> parse_cap_range("0.01:0.03:0.005")
    [0.01, 0.015, 0.02, 0.025, 0.03]

    Raises
    ------
    GovsimError
        If the text is not three numbers with 0 <= START <= STOP <= 1 and STEP > 0, or gives
        more than 500 points.
    """
    parts = text.split(":")
    try:
        start, stop, step = (float(p) for p in parts)
    except ValueError:
        raise GovsimError(f"--cap-range {text!r}: expected START:STOP:STEP, e.g. "
                          "0.01:0.05:0.005") from None
    if not (0 <= start <= stop <= 1) or not step > 0:
        raise GovsimError(f"--cap-range {text!r}: need 0 <= START <= STOP <= 1 and STEP > 0")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > _MAX_POINTS:
        raise GovsimError(f"--cap-range {text!r} gives {count} points; at most {_MAX_POINTS}")
    return [round(start + k * step, 10) for k in range(count)]


def cap_range(scenario: Scenario, shares: Sequence[float], *, year: int | None = None,
              solver: str = "highs", objective: str | None = None,
              integer_posts: bool = False,
              progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Solve the allocation at each relief-cap share; one row per share.

    Marginal analysis reads the linear plan (``integer_posts`` false by default): there a
    higher cap never lowers an earlier goal's attainment, and the shadow prices are those of
    the plan shown. Whole posts move in steps of one post.

    Parameters
    ----------
    scenario : Scenario
        Everything but ``policy.relief_cap_share`` stays as given (also ``cap_scope``).
    shares : sequence of float
        Relief-cap shares, 0-1.
    year : int, optional
        Plan year (default the base year).
    solver, objective, integer_posts
        As :func:`govsim.allocation.allocate`.
    progress : callable, optional
        ``progress(done, total)`` after each point.

    Returns
    -------
    DataFrame
        The columns of :data:`CAP_RANGE_COLUMNS`.

    Examples
    --------
    >>> import govsim
    >>> t = cap_range(govsim.load_scenario("tiny"), [0.02, 0.04])
    >>> bool(t["spend_relief_wan"].is_monotonic_increasing)
    True
    """
    rows = []
    for done, share in enumerate(shares, start=1):
        variant = scenario.with_overrides({"policy.relief_cap_share": float(share)})
        result = allocate(variant, year=year, solver=solver, objective=objective,
                          integer_posts=integer_posts)
        rows.append(_point(float(share), result, scenario))
        if progress is not None:
            progress(done, len(shares))
    return pd.DataFrame(rows, columns=list(CAP_RANGE_COLUMNS))


def _point(share: float, result: Any, scenario: Scenario) -> dict[str, Any]:
    allocation, unmet, staffing = result.allocation, result.unmet, result.staffing
    planned = metric("weighted_coverage").compute("allocate", Plan(scenario=scenario,
                                                                    unmet=unmet))
    shortfall = staffing.groupby("rule")["shortfall"].sum()
    caps = result.constraints[result.constraints["rule"] == "relief-cap"]
    # Weights: the relief fund behind each cap scope (its cap is share × fund).
    funds = caps["scope"].map(lambda scope: sum(
        c.relief_fund_last_year for c in scenario.counties if scope in (c.id, "prefecture")))
    prices = pd.to_numeric(caps["shadow_price_per_10k_cny"], errors="coerce").fillna(0.0)
    weighted = float((prices * funds).sum() / funds.sum()) if funds.sum() > 0 else math.nan
    return {
        "relief_cap_share": share,
        "spend_total_wan": float(allocation["cost"].sum()) / WAN,
        "spend_relief_wan": float(allocation.loc[allocation["fund"] == "relief", "cost"].sum())
        / WAN,
        "coverage_planned": planned,
        "caseworker_shortfall": float(shortfall.get("caseworker-ratio", 0.0)),
        "child_staff_shortfall": float(shortfall.get("child-welfare-staff", 0.0)),
        "objective_value": float(result.objective_value),
        # Dual values of a maximisation come out as >= 0 here; -0.0 is shown as 0.
        "shadow_price_per_wan": weighted + 0.0,
        "shadow_price_per_wan_max": float(prices.max()) + 0.0 if len(prices) else math.nan,
        "binding_scopes": int(caps["binding"].astype(bool).sum()),
        "status": result.status.value,
    }
