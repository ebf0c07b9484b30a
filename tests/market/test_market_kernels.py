"""The market's numba kernels against naive Python references of the same rules.

* the catalogue (``Catalog``: per-field recency lists with lazy removal, compaction and
  the brokers' acceptance) against the list-based reference below, over random
  post / remove / look sequences;
* the visits (``buyers.visit_batch`` over array state: (item, firm) entries in a hash
  table, quotes, offers, negotiation triggers) against a dict-based reference visit,
  from the state of a market stopped mid-run;
* the batched close of the listings that end together (``MarketSim._close_listings``)
  against closing them one at a time, in order, each with the budgets left by the ones
  before.
"""

import math

import numpy as np
from market_small import scenario, seed

from auction_sim.market import buyers as B
from auction_sim.market import policy, trades
from auction_sim.market.catalog import Catalog
from auction_sim.market.choice import LISTING
from auction_sim.market.sim import MarketSim


class RefCatalog:
    """The catalogue's rules on plain lists (the reference)."""

    def __init__(self, n_fields, n_items, accept):
        self.lists = [[] for _ in range(n_fields)]
        self.live = [0] * n_fields
        self.slot = [-1] * n_items
        self.item_field = [0] * n_items
        self.accept = list(accept)

    def post(self, item, field):
        if self.slot[item] >= 0:
            self.remove(item)
        lst = self.lists[field]
        self.slot[item] = len(lst)
        self.item_field[item] = field
        lst.append(item)
        self.live[field] += 1

    def remove(self, item):
        if self.slot[item] < 0:
            return
        f = self.item_field[item]
        self.slot[item] = -1
        self.live[f] -= 1
        lst = self.lists[f]
        if len(lst) > 64 and 2 * self.live[f] < len(lst):
            kept = [i for k, i in enumerate(lst) if self.slot[i] == k]
            for k, i in enumerate(kept):
                self.slot[i] = k
            self.lists[f] = kept

    def look(self, field, u_rank, u_accept, log_q, extra):
        lst = self.lists[field]
        n = len(lst)
        if n == 0 or self.live[field] == 0:
            return -1
        k = int(math.log1p(-u_rank) / log_q)
        pos = n - 1 - (k % n)
        for _ in range(4):
            item = lst[pos]
            if self.slot[item] == pos:
                if extra and not u_accept < self.accept[item]:
                    return -1
                return item
            pos -= 1
            if pos < 0:
                pos = n - 1
        return -1


def _ref_catalog(cat: Catalog) -> RefCatalog:
    n_fields = cat.meta.shape[1]
    ref = RefCatalog(n_fields, cat.slot.size, cat.accept)
    ref.lists = [cat.buf[f, : cat.meta[0, f]].tolist() for f in range(n_fields)]
    ref.live = cat.meta[1].tolist()
    ref.slot = cat.slot.tolist()
    ref.item_field = cat.item_field.tolist()
    return ref


def test_catalog_matches_the_list_reference():
    rng = np.random.default_rng(5)
    n_fields, n_items = 3, 400
    boost = np.where(rng.random(n_items) < 0.3, 2.0, 1.0)
    cat = Catalog(n_fields, n_items, boost)
    ref = RefCatalog(n_fields, n_items, cat.accept)
    field = rng.integers(0, n_fields, n_items)
    looks = 0
    for _ in range(20_000):
        op = rng.random()
        i = int(rng.integers(0, n_items))
        if op < 0.45:
            cat.post(i, int(field[i]))
            ref.post(i, int(field[i]))
        elif op < 0.8:
            cat.remove(i)
            ref.remove(i)
        else:
            f, u1, u2 = int(rng.integers(0, n_fields)), rng.random(), rng.random()
            log_q = math.log1p(-1.0 / 10.0) if rng.random() < 0.8 else -math.inf
            extra = bool(rng.random() < 0.5)
            got = cat.look(f, u1, u2, log_q, extra)
            assert got == ref.look(f, u1, u2, log_q, extra)
            looks += got >= 0
    assert looks > 1000
    assert cat.slot.tolist() == ref.slot
    assert cat.meta[1].tolist() == ref.live
    for f in range(n_fields):
        assert cat.buf[f, : cat.meta[0, f]].tolist() == ref.lists[f]
    assert max(cat.meta[0]) > 64  # rows grew and were compacted on the way


def _ref_visit(m, f, now, u, z, n_plain):
    """One visit on dict state (the documented rules, as the pure-Python market had them)."""
    triggered = []
    for d in range(u.shape[0]):
        if u[d, 0] < m.explore:
            field = int(u[d, 1] * m.n_fields)
        else:
            field = m.firm_fields[f][int(u[d, 1] * len(m.firm_fields[f]))]
        item = m.catalog.look(field, u[d, 2], u[d, 3], m.log_q, d >= n_plain)
        if item < 0:
            continue
        st = m.state[item]
        if st in (B.DONE, B.OFF, B.BUSY):
            continue
        seen = m.seen[item]
        v = seen.get(f)
        if v is None:
            fit = math.exp(m.fit_sd * z[d, 0])
            if m.item_field[item] not in m.interested[f]:
                fit *= m.off_field_fit
            v = seen[f] = m.value[item] * fit
        w = v * m.wf
        if st == B.REVIEW:
            if u[d, 4] < m.inquire_prob and f not in m.quoted[item]:
                m.quoted[item].add(f)
                if len(m.quotes[item]) < m.max_quotes:
                    # the firm quotes from its own value (theta + log fit), shaded
                    m.quotes[item].append(math.log(v) + m.log_shade + m.inquiry_sd * z[d, 1])
        elif st == B.LISTING:
            if f not in m.offers[item]:
                m.offers[item][f] = (w, now)
        elif st == B.AUCTION:
            if min(w, m.budget[f] * m.spend) >= m.price_now[item]:
                m.offers[item][f] = (w, now)
        elif st == B.SEEKING:
            if w >= m.assessed[item]:
                m.state[item] = B.BUSY
                triggered.append(item)
    return triggered


class _Ref:
    """Dict state of a market, from its arrays."""

    def __init__(self, sim: MarketSim):
        p = sim.par
        self.explore, self.log_q, self.fit_sd = p[B.P_EXPLORE], p[B.P_LOG_Q], p[B.P_FIT_SD]
        self.off_field_fit, self.wf = p[B.P_OFF_FIELD], p[B.P_WILLING]
        self.inquire_prob = p[B.P_INQUIRE]
        self.spend = p[B.P_SPEND]
        self.log_shade, self.inquiry_sd = p[B.P_LOG_SHADE], p[B.P_INQ_SD]
        self.n_fields = sim.n_fields
        self.firm_fields = sim.firms.interests.tolist()
        self.interested = [set(x) for x in self.firm_fields]
        self.catalog = _ref_catalog(sim.catalog)
        self.state = sim.state.tolist()
        self.item_field = sim.ist[B.FIELD].tolist()
        self.value, self.theta = sim.ifl[B.VALUE].tolist(), sim.ifl[B.THETA].tolist()
        self.price_now, self.assessed = sim.price_now.tolist(), sim.assessed.tolist()
        self.budget = sim.firms.budget.tolist()
        self.max_quotes = sim.quotes.shape[1]
        self.seen, self.quoted, self.quotes, self.offers = _dicts(sim)


def _dicts(sim: MarketSim):
    n = sim.n
    seen = [{} for _ in range(n)]
    quoted = [set() for _ in range(n)]
    offers = [{} for _ in range(n)]
    ei, ef = sim.ent_i, sim.ent_f
    for i in range(n):
        e = sim.ist[B.HEAD, i]
        while e >= 0:
            f = int(ei[B.FIRM, e])
            seen[i][f] = float(ef[B.SEEN_VALUE, e])
            if ei[B.QUOTED, e]:
                quoted[i].add(f)
            if ei[B.OFFER_EPOCH, e] == sim.epoch[i]:
                offers[i][f] = (seen[i][f] * sim.willingness, float(ef[B.OFFER_TIME, e]))
            e = ei[B.NEXT, e]
    quotes = [sim.quotes[i, : sim.n_quotes[i]].tolist() for i in range(n)]
    return seen, quoted, quotes, offers


def test_visit_kernel_matches_the_dict_reference():
    s = scenario(policy__broker_share=0.5, market__horizon_days=120.0)
    stages = {B.REVIEW, B.LISTING, B.AUCTION, B.SEEKING}
    for r in range(20, 400):  # the first seed whose day 60 has items in every stage
        sim = MarketSim(s, seed(r))
        for k in (sim._registrations, sim._visits, sim._pricing, sim._budgets):
            sim.env.process(k())
        sim.env.run(until=60.0)  # a market mid-run: items in every stage, firms that saw them
        if stages <= set(sim.state.tolist()):
            break
    ref = _Ref(sim)
    assert stages <= set(ref.state)
    rng = np.random.default_rng(3)
    m, k, k0 = 3000, sim.looks_per_visit, s.buyers.attention
    times = np.sort(rng.uniform(70.0, 71.0, m))
    firms = rng.integers(0, s.buyers.firms, m)
    u = rng.random((m, k, B.N_UNIFORMS))
    z = rng.standard_normal((m, k, B.N_NORMALS))
    want = []
    for j in range(m):
        want += [(j, it) for it in _ref_visit(ref, int(firms[j]), times[j], u[j], z[j], k0)]
    got = []
    sim._reserve_entries(m * k)
    trig = np.zeros(k, np.int64)
    cat = sim.catalog
    j, now = 0, float(times[0])
    while j < m:
        j, now, n_trig = B.visit_batch(
            j, now, math.inf, (times, firms, u, z), k0, (sim.ist, sim.ifl, sim.quotes),
            (sim.ent_i, sim.ent_f, sim.n_ent, sim.tab), (cat.buf, cat.meta, cat.slot, cat.accept),
            (sim.firms.interests, sim.firms.interested, sim.firms.budget, sim.firms.scale),
            sim.par, trig,
        )  # fmt: skip
        got += [(j - 1, int(it)) for it in trig[:n_trig]]
        if j < m:
            now = float(times[j])
    assert got == want and len(got) > 0
    assert sim.state.tolist() == ref.state
    seen, quoted, quotes, offers = _dicts(sim)
    assert seen == ref.seen and quoted == ref.quoted and quotes == ref.quotes
    assert offers == ref.offers
    assert sim.n_quoted.tolist() == [len(q) for q in ref.quoted]
    assert sum(len(o) for o in offers) > 0 and sum(len(q) for q in quotes) > 0
    for i in np.flatnonzero(sim.state == B.AUCTION)[:50].tolist():  # offers_of: by day, firm
        rows = B.offers_of(i, sim.ist, sim.ent_i, sim.ent_f, sim.willingness)
        expect = sorted(((f, w, t) for f, (w, t) in ref.offers[i].items()),
                        key=lambda r: (r[2], r[0]))  # fmt: skip
        assert [tuple(r[:3]) for r in rows.tolist()] == [(float(f), w, t) for f, w, t in expect]


class _SequentialCheck(MarketSim):
    """Checks every batched listing close against closing the listings one at a time."""

    checked = reran = 0

    def _close_listings(self, ev):
        b = self._listings[self.env.now]
        budget = self.firms.budget.copy()
        mech = self.scenario.mechanism
        want = {}
        paid = set()
        for i, price, start in zip(b.items, b.prices, b.starts, strict=True):
            rows = B.offers_of(i, self.ist, self.ent_i, self.ent_f, self.willingness)
            firm = rows[:, 0].astype(np.int64)
            w, p = trades.listing_period(price, np.minimum(rows[:, 1], budget[firm] * self.spend),
                                          rows[:, 2] - start, mech.multi_intent,
                                          mech.listing_days)  # fmt: skip
            ok = w >= 0 and p <= budget[firm[w]] * self.spend
            if ok:
                prem, sub = policy.premium_split(
                    p, self.premium_rate, self.scenario.policy.insurance_subsidy
                )
                budget[firm[w]] -= p + (prem - sub)
                _SequentialCheck.reran += bool(paid & set(firm.tolist()))
                paid.add(int(firm[w]))
            want[i] = (ok, int(firm[w]) if ok else -1, p if ok else 0.0)
        n_rows = len(self.ledger.rows)
        super()._close_listings(ev)
        new = {r[0]: (r[1], r[3]) for r in self.ledger.rows[n_rows:]}
        for i, (ok, f, p) in want.items():
            assert self._listing_sold[i] == ok
            assert new.get(i) == ((f, p) if ok else None)
        np.testing.assert_array_equal(self.firms.budget, budget)
        _SequentialCheck.checked += len(want)


def test_listings_closing_together_are_settled_as_if_one_after_another():
    # few firms with small budgets, all in one field: simultaneous listings share buyers,
    # and a firm that paid for one must not pay beyond its budget for the next
    s = scenario(
        mechanism__choice="listing", market__fields=1, buyers__firms=25, market__buyer_rate=40.0,
        buyers__budget={"dist": "lognormal", "mean_log": 0.5, "sd_log": 0.5},
        market__horizon_days=200.0, mechanism__multi_intent="auction",
    )  # fmt: skip
    for r in range(3):
        sim = _SequentialCheck(s, seed(30 + r))
        sim.run()
        a = sim.ledger.arrays()
        assert np.all(a["method"][a["price"] > 0] == LISTING)
    assert _SequentialCheck.checked > 300
    assert _SequentialCheck.reran > 0  # the budget-conflict path was exercised
