"""The market's random draws that belong to entities, laid out so that common random numbers
stay aligned when a swept parameter changes how many of them a run draws (issue 18).

* Arrivals (firm visits, project ends) at ``rate`` per day are the points below ``rate`` of a
  Poisson process of unit intensity in (day, level) (:func:`banded_arrivals`): levels are cut
  into bands of :data:`BAND` per day, band ``b`` is a Poisson process in time of rate ``BAND``
  from streams of its own (cumulative unit-exponential gaps, :func:`poisson_times`) with a
  uniform level in the band for each point.  A higher rate keeps every arrival of a lower one
  (same day, same identity ``(band, index)``) and adds others; a longer horizon appends.
* A visit's firm (:func:`visit_plan`) and looks (:class:`Looks`) are keyed by its identity:
  the firm from a uniform of its band's ``firms`` stream, the looks counter-based from (band,
  look slot, index), so the broker's extra looks are more slots.
* The per-achievement draws made up front (:func:`project_uniforms`: brokers, due diligence,
  adoption, exemption, loans, institutions) are keyed by the project, not by the order of
  registration, so they stay with the project when ``achievement_rate`` changes.
* Firm ``k``'s interests, budget, strategy and class come from one stream per attribute,
  drawn in firm order (:func:`draw_firms`), so a firm keeps them whatever the number of firms.

Every generator serves one purpose with one draw per batch (see :mod:`auction_sim.rng`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from ..core.counters import derive, slot_keys, unit
from ..rng import child, stream
from ..scenario.market import MarketScenario
from .buyers import INCREMENTAL, N_NORMALS, N_UNIFORMS, PROXY, SNIPER, Firms

assert N_NORMALS == 2, "looks draw their normals in Box-Muller pairs"

__all__ = [
    "BAND",
    "GAP_CHUNK",
    "Looks",
    "VisitPlan",
    "banded_arrivals",
    "draw_firms",
    "poisson_times",
    "project_uniforms",
    "visit_plan",
]

GAP_CHUNK = 4096
"""Gaps (and visits) drawn per call: a fixed grid of indices, so chunking never moves a number."""

BAND = 8.0
"""Arrivals per day of one band of levels (a rate of 150 visits a day uses 19 bands)."""


def poisson_times(rng: np.random.Generator, rate: float, horizon: float) -> np.ndarray:
    """Sorted arrival days in ``[0, horizon)`` of a Poisson process of ``rate`` per day:
    ``E_k / rate`` with ``E_k`` the sum of the first ``k`` unit-exponential gaps of ``rng``
    (a longer horizon appends arrivals)."""
    if not rate > 0 or not horizon > 0:
        return np.zeros(0)
    limit = rate * float(horizon)
    parts, total = [], 0.0
    while True:
        cum = total + np.cumsum(rng.standard_exponential(GAP_CHUNK))
        done = cum[-1] >= limit
        parts.append(cum[cum < limit] if done else cum)
        if done:
            break
        total = float(cum[-1])
    return np.concatenate(parts) / rate


def banded_arrivals(
    node: np.random.SeedSequence, rate: float, horizon: float
) -> list[tuple[np.random.SeedSequence, np.ndarray, np.ndarray]]:
    """Per band ``b`` of levels below ``rate``: ``(node of the band, days of all its points,
    which of them arrive)``; a point arrives when its level (uniform in ``[b, b + 1) BAND``)
    is below ``rate``, so only the top band is thinned."""
    out = []
    for b in range(math.ceil(rate / BAND) if rate > 0 else 0):
        bn = child(node, b)
        t = poisson_times(stream(bn, "gaps"), BAND, horizon)
        level = (b + stream(bn, "levels").random(t.size)) * BAND
        out.append((bn, t, level < rate))
    return out


class VisitPlan(NamedTuple):
    """The run's visits in time order; arrays of shape ``(n_visits,)``."""

    times: np.ndarray  # float64, day of the visit
    firm: np.ndarray  # int64, the visiting firm
    band: np.ndarray  # int64, identity of the visit: its band ...
    index: np.ndarray  # int64, ... and its index among the band's points


def visit_plan(
    seed: np.random.SeedSequence, rate: float, horizon: float, n_firms: int
) -> VisitPlan:
    """The visits of a run at ``rate`` a day (:func:`banded_arrivals` under the ``visits``
    node): visit ``(b, i)``'s firm is ``floor(u * n_firms)`` for the ``i``-th uniform of band
    ``b``'s ``firms`` stream."""
    empty = np.zeros(0, np.int64)
    t, u, band, index = [np.zeros(0)], [np.zeros(0)], [empty], [empty]
    for b, (bn, days, keep) in enumerate(banded_arrivals(child(seed, "visits"), rate, horizon)):
        k = np.flatnonzero(keep)
        t.append(days[k])
        u.append(stream(bn, "firms").random(days.size)[k])
        band.append(np.full(k.size, b, np.int64))
        index.append(k.astype(np.int64))
    times = np.concatenate(t)
    order = np.argsort(times, kind="stable")
    firm = np.minimum((np.concatenate(u) * n_firms).astype(np.int64), n_firms - 1)
    return VisitPlan(
        times[order], firm[order], np.concatenate(band)[order], np.concatenate(index)[order]
    )


@njit(cache=True)
def _looks(key_u, key_z, band, index, u, z):
    """Fill ``u`` (``N_UNIFORMS`` per look) and ``z`` (two normals per look, Box-Muller) of
    visits ``(band, index)``: counter-based, from (band, slot, index, component)."""
    two_pi = 2.0 * math.pi
    for r in range(band.size):
        b, i = band[r], index[r]
        for j in range(u.shape[1]):
            ku = derive(derive(key_u, b), j)
            for c in range(N_UNIFORMS):
                u[r, j, c] = unit(ku, i * N_UNIFORMS + c)
            kz = derive(derive(key_z, b), j)
            rad = math.sqrt(-2.0 * math.log1p(-unit(kz, 2 * i)))
            ang = two_pi * unit(kz, 2 * i + 1)
            z[r, j, 0] = rad * math.cos(ang)
            z[r, j, 1] = rad * math.sin(ang)


class Looks:
    """The uniforms and normals of the visits' looks: look slot ``j`` of visit ``(b, i)`` is a
    function of (band ``b``, slot ``j``, index ``i``) under the keys of the ``look_uniforms``
    and ``look_normals`` streams (counter-based, :mod:`auction_sim.core.counters`), whatever
    the chunks, the rate or the number of slots (a broker's extra looks are more slots)."""

    def __init__(self, seed: np.random.SeedSequence, k: int):
        self.k = int(k)
        node = child(seed, "visits")
        self.key_u, self.key_z = slot_keys(node, "looks", ["uniforms", "normals"])

    def take(self, band: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(u, z)`` of the visits ``(band, index)``, shapes ``(m, k, N_UNIFORMS)`` and
        ``(m, k, N_NORMALS)``."""
        m = band.size
        u = np.empty((m, self.k, N_UNIFORMS))
        z = np.empty((m, self.k, N_NORMALS))
        _looks(self.key_u, self.key_z, band, index, u, z)
        return u, z


def draw_firms(scenario: MarketScenario, seed: np.random.SeedSequence) -> Firms:
    """The firm population, one stream per attribute under ``seed`` (``interests``,
    ``budgets``, ``strategies``, ``classes``), each drawn in firm order: ``k`` distinct fields
    of interest per firm (the first ``k`` of a random permutation of the fields), budgets,
    bidding strategies and, with ``[[buyers.classes]]``, size classes."""
    b, m = scenario.buyers, scenario.market
    n = b.firms
    k = min(b.interests, m.fields)
    keys = stream(seed, "interests").random((n, m.fields))
    interests = np.argsort(keys, axis=1, kind="stable")[:, :k].astype(np.int64)
    interested = np.zeros((n, m.fields), dtype=bool)
    interested[np.arange(n)[:, None], interests] = True
    budget0 = np.asarray(b.budget.draw(stream(seed, "budgets"), (n,)), dtype=np.float64)
    budget0 = np.maximum(budget0, 0.0)
    u = stream(seed, "strategies").random(n)
    strategy = np.where(
        u < b.proxy_share, PROXY, np.where(u < b.proxy_share + b.sniper_share, SNIPER, INCREMENTAL)
    ).astype(np.int64)
    cls = np.zeros(n, np.int64)
    scale = np.ones(n)
    if b.classes:
        shares = np.array([c.share for c in b.classes])
        cum = np.cumsum(shares) / shares.sum()
        u = stream(seed, "classes").random(n)
        cls = np.minimum(np.searchsorted(cum, u, side="right"), len(b.classes) - 1)
        cls = cls.astype(np.int64)
        scale = np.array([c.value_scale for c in b.classes])[cls]
    return Firms(interests, interested, budget0, budget0.copy(), strategy, cls, scale)


PROJECT_DRAWS = (
    "brokers", "due_diligence", "adoption", "exemption", "pledges", "defaults", "institutions",
)  # fmt: skip
"""Uniforms per achievement drawn up front (:func:`project_uniforms`); ``readiness_errors``
are standard normals."""


def project_uniforms(
    node: np.random.SeedSequence, identity: np.ndarray, n_projects: int
) -> dict[str, np.ndarray]:
    """One stream per purpose under ``node``, drawn in project order (``n_projects`` draws:
    every project, registered in the horizon or not) and taken at the achievements'
    ``identity`` (``Achievements.identity``), so an achievement keeps its draws whatever the
    others (its project's index in the aligned achievement draw keys them, not its rank by
    registration day).  Returns
    uniforms of :data:`PROJECT_DRAWS`, and ``readiness_errors`` (standard normals), each of
    shape ``(n,)`` in the achievements' order."""
    idx, m = identity, int(n_projects)
    out = {name: stream(node, name).random(m)[idx] for name in PROJECT_DRAWS}
    out["readiness_errors"] = stream(node, "readiness_errors").standard_normal(m)[idx]
    return out
