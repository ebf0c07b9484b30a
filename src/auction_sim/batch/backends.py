"""Where tasks run: in this process, or on a local process pool.

A backend is an iterator factory: ``backend.map(tasks)`` yields
:class:`~auction_sim.batch.tasks.TaskResult` objects as tasks finish, in any
order.  Results never depend on the backend because every task carries its seed.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from .tasks import Task, TaskResult, run_task
from .worker_exit import quick_exit

__all__ = ["SerialBackend", "ProcessBackend", "make_backend", "BACKENDS"]

BACKENDS = ("serial", "process", "dask")


class SerialBackend:
    """Run tasks one after another in this process."""

    name = "serial"

    def map(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        for t in tasks:
            yield run_task(t)

    def close(self) -> None:
        pass


def _exit_with_parent(parent: int) -> None:
    # A pool worker whose parent was killed (kill -9, OOM) would wait for work forever.
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _init_worker(threads: int) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the pool and keeps
    # what finished; workers ignore it instead of printing tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    # A worker that has delivered its last result leaves without the interpreter's teardown
    # (~0.3 s with numba loaded, which the pool's shutdown waits for): the last of
    # multiprocessing's exit finalizers, after the queues have been flushed and joined
    # (their finalizers have higher priorities).
    from multiprocessing import util

    util.Finalize(None, quick_exit, exitpriority=-100)
    # Split the cores between workers so numba's threads do not oversubscribe them.
    os.environ["NUMBA_NUM_THREADS"] = str(threads)
    try:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    except Exception:  # noqa: BLE001 - threading is an optimisation only
        pass


class ProcessBackend:
    """A local process pool (``spawn`` start method: safe with numba's threads).

    Parameters
    ----------
    workers : int, optional
        Worker processes; default: all cores.
    """

    name = "process"

    def __init__(self, workers: int | None = None):
        cores = os.cpu_count() or 1
        if workers is not None and int(workers) > cores:
            print(
                f"auction-sim: warning: {workers} workers requested, {cores} cores; using {cores}",
                file=sys.stderr,
            )
            workers = cores
        self.workers = max(1, int(workers or cores))
        self.threads = max(1, cores // self.workers)
        self._pool: ProcessPoolExecutor | None = None

    def map(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        tasks = list(tasks)
        if not tasks:
            return
        self._pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(tasks)),
            mp_context=mp.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.threads,),
        )
        # Keep a bounded window of submitted tasks so Ctrl-C loses little queued work.
        window = 4 * self.workers
        pending = set()
        it = iter(tasks)
        for t in it:
            pending.add(self._pool.submit(run_task, t))
            if len(pending) >= window:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                nxt = next(it, None)
                if nxt is not None:
                    pending.add(self._pool.submit(run_task, nxt))
                yield fut.result()
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def make_backend(name: str, workers: int | None = None, scheduler: str | None = None):
    """Backend by name: ``serial``, ``process`` or ``dask``."""
    if name == "serial":
        return SerialBackend()
    if name == "process":
        return ProcessBackend(workers)
    if name == "dask":
        from .dask_backend import DaskBackend  # optional dependency

        return DaskBackend(workers=workers, scheduler=scheduler)
    raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}")
