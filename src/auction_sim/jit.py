"""numba set-up: where compiled kernels are cached, and saying so when they compile.

* **Cache.** Kernels are ``@njit(cache=True)``.  numba writes its cache beside the source
  files unless ``NUMBA_CACHE_DIR`` says otherwise; we set that variable (when the user has
  not) to ``$XDG_CACHE_HOME/auction_sim/numba`` (``~/.cache/auction_sim/numba``), so an
  installed package never writes into its own tree.  Set ``NUMBA_CACHE_DIR`` yourself to
  put it elsewhere; delete the folder to force a fresh compile.
* **No silent compile.** The first kernel compiled in a process (a cache miss: first run,
  new numba version, changed source) prints one line on stderr with what to expect;
  processes that find everything cached print nothing.  ``auction-sim warmup`` compiles
  every kind's kernels once, ahead of time.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

__all__ = ["CACHE_ENV", "default_cache_dir", "configure_cache", "announce_compiles"]

CACHE_ENV = "NUMBA_CACHE_DIR"
COMPILE_SECONDS = "20-40 s"
"""What one process's first compile costs on the project's 2-core VM (measured with
``benchmarks/cold_start.py``): the figure the stderr notice quotes."""


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "auction_sim" / "numba"


def configure_cache() -> str:
    """Set ``NUMBA_CACHE_DIR`` to the default unless the user set it; return the folder.

    Called on ``import auction_sim``, before any kernel module imports numba; worker
    processes inherit the variable.  Where numba was imported first, its config is updated
    too (numba reads the variable when a dispatcher locates its cache).
    """
    if not os.environ.get(CACHE_ENV):
        os.environ[CACHE_ENV] = str(default_cache_dir())
    path = os.environ[CACHE_ENV]
    if "numba" in sys.modules:
        from numba.core import config

        config.CACHE_DIR = path
    return path


_installed = False
_lock = threading.Lock()


def announce_compiles(stream=None) -> None:
    """Print one line on ``stream`` (stderr) the first time this process compiles a kernel."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    from numba.core import event

    class _Notice(event.Listener):
        said = False

        def on_start(self, ev) -> None:
            if self.said:
                return
            self.said = True
            out = stream or sys.stderr
            where = os.environ.get(CACHE_ENV) or "beside the sources"
            print(
                f"auction-sim: compiling numba kernels for first use (about {COMPILE_SECONDS}"
                f" per process on 2 cores); cached in {where} for next time",
                file=out,
                flush=True,
            )

        def on_end(self, ev) -> None:
            pass

    event.register("numba:compile", _Notice())
