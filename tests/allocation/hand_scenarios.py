"""Small scenarios for the allocation tests, built from plain dicts (no tests here)."""

from __future__ import annotations

import copy
from typing import Any

from govsim.scenario import Scenario

BASE: dict[str, Any] = {
    "scenario": {"name": "hand", "base_year": 2025, "hours_per_year": 1000.0,
                 "productive_hours_per_fte": 1000.0},
    "policy": {"relief_cap_share": 0.03, "utilisation_target": 1.0},
    "funds": {"child_welfare": 0.0, "lottery": 0.0},
    "counties": [{
        "id": "solo", "name_zh": "独县", "population": 10_000, "dibao": 0, "tekun": 0,
        "townships": 0, "villages": 0, "relief_fund_last_year": 10_000_000.0,
        "public_caseworkers": 0, "child_welfare_directors": 0, "market": {"so": 10.0},
    }],
    "items": [
        {"id": "care", "name_zh": "照料护理", "kind": "service", "fund": "relief",
         "driver": ["county"], "rate": 1000.0, "distribution": "fixed", "mean_hours": 2.0,
         "priority": 5.0},
        {"id": "counselling", "name_zh": "心理疏导", "kind": "service", "fund": "relief",
         "driver": ["county"], "rate": 2000.0, "distribution": "fixed", "mean_hours": 1.0,
         "priority": 1.0},
    ],
    "provider_types": [
        {"id": "so", "name_zh": "社会组织", "is_social_org": True, "cost_per_fte_year": 100_000.0,
         "quality": 1.0, "failure_hazard": 0.0, "takeover_delay_days": 0.0},
    ],
    "baseline": {"caseworker_assignment": "explicit"},
}

ENTERPRISE = {"id": "ent", "name_zh": "企业", "is_social_org": False,
              "cost_per_fte_year": 50_000.0, "quality": 0.5, "failure_hazard": 0.0,
              "takeover_delay_days": 0.0}


def hand_scenario(**changes: Any) -> Scenario:
    """The one-county, two-item hand instance, with dotted-path changes applied to the dict."""
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        node: Any = data
        parts = path.split("__")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return Scenario.from_dict(data)
