"""Ingestion commits on MariaDB and PostgreSQL: multi-row INSERT chunks with
each driver's parameter style, on the writer's own connection; and the raw
values percentiles read, off each driver's cursor."""

import json
import math
import random

import pytest
import sqlalchemy as sa

from heat_watch.tests.integration import base
from heat_watch.watch import statistics
from heat_watch.watch.storage import metrics as metric_storage


@pytest.fixture(scope='module')
def store(backend):
    with base.watch_database(backend, 'metric_storage') as engine:
        yield metric_storage.MetricStore(engine)


def test_points_are_stored_in_chunks_exactly(store, monkeypatch):
    monkeypatch.setattr(metric_storage, 'INSERT_CHUNK', 4)
    pairs = json.dumps([[1.5, 2.0], [7.25, 1.0]])
    points = [(1000 + i, 'Count', 1, 1.0, i / 3, i / 3, i / 3, True, None) for i in range(9)]
    points.append((2000, 'None', 60, 3.0, 10.25, 1.5, 7.25, True, pairs))
    points.append((3000, 'Bytes', 60, 2.0, 8.0, 3.0, 5.0, False, None))
    keys = store.write_metrics([('p', 'ns', [['m', [['Host', 'h']], points]])])
    table = metric_storage.DATAPOINTS
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(
            table.c.timestamp, table.c.unit, table.c.storage_resolution, table.c.sample_count,
            table.c.sum, table.c.minimum, table.c.maximum, table.c.has_raw,
            table.c.raw_values).order_by(table.c.timestamp)).all()
    assert [tuple(r) for r in rows] == points  # floats exact, booleans and NULLs kept
    assert len(keys) == 1
    store.release_connection()


def _stored(store, metric_id: int) -> list[tuple]:
    table = metric_storage.DATAPOINTS
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(
            table.c.timestamp, table.c.unit, table.c.storage_resolution, table.c.sample_count,
            table.c.sum, table.c.minimum, table.c.maximum, table.c.has_raw,
            table.c.raw_values).where(table.c.metric_id == metric_id).order_by(
                table.c.timestamp)).all()]


def test_each_database_takes_the_batch_insert_it_is_made_for(store):
    expected = 'copy' if store.engine.dialect.name == 'postgresql' else 'literal values'
    assert metric_storage.insert_method(store.engine.dialect) == expected


def test_extreme_values_and_text_needing_escapes_land_exactly(store):
    points = [(10, 'Count', 60, 1.0, 1.7976931348623157e308, -1e-300, 5e-324, True, None),
              (11, None, 1, 2.0, -0.0, 0.1 + 0.2, 1 / 3, False, None),
              (12, 'odd\tunit\\', 60, 1.0, 2.5, 2.5, 2.5, True, '[[2.5, 1.0]]'),
              (13, "it's 100%s", 60, 1.0, 3.5, 3.5, 3.5, True, "quote ' percent %% backslash \\")]
    points += [(100 + i, 'Bytes/Second', 60, 1.0, float(i), float(i), float(i), True, None)
               for i in range(1200)]  # more than one INSERT chunk
    rows = [(424242,) + point for point in points]
    store._writer.insert(metric_storage.DATAPOINTS, rows)
    assert _stored(store, 424242) == points
    store.release_connection()


def test_a_refused_batch_writes_none_of_its_rows(store):
    good = [(434343, 1000 + i, 'Count', 60, 1.0, 1.0, 1.0, 1.0, True, None) for i in range(10)]
    bad = (434343, 2000, 'Count', 60, None, 1.0, 1.0, 1.0, True, None)  # NOT NULL
    with pytest.raises(Exception):  # noqa: B017 - the driver's or the formatter's own
        store._writer.insert(metric_storage.DATAPOINTS, good + [bad])
    assert _stored(store, 434343) == []
    store._writer.insert(metric_storage.DATAPOINTS, good)  # the writer recovers
    assert len(_stored(store, 434343)) == 10
    store.release_connection()


def test_raw_values_read_off_the_cursor_are_the_values_stored(store):
    """Percentiles' read through each driver's DBAPI cursor (its parameter
    style, the bucket computed by the database): every value exact, plain
    ones as floats, the others as pairs, by metric, bucket and unit."""
    rng = random.Random(21)
    values = [0.0, 0.1 + 0.2, 1 / 3, 8.515920e-109, 1.174271e+108, 123456.789]
    values += [rng.uniform(0, 1e6) * 10 ** rng.randrange(-30, 30) for _ in range(300)]
    datums = [{'t': 60_000 + i * 300, 'v': v} for i, v in enumerate(values)]
    datums.append({'t': 60_500, 'vs': [1.5, 2.5], 'cs': [2.0, 1.0], 'u': 'Count'})
    store.write([('raw', 'ns', [dict(d, n='m', d=[]) for d in datums])])
    metric_id = store.find_metric_id('raw', 'ns', 'm', [])
    found = store.raw_values([metric_id], 60_000, 180_000, 60_000)
    assert sorted(found) == [(metric_id, 60_000, 'Count'), (metric_id, 60_000, 'None'),
                             (metric_id, 120_000, 'None')]
    plain = found[(metric_id, 60_000, 'None')].plain + found[(metric_id, 120_000, 'None')].plain
    assert sorted(plain) == sorted(values)
    assert found[(metric_id, 60_000, 'Count')] == [(1.5, 2.0), (2.5, 1.0)]
    stat = statistics.StatSet(1, 1, 1, 1, found[(metric_id, 120_000, 'None')])
    ordered = sorted(values[200:])
    assert statistics.percentiles(stat, [50, 90]) == {
        50: ordered[math.ceil(len(ordered) / 2) - 1],
        90: ordered[math.ceil(len(ordered) * 0.9) - 1]}
    assert set(store.raw_values([metric_id], 60_000, 180_000, 60_000, unit='Count')) == {
        (metric_id, 60_000, 'Count')}
