"""Stack locks between two engines: a live holder keeps its stack; a gone
holder's stack is taken over and its interrupted operation marked FAILED."""

import pytest

from heat_watch.common import db, exceptions
from heat_watch.orchestration.storage import locks
from heat_watch.orchestration.storage.util import now_ms
from heat_watch.tests.unit.orchestration.conftest import Engine, make_runtime_conf

SLOW = {'heat_template_version': '2021-04-16', 'resources': {
    'slow': {'type': 'OS::Heat::TestResource', 'properties': {'wait_secs': 3}}}}


@pytest.fixture
def two_engines(tmp_path):
    conf = make_runtime_conf(tmp_path, **{'orchestration.engine_stale_seconds': 30.0})
    first, second = Engine(conf, 'engine-a'), Engine(conf, 'engine-b')
    yield first, second
    for each in (first, second):
        each.runtime.stop()
    db.dispose_engines()


def _silence(engine: Engine) -> None:
    """Make an engine look gone: its heartbeat a minute old."""
    with engine.runtime.lock_store.engine.begin() as conn:
        conn.execute(locks.ENGINES.update().where(
            locks.ENGINES.c.engine_id == engine.runtime.engine_id)
            .values(heartbeat_at=now_ms() - 60_000))


def test_a_live_engine_keeps_its_stack(two_engines):
    first, second = two_engines
    identity = first.ops.create('p1', None, 'held', {
        'heat_template_version': '2021-04-16',
        'resources': {'r': {'type': 'OS::Heat::TestResource', 'properties': {'wait_secs': 1}}}})
    with pytest.raises(exceptions.StackLocked) as raised:
        second.ops.update('p1', 'held', {'heat_template_version': '2021-04-16'})
    assert raised.value.kwargs['engine_id'] == 'engine-a'
    assert 'engine-a' not in str(raised.value)  # engines are not the users' business
    assert first.runtime.lock_store.holder(identity['stack_id']) == 'engine-a'
    assert second.runtime.take_over_stale() == []


def test_a_gone_engine_stack_is_taken_over_and_marked_failed(two_engines):
    first, second = two_engines
    identity = first.ops.create('p1', None, 'orphan', SLOW)
    stack_id = identity['stack_id']
    import time
    deadline = time.monotonic() + 5
    while first.resources('orphan')['slow']['resource_status'] != 'IN_PROGRESS':
        assert time.monotonic() < deadline
        time.sleep(0.02)
    # Stored as soon as it exists, not only when the resource completes.
    assert first.resources('orphan')['slow']['physical_resource_id']
    _silence(first)
    assert second.runtime.take_over_stale() == [stack_id]
    record = second.runtime.stacks.get(stack_id)
    assert record.state == 'CREATE_FAILED'
    assert record.status_reason == 'Engine engine-a went down during stack CREATE'
    assert record.engine_id is None
    assert second.resources('orphan')['slow']['resource_status'] == 'FAILED'
    # The first engine, still running, can no longer write the stack's state.
    assert not first.runtime.stacks.set_state(stack_id, 'engine-a', 'CREATE', 'COMPLETE', 'x')
    # The new holder can act on it: an update makes the failed resource again.
    failed_id = second.resources('orphan')['slow']['physical_resource_id']
    second.ops.update('p1', stack_id, {'heat_template_version': '2021-04-16', 'resources': {
        'slow': {'type': 'OS::Heat::TestResource', 'properties': {'wait_secs': 0}}}})
    assert second.wait(stack_id)['stack_status'] == 'UPDATE_COMPLETE'
    remade = second.resources('orphan')['slow']
    assert remade['resource_status'] == 'COMPLETE'
    assert remade['physical_resource_id'] != failed_id
    second.ops.delete('p1', stack_id)
    assert second.wait(stack_id)['stack_status'] == 'DELETE_COMPLETE'
    events = [(e[0], e[2]) for e in second.events(stack_id)]
    assert ('orphan', 'FAILED') in events
    # The first engine's action stopped when it saw the lock gone: no
    # COMPLETE of its resource after the takeover.
    first.runtime.stop()
    completed = [e['physical_resource_id'] for e in second.queries.list_events('p1', stack_id)
                 if e['resource_name'] == 'slow' and e['resource_status'] == 'COMPLETE'
                 and e['resource_action'] == 'CREATE']
    assert completed == [remade['physical_resource_id']]


def test_a_stopping_engine_fails_what_still_runs_and_unlocks_it(tmp_path):
    conf = make_runtime_conf(tmp_path, **{'orchestration.stop_timeout': 0.2})
    engine = Engine(conf, 'engine-stopping')
    identity = engine.ops.create('p1', None, 'long', {
        'heat_template_version': '2021-04-16', 'resources': {'slow': {
            'type': 'OS::Heat::TestResource', 'properties': {'wait_secs': 60}}}})
    engine.ops.create('p1', None, 'short', {
        'heat_template_version': '2021-04-16',
        'resources': {'r': {'type': 'OS::Heat::TestResource'}}})
    import time
    started = time.monotonic()
    engine.runtime.stop()
    assert time.monotonic() - started < 15  # not the 60 s the resource waits
    record = engine.runtime.stacks.get(identity['stack_id'])
    assert record.state == 'CREATE_FAILED'
    assert 'Engine engine-stopping stopped' in record.status_reason
    assert record.engine_id is None
    assert engine.runtime.stacks.find('p1', 'short').state == 'CREATE_COMPLETE'
    db.dispose_engines()


def test_engines_long_gone_and_holding_nothing_are_forgotten(two_engines):
    first, second = two_engines
    identity = first.ops.create('p1', None, 'kept', {
        'heat_template_version': '2021-04-16',
        'resources': {'r': {'type': 'OS::Heat::TestResource', 'properties': {'wait_secs': 2}}}})
    with first.runtime.lock_store.engine.begin() as conn:
        conn.execute(locks.ENGINES.update().values(heartbeat_at=now_ms() - 3_600_000))
    second.runtime.heartbeat()
    # engine-a holds a lock: kept until it was taken over.
    assert second.runtime.forget_gone_engines() == 0
    assert second.runtime.take_over_stale() == [identity['stack_id']]
    assert second.runtime.forget_gone_engines() == 1
    assert second.runtime.lock_store.alive(10_000) == {'engine-b'}


def test_a_restarted_orchestrator_takes_its_earlier_life_over_at_once(tmp_path):
    conf = make_runtime_conf(tmp_path, **{'orchestration.engine_stale_seconds': 600,
                                          'host': 'node-1'})
    before = Engine(conf, 'node-1-before')
    identity = before.ops.create('p1', None, 'interrupted', SLOW)
    after = Engine(conf, 'node-1-after')  # the same host, beating freshly
    assert after.runtime.forget_previous_lives() == ['node-1-before']
    assert after.runtime.take_over_stale() == [identity['stack_id']]
    record = after.runtime.stacks.get(identity['stack_id'])
    assert record.state == 'CREATE_FAILED'
    assert record.status_reason == 'Engine node-1-before went down during stack CREATE'
    before.runtime.stop()
    after.runtime.stop()
    db.dispose_engines()


def test_a_parent_taken_over_mid_create_still_deletes_its_nested_stack(two_engines):
    import json
    import time
    first, second = two_engines
    child = {'heat_template_version': '2021-04-16', 'resources': {
        'slow': {'type': 'OS::Heat::TestResource',
                 'properties': {'action_wait_secs': {'create': 3}}}}}
    identity = first.ops.create('p1', None, 'parent', {
        'heat_template_version': '2021-04-16', 'resources': {'n': {
            'type': 'OS::Heat::Stack', 'properties': {'template': json.dumps(child)}}}})
    deadline = time.monotonic() + 5
    while len(first.queries.list_stacks('p1', show_nested=True)) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert first.resources('parent')['n']['physical_resource_id']
    _silence(first)
    taken = second.runtime.take_over_stale()
    assert identity['stack_id'] in taken and len(taken) == 2
    second.ops.delete('p1', 'parent')
    assert second.wait(identity['stack_id'])['stack_status'] == 'DELETE_COMPLETE'
    assert second.queries.list_stacks('p1', show_nested=True) == []
