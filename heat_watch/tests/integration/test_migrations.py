"""Revision 005 converts a watch database of revision 004 without loss, on
MariaDB and PostgreSQL."""

from oslo_config import cfg

from heat_watch import opts
from heat_watch.tests.integration import base
from heat_watch.tests.unit.watch import migration_005
from heat_watch.watch.storage import connection


def test_upgrading_a_004_database_keeps_every_alarm_field_and_history_item(backend):
    database = base.unique_name('migration_005')
    backend.create(database)
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf.set_default('state_path', '/nonexistent')
    conf([])
    conf.set_override('connection', backend.url(database), group=connection.GROUP)
    try:
        connection.db_sync(conf, revision='004')
        engine = connection.get_engine(conf)
        migration_005.fill_004(engine)
        connection.db_sync(conf, revision='005')
        assert connection.db_version(conf) == '005'
        migration_005.check_upgraded(engine)
    finally:
        connection.dispose_engines()
        backend.drop(database)
