"""Small market scenarios shared by the market tests (fractions of a second per run)."""

import math

import numpy as np

from auction_sim.scenario.market import MarketScenario

SMALL = {
    "market": {"horizon_days": 150.0, "achievement_rate": 5.0, "buyer_rate": 20.0},
    "buyers": {"firms": 200},
}


def scenario(**over) -> MarketScenario:
    """The small scenario with overrides given as ``section__key=value``."""
    d = {"kind": "market", **{k: dict(v) for k, v in SMALL.items()}}
    for k, v in over.items():
        sec, key = k.split("__")
        d.setdefault(sec, {})[key] = v
    return MarketScenario.model_validate(d)


def seed(r: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(2026, spawn_key=(r,))


def assert_moves(name: str, a, b, sign: int) -> None:
    """Paired arms (one value per seed in each): ``sign * (b - a)`` beyond 3 standard errors."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    d = sign * (b - a)
    se = d.std(ddof=1) / math.sqrt(d.size)
    print(f"{name}: {a.mean():.4f} -> {b.mean():.4f}, diff {b.mean() - a.mean():.4f}, se {se:.4f}")
    assert d.mean() > 3 * se, f"{name}: {a.mean():.4f} -> {b.mean():.4f}, se {se:.4f}"
