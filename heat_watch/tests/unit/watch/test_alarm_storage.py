"""Alarm storage on SQLite: configuration history, compare-and-set transitions."""

import json

import pytest

from heat_watch.common import exceptions
from heat_watch.tests.unit.watch import support
from heat_watch.watch import model
from heat_watch.watch.storage import alarm_history
from heat_watch.watch.storage import alarms as alarm_storage


@pytest.fixture
def store(watch_engine):
    return alarm_storage.AlarmStore(watch_engine)


def _definition(name: str = 'high-cpu', **extra):
    return support.threshold(name, **extra)


def test_a_new_alarm_starts_in_insufficient_data_with_a_creation_item(store):
    alarm, created = store.put(_definition(), 'key')
    assert created
    assert alarm['state'] == 'INSUFFICIENT_DATA'
    items = store.history('p1', name='high-cpu', types=(alarm_storage.METRIC,), item_type=None,
                          start=None, end=None, ascending=True, after_id=None, limit=10)
    assert [(i.item_type, i.summary) for i in items] == [
        ('ConfigurationUpdate', 'Alarm "high-cpu" created')]


def test_updating_an_alarm_keeps_its_state_and_records_both_versions(store):
    alarm, _ = store.put(_definition(), 'key')
    store.transition(alarm, 'ALARM', 'because', None, run_actions=False)
    updated, created = store.put(_definition(threshold=90.0), 'key')
    assert not created
    assert updated['state'] == 'ALARM'
    assert store.get('p1', 'high-cpu')['threshold'] == 90.0
    items = store.history('p1', name='high-cpu', types=(alarm_storage.METRIC,),
                          item_type='ConfigurationUpdate', start=None, end=None,
                          ascending=False, after_id=None, limit=10)
    data = json.loads(items[0].data)
    assert data['type'] == 'Update'
    assert data['original']['rule']['threshold'] == 80.0
    assert data['definition']['rule']['threshold'] == 90.0


def test_only_one_of_two_concurrent_transitions_wins(store):
    alarm, _ = store.put(_definition(), 'key')
    first = store.transition(alarm, 'ALARM', 'engine a', None, run_actions=True)
    second = store.transition(alarm, 'OK', 'engine b', None, run_actions=True)
    assert first is not None and second is None
    assert store.get('p1', 'high-cpu')['state'] == 'ALARM'
    updates = store.history('p1', name='high-cpu', types=(alarm_storage.METRIC,),
                            item_type='StateUpdate', start=None, end=None, ascending=True,
                            after_id=None, limit=10)
    assert len(updates) == 1


def _state_updates(store, name):
    return store.history('p1', name=name, types=(alarm_storage.METRIC,),
                         item_type='StateUpdate', start=None, end=None, ascending=True,
                         after_id=None, limit=10)


def test_a_batch_of_transitions_records_the_winners_and_reports_the_losers(store):
    a, _ = store.put(_definition('a'), 'ka')
    b, _ = store.put(_definition('b'), 'kb')
    c, _ = store.put(_definition('c'), 'kc')
    store.transition(b, 'OK', 'another engine', None, run_actions=False)
    results = store.transitions([
        alarm_storage.Transition(a, 'ALARM', 'a breached', '{"x": 1}', True),
        alarm_storage.Transition(b, 'ALARM', 'stale read of b', None, True),
        alarm_storage.Transition(c, 'OK', 'c is fine', None, False)])
    assert [r and (r['name'], r['state'], r['version']) for r in results] == [
        ('a', 'ALARM', a['version'] + 1), None, ('c', 'OK', c['version'] + 1)]
    assert results[0]['actions_run_at'] == results[0]['state_transitioned_at']
    assert results[2]['actions_run_at'] is None
    assert store.get('p1', 'b')['state_reason'] == 'another engine'
    [item] = _state_updates(store, 'a')
    assert model.Transition.from_wire(json.loads(item.data)) == model.Transition(
        alarm_id=a['id'], previous='INSUFFICIENT_DATA', state='ALARM', reason='a breached',
        reason_data={'x': 1}, timestamp=item.timestamp,
        previous_reason=alarm_storage.INITIAL_REASON, previous_reason_data={'kind': 'created'})
    assert len(_state_updates(store, 'b')) == 1
    assert len(_state_updates(store, 'c')) == 1


def test_a_batch_where_every_transition_wins_records_them_all(store):
    alarms = [store.put(_definition(n), 'k' + n)[0] for n in 'xyz']
    results = store.transitions([alarm_storage.Transition(a, 'OK', 'fine', None, False)
                                 for a in alarms])
    assert [r['name'] for r in results] == ['x', 'y', 'z']
    assert {a['name']: a['state'] for a in store.find('p1')} == {'x': 'OK', 'y': 'OK', 'z': 'OK'}
    assert [len(_state_updates(store, n)) for n in 'xyz'] == [1, 1, 1]


def test_a_transition_to_the_same_state_keeps_its_transition_time(store):
    alarm, _ = store.put(_definition(), 'key')
    moved = store.transition(alarm, 'ALARM', 'first', None, run_actions=False)
    again = store.transition(moved, 'ALARM', 'set again', None, run_actions=False)
    stored = store.get('p1', 'high-cpu')
    assert again is not None
    assert stored['state_transitioned_at'] == moved['state_transitioned_at']
    assert stored['state_reason'] == 'set again'


def test_deleting_with_an_unknown_name_deletes_nothing(store):
    store.put(_definition('a'), 'key')
    with pytest.raises(exceptions.AlarmNotFound):
        store.delete('p1', ['a', 'missing'])
    assert store.get('p1', 'a')['name'] == 'a'


def test_another_project_cannot_see_or_delete_an_alarm(store):
    store.put(_definition('a'), 'key')
    assert store.find('p2') == []
    with pytest.raises(exceptions.AlarmNotFound):
        store.delete('p2', ['a'])
    with pytest.raises(exceptions.AlarmNotFound):
        store.get('p2', 'a')


def test_history_older_than_the_cutoff_is_expired(store):
    store.put(_definition('a'), 'key')
    assert store.expire_history(0) == 0
    assert store.expire_history(2 ** 62) == 1


@pytest.mark.parametrize('sort_key, descending, expected', [
    ('name', False, ['a', 'b', 'c']),
    ('state', False, ['c', 'a', 'b']),  # ALARM < INSUFFICIENT_DATA < OK, then by id
    ('state_updated_at', True, ['c', 'b', 'a']),
])
def test_a_listing_sorts_by_any_sort_key_and_continues_after_its_marker(
        store, sort_key, descending, expected):
    a = store.put(_definition('a'), 'ka')[0]
    b = store.put(_definition('b'), 'kb')[0]
    c = store.put(_definition('c'), 'kc')[0]
    store.transition(b, 'OK', 'fine', None, run_actions=False)
    store.transition(c, 'ALARM', 'hot', None, run_actions=False)
    ids = {x['id']: x['name'] for x in (a, b, c)}
    first = store.listing('p1', model.AlarmFilter(), sort_key=sort_key, descending=descending,
                          marker=None, limit=2)
    rest = store.listing('p1', model.AlarmFilter(), sort_key=sort_key, descending=descending,
                         marker=first[-1]['id'], limit=2)
    assert [ids[x['id']] for x in first + rest] == expected


def test_a_listing_filters_on_typed_columns(store):
    store.put(_definition('a', severity='critical', namespace='web'), 'ka')
    store.put(_definition('b', namespace='db'), 'kb')
    found = store.listing('p1', model.AlarmFilter(severity='critical', namespace='web',
                                                  type='threshold'),
                          sort_key='name', descending=False, marker=None, limit=10)
    assert [x['name'] for x in found] == ['a']
    with pytest.raises(exceptions.InvalidNextToken):
        store.listing('p1', model.AlarmFilter(), sort_key='name', descending=False,
                      marker='no-such-alarm', limit=10)


@pytest.mark.parametrize('data, raw, expected', [
    ({'a': 1}, {'x': '{"b": [1, 2.5]}', 'y': None}, {'a': 1, 'x': {'b': [1, 2.5]}, 'y': None}),
    ({}, {'x': '"text"'}, {'x': 'text'}),
])
def test_json_texts_are_spliced_into_a_detail_as_values(data, raw, expected):
    assert json.loads(alarm_history.with_json(data, **raw)) == expected


def test_history_reads_only_the_stored_types_asked_in_narrow_rows(store):
    alarm, _ = store.put(_definition(), 'key')
    moved = store.transition(alarm, 'ALARM', 'because', None, run_actions=False)
    store.add_history([alarm_history.history_item(moved, 'Action', 'Delivered',
                                                  {'outcome': 'delivered'})])
    rows = store.history('p1', name=None, alarm_id=alarm['id'],
                         types=(alarm_storage.METRIC,),
                         item_type=('ConfigurationUpdate', 'StateUpdate'), start=None,
                         end=None, ascending=True, after_id=None, limit=10, narrow=True)
    # id, alarm_id, alarm_name, alarm_type, project_id, timestamp, item_type, data
    assert [(r[1], r[2], r[4], r[6]) for r in rows] == [
        (alarm['id'], 'high-cpu', 'p1', 'ConfigurationUpdate'),
        (alarm['id'], 'high-cpu', 'p1', 'StateUpdate')]
    assert json.loads(rows[1][7])['state'] == 'ALARM'
    everything = store.history(None, name='high-cpu', types=(alarm_storage.METRIC,),
                               item_type=None, start=None, end=None, ascending=True,
                               after_id=None, limit=10)
    assert [r.item_type for r in everything][-1] == 'Action'
