"""SQLite: the plain values of each bucket, read once and then only what
a bucket received since (an incremental read, exact).

A GetMetricData of percentiles over a busy metric reads every datapoint of
its window on every call, though nearly all of them were read by the call
before. This module keeps, per (metric, bucket, period, unit asked), the
bucket's sorted plain values as of a read, with what identifies the rows
they came from: how many rows of ``datapoints`` the bucket held up to the
timestamp read (``upper``), and the highest row id among them.

A read walks each bucket's range of the (metric_id, timestamp) index; for
the rows known before (id <= that highest id and timestamp < ``upper``) it
only counts index entries, never touching the table; the table is read for
the other rows only. Row ids only grow (``INTEGER PRIMARY KEY``: a new row
takes the largest id + 1) and rows are never updated, so the known rows are
unchanged exactly when their count is: a bucket whose count differs (rows
deleted by expiry) is read again whole. The values read are the same as
the full read's, to the bit (see heat_watch.watch.storage.raw_values).

The ingestion buffer is not cached: its rows are read whole each time (a
second of ingestion), and its moves into ``datapoints`` show as new rows.
Several processes may share the database: nothing here depends on who
wrote. At most MAX_VALUES values are kept (least recently used first out).
"""

import collections
import functools
import json
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

# Values kept (each a float in a list: ~32 bytes).
MAX_VALUES = 1_000_000
SEP = '\x1f'


class _Entry(collections.namedtuple('_Entry', 'count max_id upper unit values')):
    """A bucket's rows of ``datapoints`` as of a read, and its sorted plain
    values (``unit`` None while it has none)."""


class BucketCache:
    """Entries by (database, metric_id, bucket, period, unit asked); LRU."""

    def __init__(self, max_values: int = MAX_VALUES):
        self.max_values = max_values
        self._entries: collections.OrderedDict = collections.OrderedDict()
        self._values = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: _Entry) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._values -= len(old.values)
            if len(entry.values) > self.max_values:
                return
            self._entries[key] = entry
            self._values += len(entry.values)
            while self._values > self.max_values:
                _, dropped = self._entries.popitem(last=False)
                self._values -= len(dropped.values)

    def forget(self, key: tuple) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._values -= len(old.values)

    def __len__(self) -> int:
        return len(self._entries)


CACHE = BucketCache()


class LruCache:
    """At most ``max_items`` entries, least recently used out first."""

    def __init__(self, max_items: int):
        self.max_items = max_items
        self._entries: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: Any) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            if len(self._entries) > self.max_items:
                self._entries.popitem(last=False)

    def forget(self, key: tuple) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


# Aggregates of buckets with their fingerprints (see
# heat_watch.watch.storage.raw_values.bucket_aggregates): ~200 bytes each.
AGGREGATES = LruCache(200_000)


Statement = tuple[str, tuple[str, ...]]  # SQL and its parameters' names


def read(fetch_all: Callable[[str, list], list[tuple]], database: str,
         tables: tuple[sa.Table, ...], metric_ids: list[int], start_ms: int, end_ms: int,
         period_ms: int, unit: str | None, text_format: str,
         buffer_statement: Callable[[tuple[sa.Table, ...], int, bool], Statement],
         cache: BucketCache = CACHE
         ) -> tuple[dict[tuple, list[float]], list[tuple]] | None:
    """The plain values of each (metric, bucket) of ``datapoints`` from the
    cache and what the buckets received since, and the rows of the buffer
    (read by ``buffer_statement``, as raw_values' grouped statement).

    Returns (values by (metric_id, bucket, unit) as sorted lists shared
    with the cache (not to be modified), the buffer's rows), or None when a
    bucket holds rows other than plain values or several units: the caller
    then reads the window the general way.
    """
    known, passed = [], {}
    for metric_id in metric_ids:
        for bucket in range(start_ms, end_ms, period_ms):
            entry = cache.get((database, metric_id, bucket, period_ms, unit))
            if entry is not None and entry.upper <= min(bucket + period_ms, end_ms):
                known.append([metric_id, bucket, entry.max_id, entry.upper])
                passed[(metric_id, bucket)] = entry
    sql, names = _statement(tables, len(metric_ids), bool(unit), text_format, buffer_statement)
    values = {'start': start_ms, 'end': end_ms, 'period': period_ms, 'unit': unit,
              'known': json.dumps(known)}
    values.update(('id%d' % i, metric_id) for i, metric_id in enumerate(metric_ids))
    rows = fetch_all(sql, [values[name] for name in names])
    found: dict[tuple, list[float]] = {}
    buffer_rows = []
    general = False  # some bucket must be read the general way
    for row in rows:
        if row[4] != -1:
            buffer_rows.append(row)
            continue
        metric_id, bucket, text, known_rows = row[0], row[1], row[3], row[5]
        key = (database, metric_id, bucket, period_ms, unit)
        entry = _updated(passed.get((metric_id, bucket)), text, known_rows,
                         min(bucket + period_ms, end_ms))
        if not entry:  # no rows (False), or None: every such bucket is forgotten
            cache.forget(key)
            general = general or entry is None
            continue
        cache.put(key, entry)
        if entry.values:
            found[(metric_id, bucket, entry.unit)] = entry.values
    return None if general else (found, buffer_rows)


def _updated(entry: _Entry | None, text: str, known_rows: int,
             upper: int) -> _Entry | bool:
    """``entry`` (the one the read was given, or None) after a read of its
    bucket (see _statement), False if the bucket has no rows, or None if it
    must be read the general way: rows other than plain values or of
    several units, or known rows gone (expiry)."""
    count, max_id, low, high, others, plain = text.split(SEP)
    if others != '0' or low != high:
        return None
    if known_rows != (entry.count if entry is not None else 0):
        return None
    count = known_rows + int(count)
    if not count:
        return False
    max_id = max(int(max_id) if max_id else 0, entry.max_id if entry is not None else 0)
    new = sorted(map(float, plain.split(','))) if plain else []
    unit = low or None
    if entry is not None:
        if entry.values and new and unit != entry.unit:
            return None
        unit = unit or entry.unit
        new = sorted(entry.values + new) if new else entry.values
    return _Entry(count, max_id, upper, unit, new)


@functools.lru_cache(maxsize=64)
def _statement(tables: tuple[sa.Table, ...], count: int, by_unit: bool, text_format: str,
               buffer_statement) -> tuple[str, tuple[str, ...]]:
    """Per (metric, bucket) of the indexed table: a text of its new rows
    (their count, highest id, low and high unit and count of those wanted
    that are not plain values, then the plain values) and the count of its
    known rows; then the buffer's rows. Rows: metric_id, bucket, NULL,
    that text, -1, that count.

    Two walks of the bucket's index range: one counts the known rows from
    the index alone; the other reads the table for the new rows only.
    """
    new = '(k.max_id IS NULL OR d.id > k.max_id OR d.timestamp >= k.upper)'
    wanted = 'd.has_raw%s' % (' AND d.unit = ?' if by_unit else '')
    plain = "d.sample_count = 1.0 AND d.raw_values IS NULL"
    text = ("count(*) || char(31) || coalesce(max(d.id), '') "
            "|| char(31) || coalesce(min(CASE WHEN %(wanted)s THEN d.unit END), '') "
            "|| char(31) || coalesce(max(CASE WHEN %(wanted)s THEN d.unit END), '') "
            "|| char(31) || coalesce(sum(CASE WHEN %(wanted)s AND NOT (%(plain)s) THEN 1 END), 0) "
            "|| char(31) || coalesce(group_concat(CASE WHEN %(wanted)s AND %(plain)s "
            "THEN printf('%(format)s', d.minimum) END), '')"
            % {'wanted': wanted, 'plain': plain, 'format': text_format})
    in_bucket = ('d.metric_id = ids.id AND d.timestamp >= buckets.start '
                 'AND d.timestamp < buckets.start + ? AND d.timestamp < ?')
    sql = ("WITH RECURSIVE buckets(start) AS (SELECT ? UNION ALL SELECT start + ? FROM "
           "buckets WHERE start + ? < ?), ids(id) AS (VALUES %(ids)s), "
           "known(id, start, max_id, upper) AS (SELECT json_extract(value, '$[0]'), "
           "json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
           "json_extract(value, '$[3]') FROM json_each(?)) "
           "SELECT ids.id, buckets.start, NULL, "
           "(SELECT %(text)s FROM %(table)s AS d WHERE %(in_bucket)s AND %(new)s), -1, "
           "CASE WHEN k.max_id IS NULL THEN 0 ELSE (SELECT count(*) FROM %(table)s AS d "
           "WHERE d.metric_id = ids.id AND d.timestamp >= buckets.start "
           "AND d.timestamp < k.upper AND d.id <= k.max_id) END "
           "FROM ids CROSS JOIN buckets LEFT JOIN known AS k "
           "ON k.id = ids.id AND k.start = buckets.start"
           % {'ids': ', '.join(['(?)'] * count), 'text': text, 'table': tables[0].name,
              'in_bucket': in_bucket, 'new': new})
    # The unit parameter is in each of the four tests of a wanted row.
    names = ('start', 'period', 'period', 'end', *('id%d' % i for i in range(count)), 'known',
             *(('unit',) * 4 if by_unit else ()), 'period', 'end')
    if len(tables) > 1:
        rest, rest_names = buffer_statement(tables[1:], count, by_unit)
        sql, names = '%s UNION ALL %s' % (sql, rest), names + rest_names
    return sql, names
