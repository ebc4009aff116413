"""Where a run's dask graphs execute: threads of this process, local worker processes, or an
existing dask.distributed cluster (docs/scale.md).

``[run] workers = N`` (``--workers N``) starts a ``dask.distributed.LocalCluster`` of N worker
processes with one thread each: numpy, GDAL and the numba kernels then run truly in parallel (no
shared interpreter lock), and the same code path serves a real cluster.  Without
``dask.distributed`` installed it falls back to N threads of this process.  ``[run] scheduler =
ADDRESS`` (``--scheduler``) connects to a running scheduler.  Neither: dask's default (the
threads of this process, or a ``dask.distributed`` Client the caller has made current).

The graphs hold file paths and small tables, never open files: every worker reads the blocks it
needs by path (gepkit.io.rasters), so the same graph runs anywhere the input files can be read.
The same graph gives the same numbers whichever scheduler executes it: each block's work and
each reduction tree are fixed by the chunking, not by where or in which order tasks run.

Years are independent graphs.  Under a distributed scheduler up to :data:`MAX_YEARS_IN_FLIGHT`
of them (at most one per worker thread) are computed at once; the results come back one year at
a time, in order, so the client holds one year's arrays at a time however many years a run has.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

import dask
import dask.array as dsa
import numpy as np
from dask.base import tokenize, unpack_collections
from dask.highlevelgraph import HighLevelGraph
from dask.system import CPU_COUNT

from gepkit.errors import GepError

K = TypeVar("K")

#: Years computed at once under a distributed scheduler (each also bounded by the worker
#: threads): enough to keep the workers busy while the client finishes a year; each year in
#: flight holds its results (the maps) on the workers until the client takes them.
MAX_YEARS_IN_FLIGHT = 4
#: Seconds to wait for a scheduler to answer, and for it to have a worker.
CONNECT_TIMEOUT_S = 10.0


class ExecutionError(GepError):
    """The scheduler or the worker processes cannot be reached or started."""


def distributed_available() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class Executor:
    """Runs the lazy graphs of a run; :meth:`describe` says what executed them (manifest)."""

    kind: str
    """``threads``: this process's threads; ``distributed``: a dask.distributed cluster."""
    workers: int
    threads: int
    processes: bool
    cluster: str
    """Who runs the work, in words (manifest)."""
    address: str | None = None
    client: Any = None
    """The dask.distributed Client (``distributed`` only)."""
    num_workers: int | None = None
    """Threads of the threaded scheduler when set by ``workers`` (no dask.distributed)."""
    _stack: ExitStack = field(default_factory=ExitStack, repr=False)
    _shared: dict[str, dsa.Array] = field(default_factory=dict, repr=False)

    @property
    def years_in_flight(self) -> int:
        if self.kind != "distributed":
            return 1
        return max(1, min(MAX_YEARS_IN_FLIGHT, self.threads))

    def describe(self) -> dict[str, Any]:
        return {
            "scheduler": self.kind,
            "cluster": self.cluster,
            "address": self.address,
            "workers": self.workers,
            "threads": self.threads,
            "worker_processes": self.processes,
            "years_in_flight": self.years_in_flight,
        }

    @contextmanager
    def active(self) -> Iterator[None]:
        """Every ``dask.compute`` inside the block runs on this executor."""
        with ExitStack() as stack:
            token = _CURRENT.set(self)
            stack.callback(_CURRENT.reset, token)
            if self.client is not None:
                stack.enter_context(self.client.as_current())
                stack.enter_context(dask.config.set(scheduler=self.client))
            elif self.num_workers is not None:
                stack.enter_context(
                    dask.config.set(scheduler="threads", num_workers=self.num_workers)
                )
            yield

    def compute_in_turn(
        self, jobs: Iterable[tuple[K, Any]]
    ) -> Generator[tuple[K, Any], None, None]:
        """Compute lazy objects (containers of dask collections, as ``dask.compute`` takes),
        yielding ``(key, computed)`` in the order of ``jobs``.

        The next job is taken from ``jobs`` (its graph built) only when a slot is free: with
        the threaded scheduler one at a time; with a distributed one up to
        :attr:`years_in_flight` are computed at once and each result is fetched when the
        caller asks for it, so the caller holds one result at a time.
        """
        if self.client is None:
            for key, lazy in jobs:
                with self.active():
                    (done,) = dask.compute(lazy)
                del lazy
                yield key, done
                del done
            return
        client = self.client
        pending: deque[tuple[K, list[Any], Callable[[list[Any]], Any]]] = deque()
        queue = iter(jobs)

        def submit() -> bool:
            job = next(queue, None)
            if job is None:
                return False
            key, lazy = job
            collections, repack = unpack_collections(lazy, traverse=True)
            with self.active():
                futures = client.compute(list(collections))
            pending.append((key, futures, lambda results: repack(results)[0]))
            return True

        for _ in range(self.years_in_flight):
            if not submit():
                break
        while pending:
            key, futures, repack = pending.popleft()
            results = client.gather(futures)
            del futures  # released on the cluster
            submit()  # the cluster goes on with the next job while the caller uses this one
            done = repack(results)
            del results
            yield key, done
            del done

    def share(self, array: np.ndarray, chunks: tuple[tuple[int, ...], ...], name: str) -> dsa.Array:
        """``array`` as a dask array whose blocks were sent to the workers once (scattered),
        so that graphs refer to them by key instead of carrying them (see :func:`constant`)."""
        if name not in self._shared:
            assert self.client is not None
            starts = [np.cumsum((0, *c)) for c in chunks]
            index = list(itertools.product(*(range(len(c)) for c in chunks)))
            blocks = [
                array[tuple(slice(s[i], s[i + 1]) for s, i in zip(starts, at, strict=True))]
                for at in index
            ]
            futures = self.client.scatter(blocks, hash=False)
            graph: dict[Any, Any] = {
                (name, *at): future for at, future in zip(index, futures, strict=True)
            }
            self._shared[name] = dsa.Array(
                HighLevelGraph.from_collections(name, graph, dependencies=()),
                name,
                chunks,
                meta=np.empty((0,) * array.ndim, dtype=array.dtype),
            )
        return self._shared[name]

    def close(self) -> None:
        self._shared.clear()
        self._stack.close()


_CURRENT: ContextVar[Executor | None] = ContextVar("gepkit_executor", default=None)


def constant(array: np.ndarray, chunks: Any, name: str, *, token: str | None = None) -> dsa.Array:
    """A constant grid-sized array of the run (zone rasters, region masks) as a dask array of
    ``chunks``.

    With the threaded scheduler its blocks are embedded in the graphs, as ``from_array`` does.
    Under a distributed executor (:meth:`Executor.active`) they are sent to the workers once per
    run and the graphs of every year refer to them by key: what crosses the network per year is
    then file paths and small tables, however large the grid.  ``token``: what identifies the
    array and its chunks where hashing it would be slow (object arrays)."""
    chunks = dsa.core.normalize_chunks(chunks, array.shape, dtype=array.dtype)
    key = f"{name}-{token or tokenize(array, chunks)}"
    current = _CURRENT.get()
    if current is None or current.client is None:
        return dsa.from_array(array, chunks=chunks, name=key)
    return current.share(array, chunks, key)


@contextmanager
def executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """The executor of ``workers`` local processes, of the scheduler at ``scheduler``, or of
    dask's default; clusters started here are closed at the end of the block."""
    if workers is not None and scheduler is not None:
        raise ExecutionError(
            "give either workers (local processes) or scheduler (an existing cluster), not both"
        )
    if scheduler is not None:
        chosen = _connect(scheduler)
    elif workers is not None:
        chosen = _local(workers)
    else:
        chosen = _default()
    try:
        yield chosen
    finally:
        chosen.close()


def _default() -> Executor:
    """dask's own choice: a Client the caller made current, else the threads of this process."""
    if distributed_available():
        from distributed import default_client

        try:
            client = default_client()
        except ValueError:
            client = None
        if client is not None:
            return _of_client(client, "the current dask.distributed Client", None)
    threads = int(dask.config.get("num_workers", None) or CPU_COUNT)
    return Executor(
        kind="threads",
        workers=1,
        threads=threads,
        processes=False,
        cluster="threaded scheduler of this process",
    )


def _local(workers: int) -> Executor:
    if workers < 1:
        raise ExecutionError(f"workers must be at least 1 (got {workers})")
    if not distributed_available():
        return Executor(
            kind="threads",
            workers=1,
            threads=workers,
            processes=False,
            cluster="threaded scheduler of this process (dask.distributed not installed)",
            num_workers=workers,
        )
    from distributed import Client, LocalCluster

    stack = ExitStack()
    try:
        cluster = stack.enter_context(
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                # No dashboard; its HTTP server (health checks) on a free port, not on 8787.
                scheduler_kwargs={"dashboard_address": ":0"},
                # Problems of the tasks reach this process as exceptions; the cluster's own log
                # (heartbeats of workers closing with it) is not for the user of `gep`.
                silence_logs=logging.CRITICAL,
            )
        )
        client = stack.enter_context(Client(cluster, set_as_default=False))
        client.wait_for_workers(workers, timeout=10 * CONNECT_TIMEOUT_S)
    except Exception as err:
        stack.close()
        raise ExecutionError(f"could not start {workers} local worker process(es): {err}") from err
    # The workers import the scientific stack and load the compiled kernels while this process
    # checks the inputs.
    from distributed import fire_and_forget

    for address in client.nthreads():
        fire_and_forget(client.submit(warm_up, pure=False, workers=[address]))
    chosen = _of_client(client, "LocalCluster started by gepkit", cluster.scheduler_address)
    chosen._stack = stack
    return chosen


def warm_up() -> None:
    """Import what the tasks of a run use and load the numba kernels (from their cache), so that
    the first tasks on a new worker do not wait for it."""
    import gepkit.compute  # noqa: F401 - imports the items, models and rasterio
    from gepkit.models import routing

    dem = np.zeros((3, 3), dtype="float32")
    routing.flow_accumulation_mfd(routing.flow_direction_mfd(routing.fill_depressions(dem)))
    routing.flow_accumulation_d8(routing.flow_direction_d8(routing.fill_depressions(dem)))


def _connect(address: str) -> Executor:
    how = (
        f"start one with `dask scheduler` (it prints its address, e.g. tcp://HOST:8786) and "
        f"workers with `dask worker {address}`, or run on this machine with --workers N "
        f"(docs/scale.md)"
    )
    if not distributed_available():
        raise ExecutionError(
            f"cannot connect to the scheduler {address}: dask.distributed is not installed "
            f"(pip install 'dask[distributed]')"
        )
    from distributed import Client

    stack = ExitStack()
    try:
        client = stack.enter_context(
            Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        )
    except Exception as err:
        stack.close()
        reason = str(err).strip() or type(err).__name__
        raise ExecutionError(
            f"cannot connect to the dask scheduler at {address} ({reason}); {how}"
        ) from err
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except Exception as err:
        stack.close()
        raise ExecutionError(
            f"the dask scheduler at {address} has no worker after {CONNECT_TIMEOUT_S:g} s; "
            f"start workers with `dask worker {address}`"
        ) from err
    chosen = _of_client(client, "dask.distributed scheduler", address)
    chosen._stack = stack
    return chosen


def _of_client(client: Any, cluster: str, address: str | None) -> Executor:
    nthreads = client.nthreads()
    return Executor(
        kind="distributed",
        workers=len(nthreads),
        threads=int(sum(nthreads.values())),
        # Workers of a LocalCluster(processes=False) live in this process (inproc:// addresses).
        processes=not all(str(a).startswith("inproc://") for a in nthreads),
        cluster=cluster,
        address=address or client.scheduler.address,
        client=client,
    )
