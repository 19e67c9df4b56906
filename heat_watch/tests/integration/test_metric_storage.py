"""Ingestion commits on MariaDB and PostgreSQL: multi-row INSERT chunks with
each driver's parameter style, on the writer's own connection."""

import json

import pytest
import sqlalchemy as sa

from heat_watch.tests.integration import base
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
