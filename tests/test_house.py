"""House rules of ``src/auction_sim``: no import circle among its modules, none over 800 lines.

The import graph is read with :mod:`ast` (nothing is imported), with the same notion of a circle
as the workplace's checker ``house_check.py`` (``python house_check.py src auction_sim``), so the
two agree (checked below when that script is present):

* A node is a module of the package; ``pkg/__init__.py`` is the module ``pkg``.
* Every ``import`` statement counts, wherever it is: at module level, inside a function (a lazy
  import), under ``try`` or ``if TYPE_CHECKING``.  A lazy import only changes *when* a module is
  loaded; two modules that import each other still depend on each other, so a function-level
  import does not break a circle.
* ``import a.b.c`` is an edge to ``a.b.c``; ``from a.b import c`` to ``a.b`` and, when it is a
  module, ``a.b.c``; relative imports are resolved against the importing module's package.
* Edges *to* a package's ``__init__`` are not counted (importing ``auction_sim.batch`` from
  inside the package is how its submodules are reached, and re-exports are the ``__init__``'s
  job), nor edges of a module to itself.
* A circle is a strongly connected component of two modules or more.
* A module is too long when it has more than 800 lines.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "auction_sim"
MAX_LINES = 800
HOUSE_CHECK = Path(os.environ.get("HOUSE_CHECK", "/work/shared/tools/house_check.py"))


def modules(src: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of ``package`` under ``src``."""
    out = {}
    for f in sorted((src / package).rglob("*.py")):
        parts = list(f.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = f
    return out


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (see the module docstring for the rules)."""
    graph: dict[str, set[str]] = {}
    for name, f in mods.items():
        base = name.split(".") if f.name == "__init__.py" else name.split(".")[:-1]
        edges = graph[name] = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"), str(f))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    pkg = base[: len(base) - (node.level - 1)]
                    mod = ".".join(pkg + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
            else:
                continue
            edges.update(
                t for t in targets if t in mods and t != name and mods[t].name != "__init__.py"
            )
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of two modules or more (Tarjan, iterative), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    circles.append(sorted(comp))
    return sorted(circles)


def long_modules(mods: dict[str, Path], limit: int = MAX_LINES) -> dict[str, int]:
    """Modules with more than ``limit`` lines -> their line count."""
    out = {}
    for name, f in mods.items():
        with f.open(encoding="utf-8") as fh:
            n = sum(1 for _ in fh)
        if n > limit:
            out[name] = n
    return out


def report(src: Path, package: str) -> tuple[list[list[str]], dict[str, int]]:
    mods = modules(src, package)
    return import_circles(import_graph(mods)), long_modules(mods)


# ---- the package ----


def test_no_import_circle_in_the_package():
    circles, _ = report(SRC, PACKAGE)
    assert not circles, "import circles:\n" + "\n".join(" <-> ".join(c) for c in circles)


def test_no_module_over_800_lines():
    _, long = report(SRC, PACKAGE)
    assert not long, "modules over 800 lines: " + ", ".join(f"{m} ({n})" for m, n in long.items())


# ---- the checks can fail ----


def make_package(root: Path, files: dict[str, str]) -> Path:
    """A fake package ``fakepkg`` under ``root`` (the ``src`` folder): path -> source."""
    for rel, text in {"fakepkg/__init__.py": "", **files}.items():
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text, encoding="utf-8")
    return root


CLEAN = {
    "fakepkg/__init__.py": "from .a import A\n",  # __init__ re-exports: edges to it don't count
    "fakepkg/a.py": "import fakepkg\nfrom . import b\nA = 1\n",
    "fakepkg/b.py": "from .sub.c import C\nimport os\n",
    "fakepkg/sub/__init__.py": "from .. import a\n",
    "fakepkg/sub/c.py": "from fakepkg.sub import d\nC = 2\n",
    "fakepkg/sub/d.py": "def f():\n    import fakepkg\n    from .. import sub\n",
    "fakepkg/long.py": "x = 1\n" * MAX_LINES,  # exactly at the limit: fine
}


def test_a_clean_package_passes(tmp_path):
    assert report(make_package(tmp_path, CLEAN), "fakepkg") == ([], {})


@pytest.mark.parametrize(
    "back",
    [
        "from .. import b\n",  # relative, module level
        "import fakepkg.b\n",  # absolute
        "from fakepkg.b import thing\n",  # absolute from-import
        "def later():\n    from ..b import thing\n",  # lazy: inside a function
        "try:\n    from ..b import thing\nexcept ImportError:\n    thing = None\n",  # guarded
        "import typing\nif typing.TYPE_CHECKING:\n    from .. import b\n",  # typing only
    ],
)
def test_an_injected_circle_is_caught(tmp_path, back):
    # b -> sub.c -> sub.d -> b, closed by ``back`` in sub/d.py
    files = {**CLEAN, "fakepkg/sub/d.py": back}
    circles, _ = report(make_package(tmp_path, files), "fakepkg")
    assert circles == [["fakepkg.b", "fakepkg.sub.c", "fakepkg.sub.d"]]


def test_two_circles_and_a_self_import(tmp_path):
    files = {
        **CLEAN,
        "fakepkg/x.py": "from . import y\nfrom . import x\n",  # a self-import is no circle
        "fakepkg/y.py": "def f():\n    from .x import X\n",
        "fakepkg/sub/d.py": "from ..b import thing\n",
    }
    circles, _ = report(make_package(tmp_path, files), "fakepkg")
    assert circles == [["fakepkg.b", "fakepkg.sub.c", "fakepkg.sub.d"], ["fakepkg.x", "fakepkg.y"]]


def test_an_injected_long_module_is_caught(tmp_path):
    files = {**CLEAN, "fakepkg/sub/long.py": "x = 1\n" * (MAX_LINES + 1)}
    assert report(make_package(tmp_path, files), "fakepkg") == ([], {"fakepkg.sub.long": 801})


# ---- agreement with the workplace's checker ----


def house_check(src: Path, package: str) -> tuple[list[list[str]], dict[str, int], int]:
    out = subprocess.run(
        [sys.executable, str(HOUSE_CHECK), str(src), package],
        capture_output=True,
        text=True,
        timeout=120,
    )
    circles, long = [], {}
    for line in out.stdout.splitlines():
        if line.startswith("import circle: "):
            circles.append(sorted(line.removeprefix("import circle: ").split(" <-> ")))
        elif line.startswith("over 800 lines: "):
            name, n = line.removeprefix("over 800 lines: ").rsplit(" (", 1)
            long[name] = int(n.rstrip(")"))
    return sorted(circles), long, out.returncode


@pytest.mark.skipif(not HOUSE_CHECK.is_file(), reason=f"{HOUSE_CHECK} not here")
@pytest.mark.parametrize("case", ["package", "clean", "circles", "long"])
def test_agrees_with_house_check(tmp_path, case):
    fakes = {
        "clean": CLEAN,
        "circles": {
            **CLEAN,
            "fakepkg/x.py": "from . import y\n",
            "fakepkg/y.py": "def f():\n    import fakepkg.x\n",
            "fakepkg/sub/d.py": "from fakepkg.b import thing\n",
        },
        "long": {**CLEAN, "fakepkg/long.py": "x = 1\n" * (MAX_LINES + 5)},
    }
    if case == "package":
        src, package = SRC, PACKAGE
    else:
        src, package = make_package(tmp_path, fakes[case]), "fakepkg"
    circles, long = report(src, package)
    theirs = house_check(src, package)
    assert theirs == (circles, long, int(bool(circles or long)))
    if case != "package":
        assert bool(circles or long) == (case != "clean")
