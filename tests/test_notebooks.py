"""Every notebook in notebooks/ executes without a cell error, and is committed clean.

The notebooks are written by ``notebooks/build.py`` (committed without outputs); each one
runs here in a fresh ``python3`` kernel with nbclient, from the notebooks folder, with a
generous timeout (the machine may be shared).
"""

import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
TIMEOUT = 600  # seconds per cell; each notebook takes well under a minute on 2 cores


def test_there_are_notebooks():
    assert {
        "auction_formats.ipynb",
        "price_discovery.ipynb",
        "market_policy.ipynb",
        "matching_core.ipynb",
    } <= set(NAMES)


def test_notebooks_match_their_generator_and_have_no_outputs():
    done = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "build.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, name


@pytest.mark.slow
@pytest.mark.timeout(3 * TIMEOUT)
@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]  # fmt: skip
    assert not errors
