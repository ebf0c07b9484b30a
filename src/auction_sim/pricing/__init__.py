"""Price discovery: signal generation, estimation, calibration, comparables, pricing rules.

The estimation kernels live in :mod:`auction_sim.core.pricing`; this package generates the
signals (:mod:`.signals`), runs the estimators on a population (:mod:`.population`),
calibrates against deals (:mod:`.calibration`), learns the comparable-deal model
(:mod:`.comparables`) and turns a posterior into prices (:mod:`.rules`).
"""

from .calibration import Calibration, calibrate
from .comparables import OnlineRidge, one_hot
from .rules import collateral_value, listing_price, myerson_reserve, reserve_quantile

__all__ = [
    "Calibration",
    "calibrate",
    "OnlineRidge",
    "one_hot",
    "listing_price",
    "reserve_quantile",
    "myerson_reserve",
    "collateral_value",
]
