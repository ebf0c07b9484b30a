"""Institutions and their ranking (``[policy] institutions_per_holder > 0``, issue 16).

The seed ranks universities, institutes, hospitals and state-owned firms by their results'
conversion and ties funding to the ranking.  With ``institutions_per_holder = k > 0`` every
holder type has ``k`` institutions of heterogeneous size (weights lognormal with sd
``institution_size_sd``, stream ``institutions``); each result belongs to one institution of
its holder type, drawn by size.  Every ``ranking_days`` the platform publishes a ranking of the
public institutions (university, institute, hospital, state-owned) with at least one
registered result by conversion (results with a paid deal /
results registered so far; ties: more results first, then the lower id); the lower half is
*low-ranked* until the next publication.

Optional response (``ranking_response``): ``"none"`` (the default) only publishes;
``"markup"``: a low-ranked institution's public holders cut their liability markup by
``ranking_markup_cut`` (the markup becomes ``liability_markup x (1 - cut)``) at the trades they
open until the next ranking, to climb it.  With ``institutions_per_holder = 0`` (the default)
nothing is drawn: the model before issue 16.

Output: ``institutions.parquet`` in the run folder (one row per run and institution: point,
replication, institution, holder, size, results, deals, conversion, last rank, times
low-ranked; rank 0: not ranked).  Metrics ``institution_conversion_sd`` (sd of conversion
across public institutions with a result, at the horizon) and ``low_rank_conversion``
(conversion of the results of the institutions low-ranked at the last ranking).
"""

from __future__ import annotations

import numpy as np

from ..achievements import HOLDER_TYPES, PUBLIC_HOLDERS
from ..scenario.market import MarketScenario

__all__ = ["Institutions"]


class Institutions:
    """The institutions of one run: membership, rankings and the markup response."""

    def __init__(
        self,
        scenario: MarketScenario,
        holder: np.ndarray,
        rng: np.random.Generator,
        u_pick: np.ndarray,
    ):
        p = scenario.policy
        k = self.per = p.institutions_per_holder
        self.on = k > 0
        self.every = p.ranking_days
        self.next = self.every
        self.cut = p.ranking_markup_cut if p.ranking_response == "markup" else 0.0
        n_h = len(HOLDER_TYPES)
        self.n = n_h * k
        self.low = np.zeros(self.n, bool)
        self.times_low = np.zeros(self.n, np.int64)
        self.rank = np.zeros(self.n, np.int64)  # 0: not ranked yet
        self.rankings = 0
        if not self.on:
            return
        size = rng.lognormal(0.0, p.institution_size_sd, (n_h, k))
        self.size = (size / size.sum(axis=1, keepdims=True)).ravel()
        holder = np.asarray(holder, np.int64)
        cum = np.cumsum(size / size.sum(axis=1, keepdims=True), axis=1)
        pick = (u_pick[:, None] >= cum[holder]).sum(axis=1)  # a uniform per achievement
        self.of = holder * k + np.minimum(pick, k - 1)
        self.public = np.repeat(np.asarray(PUBLIC_HOLDERS), k)  # the ranked ones

    def _counts(self, registered: np.ndarray, has_deal: np.ndarray, now: float):
        seen = registered <= now
        results = np.bincount(self.of[seen], minlength=self.n)
        deals = np.bincount(self.of[seen & has_deal], minlength=self.n)
        return results, deals

    def update(self, now: float, registered: np.ndarray, has_deal: np.ndarray) -> None:
        """Publish the rankings due by ``now`` (called once a simulated day)."""
        if not self.on:
            return
        while now >= self.next:
            results, deals = self._counts(registered, has_deal, self.next)
            ranked = np.flatnonzero((results > 0) & self.public)
            conv = deals[ranked] / results[ranked]
            order = ranked[np.lexsort((ranked, -results[ranked], -conv))]
            self.rank[:] = 0
            self.rank[order] = np.arange(1, order.size + 1)
            self.low[:] = False
            self.low[order[(order.size + 1) // 2 :]] = True
            self.times_low += self.low
            self.rankings += 1
            self.next += self.every

    def markup_scale(self, i: int) -> float:
        """Factor on the liability markup of item ``i``'s holder (1 unless it responds)."""
        if self.cut and self.low[self.of[i]]:
            return 1.0 - self.cut
        return 1.0

    def table(self, registered, has_deal, horizon: float) -> dict[str, np.ndarray]:
        """Per institution at the horizon (empty when off)."""
        if not self.on:
            return {}
        results, deals = self._counts(registered, has_deal, horizon)
        with np.errstate(invalid="ignore", divide="ignore"):
            conv = np.where(results > 0, deals / np.maximum(results, 1), np.nan)
        return {
            "institution": np.arange(self.n),
            "holder": np.repeat(np.asarray(HOLDER_TYPES), self.per),
            "size": self.size,
            "results": results,
            "deals": deals,
            "conversion": conv,
            "rank": self.rank.copy(),
            "times_low": self.times_low.copy(),
        }

    def metrics(self, registered, has_deal, horizon: float) -> dict[str, float]:
        nan = float("nan")
        if not self.on:
            return {"institution_conversion_sd": nan, "low_rank_conversion": nan}
        results, deals = self._counts(registered, has_deal, horizon)
        has = (results > 0) & self.public
        conv = deals[has] / results[has]
        low = self.low & has
        return {
            "institution_conversion_sd": float(conv.std()) if conv.size > 1 else nan,
            "low_rank_conversion": float(deals[low].sum() / results[low].sum())
            if low.any()
            else nan,
        }
