"""Reads across many metrics, for APIs that query by filters rather than by
one metric's exact identity (the REST API's meters, samples and statistics).

Protocol-neutral: metrics are found by project, namespace, name and
dimension equalities (:class:`~heat_watch.watch.model.MetricInfo`);
datapoints come back as :class:`~heat_watch.watch.model.Datapoint` rows;
buckets are aggregated per metric (:class:`~heat_watch.watch.model.Buckets`),
and the caller merges them as its protocol wants (by resource, by project,
over everything).

A ``project_id`` of None reads every project: only an admin context may ask
for it, and a non-admin context may read only its own project, whatever the
API asked (the API decides with its policy; the engine checks again).
"""

import json

import sqlalchemy as sa

from heat_watch.common import exceptions
from heat_watch.watch import model
from heat_watch.watch.storage import metrics as metric_storage

METRICS = metric_storage.METRICS
DIMENSIONS = metric_storage.DIMENSIONS
MAX_METRICS = 100_000
MAX_DATAPOINTS = 10_000
# A statistics request may not ask for more buckets than this (a period of
# one second over a year would otherwise build millions of rows).
MAX_BUCKETS = 100_000


def check_scope(ctxt, project_id: str | None) -> None:
    """Refuse a read of another project (or of all) by a non-admin context."""
    if getattr(ctxt, 'is_admin', False):
        return
    if project_id is None or project_id != ctxt.project_id:
        raise exceptions.NotFound(kind='Project', name=project_id or '(all)')


def find_metrics(store: metric_storage.MetricStore, project_id: str | None,
                 namespace: str | None, name: str | None,
                 dimensions: list[list[str]], limit: int,
                 ids: list[int] | None = None) -> list[model.MetricInfo]:
    """Metrics matching every filter (each dimension [name, value] must be
    one of the metric's; among ``ids`` when given), in creation order; each
    with its latest unit."""
    tables = store.datapoint_tables()
    latest = []
    for table in tables:
        # The newest row of the metric, found through the (metric_id,
        # timestamp) index: a lookup per metric, never a scan of its rows.
        newest = (sa.select(table.c.timestamp, table.c.unit)
                  .where(table.c.metric_id == METRICS.c.id)
                  .order_by(table.c.timestamp.desc()).limit(1))
        latest += [newest.with_only_columns(table.c.timestamp).scalar_subquery(),
                   newest.with_only_columns(table.c.unit).scalar_subquery()]
    query = (sa.select(METRICS.c.id, METRICS.c.project_id, METRICS.c.namespace,
                       METRICS.c.metric_name, METRICS.c.dimensions, METRICS.c.last_put_at,
                       *latest)
             .order_by(METRICS.c.id).limit(min(limit, MAX_METRICS)))
    if project_id is not None:
        query = query.where(METRICS.c.project_id == project_id)
    if ids is not None:
        query = query.where(METRICS.c.id.in_(ids[:MAX_METRICS]))
    if namespace is not None:
        query = query.where(METRICS.c.namespace == namespace)
    if name is not None:
        query = query.where(METRICS.c.metric_name == name)
    for dim_name, dim_value in dimensions:
        having = sa.select(DIMENSIONS.c.metric_id).where(DIMENSIONS.c.name == dim_name,
                                                          DIMENSIONS.c.value == dim_value)
        if project_id is not None:
            having = having.where(DIMENSIONS.c.project_id == project_id)
        query = query.where(METRICS.c.id.in_(having))
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    info = model.MetricInfo
    return [info(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5],
                 _newest_unit(row[6:])) for row in rows]


def _newest_unit(pairs: tuple) -> str | None:
    """The unit of the newest of (timestamp, unit, timestamp, unit, ...)."""
    found = [(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2) if pairs[i] is not None]
    return max(found, key=lambda pair: pair[0])[1] if found else None


def _owned(store: metric_storage.MetricStore, project_id: str | None,
           metric_ids: list[int]) -> list[int]:
    """The ids among ``metric_ids`` that belong to ``project_id`` (all when
    None): a caller cannot read another project by naming its metric ids."""
    if project_id is None or not metric_ids:
        return list(metric_ids)
    owned = []
    for chunk in _chunks(metric_ids, 500):
        query = sa.select(METRICS.c.id).where(METRICS.c.id.in_(chunk),
                                              METRICS.c.project_id == project_id)
        with store.engine.connect() as conn:
            owned.extend(row.id for row in conn.execute(query))
    return owned


def datapoints(store: metric_storage.MetricStore, project_id: str | None,
               metric_ids: list[int], start_ms: int | None, end_ms: int | None,
               limit: int, descending: bool = True) -> list[model.Datapoint]:
    """Datapoints of these metrics in [start, end), newest first unless
    ``descending`` is false."""
    metric_ids = _owned(store, project_id, metric_ids)
    limit = min(limit, MAX_DATAPOINTS)
    if not metric_ids or limit <= 0:
        return []
    rows = []
    for table in store.datapoint_tables():
        query = sa.select(table.c.metric_id, table.c.timestamp, table.c.unit,
                          table.c.sample_count, table.c.sum, table.c.minimum,
                          table.c.maximum).where(table.c.metric_id.in_(metric_ids))
        if start_ms is not None:
            query = query.where(table.c.timestamp >= start_ms)
        if end_ms is not None:
            query = query.where(table.c.timestamp < end_ms)
        order = table.c.timestamp.desc() if descending else table.c.timestamp.asc()
        with store.engine.connect() as conn:
            rows.extend(conn.execute(query.order_by(order).limit(limit)).all())
    # One order across both tables of SQLite (the buffer holds the newest rows).
    rows.sort(key=lambda row: (row[1], row[0]), reverse=descending)
    return [model.Datapoint._make(row) for row in rows[:limit]]


def buckets(store: metric_storage.MetricStore, project_id: str | None,
            metric_ids: list[int], start_ms: int | None, end_ms: int | None,
            period_ms: int | None) -> model.Buckets:
    """Aggregates per metric and period over [start, end).

    Without ``start_ms``/``end_ms`` the range is that of the data; without
    ``period_ms`` the whole range is one period.
    """
    metric_ids = _owned(store, project_id, metric_ids)
    if not metric_ids:
        return model.Buckets(start_ms, end_ms, period_ms, [])
    if start_ms is None or end_ms is None:
        low, high = _time_range(store, metric_ids)
        if low is None:
            return model.Buckets(start_ms, end_ms, period_ms, [])
        start_ms = low if start_ms is None else start_ms
        end_ms = high + 1 if end_ms is None else end_ms
    if end_ms <= start_ms:
        return model.Buckets(start_ms, end_ms, period_ms, [])
    period = period_ms or (end_ms - start_ms)
    if (end_ms - start_ms) // period > MAX_BUCKETS:
        raise exceptions.InvalidParameterValue(
            name='period', reason='the range holds more than %d periods.' % MAX_BUCKETS)
    merged: dict[tuple, list] = {}
    for table in store.datapoint_tables():
        for row in _bucket_rows(store, table, metric_ids, start_ms, end_ms, period):
            key = tuple(row[:3])
            found = merged.get(key)
            if found is None:
                merged[key] = list(row)
            else:
                found[3] += row[3]
                found[4] += row[4]
                found[5] = min(found[5], row[5])
                found[6] = max(found[6], row[6])
                found[7] = min(found[7], row[7])
                found[8] = max(found[8], row[8])
    rows = sorted(merged.values(), key=lambda row: (row[1], row[0], row[2] or ''))
    return model.Buckets(start_ms, end_ms, period, [model.Bucket._make(row) for row in rows])


def _bucket_rows(store, table: sa.Table, metric_ids: list[int], start_ms: int, end_ms: int,
                 period: int) -> list[list]:
    ts = table.c.timestamp
    bucket = (ts - (ts - start_ms) % period).label('bucket')
    query = (sa.select(table.c.metric_id, bucket, table.c.unit,
                       sa.func.sum(table.c.sample_count), sa.func.sum(table.c.sum),
                       sa.func.min(table.c.minimum), sa.func.max(table.c.maximum),
                       sa.func.min(ts), sa.func.max(ts))
             .where(table.c.metric_id.in_(metric_ids), ts >= start_ms, ts < end_ms)
             .group_by(table.c.metric_id, bucket, table.c.unit))
    with store.engine.connect() as conn:
        return [list(row) for row in conn.execute(query)]


def _time_range(store, metric_ids: list[int]) -> tuple[int | None, int | None]:
    low = high = None
    for table in store.datapoint_tables():
        query = sa.select(sa.func.min(table.c.timestamp), sa.func.max(table.c.timestamp)).where(
            table.c.metric_id.in_(metric_ids))
        with store.engine.connect() as conn:
            first, last = conn.execute(query).one()
        if first is not None:
            low = first if low is None else min(low, first)
            high = last if high is None else max(high, last)
    return low, high


def _chunks(items: list, size: int):
    for index in range(0, len(items), size):
        yield items[index:index + size]
