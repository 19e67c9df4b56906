"""SQLite's write-ahead log stays bounded while readers overlap writers.

The automatic checkpoints start the log over only at a moment when no reader
uses it. Readers whose transactions overlap one another never give it that
moment, and the log grows with every commit; the engine's TRUNCATE
checkpoint waits for the readers of the moment and empties it.
"""

import os
import threading
import time

import pytest

from heat_watch.watch import ingest
from heat_watch.watch.storage import metrics as metric_storage

MB = 1024 * 1024


def _wal_size(engine) -> int:
    path = engine.url.database + '-wal'
    return os.path.getsize(path) if os.path.exists(path) else 0


class _OverlappingReaders:
    """Two readers that each hold a read transaction for ``hold`` seconds,
    staggered so that one of them always holds one."""

    def __init__(self, engine, hold: float = 0.06):
        self.engine = engine
        self.hold = hold
        self.stop = threading.Event()
        self.reads = 0
        self.threads = [threading.Thread(target=self._read, args=(i * hold / 2,), daemon=True)
                        for i in range(2)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _read(self, delay: float) -> None:
        time.sleep(delay)
        raw = self.engine.raw_connection()
        try:
            raw.driver_connection.isolation_level = None
            cursor = raw.cursor()
            while not self.stop.is_set():
                cursor.execute('BEGIN')
                cursor.execute('SELECT count(*) FROM datapoint_buffer').fetchone()
                time.sleep(self.hold)
                cursor.execute('COMMIT')
                self.reads += 1
        finally:
            raw.close()


REQUESTS = 120
WRITTEN = REQUESTS * 1000 * 40  # bytes of log at the least: 40 a point


# Between requests: the writes then span several checkpoint intervals (0.2 s)
# however fast the machine commits (on an idle one, 120 requests unpaced took
# less than one interval, and no checkpoint could fall while they went on).
PAUSE = 0.01


def _write(writer: ingest.IngestWriter) -> None:
    """Put REQUESTS 1,000-point requests through ``writer``, PAUSE apart."""
    stamp = 60_000
    for sent in range(REQUESTS):
        points = [(stamp + i, 'Count', 60, 1.0, float(i), float(i), float(i), True, None)
                  for i in range(1000)]
        writer.submit('p', 'ns', [['m%d' % (sent % 50), [['Host', 'h']], points]])
        stamp += 1000
        time.sleep(PAUSE)


@pytest.fixture
def small_autocheckpoint(watch_conf):
    watch_conf.set_override('sqlite_wal_autocheckpoint', 100, group='watch_database')


def _run(engine, checkpoint_seconds: float) -> tuple[int, int]:
    store = metric_storage.MetricStore(engine, buffer_rows=0,
                                       checkpoint_seconds=checkpoint_seconds,
                                       checkpoint_wait_ms=1000)
    writer = ingest.IngestWriter(store.write_metrics, on_stop=store.finish_writes,
                                 maintain=store.maintain,
                                 maintenance_due=store.maintenance_due, idle_interval=0.05)
    writer.start()
    with _OverlappingReaders(engine) as readers:
        _write(writer)
        # On an idle machine the writes take less time than ten reads: the
        # readers overlap on until they have done more (the assertion below).
        overlap_until = time.monotonic() + 10.0
        while readers.reads <= 10 and time.monotonic() < overlap_until:
            time.sleep(0.02)
        largest = _wal_size(engine)
        # A few checkpoint intervals (longer on a loaded machine), or 0.2 s.
        deadline = time.monotonic() + (5.0 if checkpoint_seconds else 0.2)
        while True:
            after = _wal_size(engine)
            if after == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    writer.stop()
    assert readers.reads > 10
    return largest, after


def test_without_truncate_checkpoints_overlapping_readers_let_the_log_grow(
        small_autocheckpoint, watch_engine):
    largest, after = _run(watch_engine, checkpoint_seconds=0)
    assert after >= WRITTEN > 4 * MB  # every commit stayed in the log


def test_truncate_checkpoints_empty_the_log_despite_overlapping_readers(
        small_autocheckpoint, watch_engine):
    largest, after = _run(watch_engine, checkpoint_seconds=0.2)
    assert after < 1 * MB
    assert largest < WRITTEN  # emptied while the writes went on, too


def test_a_checkpoint_that_cannot_finish_in_time_is_reported_and_retried(watch_engine):
    store = metric_storage.MetricStore(watch_engine, checkpoint_seconds=0.01,
                                       checkpoint_wait_ms=20)
    store.write_metrics([('p', 'ns', [['m', [], [(60_000, 'Count', 60, 1.0, 1.0, 1.0, 1.0,
                                                   True, None)]]])])
    raw = watch_engine.raw_connection()
    try:  # a writer that holds the write lock longer than the wait
        raw.driver_connection.isolation_level = None
        raw.cursor().execute('BEGIN IMMEDIATE')
        assert store.checkpoint() is False
        raw.cursor().execute('COMMIT')
    finally:
        raw.close()
    time.sleep(0.02)
    assert store.maintenance_due()
    assert store.checkpoint() is True
    store.release_connection()
