"""Regenerate (or check) the example outputs printed in README.md.

Every fenced block of README.md whose first line is ``$ auction-sim ...`` is an example:
the command is run (``python -m auction_sim``, stdout captured, 160 columns, as the CLI
prints to a file) and the lines after it are replaced by what it prints, trailing spaces
stripped.  So the README's tables are the code's output, not a copy that can drift.

    python docs/readme_examples.py           # rewrite README.md
    python docs/readme_examples.py --check   # exit 1 and show the first difference
    python docs/readme_examples.py --check --skip province_baseline   # all but the main job
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```")


def examples(text: str) -> list[tuple[int, int, str]]:
    """(first line, end line exclusive, command) of every example block (0-based lines)."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        starts = i + 1 < len(lines) and lines[i + 1].startswith("$ auction-sim ")
        if FENCE.match(lines[i]) and starts:
            j = i + 2
            while j < len(lines) and not FENCE.match(lines[j]):
                j += 1
            out.append((i + 1, j, lines[i + 1][2:]))
            i = j + 1
            continue
        i += 1
    return out


def run_example(command: str) -> str:
    args = shlex.split(command)
    assert args[0] == "auction-sim", command
    env = {**os.environ, "COLUMNS": "160"}
    done = subprocess.run(
        [sys.executable, "-m", "auction_sim", *args[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{command}: exit {done.returncode}\n{done.stderr}")
    return "\n".join(line.rstrip() for line in done.stdout.rstrip("\n").split("\n"))


def render(text: str, skip: tuple[str, ...] = ()) -> str:
    lines = text.split("\n")
    for start, end, command in reversed(examples(text)):
        if any(s in command for s in skip):
            continue
        lines[start:end] = [f"$ {command}", *run_example(command).split("\n")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="compare, do not write")
    p.add_argument("--skip", action="append", default=[], help="skip commands containing this")
    args = p.parse_args(argv)
    text = README.read_text()
    new = render(text, tuple(args.skip))
    if not args.check:
        README.write_text(new)
        return 0
    if new == text:
        return 0
    diff = difflib.unified_diff(text.split("\n"), new.split("\n"), "README.md", "regenerated", n=1)
    sys.stdout.write("\n".join(list(diff)[:60]) + "\n")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
