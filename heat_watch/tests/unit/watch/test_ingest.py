"""Group commit: concurrent PutMetricData requests share transactions."""

import threading
import time

import pytest

from heat_watch.common import exceptions
from heat_watch.watch import ingest

POINT = (1000, 'None', 60, 1.0, 1.0, 1.0, 1.0, True, None)


def _metric(name: str, count: int = 1) -> list:
    """One metric of the wire format, holding ``count`` points."""
    return [name, [], [POINT] * count]


class SlowStore:
    """Records each batch; the first commit waits so that others queue up."""

    def __init__(self, fail: bool = False):
        self.batches: list[list] = []
        self.first_batch: list | None = None
        self.release = threading.Event()
        self.fail = fail

    def write(self, batch: list) -> set[str]:
        if not self.batches:
            self.first_batch = batch
            self.release.wait(30)
        self.batches.append(batch)
        if self.fail:
            raise RuntimeError('disk full')
        return {'key-%d' % len(self.batches)}


def _submit_all(writer: ingest.IngestWriter, count: int) -> list:
    errors, threads = [], []

    def submit(i: int) -> None:
        try:
            writer.submit('p', 'ns', [_metric('m%d' % i)])
        except Exception as error:  # collected for the assertions
            errors.append(error)

    for i in range(count):
        threads.append(threading.Thread(target=submit, args=(i,)))
        threads[-1].start()
    return threads, errors


def _wait_until_queued(store: SlowStore, writer: ingest.IngestWriter, count: int) -> None:
    """Wait until the held first commit and the queue behind it hold ``count``
    requests (however the submitting threads were scheduled)."""
    deadline = time.monotonic() + 20
    while store.first_batch is None or len(store.first_batch) + len(writer._waiting) < count:
        assert time.monotonic() < deadline, 'the requests never all arrived'
        time.sleep(0.01)


def _submit_while_the_first_commit_waits(store: SlowStore, count: int) -> tuple[list, list]:
    """``count`` requests queued behind a held first commit, then released:
    (errors raised to the submitters, keys given to on_committed)."""
    committed: list = []
    writer = ingest.IngestWriter(store.write, on_committed=committed.append)
    writer.start()
    threads, errors = _submit_all(writer, count)
    _wait_until_queued(store, writer, count)
    store.release.set()
    for thread in threads:
        thread.join(5)
    writer.stop()
    return errors, committed


def test_requests_waiting_during_a_commit_are_committed_together():
    store = SlowStore()
    errors, committed = _submit_while_the_first_commit_waits(store, 20)
    assert not errors
    assert sum(len(b) for b in store.batches) == 20
    assert len(store.batches) == 2, 'the requests queued during a commit should share one'
    assert committed == [{'key-1'}, {'key-2'}]


def test_when_the_database_fails_every_request_learns_it():
    store = SlowStore(fail=True)
    store.release.set()
    writer = ingest.IngestWriter(store.write)
    writer.start()
    threads, errors = _submit_all(writer, 5)
    for thread in threads:
        thread.join(5)
    writer.stop()
    assert len(errors) == 5
    assert all(isinstance(e, exceptions.ServiceUnavailable) for e in errors)


class PoisonedStore(SlowStore):
    """Refuses any batch holding the datum of metric 'm3'."""

    def write(self, batch: list) -> set[str]:
        if not self.batches:
            self.first_batch = batch
            self.release.wait(30)
        self.batches.append(batch)
        names = {name for _, _, metrics in batch for name, _, _ in metrics}
        if 'm3' in names:
            raise RuntimeError('the database refuses this string')
        return names


def test_one_bad_request_does_not_fail_those_sharing_its_commit():
    errors, committed = _submit_while_the_first_commit_waits(PoisonedStore(), 8)
    assert len(errors) == 1 and isinstance(errors[0], exceptions.ServiceUnavailable)
    stored = set().union(*committed)
    assert stored == {'m%d' % i for i in range(8)} - {'m3'}


def test_a_batch_never_exceeds_the_datapoint_limit():
    store = SlowStore()
    writer = ingest.IngestWriter(store.write, max_batch_datapoints=1000)
    writer.start()
    threads = []
    for _ in range(6):
        request = [_metric('a', 150), _metric('b', 250)]
        thread = threading.Thread(target=writer.submit, args=('p', 'ns', request))
        thread.start()
        threads.append(thread)
    _wait_until_queued(store, writer, 6)
    store.release.set()
    for thread in threads:
        thread.join(5)
    writer.stop()
    sizes = [sum(len(points) for _, _, metrics in batch for _, _, points in metrics)
             for batch in store.batches]
    assert sum(sizes) == 2400
    assert max(sizes[1:]) <= 1200  # a batch stops once it reaches the limit


def test_submitting_to_a_stopped_writer_is_refused():
    writer = ingest.IngestWriter(SlowStore().write)
    with pytest.raises(exceptions.ServiceUnavailable):
        writer.submit('p', 'ns', [_metric('m')])


class MaintainedStore(SlowStore):
    """Records maintenance runs, and whether one ever overlapped a commit."""

    def __init__(self):
        super().__init__()
        self.release.set()
        self.committing = False
        self.overlapped = False
        self.maintained: list[float] = []
        self.due = True

    def write(self, batch: list) -> set[str]:
        self.committing = True
        try:
            time.sleep(0.002)
            return super().write(batch)
        finally:
            self.committing = False

    def maintain(self) -> None:
        self.overlapped |= self.committing
        self.maintained.append(time.monotonic())


def _wait_for(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_a_request_alone_is_committed_on_its_own_thread():
    threads = []
    writer = ingest.IngestWriter(lambda batch: threads.append(threading.current_thread()) or set())
    writer.start()
    writer.submit('p', 'ns', [_metric('m')])
    writer.stop()
    assert threads == [threading.current_thread()]


def test_maintenance_follows_a_commit_when_due_and_never_overlaps_one():
    store = MaintainedStore()
    store.due = False
    writer = ingest.IngestWriter(store.write, maintain=store.maintain,
                                 maintenance_due=lambda: store.due, idle_interval=30)
    writer.start()
    threads, errors = _submit_all(writer, 20)
    for thread in threads:
        thread.join(5)
    assert store.maintained == [], 'not due: no maintenance'
    store.due = True
    threads, errors = _submit_all(writer, 20)
    for thread in threads:
        thread.join(5)
    # Far sooner than the idle interval: the commit kicked it.
    assert _wait_for(lambda: store.maintained), 'a due maintenance should follow a commit'
    writer.stop()
    assert not errors and not store.overlapped


def test_an_idle_writer_maintains_every_interval():
    store = MaintainedStore()
    writer = ingest.IngestWriter(store.write, maintain=store.maintain, idle_interval=0.05)
    writer.start()
    time.sleep(0.3)
    writer.stop()
    assert len(store.maintained) >= 3


def test_failing_maintenance_is_logged_and_the_writer_goes_on(caplog):
    store = MaintainedStore()

    def broken() -> None:
        raise RuntimeError('disk I/O error')

    writer = ingest.IngestWriter(store.write, maintain=broken, idle_interval=0.02)
    writer.start()
    writer.submit('p', 'ns', [_metric('m')])
    assert _wait_for(lambda: 'Ingestion maintenance failed' in caplog.text)
    writer.submit('p', 'ns', [_metric('n')])
    writer.stop()
    assert len(store.batches) == 2


def test_stopping_commits_what_waits_then_runs_on_stop_once():
    store = SlowStore()
    events: list[str] = []
    writer = ingest.IngestWriter(lambda batch: events.append('commit') or store.write(batch),
                                 on_stop=lambda: events.append('stop'))
    writer.start()
    threads, errors = _submit_all(writer, 5)
    _wait_until_queued(store, writer, 5)
    stopper = threading.Thread(target=writer.stop)
    stopper.start()
    time.sleep(0.05)
    store.release.set()
    stopper.join(5)
    for thread in threads:
        thread.join(5)
    writer.stop()
    assert not errors
    assert sum(len(b) for b in store.batches) == 5
    assert events[-1] == 'stop' and events.count('stop') == 1
    with pytest.raises(exceptions.ServiceUnavailable):
        writer.submit('p', 'ns', [_metric('late')])


def test_a_full_queue_holds_new_requests_back_until_there_is_room():
    store = SlowStore()
    writer = ingest.IngestWriter(store.write, max_queued=2)
    writer.start()
    threads, errors = _submit_all(writer, 3)  # one committing, two waiting
    _wait_until_queued(store, writer, 3)
    late, late_errors = _submit_all(writer, 1)
    time.sleep(0.1)
    assert late[0].is_alive() and len(writer._waiting) == 2, 'the fourth should wait for room'
    store.release.set()
    for thread in threads + late:
        thread.join(5)
    writer.stop()
    assert not errors and not late_errors
    assert sum(len(b) for b in store.batches) == 4


def test_a_failing_on_stop_is_logged_and_the_writer_still_stops(caplog):
    def broken() -> None:
        raise RuntimeError('connection already gone')

    writer = ingest.IngestWriter(SlowStore().write, on_stop=broken)
    writer.start()
    writer.stop()
    assert 'Finishing ingestion failed' in caplog.text
    with pytest.raises(exceptions.ServiceUnavailable):
        writer.submit('p', 'ns', [_metric('late')])
