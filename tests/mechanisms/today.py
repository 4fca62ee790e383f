"""Digests of today's results, for the test that switched-off mechanisms change nothing.

``digests()`` runs the tiny scenario and the Guang'an scenario as they were before the
mechanisms of issue 18 (``TODAY_ITEMS`` drops the child-welfare items added to the built-in
Guang'an catalogue then) and hashes every run table, and the Guang'an base-year allocation.
``tests/fixtures/today_digests.json`` holds the digests made on main at 5bf01a9 (before any
mechanism existed); the two convergence tables were re-made when the year's status began to
quote the money-needed gap (every other table unchanged), and the file again when the check
began to judge each promise with its sampling interval (tiny: convergence and rounds gained
their inconclusive columns and reason; Guang'an, 2 replications: its misses within their
intervals no longer re-allocate, so the year adopts another round and every table changed),
and the Guang'an digests once more when its projects became commissioned deliverables (one a
county a year, handed over at the year's start, not a Poisson count at random times). A
change outside ``govsim/mechanisms`` that is *meant* to change results regenerates the file:
``python -m tests.mechanisms.today``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

FIXTURE = Path(__file__).parents[1] / "fixtures" / "today_digests.json"
#: Rules whose compliance rows existed, with figures, before the mechanisms.
CHECKED_RULES = ("relief-cap", "social-org-share", "caseworker-ratio", "child-welfare-staff",
                 "prohibited-items", "purchasable-items", "funding-sources", "contract-term")
#: Items of the built-in Guang'an catalogue before issue 18 completed it from 000 §(六).
TODAY_ITEMS = ("screening", "household_survey", "training", "publicity", "it_management",
               "evaluation", "care", "rehabilitation", "medical_escort", "counselling",
               "social_integration", "capability", "resource_linking", "child_visits",
               "guardianship_assessment", "child_care", "benefit_approval",
               "fund_disbursement", "complaints")
TABLES = ("allocation", "staffing", "kpis", "compliance", "constraints", "contracts",
          "explanations", "goals", "convergence", "rounds")
RUNS = {"tiny": {"years": 2, "replications": 2}, "guangan": {"years": 1, "replications": 2}}


def table_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's CSV text (floats written in full)."""
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()


def today_scenario(name: str, **mechanisms: Any) -> Any:
    """A built-in scenario as it was before issue 18 (Guang'an without the added items)."""
    import govsim

    scenario = govsim.load_scenario(name)
    data = scenario.to_dict()
    data["items"] = [i for i in data["items"] if name != "guangan" or i["id"] in TODAY_ITEMS]
    if mechanisms:
        data["mechanisms"] = mechanisms
    return type(scenario).from_dict(data)


def compliance_today(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["rule"].isin(CHECKED_RULES)].reset_index(drop=True)


def digests(names: tuple[str, ...] = tuple(RUNS), allocation: bool = True,
            **mechanisms: Any) -> dict[str, str]:
    """Digests of the runs ``names`` (and of the Guang'an allocation) with ``mechanisms`` as
    the scenario's ``[mechanisms]`` section."""
    import govsim

    out: dict[str, str] = {}
    for name in names:
        options = RUNS[name]
        result = govsim.run(today_scenario(name, **mechanisms), workers=1, **options)
        for table in TABLES:
            frame = getattr(result.tables, table)
            if table == "compliance":
                frame = compliance_today(frame)
            out[f"{name}/{table}"] = table_digest(frame)
    if not allocation:
        return out
    alloc = govsim.allocate(today_scenario("guangan", **mechanisms))
    for table in ("allocation", "staffing", "constraints", "unmet", "goals", "explanations"):
        out[f"allocate-guangan/{table}"] = table_digest(getattr(alloc, table))
    out["allocate-guangan/compliance"] = table_digest(compliance_today(alloc.compliance))
    return out


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(digests(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {FIXTURE}\n")
