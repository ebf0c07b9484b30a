"""The discrete-event market: a SimPy environment driving arrivals, visits and trades.

Processes (started in an order drawn from a seeded permutation, never from dict
or set order):

* ``registrations`` -- registers achievements at their pre-drawn registration days
  and starts one ``life`` process per achievement;
* ``visits`` -- firm visits (Poisson, ``buyer_rate`` per day), each handled by
  :func:`auction_sim.market.buyers.visit`;
* ``pricing`` -- once a simulated day, prices every achievement whose review
  ended (the core's posterior, batched), and every ``refit_days`` refits the
  joint estimator on everything priced so far, deals included;
* ``budgets`` -- renews firms' budgets every ``budget_renewal_days``;
* ``life`` (per achievement) -- review, mechanism choice, then listing / timed
  auction / negotiation attempts with relists, renegotiations and waits, under
  the use-first deadlines (forced public auction, then free licence); after
  ``max_rounds`` rounds of attempts and waits the holder withdraws the result until
  its next use-first deadline (for good when none applies).

All randomness comes from named streams of the task's seed; the run is a pure
function of (scenario, seed).
"""

from __future__ import annotations

import gc
import math
from typing import NamedTuple

import numpy as np
import simpy

from ..agents.negotiators import tactic_exponent
from ..pricing import signals
from ..rng import stream
from ..scenario.market import MarketScenario
from . import buyers as B
from . import kernels, policy
from .arrivals import draw_achievements, features
from .buyers import SNIPER, draw_firms, visit
from .catalog import Catalog
from .choice import AUCTION, FREE, LISTING, NEGOTIATION, choose
from .ledger import MONTH_DAYS, Ledger

__all__ = ["MarketSim", "MarketRun", "simulate"]

_VISIT_CHUNK = 4096  # visits whose uniforms are drawn in one call


class MarketRun(NamedTuple):
    """Everything a run produced (metrics are computed from it)."""

    sim: MarketSim
    events: int


class MarketSim:
    """One market run (build with a scenario and a seed, then :meth:`run`)."""

    def __init__(self, scenario: MarketScenario, seed: np.random.SeedSequence):
        s = self.scenario = scenario
        m, b, pr, p = s.market, s.buyers, s.pricing, s.policy
        self.seed = seed
        self.env = simpy.Environment()
        self.horizon = float(m.horizon_days)
        self.n_fields = m.fields

        ach = self.ach = draw_achievements(s, stream(seed, "achievements"))
        n = self.n = ach.theta.size
        self.ach_value = ach.value
        self.ach_field = ach.field
        # plain-list copies for the per-look scalar reads of buyers.visit
        self.item_value = ach.value.tolist()
        self.item_theta = ach.theta.tolist()
        self.item_field = ach.field.tolist()
        self.firms = draw_firms(s, stream(seed, "firms"))
        self.firm_fields = self.firms.interests.tolist()
        self.firm_interested = [frozenset(x) for x in self.firm_fields]
        by_field = [np.flatnonzero(self.firms.interested[:, f]) for f in range(m.fields)]
        self.firms_by_field = by_field

        rng_pol = stream(seed, "brokers")
        self.brokered = rng_pol.random(n) < p.broker_share
        boost = np.where(self.brokered, p.broker_boost, 1.0)
        self.catalog = Catalog(m.fields, n, boost)
        self.looks_per_visit = max(1, round(b.attention * self.catalog.max_boost))
        self.deadlines = policy.deadlines(s, ach)

        # review panels: drawn up front with the pricing package's signal generators
        self.panel = min(pr.panel, pr.reviewers)
        pool = signals.draw_reviewers(
            stream(seed, "reviewers"), pr.reviewers, m.fields, pr.bias_sd, pr.noise_sd, 0.0
        )
        sig = signals.Achievements(
            ach.field, ach.readiness, ach.holder, ach.theta, ach.theta, m.fields, 1.0
        )
        if self.panel > 0 and n > 0:
            pan = signals.draw_panels(
                stream(seed, "panels"), sig, pool, self.panel, pr.same_field_share,
                pr.field_noise_factor, pr.score_offset, pr.score_scale,
            )  # fmt: skip
            self.rev_reviewer, self.rev_score, self.rev_same = pan.reviewer, pan.score, pan.same
        else:
            self.rev_reviewer = np.zeros(0, np.int64)
            self.rev_score = np.zeros(0)
            self.rev_same = np.zeros(0, bool)
        self.pricer = kernels.Pricer(pr.reviewers, m.fields, pr.prior_sd**2, pr.ridge)
        self.new_deals: list[int] = []  # paid deals not yet in the comparable-deal model

        # firm behaviour constants read by buyers.visit
        self.explore_share = b.explore_share
        self.log_q_rank = math.log1p(-1.0 / b.recency_items) if b.recency_items > 1 else -math.inf
        self.fit_sd = b.fit_sd_log
        self.off_field_fit = b.off_field_fit
        self.willingness = policy.willingness_factor(s)
        self.inquire_prob = b.inquire_prob
        self.max_quotes = pr.inquiries
        self.log_shade = math.log1p(-min(pr.shading, 0.999999))
        self.inquiry_sd = pr.inquiry_sd

        # per-item state
        self.state = [B.OFF] * n
        self.seen: list[dict] = [{} for _ in range(n)]
        self.quotes: list[list[float]] = [[] for _ in range(n)]
        self.quoted: list[set] = [set() for _ in range(n)]
        self.offers: list[dict] = [{} for _ in range(n)]
        self.partner: list = [None] * n
        self.price_now = [0.0] * n  # listing price or auction reserve of the open attempt
        self.assessed = [0.0] * n  # platform reserve without markup (negotiation entry)
        self.list_price = np.zeros(n)
        self.reserve = np.zeros(n)
        self.exempt = np.zeros(n, bool)
        self.post_mean = np.full(n, np.nan)
        self.interest = np.zeros(n, np.int64)
        self.deal_y = np.zeros(n)
        self.has_deal = np.zeros(n, bool)
        self.priced = np.zeros(n, bool)
        self.pending: list[int] = []
        self.pending_ev: dict[int, simpy.Event] = {}
        self.errors: list[tuple[float, float]] = []  # (day priced, posterior mean - theta)
        self.price_errors: list[tuple[float, float]] = []  # (deal day, mean - log price)
        self.ledger = Ledger()
        self.rng_snipes = stream(seed, "snipes")
        self.rng_policy = stream(seed, "policy")
        self.rng_free = stream(seed, "free_license")

    # ------------------------------------------------------------------ processes

    def _registrations(self):
        env = self.env
        reg = self.ach.registered
        for i in range(self.n):
            dt = reg[i] - env.now
            if dt > 0:
                yield env.timeout(dt)
            env.process(self._life(i))

    def _visits(self):
        env = self.env
        s = self.scenario
        rng = stream(self.seed, "visits")
        n_v = int(rng.poisson(s.market.buyer_rate * self.horizon))
        times = np.sort(rng.uniform(0.0, self.horizon, n_v))
        firm = rng.integers(0, s.buyers.firms, n_v)
        looks = stream(self.seed, "looks")
        extra = stream(self.seed, "broker_looks")  # its own stream: the firms' looks stay put
        k, k0 = self.looks_per_visit, self.scenario.buyers.attention
        for c0 in range(0, n_v, _VISIT_CHUNK):
            c1 = min(n_v, c0 + _VISIT_CHUNK)
            u = looks.random((c1 - c0, k0, B.N_UNIFORMS))
            z = looks.standard_normal((c1 - c0, k0, B.N_NORMALS))
            if k > k0:
                u = np.concatenate([u, extra.random((c1 - c0, k - k0, B.N_UNIFORMS))], axis=1)
                z = np.concatenate(
                    [z, extra.standard_normal((c1 - c0, k - k0, B.N_NORMALS))], axis=1
                )
            u = u.ravel().tolist()
            z = z.ravel().tolist()
            t = times[c0:c1].tolist()
            fs = firm[c0:c1].tolist()
            su, sz = k * B.N_UNIFORMS, k * B.N_NORMALS
            for j in range(c1 - c0):
                dt = t[j] - env.now
                if dt > 0:
                    yield env.timeout(dt)
                visit(self, fs[j], env.now, k, k0, u, j * su, z, j * sz)

    def _budgets(self):
        env = self.env
        period = self.scenario.buyers.budget_renewal_days
        f = self.firms
        while True:
            yield env.timeout(period)
            f.budget[:] = f.budget0

    def _pricing(self):
        env = self.env
        refit_days = self.scenario.pricing.refit_days
        next_refit = refit_days
        while True:
            yield env.timeout(1.0)
            if self.new_deals:
                idx = np.asarray(self.new_deals, np.int64)
                self.new_deals = []
                self.pricer.add_deals(features(self.ach, idx), self.deal_y[idx])
            if env.now >= next_refit:
                self._refit()
                next_refit += refit_days
            if self.pending:
                batch, self.pending = self.pending, []
                self._price(np.asarray(batch, np.int64))
                for i in batch:
                    self.pending_ev.pop(i).succeed()

    # ------------------------------------------------------------------ pricing

    def _evidence(self, idx: np.ndarray):
        """Review and quote arrays of the items ``idx`` (local achievement indices)."""
        P = self.panel
        if P:
            rows = (idx[:, None] * P + np.arange(P)).ravel()
            r_ach = np.repeat(np.arange(idx.size), P)
            rv, sc, sm = self.rev_reviewer[rows], self.rev_score[rows], self.rev_same[rows]
        else:
            r_ach = rv = np.zeros(0, np.int64)
            sc = np.zeros(0)
            sm = np.zeros(0, bool)
        q_len = [len(self.quotes[i]) for i in idx]
        q_ach = np.repeat(np.arange(idx.size), q_len)
        lq = np.fromiter((q for i in idx for q in self.quotes[i]), np.float64, int(sum(q_len)))
        return r_ach, rv, sc, sm, q_ach, lq

    def _refit(self) -> None:
        idx = np.flatnonzero(self.priced)
        if idx.size == 0:
            return
        ev = self._evidence(idx)
        self.pricer.refit(features(self.ach, idx), *ev, self.has_deal[idx], self.deal_y[idx])

    def _price(self, idx: np.ndarray) -> None:
        pr = self.scenario.pricing
        mean, var = self.pricer.posterior(features(self.ach, idx), *self._evidence(idx))
        listing, reserve = kernels.price_rules(
            mean,
            var,
            pr.reserve_rule,
            pr.reserve_level,
            pr.listing_rule,
            pr.listing_level,
            self.fit_sd,
        )
        now = self.env.now
        theta = self.ach.theta[idx]
        self.errors.extend(zip([now] * idx.size, (mean - theta).tolist(), strict=True))
        self.post_mean[idx] = mean
        self.list_price[idx] = listing
        self.reserve[idx] = reserve
        for i, r in zip(idx.tolist(), reserve.tolist(), strict=True):
            self.assessed[i] = r
        self.priced[idx] = True
        u = self.rng_policy.random(idx.size)
        self.exempt[idx] = u < self.scenario.policy.exemption_share

    def _request_pricing(self, i: int) -> simpy.Event:
        ev = self.env.event()
        self.pending.append(i)
        self.pending_ev[i] = ev
        return ev

    # ------------------------------------------------------------------ an achievement

    def _markup(self, i: int, forced: bool) -> float:
        if forced:
            return 1.0
        return policy.markup(self.scenario, bool(self.ach.public_holder[i]), bool(self.exempt[i]))

    def _life(self, i: int):
        env = self.env
        mech = self.scenario.mechanism
        forced_at, free_at = self.deadlines.forced[i], self.deadlines.free[i]
        self.state[i] = B.REVIEW
        self.catalog.post(i, int(self.ach_field[i]))
        yield env.timeout(self.scenario.pricing.review_days)
        self.catalog.remove(i)
        self.state[i] = B.OFF
        self.interest[i] = len(self.quoted[i])
        method = choose(
            mech.choice, int(self.interest[i]), mech.auction_min_interest,
            mech.negotiation_min_interest,
        )  # fmt: skip
        negotiations = rounds = 0
        while True:
            yield self._request_pricing(i)
            relists = 0
            while True:
                now = env.now
                if now >= free_at:
                    self._free_license(i)
                    return
                forced = now >= forced_at
                m = AUCTION if forced else method
                if m == AUCTION:
                    ok = yield from self._auction(i, relists, forced)
                elif m == LISTING:
                    ok = yield from self._listing(i, relists)
                else:
                    ok = yield from self._negotiation(i)
                if ok:
                    return
                if m == NEGOTIATION:
                    negotiations += 1
                    if negotiations < mech.max_negotiations:
                        continue  # renegotiate with the next interested firm
                    if mech.choice == "rule":
                        method = LISTING  # the rule moves on to a listed trade
                        continue
                    break  # negotiation is forced: wait, then negotiate again
                relists += 1
                if relists > mech.max_relists:
                    break
            # withdrawn: wait, but not past the next deadline
            now = env.now
            rounds += 1
            nxt = min((d for d in (forced_at, free_at) if d > now), default=math.inf)
            if rounds >= mech.max_rounds:  # the holder gives up until the next deadline
                if nxt == math.inf:
                    return
                rounds = 0
                wait = nxt - now
            else:
                wait = min(mech.wait_days, nxt - now)
            yield env.timeout(wait)
            if mech.choice == "rule" and env.now < forced_at:
                method = choose(
                    "rule", int(self.interest[i]), mech.auction_min_interest,
                    mech.negotiation_min_interest,
                )  # fmt: skip
                negotiations = 0

    def _open(self, i: int, state: int, price: float) -> None:
        self.state[i] = state
        self.price_now[i] = price
        self.offers[i] = {}
        self.catalog.post(i, int(self.ach_field[i]))

    def _close(self, i: int) -> list[tuple[int, float, float]]:
        """Take item ``i`` off the catalogue; its offers as (firm, wtp, day), by day then firm."""
        self.catalog.remove(i)
        self.state[i] = B.OFF
        offers = sorted(((f, w, t) for f, (w, t) in self.offers[i].items()), key=_by_time)
        self.offers[i] = {}
        self.interest[i] = len(offers)
        return offers

    def _auction(self, i: int, relists: int, forced: bool):
        env = self.env
        mech = self.scenario.mechanism
        disc = (1.0 - mech.relist_discount) ** relists
        reserve = self.reserve[i] * self._markup(i, forced) * disc
        self._open(i, B.AUCTION, reserve)
        start = env.now
        yield env.timeout(mech.auction_days)
        offers = self._close(i)
        budget = self.firms.budget
        firms = np.array([o[0] for o in offers], np.int64)
        limits = np.array([min(o[1], budget[o[0]]) for o in offers], np.float64)
        strat = self.firms.strategy[firms]
        times = np.array([o[2] - start for o in offers], np.float64)
        # snipers bid at a uniform time within snipe_lead_days of the scheduled end
        lead = self.rng_snipes.random(firms.size) * mech.snipe_lead_days
        times = np.where(strat == SNIPER, mech.auction_days - lead, times)
        key = int(self.rng_snipes.integers(0, 2**63))
        out = kernels.timed_auction(
            limits, times, strat, reserve, mech.increment * reserve, mech.auction_days,
            mech.soft_close, mech.soft_close_days, mech.reaction_days, key,
        )  # fmt: skip
        if start + out.end > env.now:  # a soft close ran past the scheduled end
            yield env.timeout(start + out.end - env.now)
        if out.winner < 0:
            return False
        return self._settle(i, int(firms[out.winner]), out.price, AUCTION, forced)

    def _listing(self, i: int, relists: int):
        env = self.env
        mech = self.scenario.mechanism
        disc = (1.0 - mech.relist_discount) ** relists
        price = self.list_price[i] * self._markup(i, False) * disc
        self._open(i, B.LISTING, price)
        start = env.now
        yield env.timeout(mech.listing_days)
        offers = self._close(i)
        budget = self.firms.budget
        firms = np.array([o[0] for o in offers], np.int64)
        limits = np.array([min(o[1], budget[o[0]]) for o in offers], np.float64)
        arrival = np.array([o[2] - start for o in offers], np.float64)
        w, pay = kernels.listing_period(price, limits, arrival, mech.multi_intent,
                                        mech.listing_days)  # fmt: skip
        if w < 0:
            return False
        return self._settle(i, int(firms[w]), pay, LISTING, False)

    def _negotiation(self, i: int):
        env = self.env
        mech = self.scenario.mechanism
        self._open(i, B.SEEKING, self.assessed[i])
        ev = env.event()
        self.partner[i] = ev
        yield ev | env.timeout(mech.negotiation_days)
        self.partner[i] = None
        self.catalog.remove(i)
        if not ev.triggered:
            self.state[i] = B.OFF
            self.interest[i] = 0
            return False
        self.interest[i] = 1
        f = int(ev.value)
        self.state[i] = B.BUSY
        mk = self._markup(i, False)
        holder_value = self.reserve[i] * mk
        buyer_value = min(self.seen[i][f] * self.willingness, self.firms.budget[f])
        out = kernels.negotiate(
            buyer_value, holder_value, mech.buyer_open_share * buyer_value,
            self.list_price[i] * mk, mech.rounds, mech.first_mover,
            tactic_exponent(self.scenario.buyers.tactic, mech.boulware_e, mech.conceder_e),
            tactic_exponent(mech.holder_tactic, mech.boulware_e, mech.conceder_e),
        )  # fmt: skip
        yield env.timeout(out.rounds * mech.response_days)
        self.state[i] = B.OFF
        if not out.agreed or self.firms.budget[f] < out.price:
            return False
        return self._settle(i, f, out.price, NEGOTIATION, False)

    def _settle(self, i: int, f: int, price: float, method: int, forced: bool) -> bool:
        budget = self.firms.budget
        if price > budget[f]:  # the buyer's budget moved since it bid: the deal fails
            return False
        p, s = self.scenario.policy, self.scenario
        com_rate = p.broker_commission if self.brokered[i] else 0.0
        fee, com, receipt = policy.split(price, s.market.platform_fee, com_rate)
        budget[f] -= price
        seen = self.seen[i]
        subsidy = price * policy.premium_rate(s) * p.insurance_subsidy
        self.ledger.record(
            i, f, self.env.now, price, fee, com, receipt, method, forced, seen[f],
            max(seen.values()), float(self.ach_value[i]), float(self.ach.registered[i]), subsidy,
        )  # fmt: skip
        if price > 0:
            self.has_deal[i] = True
            self.deal_y[i] = math.log(price)
            self.price_errors.append((self.env.now, self.post_mean[i] - self.deal_y[i]))
            self.new_deals.append(i)
        self.state[i] = B.DONE
        return True

    def _free_license(self, i: int) -> None:
        cands = self.firms_by_field[int(self.ach_field[i])]
        if cands.size == 0:
            return
        f = int(cands[int(self.rng_free.random() * cands.size)])
        v = float(self.ach_value[i])
        self.ledger.record(
            i, f, self.env.now, 0.0, 0.0, 0.0, 0.0, FREE, True, v, v, v,
            float(self.ach.registered[i]), 0.0,
        )  # fmt: skip
        self.state[i] = B.DONE

    # ------------------------------------------------------------------ running

    def run(self) -> int:
        """Run to the horizon; return the number of SimPy events processed."""
        env = self.env
        procs = (self._registrations, self._visits, self._pricing, self._budgets)
        order = stream(self.seed, "process_order").permutation(len(procs))
        for k in order:
            env.process(procs[k]())
        # The run allocates millions of short-lived SimPy events and few cycles: the cyclic
        # garbage collector's passes over the growing heap cost ~15 % and free nothing.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            env.run(until=self.horizon)
        finally:
            if was_enabled:
                gc.enable()
        scheduled = next(env._eid)  # SimPy's insertion counter: events ever scheduled
        return int(scheduled - len(env._queue))

    def monthly_price_error(self) -> tuple[np.ndarray, np.ndarray]:
        """RMSE of the platform's price estimate against the deal price, by month of the deal.

        The estimate is the posterior mean log value of the item's last pricing; the
        error is that minus the log price paid.  Returns ``(rmse, n)`` of shape
        ``(n_months,)``; NaN where no paid deal closed.
        """
        return _monthly_rmse(self.price_errors, self.horizon)

    def monthly_value_error(self) -> tuple[np.ndarray, np.ndarray]:
        """RMSE of the posterior mean log value against theta, by month of pricing."""
        return _monthly_rmse(self.errors, self.horizon)


def _monthly_rmse(rows: list, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    n_m = max(1, math.ceil(horizon / MONTH_DAYS))
    if not rows:
        return np.full(n_m, np.nan), np.zeros(n_m)
    day, err = np.asarray(rows).T
    month = np.minimum((day / MONTH_DAYS).astype(np.int64), n_m - 1)
    cnt = np.bincount(month, minlength=n_m).astype(np.float64)
    sse = np.bincount(month, weights=err * err, minlength=n_m)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(sse / cnt), cnt


def _by_time(o):
    return (o[2], o[0])


def simulate(scenario: MarketScenario, seed: np.random.SeedSequence) -> MarketRun:
    """Build, run and check one market (raises ``LedgerError`` on a broken invariant)."""
    sim = MarketSim(scenario, seed)
    events = sim.run()
    sim.ledger.check(sim.firms.budget0, scenario.buyers.budget_renewal_days, sim.n)
    return MarketRun(sim, events)
