"""Fixtures of the orchestration engine's unit tests: a migrated SQLite
orchestration database."""

import pytest
from oslo_config import cfg

from heat_watch.common import db
from heat_watch.orchestration.storage import database


@pytest.fixture
def orch_conf(tmp_path):
    """Options with [orchestration_database] on a fresh, migrated SQLite file."""
    conf = cfg.ConfigOpts()
    conf.register_opts([cfg.StrOpt('state_path', default=str(tmp_path))])
    database.DATABASE.register_opts(conf)
    conf([])
    database.DATABASE.db_sync(conf)
    yield conf
    db.dispose_engines()


@pytest.fixture
def orch_engine(orch_conf):
    """The engine of that database."""
    return database.DATABASE.get_engine(orch_conf)
