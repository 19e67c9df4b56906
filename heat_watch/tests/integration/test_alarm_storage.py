"""Batched alarm transitions on MariaDB and PostgreSQL: MariaDB takes the
one-executemany compare-and-set (summed row count), PostgreSQL the one by
one path; both must record exactly the winners."""

import pytest

from heat_watch.tests.integration import base
from heat_watch.tests.unit.watch import support
from heat_watch.watch.storage import alarms as alarm_storage


@pytest.fixture(scope='module')
def store(backend):
    with base.watch_database(backend, 'alarm_storage') as engine:
        yield alarm_storage.AlarmStore(engine)


def _alarms(store, project: str, names: str) -> list[dict]:
    return [store.put(support.threshold(name, project, threshold=1.0, statistic='Maximum'),
                      'key-' + name)[0] for name in names]


def _state_updates(store, project: str) -> list[str]:
    return sorted(i.alarm_name for i in store.history(
        project, name=None, types=(alarm_storage.METRIC,), item_type='StateUpdate',
        start=None, end=None, ascending=True, after_id=None, limit=100))


def test_a_batch_where_every_transition_wins(store):
    alarms = _alarms(store, 'all-win', 'abc')
    results = store.transitions([alarm_storage.Transition(a, 'ALARM', 'x', '{}', True)
                                 for a in alarms])
    assert [r['state'] for r in results] == ['ALARM'] * 3
    assert {a['name']: a['version'] for a in store.find('all-win')} == {
        a['name']: a['version'] + 1 for a in alarms}
    assert _state_updates(store, 'all-win') == ['a', 'b', 'c']


def test_a_batch_with_a_stale_alarm_records_only_the_others(store):
    first, stale, last = _alarms(store, 'one-lost', 'xyz')
    store.transition(stale, 'OK', 'moved by another engine', None, run_actions=False)
    results = store.transitions([alarm_storage.Transition(a, 'ALARM', 'x', None, False)
                                 for a in (first, stale, last)])
    assert [r and r['name'] for r in results] == ['x', None, 'z']
    assert {a['name']: a['state'] for a in store.find('one-lost')} == {
        'x': 'ALARM', 'y': 'OK', 'z': 'ALARM'}
    assert _state_updates(store, 'one-lost') == ['x', 'y', 'z']
