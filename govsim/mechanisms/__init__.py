"""Mechanisms of the policy documents that a scenario can switch on, one at a time or together.

The ``[mechanisms]`` section of a scenario (:mod:`govsim.mechanisms.models`) holds one sub-table
per mechanism — vouchers, volunteers, village assistants, payment by assessment, procurement
lead time, eligibility, title tiers — each off by default. Where each acts:

- :mod:`govsim.mechanisms.checks` — cross-references of the section (unknown item or provider
  ids, with their field paths);
- :mod:`govsim.mechanisms.prices` — figures both the allocation and the simulation read
  (title-tier prices, the lead-time share of a first year, volunteer and assistant hours);
- :mod:`govsim.mechanisms.simulation` — what the simulation adds: worker slots for volunteers
  and assistants, voucher choice and redemption, the survey behind the assessment, withheld
  payments, delayed contract starts;
- :mod:`govsim.allocation.mechanisms` — the allocation's constraint families for them;
- :mod:`govsim.mechanisms.report` — the mechanism table of a run and the compliance rows.

Only the models are imported here: :mod:`govsim.scenario` imports them, and the other modules
import the scenario.
"""

from __future__ import annotations

from govsim.mechanisms.models import (
    TIERS,
    Eligibility,
    LeadTime,
    Mechanisms,
    PaymentByAssessment,
    TierMix,
    TierPrices,
    TitleTiers,
    VillageAssistants,
    Volunteers,
    Vouchers,
)

__all__ = [
    "TIERS",
    "Eligibility",
    "LeadTime",
    "Mechanisms",
    "PaymentByAssessment",
    "TierMix",
    "TierPrices",
    "TitleTiers",
    "VillageAssistants",
    "Volunteers",
    "Vouchers",
]
