"""The engine: dependency order and concurrency, failures and rollback,
update diffing, outputs, events, nested stacks."""

import json
import threading
import time

import pytest

from heat_watch.common import exceptions
from heat_watch.orchestration import health
from heat_watch.orchestration.resources import heat

HOT = 'heat_template_version: 2021-04-16\n'


def hot(resources: dict, outputs: dict | None = None, parameters: dict | None = None) -> dict:
    body = {'heat_template_version': '2021-04-16', 'resources': resources}
    if outputs:
        body['outputs'] = outputs
    if parameters:
        body['parameters'] = parameters
    return body


def test_a_stack_is_created_in_dependency_order_with_outputs_and_events(engine):
    body = hot({
        'a': {'type': 'OS::Heat::TestResource', 'properties': {'value': 'first'}},
        'b': {'type': 'OS::Heat::TestResource',
              'properties': {'value': {'get_attr': ['a', 'output']}}},
        'c': {'type': 'OS::Heat::RandomString', 'properties': {'length': 12},
              'depends_on': ['b']},
    }, outputs={'b_value': {'value': {'get_attr': ['b', 'output']}},
                'password': {'value': {'get_attr': ['c', 'value']}}})
    engine.ops.create('p1', None, 'web', body)
    shown = engine.wait('web')
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    outputs = {o['output_key']: o['output_value'] for o in shown['outputs']}
    assert outputs['b_value'] == 'first'
    assert len(outputs['password']) == 12
    events = engine.events('web')
    assert events[0] == ('web', 'CREATE', 'IN_PROGRESS')
    assert events[-1] == ('web', 'CREATE', 'COMPLETE')
    done = [e[0] for e in events if e[1:] == ('CREATE', 'COMPLETE')]
    assert done.index('a') < done.index('b') < done.index('c')
    resources = engine.resources('web')
    assert resources['a']['required_by'] == ['b']
    assert all(r['resource_status'] == 'COMPLETE' for r in resources.values())


def test_independent_resources_are_created_concurrently(engine):
    body = hot({'r%d' % i: {'type': 'OS::Heat::TestResource',
                            'properties': {'action_wait_secs': {'create': 1}}}
                for i in range(6)})
    engine.ops.create('p1', None, 'wide', body)
    shown = engine.wait('wide')
    assert shown['stack_status'] == 'CREATE_COMPLETE'
    # Every one started before any finished: they ran side by side.
    events = [e for e in engine.events('wide') if e[0] != 'wide']
    first_done = events.index(next(e for e in events if e[2] == 'COMPLETE'))
    assert sorted(e[0] for e in events[:first_done]) == ['r%d' % i for i in range(6)]


def test_a_failing_resource_fails_the_stack_and_rollback_deletes_the_rest(engine):
    body = hot({
        'good': {'type': 'OS::Heat::TestResource'},
        'bad': {'type': 'OS::Heat::TestResource', 'properties': {'fail': True},
                'depends_on': ['good']},
        'never': {'type': 'OS::Heat::TestResource', 'depends_on': ['bad']},
    })
    engine.ops.create('p1', None, 'broken', body)
    shown = engine.wait('broken')
    assert shown['stack_status'] == 'ROLLBACK_COMPLETE'
    events = engine.events('broken')
    assert ('bad', 'CREATE', 'FAILED') in events
    assert ('web', 'CREATE', 'COMPLETE') not in events
    assert ('broken', 'CREATE', 'FAILED') in events
    assert ('good', 'ROLLBACK', 'COMPLETE') in events
    assert not any(e[0] == 'never' for e in events)
    failed = [e for e in engine.queries.list_events('p1', 'broken')
              if e['resource_status'] == 'FAILED' and e['resource_name'] == 'broken']
    assert failed[0]['resource_status_reason'] == (
        'Resource CREATE failed: ResourceFailure: resources.bad: Test Resource failed bad')


def test_without_rollback_the_stack_stays_create_failed_with_the_reason(engine):
    body = hot({'bad': {'type': 'OS::Heat::TestResource', 'properties': {'fail': True}}})
    engine.ops.create('p1', None, 'kept', body, args={'disable_rollback': True})
    shown = engine.wait('kept')
    assert shown['stack_status'] == 'CREATE_FAILED'
    assert 'Test Resource failed bad' in shown['stack_status_reason']
    assert engine.resources('kept')['bad']['resource_status'] == 'FAILED'


def test_delete_goes_in_reverse_order_and_frees_the_name(engine):
    body = hot({'a': {'type': 'OS::Heat::TestResource'},
                'b': {'type': 'OS::Heat::TestResource', 'depends_on': ['a']}})
    identity = engine.ops.create('p1', None, 'gone', body)
    engine.wait('gone')
    engine.ops.delete('p1', 'gone')
    shown = engine.wait(identity['stack_id'])
    assert shown['stack_status'] == 'DELETE_COMPLETE'
    events = engine.events(identity['stack_id'])
    deleted = [e[0] for e in events if e[1:] == ('DELETE', 'COMPLETE')]
    assert deleted.index('b') < deleted.index('a')
    with pytest.raises(exceptions.StackNotFound):
        engine.ops.delete('p1', 'gone')
    assert engine.queries.list_stacks('p1') == []
    engine.ops.create('p1', None, 'gone', body)
    assert engine.wait('gone')['stack_status'] == 'CREATE_COMPLETE'


def test_update_adds_updates_in_place_replaces_and_removes(engine):
    engine.ops.create('p1', None, 'up', hot({
        'keep': {'type': 'OS::Heat::TestResource', 'properties': {'value': 'v1'}},
        'replace': {'type': 'OS::Heat::TestResource',
                    'properties': {'update_replace_value': 'one'}},
        'remove': {'type': 'OS::Heat::None'},
    }))
    engine.wait('up')
    before = engine.resources('up')
    engine.ops.update('p1', 'up', hot({
        'keep': {'type': 'OS::Heat::TestResource', 'properties': {'value': 'v2'}},
        'replace': {'type': 'OS::Heat::TestResource',
                    'properties': {'update_replace_value': 'two'}},
        'added': {'type': 'OS::Heat::RandomString'},
    }, outputs={'kept': {'value': {'get_attr': ['keep', 'output']}}}))
    shown = engine.wait('up')
    assert shown['stack_status'] == 'UPDATE_COMPLETE', shown['stack_status_reason']
    after = engine.resources('up')
    assert set(after) == {'keep', 'replace', 'added'}
    assert after['keep']['physical_resource_id'] == before['keep']['physical_resource_id']
    assert after['replace']['physical_resource_id'] != \
        before['replace']['physical_resource_id']
    assert shown['outputs'][0]['output_value'] == 'v2'
    events = engine.events('up')
    assert ('keep', 'UPDATE', 'COMPLETE') in events
    assert ('remove', 'UPDATE', 'COMPLETE') in events


def test_patch_keeps_the_template_and_the_other_parameters(engine):
    body = hot({'r': {'type': 'OS::Heat::TestResource',
                      'properties': {'value': {'list_join': [
                          '-', [{'get_param': 'a'}, {'get_param': 'b'}]]}}}},
               outputs={'v': {'value': {'get_attr': ['r', 'output']}}},
               parameters={'a': {'type': 'string'},
                           'b': {'type': 'string', 'default': 'dflt'}})
    engine.ops.create('p1', None, 'patched', body, params={'a': 'x', 'b': 'y'})
    engine.wait('patched')
    engine.ops.update('p1', 'patched', None, params={'b': 'z'}, patch=True)
    shown = engine.wait('patched')
    assert shown['stack_status'] == 'UPDATE_COMPLETE'
    assert shown['outputs'][0]['output_value'] == 'x-z'
    assert shown['parameters']['a'] == 'x'
    # clear_parameters puts a parameter back to its default.
    engine.ops.update('p1', 'patched', None, args={'clear_parameters': ['b']}, patch=True)
    shown = engine.wait('patched')
    assert shown['outputs'][0]['output_value'] == 'x-dflt'


def test_a_failed_update_rolls_back_to_the_previous_template(engine):
    engine.ops.create('p1', None, 'rb', hot({
        'r': {'type': 'OS::Heat::TestResource', 'properties': {'value': 'old'}}}))
    engine.wait('rb')
    engine.ops.update('p1', 'rb', hot({
        'r': {'type': 'OS::Heat::TestResource', 'properties': {'value': 'old'}},
        'bad': {'type': 'OS::Heat::TestResource', 'properties': {'fail': True}}}))
    shown = engine.wait('rb')
    assert shown['stack_status'] == 'ROLLBACK_COMPLETE', shown['stack_status_reason']
    assert set(engine.resources('rb')) == {'r'}
    assert 'bad' not in engine.queries.get_template('p1', 'rb')['resources']


def test_bad_templates_are_refused_before_anything_is_stored(engine):
    with pytest.raises(exceptions.InvalidTemplate) as raised:
        engine.ops.create('p1', None, 'x', hot({'r': {'type': 'OS::Heat::TestResource',
                                                       'properties': {'nope': 1}}}))
    assert str(raised.value) == 'resources.r.properties: Unknown Property nope'
    with pytest.raises(exceptions.InvalidTemplate) as raised:
        engine.ops.create('p1', None, 'x', hot({'r': {'type': 'OS::Heat::RandomString',
                                                       'properties': {'length': 'long'}}}))
    assert 'length' in str(raised.value)
    with pytest.raises(exceptions.InvalidTemplate):
        engine.ops.create('p1', None, 'x', hot({'r': {'type': 'My::Unknown'}}))
    with pytest.raises(exceptions.InvalidTemplate):
        engine.ops.create('p1', None, 'x', hot({'r': {'type': 'OS::Nova::Server',
                                                       'properties': {'image': 'i'}}}))
    assert engine.queries.list_stacks('p1') == []


def test_projects_do_not_see_each_others_stacks(engine):
    engine.ops.create('p1', None, 'mine', hot({'r': {'type': 'OS::Heat::None'}}))
    engine.wait('mine')
    assert engine.queries.list_stacks('p2') == []
    with pytest.raises(exceptions.StackNotFound):
        engine.ops.show('p2', 'mine')
    with pytest.raises(exceptions.StackNotFound):
        engine.ops.delete('p2', 'mine')


def test_no_echo_parameters_are_stored_encrypted_and_shown_masked(engine):
    body = hot({'r': {'type': 'OS::Heat::None'}},
               parameters={'secret': {'type': 'string', 'hidden': True}})
    identity = engine.ops.create('p1', None, 'hidden', body, params={'secret': 's3cret'})
    engine.wait('hidden')
    assert engine.ops.show('p1', 'hidden')['parameters']['secret'] == '******'
    stored = engine.runtime.stacks.get(identity['stack_id']).parameters
    assert stored['encrypted'] == ['secret']
    assert 's3cret' not in str(stored)
    assert engine.runtime.parameters_of(engine.runtime.stacks.get(
        identity['stack_id']))['secret'] == 's3cret'


def test_nested_stack_and_provider_template_are_stacks_with_their_owner(engine):
    child = hot({'inner': {'type': 'OS::Heat::TestResource',
                           'properties': {'value': {'get_param': 'word'}}}},
                outputs={'echo': {'value': {'get_attr': ['inner', 'output']}}},
                parameters={'word': {'type': 'string'}})
    body = hot({
        'nested': {'type': 'OS::Heat::Stack',
                   'properties': {'template': json.dumps(child),
                                  'parameters': {'word': 'hello'}}},
        'provided': {'type': 'My::Echo', 'properties': {'word': 'world'}},
    }, outputs={'n': {'value': {'get_attr': ['nested', 'outputs', 'echo']}},
                'p': {'value': {'get_attr': ['provided', 'echo']}}})
    engine.ops.create('p1', None, 'parent', body, files={'echo.yaml': json.dumps(child)},
                      environment={'resource_registry': {'My::Echo': 'echo.yaml'}})
    shown = engine.wait('parent')
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    outputs = {o['output_key']: o['output_value'] for o in shown['outputs']}
    assert outputs == {'n': 'hello', 'p': 'world'}
    nested = engine.queries.list_stacks('p1', show_nested=True)
    assert sorted(s['parent'] or '' for s in nested) == ['', shown['id'], shown['id']]
    assert len(engine.queries.list_resources('p1', 'parent', nested_depth=1)) == 4
    with_nested = engine.queries.list_events('p1', 'parent', nested_depth=1)
    assert {e['resource_name'] for e in with_nested} >= {'parent', 'nested', 'inner'}
    assert 'inner' not in {e['resource_name'] for e in engine.queries.list_events(
        'p1', 'parent')}
    engine.ops.delete('p1', 'parent')
    assert engine.wait(shown['id'])['stack_status'] == 'DELETE_COMPLETE'
    assert engine.queries.list_stacks('p1', show_nested=True) == []


def test_random_string_honours_character_classes():
    value = heat.random_string(20, [('ABC', 5), ('0123', 3)], 'x')
    assert len(value) == 20
    assert sum(c in 'ABC' for c in value) >= 5
    assert sum(c in '0123' for c in value) >= 3
    assert set(value) <= set('ABC0123')


def test_an_update_of_a_busy_stack_is_a_conflict(engine):
    engine.ops.create('p1', None, 'busy', hot({'r': {'type': 'OS::Heat::TestResource',
                                                      'properties': {'wait_secs': 1}}}))
    with pytest.raises((exceptions.StackLocked, exceptions.StackInProgress)):
        engine.ops.update('p1', 'busy', hot({'r': {'type': 'OS::Heat::None'}}))
    assert engine.wait('busy')['stack_status'] == 'CREATE_COMPLETE'


def test_a_delete_cancels_the_create_still_running_nested_stacks_too(engine):
    slow = {'type': 'OS::Heat::TestResource',
            'properties': {'action_wait_secs': {'create': 30}}}
    child = hot({'slow': slow})
    identity = engine.ops.create('p1', None, 'hurry', hot({
        'fast': {'type': 'OS::Heat::TestResource'},
        'slow': slow,
        'nested': {'type': 'OS::Heat::Stack', 'properties': {'template': json.dumps(child)}},
    }))
    deadline = time.monotonic() + 10
    while len(engine.queries.list_stacks('p1', show_nested=True)) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    started = time.monotonic()
    engine.ops.delete('p1', 'hurry')
    shown = engine.wait(identity['stack_id'])
    assert time.monotonic() - started < 10
    assert shown['stack_status'] == 'DELETE_COMPLETE'
    events = engine.queries.list_events('p1', identity['stack_id'])
    [failed] = [e for e in events if e['resource_name'] == 'hurry'
                and e['resource_status'] == 'FAILED']
    assert 'Operation cancelled' in failed['resource_status_reason']
    assert not any(e['resource_action'] == 'ROLLBACK' for e in events)
    assert engine.queries.list_stacks('p1', show_nested=True) == []
    assert threading.active_count() > 0


def test_preview_shows_the_resources_and_stores_nothing(engine):
    shown = engine.ops.preview('p1', None, 'pre', hot({
        'a': {'type': 'OS::Heat::TestResource', 'properties': {'value': 'x'}},
        'b': {'type': 'OS::Heat::None', 'properties': {'ref': {'get_resource': 'a'}}}}))
    resources = {r['resource_name']: r for r in shown['resources']}
    assert resources['a']['required_by'] == ['b']
    assert resources['a']['properties'] == {'value': 'x'}
    assert resources['b']['properties'] == {'ref': 'a'}
    assert engine.queries.list_stacks('p1') == []


def test_cfn_errors_name_the_place_in_cfn_words(engine):
    with pytest.raises(exceptions.InvalidTemplate) as raised:
        engine.ops.create('p1', None, 'cfn', {
            'AWSTemplateFormatVersion': '2010-09-09',
            'Resources': {'I': {'Type': 'AWS::EC2::Instance',
                                'Properties': {'ImageId': 'x'}}}})
    assert str(raised.value) == ('Resources.I.Properties.InstanceType: '
                                 'Property InstanceType not assigned')


def test_signals_are_kept_for_the_resource_and_unknown_resources_refused(engine):
    identity = engine.ops.create('p1', None, 'sig', hot({'r': {'type': 'OS::Heat::None'}}))
    engine.wait('sig')
    engine.queries.signal('p1', 'sig', 'r', {'status': 'SUCCESS'})
    with pytest.raises(exceptions.ResourceNotFound):
        engine.queries.signal('p1', 'sig', 'nope', {})
    signals = engine.runtime.signals
    [pending] = signals.pending(identity['stack_id'], 'r')
    assert pending.data == {'status': 'SUCCESS'}
    signals.mark_handled([pending.id])
    assert signals.pending(identity['stack_id'], 'r') == []


def test_a_provider_resource_updates_its_nested_stack_in_place(engine):
    child = hot({'inner': {'type': 'OS::Heat::TestResource',
                           'properties': {'value': {'get_param': 'word'}}}},
                outputs={'echo': {'value': {'get_attr': ['inner', 'output']}}},
                parameters={'word': {'type': 'string'}})

    def parent(word):
        return hot({'p': {'type': 'echo.yaml', 'properties': {'word': word}}},
                   outputs={'echo': {'value': {'get_attr': ['p', 'echo']}}})

    files = {'echo.yaml': json.dumps(child)}
    engine.ops.create('p1', None, 'prov', parent('one'), files=files)
    first = engine.wait('prov')
    nested_id = engine.resources('prov')['p']['physical_resource_id']
    engine.ops.update('p1', 'prov', parent('two'), files=files)
    shown = engine.wait('prov')
    assert shown['stack_status'] == 'UPDATE_COMPLETE', shown['stack_status_reason']
    assert shown['outputs'][0]['output_value'] == 'two'
    assert engine.resources('prov')['p']['physical_resource_id'] == nested_id
    nested = engine.runtime.stacks.get(nested_id)
    assert (nested.state, nested.owner_id) == ('UPDATE_COMPLETE', first['id'])


def test_resource_show_has_attributes_and_events_page_with_a_marker(engine):
    engine.ops.create('p1', None, 'attrs', hot({'r': {'type': 'OS::Heat::TestResource',
                                                      'properties': {'value': 'v'}}}))
    engine.wait('attrs')
    shown = engine.queries.show_resource('p1', 'attrs', 'r')
    assert shown['attributes'] == {'output': 'v'}
    assert shown['required_by'] == []
    assert shown['resource_status'] == 'COMPLETE'
    with pytest.raises(exceptions.ResourceNotFound):
        engine.queries.show_resource('p1', 'attrs', 'missing')
    events = engine.queries.list_events('p1', 'attrs')
    after = engine.queries.list_events('p1', 'attrs', marker=events[1]['id'], limit=1)
    assert [e['id'] for e in after] == [events[2]['id']]
    newest = engine.queries.list_events('p1', 'attrs', sort_dir='desc', limit=1)
    assert newest[0]['resource_status'] == 'COMPLETE'
    assert newest[0]['resource_name'] == 'attrs'


def test_a_nested_stack_inherits_the_registry_not_the_parameters(engine):
    child = hot({'inner': {'type': 'My::Thing'}},
                outputs={'type': {'value': {'get_attr': ['inner', 'output']}}})
    body = hot({'nested': {'type': 'OS::Heat::Stack',
                           'properties': {'template': json.dumps(child)}}},
               outputs={'t': {'value': {'get_attr': ['nested', 'outputs', 'type']}}},
               parameters={'only_here': {'type': 'string'}})
    engine.ops.create('p1', None, 'inherit', body, params={'only_here': 'x'},
                      environment={'resource_registry': {'My::Thing': 'OS::Heat::TestResource'},
                                   'parameters': {'only_here': 'y'}})
    shown = engine.wait('inherit')
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    assert shown['outputs'][0]['output_value'] == 'test_string'


def test_after_a_rolled_back_create_an_update_creates_the_resources(engine):
    engine.ops.create('p1', None, 'again', hot({
        'good': {'type': 'OS::Heat::TestResource'},
        'bad': {'type': 'OS::Heat::TestResource', 'properties': {'fail': True},
                'depends_on': ['good']}}))
    assert engine.wait('again')['stack_status'] == 'ROLLBACK_COMPLETE'
    assert engine.resources('again') == {}
    engine.ops.update('p1', 'again', hot({'good': {'type': 'OS::Heat::TestResource'}}))
    assert engine.wait('again')['stack_status'] == 'UPDATE_COMPLETE'
    [good] = engine.resources('again').values()
    assert good['resource_status'] == 'COMPLETE' and good['physical_resource_id']


def test_a_resource_past_the_stack_timeout_fails_it(engine):
    engine.runtime.default_timeout_mins = 0.01  # 0.6 s
    engine.ops.create('p1', None, 'late', hot({
        'slow': {'type': 'OS::Heat::TestResource', 'properties': {'wait_secs': 10}}}),
        args={'disable_rollback': True})
    shown = engine.wait('late')
    assert shown['stack_status'] == 'CREATE_FAILED'
    assert shown['stack_status_reason'] == (
        'Resource CREATE failed: ResourceFailure: resources.slow: Stack timed out')


@pytest.mark.parametrize('name, params, files, args, message', [
    ('1bad', None, None, None, 'Invalid stack name 1bad'),
    ('with space', None, None, None, 'must start with alpha'),
    ('x' * 256, None, None, None, '255 characters or less'),
    ('ok', ['a'], None, None, 'parameters must be a map'),
    ('ok', None, {'f.yaml': 3}, None, 'files must be a map'),
    ('ok', None, None, {'timeout_mins': 'soon'}, 'timeout_mins: Value must be an integer'),
    ('ok', None, None, {'timeout_mins': 0}, 'timeout_mins: must be at least 1'),
    ('ok', None, None, {'disable_rollback': 'maybe'}, 'disable_rollback: Value must be'),
])
def test_bad_requests_are_refused_with_the_reason(engine, name, params, files, args, message):
    with pytest.raises(exceptions.Invalid) as raised:
        engine.ops.create('p1', None, name, hot({'r': {'type': 'OS::Heat::None'}}),
                          params=params, files=files, args=args)
    assert message in str(raised.value)
    assert engine.queries.list_stacks('p1') == []


def test_string_arguments_are_typed(engine):
    identity = engine.ops.create('p1', None, 'typed', hot({'r': {'type': 'OS::Heat::None'}}),
                                 args={'disable_rollback': 'true', 'timeout_mins': '5'})
    engine.wait('typed')
    record = engine.runtime.stacks.get(identity['stack_id'])
    assert (record.disable_rollback, record.timeout_mins) == (True, 5)


def test_stack_list_filters_sorts_and_pages(engine):
    for name in ('one', 'two', 'three'):
        engine.ops.create('p1', None, name, hot({'r': {'type': 'OS::Heat::None'}}))
        engine.wait(name)
    engine.ops.create('p1', None, 'broken', hot({'r': {
        'type': 'OS::Heat::TestResource', 'properties': {'fail': True}}}),
        args={'disable_rollback': True})
    engine.wait('broken')
    names = [s['stack_name'] for s in engine.queries.list_stacks('p1')]
    assert names == ['broken', 'three', 'two', 'one']
    oldest = engine.queries.list_stacks('p1', sort_dir='asc', limit=2)
    assert [s['stack_name'] for s in oldest] == ['one', 'two']
    page = engine.queries.list_stacks('p1', sort_dir='asc', marker=oldest[-1]['id'])
    assert [s['stack_name'] for s in page] == ['three', 'broken']
    assert [s['stack_name'] for s in engine.queries.list_stacks(
        'p1', filters={'status': 'CREATE_FAILED'})] == ['broken']
    assert [s['stack_name'] for s in engine.queries.list_stacks(
        'p1', filters={'status': 'COMPLETE', 'name': ['one', 'broken']})] == ['one']
    with pytest.raises(exceptions.StackNotFound):
        engine.queries.list_stacks('p2', marker=oldest[-1]['id'])
    with pytest.raises(exceptions.Invalid):
        engine.queries.list_stacks('p1', sort_dir='sideways')
    with pytest.raises(exceptions.Invalid):
        engine.queries.list_stacks('p1', filters={'owner': 'x'})


def test_a_stack_whose_template_no_longer_binds_can_still_be_deleted(engine):
    import sqlalchemy as sa
    child = hot({'inner': {'type': 'OS::Heat::None'}})
    identity = engine.ops.create('p1', None, 'stale', hot({
        'a': {'type': 'OS::Heat::TestResource'},
        'n': {'type': 'OS::Heat::Stack', 'properties': {'template': json.dumps(child)}}}))
    engine.wait('stale')
    nested_id = engine.resources('stale')['n']['physical_resource_id']
    broken = hot({'a': {'type': 'OS::Heat::None'}},
                 parameters={'needed': {'type': 'string'}})  # no value stored for it
    with engine.runtime.stacks.engine.begin() as conn:
        conn.execute(sa.text('UPDATE stacks SET template = :t WHERE id = :id'),
                     {'t': json.dumps(broken), 'id': identity['stack_id']})
    with pytest.raises(exceptions.InvalidParameter):
        engine.runtime.load(engine.runtime.stacks.get(identity['stack_id']))
    engine.ops.delete('p1', 'stale')
    assert engine.wait(identity['stack_id'])['stack_status'] == 'DELETE_COMPLETE'
    assert engine.runtime.stacks.get(nested_id).state == 'DELETE_COMPLETE'


def test_a_changed_provider_template_updates_its_nested_stack(engine):
    def child(value):
        return json.dumps(hot({'inner': {'type': 'OS::Heat::TestResource',
                                         'properties': {'value': value}}},
                              outputs={'echo': {'value': {'get_attr': ['inner', 'output']}}}))

    body = hot({'p': {'type': 'echo.yaml'}},
               outputs={'echo': {'value': {'get_attr': ['p', 'echo']}}})
    engine.ops.create('p1', None, 'file', body, files={'echo.yaml': child('first')})
    assert engine.wait('file')['outputs'][0]['output_value'] == 'first'
    engine.ops.update('p1', 'file', body, files={'echo.yaml': child('second')})
    shown = engine.wait('file')
    assert shown['stack_status'] == 'UPDATE_COMPLETE', shown['stack_status_reason']
    assert shown['outputs'][0]['output_value'] == 'second'


def test_a_property_that_no_longer_resolves_fails_the_resource_on_update(engine):
    engine.ops.create('p1', None, 'badupd', hot({'r': {'type': 'OS::Heat::RandomString'}}))
    engine.wait('badupd')
    engine.ops.update('p1', 'badupd', hot({'r': {
        'type': 'OS::Heat::RandomString',
        'properties': {'character_classes': [{'class': 'emoji'}]}}}),
        args={'disable_rollback': True})
    shown = engine.wait('badupd')
    assert shown['stack_status'] == 'UPDATE_FAILED'
    assert 'unknown class emoji' in shown['stack_status_reason']


def test_secrets_are_sealed_in_the_database_and_masked_in_events(engine):
    body = hot({'pw': {'type': 'OS::Heat::RandomString', 'properties': {'length': 24}},
                'app': {'type': 'OS::Heat::TestResource',
                        'properties': {'value': {'str_replace': {
                            'template': 'user:$secret', 'params': {
                                '$secret': {'get_param': 'db_password'}}}}}}},
               outputs={'pw': {'value': {'get_attr': ['pw', 'value']}},
                        'app': {'value': {'get_attr': ['app', 'output']}}},
               parameters={'db_password': {'type': 'string', 'hidden': True}})
    identity = engine.ops.create('p1', None, 'secretive', body, environment={
        'parameters': {'db_password': 'hunter2-very-secret'},
        'parameter_defaults': {'db_password': 'hunter2-the-default'}})
    shown = engine.wait('secretive')
    outputs = {o['output_key']: o['output_value'] for o in shown['outputs']}
    assert outputs['app'] == 'user:hunter2-very-secret'
    password = outputs['pw']
    assert len(password) == 24
    with engine.runtime.stacks.engine.connect() as conn:
        stored = ' '.join(str(v) for row in conn.exec_driver_sql(
            'SELECT * FROM resources').all() for v in row)
        stored += ' '.join(str(v) for row in conn.exec_driver_sql(
            'SELECT * FROM events').all() for v in row)
        stored += ' '.join(str(v) for row in conn.exec_driver_sql(
            'SELECT * FROM stacks').all() for v in row)
    assert 'hunter2' not in stored
    assert password not in stored
    snapshots = [e['resource_properties'] for e in engine.queries.list_events(
        'p1', 'secretive', resource_name='app') if e['resource_properties']]
    assert snapshots[-1]['value'] == 'user:******'
    environment = engine.queries.get_environment('p1', 'secretive')
    assert environment['parameters'] == {'db_password': '******'}
    assert environment['parameter_defaults'] == {'db_password': '******'}
    # Read back after a restart of the engine: the sealed values open again.
    engine.runtime.default_timeout_mins = 60
    reloaded = engine.runtime.load(engine.runtime.stacks.get(identity['stack_id']))
    assert reloaded.resources['pw'].get_reference_id() == password
    engine.ops.update('p1', 'secretive', None, params={}, patch=True)
    assert engine.wait('secretive')['stack_status'] == 'UPDATE_COMPLETE'
    events = engine.events('secretive')
    assert ('app', 'UPDATE', 'IN_PROGRESS') not in events  # nothing changed


def test_a_nested_stack_in_another_region_fails_with_the_reason(engine):
    engine.ops.create('p1', None, 'far', hot({'n': {'type': 'OS::Heat::Stack', 'properties': {
        'template': json.dumps(hot({'r': {'type': 'OS::Heat::None'}})),
        'context': {'region_name': 'RegionTwo'}}}}), args={'disable_rollback': True})
    shown = engine.wait('far')
    assert shown['stack_status'] == 'CREATE_FAILED'
    assert 'another region (RegionTwo)' in shown['stack_status_reason']


def test_too_many_resources_or_stacks_are_refused(engine):
    engine.runtime.max_resources, engine.runtime.max_stacks = 3, 2
    with pytest.raises(exceptions.LimitExceeded) as raised:
        engine.ops.create('p1', None, 'big', hot({'r%d' % i: {'type': 'OS::Heat::None'}
                                                  for i in range(4)}))
    assert 'Maximum resources per stack exceeded (3)' in str(raised.value)
    for name in ('s1', 's2'):
        engine.ops.create('p1', None, name, hot({'r': {'type': 'OS::Heat::None'}}))
        engine.wait(name)
    with pytest.raises(exceptions.LimitExceeded) as raised:
        engine.ops.create('p1', None, 's3', hot({'r': {'type': 'OS::Heat::None'}}))
    assert 'maximum stacks per project, 2' in str(raised.value)
    engine.ops.create('p2', None, 's3', hot({'r': {'type': 'OS::Heat::None'}}))
    with pytest.raises(exceptions.LimitExceeded):
        engine.ops.update('p1', 's1', hot({'r%d' % i: {'type': 'OS::Heat::None'}
                                           for i in range(4)}))
    engine.wait('s3', project='p2')


def test_old_events_beyond_the_limit_go_when_an_operation_ends(engine):
    engine.runtime.max_events = 5
    engine.ops.create('p1', None, 'chatty', hot({'r%d' % i: {'type': 'OS::Heat::None'}
                                                 for i in range(4)}))
    engine.wait('chatty')
    events = engine.events('chatty')
    assert len(events) == 5
    assert events[-1] == ('chatty', 'CREATE', 'COMPLETE')


def test_a_stack_whose_delete_failed_can_only_be_deleted_again(engine, monkeypatch):
    engine.ops.create('p1', None, 'stuck', hot({'r': {'type': 'OS::Heat::TestResource'}}))
    engine.wait('stuck')

    def refuse(self):
        raise exceptions.ResourceFailure(reason='still attached')

    monkeypatch.setattr(heat.TestResource, 'handle_delete', refuse)
    engine.ops.delete('p1', 'stuck')
    shown = engine.wait('stuck')
    assert shown['stack_status'] == 'DELETE_FAILED'
    assert 'still attached' in shown['stack_status_reason']
    with pytest.raises(exceptions.Conflict) as raised:
        engine.ops.update('p1', 'stuck', hot({'r': {'type': 'OS::Heat::None'}}))
    assert 'when it is deleting' in str(raised.value)
    monkeypatch.undo()
    engine.ops.delete('p1', 'stuck')
    assert engine.wait(shown['id'])['stack_status'] == 'DELETE_COMPLETE'


def test_paging_arguments_are_checked_and_texts_of_numbers_accepted(engine):
    engine.ops.create('p1', None, 'paged', hot({'r': {'type': 'OS::Heat::None'}}))
    engine.wait('paged')
    assert len(engine.queries.list_events('p1', 'paged', limit='2')) == 2
    assert len(engine.queries.list_resources('p1', 'paged', nested_depth='1')) == 1
    for bad in ({'limit': 'many'}, {'limit': -1}, {'nested_depth': 'deep'},
                {'sort_dir': 'up'}, {'limit': True}):
        with pytest.raises(exceptions.Invalid) as raised:
            engine.queries.list_events('p1', 'paged', **bad)
        assert list(bad)[0] in str(raised.value)
    with pytest.raises(exceptions.Invalid):
        engine.queries.list_stacks('p1', limit='lots')


def test_show_without_outputs_has_the_same_parameters_and_no_outputs(engine):
    body = hot({'r': {'type': 'OS::Heat::TestResource', 'properties': {'value': 'v'}}},
               outputs={'o': {'value': {'get_attr': ['r', 'output']}}},
               parameters={'p': {'type': 'string', 'default': 'd'}})
    body['description'] = 'shown'
    engine.ops.create('p1', None, 'shown', body)
    full = engine.wait('shown')
    light = engine.ops.show('p1', 'shown', resolve_outputs=False)
    assert 'outputs' not in light and full['outputs'][0]['output_value'] == 'v'
    assert light == {k: v for k, v in full.items() if k != 'outputs'}
    assert light['parameters']['p'] == 'd' and light['description'] == 'shown'


def _ending_operation(engine, stack_ref, seconds=0.3):
    """The stack's lock held by an operation of this engine that has written
    its last state and is still ending (as right after CREATE_COMPLETE)."""
    record = engine.ops.find('p1', stack_ref)
    engine.runtime.locker.acquire(record.id, record.name)
    engine.runtime.submit(record, lambda: time.sleep(seconds))
    return record


def test_a_client_acting_right_after_complete_waits_for_the_ending_operation(engine):
    engine.ops.create('p1', None, 'quick', hot({'r': {'type': 'OS::Heat::None'}}))
    assert engine.wait('quick')['stack_status'] == 'CREATE_COMPLETE'
    _ending_operation(engine, 'quick')
    engine.ops.update('p1', 'quick', None, patch=True)  # not StackLocked
    assert engine.wait('quick')['stack_status'] == 'UPDATE_COMPLETE'
    _ending_operation(engine, 'quick')
    health.mark_unhealthy(engine.ops, 'p1', 'quick', 'r', True)
    shown = engine.resources('quick')['r']
    assert (shown['resource_action'], shown['resource_status']) == ('CHECK', 'FAILED')
    record = _ending_operation(engine, 'quick')
    engine.ops.delete('p1', 'quick')
    assert engine.wait(record.id)['stack_status'] == 'DELETE_COMPLETE'


def test_an_update_of_a_stack_still_in_progress_is_refused_at_once(engine):
    engine.ops.create('p1', None, 'slow', hot({'r': {'type': 'OS::Heat::TestResource',
                                                      'properties': {'wait_secs': 2}}}))
    started = time.monotonic()
    with pytest.raises((exceptions.StackLocked, exceptions.StackInProgress)):
        engine.ops.update('p1', 'slow', None, patch=True)
    # Not after settle()'s wait for an ending operation (5 s): at once.
    assert time.monotonic() - started < 4.0
    assert engine.wait('slow')['stack_status'] == 'CREATE_COMPLETE'


@pytest.fixture
def patient_engine(tmp_path):
    """An orchestrator whose requests wait up to 5 s for their operation."""
    from heat_watch.common import db
    from heat_watch.tests.unit.orchestration.conftest import Engine, make_runtime_conf
    running = Engine(make_runtime_conf(tmp_path, **{'orchestration.answer_wait': 5.0}))
    yield running
    running.runtime.stop()
    db.dispose_engines()


def test_a_request_answers_once_a_quick_operation_ended(patient_engine, caplog):
    engine = patient_engine
    identity = engine.ops.create('p1', None, 'quick', hot({'r': {'type': 'OS::Heat::None'}}))
    # No wait: the answer came after the create ended.
    assert engine.ops.show('p1', 'quick')['stack_status'] == 'CREATE_COMPLETE'
    engine.ops.delete('p1', 'quick')
    shown = engine.ops.show('p1', identity['stack_id'])
    assert shown['stack_status'] == 'DELETE_COMPLETE'
    # The delete's last write freed the lock (no release after it).
    assert engine.runtime.lock_store.holder(identity['stack_id']) is None
    assert 'was not locked by this engine' not in caplog.text
    assert [e[1:] for e in engine.events(identity['stack_id'])][-4:] == [
        ('DELETE', 'IN_PROGRESS'), ('DELETE', 'IN_PROGRESS'), ('DELETE', 'COMPLETE'),
        ('DELETE', 'COMPLETE')]


def test_a_slow_operation_is_answered_after_answer_wait_and_goes_on(tmp_path):
    from heat_watch.common import db
    from heat_watch.tests.unit.orchestration.conftest import Engine, make_runtime_conf
    engine = Engine(make_runtime_conf(tmp_path, **{'orchestration.answer_wait': 0.2}))
    try:
        identity = engine.ops.create('p1', None, 'slow', hot({'r': {
            'type': 'OS::Heat::TestResource',
            'properties': {'action_wait_secs': {'delete': 2}}}}))
        assert engine.wait('slow')['stack_status'] == 'CREATE_COMPLETE'
        started = time.monotonic()
        engine.ops.delete('p1', 'slow')
        assert 0.15 < time.monotonic() - started < 1.5
        assert engine.ops.show('p1', identity['stack_id'])['stack_status'] == \
            'DELETE_IN_PROGRESS'
        assert engine.wait(identity['stack_id'])['stack_status'] == 'DELETE_COMPLETE'
    finally:
        engine.runtime.stop()
        db.dispose_engines()


def test_an_operation_begun_after_the_stack_was_read_is_not_waited_for(engine):
    # Two concurrent updates: the second read the stack COMPLETE just before
    # the first began. It must answer busy, not wait for the first to end
    # and then run too.
    engine.ops.create('p1', None, 'raced', hot({'r': {'type': 'OS::Heat::None'}}))
    assert engine.wait('raced')['stack_status'] == 'CREATE_COMPLETE'
    read_at = time.monotonic()
    record = engine.ops.find('p1', 'raced')
    engine.ops.update('p1', 'raced', hot({'r': {'type': 'OS::Heat::TestResource',
                                                'properties': {'wait_secs': 2}}}))
    started = time.monotonic()
    engine.runtime.settle(record, read_at)
    assert time.monotonic() - started < 1.0
    with pytest.raises(exceptions.StackLocked):
        engine.runtime.locker.acquire(record.id, record.name)
    assert engine.wait('raced')['stack_status'] == 'UPDATE_COMPLETE'
