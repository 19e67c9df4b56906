"""Marking resources unhealthy (Heat's resource_mark_unhealthy); the
identity a /v1 path names, checked by the operation itself; one event
found by its id."""

import pytest

from heat_watch.common import exceptions
from heat_watch.orchestration import health

TEMPLATE = {'heat_template_version': '2021-04-16',
            'resources': {'r': {'type': 'OS::Heat::TestResource', 'properties': {'value': 'v'}},
                          'other': {'type': 'OS::Heat::None'}}}


@pytest.fixture
def stack(engine):
    """A CREATE_COMPLETE stack 'sick' of project p1; its id."""
    stack_id = engine.ops.create('p1', None, 'sick', TEMPLATE)['stack_id']
    assert engine.wait('sick')['stack_status'] == 'CREATE_COMPLETE'
    return stack_id


def _mark(engine, ref, name, mark, reason=None, project='p1'):
    health.mark_unhealthy(engine.ops, project, ref, name, mark, reason)


def test_a_marked_resource_is_check_failed_with_the_reason_and_an_event(engine, stack):
    _mark(engine, 'sick', 'r', True, 'resource deleted')
    shown = engine.resources('sick')['r']
    assert (shown['resource_action'], shown['resource_status']) == ('CHECK', 'FAILED')
    assert shown['resource_status_reason'] == 'resource deleted'
    assert engine.events('sick')[-1] == ('r', 'CHECK', 'FAILED')
    assert engine.resources('sick')['other']['resource_action'] == 'CREATE'
    # The stack itself keeps its state, as in Heat.
    assert engine.ops.show('p1', 'sick')['stack_status'] == 'CREATE_COMPLETE'


def test_unmarking_returns_it_to_check_complete_and_a_healthy_one_is_left_alone(engine, stack):
    _mark(engine, 'sick', 'other', False, 'fine')
    assert engine.resources('sick')['other']['resource_action'] == 'CREATE'
    _mark(engine, 'sick', 'r', True)
    assert engine.resources('sick')['r']['resource_status_reason'] == health.DEFAULT_REASON
    _mark(engine, 'sick', 'r', False, 'repaired')
    shown = engine.resources('sick')['r']
    assert (shown['resource_action'], shown['resource_status'],
            shown['resource_status_reason']) == ('CHECK', 'COMPLETE', 'repaired')
    assert engine.events('sick')[-2:] == [('r', 'CHECK', 'FAILED'), ('r', 'CHECK', 'COMPLETE')]


def test_a_resource_is_found_by_its_physical_id_too(engine, stack):
    physical = engine.resources('sick')['r']['physical_resource_id']
    _mark(engine, stack, physical, True)
    assert engine.resources('sick')['r']['resource_status'] == 'FAILED'


def test_an_update_replaces_the_resource_marked_unhealthy(engine, stack):
    before = engine.resources('sick')
    _mark(engine, 'sick', 'r', True)
    engine.ops.update('p1', 'sick', None, patch=True)  # the existing template
    shown = engine.wait('sick')
    assert shown['stack_status'] == 'UPDATE_COMPLETE', shown['stack_status_reason']
    after = engine.resources('sick')
    assert after['r']['resource_status'] == 'COMPLETE'
    assert after['r']['physical_resource_id'] != before['r']['physical_resource_id']
    assert after['other']['physical_resource_id'] == before['other']['physical_resource_id']


@pytest.mark.parametrize('mark, reason, words', [
    ('true', None, 'mark_unhealthy is not a boolean'),
    (1, None, 'mark_unhealthy is not a boolean'),
    (True, ['why'], 'resource_status_reason is not a string'),
])
def test_bad_arguments_are_invalid_and_change_nothing(engine, stack, mark, reason, words):
    with pytest.raises(exceptions.Invalid, match=words):
        _mark(engine, 'sick', 'r', mark, reason)
    assert engine.resources('sick')['r']['resource_action'] == 'CREATE'


def test_unknown_resources_and_other_projects_stacks_are_not_found(engine, stack):
    with pytest.raises(exceptions.ResourceNotFound, match='nope'):
        _mark(engine, 'sick', 'nope', True)
    with pytest.raises(exceptions.StackNotFound):
        _mark(engine, 'sick', 'r', True, project='p2')
    assert engine.resources('sick')['r']['resource_action'] == 'CREATE'


def test_a_busy_stack_is_a_conflict(engine):
    engine.ops.create('p1', None, 'busy', {
        'heat_template_version': '2021-04-16',
        'resources': {'r': {'type': 'OS::Heat::TestResource',
                            'properties': {'action_wait_secs': {'create': 30}}}}})
    with pytest.raises(exceptions.StackLocked):
        _mark(engine, 'busy', 'r', True)
    # The create goes on untouched (deleted rather than waited for: a long
    # create keeps the stack busy however loaded the machine is).
    assert engine.resources('busy')['r']['resource_action'] != 'CHECK'
    stack_id = engine.ops.find('p1', 'busy').id
    engine.ops.delete('p1', 'busy')
    assert engine.wait(stack_id)['stack_status'] == 'DELETE_COMPLETE'


def test_an_identity_names_the_stack_by_id_and_its_name_must_match(engine, stack):
    assert engine.ops.find('p1', {'stack_name': 'sick', 'stack_id': stack}).id == stack
    assert engine.ops.find('p1', {'stack_name': stack, 'stack_id': stack}).id == stack
    with pytest.raises(exceptions.StackNotFound, match=r'The Stack \(other\)'):
        engine.queries.list_resources('p1', {'stack_name': 'other', 'stack_id': stack})
    with pytest.raises(exceptions.StackNotFound):
        engine.ops.find('p2', {'stack_name': 'sick', 'stack_id': stack})
    with pytest.raises(exceptions.Invalid):
        engine.ops.find('p1', {'stack_name': 'sick'})
    # Writes take it too: an update and a delete through the identity.
    engine.ops.delete('p1', {'stack_name': 'sick', 'stack_id': stack})
    assert engine.wait(stack)['stack_status'] == 'DELETE_COMPLETE'


def test_one_event_is_found_by_its_id_within_its_stack_and_resource(engine, stack):
    listed = engine.queries.list_events('p1', 'sick')
    event = next(e for e in listed if e['resource_name'] == 'r')
    assert engine.queries.show_event('p1', 'sick', event['id']) == event
    assert engine.queries.show_event('p1', 'sick', event['id'], resource_name='r') == event
    assert engine.queries.show_event('p1', 'sick', event['id'], resource_name='other') is None
    assert engine.queries.show_event('p1', 'sick', 'no-such-event') is None
    engine.ops.create('p1', None, 'another', TEMPLATE)
    engine.wait('another')
    assert engine.queries.show_event('p1', 'another', event['id']) is None
    with pytest.raises(exceptions.StackNotFound):
        engine.queries.show_event('p2', 'sick', event['id'])
