"""A sweep of random compositions through the asymmetric first-price solver (issue 19).

Not a test (it takes minutes): ``python tests/validation/asymmetric_sweep.py [SEED] [N]``
draws N compositions (2-5 classes, 1-4 bidders each, scales up to 4x apart; uniform, beta,
normal cut by a reserve, lognormal values), solves each with the checked solver and prints
whether it was refused and, if answered, the largest best-reply gain measured as in
``test_asymmetric_equilibrium.py`` (400 quantile types, 2001 bids).
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_asymmetric_equilibrium import equilibrium_gain  # noqa: E402

from auction_sim.core.asymmetric import AsymmetricError, solve_first_price  # noqa: E402
from auction_sim.values import Beta, LogNormal, Normal, Uniform  # noqa: E402


def composition(rng):
    K = int(rng.integers(2, 6))
    fam = str(rng.choice(["ln", "u", "beta", "norm"]))
    sc = np.exp(rng.uniform(0, np.log(4), K))
    counts = tuple(int(x) for x in rng.integers(1, 5, K))
    if fam == "ln":
        d = [LogNormal(mean_log=float(np.log(s)), sd_log=float(rng.uniform(0.3, 0.8))) for s in sc]
        r = float(rng.choice([0, 0.5, 1.0]))
    elif fam == "u":
        d = [Uniform(low=0.0, high=float(s)) for s in sc]
        r = float(rng.choice([0, 0.2, 0.5]))
    elif fam == "beta":
        d = [Beta(a=float(rng.uniform(0.3, 4)), b=float(rng.uniform(0.3, 4)), high=float(s))
             for s in sc]  # fmt: skip
        r = float(rng.choice([0, 0.2]))
    else:
        d = [Normal(mean=float(s), sd=float(rng.uniform(0.2, 0.6)) * float(s)) for s in sc]
        r = float(rng.choice([0.3, 0.8]))
    return fam, d, counts, r


def main(seed=1, n=60):
    rng = np.random.default_rng(seed)
    refused, gains = [], []
    for k in range(n):
        fam, d, counts, r = composition(rng)
        t = time.perf_counter()
        try:
            eq = solve_first_price(d, counts, r)
        except AsymmetricError:
            refused.append((k, fam))
            print(f"#{k} {fam} K{len(d)} {counts} r{r}: refused", flush=True)
            continue
        g = equilibrium_gain(eq, d, counts)
        gains.append(g)
        print(f"#{k} {fam} K{len(d)} {counts} r{r}: gain {g:.2g} ({time.perf_counter() - t:.2f} s)",
              flush=True)  # fmt: skip
    print(f"{n} compositions: {len(refused)} refused {refused}; answered: largest gain"
          f" {max(gains):.2g}")  # fmt: skip


if __name__ == "__main__":
    main(*(int(x) for x in sys.argv[1:3]))
