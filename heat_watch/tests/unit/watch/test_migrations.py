"""Revision 005 converts a watch database of revision 004 without loss (SQLite)."""

import pytest
from oslo_config import cfg

from heat_watch import opts
from heat_watch.tests.unit.watch import migration_005
from heat_watch.watch.storage import connection


@pytest.fixture
def conf_at_004(tmp_path):
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf.set_default('state_path', str(tmp_path))
    conf([])
    connection.db_sync(conf, revision='004')
    yield conf
    connection.dispose_engines()


def test_upgrading_a_004_database_keeps_every_alarm_field_and_history_item(conf_at_004):
    engine = connection.get_engine(conf_at_004)
    migration_005.fill_004(engine)
    connection.db_sync(conf_at_004, revision='005')
    assert connection.db_version(conf_at_004) == '005'
    migration_005.check_upgraded(engine)
