"""Every database heat_watch owns, for the commands that act on all of them
(heat-watch-manage db_sync / db_version, heat-watch-all's start-up)."""

from oslo_config import cfg

from heat_watch.common import db
from heat_watch.orchestration.storage import database as orchestration_database
from heat_watch.watch.storage import connection as watch_database

DATABASES: tuple[db.Database, ...] = (watch_database.DATABASE,
                                      orchestration_database.DATABASE)


def db_sync(conf: cfg.ConfigOpts, revision: str = 'head') -> dict[str, str | None]:
    """Migrate every database; returns each one's revision by label."""
    for database in DATABASES:
        database.db_sync(conf, revision)
    return db_versions(conf)


def db_versions(conf: cfg.ConfigOpts) -> dict[str, str | None]:
    """The schema revision of every database by label (None: empty)."""
    return {database.label: database.db_version(conf) for database in DATABASES}
