"""A watch database at revision 004 with alarms and history in it, and the
checks that revision 005 (the engine's own model) kept every field of it.
Shared by the SQLite unit test and the MariaDB/PostgreSQL integration test."""

import json

import sqlalchemy as sa

from heat_watch.watch import model
from heat_watch.watch.storage import alarms as alarm_storage
from heat_watch.watch.storage import records

T = 1_790_000_000_000
METRIC = {
    'AlarmName': 'cpu-high', 'AlarmDescription': 'scale up', 'ActionsEnabled': True,
    'OKActions': ['https://h/ok?Signature=s'], 'AlarmActions': ['https://h/up'],
    'InsufficientDataActions': [], 'Tags': [{'Key': 'stack', 'Value': 'web'}],
    'RepeatActions': True, 'Severity': 'critical', 'MetricName': 'CPUUtilization',
    'Namespace': 'system/linux',
    'Dimensions': [{'Name': 'Group', 'Value': 'g1'}, {'Name': 'AZ', 'Value': 'a'}],
    'Unit': 'Percent', 'Statistic': None, 'ExtendedStatistic': 'p99.5',
    'EvaluateLowSampleCountPercentile': 'ignore', 'Period': 300, 'EvaluationPeriods': 3,
    'DatapointsToAlarm': 2, 'ComparisonOperator': 'GreaterThanOrEqualToThreshold',
    'Threshold': 72.5, 'TreatMissingData': 'breaching'}
PLAIN = {'AlarmName': 'disk-full', 'Namespace': 'ns', 'MetricName': 'disk',
         'Statistic': 'Average', 'Period': 60, 'EvaluationPeriods': 1, 'Threshold': 90,
         'ComparisonOperator': 'GreaterThanThreshold', 'ActionsEnabled': False}
COMPOSITE = {'AlarmName': 'service-down', 'AlarmDescription': None, 'ActionsEnabled': True,
             'OKActions': [], 'AlarmActions': ['log://down'], 'InsufficientDataActions': [],
             'Tags': [], 'RepeatActions': False, 'Severity': 'low',
             'AlarmRule': 'ALARM("cpu-high") AND NOT OK(disk-full)'}
REASON_DATA = {'version': '1.0', 'threshold': 72.5, 'recentDatapoints': [80.0, 90.0]}


def _alarm_row(alarm_id, alarm_type, definition, key, state, reason_data, version):
    return {'id': alarm_id, 'project_id': 'p1', 'name': definition['AlarmName'],
            'alarm_type': alarm_type, 'definition': json.dumps(definition), 'metric_key': key,
            'actions_enabled': definition.get('ActionsEnabled', True), 'state': state,
            'state_reason': 'reason of ' + definition['AlarmName'],
            'state_reason_data': json.dumps(reason_data) if reason_data else None,
            'state_updated_at': T + 50, 'state_transitioned_at': T + 40,
            'configuration_updated_at': T + 10, 'actions_run_at': T + 45, 'version': version}


def fill_004(engine: sa.Engine) -> None:
    """Two metric alarms and a composite one, each with history, as 004 stored them."""
    meta = sa.MetaData()
    meta.reflect(engine, only=['alarms', 'alarm_history'])
    rows = [
        _alarm_row('01-metric', 'MetricAlarm', METRIC, 'k' * 64, 'ALARM', REASON_DATA, 7),
        _alarm_row('02-plain', 'MetricAlarm', PLAIN, 'd' * 64, 'INSUFFICIENT_DATA', None, 1),
        _alarm_row('03-composite', 'CompositeAlarm', COMPOSITE, None, 'OK', None, 3)]
    history = []
    for row in rows:
        definition = json.loads(row['definition'])
        history += [
            {'alarm_id': row['id'], 'project_id': 'p1', 'alarm_name': row['name'],
             'alarm_type': row['alarm_type'], 'timestamp': T, 'item_type': 'ConfigurationUpdate',
             'summary': 'Alarm "%s" created' % row['name'],
             'data': json.dumps({'version': '1.0', 'type': 'Create',
                                 'createdAlarm': definition})},
            {'alarm_id': row['id'], 'project_id': 'p1', 'alarm_name': row['name'],
             'alarm_type': row['alarm_type'], 'timestamp': T + 40, 'item_type': 'StateUpdate',
             'summary': 'Alarm updated from INSUFFICIENT_DATA to %s' % row['state'],
             'data': json.dumps({'version': '1.0',
                                 'newState': {'stateValue': row['state']}})},
            {'alarm_id': row['id'], 'project_id': 'p1', 'alarm_name': row['name'],
             'alarm_type': row['alarm_type'], 'timestamp': T + 45, 'item_type': 'Action',
             'summary': 'Successfully executed action https://h/up',
             'data': json.dumps({'actionState': 'Succeeded'})}]
    with engine.begin() as conn:
        conn.execute(meta.tables['alarms'].insert(), rows)
        conn.execute(meta.tables['alarm_history'].insert(), history)


def expected_definitions() -> dict[str, model.AlarmDefinition]:
    """What the three alarms must read as after the upgrade."""
    return {
        'cpu-high': model.AlarmDefinition(
            id='01-metric', project_id='p1', name='cpu-high', description='scale up',
            rule=model.ThresholdRule(
                metric=model.MetricSelector('system/linux', 'CPUUtilization',
                                            (('AZ', 'a'), ('Group', 'g1')), 'Percent'),
                period=300, evaluation_periods=3, comparison='GreaterThanOrEqualToThreshold',
                threshold=72.5, percentile=99.5, datapoints_to_alarm=2,
                missing_data='breaching', low_sample_count='ignore'),
            actions={'OK': ['https://h/ok?Signature=s'], 'ALARM': ['https://h/up']},
            actions_enabled=True, repeat_actions=True, severity='critical',
            tags=[{'Key': 'stack', 'Value': 'web'}], created_at=T, updated_at=T + 10),
        'disk-full': model.AlarmDefinition(
            id='02-plain', project_id='p1', name='disk-full',
            rule=model.ThresholdRule(
                metric=model.MetricSelector('ns', 'disk'), period=60, evaluation_periods=1,
                comparison='GreaterThanThreshold', threshold=90.0, statistic='Average'),
            actions_enabled=False, created_at=T, updated_at=T + 10),
        'service-down': model.AlarmDefinition(
            id='03-composite', project_id='p1', name='service-down',
            rule=model.CompositeRule('ALARM("cpu-high") AND NOT OK(disk-full)'),
            actions={'ALARM': ['log://down']}, created_at=T, updated_at=T + 10)}


def check_upgraded(engine: sa.Engine) -> None:
    """Every field and every history item of fill_004 survived, in the new shape."""
    store = alarm_storage.AlarmStore(engine)
    expected = expected_definitions()
    for name, definition in expected.items():
        stored = store.get('p1', name)
        assert records.definition_of(stored) == definition, name
        assert stored['state_reason'] == 'reason of ' + name
        assert (stored['state_updated_at'], stored['state_transitioned_at'],
                stored['actions_run_at']) == (T + 50, T + 40, T + 45)
    metric = records.state_of(store.get('p1', 'cpu-high'))
    assert (metric.state, metric.version, metric.reason_data) == ('ALARM', 7, REASON_DATA)
    assert store.get('p1', 'disk-full')['state_reason_data'] is None
    assert store.get('p1', 'cpu-high')['metric_key'] == 'k' * 64
    assert [a['name'] for a in store.for_metric_keys(['d' * 64])] == ['disk-full']
    items = store.history('p1', name=None, types=('threshold', 'composite'), item_type=None,
                          start=None, end=None, ascending=True, after_id=None, limit=100)
    assert len(items) == 9
    assert {i.alarm_type for i in items} == {'threshold', 'composite'}
    created = [records.history_of(i) for i in items if i.item_type == 'ConfigurationUpdate']
    assert {i.alarm_name: i.detail['createdAlarm']['AlarmName'] for i in created} == {
        n: n for n in expected}
    assert sorted(records.history_of(i).type for i in items) == sorted(
        ['creation', 'state transition', 'action'] * 3)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert 'alarms_004' not in tables and {'alarm_states', 'alarm_action_outbox'} <= tables
