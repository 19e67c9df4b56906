"""Fixtures of the watch engine's unit tests: a migrated SQLite database."""

import pytest
from oslo_config import cfg

from heat_watch import opts
from heat_watch.watch.storage import connection


@pytest.fixture
def watch_conf(tmp_path):
    """Options with [watch_database] on a fresh, migrated SQLite file."""
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf.set_default('state_path', str(tmp_path))
    conf([])
    connection.db_sync(conf)
    yield conf
    connection.dispose_engines()


@pytest.fixture
def watch_engine(watch_conf):
    """The engine of that database."""
    return connection.get_engine(watch_conf)
