"""Relational databases: options, engines and schema migrations.

Each engine owns one database with an option group and an alembic history of
its own (the watch engine ``[watch_database]``, the orchestrator
``[orchestration_database]``). A :class:`Database` describes one of them;
everything else here is shared: oslo.db's options, the SQLite tuning, the
process-wide engine cache.
"""

import itertools
import os
import threading
from collections.abc import Iterable

import alembic.command
import alembic.config
import sqlalchemy
from alembic.runtime import migration
from oslo_config import cfg
from oslo_db import options as db_options
from oslo_db.sqlalchemy import engines, exc_filters
from oslo_log import log

LOG = log.getLogger(__name__)

SQLITE_OPTS = [
    cfg.StrOpt('sqlite_synchronous_mode', default='NORMAL',
               choices=['OFF', 'NORMAL', 'FULL'],
               help='SQLite PRAGMA synchronous (WAL journal). NORMAL survives '
                    'a crash of the process; FULL also survives a power loss, '
                    'at a cost in commit time.'),
    cfg.IntOpt('sqlite_cache_size_mb', default=64, min=1,
               help='SQLite page cache of each connection, in MiB. Ingestion '
                    'updates index pages all over the file; SQLite\'s default '
                    '(2 MiB) rereads them from the OS on every commit.'),
    cfg.IntOpt('sqlite_wal_autocheckpoint', default=10000, min=0,
               help='Pages (4 KiB) the SQLite write-ahead log may hold before '
                    'a commit copies it into the database file (PRAGMA '
                    'wal_autocheckpoint; SQLite\'s default is 1000). Fewer '
                    'checkpoints write each hot page fewer times.'),
    cfg.IntOpt('sqlite_journal_size_limit_mb', default=64, min=0,
               help='Size, in MiB, the SQLite write-ahead log file is cut '
                    'back to whenever a checkpoint resets it (PRAGMA '
                    'journal_size_limit). Without it the file keeps the size '
                    'of its busiest moment.'),
]


class Database:
    """One database: its option group, default SQLite file and migrations.

    ``migrations`` is an alembic script location such as
    ``'heat_watch.watch.storage:migrations'``; its env.py finds the engine in
    ``context.config.attributes['engine']``.
    """

    def __init__(self, group: str, default_file: str, migrations: str, label: str,
                 opts: Iterable[cfg.Opt] = ()):
        self.group = group
        self.default_file = default_file
        self.migrations = migrations
        self.label = label
        self.opts = list(opts)

    def list_opts(self) -> tuple[str, list[cfg.Opt]]:
        """(group, options) for oslo-config-generator."""
        return self.group, list(itertools.chain(db_options.database_opts, SQLITE_OPTS,
                                                self.opts))

    def connection_url(self, conf: cfg.ConfigOpts) -> str:
        """The configured URL, or the SQLite file under state_path."""
        url = conf[self.group].connection
        if url:
            return url
        os.makedirs(conf.state_path, mode=0o750, exist_ok=True)
        return 'sqlite:///%s' % os.path.join(conf.state_path, self.default_file)

    def get_engine(self, conf: cfg.ConfigOpts) -> sqlalchemy.Engine:
        """The process-wide engine of this database."""
        url = self.connection_url(conf)
        with _engines_lock:
            if url not in _engines:
                _engines[url] = create_engine(url, conf[self.group])
            return _engines[url]

    def _alembic_config(self, engine: sqlalchemy.Engine) -> alembic.config.Config:
        config = alembic.config.Config()
        config.set_main_option('script_location', self.migrations)
        config.attributes['engine'] = engine
        return config

    def db_sync(self, conf: cfg.ConfigOpts, revision: str = 'head') -> None:
        """Upgrade the schema to ``revision``."""
        engine = self.get_engine(conf)
        LOG.info('Migrating the %s database %s to %s', self.label,
                 engine.url.render_as_string(hide_password=True), revision)
        alembic.command.upgrade(self._alembic_config(engine), revision)

    def db_version(self, conf: cfg.ConfigOpts) -> str | None:
        """The schema revision the database is at (None: empty)."""
        with self.get_engine(conf).connect() as conn:
            return migration.MigrationContext.configure(conn).get_current_revision()


_engines: dict[str, sqlalchemy.Engine] = {}
_engines_lock = threading.Lock()


def create_engine(url: str, group: cfg.ConfigOpts) -> sqlalchemy.Engine:
    """An engine for ``url`` configured from an option group of a Database."""
    is_sqlite = url.startswith('sqlite')
    if is_sqlite and ':memory:' not in url and url != 'sqlite://':
        return _create_sqlite_file_engine(url, group)
    engine = engines.create_engine(
        url,
        mysql_sql_mode=group.mysql_sql_mode,
        mysql_wsrep_sync_wait=group.mysql_wsrep_sync_wait,
        connection_recycle_time=group.connection_recycle_time,
        connection_debug=group.connection_debug,
        max_pool_size=None if is_sqlite else group.max_pool_size,
        max_overflow=None if is_sqlite else group.max_overflow,
        pool_timeout=None if is_sqlite else group.pool_timeout,
        sqlite_fk=False,
        max_retries=group.max_retries,
        retry_interval=group.retry_interval,
        thread_checkin=False,
        connection_parameters=group.connection_parameters,
    )
    if is_sqlite:
        _tune_sqlite(engine, group)
    return engine


def _create_sqlite_file_engine(url: str, group: cfg.ConfigOpts) -> sqlalchemy.Engine:
    """An SQLite file with a pool of open connections.

    oslo.db gives SQLite files a NullPool: every transaction would open a
    connection (cold page cache, PRAGMAs) and close it, and closing the last
    connection to a WAL database checkpoints and deletes the WAL. That was
    two thirds of the ingestion's database time. oslo.db's exception filters
    (DBDuplicateEntry and friends) are installed as create_engine does.
    """
    engine = sqlalchemy.create_engine(
        url, poolclass=sqlalchemy.pool.QueuePool,
        pool_size=group.max_pool_size or 5, max_overflow=max(group.max_overflow or 0, 0),
        pool_timeout=group.pool_timeout or 30,
        connect_args={'check_same_thread': False})
    exc_filters.register_engine(engine)
    _tune_sqlite(engine, group)
    return engine


def _tune_sqlite(engine: sqlalchemy.Engine, group: cfg.ConfigOpts) -> None:
    pragmas = (
        # WAL lets readers (statistics, evaluation) run while ingestion commits.
        'journal_mode=WAL',
        'synchronous=%s' % group.sqlite_synchronous_mode,
        'busy_timeout=30000',
        'cache_size=-%d' % (group.sqlite_cache_size_mb * 1024),
        'wal_autocheckpoint=%d' % group.sqlite_wal_autocheckpoint,
        'journal_size_limit=%d' % (group.sqlite_journal_size_limit_mb * 1024 * 1024),
    )

    @sqlalchemy.event.listens_for(engine, 'connect')
    def _on_connect(dbapi_conn, _record):
        cursor = dbapi_conn.cursor()
        for pragma in pragmas:
            cursor.execute('PRAGMA ' + pragma)
        cursor.close()


def dispose_engines() -> None:
    """Close every pooled connection (tests, forked processes)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
