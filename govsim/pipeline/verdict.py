"""A promise judged with its sampling interval: kept, inconclusive or missed.

A checked figure of a cell is a mean over the R replications of a trial; the plan promises a
bound on it (coverage *at least* the planned coverage less a tolerance, a wait *at most* the
promised wait plus a tolerance). The figure's 95 % interval is the Student-t half-width of the
same quantity over the replications (:func:`govsim.sim.summarise`, with the one table of
critical values, :mod:`govsim.stats`). Then a promise is

- **kept** when the figure is within the bound;
- **missed** when the figure breaks the bound *and* its interval stays beyond it: the
  shortfall is one the run can tell from chance (a coverage ``got + halfwidth < bound``, a
  wait ``got − halfwidth > bound``; an interval that ends exactly on the bound reaches it);
- **inconclusive** when the figure breaks the bound but its interval reaches it: R
  replications cannot tell the shortfall from chance. :func:`replications_to_decide`
  estimates how many would.

Without an interval — one replication, or fewer than two replications with a figure — the
figure alone decides: breaking the bound is a miss, as before intervals were read. A wait
with no case served (NaN) is a miss: the promise of a wait is broken outright.

Units: whatever the figure's (shares, working days); replications are counts.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

__all__ = ["Outcome", "Verdict", "judge", "replications_to_decide"]


class Outcome(enum.Enum):
    """What a check can say of one promise."""

    KEPT = "kept"
    INCONCLUSIVE = "inconclusive"
    MISSED = "missed"


@dataclass(frozen=True)
class Verdict:
    """One promise judged: the outcome, the figure's 95 % half-width (NaN without an
    interval) and, when inconclusive, the replications estimated to decide it."""

    outcome: Outcome
    halfwidth: float
    replications_to_decide: int | None = None


def judge(figure: float, bound: float, halfwidth: float, replications: int, *,
          at_most: bool) -> Verdict:
    """Judge a figure against its bound (the promise with its tolerance).

    ``at_most``: the promise is ``figure <= bound`` (a wait); else ``figure >= bound`` (a
    coverage). A NaN figure breaks an ``at_most`` promise outright (a wait with nobody
    served) and keeps an at-least one (a coverage without demand: nothing to judge).

    >>> judge(0.95, 0.98, 0.04, 5, at_most=False).outcome
    <Outcome.INCONCLUSIVE: 'inconclusive'>
    >>> judge(0.90, 0.98, 0.04, 5, at_most=False).outcome
    <Outcome.MISSED: 'missed'>
    """
    if math.isnan(figure):
        return Verdict(Outcome.MISSED if at_most else Outcome.KEPT, math.nan)
    if not (figure > bound if at_most else figure < bound):
        return Verdict(Outcome.KEPT, halfwidth)
    # the interval's near end, compared as the rule is written (not as a distance: a
    # difference of floats would move the boundary by a rounding)
    if math.isnan(halfwidth) or (figure - halfwidth > bound if at_most
                                 else figure + halfwidth < bound):
        return Verdict(Outcome.MISSED, halfwidth)
    distance = abs(figure - bound)
    return Verdict(Outcome.INCONCLUSIVE, halfwidth,
                   replications_to_decide(replications, halfwidth, distance))


def replications_to_decide(replications: int, halfwidth: float, distance: float) -> int:
    """Replications whose interval would no longer reach the bound: ``ceil(R × (halfwidth ÷
    distance)²)``, at least R + 1.

    An estimate: it assumes the spread between replications stays as observed (a half-width
    shrinks as 1 ÷ √R; the t critical value's own fall from R to more replications is left
    out, so it errs on the side of more).

    >>> replications_to_decide(5, 0.06, 0.02)
    45
    """
    # rounded first: 45.000000000001 replications are 45
    needed = math.ceil(round(replications * (halfwidth / distance) ** 2, 6))
    return max(replications + 1, needed)
