"""Group commit of PutMetricData requests.

A request's thread queues its points and, if no other thread is
committing, commits itself: it takes everything queued so far (its own
request first among them) and stores it in one transaction. Requests that
arrive meanwhile wait; when the transaction ends, the committing thread
hands the role to the thread of the oldest waiting request, which commits
everything that queued up behind it. Under load more requests share a
commit, so throughput grows with concurrency; alone, a request is committed
on its own thread, with no hand-over to another thread and back. A request
is acknowledged only after the transaction holding its datums committed.

Holding the role is what makes the store's one ingestion connection safe to
use from whichever thread holds it. Work between commits (SQLite's buffer
moves) takes the role too, on a thread of its own.
"""

import collections
import threading
from collections.abc import Callable

from oslo_config import cfg
from oslo_log import log

from heat_watch.common import db_errors, exceptions
from heat_watch.watch import points

LOG = log.getLogger(__name__)

GROUP = 'watch_engine'
OPTS = [
    cfg.IntOpt('ingest_max_batch_datapoints', default=20000, min=1000,
               help='Most datapoints committed in one ingestion transaction.'),
    cfg.IntOpt('ingest_queue_requests', default=1000, min=10,
               help='PutMetricData requests that may wait for a commit; '
                    'past that, callers block (back pressure).'),
]


class _Pending:
    """One request's points, and how its thread learns what to do next."""

    __slots__ = ('project_id', 'namespace', 'metrics', 'size', 'wake', 'finished', 'lead',
                 'error')

    def __init__(self, project_id: str, namespace: str, metrics: list[list]):
        self.project_id = project_id
        self.namespace = namespace
        self.metrics = metrics
        self.size = points.count(metrics)
        self.wake = threading.Event()  # finished, or the role was handed over
        self.finished = False
        self.lead = False
        self.error: Exception | None = None

    def finish(self, error: Exception | None = None) -> None:
        self.error = error
        self.finished = True
        self.wake.set()


class IngestWriter:
    """Commits queued points in batches, on the requests' own threads.

    ``write_batch`` stores a list of (project_id, namespace, metrics) (see
    :mod:`heat_watch.watch.points`) in one transaction and returns the
    metric keys written; ``on_committed`` gets those keys after each commit
    (the alarm fast path). ``maintain`` runs while no commit does, on a
    maintenance thread, whenever ``maintenance_due`` says so (checked after
    each commit and every ``idle_interval`` seconds). ``on_stop`` runs once,
    after the last commit, as the writer stops.
    """

    def __init__(self, write_batch: Callable[[list], set[str]],
                 on_committed: Callable[[set[str]], None] | None = None,
                 max_batch_datapoints: int = 20000, max_queued: int = 1000,
                 on_stop: Callable[[], None] | None = None,
                 maintain: Callable[[], object] | None = None,
                 maintenance_due: Callable[[], bool] | None = None,
                 idle_interval: float = 1.0):
        self._write_batch = write_batch
        self._on_committed = on_committed
        self._on_stop = on_stop
        self._maintain = maintain
        self._maintenance_due = maintenance_due or (lambda: maintain is not None)
        self._idle_interval = idle_interval
        self._max_batch = max_batch_datapoints
        self._max_queued = max_queued
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)  # back pressure
        self._waiting: collections.deque[_Pending] = collections.deque()
        self._busy = False  # some thread holds the role
        self._role_requests: collections.deque[threading.Event] = collections.deque()
        self._kick = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = False
        self._stopping = False

    def start(self) -> None:
        """Accept requests; start the maintenance thread if there is work for it."""
        self._running = True
        if self._maintain is not None:
            self._thread = threading.Thread(target=self._maintenance_loop,
                                            name='ingest-maintenance', daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Refuse new requests, commit those queued, run ``on_stop``."""
        with self._lock:
            if not self._running or self._stopping:
                return
            self._stopping = True
            self._room.notify_all()
        if self._thread is not None:
            self._kick.set()
            self._thread.join()
            self._thread = None
        self._take_role()
        self._lead(None)  # what still waits
        self._running = False  # the role stays taken: nothing more runs
        if self._on_stop is not None:
            try:
                self._on_stop()
            except Exception:  # a clean stop all the same
                LOG.exception('Finishing ingestion failed')

    def submit(self, project_id: str, namespace: str, metrics: list[list]) -> None:
        """Queue points and return once they are committed (or raise why not)."""
        error = self.submit_many([(project_id, namespace, metrics)])[0]
        if error is not None:
            raise error

    def submit_many(self, requests: list[tuple[str, str, list[list]]]) -> list[Exception | None]:
        """Queue several requests' (project_id, namespace, metrics) at once
        (a coalesced RPC) and return once each is committed or failed: per
        request, None or its own error. They usually share one transaction;
        one request's bad data fails only that request (see _commit)."""
        if not requests:
            return []
        pendings = [_Pending(*request) for request in requests]
        with self._lock:
            while len(self._waiting) >= self._max_queued and not self._stopping:
                self._room.wait()
            if self._stopping or not self._running:
                raise exceptions.ServiceUnavailable(reason='the watch engine is stopping')
            self._waiting.extend(pendings)
            pendings[0].lead = not self._busy
            self._busy = True
        for pending in pendings:
            while not pending.finished:
                if pending.lead:
                    pending.lead = False
                    self._lead(pending)
                else:
                    pending.wake.wait()
                    pending.wake.clear()
        return [pending.error for pending in pendings]

    # -- the role ------------------------------------------------------------

    def _take_role(self) -> None:
        """Wait until this thread holds the role (for work other than a request)."""
        with self._lock:
            if not self._busy:
                self._busy = True
                return
            turn = threading.Event()
            self._role_requests.append(turn)
        turn.wait()

    def _pass_role(self) -> None:
        """Called with the lock held by the holder as it finishes."""
        if self._role_requests:
            self._role_requests.popleft().set()
        elif self._waiting:
            following = self._waiting[0]
            following.lead = True
            following.wake.set()
        else:
            self._busy = False

    def _lead(self, own: _Pending | None) -> None:
        """Holding the role: commit batches until ``own`` is done (or, with
        None, until nothing waits), then pass the role on."""
        while True:
            with self._lock:
                if not self._waiting or (own is not None and own.finished):
                    if own is not None:
                        self._pass_role()
                    return
                batch = self._take_batch()
                self._room.notify_all()
            self._commit(batch)
            if self._maintain is not None and self._due():
                self._kick.set()

    def _take_batch(self) -> list[_Pending]:
        batch, size = [], 0
        while self._waiting and (not batch or size < self._max_batch):
            pending = self._waiting.popleft()
            batch.append(pending)
            size += pending.size
        return batch

    # -- maintenance ---------------------------------------------------------

    def _due(self) -> bool:
        try:
            return self._maintenance_due()
        except Exception:
            LOG.exception('Checking whether ingestion maintenance is due failed')
            return False

    def _maintenance_loop(self) -> None:
        while not self._stopping:
            self._kick.wait(self._idle_interval)
            self._kick.clear()
            if self._stopping or not self._due():
                continue
            self._take_role()
            try:
                self._maintain()
            except Exception:  # the writer must outlive it
                LOG.exception('Ingestion maintenance failed')
            finally:
                with self._lock:
                    self._pass_role()

    # -- the transaction -----------------------------------------------------

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            keys = self._write_batch([(p.project_id, p.namespace, p.metrics) for p in batch])
        except Exception as error:  # every waiter must learn the outcome
            outage = db_errors.unavailable(error, operation='put_metric_data')
            if outage is not None:
                # Not the data's fault: one by one would fail the same way.
                for pending in batch:
                    pending.finish(outage)
                return
            if len(batch) > 1:
                # One request's bad data must not fail the others that
                # shared its transaction: each gets its own.
                LOG.warning('Storing %d PutMetricData requests together failed (%s); '
                            'storing them one by one', len(batch), error)
                for pending in batch:
                    self._commit([pending])
                return
            LOG.exception('Storing a PutMetricData request failed')
            batch[0].finish(error if isinstance(error, exceptions.HeatWatchError) else
                            exceptions.ServiceUnavailable(
                                reason='the watch database failed to store them'))
            return
        for pending in batch:
            pending.finish()
        if self._on_committed is not None and keys:
            try:
                self._on_committed(keys)
            except Exception:
                LOG.exception('Alarm fast path failed after an ingestion commit')
