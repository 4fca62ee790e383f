"""Where the point lies in its band: ``point_percentile`` (the mid-rank percentile of the point
among the samples), the plan horizon's band (the percentiles of each sample's own total, never
the sum of the years' percentiles) and where each input's written value lies in its declared
range (``written_positions``, the manifest's record of why a point may lie outside its band)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import govsim
from govsim.uncertainty import bands_table, written_positions
from govsim.uncertainty.analysis import point_percentile
from govsim.uncertainty.evaluate import band_record
from tests.uncertainty.inputs import RATES, scenario


def test_point_percentile_counts_samples_below_and_half_the_ties() -> None:
    values = np.array([10.0, 20.0, 30.0, 40.0])
    assert point_percentile(values, 50.0) == 100.0  # above every sample
    assert point_percentile(values, 5.0) == 0.0     # below every sample
    assert point_percentile(values, 25.0) == 50.0
    assert point_percentile(values, 20.0) == 37.5   # one below, one tie
    # a gap of 0 in most samples and at the point: in the middle of the ties, not "above"
    assert point_percentile(np.array([0.0, 0.0, 0.0, 7.0]), 0.0) == 37.5
    assert math.isnan(point_percentile(values, math.nan))
    assert math.isnan(point_percentile(np.array([math.nan]), 1.0))


def _outcomes() -> pd.DataFrame:
    """Two years, four samples, one county; the years move in opposite directions, so the
    sum of the years' percentiles is not a percentile of the total."""
    first = [0.0, 100.0, 200.0, 300.0]
    second = [300.0, 200.0, 100.0, 0.0]
    rows = []
    for k in range(4):
        for year, values in ((2025, first), (2026, second)):
            rows.append((k, "gap_cny", "east", year, values[k]))
    return pd.DataFrame(rows, columns=["sample", "metric", "county", "year", "value"])


def test_the_horizon_band_is_the_band_of_each_samples_total() -> None:
    outcomes = _outcomes()
    point = pd.DataFrame([("gap_cny", "east", 2025, 400.0), ("gap_cny", "east", 2026, 250.0)],
                         columns=["metric", "county", "year", "value"])
    bands = bands_table(outcomes, point)
    yearly = bands[bands["year"].notna()].set_index("year")
    assert yearly.loc[2025, "point_percentile"] == 100.0  # 400 above all of 0..300
    assert yearly.loc[2026, "point_percentile"] == 75.0   # 250 above 0, 100 and 200
    horizon = bands[bands["year"].isna()].iloc[0]
    # every sample's total is 300: the band is 300-300, the point 650 above all of them
    assert (horizon["p10"], horizon["p50"], horizon["p90"]) == (300.0, 300.0, 300.0)
    assert horizon["point"] == 650.0 and horizon["point_percentile"] == 100.0
    assert horizon["samples"] == 4
    # what summing the years' percentiles would have said: 60-540, no band of the total
    assert (yearly["p10"].sum(), yearly["p90"].sum()) == (60.0, 540.0)


def test_a_sample_missing_a_year_is_left_out_of_the_total() -> None:
    outcomes = _outcomes()
    outcomes.loc[(outcomes["sample"] == 0) & (outcomes["year"] == 2026), "value"] = math.nan
    horizon = bands_table(outcomes).query("year.isna()").iloc[0]
    assert horizon["samples"] == 3 and math.isnan(horizon["point"])
    assert math.isnan(horizon["point_percentile"])


def test_each_county_and_metric_has_its_own_horizon_band() -> None:
    """Several counties and both money metrics in one table: each horizon row is the band of
    that county's and metric's own sample totals, in the order the table names them."""
    east = _outcomes()
    west = east.assign(county="west", value=east["value"] * 2.0)
    need = east.assign(metric="need_cny", value=east["value"] + 1.0)
    need.loc[need["sample"] == 3, "value"] = math.nan  # a sample missing from need only
    bands = bands_table(pd.concat([west, east, need], ignore_index=True))
    horizon = bands[bands["year"].isna()]
    assert list(zip(horizon["metric"], horizon["county"], strict=True)) == [
        ("gap_cny", "west"), ("gap_cny", "east"), ("need_cny", "east")]
    assert list(horizon["p50"]) == [600.0, 300.0, 302.0]
    assert list(horizon["samples"]) == [4, 4, 3]


def test_guangans_relief_base_is_written_below_its_declared_range() -> None:
    """shared/default-scenario.md: about 2,480 CNY per recipient-year written, 2,500-6,500
    declared; the scenario's factors 1.008-2.621 of the written value."""
    guangan = govsim.load_scenario("guangan")
    positions = {p["id"]: p for p in written_positions(guangan)}
    relief = positions["relief_base"]
    assert relief["written"] == 1.0 and relief["low"] == pytest.approx(2500 / 2480, abs=1e-3)
    assert relief["high"] == pytest.approx(6500 / 2480, abs=1e-3)
    assert relief["quantile"] == 0.0 and relief["end"] == "below"
    # the figures themselves: 2,480 CNY per (dibao + tekun) recipient-year in every county
    for county in guangan.counties:
        assert county.relief_fund_last_year / (county.dibao + county.tekun) == \
            pytest.approx(2480, abs=1)
    # in yuan: the six counties' written bases (8,655 + 3,385 + 2,629 + 11,153 + 7,524 + 10,614
    # 万元); a price per FTE-year is money but not an amount to add up
    assert relief["written_cny"] == 439_600_000
    assert positions["price_social_org"]["written_cny"] is None
    assert positions["demand_rates"]["written_cny"] is None
    # every other input's written value is inside its range, off its ends
    assert [p["id"] for p in positions.values() if p["end"]] == ["relief_base"]
    assert positions["demand_rates"]["quantile"] == pytest.approx(0.3 / 0.7, abs=1e-4)
    # the manifest's record carries it (what the report names)
    record = band_record(guangan, 10, 1)
    assert record["written"] == written_positions(guangan)


def test_written_positions_of_each_distribution_and_end() -> None:
    entries = (RATES.format(low=0.95, high=2.0),  # 1.0 at 4.8 %: the bottom
               'id = "hours"\npath = "items.*.mean_hours"\ndistribution = "triangular"\n'
               'low = 0.5\nhigh = 1.02\npeak = 1.0',  # near the top
               'id = "price"\npath = "provider_types.*.cost_per_fte_year"\n'
               'distribution = "normal"\nmean = 1.0\nsd = 0.1\nlow = 0.5\nhigh = 1.5',
               'id = "fixed"\npath = "policy.relief_cap_share"\nscale = false\n'
               'low = 0.01\nhigh = 0.05')
    positions = {p["id"]: p for p in written_positions(scenario(*entries))}
    assert positions["rates"]["quantile"] == pytest.approx(0.05 / 1.05, abs=1e-4)
    assert positions["rates"]["end"] == "bottom"
    assert positions["hours"]["quantile"] > 0.9 and positions["hours"]["end"] == "top"
    assert positions["price"]["quantile"] == pytest.approx(0.5) and not positions["price"]["end"]
    # scale = false: the written value itself (the documents' 3 %), mid-range
    assert positions["fixed"]["written"] == pytest.approx(0.03)
    assert positions["fixed"]["quantile"] == pytest.approx(0.5) and not positions["fixed"]["end"]
