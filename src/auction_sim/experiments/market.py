"""The ``market`` kind: one replication = one run of the discrete-event market.

``run_point(scenario, seed)`` runs :func:`auction_sim.market.sim.simulate` (which
checks the ledger invariants and fails loudly) and returns the metrics of
DESIGN §5, then extras.  ``run_point_series(scenario, seed)`` runs the same
replication once and returns its metrics and its monthly time series (deals, volume,
price error, by mechanism: :func:`series_of`, the one way to get them); the batch runner
stores them as ``DIR/timeseries.parquet`` (``Results.timeseries``).
"""

from __future__ import annotations

import math

import numpy as np

from ..market.choice import AUCTION, FREE, LISTING, NEGOTIATION
from ..market.ledger import MONTH_DAYS, months
from ..market.problems import PROBLEM_METRICS, problem_metrics, simulate_problems
from ..market.sim import MarketRun, simulate
from ..scenario.market import MarketScenario

__all__ = [
    "METRICS",
    "CLASS_METRICS",
    "metric_names",
    "SERIES",
    "run_point",
    "run_point_series",
    "run_point_tables",
    "metrics_of",
    "series_of",
]

METRICS = (
    # DESIGN §5, in order
    "deal_rate",
    "days_to_deal",
    "volume",
    "price_to_value",
    "efficiency",
    "converted_2y",
    "free_licensed",
    "broker_income",
    "events",
    # extras
    "registered",
    "deals",
    "auction_share",
    "listing_share",
    "negotiation_share",
    "forced_auctions",
    "platform_fees",
    "subsidy_paid",
    "insured_share",
    "claims_paid",
    "loss_ratio",
    "exempt_share",
    "exemption_spent",
    "registered_on_time",
    "poc_share",
    "poc_spent",
    "pledge_volume",
    "loan_loss_rate",
    "institution_conversion_sd",
    "low_rank_conversion",
    "price_error_first",
    "price_error_last",
    "failed_fits",
    "premium_over_reserve",
    "auction_fallbacks",
    "auction_sale_rate",
    "value_error_first",
    "value_error_last",
    "value_bias_last",
    "oracle_value_error_last",
    "due_diligence_spent",
    "auction_fp_approximate",
    # the demand side: firms post problems (market/problems.py; 0 / NaN when it is off)
    *PROBLEM_METRICS,
)
"""Metric names: DESIGN §5 first.

* ``deal_rate``: paid deals / achievements registered during the horizon;
* ``days_to_deal``: median days from registration to a paid deal;
* ``volume``: total price of paid deals (currency);
* ``price_to_value``: mean of price / the highest value among the firms that looked
  at the item, over paid deals (as the auction kind's price / highest value);
* ``efficiency``: sum of the buyers' values / sum of the highest value among the
  firms that looked at each sold item, over paid deals (allocative quality of matching);
* ``converted_2y``: share of publicly funded results registered at least
  ``policy.conversion_window_days`` (730) before the horizon that were converted
  (sold or licensed) within that window of registration (NaN when none qualifies);
* ``free_licensed``: number of free licences under the use-first rule;
* ``broker_income``: total broker commissions (currency);
* ``events``: SimPy events processed;
* extras: ``registered``, ``deals``, the share of paid deals by method, paid deals from
  forced public auctions, platform fees, the state's insurance subsidy, ``insured_share``
  (paid deals that carry a premium / paid deals: 1 with ``insurance = "flat"``),
  ``claims_paid`` (the insurer's claims on failed adoptions, currency), ``loss_ratio``
  (claims / whole premiums, NaN without a premium; 0 with ``"flat"``:
  :mod:`auction_sim.market.insurance`), ``exempt_share`` (paid deals of public holders
  through the exempt channel, forced auctions not counted / paid deals of public holders)
  and ``exemption_spent`` (the channel's review costs paid by holders, 0 with ``exemption =
  "coin"``: :mod:`auction_sim.market.exemption`), ``registered_on_time`` (publicly funded
  results registered by their deadline / those whose deadline is in the horizon:
  :mod:`auction_sim.market.registration`), ``poc_share`` (registered results that went
  through a proof-of-concept centre) and ``poc_spent`` (the centres' cost:
  :mod:`auction_sim.market.poc`), ``pledge_volume`` (IP-pledge loans lent, currency) and
  ``loan_loss_rate`` (the lender's losses on defaults / lent, NaN without a loan:
  :mod:`auction_sim.market.loans`), ``institution_conversion_sd`` and
  ``low_rank_conversion`` (the spread of public institutions' conversion and the conversion of
  the low-ranked ones, NaN without institutions: :mod:`auction_sim.market.institutions`), and
  the price error (RMSE of the
  platform's log price estimate against the log deal price) over the deals of the first and
  the last quarter of the horizon (``price_error_first`` / ``price_error_last``), and the
  joint-estimator refits that failed or came back degenerate and were not used
  (``failed_fits``);
* ``premium_over_reserve``: mean of price / reserve - 1 over paid auction deals whose
  reserve (as opened: markup and relist discount included) was positive (NaN without one);
* ``auction_fallbacks``: timed-auction winners that could no longer pay at the close (their
  budget spent in other trades since they bid) and were passed over for the runner-up;
* ``auction_sale_rate``: timed auctions that ended in a paid deal / timed auctions held
  (every opening counts: relists and forced public auctions included; NaN without one);
* ``value_error_first`` / ``value_error_last``: RMSE of the platform's posterior mean log
  value against the true theta, pooled over the pricings (at the moment each item is
  priced for a trade) in the first / last quarter of the horizon's months;
  ``value_bias_last``: the mean of posterior mean - theta over the last quarter;
  ``oracle_value_error_last``: ``value_error_last`` of the in-market oracle (true signal
  parameters and prior, the same signals);
* ``due_diligence_spent``: total cost of technical due diligence (currency);
* ``auction_fp_approximate``: sealed first-price auctions (two or more bidders) whose
  composition the asymmetric solver could not resolve, bid with the symmetric fallback
  (:class:`auction_sim.market.trades.FirstPriceBook`; 0 with English auctions).

``price_error_first`` / ``price_error_last`` are the platform's error in *predicting deal
prices* (its posterior mean log value against the log price paid), not its error about
the value: deal prices are selected (docs/pricing.md).
"""

CLASS_METRICS = ("auction_win_share", "auction_win_excess")
"""Per firm size class, numbered from 1 in ``[[buyers.classes]]`` order (only with classes):

* ``auction_win_share_k``: share of the sold auctions won by a firm of class k;
* ``auction_win_excess_k``: mean over the sold auctions of (1 if class k won) - (class k's
  share of that auction's bidders): 0 when wins follow the bidders, > 0 for a class that
  wins more often than its presence (the strong class in an efficient auction)."""


def _n_classes(model) -> int:
    return len(getattr(getattr(model, "buyers", None), "classes", None) or ())


def metric_names(scenario) -> tuple[str, ...]:
    """:data:`METRICS`, then per size class (with ``[[buyers.classes]]``)
    ``auction_win_share_k`` and ``auction_win_excess_k`` for k = 1 .. the most classes of
    any grid point (``scenario``: a loaded scenario or a model)."""
    k = _n_classes(getattr(scenario, "model", scenario))
    for value in (getattr(scenario, "sweep", None) or {}).get("buyers.classes", ()):
        k = max(k, len(value) if isinstance(value, list) else 0)  # classes swept whole
    return METRICS + tuple(f"{m}_{i}" for i in range(1, k + 1) for m in CLASS_METRICS)


def _class_metrics(sim) -> dict[str, float]:
    out: dict[str, float] = {}
    n = sim.auctions_sold
    for i in range(len(sim.scenario.buyers.classes)):
        out[f"auction_win_share_{i + 1}"] = sim.class_wins[i] / n if n else math.nan
        out[f"auction_win_excess_{i + 1}"] = sim.class_excess[i] / n if n else math.nan
    return out


SERIES = (
    "month",
    "deals",
    "volume",
    "broker_income",
    "deals_auction",
    "deals_listing",
    "deals_negotiation",
    "deals_free_license",
    "price_error",
    "priced_deals",
    "value_error",
    "priced",
    "oracle_value_error",
    "value_bias",
)
"""Columns of :func:`series_of` (one row per month of ``365.25 / 12`` days).

``deals`` paid deals, ``volume``, ``broker_income``, deals by method (free licences
included); ``price_error``: RMSE of the platform's estimate (the posterior mean log value
at the item's last pricing) against the log price of the paid deals closed that month, and
``priced_deals`` their count; ``value_error``: RMSE of the posterior mean against the latent
log value theta of the achievements priced that month, and ``priced`` their count;
``oracle_value_error`` the same for the in-market oracle's posterior; ``value_bias`` the
month's mean of posterior mean - theta."""


def _nan_if_empty(x: np.ndarray, f) -> float:
    return float(f(x)) if x.size else float("nan")


def metrics_of(run: MarketRun) -> dict[str, float]:
    """The metrics of one finished run (see :data:`METRICS`)."""
    sim = run.sim
    s = sim.scenario
    a = sim.ledger.arrays()
    method = a["method"].astype(np.int64)
    paid = method != FREE
    n_reg = sim.n
    n_paid = int(paid.sum())
    price = a["price"][paid]
    wait = (a["day"] - a["registered"])[paid]
    best = a["best_value"][paid].sum()
    # conversion within the window of registration, publicly funded results only
    window = s.policy.conversion_window_days
    ach = sim.ach
    elig = ach.public_funded & (ach.registered + window <= sim.horizon)
    conv = np.zeros(n_reg, bool)
    items = a["item"].astype(np.int64)
    in_window = a["day"] <= a["registered"] + window
    conv[items[in_window]] = True
    rmse, cnt = sim.monthly_price_error()
    q = max(1, len(rmse) // 4)
    first, last = _pooled(rmse[:q], cnt[:q]), _pooled(rmse[-q:], cnt[-q:])
    return {
        "deal_rate": n_paid / n_reg if n_reg else float("nan"),
        "days_to_deal": _nan_if_empty(wait, np.median),
        "volume": float(price.sum()),
        "price_to_value": _nan_if_empty(price / a["best_value"][paid], np.mean),
        "efficiency": float(a["buyer_value"][paid].sum() / best) if best > 0 else float("nan"),
        "converted_2y": float(conv[elig].mean()) if elig.any() else float("nan"),
        "free_licensed": float((method == FREE).sum()),
        "broker_income": float(a["commission"].sum()),
        "events": float(run.events),
        "registered": float(n_reg),
        "deals": float(n_paid),
        "auction_share": _share(method[paid] == AUCTION),
        "listing_share": _share(method[paid] == LISTING),
        "negotiation_share": _share(method[paid] == NEGOTIATION),
        "forced_auctions": float((a["forced"][paid].astype(bool)).sum()),
        "platform_fees": float(a["fee"].sum()),
        "subsidy_paid": float(a["subsidy"].sum()),
        **_insurance_metrics(a, paid),
        **_exemption_metrics(sim, a, paid),
        "registered_on_time": ach.on_time / ach.due if ach.due else float("nan"),
        "poc_share": _share(ach.poc) if ach.poc is not None else float("nan"),
        "poc_spent": float(s.policy.poc_cost * np.count_nonzero(ach.poc)),
        **sim.loans.metrics(*_unsold(sim, items)),
        **sim.institutions.metrics(ach.registered, sim.has_deal, sim.horizon),
        "price_error_first": first,
        "price_error_last": last,
        "failed_fits": float(sim.pricer.failed_fits),
        "premium_over_reserve": _nan_if_empty(np.asarray(sim.reserve_premiums), np.mean),
        "auction_fallbacks": float(sim.auction_fallbacks),
        "auction_sale_rate": (
            sim.auctions_sold / sim.auctions_held if sim.auctions_held else float("nan")
        ),
        **_value_metrics(sim),
        "due_diligence_spent": float(
            s.pricing.due_diligence_cost * np.count_nonzero(sim.diligence)
        ),
        "auction_fp_approximate": float(sim.first_price.approximate if sim.first_price else 0),
        **problem_metrics(
            simulate_problems(s, sim.seed, sim.firms_by_field, sim.firms.budget0.size)
        ),
        **_class_metrics(sim),
    }


def _insurance_metrics(a: dict[str, np.ndarray], paid: np.ndarray) -> dict[str, float]:
    premiums = float(a["premium"].sum())
    return {
        "insured_share": _share(a["premium"][paid & (a["price"] > 0)] > 0),
        "claims_paid": float(a["claim"].sum()),
        "loss_ratio": float(a["claim"].sum()) / premiums if premiums > 0 else float("nan"),
    }


def _unsold(sim, sold: np.ndarray) -> tuple:
    """Arguments of :meth:`Loans.metrics`: results priced, unsold at the horizon, pledged by
    their holders (``[policy] pledge_holders``), or nothing."""
    if not sim.scenario.policy.pledge_holders:
        return ()
    unsold = sim.priced.copy()
    unsold[sold] = False
    return np.flatnonzero(unsold), sim.post_mean, sim.loans.post_var, sim.ach_value


def _exemption_metrics(sim, a: dict[str, np.ndarray], paid: np.ndarray) -> dict[str, float]:
    items = a["item"].astype(np.int64)
    public = paid & sim.ach.public_holder[items]
    through = sim.exempt[items] & ~a["forced"].astype(bool)
    return {
        "exempt_share": _share(through[public]),
        "exemption_spent": sim.channel.spent(),
    }


def _quarters(sim) -> tuple[float, float]:
    """Day bounds of the first and the last quarter of the horizon's months."""
    n_m = months(np.zeros(0), sim.horizon)[1]
    q = max(1, n_m // 4)
    return q * MONTH_DAYS, (n_m - q) * MONTH_DAYS


def _value_metrics(sim) -> dict[str, float]:
    """``value_error_first/last``, ``value_bias_last``, ``oracle_value_error_last``."""
    first_end, last_start = _quarters(sim)
    out = {}
    for name, oracle in (("value", False), ("oracle_value", True)):
        rows = sim.value_errors(oracle)
        day, err = rows[:, 0], rows[:, 1]
        first, last = err[day < first_end], err[day >= last_start]
        out[name] = (_rms(first), _rms(last), _nan_if_empty(last, np.mean))
    return {
        "value_error_first": out["value"][0],
        "value_error_last": out["value"][1],
        "value_bias_last": out["value"][2],
        "oracle_value_error_last": out["oracle_value"][1],
    }


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x * x))) if x.size else float("nan")


def _monthly_mean(rows: np.ndarray, horizon: float) -> np.ndarray:
    """Mean of ``rows[:, 1]`` by month of ``rows[:, 0]`` (NaN for an empty month)."""
    month, n_m = months(rows[:, 0], horizon)
    cnt = np.bincount(month, minlength=n_m)
    tot = np.bincount(month, weights=rows[:, 1], minlength=n_m)
    return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def _share(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else float("nan")


def _pooled(rmse: np.ndarray, cnt: np.ndarray) -> float:
    ok = cnt > 0
    if not ok.any():
        return float("nan")
    return math.sqrt(float((rmse[ok] ** 2 * cnt[ok]).sum() / cnt[ok].sum()))


def series_of(run: MarketRun) -> dict[str, np.ndarray]:
    """Monthly series of a finished run: :data:`SERIES` -> array of shape ``(n_months,)``."""
    sim = run.sim
    out = sim.ledger.monthly(sim.horizon)
    rmse, cnt = sim.monthly_price_error()
    out["price_error"] = rmse
    out["priced_deals"] = cnt
    rmse, cnt = sim.monthly_value_error()
    out["value_error"] = rmse
    out["priced"] = cnt
    out["oracle_value_error"] = sim.monthly_value_error(oracle=True)[0]
    out["value_bias"] = _monthly_mean(sim.value_errors(), sim.horizon)
    return {k: out[k] for k in SERIES}


def run_point(scenario: MarketScenario, seed: np.random.SeedSequence) -> dict[str, float]:
    """One replication: run the market to the horizon; return :data:`METRICS`."""
    return metrics_of(simulate(scenario, seed))


def run_point_tables(
    scenario: MarketScenario, seed: np.random.SeedSequence
) -> tuple[dict[str, float], dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]:
    """:func:`run_point_series` and the run's tables: ``{"institutions": columns}`` with
    ``[policy] institutions_per_holder > 0`` (:meth:`auction_sim.market.institutions.
    Institutions.table`), else ``{}``; the batch runner stores each as ``DIR/<name>.parquet``."""
    run = simulate(scenario, seed)
    sim = run.sim
    tab = sim.institutions.table(sim.ach.registered, sim.has_deal, sim.horizon)
    return metrics_of(run), series_of(run), ({"institutions": tab} if tab else {})


def run_point_series(
    scenario: MarketScenario, seed: np.random.SeedSequence
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """One replication, once: its :data:`METRICS` and its monthly :data:`SERIES`.

    The hook for a batch runner that stores time series: same numbers as
    :func:`run_point` with the same arguments, one run.
    """
    run = simulate(scenario, seed)
    return metrics_of(run), series_of(run)
