"""Money needed: the least money that meets the rules and a coverage target, against the caps.

For each plan year and county, :func:`money_needed` compares the **need plan** (the allocation's
``min_cost`` objective: statutory duties, the 2 ‰ caseworker rule, the child-welfare staffing
rule, the floors and the coverage target, caps lifted) with what the **caps** allow and what the
**capped plan** (the ordered goals under every cap) leaves unserved. The one table,
``money_needed.csv``, is built by :func:`money_needed_table` (:mod:`.table`); the horizon is in
:mod:`.needed`. ``docs/budget.md`` says what each figure means. Units: CNY (whole yuan in the
table), hours, cases, people.
"""

from __future__ import annotations

from govsim.budget.needed import (
    BudgetResult,
    check_coverage_target,
    money_needed,
    need_allocation,
    need_plan,
    plan_years,
    with_coverage_target,
    year_budget,
)
from govsim.budget.table import (
    BAND_COLUMNS,
    DRIVER_COLUMNS,
    MONEY_NEEDED_COLUMNS,
    PREFECTURE,
    UNCERTAINTY_COLUMNS,
    YearBudget,
    cap_limits,
    cell_targets,
    money_needed_table,
    need_and_gap,
    with_band_columns,
)

__all__ = ["BAND_COLUMNS", "DRIVER_COLUMNS", "MONEY_NEEDED_COLUMNS", "PREFECTURE",
           "UNCERTAINTY_COLUMNS", "BudgetResult", "YearBudget",
           "cap_limits", "cell_targets", "check_coverage_target", "money_needed",
           "money_needed_table", "need_allocation", "need_and_gap", "need_plan", "plan_years",
           "with_band_columns", "with_coverage_target", "year_budget"]
