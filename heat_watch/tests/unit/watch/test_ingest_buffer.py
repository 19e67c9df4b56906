"""SQLite's ingestion buffer: commits go to an unindexed table, reads see
both tables, and the writer moves the buffer into datapoints."""

import time

import pytest
import sqlalchemy as sa

from heat_watch.watch.storage import metrics as metric_storage

BUFFER = metric_storage.BUFFER
DATAPOINTS = metric_storage.DATAPOINTS


def _points(*values: float, start: int = 60_000) -> list[tuple]:
    return [(start + i * 1000, 'Count', 60, 1.0, v, v, v, True, None)
            for i, v in enumerate(values)]


def _write(store: metric_storage.MetricStore, name: str, points: list[tuple]) -> None:
    store.write_metrics([('p', 'ns', [[name, [['Host', 'h1']], points]])])


def _count(engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def _reads(store: metric_storage.MetricStore) -> tuple[list, dict]:
    """What statistics and percentiles of metrics 1 and 2 see, in order."""
    rows = store.bucket_aggregates([1, 2], 0, 600_000, 60_000)
    aggregates = sorted(tuple(r) for r in rows)
    return aggregates, store.raw_values([1, 2], 0, 600_000, 60_000)


@pytest.fixture
def store(watch_engine):
    return metric_storage.MetricStore(watch_engine, buffer_rows=100, buffer_seconds=0.2)


def test_commits_go_to_the_buffer_and_reads_see_them_before_and_after_the_move(store):
    _write(store, 'a', _points(5.0, 1.0, 3.0))
    _write(store, 'b', _points(7.0))
    assert (_count(store.engine, BUFFER), _count(store.engine, DATAPOINTS)) == (4, 0)
    before = _reads(store)
    assert before[0] == [(1, 60_000, 'Count', 3.0, 9.0, 1.0, 5.0, 0),
                         (2, 60_000, 'Count', 1.0, 7.0, 7.0, 7.0, 0)]
    assert store.move_buffer() == 4
    assert (_count(store.engine, BUFFER), _count(store.engine, DATAPOINTS)) == (0, 4)
    assert _reads(store) == before


def test_a_row_is_read_once_while_both_tables_hold_rows_of_one_bucket(store):
    _write(store, 'a', _points(1.0, 2.0))
    store.move_buffer()
    _write(store, 'a', _points(4.0, start=62_000))
    aggregates, raws = _reads(store)
    assert aggregates == [(1, 60_000, 'Count', 3.0, 7.0, 1.0, 4.0, 0)]
    assert sorted(raws[(1, 60_000, 'Count')]) == [(1.0, 1.0), (2.0, 1.0), (4.0, 1.0)]


def test_the_move_sorts_rows_in_index_order(store):
    _write(store, 'a', list(reversed(_points(1.0, 2.0, 3.0))))
    store.move_buffer()
    with store.engine.connect() as conn:
        stamps = [r.timestamp for r in conn.execute(
            sa.select(DATAPOINTS.c.timestamp).order_by(DATAPOINTS.c.id))]
    assert stamps == sorted(stamps)


def test_the_move_is_due_at_start_when_full_and_when_old(store):
    assert store.buffer_due(), 'an earlier process may have left rows'
    store.move_buffer()
    assert not store.buffer_due(), 'nothing buffered'
    _write(store, 'a', _points(1.0))
    assert not store.buffer_due(), 'one fresh row'
    time.sleep(0.25)
    assert store.buffer_due(), 'its oldest row is older than buffer_seconds'
    store.move_buffer()
    _write(store, 'a', _points(*range(100)))
    assert store.buffer_due(), 'the buffer is full'


def test_rows_an_earlier_process_left_are_moved_by_the_next(store, watch_engine):
    _write(store, 'a', _points(1.0, 2.0))
    successor = metric_storage.MetricStore(watch_engine, buffer_rows=100)
    assert successor.buffer_due()
    assert successor.move_buffer() == 2
    assert _count(watch_engine, DATAPOINTS) == 2


def test_a_failed_move_keeps_the_rows_readable_and_waits_before_retrying(store, monkeypatch,
                                                                         caplog):
    _write(store, 'a', _points(1.0, 2.0))
    store.move_buffer()

    def locked() -> int:
        raise sa.exc.OperationalError('INSERT INTO datapoints', {}, Exception('disk I/O error'))

    _write(store, 'a', _points(*range(100)))
    monkeypatch.setattr(store._writer, 'move_buffer', locked)
    assert store.move_buffer() == 0
    assert 'Moving the ingestion buffer into datapoints failed' in caplog.text
    assert sum(row[3] for row in _reads(store)[0]) == 102.0  # sample counts: nothing lost
    assert not store.buffer_due(), 'no retry after every commit'
    time.sleep(0.25)
    assert store.buffer_due()
    monkeypatch.undo()
    assert store.move_buffer() == 100  # the first two moved before the failure
    assert (_count(store.engine, BUFFER), _count(store.engine, DATAPOINTS)) == (0, 102)


def test_stopping_the_writer_moves_the_buffer_and_gives_back_the_connection(store):
    _write(store, 'a', _points(1.0))
    checked_out = store.engine.pool.checkedout()
    store.finish_writes()
    assert store.engine.pool.checkedout() == checked_out - 1
    assert (_count(store.engine, BUFFER), _count(store.engine, DATAPOINTS)) == (0, 1)


def test_expiry_removes_old_and_orphaned_buffer_rows(store):
    _write(store, 'a', _points(1.0, 2.0, start=1000))  # old points
    _write(store, 'b', _points(3.0, start=10 ** 13))
    deleted, metrics = store.expire(datapoints_before_ms=5000, metrics_before_ms=0)
    assert (deleted, metrics) == (2, 0)
    assert _count(store.engine, BUFFER) == 1
    store.expire(datapoints_before_ms=0, metrics_before_ms=10 ** 14)  # every metric
    assert _count(store.engine, BUFFER) == 0


def test_a_store_without_buffer_rows_commits_to_datapoints(watch_engine):
    store = metric_storage.MetricStore(watch_engine)
    _write(store, 'a', _points(1.0))
    assert not store.buffer_due()
    assert (_count(watch_engine, BUFFER), _count(watch_engine, DATAPOINTS)) == (0, 1)


def test_buckets_in_both_tables_merge_without_raw_counts_too(store):
    _write(store, 'a', _points(1.0, 2.0))
    _write(store, 'b', _points(5.0))
    store.move_buffer()
    _write(store, 'a', _points(4.0, start=62_000))
    rows = store.bucket_aggregates([1, 2], 0, 600_000, 60_000, count_raw=False)
    assert sorted((r.metric_id, r.bucket, r.sample_count, r.sum, r.minimum, r.maximum, r.no_raw)
                  for r in rows) == [(1, 60_000, 3.0, 7.0, 1.0, 4.0, None),
                                     (2, 60_000, 1.0, 5.0, 5.0, 5.0, None)]
