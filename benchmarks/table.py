"""Turn a ``--benchmark-json`` file into the Markdown table of benchmarks/README.md.

Usage: ``python benchmarks/table.py bench.json [--group clearing]``

Columns: test, median, throughput (``extra_info["items"]`` / median), and the ratio
of each test's throughput to the best baseline (a test without ``auction_sim`` in its
name) of the same group and the same ``extra_info["shape"]``.
"""

from __future__ import annotations

import argparse
import json
import platform


def rows(data: dict, group: str | None):
    benches = [b for b in data["benchmarks"] if group is None or b["group"] == group]
    base: dict[tuple, float] = {}
    for b in benches:
        if "auction_sim" not in b["name"]:
            key = (b["group"], b["extra_info"].get("shape"))
            thr = b["extra_info"].get("items", 1) / b["stats"]["median"]
            base[key] = max(base.get(key, 0.0), thr)
    for b in benches:
        med = b["stats"]["median"]
        thr = b["extra_info"].get("items", 1) / med
        ref = base.get((b["group"], b["extra_info"].get("shape")))
        ratio = f"{thr / ref:.1f}×" if ref else "—"
        yield b["group"], b["name"], med, thr, b["extra_info"].get("threads", ""), ratio


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("json")
    ap.add_argument("--group")
    args = ap.parse_args()
    data = json.load(open(args.json))
    m = data["machine_info"]
    print(
        f"Machine: {m.get('cpu', {}).get('brand_raw', platform.processor())}, "
        f"{m.get('cpu', {}).get('count', '?')} cores; Python {m.get('python_version')}; "
        f"{data['datetime'][:16]}"
    )
    print()
    print("| group | test | threads | median | items/s | vs best baseline |")
    print("|---|---|---|---|---|---|")
    for g, name, med, thr, threads, ratio in rows(data, args.group):
        print(f"| {g} | `{name}` | {threads} | {med * 1e3:.2f} ms | {thr:.3g} | {ratio} |")


if __name__ == "__main__":
    main()
