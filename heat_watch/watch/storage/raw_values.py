"""Datapoints read by bucket: raw values for exact percentiles, and (on
SQLite) the aggregates of each bucket.

A percentile of a busy metric reads every datapoint of its window: some
6,000 a minute-long bucket in tools/bench/bench_mixed_load.py. What such a
read costs is mostly per row, and on SQLite per row *returned*: the driver
gives up Python's GIL around each step of a statement, and under load
winning it back can take a switch interval. So:

* on SQLite, the database groups the plain values (count 1, no JSON: nearly
  every datum) of each (metric, bucket, unit) into one text column, each
  value printed with 18 significant digits (``printf('%!.18g')``, exact
  where the conversion is checked to be, see :func:`text_is_exact`); the
  other rows come one by one in the same statement (one snapshot);
* there, each bucket is read by a walk of its range of the (metric_id,
  timestamp) index rather than by a GROUP BY that sorts the window, and only
  what a bucket received since the last read is read from the table (see
  :mod:`heat_watch.watch.storage.bucket_cache`); the aggregates likewise
  (:func:`bucket_aggregates`);
* elsewhere, every row comes straight off the DBAPI cursor (no SQLAlchemy
  row objects), the bucket computed by the database;
* plain values go into a list of floats, not a pair each (see
  :class:`heat_watch.watch.statistics.RawValues`).

doc/source/storage.rst says what each step saved and what the cache holds.
"""

import collections
import contextlib
import functools
import itertools
import json
import random
import sqlite3
import struct
import threading

import sqlalchemy as sa
from oslo_log import log
from sqlalchemy.dialects import sqlite as sqlite_dialect

from heat_watch.watch import statistics
from heat_watch.watch.storage import bucket_cache

LOG = log.getLogger(__name__)

# Enough digits that SQLite's conversion (long double arithmetic) gives
# back the very double: 17 would be for an exact conversion, and SQLite's
# is not (one value in a thousand came back a unit in the last place off).
TEXT_FORMAT = '%!.18g'
# Values the conversion is checked with, in batches (older SQLite allows
# 999 parameters a statement).
CHECK_VALUES = 4000
CHECK_BATCH = 500
SEP = '\x1f'
# Above this many (metric, bucket) pairs, a read of SQLite's index range per
# bucket (see _per_bucket) gives way to one GROUP BY: a long window of short
# periods has mostly empty buckets, each a seek for nothing.
MAX_BUCKET_SCANS = 5000


ROWS, GROUPED, PER_BUCKET = 'rows', 'grouped', 'per bucket'


def raw_values(engine: sa.Engine, tables: tuple[sa.Table, ...], metric_ids: list[int],
               start_ms: int, end_ms: int, period_ms: int, unit: str | None,
               how: str | None = None) -> dict[tuple, statistics.RawValues]:
    """(metric_id, bucket, unit) -> the raw values of the rows of ``tables``
    with known raw values; buckets aligned on ``start_ms``.

    ``how``: :data:`ROWS` (row by row), :data:`GROUPED` (SQLite: plain
    values grouped as text by a GROUP BY) or :data:`PER_BUCKET` (SQLite:
    grouped by a read of the index per bucket, else as GROUPED); by default
    the cheapest that is exact here.
    """
    if how is None:
        how = ROWS
        if engine.dialect.name == 'sqlite' and text_is_exact(engine):
            buckets = -(-(end_ms - start_ms) // period_ms)
            # The bucket cache knows a database by its file's URL.
            on_file = engine.url.database not in (None, '', ':memory:')
            how = (PER_BUCKET if on_file and buckets * len(metric_ids) <= MAX_BUCKET_SCANS
                   else GROUPED)
    values = {'start': start_ms, 'end': end_ms, 'period': period_ms, 'unit': unit}
    values.update(('id%d' % i, metric_id) for i, metric_id in enumerate(metric_ids))
    if how == PER_BUCKET:
        found = _per_bucket(engine, tables, metric_ids, start_ms, end_ms, period_ms, unit)
        if found is not None:
            return found
    grouped = how != ROWS
    sql, names = _statement(engine.dialect, tables, len(metric_ids), bool(unit), grouped)
    params = [values[name] for name in names] if names is not None else values
    return _by_bucket(_fetch_all(engine, sql, params), grouped)


def _fetch_all(engine: sa.Engine, sql: str, params) -> list[tuple]:
    """The rows of one read statement, through a pooled DBAPI connection
    (dropped from the pool on any error: it may be the link that broke)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()
    except Exception:
        with contextlib.suppress(Exception):
            raw.invalidate()
        raise
    finally:
        raw.close()


def _plain(table: sa.Table):
    """The condition of a row of one plain value (see the module's docstring)."""
    return sa.and_(table.c.sample_count == sa.literal_column('1.0'),
                   table.c.raw_values.is_(None))


@functools.lru_cache(maxsize=256)
def _statement(dialect: sa.Dialect, tables: tuple[sa.Table, ...], count: int, by_unit: bool,
               grouped: bool) -> tuple[str, tuple[str, ...] | None]:
    """The SQL for ``count`` metric ids, compiled once per shape, and the
    names of its positional parameters in order (None when the driver takes
    them by name): start, end, period, unit and id0, id1...

    Rows: metric_id, bucket, unit, value (minimum), sample_count,
    raw_values; ``grouped``: first the plain values of each bucket as text
    in the value column (count and raw NULL), then the other rows. Both
    tables in one statement (one snapshot: a row moving from the buffer is
    seen once).
    """
    start, period = (sa.bindparam('start', type_=sa.BigInteger),
                     sa.bindparam('period', type_=sa.BigInteger))
    ids = [sa.bindparam('id%d' % i, type_=sa.BigInteger) for i in range(count)]

    def rows(table: sa.Table, *columns, plain: bool | None = None) -> sa.Select:
        ts = table.c.timestamp
        query = sa.select(table.c.metric_id, (ts - (ts - start) % period).label('bucket'),
                          table.c.unit, *columns).where(
            table.c.metric_id.in_(ids), ts >= start, ts < sa.bindparam('end'),
            table.c.has_raw.is_(True))
        if plain is not None:
            query = query.where(_plain(table) if plain else sa.not_(_plain(table)))
        return query.where(table.c.unit == sa.bindparam('unit')) if by_unit else query

    def columns(table: sa.Table) -> tuple:
        return table.c.minimum, table.c.sample_count, table.c.raw_values

    if not grouped:
        parts = [rows(table, *columns(table)) for table in tables]
    else:
        plain = sa.union_all(*[rows(table, table.c.minimum.label('value'), plain=True)
                               for table in tables]).subquery()
        text = sa.func.group_concat(sa.func.printf(sa.literal_column("'%s'" % TEXT_FORMAT),
                                                   plain.c.value))
        parts = [sa.select(plain.c.metric_id, plain.c.bucket, plain.c.unit, text,
                           sa.null(), sa.null()).group_by(
            plain.c.metric_id, plain.c.bucket, plain.c.unit)]
        parts += [rows(table, *columns(table), plain=False) for table in tables]
    statement = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    compiled = statement.compile(dialect=dialect)
    return str(compiled), (tuple(compiled.positiontup) if dialect.positional else None)


def _per_bucket(engine: sa.Engine, tables: tuple[sa.Table, ...], metric_ids: list[int],
                start_ms: int, end_ms: int, period_ms: int, unit: str | None,
                cache: bucket_cache.BucketCache = bucket_cache.CACHE
                ) -> dict[tuple, statistics.RawValues] | None:
    """SQLite: the plain values of each (metric, bucket) of the indexed
    table by a walk of its index range each (no sort of the window), only
    the rows new since the last read of the bucket read from the table (see
    :mod:`heat_watch.watch.storage.bucket_cache`), and the buffer's rows as
    :func:`_statement` reads them; one statement, so one snapshot. None
    when a bucket holds other rows or several units."""
    read = bucket_cache.read(functools.partial(_fetch_all, engine), str(engine.url), tables,
                             metric_ids, start_ms, end_ms, period_ms, unit, TEXT_FORMAT,
                             _buffer_statement, cache)
    if read is None:
        return None
    cached, buffer_rows = read
    buffered = _by_bucket(buffer_rows, True)
    found = {key: statistics.RawValues(values, ordered=True) for key, values in cached.items()}
    for key, extra in buffered.items():
        known = cached.get(key)
        found[key] = extra if known is None else statistics.RawValues(
            known + extra.plain, extra.weighted)
    return found


def _buffer_statement(tables: tuple[sa.Table, ...], count: int,
                      by_unit: bool) -> tuple[str, tuple[str, ...]]:
    """The grouped statement of the unindexed ``tables`` (the buffer)."""
    return _statement(_SQLITE, tables, count, by_unit, True)


_SQLITE = sqlite_dialect.dialect()


def _by_bucket(rows: list[tuple], grouped: bool) -> dict[tuple, statistics.RawValues]:
    """Rows grouped by (metric_id, bucket, unit); one pass, the least work
    per row (a plain value is one append, a bucket's text one split).
    """
    plain: dict[tuple, list[float]] = {}
    weighted: dict[tuple, list] = {}
    for metric_id, bucket, unit, value, count, raw in rows:
        key = (metric_id, bucket, unit)
        if grouped and count is None:
            _extend(plain, key, list(map(float, value.split(','))))
        elif not grouped and count == 1.0 and raw is None:
            found = plain.get(key)
            if found is None:
                plain[key] = [value]
            else:
                found.append(value)
        else:
            pairs = weighted.setdefault(key, [])
            if raw:
                pairs.extend((float(v), float(c)) for v, c in json.loads(raw))
            else:
                pairs.append((value, count))
    return {key: statistics.RawValues(plain.get(key), weighted.get(key))
            for key in itertools.chain(plain, (k for k in weighted if k not in plain))}


def _extend(found: dict[tuple, list], key: tuple, values: list) -> None:
    """Add ``values`` to those of ``key`` (a bucket may be in both tables)."""
    known = found.get(key)
    if known is None:
        found[key] = values
    else:
        known.extend(values)


_CHECKED: dict[str, bool] = {}
_CHECK_LOCK = threading.Lock()


def text_is_exact(engine: sa.Engine) -> bool:
    """Whether this SQLite prints doubles as text that Python reads back as
    the very same doubles (checked once per database URL, with values from
    the whole range of doubles and the edges of CloudWatch's), and has the
    JSON functions the per-bucket reads use."""
    key = str(engine.url)
    found = _CHECKED.get(key)
    if found is None:
        with _CHECK_LOCK:
            found = _CHECKED.get(key)
            if found is None:
                found = _CHECKED[key] = _check_text(engine)
    return found


def check_values() -> list[float]:
    """The doubles :func:`text_is_exact` tries: awkward decimals, the
    edges of CloudWatch's range and of the doubles, and random bit patterns."""
    rng = random.Random(13)
    # No -0.0: SQLite stores it as 0 (it never reads one back either way).
    values = [0.0, 0.1 + 0.2, 1 / 3, 2 / 3, 5e-324, 2.2250738585072014e-308,
              1.7976931348623157e308, 8.515920e-109, -8.515920e-109, 1.174271e+108,
              -1.174271e+108, 1.0881404045319998e+102, 1.2903473020367327e+303]
    while len(values) < CHECK_VALUES:
        value = struct.unpack('<d', struct.pack('<Q', rng.getrandbits(64)))[0]
        if value == value and abs(value) != float('inf'):
            values.append(value)
            values.append(rng.uniform(0, 100))
    return values


def _check_text(engine: sa.Engine) -> bool:
    values = check_values()
    printed: list[float] = []
    for start in range(0, len(values), CHECK_BATCH):
        batch = values[start:start + CHECK_BATCH]
        sql = "WITH v(x) AS (VALUES %s) SELECT printf('%s', x) FROM v" % (
            ', '.join(['(?)'] * len(batch)), TEXT_FORMAT)
        printed += [float(text) for text, in _fetch_all(engine, sql, batch)]
    exact = printed == values
    if not exact:
        LOG.warning('This SQLite does not print doubles exactly: percentiles read every '
                    'datapoint row by row, at a higher cost')
        return False
    try:  # the per-bucket reads pass what they know as JSON (json_each)
        _fetch_all(engine, "SELECT count(*) FROM json_each('[1]')", ())
    except sqlite3.OperationalError:
        LOG.warning('This SQLite has no JSON functions: percentiles and statistics read '
                    'their whole windows every time, at a higher cost')
        return False
    return True


# -- aggregates per bucket ------------------------------------------------------

AGGREGATE_FIELDS = 'metric_id bucket unit sample_count sum minimum maximum no_raw'


class Bucket(collections.namedtuple('Bucket', AGGREGATE_FIELDS)):
    """One (metric, bucket, unit) of MetricStore.bucket_aggregates."""


def bucket_aggregates(engine: sa.Engine, tables: tuple[sa.Table, ...], metric_ids: list[int],
                      start_ms: int, end_ms: int, period_ms: int, unit: str | None,
                      count_raw: bool,
                      cache: bucket_cache.LruCache = bucket_cache.AGGREGATES
                      ) -> list[Bucket] | None:
    """SQLite: count, sum, minimum, maximum (and rows without raw values,
    if ``count_raw``) of each (metric, bucket, unit), the indexed table read
    by a walk of its index range per bucket as :func:`_per_bucket` does,
    the buffer by a GROUP BY; one statement. A bucket found in both tables
    comes twice (the caller merges them). None when this way does not
    apply: too many buckets, a bucket of mixed units, or a SQLite whose
    text of a double is not exact.

    Without a unit asked, a bucket's aggregates are kept with the count and
    highest id of its rows (its fingerprint): while a walk of the index
    alone finds the same, the table is not read (a bucket that received a
    row is aggregated again whole, so its sums are the very sums of a full
    read; see :mod:`heat_watch.watch.storage.bucket_cache`).
    """
    buckets = -(-(end_ms - start_ms) // period_ms)
    if buckets * len(metric_ids) > MAX_BUCKET_SCANS or not text_is_exact(engine):
        return None
    cached = not unit and engine.url.database not in (None, '', ':memory:')
    database, known, passed = str(engine.url), [], {}
    if cached:
        for metric_id in metric_ids:
            for bucket in range(start_ms, end_ms, period_ms):
                entry = cache.get((database, metric_id, bucket, period_ms,
                                   min(bucket + period_ms, end_ms)))
                if entry is not None:
                    known.append([metric_id, bucket, entry[0]])
                    passed[(metric_id, bucket)] = entry[1]
    values = {'start': start_ms, 'end': end_ms, 'period': period_ms, 'unit': unit,
              'known': json.dumps(known)}
    values.update(('id%d' % i, metric_id) for i, metric_id in enumerate(metric_ids))
    sql, names = _aggregates_statement(tables, len(metric_ids), bool(unit))
    found = []
    for row in _fetch_all(engine, sql, [values[name] for name in names]):
        if row[7] != -1:  # the buffer's
            found.append(Bucket(*row[:7], row[7] if count_raw else None))
            continue
        key = (database, row[0], row[1], period_ms, min(row[1] + period_ms, end_ms))
        if row[3] == 'same':
            bucket = passed[(row[0], row[1])]
        elif row[3] is None:  # an empty bucket
            cache.forget(key)
            continue
        else:
            low, high, count, total, minimum, maximum, no_raw, fingerprint = row[3].split(SEP)
            if low != high:
                return None
            bucket = Bucket(row[0], row[1], low, float(count), float(total), float(minimum),
                            float(maximum), int(no_raw))
            if cached:
                cache.put(key, (fingerprint, bucket))
        found.append(bucket if count_raw else bucket._replace(no_raw=None))
    return found


@functools.lru_cache(maxsize=256)
def _aggregates_statement(tables: tuple[sa.Table, ...], count: int,
                          by_unit: bool) -> tuple[str, tuple[str, ...]]:
    """Per (metric, bucket) of the indexed table: 'same' where the bucket's
    fingerprint is the one known, else the text of its aggregates and its
    fingerprint (NULL: no rows); then the buffer's rows by a GROUP BY."""
    unit_filter = ' AND d.unit = ?' if by_unit else ''
    no_raw = 'sum(CASE WHEN d.has_raw THEN 0 ELSE 1 END)'
    fingerprint = "count(*) || ':' || coalesce(max(d.id), 0)"
    text = ("CASE WHEN count(*) THEN printf('%%s\x1f%%s\x1f%(f)s\x1f%(f)s\x1f%(f)s"
            "\x1f%(f)s\x1f%%d', min(d.unit), max(d.unit), sum(d.sample_count), sum(d.sum), "
            "min(d.minimum), max(d.maximum), %(no_raw)s) || char(31) || %(fingerprint)s END"
            % {'f': TEXT_FORMAT, 'no_raw': no_raw, 'fingerprint': fingerprint})
    in_bucket = ('d.metric_id = ids.id AND d.timestamp >= buckets.start '
                 'AND d.timestamp < buckets.start + ? AND d.timestamp < ?')
    sql = ("WITH RECURSIVE buckets(start) AS (SELECT ? UNION ALL SELECT start + ? FROM "
           "buckets WHERE start + ? < ?), ids(id) AS (VALUES %(ids)s), "
           "known(id, start, fingerprint) AS (SELECT json_extract(value, '$[0]'), "
           "json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)) "
           "SELECT ids.id, buckets.start, NULL, CASE WHEN k.fingerprint IS NOT NULL AND "
           "(SELECT %(fingerprint)s FROM %(table)s AS d WHERE %(in_bucket)s) = k.fingerprint "
           "THEN 'same' ELSE (SELECT %(text)s FROM %(table)s AS d WHERE %(in_bucket)s"
           "%(unit_filter)s) END, NULL, NULL, NULL, -1 "
           "FROM ids CROSS JOIN buckets LEFT JOIN known AS k "
           "ON k.id = ids.id AND k.start = buckets.start"
           % {'ids': ', '.join(['(?)'] * count), 'fingerprint': fingerprint, 'text': text,
              'table': tables[0].name, 'in_bucket': in_bucket, 'unit_filter': unit_filter})
    names = ('start', 'period', 'period', 'end', *('id%d' % i for i in range(count)), 'known',
             'period', 'end', 'period', 'end', *(('unit',) if by_unit else ()))
    for table in tables[1:]:
        sql += (' UNION ALL SELECT d.metric_id, d.timestamp - (d.timestamp - ?) %% ?, d.unit, '
                'sum(d.sample_count), sum(d.sum), min(d.minimum), max(d.maximum), %s '
                'FROM %s AS d WHERE d.metric_id IN (%s) AND d.timestamp >= ? '
                'AND d.timestamp < ?%s GROUP BY 1, 2, 3'
                % (no_raw, table.name, ', '.join(['?'] * count), unit_filter))
        names += ('start', 'period', *('id%d' % i for i in range(count)), 'start', 'end',
                  *(('unit',) if by_unit else ()))
    return sql, names
