"""The watch database: ``[watch_database]``, its engine and migrations.

A :class:`heat_watch.common.db.Database` with the watch engine's own options
(the SQLite ingestion buffer); the module functions are the watch engine's
shorthand for it.
"""

import sqlalchemy
from oslo_config import cfg

from heat_watch.common import db

GROUP = 'watch_database'

OPTS = [
    cfg.IntOpt('sqlite_ingest_buffer_rows', default=100000, min=0,
               help='On SQLite, ingestion commits datapoints to an unindexed '
                    'buffer table, a quarter of the work per row, and moves '
                    'them into the indexed datapoints table once the buffer '
                    'holds this many rows (or its oldest row is '
                    'sqlite_ingest_buffer_seconds old). A larger move shares '
                    'each index page it rewrites among more rows; reads scan '
                    'the buffer (about 4 ms per 100,000 rows), so larger is '
                    'faster to write, slower to read. 0 commits straight to '
                    'datapoints.'),
    cfg.FloatOpt('sqlite_ingest_buffer_seconds', default=1.0, min=0.05,
                 help='Longest time a datapoint stays in the SQLite ingestion '
                      'buffer while the engine runs.'),
    cfg.FloatOpt('sqlite_checkpoint_interval', default=10.0, min=0,
                 help='Seconds between the watch engine\'s TRUNCATE checkpoints '
                      'of the SQLite write-ahead log (0 disables them). The '
                      'automatic checkpoints copy the log into the database '
                      'but can only start it over at a moment no reader uses '
                      'it, which a steady mix of reads and writes may never '
                      'offer: the log then grows without bound. A TRUNCATE '
                      'checkpoint waits for the readers of the moment to '
                      'finish (new ones read the database file) and empties '
                      'the log.'),
    cfg.IntOpt('sqlite_checkpoint_wait_ms', default=2000, min=10,
               help='Longest wait of a TRUNCATE checkpoint for readers and '
                    'writers, in milliseconds. Ingestion waits with it; a '
                    'checkpoint that could not finish in time is tried again '
                    'at the next interval.'),
]

DATABASE = db.Database(GROUP, 'watch.sqlite', 'heat_watch.watch.storage:migrations',
                       'watch', OPTS)


def connection_url(conf: cfg.ConfigOpts) -> str:
    """The configured URL, or the SQLite file under state_path."""
    return DATABASE.connection_url(conf)


def get_engine(conf: cfg.ConfigOpts) -> sqlalchemy.Engine:
    """The process-wide engine of the watch database."""
    return DATABASE.get_engine(conf)


def db_sync(conf: cfg.ConfigOpts, revision: str = 'head') -> None:
    """Upgrade the watch database schema to ``revision``."""
    DATABASE.db_sync(conf, revision)


def db_version(conf: cfg.ConfigOpts) -> str | None:
    """The schema revision the watch database is at (None: empty)."""
    return DATABASE.db_version(conf)


dispose_engines = db.dispose_engines
