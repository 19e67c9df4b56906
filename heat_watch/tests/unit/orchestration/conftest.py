"""Fixtures of the orchestration engine's unit tests: a migrated SQLite
orchestration database."""

import pytest
from oslo_config import cfg

from heat_watch import opts
from heat_watch.common import db
from heat_watch.orchestration.storage import database


@pytest.fixture
def orch_conf(tmp_path):
    """Options with [orchestration_database] on a fresh, migrated SQLite file."""
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf.set_default('state_path', str(tmp_path))
    conf([])
    database.DATABASE.db_sync(conf)
    yield conf
    db.dispose_engines()


@pytest.fixture
def orch_engine(orch_conf):
    """The engine of that database."""
    return database.DATABASE.get_engine(orch_conf)


def make_runtime_conf(tmp_path, **overrides):
    """Options of an orchestrator on a fresh SQLite file (fake compute)."""
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf([])
    conf.set_override('state_path', str(tmp_path))
    conf.set_override('compute_driver', 'fake', group='orchestration')
    conf.set_override('poll_interval', 0.02, group='orchestration')
    for name, value in overrides.items():
        group, _, option = name.rpartition('.')
        conf.set_override(option, value, group=group or None)
    database.DATABASE.db_sync(conf)
    return conf


class Engine:
    """An orchestrator's operations and reads, in the test's process."""

    def __init__(self, conf, engine_id=None):
        from heat_watch.orchestration import operations, queries, runtime
        self.runtime = runtime.Runtime(conf, engine_id)
        self.runtime.heartbeat()
        self.ops = operations.Orchestrator(self.runtime)
        self.queries = queries.Queries(self.ops)

    def wait(self, stack_ref, project='p1', timeout=20.0):
        """The stack once it is no longer IN_PROGRESS."""
        import time
        deadline = time.monotonic() + timeout
        while True:
            shown = self.ops.show(project, stack_ref)
            if shown['status'] != 'IN_PROGRESS' and \
                    self.runtime.lock_store.holder(shown['id']) is None:
                return shown
            assert time.monotonic() < deadline, shown
            time.sleep(0.02)

    def resources(self, stack_ref, project='p1'):
        return {r['resource_name']: r for r in self.queries.list_resources(project, stack_ref)}

    def events(self, stack_ref, project='p1'):
        return [(e['resource_name'], e['resource_action'], e['resource_status'])
                for e in self.queries.list_events(project, stack_ref)]


@pytest.fixture
def engine(tmp_path):
    """An orchestrator on a fresh database with the fake compute driver."""
    conf = make_runtime_conf(tmp_path)
    running = Engine(conf)
    yield running
    running.runtime.stop()
    db.dispose_engines()
