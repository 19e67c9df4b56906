"""Database errors that mean "unavailable" become DatabaseUnavailable (503),
on a real connection to a port where no database listens."""

import socket
import sqlite3

import oslo_messaging as messaging
import pytest
import sqlalchemy
from oslo_db import exception as db_exception
from oslo_db.sqlalchemy import exc_filters

from heat_watch.common import db_errors, exceptions, outage, rpc


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]  # closed again: connections are refused


@pytest.fixture(scope='module')
def unreachable_engine():
    """A PostgreSQL engine (with oslo.db's filters) on a port nothing serves."""
    engine = sqlalchemy.create_engine(
        'postgresql+psycopg2://postgres@127.0.0.1:%d/none' % _closed_port(),
        connect_args={'connect_timeout': 2})
    exc_filters.register_engine(engine)
    yield engine
    engine.dispose()


def _query(engine):
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text('SELECT 1'))


def _error_of(engine) -> Exception:
    try:
        _query(engine)
    except Exception as error:
        return error
    raise AssertionError('the query succeeded')


@pytest.mark.parametrize('driver', ['postgresql+psycopg2', 'mysql+pymysql'])
def test_refused_connections_of_either_driver_are_unavailable(driver):
    engine = sqlalchemy.create_engine('%s://root@127.0.0.1:%d/none' % (driver, _closed_port()),
                                      connect_args={'connect_timeout': 2})
    exc_filters.register_engine(engine)
    try:
        error = _error_of(engine)
    finally:
        engine.dispose()
    # oslo.db's filters make MySQL's a DBConnectionError; PostgreSQL's stays
    # SQLAlchemy's OperationalError.
    assert isinstance(error, (sqlalchemy.exc.OperationalError, db_exception.DBConnectionError))
    assert db_errors.is_unavailable(error)


def test_oslo_db_connection_errors_are_unavailable():
    # What oslo.db raises for a connection lost in the middle of a session.
    assert db_errors.is_unavailable(db_exception.DBConnectionError(OSError('lost')))


def test_request_errors_are_not_outages():
    assert not db_errors.is_unavailable(db_exception.DBDuplicateEntry())
    assert not db_errors.is_unavailable(ValueError('bad'))
    assert not db_errors.is_unavailable(db_exception.DBError(ValueError('bad')))
    assert db_errors.unavailable(ValueError('bad')) is None


def test_an_outage_is_reported_to_the_detector(unreachable_engine):
    detector = outage.OutageDetector('a test database')
    mapped = db_errors.unavailable(_error_of(unreachable_engine), 'req-1', 'list_metrics',
                                   detector=detector)
    assert isinstance(mapped, exceptions.DatabaseUnavailable)
    assert isinstance(mapped, exceptions.ServiceUnavailable)
    assert detector.down
    # What the client reads names neither host nor driver.
    assert str(mapped) == 'The database is unavailable; try again later.'


@rpc.answers_project_errors
class _Endpoint:
    target = messaging.Target(version='1.0')

    def __init__(self, engine):
        self.engine = engine

    def read(self, ctxt):
        _query(self.engine)
        return 'read'


def test_an_rpc_endpoint_answers_database_unavailable_as_an_expected_error(
        unreachable_engine, caplog):
    endpoint = _Endpoint(unreachable_engine)
    for _ in range(3):
        with pytest.raises(messaging.ExpectedException) as raised:
            endpoint.read({})
        assert isinstance(raised.value.exc_info[1], exceptions.DatabaseUnavailable)
    assert db_errors.DATABASE.down
    warnings = [r for r in caplog.records if r.name == outage.__name__
                and 'is unavailable' in r.getMessage()]
    assert len(warnings) == 1 and 'read' in warnings[0].getMessage()


def test_a_served_call_ends_the_outage(unreachable_engine):
    db_errors.DATABASE.failed('gone')
    endpoint = _Endpoint(sqlalchemy.create_engine('sqlite://'))
    assert endpoint.read({}) == 'read'
    assert not db_errors.DATABASE.down


def test_the_drivers_own_errors_are_unavailable_too():
    # The ingestion writes through raw DBAPI cursors: nothing wraps these.
    import psycopg2
    try:
        psycopg2.connect(host='127.0.0.1', port=_closed_port(), user='postgres',
                         connect_timeout=2)
    except psycopg2.OperationalError as error:
        assert db_errors.is_unavailable(error)
    else:
        raise AssertionError('connected to a closed port')
    assert db_errors.is_unavailable(sqlite3.OperationalError('database is locked'))


def test_bugs_reported_as_operational_errors_are_not_outages():
    import pymysql.err

    # sqlite3 and PyMySQL make OperationalError of bad SQL too.
    assert not db_errors.is_unavailable(sqlite3.OperationalError('near "SELEC": syntax error'))
    unknown_column = pymysql.err.OperationalError(1054, "Unknown column 'x'")
    assert not db_errors.is_unavailable(unknown_column)
    assert not db_errors.is_unavailable(
        sqlalchemy.exc.OperationalError('SELECT x', {}, unknown_column))
    gone_away = pymysql.err.OperationalError(2006, 'MySQL server has gone away')
    assert db_errors.is_unavailable(gone_away)
    assert db_errors.is_unavailable(sqlalchemy.exc.OperationalError('SELECT 1', {}, gone_away))


def test_a_real_sqlite_syntax_error_is_not_an_outage_but_a_locked_file_is(tmp_path):
    engine = sqlalchemy.create_engine('sqlite:///%s' % (tmp_path / 'db.sqlite'))
    try:
        with pytest.raises(sqlalchemy.exc.OperationalError) as raised:
            with engine.connect() as conn:
                conn.execute(sqlalchemy.text('SELEC 1'))
        assert not db_errors.is_unavailable(raised.value)
    finally:
        engine.dispose()
    path = str(tmp_path / 'locked.sqlite')
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute('CREATE TABLE t (x)')
    holder.execute('BEGIN EXCLUSIVE')
    try:
        with pytest.raises(sqlite3.OperationalError) as locked:
            sqlite3.connect(path, timeout=0.1).execute('SELECT * FROM t')
        assert 'database is locked' in str(locked.value)
        assert db_errors.is_unavailable(locked.value)
    finally:
        holder.close()
