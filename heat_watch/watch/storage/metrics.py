"""Metrics and datapoints: registry, ingestion writes, aggregate reads.

Points arrive grouped by metric, in the engine's wire format
(:mod:`heat_watch.watch.points`); a datapoints row is a metric id followed
by a point's fields.

On SQLite, ingestion commits to ``datapoint_buffer``, a table without an
index: a commit then appends a few pages instead of rewriting one page of
the (metric_id, timestamp) index per metric it touches, four times less
work per row. Ingestion's maintenance thread moves the buffer into
``datapoints`` in one sorted INSERT ... SELECT when it is full or its
oldest row is a second old (SQLite runs that statement without holding Python's GIL). Large moves
matter once the index outgrows the cache: datapoints arrive minutes out of
order, so each lands on its own index page, and a move rewrites each page
it touches once for all the rows it brings there. Reads take both tables in
one statement, so a row is seen exactly once whichever table holds it; a
full buffer (100,000 rows by default) costs a read a scan of about 4 ms.
"""

import collections
import contextlib
import functools
import hashlib
import io
import itertools
import json
import operator
import threading
import time

import sqlalchemy as sa
from oslo_db import exception as db_exc
from oslo_log import log

from heat_watch.common import alarms as hw_alarms
from heat_watch.watch import points, statistics
from heat_watch.watch.storage import models
from heat_watch.watch.storage import raw_values as raw_reads

LOG = log.getLogger(__name__)

METRICS = models.Metric.__table__
DIMENSIONS = models.MetricDimension.__table__
DATAPOINTS = models.Datapoint.__table__
BUFFER = models.DatapointBuffer.__table__

# last_put_at only needs minute precision (ListMetrics RecentlyActive is
# three hours); refreshing it on every put would double the writes.
LAST_PUT_REFRESH_MS = 5 * 60 * 1000
# A cached metric id is re-read after this long, so an expired (deleted)
# metric cannot be written to through a stale cache entry.
CACHE_TTL_S = 600.0
CACHE_MAX = 500_000
# heat_watch.common.db's busy_timeout, restored after a checkpoint's own.
SQLITE_BUSY_TIMEOUT_MS = 30000


def now_ms() -> int:
    """The current time in epoch milliseconds."""
    return int(time.time() * 1000)


# Defined once, for the engine and the APIs alike.
canonical_dimensions = hw_alarms.canonical_dimensions


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


def _insert_head(dialect: sa.Dialect, table: sa.Table) -> str:
    """'INSERT INTO table (columns)', quoted for the dialect by SQLAlchemy."""
    compiled = str(sa.insert(table).values(
        {c: sa.bindparam(c) for c in DATAPOINT_COLUMNS}).compile(dialect=dialect))
    return compiled[:compiled.index(' VALUES ')]


@functools.cache
def _multi_row_insert(dialect: sa.Dialect, table: sa.Table, count: int) -> str:
    """An INSERT of ``count`` datapoints rows, positional parameters.

    One statement per chunk rather than an executemany: SQLite's driver
    gives up the GIL around every statement it steps, and under load winning
    it back can take a whole switch interval, per row with executemany; a
    row also costs less than half the CPU this way.
    """
    marker = '?' if dialect.paramstyle == 'qmark' else '%s'
    row = '(%s)' % ', '.join([marker] * len(DATAPOINT_COLUMNS))
    return '%s VALUES %s' % (_insert_head(dialect, table), ', '.join([row] * count))


@functools.cache
def _plain_value_insert(dialect: sa.Dialect, table: sa.Table, count: int) -> str:
    """An INSERT of ``count`` rows of one plain value each, SQLite only:
    five numbered parameters a row (metric_id, timestamp, unit, resolution,
    value), the value bound once for sum, minimum and maximum. Binding is
    most of an INSERT's cost; this halves it."""
    rows = []
    for index in range(count):
        first = index * 5
        value = '?%d' % (first + 5)
        rows.append('(?%d, ?%d, ?%d, ?%d, 1.0, %s, %s, %s, 1, NULL)' % (
            first + 1, first + 2, first + 3, first + 4, value, value, value))
    return '%s VALUES %s' % (_insert_head(dialect, table), ', '.join(rows))


def _split_plain_values(rows: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """(metric_id, timestamp, unit, resolution, value) of the rows of one
    value each (count 1, sum = minimum = maximum, raw implied), and the
    other rows whole; one pass."""
    plain, other = [], []
    for row in rows:
        if (row[4] == 1.0 and row[9] is None and row[8] is True
                and row[5] == row[6] == row[7]):
            plain.append((row[0], row[1], row[2], row[3], row[5]))
        else:
            other.append(row)
    return plain, other


def _insert_statements(dialect: sa.Dialect, table: sa.Table, rows: list[tuple]):
    """(sql, flat parameters) of each chunk of ``rows``."""
    statements = [(_multi_row_insert, rows)]
    if dialect.name == 'sqlite':
        plain, rows = _split_plain_values(rows)
        statements = [(_plain_value_insert, plain), (_multi_row_insert, rows)]
    for statement, some in statements:
        for start in range(0, len(some), INSERT_CHUNK):
            chunk = some[start:start + INSERT_CHUNK]
            yield (statement(dialect, table, len(chunk)),
                   tuple(itertools.chain.from_iterable(chunk)))


def insert_method(dialect: sa.Dialect) -> str:
    """How ingestion inserts datapoints on ``dialect``: PostgreSQL (psycopg2)
    takes COPY, MariaDB/MySQL (PyMySQL) multi-row INSERT ... VALUES written
    as literals, every other database multi-row INSERT with parameters."""
    if dialect.name == 'postgresql' and dialect.driver == 'psycopg2':
        return 'copy'
    if dialect.name in ('mysql', 'mariadb') and dialect.driver == 'pymysql':
        return 'literal values'
    return 'multi-row values'


def _sql_double(value: float) -> str:
    # As PyMySQL writes a float: the exponent makes it a DOUBLE literal
    # (without one, MariaDB reads a DECIMAL and converts it).
    text = repr(float(value))
    return text if 'e' in text else text + 'e0'


def literal_rows(rows: list[tuple], quote) -> list[str]:
    """Datapoints rows as SQL literal tuples, for a multi-row INSERT.

    PyMySQL interpolates parameters in Python, one converter call per value
    (~0.6 us each, 5-6 us a row: most of the engine's CPU at batch 1000 on
    MariaDB); here numbers are written directly, a single value's once.
    ``quote`` makes a string literal (the connection's own, which knows
    the server's NO_BACKSLASH_ESCAPES mode).
    """
    units: dict = {None: 'NULL'}
    lines = []
    append = lines.append
    for metric_id, timestamp, unit, resolution, count, total, low, high, has_raw, raw in rows:
        unit_text = units.get(unit)
        if unit_text is None:
            unit_text = units[unit] = quote(unit)
        text = _sql_double(total)
        if low == total and high == total and total != 0:  # -0.0 == 0.0
            low_text = high_text = text
        else:
            low_text, high_text = _sql_double(low), _sql_double(high)
        append('(%d,%d,%s,%d,%s,%s,%s,%s,%d,%s)' % (
            metric_id, timestamp, unit_text, resolution, _sql_double(count), text, low_text,
            high_text, bool(has_raw), 'NULL' if raw is None else quote(raw)))
    return lines


# COPY's text format: these characters of a text value need a backslash.
_COPY_ESCAPES = str.maketrans({'\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r'})


_COPY_UNITS: dict[str, str] = {}  # units repeat: escaped once each


def _copy_text(value: str | None) -> str:
    if value is None:
        return '\\N'
    return value.translate(_COPY_ESCAPES)


def _copy_unit(unit: str | None) -> str:
    text = _COPY_UNITS.get(unit)
    if text is None:
        text = _copy_text(unit)
        if len(_COPY_UNITS) < 1000:
            _COPY_UNITS[unit] = text
    return text


def copy_rows(rows: list[tuple]) -> io.StringIO:
    """Datapoints rows in PostgreSQL COPY's text format (one line each).

    The server parses this with no SQL to plan and no parameters to bind:
    a quarter of its CPU per row with multi-row VALUES, a fifth of the
    driver's (tools/bench/bench_inserts.py). A single value's row (count 1,
    sum = minimum = maximum) writes its number once and reuses the text:
    float repr was most of this function, itself a third of the engine's CPU
    at batch 1000.
    """
    lines = []
    append = lines.append
    for metric_id, timestamp, unit, resolution, count, total, low, high, has_raw, raw in rows:
        text = repr(float(total))
        # Zero is excluded: -0.0 == 0.0, and each keeps its own sign.
        if low == total and high == total and total != 0:
            low_text = high_text = text
        else:
            low_text, high_text = repr(float(low)), repr(float(high))
        append('%d\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n' % (
            metric_id, timestamp, _copy_unit(unit), resolution,
            '1.0' if count == 1 else repr(float(count)), text, low_text, high_text,
            't' if has_raw else 'f', '\\N' if raw is None else _copy_text(raw)))
    return io.StringIO(''.join(lines))


@functools.cache
def _copy_statement(table_name: str) -> str:
    return 'COPY %s (%s) FROM STDIN' % (table_name, ', '.join(DATAPOINT_COLUMNS))


@functools.cache
def _buffer_move() -> tuple[str, str]:
    """The statements that move every buffered row into datapoints, sorted
    so that the index takes them page by page."""
    columns = ', '.join(DATAPOINT_COLUMNS)
    return ('INSERT INTO datapoints (%s) SELECT %s FROM datapoint_buffer '
            'ORDER BY metric_id, timestamp' % (columns, columns),
            'DELETE FROM datapoint_buffer')


class _WriterConnection:
    """The DBAPI connection ingestion commits on, kept checked out.

    Checking a connection out of SQLAlchemy's pool, its events and its
    transaction objects cost ~90 us per commit: most of the database time of
    a one-datum PutMetricData. Ingestion commits one transaction at a time
    (see heat_watch.watch.ingest), from whichever request thread holds the
    commit role, so one connection serves them all; it is renewed every
    RECYCLE_S (a server may drop idle connections) and after any error. The
    lock only guards against callers outside the ingestion writer.

    On SQLite the connection runs in the driver's autocommit mode: a commit
    of one INSERT is that one statement, not BEGIN, INSERT and COMMIT, each
    of which costs a statement's work and gives up Python's GIL to another
    request's thread. Several statements still share an explicit BEGIN.
    """

    RECYCLE_S = 300.0

    def __init__(self, engine: sa.Engine):
        self._engine = engine
        self._lock = threading.Lock()
        self.held = None  # (DBAPI connection, monotonic time it was taken)
        self._autocommit = engine.dialect.name == 'sqlite'
        self._copy = insert_method(engine.dialect) == 'copy'
        self._literal = insert_method(engine.dialect) == 'literal values'
        self._pool_isolation = None  # the driver's setting, given back with it

    def _connection(self):
        held = self.held
        if held is not None and time.monotonic() - held[1] < self.RECYCLE_S:
            return held[0]
        if held is not None:
            self.held = None
            self._give_back(held[0])
        raw = self._engine.raw_connection()
        if self._autocommit:
            self._pool_isolation = raw.driver_connection.isolation_level
            raw.driver_connection.isolation_level = None
        self.held = (raw, time.monotonic())
        return raw

    def _give_back(self, raw) -> None:
        if self._autocommit:
            raw.driver_connection.isolation_level = self._pool_isolation
        raw.close()  # back to the pool

    def release(self) -> None:
        """Give the connection back to the pool."""
        with self._lock:
            held, self.held = self.held, None
            if held is not None:
                self._give_back(held[0])

    def insert(self, table: sa.Table, rows: list[tuple]) -> None:
        """Insert datapoints rows into ``table`` and commit."""
        if self._copy:
            self._transaction([(_copy_statement(table.name), copy_rows(rows))])
            return
        if self._literal:
            self._insert_literals(table, rows)
            return
        self._transaction(
            _insert_statements(self._engine.dialect, table, rows))

    def _insert_literals(self, table: sa.Table, rows: list[tuple]) -> None:
        head = _insert_head(self._engine.dialect, table)
        with self._lock:
            connection = self._connection().driver_connection
            # PyMySQL's own quoting, as its cursors use it for parameters.
            lines = literal_rows(rows, connection.escape)
            # No parameters: PyMySQL then sends the text as it is.
            self._run([('%s VALUES %s' % (head, ','.join(lines[start:start + INSERT_CHUNK])),
                        None) for start in range(0, len(lines), INSERT_CHUNK)])

    def move_buffer(self) -> int:
        """Move SQLite's ingestion buffer into datapoints in one write
        transaction, taken at once (BEGIN IMMEDIATE) so that no other
        writer can slip rows in between the copy and the delete. Returns
        how many rows moved."""
        insert, delete = _buffer_move()
        return self._transaction([('BEGIN IMMEDIATE', ()), (insert, ()), (delete, ())])[1]

    def checkpoint(self, wait_ms: int) -> tuple[int, int, int]:
        """Copy SQLite's write-ahead log into the database and empty it
        (PRAGMA wal_checkpoint(TRUNCATE)), waiting at most ``wait_ms`` for
        the readers and writers of the moment. Returns SQLite's (busy, log
        frames, frames checkpointed); busy 1 means it could not finish."""
        with self._lock:
            raw = self._connection()
            cursor = raw.cursor()
            try:
                cursor.execute('PRAGMA busy_timeout=%d' % wait_ms)
                try:
                    return tuple(cursor.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone())
                finally:
                    cursor.execute('PRAGMA busy_timeout=%d' % SQLITE_BUSY_TIMEOUT_MS)
            except Exception:
                self.held = None
                with contextlib.suppress(Exception):
                    raw.invalidate()
                raise
            finally:
                with contextlib.suppress(Exception):
                    cursor.close()

    def _transaction(self, statements) -> list[int]:
        """Run (sql, parameters) statements and commit; their row counts.
        On any error, roll back and drop the connection."""
        with self._lock:
            return self._run(statements)

    def _run(self, statements) -> list[int]:
        statements = list(statements)
        raw = self._connection()
        try:
            cursor = raw.cursor()
            try:
                if (self._autocommit and len(statements) > 1
                        and not statements[0][0].startswith('BEGIN')):
                    cursor.execute('BEGIN')
                counts = []
                for sql, params in statements:
                    if isinstance(params, io.StringIO):  # COPY ... FROM STDIN
                        cursor.copy_expert(sql, params)
                    else:
                        cursor.execute(sql, params)
                    counts.append(cursor.rowcount)
            finally:
                cursor.close()
            raw.commit()
            return counts
        except Exception:
            self.held = None
            # Rolls back and closes it; the pool forgets it. The insert's
            # error is the one to report, whatever the broken link says.
            with contextlib.suppress(Exception):
                raw.invalidate()
            raise


class MetricStore:
    """Reads and writes metrics and datapoints of the watch database."""

    def __init__(self, engine: sa.Engine, buffer_rows: int = 0, buffer_seconds: float = 1.0,
                 checkpoint_seconds: float = 0.0, checkpoint_wait_ms: int = 2000):
        """``buffer_rows`` > 0 makes ingestion on SQLite commit to the
        buffer (see the module's docstring), moved into datapoints once it
        holds that many rows or its oldest row is ``buffer_seconds`` old.
        Reads on SQLite take the buffer into account either way.
        ``checkpoint_seconds`` > 0 empties SQLite's write-ahead log that often
        (see :meth:`checkpoint`)."""
        self.engine = engine
        self._writer = _WriterConnection(engine)
        self._cache: dict[str, tuple[int, int, float]] = {}
        self._cache_lock = threading.Lock()
        self._sqlite = engine.dialect.name == 'sqlite'
        self._buffer_rows = buffer_rows if self._sqlite else 0
        self._buffer_seconds = buffer_seconds
        # Rows this store put in the buffer since it was last emptied, and
        # when the first of them went in; None until the first move, which
        # also takes what an earlier process left there.
        self._buffered: int | None = None
        self._buffered_since = 0.0
        self._no_move_before = 0.0  # after a failed move
        self._checkpoint_seconds = checkpoint_seconds if self._sqlite else 0.0
        self._checkpoint_wait_ms = checkpoint_wait_ms
        self._next_checkpoint = time.monotonic() + self._checkpoint_seconds
        self._checkpoints_missed = 0

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
        """Give back the connection ingestion kept (see
        :class:`_WriterConnection`)."""
        self._writer.release()

    def finish_writes(self) -> None:
        """As ingestion stops, holding its commit role: empty the buffer
        (if that fails its rows stay there, readable and moved by the next
        engine) and give back the ingestion connection."""
        if self._buffered:
            self.move_buffer()
        self.release_connection()

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
        if self._buffer_rows:
            rows = _rows(by_key, ids)
            if rows:
                self._writer.insert(BUFFER, rows)
                self._count_buffered(len(rows))
        else:
            rows = _rows_in_index_order(by_key, ids)
            if rows:
                self._writer.insert(DATAPOINTS, rows)
        if stale:
            self._refresh_last_put(wanted, ids, stale, stamp)
        return set(wanted)

    def _count_buffered(self, rows: int) -> None:
        if not self._buffered:
            self._buffered_since = time.monotonic()
        self._buffered = (self._buffered or 0) + rows

    def buffer_due(self) -> bool:
        """Whether the ingestion buffer should move now (always before the
        first move: an earlier process may have left rows)."""
        if not self._buffer_rows or time.monotonic() < self._no_move_before:
            return False
        if self._buffered is None:
            return True
        return bool(self._buffered) and (
            self._buffered >= self._buffer_rows
            or time.monotonic() - self._buffered_since >= self._buffer_seconds)

    def move_buffer(self) -> int:
        """Move the ingestion buffer into datapoints, holding ingestion's
        commit role (see heat_watch.watch.ingest); returns the rows moved. A
        failure is logged, not raised: the rows stay readable in the buffer
        and the next move takes them."""
        try:
            moved = self._writer.move_buffer()
        except Exception:
            LOG.warning('Moving the ingestion buffer into datapoints failed; its rows '
                        'stay readable there and will be moved later', exc_info=True)
            # Try again after another buffer_seconds, not after every commit.
            self._no_move_before = time.monotonic() + self._buffer_seconds
            return 0
        self._buffered = 0
        return moved

    # -- ingestion maintenance (SQLite) -----------------------------------------

    def maintenance_due(self) -> bool:
        """Whether the buffer should move or the log be checkpointed now."""
        return self.buffer_due() or self._checkpoint_due()

    def maintain(self) -> None:
        """Ingestion's maintenance, holding its commit role (see
        heat_watch.watch.ingest): the buffer move, then the checkpoint."""
        if self.buffer_due():
            self.move_buffer()
        if self._checkpoint_due():
            self.checkpoint()

    def _checkpoint_due(self) -> bool:
        return bool(self._checkpoint_seconds) and time.monotonic() >= self._next_checkpoint

    def checkpoint(self) -> bool:
        """Empty SQLite's write-ahead log, holding ingestion's commit role.

        The automatic checkpoints copy the log into the database file but
        start it over only at a moment when no reader uses it; under a steady
        mix of reads and writes that moment may never come and the log grows
        without bound. A TRUNCATE checkpoint waits (at most
        ``checkpoint_wait_ms``) for the readers of the moment to finish:
        readers that start after the copy read the database file, so the wait
        ends as soon as the slowest read of the moment does. Returns whether
        the log was emptied; a miss is retried at the next interval and
        logged once it happens three times in a row.
        """
        self._next_checkpoint = time.monotonic() + self._checkpoint_seconds
        try:
            busy, _frames, _copied = self._writer.checkpoint(self._checkpoint_wait_ms)
        except Exception:
            LOG.warning('Checkpointing the SQLite write-ahead log failed', exc_info=True)
            busy = 1
        if not busy:
            if self._checkpoints_missed >= 3:
                LOG.info('The SQLite write-ahead log was emptied again')
            self._checkpoints_missed = 0
            return True
        self._checkpoints_missed += 1
        if self._checkpoints_missed == 3:
            LOG.warning('The SQLite write-ahead log could not be emptied in %d ms, three '
                        'times in a row: a long read or another writer holds it; it '
                        'grows until a checkpoint succeeds', self._checkpoint_wait_ms)
        return False

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

    def _tables(self) -> tuple[sa.Table, ...]:
        """Where datapoints are: on SQLite also the ingestion buffer."""
        return (DATAPOINTS, BUFFER) if self._sqlite else (DATAPOINTS,)

    def datapoint_tables(self) -> tuple[sa.Table, ...]:
        """The tables a read of datapoints must cover (see the module's docstring)."""
        return self._tables()

    def bucket_aggregates(self, metric_ids: list[int], start_ms: int, end_ms: int,
                          period_ms: int, unit: str | None = None,
                          count_raw: bool = True) -> list[sa.Row]:
        """Per metric, bucket and unit: count, sum, min, max and how many
        rows lack raw values (None unless ``count_raw``). Buckets are aligned
        on ``start_ms``.

        On SQLite each table is aggregated on its own, in one statement
        (one snapshot; the indexed table a bucket at a time where that
        applies, see :func:`heat_watch.watch.storage.raw_values.bucket_aggregates`),
        and a bucket found in both is merged here: an
        aggregate over a UNION ALL of the rows would pass every row through
        a subquery, a fifth more time for a week of datapoints.
        """
        metric_ids = sorted(set(metric_ids))  # a repeated id would count its rows twice
        if self._sqlite:
            rows = raw_reads.bucket_aggregates(self.engine, self._tables(), metric_ids,
                                               start_ms, end_ms, period_ms, unit, count_raw)
            if rows is not None:
                return _merge_buckets(rows)
        single = len(metric_ids) == 1
        query = _aggregate_statement(self._tables(), single, bool(unit), count_raw)
        params = {'ids': metric_ids, 'start': start_ms, 'end': end_ms, 'period': period_ms,
                  'unit': unit, 'metric': metric_ids[0] if single else None}
        with self.engine.connect() as conn:
            rows = conn.execute(query, params).all()
        return _merge_buckets(rows) if self._sqlite else rows

    def raw_values(self, metric_ids: list[int], start_ms: int, end_ms: int,
                   period_ms: int, unit: str | None = None
                   ) -> dict[tuple, statistics.RawValues]:
        """(metric_id, bucket, unit) -> the raw values of its rows, for
        percentiles; buckets aligned on ``start_ms`` as in
        :meth:`bucket_aggregates`. See :mod:`heat_watch.watch.storage.raw_values`."""
        return raw_reads.raw_values(self.engine, self._tables(), sorted(set(metric_ids)),
                                    start_ms, end_ms, period_ms, unit)

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
                if self._sqlite:
                    conn.execute(sa.delete(BUFFER).where(BUFFER.c.metric_id.in_(chunk)))
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
        total = 0
        if self._sqlite:
            # Unindexed, but short: moved into datapoints every second or so.
            with self.engine.begin() as conn:
                total += conn.execute(sa.delete(BUFFER).where(
                    BUFFER.c.timestamp < before_ms)).rowcount
        with self.engine.connect() as conn:
            metric_ids = [r.id for r in conn.execute(sa.select(METRICS.c.id))]
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


@functools.cache
def _aggregate_statement(tables: tuple[sa.Table, ...], single: bool, by_unit: bool,
                         count_raw: bool) -> sa.Select | sa.CompoundSelect:
    """bucket_aggregates' statement, built once per shape (building it cost
    as much as a day's query): parameters ids, start, end, period, unit and,
    for one metric, metric."""
    start, period = sa.bindparam('start', type_=sa.BigInteger), sa.bindparam('period')
    parts = []
    for table in tables:
        ts = table.c.timestamp
        bucket = (ts - (ts - start) % period).label('bucket')
        # The GROUP BY sorts every row of the range; each key or aggregate
        # less saves 5-10% of the query: one metric's id is a bound constant,
        # and rows without raw values are counted only when asked.
        metric_id, keys = table.c.metric_id, [table.c.metric_id]
        if single:
            metric_id, keys = sa.bindparam('metric', type_=sa.BigInteger), []
        no_raw = (sa.func.sum(sa.case((table.c.has_raw, 0), else_=1)) if count_raw
                  else sa.null())
        query = sa.select(metric_id.label('metric_id'), bucket, table.c.unit,
                          sa.func.sum(table.c.sample_count).label('sample_count'),
                          sa.func.sum(table.c.sum).label('sum'),
                          sa.func.min(table.c.minimum).label('minimum'),
                          sa.func.max(table.c.maximum).label('maximum'),
                          no_raw.label('no_raw'))
        query = query.where(table.c.metric_id.in_(sa.bindparam('ids', expanding=True)),
                            ts >= start, ts < sa.bindparam('end'))
        if by_unit:
            query = query.where(table.c.unit == sa.bindparam('unit'))
        parts.append(query.group_by(*keys, bucket, table.c.unit))
    return parts[0] if len(parts) == 1 else sa.union_all(*parts)


class _Bucket(collections.namedtuple('_Bucket', 'metric_id bucket unit sample_count sum '
                                                'minimum maximum no_raw')):
    """A bucket_aggregates row merged from both tables."""


def _merge_buckets(rows: list) -> list:
    """Rows of one (metric, bucket, unit) merged into one."""
    merged: dict[tuple, tuple] = {}
    for row in rows:
        key = (row[0], row[1], row[2])
        found = merged.get(key)
        if found is None:
            merged[key] = row
            continue
        no_raw = None if row[7] is None else found[7] + row[7]
        merged[key] = _Bucket(row[0], row[1], row[2], found[3] + row[3], found[4] + row[4],
                              min(found[5], row[5]), max(found[6], row[6]), no_raw)
    return list(merged.values()) if len(merged) < len(rows) else rows


def _rows(by_key: dict[str, list], ids: dict[str, tuple[int, int]]) -> list:
    """Rows in no particular order (for the unindexed buffer)."""
    rows = []
    for key, metric_points in by_key.items():
        metric_id = ids[key][0]
        rows += [(metric_id, *point) for point in metric_points]
    return rows


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
