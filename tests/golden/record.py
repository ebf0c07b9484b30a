"""Run a golden case and reduce it to what the record keeps; regenerate the record.

The record of a case is the JSON summary of DESIGN §4 (every float to the last bit, as
``json`` writes ``repr``) and a SHA-256 over the metric columns of ``runs.parquet`` (rows
sorted by point and replication, each column as little-endian float64 bytes, NaN kept).

Regenerate after a change that moves a number on purpose (and say why in the commit)::

    python -m tests.golden.record            # every case
    python -m tests.golden.record NAME ...   # some cases
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def fingerprint() -> dict:
    """What bitwise float results depend on besides the code: library versions, SIMD level.

    NumPy picks AVX-512 loops for ``exp``/``log`` where the CPU has them, which can differ
    from the AVX2 loops in the last bit; numba's and NumPy's minor versions can change code
    generation.  The golden test compares bitwise only where this matches the record's.
    """
    import numba

    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as feats
    simd = "AVX512_SKX" if feats.get("AVX512_SKX") else ("AVX2" if feats.get("AVX2") else "base")
    return {
        "numpy": ".".join(np.__version__.split(".")[:2]),
        "numba": ".".join(numba.__version__.split(".")[:2]),
        "python": ".".join(platform.python_version().split(".")[:2]),
        "machine": platform.machine(),
        "simd": simd,
    }


def metric_hash(runs, metrics: list[str]) -> str:
    """SHA-256 of the metric columns, rows in (point, replication) order."""
    df = runs.sort_values(["point", "replication"], kind="stable")
    h = hashlib.sha256()
    for m in metrics:
        col = np.ascontiguousarray(df[m].to_numpy(dtype="<f8"))
        h.update(m.encode() + b"\0" + col.tobytes())
    return h.hexdigest()


def run_case(path: Path, sets: list[str], reps: int) -> dict:
    """Run one case serially into a temporary folder; return its record (without meta)."""
    import pandas as pd

    import auction_sim as asim

    scenario = asim.load_scenario(path, sets)
    with tempfile.TemporaryDirectory() as tmp:
        res = asim.run(scenario, replications=reps, backend="serial", out=tmp)
        runs = pd.read_parquet(Path(tmp) / "runs.parquet")
    return {
        "summary": json.loads(res.to_json()),
        "runs_sha256": metric_hash(runs, list(res.metrics)),
        "rows": int(len(runs)),
    }


def record_path(name: str) -> Path:
    return HERE / f"{name}.json"


def write(name: str, path: Path, sets: list[str], reps: int) -> None:
    rec = run_case(path, sets, reps)
    doc = {
        "case": name,
        "scenario": path.name,
        "overrides": sets,
        "replications": reps,
        "fingerprint": fingerprint(),
        **rec,
    }
    record_path(name).write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")


def main(argv: list[str]) -> int:
    from .cases import cases

    all_cases = cases()
    names = argv or list(all_cases)
    unknown = [n for n in names if n not in all_cases]
    if unknown:
        print(f"unknown case(s): {unknown}; known: {list(all_cases)}", file=sys.stderr)
        return 2
    if not argv:  # a full regeneration drops records of cases that no longer exist
        for old in HERE.glob("*.json"):
            if old.stem not in all_cases:
                old.unlink()
    for n in names:
        path, sets, reps = all_cases[n]
        write(n, path, sets, reps)
        print(f"recorded {n}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
