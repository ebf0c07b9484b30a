"""Batch bilateral bargaining (numba kernels): alternating offers, k-double auction, Nash.

One buyer and one seller per instance.  Every instance array has shape
``(n_negotiations,)`` (float64, currency units); every kernel fills a
:class:`BargainingResult`: ``agreed`` (bool), ``price`` (float64, NaN without
agreement) and ``round`` (int64, 0-based round of agreement, -1 without agreement).

Rules (the single implementation used by the laboratory, the market and the benchmarks):

* **Alternating offers, time-dependent tactics** (Faratin, Sierra & Jennings 1998).
  Rounds ``t = 0 .. rounds-1``; ``first_mover`` proposes at even rounds, the other
  side at odd rounds; the deadline is ``T = rounds``.  A side with value ``v`` and
  opening offer ``o`` offers at round ``t``::

      offer(t) = o + (v - o) * (t / T) ** (1 / e)          (concession_curve)

  so it starts at its opening offer and would reach its reservation value ``v`` at
  the deadline ``T``; ``e < 1`` is boulware, ``e = 1`` linear, ``e > 1`` conceder and
  ``e = inf`` (truthful) offers ``v`` from the start.  The last offer is made at
  ``T - 1``, one step short of full concession, so a shorter deadline leaves wider
  gaps unbridged.  The seller's opening demand is clamped to at least its value,
  the buyer's opening offer to at most its value.
  **Acceptance** (AC-next): the responder accepts an offer at least as good for it
  as the offer it would make itself at the next round (``price <= offer_b(t+1)`` for
  the buyer, ``price >= offer_s(t+1)`` for the seller); at the last round its
  "next offer" is its reservation value.  The price is the accepted offer.
* **Alternating offers, subgame-perfect equilibrium** under complete information:
  backward induction over the finite horizon.  The proposer of the last round takes
  the whole surplus; at round ``t`` the proposer keeps ``x_t = 1 - d_r * x_{t+1}``,
  where ``d_r`` is the responder's discount factor.  Agreement is immediate (round 0)
  at ``price = v_s + share_s * (v_b - v_s)`` whenever ``v_b >= v_s``.  As
  ``rounds -> inf`` with the seller first, ``share_s -> (1 - d_b) / (1 - d_s d_b)``
  (Rubinstein 1982).
* **k-double auction**: sealed bid and ask; trade iff ``bid >= ask`` at
  ``price = k * bid + (1 - k) * ask`` (round 0).
* **Nash bargaining solution** with seller bargaining power ``a``: trade iff
  ``v_b >= v_s``, at ``price = v_s + a * (v_b - v_s)``, the maximiser of
  ``(p - v_s)**a * (v_b - p)**(1 - a)`` (round 0).

Comparisons are exact (no fastmath).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

__all__ = [
    "SELLER",
    "BUYER",
    "BargainingResult",
    "concession_curve",
    "spe_seller_share",
    "alternating_offers",
    "alternating_offers_spe",
    "k_double_auction",
    "nash_solution",
]

SELLER = 0
BUYER = 1

_PARALLEL_MIN_WORK = 2_000_000  # negotiations x rounds below which threads do not pay


class BargainingResult(NamedTuple):
    """Outcome of a batch of negotiations; every array has shape ``(n_negotiations,)``."""

    agreed: np.ndarray  # bool
    price: np.ndarray  # float64, currency; NaN without agreement
    round: np.ndarray  # int64, 0-based round of agreement; -1 without agreement


def _empty(n: int) -> BargainingResult:
    return BargainingResult(np.empty(n, np.bool_), np.empty(n), np.empty(n, np.int64))


def _pair(buyer_values, seller_values) -> tuple[np.ndarray, np.ndarray]:
    vb = np.ascontiguousarray(buyer_values, dtype=np.float64)
    vs = np.ascontiguousarray(seller_values, dtype=np.float64)
    if vb.ndim != 1 or vb.shape != vs.shape:
        raise ValueError(
            f"buyer and seller values must have the same 1-d shape, got {vb.shape} and {vs.shape}"
        )
    if not (np.isfinite(vb).all() and np.isfinite(vs).all()):
        raise ValueError("buyer and seller values must be finite")
    return vb, vs


def _check_first_mover(first_mover: int) -> int:
    if first_mover not in (SELLER, BUYER):
        raise ValueError(f"first_mover must be SELLER (0) or BUYER (1), got {first_mover!r}")
    return int(first_mover)


def _check_rounds(rounds: int) -> int:
    if int(rounds) != rounds or rounds < 1:
        raise ValueError(f"rounds must be an integer >= 1, got {rounds!r}")
    return int(rounds)


# --------------------------------------------------------------------------- tactics


def concession_curve(rounds: int, e: float) -> np.ndarray:
    """Share of the way from the opening offer to the reservation value, by round.

    Parameters
    ----------
    rounds : int
        The deadline ``T`` (>= 1).
    e : float
        Concession exponent (> 0; ``inf`` for a side that offers its value at once).

    Returns
    -------
    ndarray, shape (rounds + 1,)
        ``(t / T) ** (1 / e)`` for ``t = 0 .. T``; the last entry is 1 (the reservation
        value, used as the "next offer" at the deadline).
    """
    rounds = _check_rounds(rounds)
    e = float(e)
    if not e > 0:
        raise ValueError(f"the concession exponent must be > 0, got {e!r}")
    t = np.arange(rounds + 1, dtype=np.float64) / rounds
    # monotone by construction; the accumulate guards against a libm pow off by an ulp
    return np.maximum.accumulate(t ** (1.0 / e))


@njit(cache=True, inline="always")
def _first_accept(t0, n, sign, init_p, span_p, conc_p, init_r, span_r, conc_r):
    """First ``j < n`` whose proposal at round ``t0 + 2 j`` is accepted (``n`` if none).

    The proposer offers ``init_p + span_p * conc_p[t]``; the responder accepts when that
    is at least as good as its next offer ``init_r + span_r * conc_r[t + 1]``;
    ``sign = +1`` for a seller proposing (accept iff offer <= buyer's next offer) and
    ``-1`` for a buyer proposing (accept iff offer >= seller's next offer).  Offers move
    monotonically towards the reservation values, so acceptance is monotone in ``t``:
    a branch-free lower-bound binary search finds the first accepted round exactly.
    """
    lo = 0
    length = n
    while length > 0:
        half = length >> 1
        mid = lo + half
        t = t0 + 2 * mid
        ok = sign * (init_p + span_p * conc_p[t]) <= sign * (init_r + span_r * conc_r[t + 1])
        lo = lo if ok else mid + 1
        length = half if ok else length - half - 1
    return lo


@njit(cache=True, inline="always")
def offers_row(
    i, vb, vs, open_b, open_s, conc_b, conc_s, rounds, first_mover, agreed, price, rnd
) -> None:
    """Negotiation ``i`` under time-dependent tactics into ``agreed``, ``price``, ``rnd``.

    Equivalent to playing the rounds one by one (the naive twin does exactly that), but
    finds each side's first accepted proposal by binary search: O(log rounds) per pair.
    """
    v_b = vb[i]
    v_s = vs[i]
    init_s = open_s[i] if open_s[i] > v_s else v_s
    init_b = open_b[i] if open_b[i] < v_b else v_b
    span_s = v_s - init_s  # <= 0: the seller comes down
    span_b = v_b - init_b  # >= 0: the buyer goes up
    n_first = (rounds + 1) // 2  # proposals of the first mover (rounds 0, 2, ...)
    n_second = rounds // 2  # proposals of the other side (rounds 1, 3, ...)
    never = rounds + 1
    if first_mover == SELLER:
        j = _first_accept(0, n_first, 1.0, init_s, span_s, conc_s, init_b, span_b, conc_b)
        ts = 2 * j if j < n_first else never
        j = _first_accept(1, n_second, -1.0, init_b, span_b, conc_b, init_s, span_s, conc_s)
        tb = 2 * j + 1 if j < n_second else never
    else:
        j = _first_accept(0, n_first, -1.0, init_b, span_b, conc_b, init_s, span_s, conc_s)
        tb = 2 * j if j < n_first else never
        j = _first_accept(1, n_second, 1.0, init_s, span_s, conc_s, init_b, span_b, conc_b)
        ts = 2 * j + 1 if j < n_second else never
    if ts < tb:
        agreed[i] = True
        price[i] = init_s + span_s * conc_s[ts]
        rnd[i] = ts
    elif tb < never:
        agreed[i] = True
        price[i] = init_b + span_b * conc_b[tb]
        rnd[i] = tb
    else:
        agreed[i] = False
        price[i] = np.nan
        rnd[i] = -1


@njit(cache=True)
def _offers_serial(vb, vs, open_b, open_s, conc_b, conc_s, rounds, first_mover, agreed, price, rnd):
    for i in range(vb.shape[0]):
        offers_row(
            i, vb, vs, open_b, open_s, conc_b, conc_s, rounds, first_mover, agreed, price, rnd
        )


@njit(cache=True, parallel=True)
def _offers_parallel(
    vb, vs, open_b, open_s, conc_b, conc_s, rounds, first_mover, agreed, price, rnd
):
    for i in prange(vb.shape[0]):
        offers_row(
            i, vb, vs, open_b, open_s, conc_b, conc_s, rounds, first_mover, agreed, price, rnd
        )


def alternating_offers(
    buyer_values: np.ndarray,
    seller_values: np.ndarray,
    buyer_open: np.ndarray | float,
    seller_open: np.ndarray | float,
    rounds: int,
    first_mover: int,
    e_buyer: float,
    e_seller: float,
    *,
    parallel: bool | None = None,
    out: BargainingResult | None = None,
) -> BargainingResult:
    """Alternating offers under time-dependent tactics for ``n_negotiations`` pairs at once.

    Parameters
    ----------
    buyer_values, seller_values : ndarray, shape (n_negotiations,), float64
        Reservation values (currency).
    buyer_open, seller_open : ndarray of shape (n_negotiations,) or float
        Opening offers (currency): clamped to at most the buyer's value and at least the
        seller's value.
    rounds : int
        The deadline in rounds (>= 1).
    first_mover : int
        ``SELLER`` or ``BUYER``.
    e_buyer, e_seller : float
        Concession exponents (> 0, ``inf`` = offer one's value at once).
    parallel : bool, optional
        Use the multi-threaded driver; by default when ``n_negotiations * rounds`` is at
        least 2e6.  Results are identical either way.
    out : BargainingResult, optional
        Preallocated outputs to fill.

    Returns
    -------
    BargainingResult
    """
    vb, vs = _pair(buyer_values, seller_values)
    n = vb.shape[0]
    rounds = _check_rounds(rounds)
    first_mover = _check_first_mover(first_mover)
    open_b = np.ascontiguousarray(np.broadcast_to(np.asarray(buyer_open, np.float64), (n,)))
    open_s = np.ascontiguousarray(np.broadcast_to(np.asarray(seller_open, np.float64), (n,)))
    if np.isnan(open_b).any() or np.isnan(open_s).any():
        raise ValueError("opening offers must not be NaN")
    conc_b = concession_curve(rounds, e_buyer)
    conc_s = concession_curve(rounds, e_seller)
    if out is None:
        out = _empty(n)
    if parallel is None:
        parallel = n * rounds >= _PARALLEL_MIN_WORK
    kernel = _offers_parallel if parallel else _offers_serial
    kernel(vb, vs, open_b, open_s, conc_b, conc_s, rounds, first_mover, *out)
    return out


# --------------------------------------------------------------------------- equilibrium


@njit(cache=True)
def _spe_share(rounds, first_mover, discount_buyer, discount_seller):
    x = 1.0  # the share of the proposer of the last round
    for t in range(rounds - 2, -1, -1):
        seller_proposes = (t % 2 == 0) == (first_mover == SELLER)
        d_responder = discount_buyer if seller_proposes else discount_seller
        x = 1.0 - d_responder * x
    return x if first_mover == SELLER else 1.0 - x


def spe_seller_share(
    rounds: int, first_mover: int, discount_buyer: float, discount_seller: float
) -> float:
    """The seller's share of the surplus in the subgame-perfect equilibrium.

    Backward induction over ``rounds`` rounds of alternating offers (module docstring);
    discount factors in (0, 1].
    """
    rounds = _check_rounds(rounds)
    first_mover = _check_first_mover(first_mover)
    for name, d in (("discount_buyer", discount_buyer), ("discount_seller", discount_seller)):
        if not 0.0 < d <= 1.0:
            raise ValueError(f"{name} must be in (0, 1], got {d!r}")
    return float(_spe_share(rounds, first_mover, float(discount_buyer), float(discount_seller)))


@njit(cache=True)
def _split_surplus(vb, vs, share, agreed, price, rnd):
    """Immediate agreement at ``v_s + share * (v_b - v_s)`` when ``v_b >= v_s``."""
    for i in range(vb.shape[0]):
        gap = vb[i] - vs[i]
        if gap >= 0.0:
            agreed[i] = True
            price[i] = vs[i] + share * gap
            rnd[i] = 0
        else:
            agreed[i] = False
            price[i] = np.nan
            rnd[i] = -1


def alternating_offers_spe(
    buyer_values: np.ndarray,
    seller_values: np.ndarray,
    rounds: int,
    first_mover: int,
    discount_buyer: float,
    discount_seller: float,
    *,
    out: BargainingResult | None = None,
) -> BargainingResult:
    """Subgame-perfect outcome of finite-horizon alternating offers (complete information).

    Shapes as in :func:`alternating_offers`; agreement is immediate when ``v_b >= v_s``.
    """
    vb, vs = _pair(buyer_values, seller_values)
    share = spe_seller_share(rounds, first_mover, discount_buyer, discount_seller)
    out = _empty(vb.shape[0]) if out is None else out
    _split_surplus(vb, vs, share, *out)
    return out


def nash_solution(
    buyer_values: np.ndarray,
    seller_values: np.ndarray,
    seller_power: float,
    *,
    out: BargainingResult | None = None,
) -> BargainingResult:
    """Generalised Nash bargaining solution with the seller's bargaining power in [0, 1]."""
    vb, vs = _pair(buyer_values, seller_values)
    if not 0.0 <= seller_power <= 1.0:
        raise ValueError(f"seller_power must be in [0, 1], got {seller_power!r}")
    out = _empty(vb.shape[0]) if out is None else out
    _split_surplus(vb, vs, float(seller_power), *out)
    return out


# --------------------------------------------------------------------------- k-double auction


@njit(cache=True)
def _kda(bids, asks, k, agreed, price, rnd):
    for i in range(bids.shape[0]):
        b = bids[i]
        a = asks[i]
        if b >= a:
            agreed[i] = True
            price[i] = k * b + (1.0 - k) * a
            rnd[i] = 0
        else:
            agreed[i] = False
            price[i] = np.nan
            rnd[i] = -1


def k_double_auction(
    bids: np.ndarray, asks: np.ndarray, k: float, *, out: BargainingResult | None = None
) -> BargainingResult:
    """Clear ``n_negotiations`` k-double auctions: trade iff bid >= ask, at k*bid + (1-k)*ask.

    Parameters
    ----------
    bids, asks : ndarray, shape (n_negotiations,), float64
        The buyer's sealed bid and the seller's sealed ask (currency).
    k : float
        Weight of the bid in the price, in [0, 1].
    """
    b, a = _pair(bids, asks)
    if not 0.0 <= k <= 1.0:
        raise ValueError(f"k must be in [0, 1], got {k!r}")
    out = _empty(b.shape[0]) if out is None else out
    _kda(b, a, float(k), *out)
    return out
