"""Metrics and datapoints: registry, ingestion writes, aggregate reads.

Points arrive grouped by metric, in the engine's wire format
(:mod:`heat_watch.watch.points`); a datapoints row is a metric id followed
by a point's fields.
"""

import contextlib
import functools
import hashlib
import itertools
import json
import operator
import threading
import time
from collections.abc import Iterable

import sqlalchemy as sa
from oslo_db import exception as db_exc
from oslo_log import log

from heat_watch.watch import points
from heat_watch.watch.storage import models

LOG = log.getLogger(__name__)

METRICS = models.Metric.__table__
DIMENSIONS = models.MetricDimension.__table__
DATAPOINTS = models.Datapoint.__table__

# last_put_at only needs minute precision (ListMetrics RecentlyActive is
# three hours); refreshing it on every put would double the writes.
LAST_PUT_REFRESH_MS = 5 * 60 * 1000
# A cached metric id is re-read after this long, so an expired (deleted)
# metric cannot be written to through a stale cache entry.
CACHE_TTL_S = 600.0
CACHE_MAX = 500_000


def now_ms() -> int:
    """The current time in epoch milliseconds."""
    return int(time.time() * 1000)


def canonical_dimensions(dimensions: Iterable) -> list[list[str]]:
    """Dimensions as [[name, value], ...] sorted by name."""
    return sorted([str(n), str(v)] for n, v in dimensions)


_KEY_CACHE: dict[tuple, str] = {}
_KEY_CACHE_MAX = 200_000


def metric_key(project_id: str, namespace: str, name: str,
               dimensions: list[list[str]]) -> str:
    """Digest of a metric's identity; ``dimensions`` must be canonical.

    Every datum needs one, so digests are remembered: a tuple lookup costs
    a fifth of the SHA-256 and its hex string.
    """
    parts = [project_id, namespace, name]
    for dim_name, dim_value in dimensions:
        parts.append(dim_name)
        parts.append(dim_value)
    identity = tuple(parts)
    key = _KEY_CACHE.get(identity)
    if key is None:
        key = hashlib.sha256('\x1f'.join(parts).encode()).hexdigest()
        if len(_KEY_CACHE) >= _KEY_CACHE_MAX:
            _KEY_CACHE.clear()
        _KEY_CACHE[identity] = key
    return key


# The datapoints columns a write fills: a metric id, then a point's fields
# (see heat_watch.watch.points).
DATAPOINT_COLUMNS = ('metric_id', 'timestamp', 'unit', 'storage_resolution', 'sample_count',
                     'sum', 'minimum', 'maximum', 'has_raw', 'raw_values')


_TIMESTAMP = operator.itemgetter(0)  # of a point


def datum_row(metric_id: int, datum: dict) -> tuple:
    """The datapoints row (see DATAPOINT_COLUMNS) of one per-datum wire dict."""
    return (metric_id,) + points.point(datum)


# Rows per INSERT statement: 5,000 parameters, within every driver's and
# SQLite's (32,766 since 3.32) limits.
INSERT_CHUNK = 500


@functools.cache
def _multi_row_insert(dialect: sa.Dialect, count: int) -> str:
    """An INSERT of ``count`` datapoints rows, positional parameters.

    One statement per chunk rather than an executemany: SQLite's driver
    gives up the GIL around every statement it steps, and under load winning
    it back can take a whole switch interval, per row with executemany; a
    row also costs less than half the CPU this way. The column list is
    SQLAlchemy's, quoted for the dialect.
    """
    compiled = str(sa.insert(DATAPOINTS).values(
        {c: sa.bindparam(c) for c in DATAPOINT_COLUMNS}).compile(dialect=dialect))
    head = compiled[:compiled.index(' VALUES ')]
    marker = '?' if dialect.paramstyle == 'qmark' else '%s'
    row = '(%s)' % ', '.join([marker] * len(DATAPOINT_COLUMNS))
    return '%s VALUES %s' % (head, ', '.join([row] * count))


def _insert_statements(dialect: sa.Dialect, rows: list[tuple]):
    """(sql, flat parameters) of each chunk of ``rows``."""
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start:start + INSERT_CHUNK]
        yield _multi_row_insert(dialect, len(chunk)), tuple(itertools.chain.from_iterable(chunk))


class _WriterConnection:
    """One thread's own DBAPI connection for ingestion commits.

    Checking a connection out of SQLAlchemy's pool, its events and its
    transaction objects cost ~90 us per commit: most of the database time of
    a one-datum PutMetricData. The ingestion writer is one thread, so it
    keeps one connection checked out, renewed every RECYCLE_S (a server may
    drop idle connections) and after any error.
    """

    RECYCLE_S = 300.0

    def __init__(self, engine: sa.Engine):
        self._engine = engine
        self._local = threading.local()

    def _connection(self):
        held = getattr(self._local, 'held', None)
        if held is not None and time.monotonic() - held[1] < self.RECYCLE_S:
            return held[0]
        if held is not None:
            self._local.held = None
            held[0].close()  # back to the pool
        raw = self._engine.raw_connection()
        self._local.held = (raw, time.monotonic())
        return raw

    def release(self) -> None:
        """Give this thread's connection back to the pool."""
        held = getattr(self._local, 'held', None)
        self._local.held = None
        if held is not None:
            held[0].close()

    def insert(self, rows: list[tuple]) -> None:
        """Insert datapoints rows and commit; on any error, roll back and
        drop the connection."""
        raw = self._connection()
        try:
            cursor = raw.cursor()
            try:
                for sql, params in _insert_statements(self._engine.dialect, rows):
                    cursor.execute(sql, params)
            finally:
                cursor.close()
            raw.commit()
        except Exception:
            self._local.held = None
            # Rolls back and closes it; the pool forgets it. The insert's
            # error is the one to report, whatever the broken link says.
            with contextlib.suppress(Exception):
                raw.invalidate()
            raise


class MetricStore:
    """Reads and writes metrics and datapoints of the watch database."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self._writer = _WriterConnection(engine)
        self._cache: dict[str, tuple[int, int, float]] = {}
        self._cache_lock = threading.Lock()

    # -- the metric registry -------------------------------------------------

    def _cached(self, key: str, now: float) -> tuple[int, int] | None:
        entry = self._cache.get(key)
        if entry is None or now - entry[2] > CACHE_TTL_S:
            return None
        return entry[0], entry[1]

    def _remember(self, key: str, metric_id: int, last_put: int, now: float) -> None:
        with self._cache_lock:
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            self._cache[key] = (metric_id, last_put, now)

    def release_connection(self) -> None:
        """Give back the connection this thread's writes kept (see
        :class:`_WriterConnection`); the ingestion writer calls it as it stops."""
        self._writer.release()

    def forget_cache(self) -> None:
        """Drop cached metric ids (after expiry deleted metrics)."""
        with self._cache_lock:
            self._cache.clear()

    def resolve_metrics(self, wanted: dict[str, tuple]) -> dict[str, tuple[int, int]]:
        """Ids and last-put times of metrics, creating those that are new.

        ``wanted`` maps metric_key to (project_id, namespace, name, dims).
        """
        now = time.monotonic()
        found: dict[str, tuple[int, int]] = {}
        missing = []
        for key in wanted:
            cached = self._cached(key, now)
            if cached:
                found[key] = cached
            else:
                missing.append(key)
        if missing:
            found.update(self._load_or_create(missing, wanted, now))
        return found

    def _select_ids(self, conn: sa.Connection, keys: list[str]) -> dict[str, tuple[int, int]]:
        result = {}
        for chunk in _chunks(keys, 500):
            query = sa.select(METRICS.c.metric_key, METRICS.c.id, METRICS.c.last_put_at).where(
                METRICS.c.metric_key.in_(chunk))
            for row in conn.execute(query):
                result[row.metric_key] = (row.id, row.last_put_at)
        return result

    def _load_or_create(self, keys: list[str], wanted: dict[str, tuple],
                        now: float) -> dict[str, tuple[int, int]]:
        with self.engine.connect() as conn:
            found = self._select_ids(conn, keys)
        new = [k for k in keys if k not in found]
        if new:
            self._create(new, wanted)
            with self.engine.connect() as conn:
                found.update(self._select_ids(conn, new))
        for key, (metric_id, last_put) in found.items():
            self._remember(key, metric_id, last_put, now)
        return found

    def _create(self, keys: list[str], wanted: dict[str, tuple]) -> None:
        stamp = now_ms()
        rows = [{'metric_key': k, 'project_id': wanted[k][0], 'namespace': wanted[k][1],
                 'metric_name': wanted[k][2], 'dimensions': json.dumps(wanted[k][3]),
                 'created_at': stamp, 'last_put_at': stamp} for k in keys]
        try:
            self._insert_metrics(rows, wanted)
        except db_exc.DBDuplicateEntry:
            # Another engine created some of them at the same moment: one
            # by one, skipping those that exist now.
            for row in rows:
                try:
                    self._insert_metrics([row], wanted)
                except db_exc.DBDuplicateEntry:
                    pass

    def _insert_metrics(self, rows: list[dict], wanted: dict[str, tuple]) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.insert(METRICS), rows)
            ids = self._select_ids(conn, [r['metric_key'] for r in rows])
            dims = [{'metric_id': ids[key][0], 'project_id': wanted[key][0],
                     'name': name, 'value': value}
                    for key in ids for name, value in wanted[key][3]]
            if dims:
                conn.execute(sa.insert(DIMENSIONS), dims)

    # -- ingestion -----------------------------------------------------------

    def write(self, requests: list[tuple[str, str, list[dict]]]) -> set[str]:
        """:meth:`write_metrics` of per-datum wire dicts: (project_id,
        namespace, datums) each."""
        return self.write_metrics([(project_id, namespace, points.group(datums))
                                   for project_id, namespace, datums in requests])

    def write_metrics(self, requests: list[tuple[str, str, list[list]]]) -> set[str]:
        """Store the points of several PutMetricData requests in one transaction.

        ``requests`` holds (project_id, namespace, metrics), ``metrics`` in
        the wire format of :mod:`heat_watch.watch.points`. Returns the keys
        of the metrics written to.
        """
        wanted: dict[str, tuple] = {}
        by_key: dict[str, list] = {}
        for project_id, namespace, metrics in requests:
            for name, dims, metric_points in metrics:
                key = metric_key(project_id, namespace, name, dims)
                found = by_key.get(key)
                if found is None:
                    wanted[key] = (project_id, namespace, name, dims)
                    by_key[key] = list(metric_points)
                else:
                    found += metric_points
        ids = self.resolve_metrics(wanted)
        stamp = now_ms()
        stale = [ids[k][0] for k in wanted if stamp - ids[k][1] > LAST_PUT_REFRESH_MS]
        rows = _rows_in_index_order(by_key, ids)
        if rows:
            self._writer.insert(rows)
        if stale:
            self._refresh_last_put(wanted, ids, stale, stamp)
        return set(wanted)

    def _refresh_last_put(self, wanted: dict[str, tuple], ids: dict[str, tuple[int, int]],
                          stale: list[int], stamp: int) -> None:
        """Refresh ListMetrics' RecentlyActive hint, at most every few
        minutes per metric, in its own transaction after the datapoints'.

        The datapoints are committed by now: a failure here must not reach
        the ingestion writer, which would store them again one request at
        a time. It is logged, and the next write tries again.
        """
        try:
            with self.engine.begin() as conn:
                for chunk in _chunks(stale, 500):
                    conn.execute(sa.update(METRICS).where(METRICS.c.id.in_(chunk))
                                 .values(last_put_at=stamp))
        except Exception:
            LOG.warning('Refreshing the last put time of %d metrics failed', len(stale),
                        exc_info=True)
            return
        now = time.monotonic()
        for key in wanted:
            self._remember(key, ids[key][0], stamp, now)

    # -- reads -----------------------------------------------------------------

    def find_metric_id(self, project_id: str, namespace: str, name: str,
                       dimensions: list[list[str]]) -> int | None:
        """The id of an existing metric, or None."""
        key = metric_key(project_id, namespace, name, dimensions)
        cached = self._cached(key, time.monotonic())
        if cached:
            return cached[0]
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(METRICS.c.id).where(METRICS.c.metric_key == key)).first()
        return row.id if row else None

    def bucket_aggregates(self, metric_ids: list[int], start_ms: int, end_ms: int,
                          period_ms: int, unit: str | None = None,
                          count_raw: bool = True) -> list[sa.Row]:
        """Per metric, bucket and unit: count, sum, min, max and how many
        rows lack raw values (None unless ``count_raw``). Buckets are aligned
        on ``start_ms``."""
        ts = DATAPOINTS.c.timestamp
        bucket = (ts - (ts - start_ms) % period_ms).label('bucket')
        # The GROUP BY sorts every row of the range; each key or aggregate
        # less saves 5-10% of the query: one metric's id is a bound constant,
        # and rows without raw values are counted only when asked.
        metric_id, keys = DATAPOINTS.c.metric_id, [DATAPOINTS.c.metric_id]
        if len(metric_ids) == 1:
            metric_id, keys = sa.literal(metric_ids[0], sa.BigInteger), []
        no_raw = (sa.func.sum(sa.case((DATAPOINTS.c.has_raw, 0), else_=1)) if count_raw
                  else sa.null())
        query = (sa.select(metric_id.label('metric_id'), bucket, DATAPOINTS.c.unit,
                           sa.func.sum(DATAPOINTS.c.sample_count).label('sample_count'),
                           sa.func.sum(DATAPOINTS.c.sum).label('sum'),
                           sa.func.min(DATAPOINTS.c.minimum).label('minimum'),
                           sa.func.max(DATAPOINTS.c.maximum).label('maximum'),
                           no_raw.label('no_raw'))
                 .where(DATAPOINTS.c.metric_id.in_(metric_ids), ts >= start_ms, ts < end_ms)
                 .group_by(*keys, bucket, DATAPOINTS.c.unit))
        if unit:
            query = query.where(DATAPOINTS.c.unit == unit)
        with self.engine.connect() as conn:
            return conn.execute(query).all()

    def raw_values(self, metric_ids: list[int], start_ms: int, end_ms: int,
                   period_ms: int, unit: str | None = None) -> dict[tuple, list]:
        """(metric_id, bucket, unit) -> [(value, count), ...] for percentiles."""
        ts = DATAPOINTS.c.timestamp
        query = (sa.select(DATAPOINTS.c.metric_id, ts, DATAPOINTS.c.unit,
                           DATAPOINTS.c.minimum, DATAPOINTS.c.sample_count,
                           DATAPOINTS.c.raw_values)
                 .where(DATAPOINTS.c.metric_id.in_(metric_ids), ts >= start_ms, ts < end_ms,
                        DATAPOINTS.c.has_raw.is_(True)))
        if unit:
            query = query.where(DATAPOINTS.c.unit == unit)
        result: dict[tuple, list] = {}
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        # Unpacked as tuples: a Row's attribute access costs ~0.4 us per column.
        for metric_id, timestamp, row_unit, minimum, sample_count, raw in rows:
            bucket = timestamp - (timestamp - start_ms) % period_ms
            pairs = result.setdefault((metric_id, bucket, row_unit), [])
            if raw:
                pairs.extend(json.loads(raw))
            else:
                pairs.append((minimum, sample_count))
        return result

    def list_metrics(self, project_id: str, namespace: str | None, name: str | None,
                     dimensions: list[tuple[str, str | None]], active_since_ms: int | None,
                     after_id: int, limit: int) -> list[sa.Row]:
        """Metrics of a project matching the filters, by id after ``after_id``."""
        query = (sa.select(METRICS.c.id, METRICS.c.namespace, METRICS.c.metric_name,
                           METRICS.c.dimensions)
                 .where(METRICS.c.project_id == project_id, METRICS.c.id > after_id)
                 .order_by(METRICS.c.id).limit(limit))
        if namespace:
            query = query.where(METRICS.c.namespace == namespace)
        if name:
            query = query.where(METRICS.c.metric_name == name)
        if active_since_ms is not None:
            query = query.where(METRICS.c.last_put_at >= active_since_ms)
        for dim_name, dim_value in dimensions:
            having = sa.select(DIMENSIONS.c.metric_id).where(
                DIMENSIONS.c.project_id == project_id, DIMENSIONS.c.name == dim_name)
            if dim_value is not None:
                having = having.where(DIMENSIONS.c.value == dim_value)
            query = query.where(METRICS.c.id.in_(having))
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    # -- expiry --------------------------------------------------------------

    def expire(self, datapoints_before_ms: int, metrics_before_ms: int,
               batch: int = 10_000) -> tuple[int, int]:
        """Delete old datapoints, then metrics not put to since; in batches
        so that a large expiry never holds one long transaction."""
        removed_points = self._expire_datapoints(datapoints_before_ms, batch)
        with self.engine.connect() as conn:
            old = [r.id for r in conn.execute(
                sa.select(METRICS.c.id).where(METRICS.c.last_put_at < metrics_before_ms))]
        for chunk in _chunks(old, 500):
            with self.engine.begin() as conn:
                conn.execute(sa.delete(DATAPOINTS).where(DATAPOINTS.c.metric_id.in_(chunk)))
                conn.execute(sa.delete(DIMENSIONS).where(DIMENSIONS.c.metric_id.in_(chunk)))
                conn.execute(sa.delete(METRICS).where(METRICS.c.id.in_(chunk)))
        if old:
            self.forget_cache()
        return removed_points, len(old)

    def _expire_datapoints(self, before_ms: int, batch: int) -> int:
        """Delete datapoints older than ``before_ms``, metric by metric.

        There is no index on the timestamp alone (every insert would pay for
        it): each metric's old rows are one range of the (metric_id,
        timestamp) index.
        """
        with self.engine.connect() as conn:
            metric_ids = [r.id for r in conn.execute(sa.select(METRICS.c.id))]
        total = 0
        for chunk in _chunks(metric_ids, 100):
            while True:
                with self.engine.begin() as conn:
                    ids = [r.id for r in conn.execute(sa.select(DATAPOINTS.c.id).where(
                        DATAPOINTS.c.metric_id.in_(chunk),
                        DATAPOINTS.c.timestamp < before_ms).limit(batch))]
                    if ids:
                        conn.execute(sa.delete(DATAPOINTS).where(DATAPOINTS.c.id.in_(ids)))
                total += len(ids)
                if len(ids) < batch:
                    break
        return total


def _rows_in_index_order(by_key: dict[str, list], ids: dict[str, tuple[int, int]]) -> list:
    """Rows sorted by (metric_id, timestamp): consecutive inserts then touch
    the same pages of that index, a third less work for SQLite. Sorting
    each metric's points alone costs a fraction of sorting all rows."""
    rows = []
    for metric_id, key in sorted((ids[key][0], key) for key in by_key):
        metric_points = by_key[key]
        metric_points.sort(key=_TIMESTAMP)
        rows += [(metric_id, *point) for point in metric_points]
    return rows


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
