"""What the allocation model takes as given: demand and provider performance, as plain tables.

:class:`Estimates` holds two tidy tables. ``demand`` has one row per (county, item) with the
expected cases in the plan year (``cases_mean``), a chosen upper quantile of the year's cases
(``cases_quantile``), working hours per case, the planned utilisation ``utilisation_target``
(ρ, a share) and ``public_fte``, the full-time equivalents already working on the cell
(establishment staff and child-welfare directors' part-time hours; contracts are in
``contracts``). ``providers`` has one row per provider type (optionally per county
and item too) with ``capacity_loss``, the share of purchased capacity lost to provider failures
and takeover delays, and the observed ``quality`` (mean satisfaction, 0–1). ``contracts`` lists
the purchase contracts in force that continue into the plan year within their term (county,
item, provider type, FTE, first year): the plan keeps them (a provider that passes its
assessment is continued, 003 三(五); multi-year services are signed one year at a time, Chengdu
Art. 23) and every yuan they cost counts toward the caps.

**Peak season.** An item with a deadline and a peak season (:func:`govsim.demand.peak_season`)
is planned at min(ρ, 1 ÷ its peak factor) (:func:`peak_utilisation`): its capacity for the year
is then enough both to keep the year's utilisation at ρ and to clear the peak's cases within
the deadline (Guang'an's fourth-quarter screening and means tests: factor 1.275, so 0.85
becomes 1 ÷ 1.275 = 0.784). ``demand`` shows the factor in
``peak_factor``.

The simulation pipeline fills these from simulated years; :func:`estimates_from_scenario`
builds them from the scenario alone (expected demand and a Poisson quantile, no simulation)
so that the allocation model works stand-alone.

Default capacity loss of a provider type with failure hazard h per year, takeover delay d
working days, a year of ``D = hours_per_year / 8`` working days and a takeover restoring a
share τ (``policy.takeover_share``)::

    loss = min(1, h · (d / D + (1 − τ) · ½ · (1 − d / D)))

— a failure strikes at a uniformly random time; the contracted capacity is lost for d days,
then a share 1 − τ stays lost for the rest of the year (half a year on average).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govsim.demand import baseline_staffing, demand_table, peak_factor, planned_utilisation
from govsim.scenario import Item, Scenario

__all__ = [
    "CONTRACT_COLUMNS",
    "DEMAND_COLUMNS",
    "PROVIDER_COLUMNS",
    "Estimates",
    "cases_quantile",
    "contracts_in_force",
    "default_capacity_loss",
    "estimates_from_scenario",
    "peak_utilisation",
    "poisson_quantile",
]

log = logging.getLogger(__name__)

DEMAND_COLUMNS = ["county", "item", "cases_mean", "cases_quantile", "hours_per_case",
                  "utilisation_target", "public_fte"]
PROVIDER_COLUMNS = ["provider_type", "capacity_loss", "quality"]
CONTRACT_COLUMNS = ["county", "item", "provider_type", "fte", "start_year"]


@dataclass(frozen=True)
class Estimates:
    """Demand per (county, item) and performance per provider type for one plan year.

    Attributes
    ----------
    demand : pandas.DataFrame
        Columns ``county, item, cases_mean, cases_quantile, hours_per_case,
        utilisation_target, public_fte`` (cases per year, hours per case, share, FTE).
    providers : pandas.DataFrame
        Columns ``provider_type, capacity_loss, quality`` (shares), optionally also
        ``county`` and/or ``item`` for estimates that differ by place or service.
    quantile : float
        The probability level of ``cases_quantile`` (for the record).
    contracts : pandas.DataFrame
        Columns ``county, item, provider_type, fte, start_year``: contracts in force that
        continue into the plan year (FTE, calendar year). Empty: none.
    running : frozenset, optional
        ``(county, item, provider type)`` of the purchases that ran the year before the plan
        year (a re-tender of one is prepared while it runs, so only the others are new tenders
        under ``[mechanisms.lead_time]``); ``None``: the scenario's incumbent contracts.
    """

    demand: pd.DataFrame
    providers: pd.DataFrame
    quantile: float = 0.9
    contracts: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=CONTRACT_COLUMNS))
    running: frozenset[tuple[str, str, str]] | None = None

    def __post_init__(self) -> None:
        for name, columns in (("demand", DEMAND_COLUMNS), ("providers", PROVIDER_COLUMNS),
                              ("contracts", CONTRACT_COLUMNS)):
            missing = set(columns) - set(getattr(self, name).columns)
            if missing:
                raise ValueError(f"Estimates.{name} lacks columns {sorted(missing)}")

    def continuing_fte(self) -> dict[tuple[str, str, str], float]:
        """FTE of contracts in force per (county, item, provider type)."""
        out: dict[tuple[str, str, str], float] = {}
        # summed in one order whatever the table's (floating-point sums depend on it)
        ordered = self.contracts.sort_values(CONTRACT_COLUMNS, kind="stable")
        for row in ordered.itertuples(index=False):
            key = (str(row.county), str(row.item), str(row.provider_type))
            out[key] = out.get(key, 0.0) + float(row.fte)
        return out

    def running_keys(self, scenario: Scenario) -> frozenset[tuple[str, str, str]]:
        """``running``, or by default the keys of the scenario's incumbent contracts."""
        if self.running is not None:
            return self.running
        return frozenset((c.county, c.item, c.provider_type) for c in scenario.baseline.contracts)

    def provider_value(self, column: str, county: str, item: str, provider_type: str) -> float:
        """``column`` for a (county, item, type), from the most specific row present
        (county and item, county, item, type only)."""
        table = self._lookup()[column]
        for key in ((county, item, provider_type), (county, None, provider_type),
                    (None, item, provider_type), (None, None, provider_type)):
            if key in table:
                return table[key]
        raise KeyError(f"Estimates.providers has no {column} for provider type "
                       f"{provider_type!r}")

    def demand_value(self, column: str, county: str, item: str) -> float:
        """``column`` of the demand row of (county, item) (``KeyError`` when there is none)."""
        tables = self.__dict__.setdefault("_demand_cache", {})
        if column not in tables:
            frame = self.demand
            tables[column] = dict(zip(zip(frame["county"], frame["item"], strict=True),
                                      frame[column].astype(float), strict=True))
        return tables[column][county, item]

    def _lookup(self) -> dict[str, dict[tuple[str | None, str | None, str], float]]:
        cached = self.__dict__.get("_cache")
        if cached is not None:
            return cached
        table = self.providers
        counties = table["county"] if "county" in table else pd.Series([None] * len(table))
        items = table["item"] if "item" in table else pd.Series([None] * len(table))
        keys = [(None if pd.isna(c) else c, None if pd.isna(i) else i, p)
                for c, i, p in zip(counties, items, table["provider_type"], strict=True)]
        cached = {col: dict(zip(keys, table[col].astype(float), strict=True))
                  for col in ("capacity_loss", "quality")}
        object.__setattr__(self, "_cache", cached)
        return cached


def poisson_quantile(mean: float, q: float) -> int:
    """Smallest k with P(N ≤ k) ≥ q for N ~ Poisson(mean), computed exactly in log space.

    >>> poisson_quantile(3.0, 0.9)
    5
    """
    if mean <= 0:
        return 0
    spread = 12.0 * math.sqrt(mean) + 30.0
    low = max(0, math.floor(mean - spread))
    high = math.ceil(mean + spread)
    log_first = -mean + low * math.log(mean) - math.lgamma(low + 1)
    steps = np.log(mean / np.arange(low + 1, high + 1, dtype=float))
    log_pmf = log_first + np.concatenate(([0.0], np.cumsum(steps)))
    cdf = np.cumsum(np.exp(log_pmf))
    return int(low + np.searchsorted(cdf, q - 1e-12))


def cases_quantile(item: Item, mean: float, q: float) -> int:
    """The ``q`` quantile of a year's cases of ``item`` with mean ``mean``: Poisson for
    requests; for commissioned deliverables the most a year brings, ``ceil(mean)`` (whole
    deliverables, the fraction one more with that probability: no tail beyond it).

    >>> from govsim import load_scenario
    >>> item = load_scenario("guangan").item("evaluation")
    >>> cases_quantile(item, 1.0, 0.9), poisson_quantile(1.0, 0.9)
    (1, 2)
    """
    if item.arrivals == "commissioned":
        return math.ceil(mean - 1e-9) if mean > 0 else 0
    return poisson_quantile(mean, q)


def peak_utilisation(scenario: Scenario, item: Item, rho: float) -> float:
    """The utilisation target a cell of ``item`` is planned at: ``rho``, or 1 ÷ the item's
    peak factor if lower (the factor is 1 unless the item has a deadline and a peak season)."""
    return planned_utilisation(rho, peak_factor(item, scenario.header.hours_per_year))


def default_capacity_loss(failure_hazard: float, takeover_delay_days: float,
                          working_days: float, takeover_share: float) -> float:
    """Expected share of a year's contracted capacity lost to failures (see module docstring)."""
    delay = min(1.0, takeover_delay_days / working_days)
    return min(1.0, failure_hazard * (delay + (1.0 - takeover_share) * 0.5 * (1.0 - delay)))


def contracts_in_force(scenario: Scenario, year: int) -> pd.DataFrame:
    """The baseline's incumbent contracts that still run in ``year`` (within their term).

    In the base year they are in force (signed before the plan is made); in a later year an
    incumbent within ``max_contract_years`` of its start continues, as a provider that passes
    its assessment would.
    """
    limit = scenario.policy.max_contract_years
    rows = [{"county": c.county, "item": c.item, "provider_type": c.provider_type,
             "fte": float(c.fte), "start_year": c.start_year}
            for c in scenario.baseline.contracts if c.start_year <= year < c.start_year + limit]
    return pd.DataFrame(rows, columns=CONTRACT_COLUMNS)


def estimates_from_scenario(scenario: Scenario, year: int | None = None,
                            quantile: float = 0.9, *, quantiles: bool = True) -> Estimates:
    """Expected demand, its Poisson ``quantile`` and baseline staffing, without simulation.

    Parameters
    ----------
    scenario : Scenario
    year : int, optional
        Calendar plan year; default ``scenario.header.base_year``.
    quantile : float
        Probability level of ``cases_quantile`` (annual cases treated as Poisson).
    quantiles : bool
        ``False`` leaves ``cases_quantile`` missing (NaN): for callers that read only the
        expected cases (the run's band, once per sample and year).

    Returns
    -------
    Estimates
        ``public_fte`` comes from :func:`govsim.demand.baseline_staffing` (establishment staff
        and directors); ``contracts`` from :func:`contracts_in_force`.

    Examples
    --------
    >>> from govsim import load_scenario
    >>> est = estimates_from_scenario(load_scenario("tiny"))
    >>> set(DEMAND_COLUMNS) <= set(est.demand.columns)  # the required ones (and peak_factor)
    True
    """
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    header = scenario.header
    year = header.base_year if year is None else year
    table = demand_table(scenario, year)
    staff = baseline_staffing(scenario)
    staff = staff[staff["source"] != "contract"]
    public = staff.groupby(["county", "item"])["fte"].sum().to_dict()
    # per item, not per row: the band asks for these once per sample and year
    rho = {i.id: peak_utilisation(scenario, i, scenario.policy.utilisation_target)
           for i in scenario.items}
    factor = {i.id: peak_factor(i, header.hours_per_year) for i in scenario.items}
    demand = pd.DataFrame({
        "county": table["county"],
        "item": table["item"],
        "cases_mean": table["cases"].astype(float),
        "cases_quantile": [float(cases_quantile(scenario.item(i), m, quantile))
                           for i, m in zip(table["item"], table["cases"], strict=True)]
        if quantiles else math.nan,
        "hours_per_case": table["hours_per_case"].astype(float),
        "utilisation_target": [rho[i] for i in table["item"]],
        "peak_factor": [factor[i] for i in table["item"]],
        "public_fte": [float(public.get((c, i), 0.0))
                       for c, i in zip(table["county"], table["item"], strict=True)],
    })
    working_days = header.hours_per_year / 8.0
    providers = pd.DataFrame([{
        "provider_type": p.id,
        "capacity_loss": default_capacity_loss(p.failure_hazard, p.takeover_delay_days,
                                               working_days, scenario.policy.takeover_share),
        "quality": p.quality,
    } for p in scenario.provider_types])
    log.debug("estimates for %s %d: %d cells", scenario.name, year, len(demand))
    return Estimates(demand=demand, providers=providers, quantile=quantile,
                     contracts=contracts_in_force(scenario, year))
