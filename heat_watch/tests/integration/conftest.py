"""Fixtures of the integration tests (see base.py for what they run).

Skipping: every test that needs RabbitMQ, MariaDB or PostgreSQL skips with
the reason (e.g. "RabbitMQ not reachable at 127.0.0.1:5672 (...)") when the
service cannot be reached, and fails instead when the environment sets
``HEAT_WATCH_REQUIRE_SERVICES=1`` (CI). Tests of other directories can use
the fixtures ``rabbit_url`` and ``backend``, or call
``base.require_rabbitmq()`` / ``base.BACKENDS[name].require()`` /
``base.unavailable(reason)`` themselves.
"""

import pytest

from heat_watch.tests import keystone as keystone_server
from heat_watch.tests.integration import base


@pytest.fixture(scope='session')
def rabbit_url() -> str:
    """The RabbitMQ transport URL (skips/fails when RabbitMQ is not reachable)."""
    return base.require_rabbitmq()


@pytest.fixture(scope='module', params=sorted(base.BACKENDS))
def backend(request) -> base.Backend:
    """Each database server in turn (skips/fails when it is not reachable)."""
    chosen = base.BACKENDS[request.param]
    chosen.require()
    return chosen


@pytest.fixture(scope='session')
def keystone(tmp_path_factory):
    """A real Keystone of this session (skips/fails when it cannot run)."""
    yield from keystone_server.running(str(tmp_path_factory.mktemp('keystone')))


@pytest.fixture(scope='session')
def botocore_data(tmp_path_factory) -> str:
    """Where the Query-only botocore model of the Query clients is written."""
    return str(tmp_path_factory.mktemp('botocore-data'))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the output of the deployment's daemons to the report."""
    report = yield
    if report.failed:
        for value in getattr(item, 'funcargs', {}).values():
            if isinstance(value, base.Deployment):
                for name, text in value.logs().items():
                    report.sections.append(('output of %s' % name, text))
    return report
