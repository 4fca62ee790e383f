"""Synthetic scenarios of any size, for province-scale tests and benchmarks.

``generate_scenario(counties=183, seed=1)`` keeps the service catalogue, provider types and
policy of the built-in Guang'an scenario and draws new counties with a realistic spread:
lognormal populations (median about 400,000), a rural share that raises dibao, tekun and
left-behind-children rates, townships and villages in proportion to population and rurality,
relief spending per recipient around 2,800 CNY, establishment caseworkers short of the 2 ‰ rule
in most counties, and child-welfare directors covering most villages. The figures are made up;
only their shapes follow public aggregates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from govsim.rng import stream
from govsim.scenario import Scenario, load_scenario

__all__ = ["generate_scenario", "write_scenario"]

_PROVIDER_TYPES = ("social_org", "public_institution", "enterprise")


def generate_scenario(counties: int, seed: int = 1, template: str = "guangan") -> Scenario:
    """A scenario with ``counties`` synthetic counties and the template's catalogue.

    >>> s = generate_scenario(10, seed=1)
    >>> len(s.counties)
    10
    """
    if counties < 1:
        raise ValueError("counties must be at least 1")
    base = load_scenario(template).to_dict()
    rng = stream(seed, "generate", counties)
    rows = [_county(rng, index) for index in range(counties)]
    scale = counties / len(base["counties"])
    data: dict[str, Any] = {
        **base,
        "scenario": {**base["scenario"], "name": f"synthetic-{counties}",
                     "title_zh": f"合成场景（{counties}个县）",
                     "title_en": f"Synthetic scenario ({counties} counties)",
                     "description": f"Made-up counties drawn by govsim generate (seed {seed}).",
                     "seed": seed, "lang": "en"},
        "funds": {**base["funds"],
                  "child_welfare": round(base["funds"]["child_welfare"] * scale, -3),
                  "lottery": round(base["funds"]["lottery"] * scale, -3)},
        "counties": rows,
        "providers": [],
        "baseline": {**base["baseline"], "public_staff": [],
                     "contracts": [{"county": r["id"], "item": "care",
                                    "provider_type": "social_org", "fte": 2.0,
                                    "start_year": base["scenario"]["base_year"] - 1,
                                    "term_years": 1}
                                   for r in rows]},
    }
    return Scenario.from_dict(data, source=f"generate(counties={counties}, seed={seed})")


def _county(rng: np.random.Generator, index: int) -> dict[str, Any]:
    population = int(np.clip(rng.lognormal(np.log(400_000), 0.6), 30_000, 3_000_000))
    rural = float(rng.uniform(0.25, 0.9))
    dibao = int(population * rng.uniform(0.015, 0.035) * (0.5 + rural))
    tekun = int(dibao * rng.uniform(0.09, 0.15))
    left_behind = int(population * rural * rng.uniform(0.01, 0.025))
    townships = max(3, int(population / rng.uniform(25_000, 40_000)))
    villages = max(townships * 3, int(population * rural / rng.uniform(1_500, 2_800)))
    recipients = dibao + tekun
    relief = round(recipients * rng.uniform(2_400, 3_200), -3)
    return {
        "id": f"c{index + 1:03d}",
        "name_zh": f"合成县{index + 1:03d}",
        "name_en": f"County {index + 1:03d}",
        "population": population,
        "dibao": dibao,
        "tekun": tekun,
        "left_behind_children": left_behind,
        "children_in_difficulty": int(left_behind * rng.uniform(0.15, 0.3)),
        "townships": townships,
        "villages": villages,
        "relief_fund_last_year": relief,
        "public_caseworkers": int(recipients * rng.uniform(0.0010, 0.0019)),
        "child_welfare_directors": int((townships + villages) * rng.uniform(0.85, 1.0)),
        "market": {"social_org": round(population / rng.uniform(8_000, 16_000)),
                   "public_institution": 20, "enterprise": 30},
    }


def write_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write a scenario as TOML (a header comment, then the data)."""
    path = Path(path)
    data = _drop_none(scenario.to_dict())
    header = (f"# govsim scenario {scenario.name}: {scenario.scenario.title_en}\n"
              f"# {scenario.scenario.description}\n\n")
    path.write_text(header + tomli_w.dumps(data), encoding="utf-8")
    return path


def _drop_none(value: Any) -> Any:
    """TOML has no null: drop keys whose value is None (they take their defaults)."""
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value
