"""Who may bid for a contract when ``[mechanisms.eligibility]`` is on.

《东莞市政府购买社会工作服务实施办法》 Art. 7: a social organisation registered more than
``min_age_years`` (3) needs a rating of ``min_rating`` (3A) or better; it has no bad record
(penalised by the registration authority, failed or refused the annual inspection —
``barred_providers``); one that already held a purchase contract was assessed "qualified" or
better the last time (``last_assessment_must_pass``: its last score at least the pass mark).
Anhui's guidance adds credit and star ratings (not modelled beyond the rating).

Unnamed local providers have no age, rating or record in a scenario: a share
(``unnamed_eligible_share``) of the local social-organisation market is taken to meet the rules
(:func:`govsim.mechanisms.prices.market_share`); their assessment record is kept like a named
provider's. With the mechanism off, today's rule stands: a named social organisation older than
3 years needs 3A or better.
"""

from __future__ import annotations

from govsim.scenario import Provider, Scenario

__all__ = ["GOOD_RATINGS", "named_eligible", "record_allows"]

#: Ratings in order; a rating at least the minimum qualifies.
_ORDER = ("1A", "2A", "3A", "4A", "5A")
#: Ratings that let an older social organisation take a contract with the mechanism off.
GOOD_RATINGS = frozenset({"3A", "4A", "5A"})


def named_eligible(scenario: Scenario, provider: Provider, is_social_org: bool) -> bool:
    """Whether a named provider's age, rating and record let it bid."""
    rules = scenario.mechanisms.eligibility
    if not rules.enabled:
        return not (is_social_org and provider.age_years > 3 and
                    provider.rating not in GOOD_RATINGS)
    if provider.id in rules.barred_providers:
        return False
    if is_social_org and provider.age_years > rules.min_age_years:
        minimum = _ORDER.index(rules.min_rating)
        return provider.rating in _ORDER and _ORDER.index(provider.rating) >= minimum
    return True


def record_allows(scenario: Scenario, history: tuple[tuple[int, float], ...]) -> bool:
    """Whether a provider's assessment record lets it bid: with the mechanism on and
    ``last_assessment_must_pass``, its last score (0 for a failure) is at least the pass mark."""
    rules = scenario.mechanisms.eligibility
    if not (rules.enabled and rules.last_assessment_must_pass) or not history:
        return True
    return history[-1][1] >= scenario.policy.assessment_pass_mark
