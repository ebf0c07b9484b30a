"""The comparable-deal model: online ridge regression of log deal price on features.

The "big-data" part of price discovery: every completed deal adds its features (field,
readiness level, holder type, the platform's estimated quality, ...) and its log price;
the model predicts the log price of a new achievement from its features.  The market
calls :meth:`OnlineRidge.update` as deals complete and :meth:`OnlineRidge.predict` when
it prices a new listing.

The fit is exact, not stochastic-gradient: the model keeps the sufficient statistics
``X'X``, ``X'y``, ``y'y`` and ``n``, so ``update`` costs ``O(batch * p^2)`` and the
coefficients after any sequence of updates equal the batch ridge solution on all deals
seen so far.  The intercept is not penalized.
"""

from __future__ import annotations

import numpy as np

__all__ = ["OnlineRidge", "one_hot"]


class OnlineRidge:
    """Ridge regression ``y ~ b0 + X b`` updated online.

    Parameters
    ----------
    n_features : int
        Columns of ``X``.
    penalty : float
        Ridge penalty ``lambda`` on ``b`` (not on the intercept), ``>= 0``.
    """

    def __init__(self, n_features: int, penalty: float = 1.0):
        if n_features < 0 or not penalty >= 0:
            raise ValueError("n_features must be >= 0 and penalty >= 0")
        self.n_features = int(n_features)
        self.penalty = float(penalty)
        p = self.n_features + 1
        self._xtx = np.zeros((p, p))
        self._xty = np.zeros(p)
        self._yty = 0.0
        self.n = 0
        self._coef: np.ndarray | None = None

    @classmethod
    def from_moments(cls, n_features: int, penalty: float, xtx, xty, yty: float, n: int):
        """A model from its sufficient statistics (``X'X``, ``X'y`` with the intercept column
        first, ``y'y``, the count): the same as updating with the rows they sum."""
        m = cls(n_features, penalty)
        m._xtx = np.array(xtx, np.float64)
        m._xty = np.array(xty, np.float64)
        m._yty = float(yty)
        m.n = int(n)
        return m

    def _design(self, X) -> np.ndarray:
        X = np.asarray(X, np.float64)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (rows, {self.n_features}), got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("X must be finite")
        return np.hstack([np.ones((X.shape[0], 1)), X])

    def update(self, X, y) -> OnlineRidge:
        """Add completed deals: ``X`` shape ``(rows, n_features)``, ``y`` log prices ``(rows,)``."""
        Z = self._design(X)
        y = np.atleast_1d(np.asarray(y, np.float64))
        if y.shape != (Z.shape[0],) or not np.all(np.isfinite(y)):
            raise ValueError("y must be finite with one value per row of X")
        self._xtx += Z.T @ Z
        self._xty += Z.T @ y
        self._yty += float(y @ y)
        self.n += y.size
        self._coef = None
        return self

    @property
    def coef(self) -> np.ndarray:
        """``[intercept, b_1, ..., b_p]``; zeros before the first deal."""
        if self._coef is None:
            A = self._xtx.copy()
            idx = np.arange(1, A.shape[0])
            A[idx, idx] += self.penalty
            if self.n == 0:
                self._coef = np.zeros(A.shape[0])
            else:
                self._coef = np.linalg.lstsq(A, self._xty, rcond=None)[0]
        return self._coef

    def predict(self, X) -> np.ndarray:
        """Predicted log price, shape ``(rows,)``."""
        return self._design(X) @ self.coef

    @property
    def residual_var(self) -> float:
        """Mean squared in-sample residual (NaN before the first deal)."""
        if self.n == 0:
            return float("nan")
        b = self.coef
        rss = self._yty - 2.0 * b @ self._xty + b @ self._xtx @ b
        return float(max(rss, 0.0) / self.n)


def one_hot(codes, n_levels) -> np.ndarray:
    """One-hot columns of categorical ``codes (rows, K)``, the first level of each dropped
    (the intercept of :class:`OnlineRidge` carries it): shape ``(rows, sum(n_levels) - K)``."""
    codes = np.atleast_2d(np.asarray(codes, np.int64))
    cols = []
    for k, L in enumerate(n_levels):
        cols.append(codes[:, k : k + 1] == np.arange(1, L)[None, :])
    return np.hstack(cols).astype(np.float64) if cols else np.zeros((codes.shape[0], 0))
