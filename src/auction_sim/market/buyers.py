"""Firms: the buyers that visit the platform.

A firm has field interests, a budget per renewal period, a bidding strategy, a
negotiation tactic and a size class (``[[buyers.classes]]``; one class of scale 1 by
default).  Its value for an item is ``item value x fit x class scale`` with
``log fit ~ N(0, fit_sd_log**2)`` (times ``off_field_fit`` outside its interests);
what it will pay is that value less its uninsured share of the adoption-risk
premium (:func:`auction_sim.market.policy.risk_factor`), and never more than the
budget it has left.

A visit is ``attention`` looks into the catalogue (``Catalog.look``) ranked by
field match and recency; each looked-at item gets one action that depends on the
item's stage: an inquiry (quote) while it is under review, an intent on a listing,
a bid in a timed auction, or a negotiation opened with a holder seeking a partner
(the rules are in :func:`visit_batch`).

Visits run in numba (:func:`visit_batch`) over the market's array state: per item its
stage, the firms that have seen it with the value each drew on first sight (entries
found through a hash table on (item, firm)), its quotes and the offers of its open
attempt.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from ..core.timed import INCREMENTAL, PROXY, SNIPER  # the timed-auction kernel's codes
from .catalog import _remove, look

__all__ = ["Firms", "PROXY", "SNIPER", "INCREMENTAL", "TACTICS", "visit_batch"]

TACTICS = ("boulware", "linear", "conceder")


class Firms(NamedTuple):
    """The firm population (drawn by :func:`auction_sim.market.draws.draw_firms`); arrays
    have shape ``(n_firms,)`` unless stated."""

    interests: np.ndarray  # int64, shape (n_firms, n_interests): fields of interest
    interested: np.ndarray  # bool, shape (n_firms, n_fields)
    budget0: np.ndarray  # float64, budget per renewal period (currency)
    budget: np.ndarray  # float64, budget left in the current period (mutable)
    strategy: np.ndarray  # int64, PROXY | SNIPER | INCREMENTAL
    cls: np.ndarray  # int64, size class (index into [[buyers.classes]], 0 without classes)
    scale: np.ndarray  # float64, the class's value_scale (1 without classes)


# Stages of an item, as seen by a visiting firm (set by the market's processes).
OFF, REVIEW, LISTING, AUCTION, SEEKING, BUSY, DONE = range(7)

N_UNIFORMS = 5  # per look: explore?, field, recency rank, broker acceptance, action
N_NORMALS = 2  # per look: log fit, quote noise

# Rows of the market's per-item integer state ``ist`` (shape (N_IST, n_items)).
STATE, HEAD, EPOCH, N_QUOTES, N_QUOTED, FIELD = range(6)
N_IST = 6
# Rows of the per-item float state ``ifl`` (shape (N_IFL, n_items)).
VALUE, THETA, PRICE_NOW, ASSESSED = range(4)
N_IFL = 4
# Rows of the (item, firm) entries: ``ent_i`` (FIRM, NEXT, OFFER_EPOCH, QUOTED) and
# ``ent_f`` (SEEN_VALUE, OFFER_TIME, BID_CAP: an auction bid's limit, capped by the budget the
# firm had when it bid).  An item's entries are a linked list from
# ``ist[HEAD, item]`` (newest first): the firms that have seen it, with the value each
# drew on first sight; an entry is an offer in the item's open attempt when its
# OFFER_EPOCH equals ``ist[EPOCH, item]`` (the epoch moves on at every open and close).
FIRM, NEXT, OFFER_EPOCH, QUOTED = range(4)
N_ENT_I = 4
SEEN_VALUE, OFFER_TIME, BID_CAP = range(3)
N_ENT_F = 3
# The entries are also found by an open-addressing hash table ``tab`` of shape (size, 2),
# size a power of two kept at least twice the entries: rows (key, entry), key
# ``item * n_firms + firm``, -1 when free; linear probing from the key's Fibonacci hash.
_FIB = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True)
def _shift(tab):
    bits = 1
    while (1 << bits) < tab.shape[0]:
        bits += 1
    return np.uint64(64 - bits)


@numba.njit(cache=True)
def _slot(tab, key, shift):
    """Row of ``key`` in ``tab`` (``shift = _shift(tab)``), or the free row where it would go."""
    mask = tab.shape[0] - 1
    p = np.int64((np.uint64(key) * _FIB) >> shift)
    while tab[p, 0] != key and tab[p, 0] != -1:
        p = (p + 1) & mask
    return p


@numba.njit(cache=True)
def rehash(old, new):
    """Insert the rows of table ``old`` into the (free) table ``new``."""
    shift = _shift(new)
    for r in range(old.shape[0]):
        if old[r, 0] != -1:
            p = _slot(new, old[r, 0], shift)
            new[p, 0] = old[r, 0]
            new[p, 1] = old[r, 1]


# Entries of the behaviour parameters ``par`` read by the visit kernel.
P_EXPLORE, P_LOG_Q, P_FIT_SD, P_OFF_FIELD, P_WILLING, P_INQUIRE, P_LOG_SHADE, P_INQ_SD = range(8)
P_SPEND = 8  # largest price per unit of budget (policy.spend_factor: the firm's premium share)
N_PAR = 9


# The visit kernel takes the market's arrays in four tuples (numba unpacks them at no cost;
# plain tuples, not NamedTuples, whose typing at each call costs more):
#   items   = (ist, ifl, quotes)           per-item state and quotes
#   entries = (ent_i, ent_f, cnt, tab)     (item, firm) entries, their count, hash table
#   catalog = (buf, meta, slot, accept)    Catalog arrays (buf may grow between calls)
#   firms   = (interests, interested, budget, scale)


@numba.njit(cache=True)
def _visit(f, now, u, z, n_plain, items, entries, catalog, firms, par, trig):
    """One visit of firm ``f`` at day ``now``; returns how many negotiations it opened
    (their items in ``trig[:k]``)."""
    ist, ifl, quotes = items
    ent_i, ent_f, cnt, tab = entries
    cat_buf, cat_meta, cat_slot, accept = catalog
    firm_fields, interested, budget, scale = firms
    n_fields = interested.shape[1]
    n_int = firm_fields.shape[1]
    max_quotes = quotes.shape[1]
    explore = par[P_EXPLORE]
    wf = par[P_WILLING]
    n_trig = 0
    shift = _shift(tab)
    for d in range(u.shape[0]):
        if u[d, 0] < explore:
            field = int(u[d, 1] * n_fields)
        else:
            field = firm_fields[f, int(u[d, 1] * n_int)]
        item = look(cat_buf, cat_meta, cat_slot, accept, field, u[d, 2], u[d, 3], par[P_LOG_Q],
                    d >= n_plain)  # fmt: skip
        if item < 0:
            continue
        st = ist[STATE, item]
        if st == DONE or st == OFF or st == BUSY:
            continue
        key = item * budget.shape[0] + f
        p = _slot(tab, key, shift)
        e = tab[p, 1] if tab[p, 0] == key else -1
        if e < 0:  # first sight: the firm's value for the item
            fit = math.exp(par[P_FIT_SD] * z[d, 0])
            if not interested[f, ist[FIELD, item]]:
                fit *= par[P_OFF_FIELD]
            e = cnt[0]
            cnt[0] = e + 1
            ent_i[FIRM, e] = f
            ent_i[NEXT, e] = ist[HEAD, item]
            ent_i[OFFER_EPOCH, e] = -1
            ent_i[QUOTED, e] = 0
            ent_f[SEEN_VALUE, e] = ifl[VALUE, item] * fit * scale[f]
            ent_f[OFFER_TIME, e] = 0.0
            ist[HEAD, item] = e
            tab[p, 0] = key
            tab[p, 1] = e
        w = ent_f[SEEN_VALUE, e] * wf
        if st == REVIEW:
            if u[d, 4] < par[P_INQUIRE] and ent_i[QUOTED, e] == 0:
                ent_i[QUOTED, e] = 1
                ist[N_QUOTED, item] += 1
                nq = ist[N_QUOTES, item]
                if nq < max_quotes:
                    # the firm quotes from its own value per unit of its class scale
                    # (theta + log fit), shaded
                    quotes[item, nq] = (math.log(ent_f[SEEN_VALUE, e] / scale[f])
                                        + par[P_LOG_SHADE]
                                        + par[P_INQ_SD] * z[d, 1])  # fmt: skip
                    ist[N_QUOTES, item] = nq + 1
        elif st == LISTING:
            if ent_i[OFFER_EPOCH, e] != ist[EPOCH, item]:  # first look counts
                ent_i[OFFER_EPOCH, e] = ist[EPOCH, item]
                ent_f[OFFER_TIME, e] = now
        elif st == AUCTION:
            cap = min(w, budget[f] * par[P_SPEND])
            if cap >= ifl[PRICE_NOW, item]:
                ent_i[OFFER_EPOCH, e] = ist[EPOCH, item]
                ent_f[OFFER_TIME, e] = now
                ent_f[BID_CAP, e] = cap
        elif st == SEEKING:
            if w >= ifl[ASSESSED, item]:
                ist[STATE, item] = BUSY
                trig[n_trig] = item
                n_trig += 1
    return n_trig


@numba.njit(cache=True)
def visit_batch(j, now, t_limit, visits, n_plain, items, entries, catalog, firms, par, trig):
    """Visits ``j, j + 1, ...`` of a chunk, the first at day ``now``, while no other SimPy
    event comes first: visit ``k > j`` runs at ``now + (times[k] - now)`` (SimPy's clock
    arithmetic) if that is before ``t_limit`` (the next scheduled event).  Stops after a
    visit that opened negotiations (the caller triggers the holders' events at that day).

    ``visits = (times, firm, u, z)`` are the chunk's visits; ``items``, ``entries``,
    ``catalog`` and ``firms`` are the tuples of arrays described above.

    A visit of firm ``f`` is its looks (``u[k]``: 5 uniforms per look, ``z[k]``: 2 standard
    normals per look; the looks from ``n_plain`` on are a broker's extra looks, see
    :class:`~auction_sim.market.catalog.Catalog`) and the action on each item found:

    * under review: with probability ``inquire_prob`` the firm sends one quote (once per
      firm and item; the first ``quotes.shape[1]`` enter the estimate),
      from its own value, ``log q = theta + log fit - shading + inquiry_sd * z`` with
      ``shading = -log(1 - pricing.shading)`` (DESIGN §6);
    * listed: the firm is one of the period's buyers (first look counts); the listing
      kernel registers an intent if what it will pay, capped by its budget at the end
      of the period, reaches the listing price;
    * in a timed auction (its open window or a soft-close extension): a bid, its limit
      capped by the budget it has then (``budget x P_SPEND``: price plus its premium
      share), if that reaches the reserve (a later look moves the bid's time and cap);
    * seeking a negotiation partner: opens the negotiation if what it will pay
      reaches the platform's assessed reserve (without any liability markup).

    What a firm will pay is its value (item value x fit x class scale, drawn on first
    sight; a quote leaves the class scale out: it reports the item's worth to the firm's
    trade, so the platform's estimate of theta does not depend on who inquires) times the
    willingness factor.  Returns ``(next visit, day of the last visit, negotiations opened
    by it)``; the items of those negotiations are in ``trig``.
    """
    times, firm, u, z = visits
    m = times.shape[0]
    first = True
    while j < m:
        if not first:
            dt = times[j] - now
            if dt > 0:
                if now + dt >= t_limit:
                    break
                now = now + dt
        first = False
        k = _visit(firm[j], now, u[j], z[j], n_plain, items, entries, catalog, firms, par, trig)
        j += 1
        if k:
            return j, now, k
    return j, now, 0


@numba.njit(cache=True)
def _n_offers(item, ist, ent_i):
    """Number of offers in ``item``'s open attempt."""
    ep = ist[EPOCH, item]
    c = 0
    e = ist[HEAD, item]
    while e >= 0:
        if ent_i[OFFER_EPOCH, e] == ep:
            c += 1
        e = ent_i[NEXT, e]
    return c


@numba.njit(cache=True)
def _put_offers(item, ist, ent_i, ent_f, wf, firm, wtp, day, cap, o):
    """Write the offers of ``item``'s open attempt into ``firm``, ``wtp`` (what each will
    pay), ``day`` and ``cap`` (an auction bid's budget-capped limit) from index ``o`` on,
    sorted by day then firm (insertion sort)."""
    ep = ist[EPOCH, item]
    c = 0
    e = ist[HEAD, item]
    while e >= 0:
        if ent_i[OFFER_EPOCH, e] == ep:
            f, t = ent_i[FIRM, e], ent_f[OFFER_TIME, e]
            p = o + c
            while p > o and (day[p - 1] > t or (day[p - 1] == t and firm[p - 1] > f)):
                firm[p] = firm[p - 1]
                wtp[p] = wtp[p - 1]
                day[p] = day[p - 1]
                cap[p] = cap[p - 1]
                p -= 1
            firm[p] = f
            wtp[p] = ent_f[SEEN_VALUE, e] * wf
            day[p] = t
            cap[p] = ent_f[BID_CAP, e]
            c += 1
        e = ent_i[NEXT, e]


@numba.njit(cache=True)
def offers_of(item, ist, ent_i, ent_f, wf):
    """The open attempt's offers of ``item``: rows (firm, what it will pay, day, bid cap),
    by day then firm (the bid cap is meaningful for auction bids only)."""
    k = _n_offers(item, ist, ent_i)
    firm = np.empty(k, np.int64)
    wtp = np.empty(k)
    day = np.empty(k)
    cap = np.empty(k)
    _put_offers(item, ist, ent_i, ent_f, wf, firm, wtp, day, cap, 0)
    out = np.empty((k, 4))
    out[:, 0] = firm
    out[:, 1] = wtp
    out[:, 2] = day
    out[:, 3] = cap
    return out


@numba.njit(cache=True)
def close_item(item, ist, ent_i, ent_f, wf, cat_buf, cat_meta, cat_slot, cat_field):
    """Close ``item``'s open attempt: off the catalogue and OFF, its offers (rows as in
    :func:`offers_of`) returned and forgotten."""
    _remove(cat_buf, cat_meta, cat_slot, cat_field, item)
    ist[STATE, item] = OFF
    out = offers_of(item, ist, ent_i, ent_f, wf)
    ist[EPOCH, item] += 1
    return out


@numba.njit(cache=True)
def seen_values(item, f, ist, ent_i, ent_f):
    """Value firm ``f`` drew for ``item`` (NaN if it never saw it), and the best of all."""
    v = np.nan
    best = -np.inf
    e = ist[HEAD, item]
    while e >= 0:
        x = ent_f[SEEN_VALUE, e]
        if ent_i[FIRM, e] == f:
            v = x
        if x > best:
            best = x
        e = ent_i[NEXT, e]
    return v, best


@numba.njit(cache=True)
def gather_offers(items, ist, ent_i, ent_f, wf):
    """The open attempts' offers of ``items``, closing them (their epochs move on).

    Returns CSR ``offsets`` of shape ``(len(items) + 1,)`` and flat ``firm``, ``wtp`` (what
    each will pay), ``day``; each item's offers by day then firm.
    """
    n = items.shape[0]
    offsets = np.zeros(n + 1, np.int64)
    for k in range(n):
        offsets[k + 1] = offsets[k] + _n_offers(items[k], ist, ent_i)
    m = offsets[n]
    firm = np.empty(m, np.int64)
    wtp = np.empty(m)
    day = np.empty(m)
    cap = np.empty(m)
    for k in range(n):
        _put_offers(items[k], ist, ent_i, ent_f, wf, firm, wtp, day, cap, offsets[k])
        ist[EPOCH, items[k]] += 1
    return offsets, firm, wtp, day
