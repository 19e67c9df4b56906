"""The orchestration database: migrations match the models; stacks,
resources, events and locks round-trip."""

import alembic.autogenerate
import pytest
from alembic.runtime import migration
from oslo_db import exception as db_exc

from heat_watch.common import exceptions
from heat_watch.orchestration import states
from heat_watch.orchestration.storage import events, locks, models, resources, stacks
from heat_watch.orchestration.storage.util import now_ms


def _stack(name='web', project='p1', **values) -> stacks.StackRecord:
    fields = dict(id='id-' + name, name=name, project_id=project, user_id=None, owner_id=None,
                  nested_depth=0, template={'heat_template_version': '2021-04-16'},
                  environment={}, files={}, parameters={'values': {'x': 1}, 'encrypted': []},
                  action=states.CREATE, status=states.IN_PROGRESS, status_reason='',
                  disable_rollback=False, timeout_mins=None, engine_id=None,
                  created_at=now_ms(), updated_at=None, deleted_at=None)
    fields.update(values)
    return stacks.StackRecord(**fields)


def test_migrations_create_exactly_the_models(orch_engine):
    with orch_engine.connect() as conn:
        context = migration.MigrationContext.configure(conn)
        diff = alembic.autogenerate.compare_metadata(context, models.Base.metadata)
    assert diff == []


def test_stack_round_trips_and_is_found_by_name_or_id(orch_engine):
    store = stacks.StackStore(orch_engine)
    store.create(_stack())
    by_name = store.find('p1', 'web')
    assert by_name.id == 'id-web'
    assert by_name.template == {'heat_template_version': '2021-04-16'}
    assert by_name.parameters['values'] == {'x': 1}
    assert store.find('p1', 'id-web').name == 'web'
    with pytest.raises(exceptions.StackNotFound):
        store.find('p2', 'web')
    # Id first (a /v1 path's id), the name still found after it.
    assert store.find('p1', 'id-web', id_first=True).name == 'web'
    assert store.find('p1', 'web', id_first=True).id == 'id-web'
    with pytest.raises(exceptions.StackNotFound):
        store.find('p2', 'id-web', id_first=True)


def test_a_second_live_stack_of_the_same_name_is_refused(orch_engine):
    store = stacks.StackStore(orch_engine)
    store.create(_stack())
    with pytest.raises(exceptions.StackExists):
        store.create(_stack(id='other'))
    store.create(_stack(id='other-project', project='p2'))


def test_a_deleted_stack_frees_its_name_and_leaves_the_list(orch_engine):
    store = stacks.StackStore(orch_engine)
    store.create(_stack())
    assert store.update('id-web', None, deleted_at=now_ms(), action=states.DELETE,
                        status=states.COMPLETE)
    store.create(_stack(id='again'))
    assert [s.id for s in store.list('p1')] == ['again']
    assert store.find('p1', 'id-web', show_deleted=True).state == 'DELETE_COMPLETE'
    with pytest.raises(exceptions.StackNotFound):
        store.find('p1', 'id-web')


def test_nested_stacks_are_listed_with_their_owner_only_when_asked(orch_engine):
    store = stacks.StackStore(orch_engine)
    store.create(_stack())
    store.create(_stack(name='web-child', owner_id='id-web', nested_depth=1))
    assert [s.name for s in store.list('p1')] == ['web']
    assert [s.name for s in store.list('p1', show_nested=True)] == ['web', 'web-child']
    assert [s.name for s in store.list(None, owner_id='id-web')] == ['web-child']


def test_only_the_lock_holder_writes_the_state(orch_engine):
    store = stacks.StackStore(orch_engine)
    lock_store = locks.LockStore(orch_engine)
    store.create(_stack())
    assert lock_store.try_acquire('id-web', 'engine-a')
    assert not lock_store.try_acquire('id-web', 'engine-b')
    assert not store.set_state('id-web', 'engine-b', states.CREATE, states.FAILED, 'b')
    assert store.set_state('id-web', 'engine-a', states.CREATE, states.COMPLETE, 'a')
    assert store.get('id-web').status_reason == 'a'
    assert not lock_store.release('id-web', 'engine-b')
    assert lock_store.release('id-web', 'engine-a')
    assert lock_store.holder('id-web') is None


def test_of_two_engines_stealing_one_lock_only_one_wins(orch_engine):
    store = stacks.StackStore(orch_engine)
    lock_store = locks.LockStore(orch_engine)
    store.create(_stack())
    assert lock_store.try_acquire('id-web', 'dead')
    assert lock_store.try_steal('id-web', 'dead', 'engine-a')
    assert not lock_store.try_steal('id-web', 'dead', 'engine-b')
    assert lock_store.holder('id-web') == 'engine-a'


def test_heartbeats_tell_live_engines_from_silent_ones(orch_engine):
    lock_store = locks.LockStore(orch_engine)
    lock_store.heartbeat('engine-a', 'host-a')
    assert lock_store.is_alive('engine-a', 10_000)
    assert not lock_store.is_alive('engine-b', 10_000)
    assert lock_store.alive(10_000) == {'engine-a'}
    with orch_engine.begin() as conn:
        conn.execute(locks.ENGINES.update().values(heartbeat_at=now_ms() - 60_000))
    assert not lock_store.is_alive('engine-a', 10_000)
    assert lock_store.purge(30_000) == 1


def test_resources_keep_their_documents_and_names_are_unique_per_stack(orch_engine):
    store = resources.ResourceStore(orch_engine)
    added = store.add(resources.ResourceRecord(
        stack_id='s', name='r', type='OS::Heat::None', properties={'a': [1]},
        rsrc_metadata={'m': 'v'}, requires=['x']))
    store.update(added.id, physical_id='phys', action=states.CREATE, status=states.COMPLETE,
                 data={'value': 'abc'})
    got = store.get('s', 'r')
    assert (got.physical_id, got.state, got.data, got.rsrc_metadata, got.requires) == (
        'phys', 'CREATE_COMPLETE', {'value': 'abc'}, {'m': 'v'}, ['x'])
    with pytest.raises(db_exc.DBDuplicateEntry):
        store.add(resources.ResourceRecord(stack_id='s', name='r', type='OS::Heat::None'))


def test_a_resource_row_goes_with_its_last_event_only_under_the_holders_lock(orch_engine):
    stack_store = stacks.StackStore(orch_engine)
    stack_store.create(_stack())
    assert locks.LockStore(orch_engine).try_acquire('id-web', 'engine-a')
    store = resources.ResourceStore(orch_engine)
    added = store.add(resources.ResourceRecord(stack_id='id-web', name='r', type='T'))
    last = events.EventRecord('id-web', 'r', 'T', None, states.DELETE, states.COMPLETE, 'x')
    assert not store.remove(added, 'engine-b', last)
    assert store.get('id-web', 'r').id == added.id
    assert events.EventStore(orch_engine).list('id-web') == []
    assert store.remove(added, 'engine-a', last)
    with pytest.raises(exceptions.ResourceNotFound):
        store.get('id-web', 'r')
    assert [(e.resource_name, e.status) for e in events.EventStore(orch_engine).list(
        'id-web')] == [('r', 'COMPLETE')]
    # A resource never created goes without an event, under the same check.
    never = store.add(resources.ResourceRecord(stack_id='id-web', name='n', type='T'))
    assert not store.remove(never, 'engine-b', None)
    assert store.remove(never, 'engine-a', None)
    with pytest.raises(exceptions.ResourceNotFound):
        store.get('id-web', 'n')
    assert len(events.EventStore(orch_engine).list('id-web')) == 1


def test_events_list_in_order_by_resource_and_after_a_marker(orch_engine):
    store = events.EventStore(orch_engine)
    made = [store.add(events.EventRecord('s', name, 'T', None, states.CREATE, status, 'why'))
            for name, status in (('a', 'IN_PROGRESS'), ('b', 'IN_PROGRESS'),
                                 ('a', 'COMPLETE'))]
    assert [e.uuid for e in store.list('s')] == [e.uuid for e in made]
    assert [e.status for e in store.list('s', 'a')] == ['IN_PROGRESS', 'COMPLETE']
    assert [e.uuid for e in store.list('s', marker=made[0].uuid)] == [made[1].uuid,
                                                                      made[2].uuid]
    assert [e.uuid for e in store.list('s', newest_first=True, limit=1)] == [made[2].uuid]


def test_group_members_are_kept_oldest_first_and_unique_per_group(orch_engine):
    from heat_watch.orchestration.storage import members
    store = members.MemberStore(orch_engine)
    first = store.add('s', 'asg', 'm-1')
    second = store.add('s', 'asg', 'm-2', 'server-2')
    store.add('s', 'other', 'm-1')
    with pytest.raises(exceptions.Conflict):
        store.add('s', 'asg', 'm-1')
    store.set_physical_id(first.id, 'server-1')
    assert [(m.member_name, m.physical_id) for m in store.list('s', 'asg')] == [
        ('m-1', 'server-1'), ('m-2', 'server-2')]
    assert store.remove([first.id]) == 1
    assert [m.id for m in store.list('s', 'asg')] == [second.id]
    assert store.remove_group('s', 'asg') == 1
    assert store.list('s', 'other')[0].member_name == 'm-1'


def test_signals_wait_until_handled(orch_engine):
    from heat_watch.orchestration.storage import signals
    store = signals.SignalStore(orch_engine)
    first = store.add('s', 'policy', {'alarm': 'cpu-high'})
    store.add('s', 'policy', None)
    store.add('s', 'other', {})
    assert [s.data for s in store.pending('s', 'policy')] == [{'alarm': 'cpu-high'}, None]
    store.mark_handled([first])
    assert [s.data for s in store.pending('s', 'policy')] == [None]


def test_a_claim_locks_a_free_live_unchanged_stack_and_writes_its_state_at_once(orch_engine):
    store = stacks.StackStore(orch_engine)
    lock_store = locks.LockStore(orch_engine)
    event_store = events.EventStore(orch_engine)
    store.create(_stack(status=states.COMPLETE))
    started = events.EventRecord('id-web', 'web', 'OS::Heat::Stack', 'id-web', states.DELETE,
                                 states.IN_PROGRESS, 'Stack DELETE started')
    # Changed since it was read: not claimed (the claimer would act on a stale copy).
    read = store.get('id-web')
    assert store.update('id-web', None, None, status_reason='changed', updated_at=now_ms() + 1)
    assert not store.claim(read, 'engine-a', started, status_reason='stale')
    assert lock_store.holder('id-web') is None and event_store.list('id-web') == []
    read = store.get('id-web')
    assert store.claim(read, 'engine-a', started, action=states.DELETE,
                       status=states.IN_PROGRESS, status_reason='Stack DELETE started')
    assert lock_store.holder('id-web') == 'engine-a'
    assert read == store.get('id-web')  # the record holds what was written
    assert read.state == 'DELETE_IN_PROGRESS'
    assert [(e.action, e.status) for e in event_store.list('id-web')] == \
        [(states.DELETE, states.IN_PROGRESS)]
    # Held: nobody else claims it, and nothing is written.
    again = store.get('id-web')
    assert not store.claim(again, 'engine-b', started, status_reason='b')
    assert store.get('id-web').status_reason == 'Stack DELETE started'
    assert len(event_store.list('id-web')) == 1
    # A deleted stack is not claimed even when its lock is free.
    assert store.update('id-web', 'engine-a', None, release=True, deleted_at=now_ms())
    assert lock_store.holder('id-web') is None
    assert not store.claim(store.get('id-web'), 'engine-b', None, status_reason='again')
