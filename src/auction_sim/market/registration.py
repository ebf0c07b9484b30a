"""Registration compliance (``[policy] registration_compliance < 1``, issue 16).

Publicly funded results must be registered within ``registration_days`` of their project's
end.  With ``registration_compliance = 1`` (the default) every one complies: it registers
uniformly within the window (the model before issue 16).  Below 1, each publicly funded
result complies with that probability; one that does not is **late**: it registers
uniformly within ``registration_late_days`` after its deadline, unless an **audit** finds it
first (audits every ``registration_audit_days`` from day 0, when that is > 0; an audit finds
every unregistered result past its deadline, which becomes visible that day).  Results
register, and become visible to firms, only then; the use-first deadlines still run from the
IP grant, so a late result reaches its forced auction sooner after it appears.

Metric ``registered_on_time``: publicly funded results whose deadline falls in the horizon
and that registered by it / publicly funded results whose deadline falls in the horizon
(those registered after the horizon included).
"""

from __future__ import annotations

import numpy as np

from ..rng import purposes
from ..scenario.market import MarketScenario

__all__ = ["late_registrations", "on_time"]


def late_registrations(
    scenario: MarketScenario, rng: np.random.Generator | np.random.SeedSequence, end, funded,
    registered,
) -> np.ndarray:  # fmt: skip
    """Registration days with non-compliance applied (``registered`` unchanged at 1); from a
    seed node, who complies and the late days come from streams of their own."""
    p = scenario.policy
    if p.registration_compliance >= 1.0 or end.size == 0:
        return registered
    deadline = end + p.registration_days
    r_late, r_day = purposes(rng, "compliance", "late_days")
    late = funded & (r_late.random(end.size) >= p.registration_compliance)
    day = deadline + r_day.uniform(0.0, 1.0, end.size) * p.registration_late_days
    if p.registration_audit_days > 0:  # the first audit after the deadline finds it
        audit = (np.floor(deadline / p.registration_audit_days) + 1) * p.registration_audit_days
        day = np.minimum(day, audit)
    return np.where(late, day, registered)


def on_time(scenario: MarketScenario, end, funded, registered) -> tuple[int, int]:
    """(results due in the horizon, of them registered by the deadline), publicly funded."""
    deadline = end + scenario.policy.registration_days
    due = funded & (deadline < scenario.market.horizon_days)
    return int(due.sum()), int((due & (registered <= deadline)).sum())
