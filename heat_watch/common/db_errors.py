"""Which database errors mean "the database is unavailable".

A connection refused, a server gone away mid-query, a pool that cannot hand
out a connection: none of them is the request's fault, and the same request
succeeds once the database is back. Engines turn them into
:class:`heat_watch.common.exceptions.DatabaseUnavailable` (a 503 for the
client) and report them to :data:`DATABASE`, which logs each outage once.
"""

import importlib

import sqlalchemy.exc
from oslo_db import exception as db_exception

from heat_watch.common import exceptions, outage


def _driver_errors() -> tuple[type, ...]:
    """The DBAPI drivers' own OperationalError and InterfaceError: the
    ingestion writes through raw DBAPI cursors, which SQLAlchemy does not wrap."""
    found: list[type] = []
    for name in ('psycopg2', 'pymysql', 'sqlite3'):
        try:
            module = importlib.import_module(name)
        except ImportError:  # a driver this deployment does not use
            continue
        found += [getattr(module, cls) for cls in ('OperationalError', 'InterfaceError')
                  if hasattr(module, cls)]
    return tuple(found)


# oslo.db raises DBConnectionError for what its filters recognise as a lost
# or refused connection; others reach us as SQLAlchemy's wrappers of the
# DBAPI's OperationalError / InterfaceError (psycopg2, PyMySQL, sqlite3's
# "database is locked"), as the drivers' own, or as the pool's TimeoutError.
_UNAVAILABLE = (db_exception.DBConnectionError, sqlalchemy.exc.OperationalError,
                sqlalchemy.exc.InterfaceError, sqlalchemy.exc.DisconnectionError,
                sqlalchemy.exc.TimeoutError) + _driver_errors()

# The process's database, as seen by its RPC endpoints.
DATABASE = outage.OutageDetector('the database')


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot serve now (not that the
    request is wrong)."""
    if isinstance(error, _UNAVAILABLE):
        return True
    # oslo.db's generic DBError keeps the driver's error inside.
    inner = getattr(error, 'inner_exception', None)
    return isinstance(error, db_exception.DBError) and isinstance(inner, _UNAVAILABLE)


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
