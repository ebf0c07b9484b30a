"""Run tasks on a Dask distributed cluster (DESIGN §8).

``DaskBackend(scheduler="tcp://host:8786")`` sends tasks to an existing cluster;
without a scheduler it starts a :class:`distributed.LocalCluster` on 127.0.0.1
with ``workers`` single-threaded worker processes and stops it on
:meth:`DaskBackend.close`.

* Tasks travel with their own :class:`numpy.random.SeedSequence`, so a result
  does not depend on which worker computed it or when.
* Results stream back as they finish (``as_completed``); a bounded window of
  submitted tasks keeps Ctrl-C cheap and memory flat on huge grids.
* A worker that dies has its tasks rescheduled by the scheduler on the other
  workers; if the scheduler gives up on a task (``KilledWorker``, e.g. after it
  was on several dying workers) or the connection drops, the backend resubmits
  it itself, up to ``retries`` times.
* An unreachable scheduler raises :class:`BackendError` after ``timeout``
  seconds (default 10; environment variable ``AUCTION_SIM_DASK_TIMEOUT``).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterable, Iterator

from .tasks import Task, TaskResult, run_task
from .worker_exit import quick_exit

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - DaskBackend reports the missing package
    WorkerPlugin = object

__all__ = ["DaskBackend", "BackendError", "check_address"]

DEFAULT_TIMEOUT = 10.0


class BackendError(RuntimeError):
    """The backend cannot run tasks (e.g. the scheduler is unreachable)."""


def _timeout(value: float | None) -> float:
    if value is not None:
        return float(value)
    env = os.environ.get("AUCTION_SIM_DASK_TIMEOUT")
    try:
        return float(env) if env else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT


def check_address(address: str) -> str | None:
    """What is wrong with a scheduler address (``None`` if it looks usable)."""
    try:
        from distributed.comm.addressing import parse_address, parse_host_port
        from distributed.comm.registry import backends
    except ImportError:  # pragma: no cover - the backend reports the missing package
        return None
    expected = f"expected an address like tcp://host:8786, found {address!r}"
    try:
        scheme, location = parse_address(address)
        if scheme not in backends:
            return f"{expected} (unknown scheme {scheme!r})"
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except ValueError as exc:
        return f"{expected} ({exc})"
    return None


PRE_SPAWN = "distributed.nanny.pre-spawn-environ"


def worker_environ() -> dict:
    """The nanny's pre-spawn environment without ``MALLOC_TRIM_THRESHOLD_``.

    Dask's nannies set ``MALLOC_TRIM_THRESHOLD_=65536`` in every worker by default, which
    turns off glibc's dynamic mmap threshold: each large NumPy temporary is then mapped and
    page-faulted afresh.  Measured on a task of 2e6 first-price auctions x 10 bidders: 0.36 s
    per task without it, 0.52 s with it (+45 %), on a worker or in a plain process alike.
    For workers started by ``dask worker`` (the environment variable can override the value
    but not remove it), ``DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON='{"MALLOC_TRIM_THRESHOLD_":
    1073741824, "MALLOC_MMAP_THRESHOLD_": 33554432}'`` measured the same as no setting.
    """
    import dask

    env = dict(dask.config.get(PRE_SPAWN, default={}) or {})
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    return env


_CLOSED_GRACEFULLY = False  # set on a worker of our LocalCluster when it has closed normally


def _exit_if_closed() -> None:
    # The last of multiprocessing's exit finalizers in the worker process (after the
    # worker has closed and its queues are flushed): skip the interpreter's teardown.
    if _CLOSED_GRACEFULLY:
        quick_exit()


class QuickExit(WorkerPlugin):
    """Worker plugin for the LocalCluster this backend starts: a worker that has closed
    normally leaves without the interpreter's teardown (~0.3 s with numba loaded, which
    ``LocalCluster.close`` waits for: 0.48-0.53 s -> 0.03 s measured).  A worker that dies
    or fails never reaches ``teardown`` and exits the usual way, with its exit code.
    """

    name = "auction-sim-quick-exit"

    def setup(self, worker) -> None:  # noqa: ARG002 - WorkerPlugin signature
        from multiprocessing import util

        util.Finalize(None, _exit_if_closed, exitpriority=-100)

    def teardown(self, worker) -> None:  # noqa: ARG002 - WorkerPlugin signature
        global _CLOSED_GRACEFULLY
        _CLOSED_GRACEFULLY = True


def _quiet_cancellations() -> None:
    # On a worker: tasks cancelled by Ctrl-C are expected, not one warning each.
    import logging

    logging.getLogger("distributed.worker.state_machine").setLevel(logging.ERROR)


class DaskBackend:
    """Dask distributed backend.

    Parameters
    ----------
    workers : int, optional
        Worker processes of the local cluster (default: all cores; capped at
        the core count with a warning).  Ignored with ``scheduler``.
    scheduler : str, optional
        Address of an existing scheduler, e.g. ``tcp://10.0.0.5:8786``.
    retries : int
        Resubmissions of a task whose worker died or whose result was lost.
    timeout : float, optional
        Seconds to wait for the scheduler (and for the local cluster to start).
    window : int, optional
        Tasks in flight at once; default four per worker thread.
    """

    name = "dask"

    def __init__(
        self,
        workers: int | None = None,
        scheduler: str | None = None,
        *,
        retries: int = 3,
        timeout: float | None = None,
        window: int | None = None,
    ):
        try:
            import distributed  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise BackendError(
                "the dask backend needs dask.distributed: pip install 'auction_sim[dask]'"
            ) from exc
        cores = os.cpu_count() or 1
        if workers is not None and int(workers) > cores and scheduler is None:
            print(
                f"auction-sim: warning: {workers} workers requested, {cores} cores; using {cores}",
                file=sys.stderr,
            )
            workers = cores
        self.workers = max(1, int(workers or cores))
        self.scheduler = scheduler
        self.retries = int(retries)
        self.timeout = _timeout(timeout)
        self.window = window
        self._client = None
        self._cluster = None
        self.resubmitted = 0  # tasks sent again after a lost worker (for tests and logs)

    # ------------------------------------------------------------------ connection
    def _connect(self):
        import dask
        from distributed import Client, LocalCluster

        if self._client is not None:
            return self._client
        if self.scheduler:
            problem = check_address(self.scheduler)
            if problem:
                raise BackendError(f"--scheduler: {problem}")
            try:
                self._client = Client(self.scheduler, timeout=self.timeout, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise BackendError(
                    f"cannot reach the Dask scheduler at {self.scheduler}"
                    f" within {self.timeout:g} s ({type(exc).__name__}: {exc})"
                ) from None
            wait = 3 * self.timeout  # workers may still be starting
            try:
                self._client.wait_for_workers(1, timeout=wait)
            except (OSError, TimeoutError):
                self.close()
                raise BackendError(
                    f"the Dask scheduler at {self.scheduler} has no workers"
                    f" (waited {wait:g} s); start some with `dask worker {self.scheduler}`"
                ) from None
            return self._client
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        # Ctrl-C reaches the whole process group; the workers (which inherit an ignored
        # SIGINT across spawn) leave it to this process, which cancels and closes cleanly.
        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None
        try:
            with dask.config.set({PRE_SPAWN: worker_environ()}):
                self._cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    # Split the cores between workers so numba's threads do not oversubscribe.
                    env={"NUMBA_NUM_THREADS": str(threads)},
                )
        except Exception as exc:  # noqa: BLE001 - reported as one clear message
            raise BackendError(
                f"could not start a local Dask cluster ({type(exc).__name__}: {exc})"
            ) from exc
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        self._client = Client(self._cluster, timeout=self.timeout, set_as_default=False)
        try:
            self._client.run(_quiet_cancellations)
            self._client.register_plugin(QuickExit())  # only on workers we started
        except Exception:  # noqa: BLE001 - cosmetic and speed only
            pass
        return self._client

    def _slots(self, client) -> int:
        if self.window:
            return int(self.window)
        try:
            threads = sum(client.nthreads().values())
        except Exception:  # noqa: BLE001 - only sizes the window
            threads = self.workers
        return 4 * max(1, threads)

    # ------------------------------------------------------------------ running
    def map(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        from distributed import as_completed

        tasks = list(tasks)
        if not tasks:
            return
        client = self._connect()
        window = self._slots(client)
        attempts: dict = {}
        owner: dict = {}  # future -> task

        def submit(batch: list[Task]) -> list:
            futs = client.map(run_task, batch, pure=False) if batch else []
            owner.update(zip(futs, batch, strict=True))
            return futs

        it = iter(tasks)
        first = submit([t for _, t in zip(range(window), it, strict=False)])
        # Results arrive with their futures (no round trip per result); errors such as
        # KilledWorker come back as values instead of being raised.
        ac = as_completed(first, loop=client.loop, with_results=True, raise_errors=False)
        try:
            for batch in ac.batches():
                results, again = [], []
                for fut, value in batch:
                    task = owner.pop(fut)
                    fut.release()
                    if isinstance(value, TaskResult):
                        results.append(value)
                        continue
                    # Lost worker / connection: resubmit, up to ``retries`` times.
                    n = attempts.get(task.key, 0) + 1
                    attempts[task.key] = n
                    if n > self.retries:
                        results.append(
                            TaskResult(
                                task.point,
                                task.replication,
                                {},
                                0.0,
                                f"{type(value).__name__}: {value} (gave up after {n}"
                                " attempts on the Dask cluster)",
                            )
                        )
                    else:
                        again.append(task)
                        self.resubmitted += 1
                refill = again + [t for _, t in zip(range(len(results)), it, strict=False)]
                ac.update(submit(refill))
                yield from results
        finally:
            # Ctrl-C, an error, or the consumer stopped early: drop what is queued.
            pending = list(owner)
            owner.clear()
            if pending:
                try:
                    client.cancel(pending)
                except Exception:  # noqa: BLE001 - best effort on the way out
                    pass

    def close(self) -> None:
        """Disconnect; stop the local cluster if this backend started it."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        for obj in (client, cluster):
            if obj is not None:
                try:
                    obj.close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    pass
