"""The scenario room: what a TOML file holds, validated into typed, immutable data.

A scenario describes one prefecture's purchasing problem: its counties (people, recipients,
staff, last year's relief spending), the service catalogue (demand, service times, which items
may be purchased), provider types, the policy caps (defaults from ``govsim/data/rules.toml``)
and who does the work today. Units are in every field's description: money in CNY (yuan),
time in working hours unless a name says ``_days`` (working days of 8 hours) or ``_years``.

``load_scenario`` reads a file or a built-in name (``"guangan"``, ``"tiny"``) and reports every
problem at once as a :class:`~govsim.errors.ScenarioError`. A what-if is
``scenario.with_overrides({"policy.relief_cap_share": 0.02})``, which returns a new validated
scenario; ``scenario.content_hash()`` identifies a scenario by content, not by file.

Modules: :mod:`.tables` (the tables below the header), :mod:`.schema` (header, policy, the
whole :class:`Scenario`), :mod:`.overrides` (what-ifs by dotted path), :mod:`.lines` (problems
placed at their file and line; the sweep file uses it too), :mod:`.load` (files and built-ins).

May import: ``govsim.errors``, ``govsim.inputs``, ``govsim.bounds``, ``govsim.policy`` (the
rules as data). Everything else imports this room, never the other way round.
"""

from __future__ import annotations

from govsim.scenario.lines import line_index, placed
from govsim.scenario.load import builtin_scenarios, load_scenario, scenario_from_text
from govsim.scenario.schema import Policy, Scenario, ScenarioHeader
from govsim.scenario.tables import (
    DRIVER_FIELDS,
    Baseline,
    Contract,
    County,
    Funds,
    Item,
    Provider,
    ProviderType,
    PublicStaff,
)

__all__ = [
    "DRIVER_FIELDS",
    "Baseline",
    "Contract",
    "County",
    "Funds",
    "Item",
    "Policy",
    "Provider",
    "ProviderType",
    "PublicStaff",
    "Scenario",
    "ScenarioHeader",
    "builtin_scenarios",
    "line_index",
    "load_scenario",
    "placed",
    "scenario_from_text",
]
