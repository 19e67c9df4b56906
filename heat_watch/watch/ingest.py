"""Group commit of PutMetricData requests.

RPC worker threads hand their points to one writer thread and wait; the
writer takes everything that queued up while the previous transaction ran
and commits it in one transaction. Under load, more requests share a
commit, so throughput grows with concurrency. A request is acknowledged
only after the transaction holding its datums committed.
"""

import queue
import threading
from collections.abc import Callable

from oslo_config import cfg
from oslo_log import log

from heat_watch.common import exceptions
from heat_watch.watch import points

LOG = log.getLogger(__name__)

GROUP = 'watch_engine'
OPTS = [
    cfg.IntOpt('ingest_max_batch_datapoints', default=20000, min=1000,
               help='Most datapoints committed in one ingestion transaction.'),
    cfg.IntOpt('ingest_queue_requests', default=1000, min=10,
               help='PutMetricData requests that may wait for the writer; '
                    'past that, callers block (back pressure).'),
]

_STOP = object()


class _Pending:
    __slots__ = ('project_id', 'namespace', 'metrics', 'size', 'done', 'error')

    def __init__(self, project_id: str, namespace: str, metrics: list[list]):
        self.project_id = project_id
        self.namespace = namespace
        self.metrics = metrics
        self.size = points.count(metrics)
        self.done = threading.Event()
        self.error: Exception | None = None


class IngestWriter:
    """Commits queued points in batches on one writer thread.

    ``write_batch`` stores a list of (project_id, namespace, metrics) (see
    :mod:`heat_watch.watch.points`) in one transaction and returns the
    metric keys written; ``on_committed`` gets those keys after each commit
    (the alarm fast path); ``on_stop`` runs on the writer thread as it ends.
    ``maintain`` runs on the writer thread after each commit and after every
    ``idle_interval`` seconds without work (the store's buffer moves).
    """

    def __init__(self, write_batch: Callable[[list], set[str]],
                 on_committed: Callable[[set[str]], None] | None = None,
                 max_batch_datapoints: int = 20000, max_queued: int = 1000,
                 on_stop: Callable[[], None] | None = None,
                 maintain: Callable[[], None] | None = None, idle_interval: float = 1.0):
        self._write_batch = write_batch
        self._on_committed = on_committed
        self._on_stop = on_stop
        self._maintain = maintain
        self._idle_interval = idle_interval if maintain is not None else None
        self._max_batch = max_batch_datapoints
        self._queue: queue.Queue = queue.Queue(maxsize=max_queued)
        self._thread: threading.Thread | None = None
        self._stopping = False

    def start(self) -> None:
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._run, name='ingest-writer', daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Commit what is queued, then stop the writer thread."""
        if self._thread is None:
            return
        self._stopping = True
        self._queue.put(_STOP)
        self._thread.join()
        self._thread = None

    def submit(self, project_id: str, namespace: str, metrics: list[list],
               timeout: float | None = None) -> None:
        """Queue points and wait until they are committed (or failed)."""
        if self._stopping or self._thread is None:
            raise exceptions.ServiceUnavailable(reason='the watch engine is stopping')
        pending = _Pending(project_id, namespace, metrics)
        self._queue.put(pending)
        if not pending.done.wait(timeout):
            raise exceptions.ServiceUnavailable(reason='the datapoints were not stored in time')
        if pending.error is not None:
            raise pending.error

    def _take_batch(self, first: _Pending) -> tuple[list[_Pending], bool]:
        batch, size, stop = [first], first.size, False
        while size < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                stop = True
                break
            batch.append(item)
            size += item.size
        return batch, stop

    def _run(self) -> None:
        try:
            while True:
                try:
                    first = self._queue.get(timeout=self._idle_interval)
                except queue.Empty:
                    self._run_maintenance()
                    continue
                if first is _STOP:
                    return
                batch, stop = self._take_batch(first)
                self._commit(batch)
                self._run_maintenance()
                if stop:
                    return
        finally:
            if self._on_stop is not None:
                self._on_stop()  # on this thread: what it holds is its own

    def _run_maintenance(self) -> None:
        if self._maintain is None:
            return
        try:
            self._maintain()
        except Exception:  # the writer must outlive it
            LOG.exception('Ingestion maintenance failed')

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            keys = self._write_batch([(p.project_id, p.namespace, p.metrics) for p in batch])
        except Exception as error:  # every waiter must learn the outcome
            if len(batch) > 1:
                # One request's bad data must not fail the others that
                # shared its transaction: each gets its own.
                LOG.warning('Storing %d PutMetricData requests together failed (%s); '
                            'storing them one by one', len(batch), error)
                for pending in batch:
                    self._commit([pending])
                return
            LOG.exception('Storing a PutMetricData request failed')
            batch[0].error = error if isinstance(error, exceptions.HeatWatchError) else \
                exceptions.ServiceUnavailable(reason='the watch database failed to store them')
            batch[0].done.set()
            return
        for pending in batch:
            pending.done.set()
        if self._on_committed is not None and keys:
            try:
                self._on_committed(keys)
            except Exception:
                LOG.exception('Alarm fast path failed after an ingestion commit')
