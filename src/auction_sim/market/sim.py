"""The discrete-event market: a SimPy environment driving arrivals, visits and trades.

Processes (started in an order drawn from a seeded permutation, never from dict
or set order):

* ``registrations`` -- registers achievements at their pre-drawn registration days
  and starts one ``life`` process per achievement;
* ``visits`` -- firm visits (Poisson, ``buyer_rate`` per day), run by the numba kernel
  :func:`auction_sim.market.buyers.visit_batch`: one SimPy timeout to the first visit,
  then every visit due before the next scheduled event in the same kernel call (nothing
  else happens in between, so this is the same as one timeout per visit);
* ``pricing`` -- once a simulated day, prices every achievement whose review
  ended (the core's posterior, batched), and every ``refit_days`` refits the
  joint estimator on everything priced so far, deals included;
* ``budgets`` -- renews firms' budgets every ``budget_renewal_days``;
* ``life`` (per achievement) -- review, mechanism choice, then listing / timed
  auction / negotiation attempts with relists, renegotiations and waits, under
  the use-first deadlines (forced public auction, then free licence); after
  ``max_rounds`` rounds of attempts and waits the holder withdraws the result until
  its next use-first deadline (for good when none applies).

Processes that wait for the same instant share one SimPy event: the holders whose
items are priced on a day wait for one event of the pricing process; timeouts of the same
length begun at the same instant are one timeout (:meth:`MarketSim._timeout`), so the
processes resume in the same order as with one each; listings that end at the same
instant share one timeout and are closed together, with one listing kernel call
(:meth:`MarketSim._close_listings`).

All randomness comes from named streams of the task's seed; the run is a pure
function of (scenario, seed).
"""

from __future__ import annotations

import gc
import math
from functools import partial
from typing import NamedTuple

import numpy as np
import simpy

from ..agents.negotiators import tactic_exponent
from ..core.listing import relist_steps
from ..pricing import signals
from ..pricing.deals import deal_class
from ..rng import child, stream
from ..scenario.market import MarketScenario
from . import buyers as B
from . import institutions, policy, trades
from .arrivals import draw_achievements, features
from .buyers import close_item, gather_offers, seen_values, visit_batch
from .catalog import Catalog
from .choice import AUCTION, FREE, LISTING, NEGOTIATION, choose
from .draws import GAP_CHUNK, Looks, draw_firms, project_uniforms, visit_plan
from .exemption import Channel
from .insurance import Insurance
from .ledger import Contract, Ledger, monthly_rmse
from .loans import Loans
from .pricing import Pricer, oracle_params, oracle_posterior, price_rules

__all__ = ["MarketSim", "MarketRun", "simulate"]


class _ListingBatch(NamedTuple):
    """Listings that end at the same instant (in the order they were opened)."""

    event: simpy.Event  # their shared end-of-period timeout
    items: list
    prices: list
    starts: list


class MarketRun(NamedTuple):
    """Everything a run produced (metrics are computed from it)."""

    sim: MarketSim
    events: int


class MarketSim:
    """One market run (build with a scenario and a seed, then :meth:`run`)."""

    void_unpaid = False  # True: an auction winner that cannot pay voids the sale (reference)

    def __init__(self, scenario: MarketScenario, seed: np.random.SeedSequence):
        s = self.scenario = scenario
        m, b, pr, p = s.market, s.buyers, s.pricing, s.policy
        self.seed = seed
        self.env = simpy.Environment()
        self.horizon = float(m.horizon_days)
        self.n_fields = m.fields

        ach = self.ach = draw_achievements(s, child(seed, "achievements"))
        n = self.n = ach.theta.size
        self.ach_value = ach.value
        self.ach_field = ach.field
        self.firms = draw_firms(s, child(seed, "firms"))
        by_field = [np.flatnonzero(self.firms.interested[:, f]) for f in range(m.fields)]
        self.firms_by_field = by_field

        u = project_uniforms(child(seed, "projects"), ach.identity, ach.n_projects)
        self.brokered = u["brokers"] < p.broker_share
        boost = np.where(self.brokered, p.broker_boost, 1.0)
        self.catalog = Catalog(m.fields, n, boost)
        self.looks_per_visit = max(1, round(b.attention * self.catalog.max_boost))
        self.deadlines = policy.deadlines(s, ach)

        # review panels: drawn up front with the pricing package's signal generators
        self.panel = min(pr.panel, pr.reviewers)
        pool = signals.draw_reviewers(
            stream(seed, "reviewers"), pr.reviewers, m.fields, pr.bias_sd, pr.noise_sd,
            pr.noise_sd_spread,
        )  # fmt: skip
        sig = signals.Achievements(
            ach.field, ach.readiness, ach.holder, ach.theta, ach.theta, m.fields, 1.0
        )
        if self.panel > 0 and n > 0:
            pan = signals.draw_panels(
                stream(seed, "panels"), sig, pool, self.panel, pr.same_field_share,
                pr.field_noise_factor, pr.score_offset, pr.score_scale,
            )  # fmt: skip
            # the platform reads scores on its own appraisal scale: (s - alpha) / gamma
            score = (pan.score - pr.score_offset) / pr.score_scale
            self.rev_reviewer, self.rev_score, self.rev_same = pan.reviewer, score, pan.same
        else:
            self.rev_reviewer = np.zeros(0, np.int64)
            self.rev_score = np.zeros(0)
            self.rev_same = np.zeros(0, bool)
        self.relist_step = relist_steps(s.mechanism.relist_discount, s.mechanism.max_relists + 1)

        # readiness is evaluated, not known: the platform sees an evaluated level (with a
        # smaller error after technical due diligence, which costs and delays the review)
        self.diligence = u["due_diligence"] < pr.due_diligence_share
        err_sd = np.where(self.diligence, pr.due_diligence_error_sd, pr.readiness_error_sd)
        seen = np.rint(ach.readiness + err_sd * u["readiness_errors"]).astype(np.int64)
        seen = np.clip(seen, 1, 9)
        self.ach_seen = ach._replace(readiness=seen)  # what the platform's features use
        self.review_days = pr.review_days + np.where(self.diligence, pr.due_diligence_days, 0.0)

        self.insurance = Insurance(s, ach.readiness, seen, u["adoption"])
        self.channel = Channel(s, ach.public_holder, u["exemption"])
        self.loans = Loans(s, n, u["pledges"], u["defaults"])  # IP-pledge loans (lender's book)
        self.institutions = institutions.Institutions(
            s, ach.holder, stream(seed, "institutions"), u["institutions"]
        )
        self.log_willingness = self.insurance.log_willingness
        self.pricer = Pricer(pr.reviewers, m.fields, pr.prior_sd**2, pr.ridge,
                             estimator=pr.estimator, fit_sd=b.fit_sd_log,
                             log_willingness=self.log_willingness)  # fmt: skip
        self._oracle_setup(pool)
        self.new_deals: list[int] = []  # paid deals not yet in the comparable-deal model

        # firm behaviour constants read by the visit kernel (buyers.visit_batch)
        self.fit_sd = b.fit_sd_log
        self.willingness = self.insurance.willingness
        par = np.zeros(B.N_PAR)
        par[B.P_EXPLORE] = b.explore_share
        par[B.P_LOG_Q] = math.log1p(-1.0 / b.recency_items) if b.recency_items > 1 else -math.inf
        par[B.P_FIT_SD] = b.fit_sd_log
        par[B.P_OFF_FIELD] = b.off_field_fit
        par[B.P_WILLING] = self.willingness
        par[B.P_INQUIRE] = b.inquire_prob
        par[B.P_LOG_SHADE] = math.log1p(-min(pr.shading, 0.999999))
        par[B.P_INQ_SD] = pr.inquiry_sd
        par[B.P_SPEND] = self.spend = policy.spend_factor(s)  # price per unit of budget
        self.par = par

        # per-item state, arrays shared with the visit kernel (row layout in buyers.py)
        self.ist = np.zeros((B.N_IST, n), np.int64)
        self.ist[B.HEAD] = -1
        self.ist[B.FIELD] = ach.field
        self.state = self.ist[B.STATE]  # B.OFF ... B.DONE
        self.n_quotes = self.ist[B.N_QUOTES]
        self.n_quoted = self.ist[B.N_QUOTED]  # firms that sent an inquiry
        self.epoch = self.ist[B.EPOCH]
        self.ifl = np.zeros((B.N_IFL, n))
        self.ifl[B.VALUE] = ach.value
        self.ifl[B.THETA] = ach.theta
        self.price_now = self.ifl[B.PRICE_NOW]  # listing price or reserve of the open attempt
        self.assessed = self.ifl[B.ASSESSED]  # platform reserve without markup (negotiation)
        self.quotes = np.zeros((n, max(pr.inquiries, 0)))  # the first `inquiries` quotes
        cap = 1024
        self.ent_i = np.zeros((B.N_ENT_I, cap), np.int64)  # (item, firm) entries
        self.ent_f = np.zeros((B.N_ENT_F, cap))
        self.n_ent = np.zeros(1, np.int64)
        self.tab = np.full((2 * cap, 2), -1, np.int64)  # (item, firm) -> entry
        self.partner: list = [None] * n
        self._listings: dict[float, _ListingBatch] = {}  # open listings by end day
        self._timeouts: dict[tuple, simpy.Event] = {}  # shared timeouts by (start, delay)
        self._listing_sold: dict[int, bool] = {}  # outcomes of listings just closed
        self.list_price = np.zeros(n)
        self.reserve = np.zeros(n)
        self.exempt = np.zeros(n, bool)
        self.post_mean = np.full(n, np.nan)
        self.interest = np.zeros(n, np.int64)
        self.deal_y = np.zeros(n)  # log price of the item's paid deal
        self.deal_cls = np.zeros(n, np.int64)  # its class (pricing.deals.deal_class)
        self.has_deal = np.zeros(n, bool)
        self.priced = np.zeros(n, bool)
        self.pending: list[int] = []
        self.priced_ev = self.env.event()  # succeeds when the pending items are priced
        self.errors: list[np.ndarray] = []  # per pricing day: rows (day, posterior mean - theta)
        self.oracle_errors: list[np.ndarray] = []  # the same for the oracle's posterior
        self.price_errors: list[tuple[float, float]] = []  # (deal day, mean - log price)
        self.auctions_held = 0  # timed auctions opened (relists and forced ones included)
        self.auctions_sold = 0  # of them, settled with a paid deal
        self.reserve_premiums: list[float] = []  # price / reserve - 1, sold auctions, reserve > 0
        self.ledger = Ledger()  # reconciles every contract against the run's state
        self.premium_rate = policy.premium_rate(s)
        self.ledger.bind(self.firms.budget0, self.firms.budget, m.platform_fee,
                         np.where(self.brokered, p.broker_commission, 0.0), self.premium_rate,
                         p.insurance_subsidy, self.insurance.claims)  # fmt: skip
        self.auction_fallbacks = 0  # auction winners that could not pay: runner-up instead
        self.auction_voids = 0  # the same sales voided (with void_unpaid only)
        self.rng_snipes = stream(seed, "snipes")
        # auctions by size class (auction_win_share_k, auction_win_excess_k), over the sold
        # auctions: wins, and sums of (won - share of the auction's bidders) per class
        n_cls = max(1, len(b.classes))
        self.class_wins = np.zeros(n_cls, np.int64)
        self.class_excess = np.zeros(n_cls)
        self.first_price = None
        if s.mechanism.auction_format == "first_price":
            scales = [c.value_scale for c in b.classes] or [1.0]
            self.first_price = trades.FirstPriceBook(scales, b.fit_sd_log)
        self.rng_policy = stream(seed, "policy")
        self.rng_free = stream(seed, "free_license")

    def _oracle_setup(self, pool) -> None:
        """The oracle's true parameters and prior (DESIGN §6: the yardstick in the market).

        It knows the value model (``x . beta`` with the *evaluated* readiness, whose error
        widens the prior by ``readiness_slope^2`` times its mean square), the reviewers'
        biases and noise (on the platform's score scale), and the quoting firms' law: a
        quote is ``theta + log fit - shading + noise`` from a firm that is outside its
        fields with probability ``explore_share (1 - interests / fields)``.
        """
        s = self.scenario
        a, b, pr = s.achievements, s.buyers, s.pricing
        ach, seen = self.ach, self.ach_seen.readiness
        self.oracle_prior = (
            a.value_mean_log + ach.field_effect[ach.field]
            + a.readiness_slope * (seen - 5) + np.asarray(a.holder_effects)[ach.holder]
        )  # fmt: skip
        msq = float(np.mean((ach.readiness - seen) ** 2)) if self.n else 0.0
        p_off = b.explore_share * (1.0 - min(b.interests, self.n_fields) / self.n_fields)
        lo = math.log(b.off_field_fit)
        shift = math.log1p(-pr.shading) + p_off * lo
        qvar = pr.inquiry_sd**2 + b.fit_sd_log**2 + p_off * (1.0 - p_off) * lo * lo
        g = pr.score_scale
        self.oracle = oracle_params(pool.bias / g, pool.sd / g, pr.field_noise_factor, shift,
                                    qvar, a.value_sd**2 + a.readiness_slope**2 * msq)  # fmt: skip

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
        # a visit's day, firm and looks are keyed by its identity (market/draws.py)
        plan = visit_plan(self.seed, s.market.buyer_rate, self.horizon, s.buyers.firms)
        times, firm = plan.times, plan.firm
        n_v = self.visits_run = times.size  # firm visits of the run (the benchmark's unit)
        k, k0 = self.looks_per_visit, self.scenario.buyers.attention
        looks = Looks(self.seed, k)  # slots k0 .. k-1: the brokers' extra looks
        items = (self.ist, self.ifl, self.quotes)  # the visit kernel's tuples (buyers.py)
        firms = (self.firms.interests, self.firms.interested, self.firms.budget, self.firms.scale)
        for c0 in range(0, n_v, GAP_CHUNK):
            c1 = min(n_v, c0 + GAP_CHUNK)
            u, z = looks.take(plan.band[c0:c1], plan.index[c0:c1])
            t = times[c0:c1]
            tl = t.tolist()
            fs = firm[c0:c1]
            self._reserve_entries((c1 - c0) * k)
            cat = self.catalog
            visits = (t, fs, u, z)
            entries = (self.ent_i, self.ent_f, self.n_ent, self.tab)
            trig = np.zeros(k, np.int64)
            j, m = 0, c1 - c0
            while j < m:
                dt = tl[j] - env.now
                if dt > 0:
                    yield env.timeout(dt)
                # this visit and the following ones that come before any other event
                j, day, n_trig = visit_batch(
                    j, env.now, env.peek(), visits, k0, items, entries,
                    (cat.buf, cat.meta, cat.slot, cat.accept), firms, self.par, trig,
                )  # fmt: skip
                if n_trig:  # the visit found holders seeking a partner: they negotiate now
                    dt = day - env.now
                    if dt > 0:
                        yield env.timeout(dt)
                    f = int(fs[j - 1])
                    for q in range(n_trig):
                        self.partner[int(trig[q])].succeed(f)

    def _reserve_entries(self, extra: int) -> None:
        """Room for ``extra`` more (item, firm) entries."""
        need = int(self.n_ent[0]) + extra
        cap = self.ent_i.shape[1]
        if need > cap:
            cap = max(need, 2 * cap)
            for name in ("ent_i", "ent_f"):
                old = getattr(self, name)
                new = np.zeros((old.shape[0], cap), old.dtype)
                new[:, : old.shape[1]] = old
                setattr(self, name, new)
        size = self.tab.shape[0]
        if 2 * need > size:
            while 2 * need > size:
                size *= 2
            tab = np.full((size, 2), -1, np.int64)
            B.rehash(self.tab, tab)
            self.tab = tab

    def _budgets(self):
        env = self.env
        period = self.scenario.buyers.budget_renewal_days
        f = self.firms
        while True:
            yield env.timeout(period)
            self.ledger.renew(env.now)
            f.budget[:] = f.budget0

    def _pricing(self):
        env = self.env
        refit_days = self.scenario.pricing.refit_days
        next_refit = refit_days
        while True:
            yield env.timeout(1.0)
            self.institutions.update(env.now, self.ach.registered, self.has_deal)
            if self.new_deals:
                idx = np.asarray(self.new_deals, np.int64)
                self.new_deals = []
                self.pricer.add_deals(features(self.ach_seen, idx), self.deal_cls[idx],
                                      self.deal_y[idx], self.post_mean[idx])  # fmt: skip
            if env.now >= next_refit:
                self._refit()
                next_refit += refit_days
            if self.pending:
                batch, self.pending = self.pending, []
                self._price(np.asarray(batch, np.int64))
                ev, self.priced_ev = self.priced_ev, env.event()
                ev.succeed()  # the holders resume in the order they asked

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
        q_len = self.n_quotes[idx]
        q_ach = np.repeat(np.arange(idx.size), q_len)
        lq = self.quotes[idx][np.arange(self.quotes.shape[1]) < q_len[:, None]]
        return r_ach, rv, sc, sm, q_ach, lq

    def _refit(self) -> None:
        idx = np.flatnonzero(self.priced)
        if idx.size == 0:
            return
        ev = self._evidence(idx)
        stats = None
        if self.pricer.estimator in ("mean_score", "median_quote"):
            r_ach, _, sc, _, q_ach, lq = ev
            stats = self.pricer.baseline_stats(idx.size, r_ach, sc, q_ach, lq)
        self.pricer.refit(features(self.ach_seen, idx), *ev, self.has_deal[idx],
                          self.deal_cls[idx], self.deal_y[idx], stats)  # fmt: skip

    def _price(self, idx: np.ndarray) -> None:
        pr = self.scenario.pricing
        ev = self._evidence(idx)
        mean, var = self.pricer.posterior(features(self.ach_seen, idx), *ev)
        listing, reserve = price_rules(
            mean,
            var,
            pr.reserve_rule,
            pr.reserve_level,
            pr.listing_rule,
            pr.listing_level,
            self.fit_sd,
            self.log_willingness,
        )
        now = self.env.now
        theta = self.ach.theta[idx]
        day = np.full(idx.size, now)
        self.errors.append(np.column_stack((day, mean - theta)))
        o_mean, _ = oracle_posterior(self.scenario.pricing.reviewers, self.oracle,
                                     self.oracle_prior[idx], *ev)  # fmt: skip
        self.oracle_errors.append(np.column_stack((day, o_mean - theta)))
        self.post_mean[idx] = mean
        self.loans.post_var[idx] = var
        self.list_price[idx] = listing
        self.reserve[idx] = reserve
        for i, r in zip(idx.tolist(), reserve.tolist(), strict=True):
            self.assessed[i] = r
        self.priced[idx] = True
        u = self.rng_policy.random(idx.size)
        self.exempt[idx] = self.channel.choose(idx, reserve, u)  # coin or weighed

    def _request_pricing(self, i: int) -> simpy.Event:
        self.pending.append(i)
        return self.priced_ev

    def _timeout(self, delay: float) -> simpy.Event:
        """A timeout of ``delay`` days, shared by the processes that ask for the same delay at
        the same instant (one event instead of one each).

        They resume in the order they asked, and at the same point among the other events of
        the end instant as with a timeout each: in the order the waits began.
        """
        key = (self.env.now, delay)
        ev = self._timeouts.get(key)
        if ev is None:
            ev = self._timeouts[key] = self.env.timeout(delay)
            ev.callbacks.append(lambda _ev: self._timeouts.pop(key))
        return ev

    # ------------------------------------------------------------------ an achievement

    def _markup(self, i: int, forced: bool) -> float:
        if forced:
            return 1.0
        return policy.markup(self.scenario, bool(self.ach.public_holder[i]), bool(self.exempt[i]),
                             self.institutions.markup_scale(i))  # fmt: skip

    def _life(self, i: int):
        env = self.env
        mech = self.scenario.mechanism
        forced_at, free_at = float(self.deadlines.forced[i]), float(self.deadlines.free[i])
        self.state[i] = B.REVIEW
        self.catalog.post(i, int(self.ach_field[i]))
        yield env.timeout(float(self.review_days[i]))  # review (and due diligence)
        self.catalog.remove(i)
        self.state[i] = B.OFF
        self.interest[i] = self.n_quoted[i]
        method = choose(
            mech.choice, int(self.interest[i]), mech.auction_min_interest,
            mech.negotiation_min_interest,
        )  # fmt: skip
        negotiations = rounds = 0
        while True:
            yield self._request_pricing(i)
            if (delay := self.channel.review(i, bool(self.exempt[i]))) > 0:
                yield self._timeout(delay)  # the exempt channel's compliance review
            relists = 0
            while True:
                now = env.now
                if now >= free_at:
                    self._free_license(i)
                    return
                forced = now >= forced_at
                m = AUCTION if forced else self.channel.cap(method, bool(self.exempt[i]))
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
            yield self._timeout(wait)
            if mech.choice == "rule" and env.now < forced_at:
                method = choose(
                    "rule", int(self.interest[i]), mech.auction_min_interest,
                    mech.negotiation_min_interest,
                )  # fmt: skip
                negotiations = 0

    def _open(self, i: int, state: int, price: float) -> None:
        self.state[i] = state
        self.price_now[i] = price
        self.epoch[i] += 1  # a new attempt: no offers yet
        self.catalog.post(i, int(self.ach_field[i]))

    def _close(self, i: int) -> np.ndarray:
        """Take item ``i`` off the catalogue; its offers, rows (firm, wtp, day) by day then firm."""
        cat = self.catalog
        offers = close_item(i, self.ist, self.ent_i, self.ent_f, self.willingness, cat.buf,
                            cat.meta, cat.slot, cat.item_field)  # fmt: skip
        self.interest[i] = offers.shape[0]
        return offers

    def _auction(self, i: int, relists: int, forced: bool):
        env = self.env
        mech = self.scenario.mechanism
        reserve = self.reserve[i] * self._markup(i, forced) * float(self.relist_step[relists])
        self._open(i, B.AUCTION, reserve)
        self.auctions_held += 1
        start = env.now
        yield self._timeout(mech.auction_days)
        offers = B.offers_of(i, self.ist, self.ent_i, self.ent_f, self.willingness)
        if offers.shape[0] == 0:  # no bid: unsold at the scheduled end
            self._close(i)
            self.rng_snipes.integers(0, 2**63)  # the key the kernel would have had
            return False
        if self.first_price is not None:  # sealed first price: bids close at the scheduled end
            return self._sealed(i, reserve, forced)
        auc = trades.OpenAuction(self.firms.strategy, offers, start, reserve, mech,
                                 self.rng_snipes)  # fmt: skip
        # open while late bids extend it (soft close); firms visiting meanwhile bid too
        while (end := auc.end(offers)) - env.now > 1e-9:
            yield env.timeout(end - env.now)
            offers = B.offers_of(i, self.ist, self.ent_i, self.ent_f, self.willingness)
        offers = self._close(i)
        f, price, fallbacks, voided = auc.clear(offers, self._spendable, self.void_unpaid)
        self.auction_fallbacks += fallbacks
        self.auction_voids += voided
        if f < 0:
            return False
        return self._auction_settle(i, f, price, forced, offers, reserve)

    def _auction_settle(self, i, f, price, forced, offers, reserve) -> bool:
        ok = self._settle(i, f, price, AUCTION, forced, offers.shape[0])
        if ok and price > 0:
            self.auctions_sold += 1
            if reserve > 0:
                self.reserve_premiums.append(price / reserve - 1.0)
            cls = self.firms.cls
            self.class_wins[cls[f]] += 1
            cnt = np.bincount(cls[offers[:, 0].astype(np.int64)], minlength=self.class_wins.size)
            self.class_excess -= cnt / cnt.sum()
            self.class_excess[cls[f]] += 1.0
        return ok

    def _sealed(self, i: int, reserve: float, forced: bool) -> bool:
        """Close item ``i``'s sealed first-price auction now: each bidder bids the
        equilibrium of the classes present (:class:`trades.FirstPriceBook`), capped by its
        budget when it bid; the clearing is :func:`auction_sim.core.clearing.clear_sealed`."""
        offers = self._close(i)
        firm = offers[:, 0].astype(np.int64)
        tie_u = self.rng_snipes.random(firm.size)
        common = float(self.ach_value[i]) * self.willingness
        w, price, fallbacks, voided = self.first_price.clear(
            offers[:, 1], self.firms.cls[firm], offers[:, 3], reserve, common, tie_u,
            lambda j: self._spendable(int(firm[j])), self.void_unpaid,
        )  # fmt: skip
        self.auction_fallbacks += fallbacks
        self.auction_voids += voided
        if w < 0:
            return False
        return self._auction_settle(i, int(firm[w]), price, forced, offers, reserve)

    def _spendable(self, f: int) -> float:
        """Largest price firm ``f`` can pay now (its budget less its premium share)."""
        return float(self.firms.budget[f]) * self.spend

    def _listing(self, i: int, relists: int):
        env = self.env
        mech = self.scenario.mechanism
        price = self.list_price[i] * self._markup(i, False) * float(self.relist_step[relists])
        self._open(i, B.LISTING, price)
        # listings that end at the same instant share one timeout and close together
        end = env.now + mech.listing_days
        batch = self._listings.get(end)
        if batch is None:
            ev = env.timeout(mech.listing_days)
            batch = self._listings[end] = _ListingBatch(ev, [], [], [])
            ev.callbacks.append(self._close_listings)  # before the holders' processes resume
        batch.items.append(i)
        batch.prices.append(price)
        batch.starts.append(env.now)
        yield batch.event
        return self._listing_sold.pop(i)

    def _close_listings(self, ev: simpy.Event) -> None:
        """Close the listings ending now, in the order they were opened.

        One listing kernel call for all of them with their buyers' limits capped by the
        budgets at the close; listings are then settled in order, and one whose buyers
        include a firm that has just paid for an earlier one is rerun with the budgets
        as they are then (as if it had closed alone, after the earlier ones).
        """
        mech = self.scenario.mechanism
        b = self._listings.pop(self.env.now)
        assert b.event is ev
        items = np.asarray(b.items, np.int64)
        self.catalog.remove_many(items)
        self.state[items] = B.OFF
        offsets, firm, wtp, day = gather_offers(items, self.ist, self.ent_i, self.ent_f,
                                                self.willingness)  # fmt: skip
        counts = np.diff(offsets)
        self.interest[items] = counts
        sold = self._listing_sold
        budget = self.firms.budget
        limits = np.minimum(wtp, budget[firm] * self.spend)
        arrival = day - np.repeat(np.asarray(b.starts), counts)
        prices = np.asarray(b.prices)
        has = np.flatnonzero(counts > 0)
        winner, pay = trades.listing_periods(
            prices[has], np.concatenate((offsets[:1], offsets[1:][has])), limits, arrival,
            mech.multi_intent, mech.listing_days,
        )  # fmt: skip
        sold.update(dict.fromkeys(b.items, False))
        paid = None  # firms that paid for a listing of this batch
        off = offsets.tolist()
        for h, w, p in zip(has.tolist(), winner.tolist(), pay.tolist(), strict=True):
            i, lo, hi = b.items[h], off[h], off[h + 1]
            if paid is not None and paid[firm[lo:hi]].any():
                lim = np.minimum(wtp[lo:hi], budget[firm[lo:hi]] * self.spend)
                w, p = trades.listing_period(float(prices[h]), lim, arrival[lo:hi],
                                              mech.multi_intent, mech.listing_days)  # fmt: skip
                w = lo + w if w >= 0 else -1
            if w < 0:
                continue
            f = int(firm[w])
            intents = int(np.count_nonzero(limits[lo:hi] >= prices[h]))
            sold[i] = ok = self._settle(i, f, p, LISTING, False, intents)
            if ok and p > 0:
                if paid is None:
                    paid = np.zeros(budget.size, bool)
                paid[f] = True

    def _negotiation(self, i: int):
        env = self.env
        mech = self.scenario.mechanism
        self._open(i, B.SEEKING, self.assessed[i])
        # a visiting firm that will pay the assessed reserve triggers `ev` with its index
        # (see _visits); at the deadline it is triggered with None
        ev = env.event()
        self.partner[i] = ev
        self._timeout(mech.negotiation_days).callbacks.append(partial(self._no_partner, i, ev))
        f = yield ev
        self.partner[i] = None
        self.catalog.remove(i)
        if f is None:
            self.state[i] = B.OFF
            self.interest[i] = 0
            return False
        self.interest[i] = 1
        f = int(f)
        self.state[i] = B.BUSY
        mk = self._markup(i, False)
        holder_value = self.reserve[i] * mk
        buyer_value = min(self._seen(i, f)[0] * self.willingness, self._spendable(f))
        out = trades.negotiate(
            buyer_value, holder_value, mech.buyer_open_share * buyer_value,
            self.list_price[i] * mk, mech.rounds, mech.first_mover,
            tactic_exponent(self.scenario.buyers.tactic, mech.boulware_e, mech.conceder_e),
            tactic_exponent(mech.holder_tactic, mech.boulware_e, mech.conceder_e),
        )  # fmt: skip
        yield self._timeout(out.rounds * mech.response_days)
        self.state[i] = B.OFF
        if not out.agreed or self._spendable(f) < out.price:
            return False
        return self._settle(i, f, out.price, NEGOTIATION, False, 1)

    def _no_partner(self, i: int, ev: simpy.Event, _deadline: simpy.Event) -> None:
        """The negotiation deadline of item ``i``: no firm came (``ev`` is still pending)."""
        if not ev.triggered:
            self.state[i] = B.OFF  # no visit may trigger it any more
            ev.succeed(None)

    def _settle(
        self, i: int, f: int, price: float, method: int, forced: bool, participants: int
    ) -> bool:
        if price > self._spendable(f):  # the buyer's budget moved since it bid: no deal
            return False
        p, s = self.scenario.policy, self.scenario
        com_rate = p.broker_commission if self.brokered[i] else 0.0
        fee, com, receipt = policy.split(price, s.market.platform_fee, com_rate)
        premium, subsidy, claim = self.insurance.deal(i, price)
        self._pay(f, price + (premium - subsidy) - claim)  # price, premium share, less claim
        seen_f, seen_best = self._seen(i, f)
        self.ledger.record(
            Contract(
                item=i, firm=f, day=self.env.now, price=price, fee=fee, commission=com,
                receipt=receipt, method=method, forced=forced, buyer_value=seen_f,
                best_value=seen_best, item_value=float(self.ach_value[i]),
                registered=float(self.ach.registered[i]), subsidy=subsidy, premium=premium,
                claim=claim,
            )
        )  # fmt: skip
        if price > 0:
            self.has_deal[i] = True
            self.deal_y[i] = math.log(price)
            mech = (AUCTION, LISTING, NEGOTIATION).index(method)
            self.deal_cls[i] = deal_class(mech, participants, self._markup(i, forced) > 1.0)
            self.price_errors.append((self.env.now, self.post_mean[i] - self.deal_y[i]))
            self.new_deals.append(i)
            self.loans.deal(i, float(self.post_mean[i]), float(self.ach_value[i]))
        self.state[i] = B.DONE
        return True

    def _pay(self, f: int, amount: float) -> None:
        """Firm ``f`` pays ``amount`` out of its budget (the ledger checks the array)."""
        self.firms.budget[f] -= amount

    def _seen(self, i: int, f: int) -> tuple[float, float]:
        """Value firm ``f`` drew for item ``i`` on first sight, and the best of all firms'."""
        return seen_values(i, f, self.ist, self.ent_i, self.ent_f)

    def _free_license(self, i: int) -> None:
        cands = self.firms_by_field[int(self.ach_field[i])]
        if cands.size == 0:
            return
        f = int(cands[int(self.rng_free.random() * cands.size)])
        v = float(self.ach_value[i])
        self.ledger.record(
            Contract(
                item=i, firm=f, day=self.env.now, price=0.0, fee=0.0, commission=0.0,
                receipt=0.0, method=FREE, forced=True, buyer_value=v, best_value=v,
                item_value=v, registered=float(self.ach.registered[i]), subsidy=0.0,
            )
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
        return monthly_rmse(self.price_errors, self.horizon)

    def monthly_value_error(self, oracle: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """RMSE of the posterior mean log value against theta, by month of pricing (of the
        oracle's posterior with ``oracle``)."""
        rows = self.oracle_errors if oracle else self.errors
        return monthly_rmse(np.concatenate(rows) if rows else [], self.horizon)

    def value_errors(self, oracle: bool = False) -> np.ndarray:
        """Rows ``(day, posterior mean - theta)`` of every pricing, shape ``(k, 2)``."""
        rows = self.oracle_errors if oracle else self.errors
        return np.concatenate(rows) if rows else np.zeros((0, 2))


def simulate(scenario: MarketScenario, seed: np.random.SeedSequence) -> MarketRun:
    """Build, run and check one market (raises ``LedgerError`` on a broken invariant)."""
    sim = MarketSim(scenario, seed)
    events = sim.run()
    sim.ledger.check(sim.firms.budget0, scenario.buyers.budget_renewal_days, sim.n)
    return MarketRun(sim, events)
