"""Constants and helpers shared by every pricing kernel.

* ``N_CHUNKS``: the fixed number of chunks every achievement pass is split into (results do
  not depend on the number of threads: partial sums are reduced in chunk order);
* ``_PARALLEL_MIN_ITEMS``: reviews + quotes (a count) below which the serial kernels run;
* ``_VAR_FLOOR``: the smallest variance an M-step returns (squared score or log units);
* ``_u`` / ``_ONE``: the uint64 index cast (see the comment below).
"""

from __future__ import annotations

import numpy as np
from numba import njit

N_CHUNKS = 16  # fixed split of the achievement pass: results independent of thread count
_PARALLEL_MIN_ITEMS = 100_000  # reviews + quotes below which the serial kernels are used
_VAR_FLOOR = 1e-10


# Indices are cast to uint64 where they are known to be >= 0: numba then skips the
# negative-index wraparound test, which otherwise keeps LLVM from optimising the inner loops
# (up to 10x on a plain copy loop).  Never mix uint64 and int64 in arithmetic (the result
# is float64): add ``_ONE``, not ``1``, to a uint64.
_ONE = np.uint64(1)


@njit(cache=True, inline="always")
def _u(x):
    return np.uint64(x)


def _use_parallel(parallel, reviews, quotes):
    if parallel is None:
        return reviews.score.size + quotes.log_quote.size >= _PARALLEL_MIN_ITEMS
    return bool(parallel)
