"""Which database errors mean "the database is unavailable".

A connection refused, a server gone away mid-query, a pool that cannot hand
out a connection, a lock that could not be had in time: none of them is the
request's fault, and the same request succeeds once the database is back.
Engines turn them into :class:`heat_watch.common.exceptions.DatabaseUnavailable`
(a 503 for the client) and report them to :data:`DATABASE`, which logs each
outage once. Everything else (a bug's bad SQL, a constraint) stays an error
with its traceback.
"""

import sqlite3

import sqlalchemy.exc
from oslo_db import exception as db_exception

from heat_watch.common import exceptions, outage

# The process's database, as seen by its RPC endpoints.
DATABASE = outage.OutageDetector('the database')

# Raised by oslo.db (its filters recognised a lost or refused connection) or
# by SQLAlchemy's pool.
_ALWAYS = (db_exception.DBConnectionError, sqlalchemy.exc.DisconnectionError,
           sqlalchemy.exc.TimeoutError)
# MySQL's client and server codes of an unreachable, overloaded or locked
# server: can't connect (2002, 2003), gone away (2006), lost (2013, 2055),
# too many connections (1040), lock wait timeout (1205). PyMySQL also makes
# OperationalError of bugs such as an unknown column (1054).
_MYSQL_CODES = frozenset({1040, 1205, 2002, 2003, 2006, 2013, 2055})
# sqlite3 makes OperationalError of syntax errors too; these are the file's.
_SQLITE_MESSAGES = ('database is locked', 'database table is locked',
                    'unable to open database file', 'disk I/O error')


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot serve now (not that the
    request, or the code, is wrong)."""
    if isinstance(error, _ALWAYS):
        return True
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        # SQLAlchemy saw the connection die (its is_disconnect).
        return error.connection_invalidated or _driver_unavailable(error.orig)
    if isinstance(error, db_exception.DBError):  # oslo.db's generic wrapper
        inner = error.inner_exception
        return inner is not None and inner is not error and is_unavailable(inner)
    return _driver_unavailable(error)


def _driver_unavailable(error: BaseException | None) -> bool:
    """The same for the DBAPI drivers' own errors: the ingestion writes
    through raw DBAPI cursors, which SQLAlchemy does not wrap."""
    if error is None:
        return False
    module = type(error).__module__.split('.')[0]
    name = type(error).__name__
    if module == 'psycopg2':
        # Connection errors, and statement/lock timeouts and deadlocks
        # (subclasses of OperationalError): all worth a retry.
        import psycopg2
        return isinstance(error, (psycopg2.OperationalError, psycopg2.InterfaceError))
    if module == 'pymysql':
        if name == 'InterfaceError':  # a closed connection
            return True
        code = error.args[0] if error.args else None
        return name == 'OperationalError' and code in _MYSQL_CODES
    if isinstance(error, sqlite3.OperationalError):
        return str(error).startswith(_SQLITE_MESSAGES)
    return False


def unavailable(error: BaseException, request_id: str | None = None,
                operation: str | None = None,
                detector: outage.OutageDetector = DATABASE
                ) -> exceptions.DatabaseUnavailable | None:
    """The DatabaseUnavailable to raise for ``error`` (the outage reported to
    ``detector``), or None when ``error`` is not an outage."""
    if not is_unavailable(error):
        return None
    detector.failed(error, request_id=request_id, operation=operation)
    return exceptions.DatabaseUnavailable()
