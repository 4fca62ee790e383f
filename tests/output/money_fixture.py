"""A ``money_needed.csv`` in the budget room's contract, for report tests (made-up figures).

Until ``govsim budget`` writes the table in every run folder, the report and workbook tests
give a run this fixture: one row per year × county plus one prefecture row (county "") per
year; CNY whole yuan; with ``band`` the 10th/90th percentile columns too. The numbers are
chosen by the test, not computed: the report must show what the table says.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["money_needed_fixture"]


def money_needed_fixture(counties: list[str], years: list[int], *, gaps: dict[str, float],
                         items: dict[str, str] | None = None, band: bool = True,
                         missing_county: str | None = None) -> pd.DataFrame:
    """Rows for ``counties`` × ``years``: cap 1,000,000 CNY each, gap ``gaps[county]`` per year
    (need = cap + gap), unserved hours = gap ÷ 60, cases = hours ÷ 10, items from ``items``;
    ``missing_county`` gets empty (cannot compute) money cells."""
    items = items or {}
    rows = []
    for year in years:
        for county in counties:
            gap = gaps.get(county, 0.0)
            cap = 1_000_000.0
            empty = county == missing_county
            row = {"year": year, "county": county,
                   "need_cny": None if empty else cap + gap, "cap_cny": cap,
                   "gap_cny": None if empty else gap,
                   "unserved_hours": None if empty else round(gap / 60),
                   "unserved_cases": None if empty else round(gap / 600),
                   "unserved_items": items.get(county, ""), "staff_short": 0}
            if band:
                row.update({"need_cny_p10": None if empty else cap + 0.8 * gap,
                            "need_cny_p90": None if empty else cap + 1.3 * gap,
                            "gap_cny_p10": None if empty else 0.8 * gap,
                            "gap_cny_p90": None if empty else 1.3 * gap})
            rows.append(row)
        part = [r for r in rows if r["year"] == year and r["need_cny"] is not None]
        total = {"year": year, "county": "",
                 "need_cny": sum(r["need_cny"] for r in part),
                 "cap_cny": sum(r["cap_cny"] for r in part),
                 "gap_cny": sum(r["gap_cny"] for r in part),
                 "unserved_hours": sum(r["unserved_hours"] for r in part),
                 "unserved_cases": sum(r["unserved_cases"] for r in part),
                 "unserved_items": ";".join(dict.fromkeys(
                     i for r in part for i in r["unserved_items"].split(";") if i)),
                 "staff_short": 0}
        if band:
            for key in ("need_cny", "gap_cny"):
                total[f"{key}_p10"] = sum(r[f"{key}_p10"] for r in part)
                total[f"{key}_p90"] = sum(r[f"{key}_p90"] for r in part)
        rows.append(total)
    return pd.DataFrame(rows)
