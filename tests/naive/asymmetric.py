"""Naive twin of :mod:`auction_sim.core.asymmetric`'s bid evaluation: one value at a time."""

import numpy as np


def class_bids(values, cls, tables):
    """Bids of ``values`` ``(n_auctions, n_bidders)``, column ``j`` of class ``cls[j]``."""
    out = np.empty(values.shape)
    T = tables.bid.shape[1]
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v, k = values[i, j], cls[j]
            if not v >= tables.low:
                out[i, j] = np.nan
                continue
            top = tables.low + (T - 1) / tables.inv_width[k] if tables.inv_width[k] else tables.low
            x = np.linspace(tables.low, top, T)
            out[i, j] = np.interp(v, x, tables.bid[k]) if v < top else tables.bid[k, -1]
    return out
