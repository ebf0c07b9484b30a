"""Naive twin of :mod:`auction_sim.core.bargaining`: one negotiation at a time, plain Python."""

from fractions import Fraction

import numpy as np

SELLER, BUYER = 0, 1


def alternating_offers(vb, vs, open_b, open_s, rounds, first_mover, e_b, e_s):
    """Offers ``o + (v - o) * (t / T) ** (1 / e)``; accept if at least as good as my next offer."""
    n = len(vb)
    agreed = np.zeros(n, bool)
    price = np.full(n, np.nan)
    rnd = np.full(n, -1, np.int64)

    def offer(v, o, e, t):
        return o + (v - o) * (t / rounds) ** (1.0 / e)

    for i in range(n):
        o_s = max(float(open_s[i]), float(vs[i]))
        o_b = min(float(open_b[i]), float(vb[i]))
        for t in range(rounds):
            seller_proposes = (t % 2 == 0) == (first_mover == SELLER)
            if seller_proposes:
                p = offer(vs[i], o_s, e_s, t)
                ok = p <= offer(vb[i], o_b, e_b, t + 1)  # buyer's next offer
            else:
                p = offer(vb[i], o_b, e_b, t)
                ok = p >= offer(vs[i], o_s, e_s, t + 1)  # seller's next offer
            if ok:
                agreed[i], price[i], rnd[i] = True, p, t
                break
    return agreed, price, rnd


def spe_seller_share_exact(rounds, first_mover, discount_buyer, discount_seller):
    """Backward induction in exact rational arithmetic, stated as the game tree.

    ``value(t)`` is the pair of (seller, buyer) shares of the surplus, measured at round
    ``t``, in the subgame that starts at round ``t``.  After the deadline both get 0; the
    proposer at ``t`` offers the responder exactly the responder's discounted continuation
    value (which the responder accepts) and keeps the rest.
    """
    d_b, d_s = Fraction(discount_buyer), Fraction(discount_seller)

    def value(t):
        if t == rounds:
            return Fraction(0), Fraction(0)
        cont_s, cont_b = value(t + 1)
        seller_proposes = (t % 2 == 0) == (first_mover == SELLER)
        if seller_proposes:
            give = d_b * cont_b
            return 1 - give, give
        give = d_s * cont_s
        return give, 1 - give

    return value(0)[0]


def split_surplus(vb, vs, share):
    agreed = vb >= vs
    price = np.where(agreed, vs + share * (vb - vs), np.nan)
    return agreed, price, np.where(agreed, 0, -1)


def k_double_auction(bids, asks, k):
    agreed = np.array([b >= a for b, a in zip(bids, asks, strict=True)])
    price = np.array(
        [k * b + (1 - k) * a if b >= a else np.nan for b, a in zip(bids, asks, strict=True)]
    )
    return agreed, price, np.where(agreed, 0, -1)
