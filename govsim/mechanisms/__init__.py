"""Mechanisms of the policy documents that a scenario can switch on, one at a time or together.

The ``[mechanisms]`` section of a scenario holds one sub-table per mechanism — vouchers,
volunteers, village assistants, payment by assessment, procurement lead time, eligibility, title
tiers — each off by default. The mechanisms live in the room where each part acts:

- :mod:`govsim.scenario.mechanisms` — the section's models (below the scenario);
- :mod:`govsim.scenario.mechanism_checks` — cross-references of the section (unknown item or
  provider ids, with their field paths);
- this room, between the demand and the compliance audit:
  :mod:`govsim.mechanisms.prices` (figures both the allocation and the simulation read:
  title-tier prices, the lead-time share of a first year, volunteer and assistant hours),
  :mod:`govsim.mechanisms.eligibility` (who may bid) and :mod:`govsim.mechanisms.report` (the
  mechanism table of a run and its compliance rows);
- :mod:`govsim.sim.mechanisms` — what the simulation adds: worker slots for volunteers and
  assistants, voucher choice and redemption, the survey behind the assessment, withheld
  payments, delayed contract starts;
- :mod:`govsim.allocation.mechanisms` — the allocation's constraint families for them.
"""
