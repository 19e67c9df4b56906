"""The upper tail of each bucket's raw values: what a high percentile needs.

A p90 of a busy metric used to read every raw datapoint of the range into
Python (GetMetricData's p95 of 2.3 s under mixed load). The p-th percentile
(p >= 50) depends only on the samples above it, so this read lets the
database sort each bucket's rows by their largest value and returns only
the first rows covering ``(100 - p)%`` of the bucket's samples, plus a
margin; :func:`heat_watch.watch.statistics.upper_percentiles` computes the
exact answer from them, or says that ties at the cut leave it open (the
caller then reads the bucket in full).
"""

import collections
import functools
import json

import sqlalchemy as sa

# Samples read beyond the (100 - p)% a percentile needs, as a fraction of
# the bucket: room for ties at the cut, which would force a full read.
MARGIN = 0.01

Tail = collections.namedtuple('Tail', 'pairs cut')
# pairs: [(value, count), ...] of the rows read; cut: the largest value of the
# last row read (every sample not read is <= cut), or None when every row was read.


@functools.lru_cache(maxsize=16)
def _statement(tables: tuple[sa.Table, ...], by_unit: bool) -> sa.Select:
    """Parameters: ids, start, end, period, unit, keep (fraction of samples)."""
    start, period = sa.bindparam('start', type_=sa.BigInteger), sa.bindparam('period')
    parts = []
    for table in tables:
        query = sa.select(table.c.metric_id, table.c.timestamp, table.c.unit,
                          table.c.sample_count, table.c.minimum, table.c.maximum,
                          table.c.raw_values).where(
            table.c.metric_id.in_(sa.bindparam('ids', expanding=True)),
            table.c.timestamp >= start, table.c.timestamp < sa.bindparam('end'),
            table.c.has_raw.is_(True))
        if by_unit:
            query = query.where(table.c.unit == sa.bindparam('unit'))
        parts.append(query)
    rows = (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery()
    bucket = (rows.c.timestamp - (rows.c.timestamp - start) % period)
    partition = (rows.c.metric_id, bucket, rows.c.unit)
    ranked = sa.select(
        rows.c.metric_id, bucket.label('bucket'), rows.c.unit, rows.c.sample_count,
        rows.c.minimum, rows.c.maximum, rows.c.raw_values,
        sa.func.sum(rows.c.sample_count).over(
            partition_by=partition, order_by=rows.c.maximum.desc(),
            rows=(None, 0)).label('above'),
        sa.func.sum(rows.c.sample_count).over(partition_by=partition).label('total'),
    ).subquery()
    # A row is read while the samples of the rows before it fall short of the share.
    keep = sa.bindparam('keep', type_=sa.Float)
    return sa.select(ranked.c.metric_id, ranked.c.bucket, ranked.c.unit,
                     ranked.c.sample_count, ranked.c.minimum, ranked.c.maximum,
                     ranked.c.raw_values, ranked.c.above, ranked.c.total).where(
        ranked.c.above - ranked.c.sample_count < ranked.c.total * keep + 1)


def read(engine: sa.Engine, tables: tuple[sa.Table, ...], metric_ids: list[int],
         start_ms: int, end_ms: int, period_ms: int, unit: str | None,
         lowest_percentile: float) -> dict[tuple, Tail]:
    """(metric_id, bucket, unit) -> :data:`Tail` of the rows with raw values,
    enough for every percentile >= ``lowest_percentile`` (50..100)."""
    keep = (100.0 - lowest_percentile) / 100.0 + MARGIN
    params = {'ids': metric_ids, 'start': start_ms, 'end': end_ms, 'period': period_ms,
              'unit': unit, 'keep': keep}
    with engine.connect() as conn:
        rows = conn.execute(_statement(tables, bool(unit)), params).all()
    tails: dict[tuple, Tail] = {}
    for metric_id, bucket, row_unit, count, minimum, maximum, raw, above, total in rows:
        key = (metric_id, bucket, row_unit)
        tail = tails.get(key)
        if tail is None:
            tail = tails[key] = Tail([], [maximum, 0.0, total])
        if raw:
            tail.pairs.extend(json.loads(raw))
        else:
            tail.pairs.append((minimum, count))
        # The cut is the last row's largest value in the descending order.
        if maximum <= tail.cut[0]:
            tail.cut[0] = maximum
        tail.cut[1] = max(tail.cut[1], above)
    return {key: Tail(tail.pairs, None if tail.cut[1] >= tail.cut[2] else tail.cut[0])
            for key, tail in tails.items()}
