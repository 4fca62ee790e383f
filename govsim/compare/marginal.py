"""Marginal analysis for the budget hearing: sweep the relief-cap share, read what money buys.

:func:`cap_range` solves the allocation (:func:`govsim.allocation.allocate`) once per relief-cap
share and reports, per point, the money spent, the planned priority-weighted coverage, the
caseworker shortfall against the 2 ‰ rule and **what one more 万元 of cap buys**
(``gain_per_wan``): the allocation solved again with the caps raised by :data:`MARGIN_WAN` 万元
in all, every goal re-optimised, and the objective's gain per 万元 — points of need met
(``ordered_goals``) or CNY (``min_cost``). The allocation is deterministic and takes well under
a second, so the sweep needs no simulation: coverage here is the plan's (capacity against
expected demand), not a simulated one.

The relief cap's **shadow price** is kept beside it (``shadow_price_per_wan``: the need stage's
dual, the mean over the cap scopes weighted by their relief funds). It holds the earlier goals
at their optima, so it is what one more 万元 buys only where no earlier goal still takes money.
On Guang'an 2025 at a 4 % cap (linear plan; one county's cap raised by 10 万元 at a time) the
dual and the money agree where the floors and statutory work are already met — Guang'an county
734.7 and 734.7 points per 万元, Yuechi 672.0 and 672.0 — and do not where they are not:
Qianfeng's dual says 6,256.9 while its money buys 358.0 (it first closes 5,573 points of
floors), Huaying's 7,889.2 against 416.7. Over the prefecture the weighted dual says 1,556.8
and ten more 万元 buy 652.9 each; at 3 % (statutory work and 0.3 caseworkers short) 5,044.1
against 187.6. Raising the share by δ raises county c's cap by δ × its relief fund, so
:data:`MARGIN_WAN` is spread over the scopes in proportion to their relief funds, as the weighted
mean of the duals assumes. Units: money in 万元 (10,000 CNY) per year, shares 0-1, staff in
people.
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
    "caseworker_shortfall", "child_staff_shortfall", "objective_value", "gain_per_wan",
    "shadow_price_per_wan", "shadow_price_per_wan_max", "binding_scopes", "status")

#: 万元 of cap in all (over every scope) by which ``gain_per_wan`` raises the caps: small
#: beside a county's cap (Guang'an's smallest, Huaying's at 3 %, is 78.9 万元), large beside
#: the solver's tolerances.
MARGIN_WAN = 10.0
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
    """Solve the allocation at each relief-cap share, and again with the caps
    :data:`MARGIN_WAN` higher (``gain_per_wan``); one row per share.

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
    def solved(share: float) -> Any:
        variant = scenario.with_overrides({"policy.relief_cap_share": share})
        return allocate(variant, year=year, solver=solver, objective=objective,
                        integer_posts=integer_posts)

    funds = sum(c.relief_fund_last_year for c in scenario.counties)
    rows = []
    for done, share in enumerate(shares, start=1):
        result = solved(float(share))
        row = _point(float(share), result, scenario)
        above = min(1.0, float(share) + MARGIN_WAN * WAN / funds) if funds > 0 else share
        more_wan = (above - float(share)) * funds / WAN
        row["gain_per_wan"] = (solved(above).objective_value - result.objective_value) \
            / more_wan + 0.0 if more_wan > 0 else math.nan
        rows.append(row)
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
