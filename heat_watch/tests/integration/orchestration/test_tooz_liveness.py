"""With [coordination] backend_url set, an orchestrator is alive while it is
a member of the orchestrators' tooz group on the machine's Redis: its
stacks are taken over once it left, whatever its database heartbeat says."""

import socket
import time
import uuid

import pytest

from heat_watch.common import db
from heat_watch.tests.integration import base
from heat_watch.tests.unit.orchestration.conftest import Engine, make_runtime_conf

REDIS = ('127.0.0.1', 6379)
SLOW = {'heat_template_version': '2021-04-16', 'resources': {
    'slow': {'type': 'OS::Heat::TestResource', 'properties': {'wait_secs': 60}}}}


@pytest.fixture
def tooz_engines(tmp_path):
    try:
        socket.create_connection(REDIS, timeout=2).close()
    except OSError:
        base.unavailable('Redis not reachable at %s:%d' % REDIS)
    conf = make_runtime_conf(tmp_path, **{
        'coordination.backend_url': 'redis://%s:%d' % REDIS,
        'orchestration.stop_timeout': 0})
    suffix = uuid.uuid4().hex[:8]
    engines = [Engine(conf, 'tooz-a-' + suffix), Engine(conf, 'tooz-b-' + suffix)]
    for engine in engines:
        engine.runtime.liveness.start()
    yield engines
    for engine in engines:
        engine.runtime.stop()
    db.dispose_engines()


def test_a_member_keeps_its_stack_and_one_that_left_is_taken_over(tooz_engines):
    first, second = tooz_engines
    identity = first.ops.create('p1', None, 'grouped', SLOW)
    stack_id = identity['stack_id']
    assert first.runtime.liveness.is_alive(second.runtime.engine_id)
    assert second.runtime.take_over_stale() == []

    first.runtime.liveness.stop()  # left the group; its database heartbeat is fresh
    first.runtime.heartbeat()
    assert first.runtime.lock_store.is_alive(first.runtime.engine_id, 60_000)
    deadline = time.monotonic() + 10
    while not (taken := second.runtime.take_over_stale()):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert taken == [stack_id]
    record = second.runtime.stacks.get(stack_id)
    assert record.state == 'CREATE_FAILED'
    assert record.status_reason == 'Engine %s went down during stack CREATE' % (
        first.runtime.engine_id)
    first.runtime.liveness.start()  # for the fixture's stop
