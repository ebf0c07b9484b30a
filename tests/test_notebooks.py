"""The notebooks in notebooks/: committed executed, in step with their sources, and running.

Each notebook's source is a jupytext percent script, ``notebooks/<name>.py``;
``notebooks/execute.py`` executes it and writes ``notebooks/<name>.ipynb`` with outputs, so
a reader sees the figures on GitHub.  Here: the committed ``.ipynb`` has the cells of its
script (and an edited cell is caught), it was executed without an error, and each script
runs in a fresh ``python3`` kernel with nbclient from the notebooks folder, with a
generous timeout (the machine may be shared).
"""

import importlib.util
import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
jupytext = pytest.importorskip("jupytext")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
_spec = importlib.util.spec_from_file_location("notebooks_execute", NOTEBOOKS / "execute.py")
execute = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(execute)

SCRIPTS = execute.scripts()
NAMES = [p.stem for p in SCRIPTS]
WITH_FIGURES = {"auction_formats", "price_discovery", "market_policy", "matching_core"}


def test_there_are_notebooks():
    assert WITH_FIGURES <= set(NAMES)
    assert not (NOTEBOOKS / "build.py").exists()
    # every committed .ipynb has its source script
    assert {p.stem for p in NOTEBOOKS.glob("*.ipynb")} == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_has_the_cells_of_its_script(name):
    assert execute.differences(NOTEBOOKS / f"{name}.py", NOTEBOOKS / f"{name}.ipynb") == []


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_executed(name):
    path = NOTEBOOKS / f"{name}.ipynb"
    assert execute.output_problems(path) == []
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code)
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))  # one clean run
    pngs = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    if name in WITH_FIGURES:
        assert pngs, f"{name}: no figure in the committed outputs"
    assert path.stat().st_size < 2_000_000, "keep committed outputs small"


def test_an_edited_cell_is_detected(tmp_path):
    name = "auction_formats"
    script = tmp_path / f"{name}.py"
    notebook = tmp_path / f"{name}.ipynb"
    shutil.copy(NOTEBOOKS / f"{name}.py", script)
    shutil.copy(NOTEBOOKS / f"{name}.ipynb", notebook)
    assert execute.differences(script, notebook) == []

    # edit one code cell of the script only: the committed notebook is now stale
    text = script.read_text(encoding="utf-8")
    assert '"seed": 1,' in text
    script.write_text(text.replace('"seed": 1,', '"seed": 11,', 1), encoding="utf-8")
    found = execute.differences(script, notebook)
    assert len(found) == 1 and "cell 3 (code)" in found[0], found

    # edit a markdown cell of the notebook only
    shutil.copy(NOTEBOOKS / f"{name}.py", script)
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[0].source += "\nAn added sentence."
    nbformat.write(nb, notebook)
    found = execute.differences(script, notebook)
    assert len(found) == 1 and "cell 0 (markdown)" in found[0], found

    # a cell added to the script
    script.write_text(text + "\n# %%\nprint('one more')\n", encoding="utf-8")
    nbformat.write(nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4), notebook)
    assert any("cells" in d for d in execute.differences(script, notebook))

    # an error output is caught too
    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.outputs.append(
        nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=[])
    )
    nbformat.write(nb, notebook)
    assert any("error output" in p for p in execute.output_problems(notebook))


@pytest.mark.slow
@pytest.mark.timeout(3 * execute.TIMEOUT)
@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(name):
    nb = execute.execute(execute.read_script(NOTEBOOKS / f"{name}.py"))
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]  # fmt: skip
    assert not errors
