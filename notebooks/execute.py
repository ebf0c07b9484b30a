"""Execute the notebooks' percent scripts and write the ``.ipynb`` files with their outputs.

The source of each notebook is a jupytext percent script, ``notebooks/<name>.py``
(``# %%`` code cells, ``# %% [markdown]`` text cells): edit that, then run

    python notebooks/execute.py                  # every notebook (each well under a minute)
    python notebooks/execute.py matching_core    # one notebook
    python notebooks/execute.py --check          # no execution: exit 1 if an .ipynb is stale

Each script is read with jupytext, executed with nbclient in a fresh ``python3`` kernel
from this folder, and written to ``notebooks/<name>.ipynb`` with its outputs (figures as
PNG), so a reader sees them on GitHub without running anything.  Cell ids are numbered
and timing metadata is not recorded, so re-running an unchanged notebook only changes
what the computation changes.  ``tests/test_notebooks.py`` checks that every committed
``.ipynb`` has the cells of its script (``differences``), has outputs and no error, and
executes the scripts.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
TIMEOUT = 600  # seconds per cell; generous, the machine may be shared
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def scripts() -> list[Path]:
    """The percent scripts of this folder (every ``*.py`` but this one)."""
    return sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name)


def read_script(path: Path) -> nbformat.NotebookNode:
    """The notebook of a percent script, without outputs, with numbered cell ids."""
    nb = jupytext.read(path, fmt="py:percent")
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.get("jupytext", {}).pop("text_representation", None)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


def cells(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


def differences(script: Path, notebook: Path) -> list[str]:
    """What differs between the cells of ``script`` and those of ``notebook`` (empty: same).

    Compares each cell's type and source; outputs and metadata are not compared.
    """
    if not notebook.exists():
        return [f"{notebook.name}: missing"]
    want = cells(read_script(script))
    have = cells(nbformat.read(notebook, as_version=4))
    out = []
    for i, (w, h) in enumerate(zip(want, have, strict=False)):
        if w != h:
            out.append(f"{notebook.name}: cell {i} ({w[0]}) differs from {script.name}")
    if len(want) != len(have):
        out.append(f"{notebook.name}: {len(have)} cells, {script.name} has {len(want)}")
    return out


def output_problems(notebook: Path) -> list[str]:
    """Code cells of ``notebook`` that were not executed or end in an error."""
    nb = nbformat.read(notebook, as_version=4)
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.execution_count is None:
            out.append(f"{notebook.name}: cell {i} not executed")
        if any(o.output_type == "error" for o in cell.outputs):
            out.append(f"{notebook.name}: cell {i} has an error output")
    return out


def execute(nb: nbformat.NotebookNode, timeout: int = TIMEOUT) -> nbformat.NotebookNode:
    """Run ``nb`` in place in a fresh kernel from this folder; raise on any cell error."""
    import nbclient

    client = nbclient.NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(HERE)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    return nb


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="notebook names (default: all)")
    ap.add_argument("--check", action="store_true", help="check, do not execute")
    args = ap.parse_args(argv)
    chosen = [p for p in scripts() if not args.names or p.stem in args.names]
    unknown = set(args.names) - {p.stem for p in chosen}
    if unknown:
        ap.error(f"no notebooks/<name>.py for: {', '.join(sorted(unknown))}")
    problems = []
    for script in chosen:
        notebook = script.with_suffix(".ipynb")
        if args.check:
            problems += differences(script, notebook)
            if notebook.exists():
                problems += output_problems(notebook)
            continue
        start = time.perf_counter()
        nb = execute(read_script(script))
        nbformat.write(nb, notebook)
        kb = notebook.stat().st_size / 1024
        print(f"{notebook.name}: {time.perf_counter() - start:.0f} s, {kb:.0f} KiB")
    for p in problems:
        print(p)
    if problems:
        print("run: python notebooks/execute.py", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
