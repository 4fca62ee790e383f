"""The hand-solved money-needed instance (see ``tests/budget/test_budget.py``): one county, one
relief-funded service, one provider type, figures chosen so that need, cap and gap follow by
arithmetic."""

from __future__ import annotations

import govsim
from govsim.scenario import scenario_from_text

HAND = """
[scenario]
name = "hand"
base_year = 2025
horizon_years = 1
seed = 1
replications = 1
lang = "en"

[policy]
relief_cap_share = 0.03
utilisation_target = 0.8
coverage_target = 0.9

[funds]
child_welfare = 0
lottery = 0

[[counties]]
id = "solo"
name_zh = "独县"
population = 50_000
dibao = 1_000
tekun = 0
townships = 0
villages = 0
relief_fund_last_year = 10_000_000
public_caseworkers = 2
child_welfare_directors = 0
market = { social_org = 100 }

[[items]]
id = "care"
name_zh = "照料护理"
kind = "service"
fund = "relief"
driver = ["county"]
rate = 2940
distribution = "exponential"
mean_hours = 4.0
priority = 5

[[provider_types]]
id = "social_org"
name_zh = "社会组织"
is_social_org = true
cost_per_fte_year = 60_000.0
quality = 0.8
failure_hazard = 0.0
takeover_delay_days = 0.0
"""


def hand(**overrides: object) -> govsim.Scenario:
    scenario = scenario_from_text(HAND, "hand.toml")
    return scenario.with_overrides(overrides) if overrides else scenario
