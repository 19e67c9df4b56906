"""The watch database engine: SQLite files keep pooled connections and
still raise oslo.db's exceptions."""

import sqlite3
import time

import pytest
import sqlalchemy as sa
from oslo_config import cfg
from oslo_db import exception as db_exc

from heat_watch import opts
from heat_watch.watch.storage import connection
from heat_watch.watch.storage import metrics as metric_storage


@pytest.fixture
def engine(watch_engine):
    return watch_engine


def _metric_row(key: str) -> dict:
    return {'metric_key': key, 'project_id': 'p', 'namespace': 'ns', 'metric_name': 'm',
            'dimensions': '[]', 'created_at': 0, 'last_put_at': 0}


def test_a_duplicate_row_raises_oslo_db_duplicate_entry(engine):
    with engine.begin() as conn:
        conn.execute(sa.insert(metric_storage.METRICS), [_metric_row('k1')])
    with pytest.raises(db_exc.DBDuplicateEntry), engine.begin() as conn:
        conn.execute(sa.insert(metric_storage.METRICS), [_metric_row('k1')])


def test_connections_are_reused_and_in_wal_mode(engine):
    with engine.connect() as conn:
        first = conn.connection.dbapi_connection
        assert conn.exec_driver_sql('PRAGMA journal_mode').scalar() == 'wal'
    with engine.connect() as conn:
        assert conn.connection.dbapi_connection is first


def test_rows_inserted_as_driver_tuples_read_back(engine):
    store = metric_storage.MetricStore(engine)
    store.write([('p', 'ns', [{'n': 'm', 'd': [], 't': 1000, 'v': 2.5, 'u': 'Count'},
                              {'n': 'm', 'd': [], 't': 2000, 'vs': [1.0, 3.0]}])])
    with engine.connect() as conn:
        rows = conn.execute(sa.select(
            metric_storage.DATAPOINTS.c.timestamp, metric_storage.DATAPOINTS.c.unit,
            metric_storage.DATAPOINTS.c.sample_count, metric_storage.DATAPOINTS.c.sum,
            metric_storage.DATAPOINTS.c.raw_values).order_by('timestamp')).all()
    assert [tuple(r) for r in rows] == [(1000, 'Count', 1.0, 2.5, None),
                                        (2000, 'None', 2.0, 4.0, '[[1.0, 1.0], [3.0, 1.0]]')]


def test_a_group_commit_inserts_in_index_order_without_touching_its_input(engine):
    store = metric_storage.MetricStore(engine)
    first = [['b', [], [(3000, 'None', 60, 1.0, 3.0, 3.0, 3.0, True, None),
                        (1000, 'None', 60, 1.0, 1.0, 1.0, 1.0, True, None)]],
             ['a', [], [(2000, 'None', 60, 1.0, 2.0, 2.0, 2.0, True, None)]]]
    second = [['b', [], [(2000, 'None', 60, 1.0, 9.0, 9.0, 9.0, True, None)]],
              ['a', [], [(1000, 'None', 60, 1.0, 8.0, 8.0, 8.0, True, None)]]]
    sent = repr(first)
    store.write_metrics([('p', 'ns', first), ('p', 'ns', second)])
    assert repr(first) == sent
    table = metric_storage.DATAPOINTS
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.metric_id, table.c.timestamp, table.c.sum)
                            .order_by(table.c.id)).all()
    assert [(r.metric_id, r.timestamp) for r in rows] == sorted(
        (r.metric_id, r.timestamp) for r in rows)
    assert sorted(r.sum for r in rows) == [1.0, 2.0, 3.0, 8.0, 9.0]


def test_sqlite_connections_get_the_configured_cache_and_checkpoint(tmp_path):
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf.set_default('state_path', str(tmp_path))
    conf([])
    conf.set_override('sqlite_cache_size_mb', 8, group=connection.GROUP)
    conf.set_override('sqlite_wal_autocheckpoint', 2500, group=connection.GROUP)
    try:
        with connection.get_engine(conf).connect() as conn:
            assert conn.exec_driver_sql('PRAGMA cache_size').scalar() == -8 * 1024
            assert conn.exec_driver_sql('PRAGMA wal_autocheckpoint').scalar() == 2500
    finally:
        connection.dispose_engines()


def test_upgrading_to_003_keeps_the_datapoints_and_drops_the_time_index(tmp_path):
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf.set_default('state_path', str(tmp_path))
    conf([])
    try:
        connection.db_sync(conf, revision='002')
        engine = connection.get_engine(conf)
        metric_storage.MetricStore(engine).write(
            [('p', 'ns', [{'n': 'm', 'd': [], 't': 1000, 'v': 2.5}])])
        connection.db_sync(conf, revision='003')
        assert connection.db_version(conf) == '003'
        indexes = {i['name'] for i in sa.inspect(engine).get_indexes('datapoints')}
        assert indexes == {'ix_datapoints_metric_timestamp'}
        with engine.connect() as conn:
            assert conn.execute(sa.select(metric_storage.DATAPOINTS.c.sum)).scalars().all() \
                == [2.5]
    finally:
        connection.dispose_engines()


def _point(stamp, value=1.0):
    return (stamp, 'None', 60, 1.0, value, value, value, True, None)


def _stored_sums(engine) -> list[float]:
    with engine.connect() as conn:
        return sorted(r.sum for r in conn.execute(sa.select(metric_storage.DATAPOINTS.c.sum)))


def test_ingestion_keeps_one_connection_per_thread_and_gives_it_back(engine):
    store = metric_storage.MetricStore(engine)
    store.write_metrics([('p', 'ns', [['m', [], [_point(1000)]]])])
    held = store._writer.held[0].driver_connection
    store.write_metrics([('p', 'ns', [['m', [], [_point(2000)]]])])
    assert store._writer.held[0].driver_connection is held
    checked_out = engine.pool.checkedout()
    store.release_connection()
    assert engine.pool.checkedout() == checked_out - 1
    assert _stored_sums(engine) == [1.0, 1.0]


def test_a_failed_ingestion_commit_rolls_back_and_drops_its_connection(engine):
    store = metric_storage.MetricStore(engine)
    store.write_metrics([('p', 'ns', [['m', [], [_point(1000)]]])])
    null_count = (3000, 'None', 60, None, 3.0, 3.0, 3.0, True, None)  # NOT NULL column
    bad = [['m', [], [_point(2000, 2.0), null_count]]]
    with pytest.raises(sqlite3.IntegrityError):  # the driver's own error
        store.write_metrics([('p', 'ns', bad)])
    assert store._writer.held is None
    store.write_metrics([('p', 'ns', [['m', [], [_point(4000, 4.0)]]])])
    assert _stored_sums(engine) == [1.0, 4.0]  # nothing of the failed commit


def test_the_ingestion_connection_is_renewed_after_its_recycle_time(engine, monkeypatch):
    store = metric_storage.MetricStore(engine)
    store.write_metrics([('p', 'ns', [['m', [], [_point(1000)]]])])
    first = store._writer.held
    monkeypatch.setattr(metric_storage._WriterConnection, 'RECYCLE_S', 0.0)
    store.write_metrics([('p', 'ns', [['m', [], [_point(2000)]]])])
    assert store._writer.held is not first
    assert _stored_sums(engine) == [1.0, 1.0]


def test_rows_go_in_chunks_of_multi_row_inserts(engine, monkeypatch):
    monkeypatch.setattr(metric_storage, 'INSERT_CHUNK', 3)
    store = metric_storage.MetricStore(engine)
    store.write_metrics([('p', 'ns', [['m', [], [_point(1000 + i, float(i)) for i in range(7)]]])])
    assert _stored_sums(engine) == [float(i) for i in range(7)]
    sql = metric_storage._multi_row_insert(engine.dialect, metric_storage.DATAPOINTS, 3)
    assert sql.count('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)') == 3


def test_a_failed_last_put_refresh_keeps_the_committed_points_once(engine, monkeypatch):
    store = metric_storage.MetricStore(engine)
    store.write_metrics([('p', 'ns', [['m', [], [_point(1000)]]])])
    key = next(iter(store._cache))
    metric_id = store._cache[key][0]
    store._remember(key, metric_id, 0, time.monotonic())  # last put long ago: refresh due
    real_begin = engine.begin

    def failing_begin():
        raise sa.exc.OperationalError('UPDATE metrics', {}, Exception('database is locked'))

    monkeypatch.setattr(engine, 'begin', failing_begin)
    assert store.write_metrics([('p', 'ns', [['m', [], [_point(2000, 2.0)]]])]) == {key}
    assert store._cache[key][1] == 0  # not refreshed: the next write tries again
    monkeypatch.setattr(engine, 'begin', real_begin)
    assert _stored_sums(engine) == [1.0, 2.0]


def test_sqlite_ingestion_autocommits_and_gives_the_connection_back_as_it_was(engine):
    with engine.connect() as conn:
        pooled_isolation = conn.connection.driver_connection.isolation_level
    store = metric_storage.MetricStore(engine)
    store.write_metrics([('p', 'ns', [['m', [], [_point(1000)]]])])
    held = store._writer.held[0].driver_connection
    assert held.isolation_level is None
    store.release_connection()
    assert held.isolation_level == pooled_isolation


def test_statements_of_one_commit_stay_one_transaction_in_autocommit_mode(engine, monkeypatch):
    monkeypatch.setattr(metric_storage, 'INSERT_CHUNK', 1)
    store = metric_storage.MetricStore(engine)
    null_count = (3000, 'None', 60, None, 3.0, 3.0, 3.0, True, None)  # NOT NULL column
    with pytest.raises(sqlite3.IntegrityError):
        store.write_metrics([('p', 'ns', [['m', [], [_point(1000), _point(2000), null_count]]])])
    assert _stored_sums(engine) == []  # the first two statements rolled back too


def _stored_rows(engine) -> list[tuple]:
    table = metric_storage.DATAPOINTS
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(
            table.c.timestamp, table.c.sample_count, table.c.sum, table.c.minimum,
            table.c.maximum, table.c.has_raw, table.c.raw_values).order_by(table.c.timestamp))]


def test_plain_values_and_statistic_sets_are_stored_as_given(engine, monkeypatch):
    monkeypatch.setattr(metric_storage, 'INSERT_CHUNK', 2)  # several chunks of each kind
    given = [_point(1000, 1.5), (2000, 'None', 60, 1.0, 10.0, 5.0, 5.0, True, None),
             _point(3000, -0.0), (4000, 'None', 60, 3.0, 6.0, 1.0, 3.0, True, '[[1.0, 1.0]]'),
             _point(5000, 7.0), (6000, 'None', 60, 2.0, 4.0, 2.0, 2.0, False, None),
             _point(7000, 8.0)]
    metric_storage.MetricStore(engine).write_metrics([('p', 'ns', [['m', [], given]])])
    assert _stored_rows(engine) == [
        (p[0], p[3], p[4], p[5], p[6], p[7], p[8]) for p in given]
