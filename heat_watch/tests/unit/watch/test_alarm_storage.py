"""Alarm storage on SQLite: configuration history, compare-and-set transitions."""

import json

import pytest
from oslo_config import cfg

from heat_watch.common import exceptions
from heat_watch.watch.storage import alarms as alarm_storage
from heat_watch.watch.storage import connection


@pytest.fixture
def store(tmp_path):
    conf = cfg.ConfigOpts()
    conf.register_opts([cfg.StrOpt('state_path', default=str(tmp_path))])
    connection.register_opts(conf)
    conf([])
    connection.db_sync(conf)
    yield alarm_storage.AlarmStore(connection.get_engine(conf))
    connection.dispose_engines()


def _definition(name: str = 'high-cpu', **extra) -> dict:
    return dict({'AlarmName': name, 'Namespace': 'ns', 'MetricName': 'cpu', 'Period': 60,
                 'EvaluationPeriods': 1, 'Threshold': 80.0, 'Statistic': 'Average',
                 'ComparisonOperator': 'GreaterThanThreshold'}, **extra)


def test_a_new_alarm_starts_in_insufficient_data_with_a_creation_item(store):
    alarm, created = store.put('p1', alarm_storage.METRIC, _definition(), 'key')
    assert created
    assert alarm['state'] == 'INSUFFICIENT_DATA'
    items = store.history('p1', name='high-cpu', types=(alarm_storage.METRIC,), item_type=None,
                          start=None, end=None, ascending=True, after_id=None, limit=10)
    assert [(i.item_type, i.summary) for i in items] == [
        ('ConfigurationUpdate', 'Alarm "high-cpu" created')]


def test_updating_an_alarm_keeps_its_state_and_records_both_versions(store):
    alarm, _ = store.put('p1', alarm_storage.METRIC, _definition(), 'key')
    store.transition(alarm, 'ALARM', 'because', None, run_actions=False)
    updated, created = store.put('p1', alarm_storage.METRIC, _definition(Threshold=90.0), 'key')
    assert not created
    assert updated['state'] == 'ALARM'
    assert store.get('p1', 'high-cpu')['definition']['Threshold'] == 90.0
    items = store.history('p1', name='high-cpu', types=(alarm_storage.METRIC,),
                          item_type='ConfigurationUpdate', start=None, end=None,
                          ascending=False, after_id=None, limit=10)
    data = json.loads(items[0].data)
    assert data['type'] == 'Update'
    assert data['originalAlarm']['Threshold'] == 80.0


def test_only_one_of_two_concurrent_transitions_wins(store):
    alarm, _ = store.put('p1', alarm_storage.METRIC, _definition(), 'key')
    first = store.transition(alarm, 'ALARM', 'engine a', None, run_actions=True)
    second = store.transition(alarm, 'OK', 'engine b', None, run_actions=True)
    assert first is not None and second is None
    assert store.get('p1', 'high-cpu')['state'] == 'ALARM'
    updates = store.history('p1', name='high-cpu', types=(alarm_storage.METRIC,),
                            item_type='StateUpdate', start=None, end=None, ascending=True,
                            after_id=None, limit=10)
    assert len(updates) == 1


def test_deleting_with_an_unknown_name_deletes_nothing(store):
    store.put('p1', alarm_storage.METRIC, _definition('a'), 'key')
    with pytest.raises(exceptions.AlarmNotFound):
        store.delete('p1', ['a', 'missing'])
    assert store.get('p1', 'a')['name'] == 'a'


def test_another_project_cannot_see_or_delete_an_alarm(store):
    store.put('p1', alarm_storage.METRIC, _definition('a'), 'key')
    assert store.find('p2') == []
    with pytest.raises(exceptions.AlarmNotFound):
        store.delete('p2', ['a'])
    with pytest.raises(exceptions.AlarmNotFound):
        store.get('p2', 'a')


def test_history_older_than_the_cutoff_is_expired(store):
    store.put('p1', alarm_storage.METRIC, _definition('a'), 'key')
    assert store.expire_history(0) == 0
    assert store.expire_history(2 ** 62) == 1
