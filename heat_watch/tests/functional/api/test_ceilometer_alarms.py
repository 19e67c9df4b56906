"""python-ceilometerclient 2.9's alarm commands and library calls against
the REST API of heat-watch-all (noauth: the client's project is "admin")."""

import json
import os
import subprocess

import pytest
from ceilometerclient import client as ceilometer_client
from ceilometerclient.apiclient import exceptions as ceilometer_exc

from heat_watch.tests.functional.api.conftest import unique
from heat_watch.tests.functional.api.test_ceilometerclient import CLI, _rows, cli

GROUP_QUERY = 'metadata.user_metadata.AutoScalingGroupName=web'


@pytest.fixture
def ceilometer(rest_endpoint):
    return ceilometer_client.get_client('2', os_endpoint=rest_endpoint, os_token='noauth')


def cli_fails(endpoint: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    done = subprocess.run([CLI, '--os-endpoint', endpoint, '--os-token', 'noauth', *args],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode != 0, done.stdout
    return done.stderr


def _properties(table: str) -> dict[str, str]:
    return {row[0]: row[1] for row in _rows(table)[1:]}


def _threshold_create(endpoint: str, name: str, *extra: str) -> dict[str, str]:
    return _properties(cli(endpoint, 'alarm-threshold-create', '--name', name,
                           '-m', 'cpu_util', '--threshold', '70',
                           '--comparison-operator', 'gt', '--statistic', 'avg',
                           '--period', '60', '--evaluation-periods', '2',
                           '--severity', 'critical', '--alarm-action', 'log://alarm',
                           '-q', GROUP_QUERY, *extra))


def test_cli_threshold_alarm_lifecycle(rest_endpoint):
    name = unique('cli-cpu')
    shown = _threshold_create(rest_endpoint, name)
    assert (shown['name'], shown['type'], shown['severity'], shown['state'],
            shown['meter_name'], shown['comparison_operator'], shown['threshold']) == (
        name, 'threshold', 'critical', 'insufficient data', 'cpu_util', 'gt', '70.0')
    assert 'metadata.user_metadata.AutoScalingGroupName == web' in shown['query']
    alarm_id = shown['alarm_id']
    listed = _rows(cli(rest_endpoint, 'alarm-list', '-q', 'name=%s' % name))
    assert listed[0][:4] == ['Alarm ID', 'Name', 'State', 'Severity']
    assert [(row[0], row[1], row[3]) for row in listed[1:]] == [(alarm_id, name, 'critical')]
    assert 'avg(cpu_util) > 70.0 during 2 x 60s' in listed[1][6]
    assert _properties(cli(rest_endpoint, 'alarm-show', alarm_id))['name'] == name
    updated = _properties(cli(rest_endpoint, 'alarm-threshold-update', alarm_id,
                              '--threshold', '85', '--description', 'hotter'))
    assert (updated['threshold'], updated['description']) == ('85.0', 'hotter')
    updated = _properties(cli(rest_endpoint, 'alarm-update', alarm_id, '--severity', 'low'))
    assert (updated['severity'], updated['threshold']) == ('low', '85.0')
    assert _properties(cli(rest_endpoint, 'alarm-state-set', alarm_id, '--state',
                           'alarm'))['state'] == 'alarm'
    got = _properties(cli(rest_endpoint, 'alarm-state-get', alarm_id))['state']
    history = _rows(cli(rest_endpoint, 'alarm-history', alarm_id))
    changes = [row for row in history[1:] if row[0]]
    # The engine's next evaluation (every 10 s) restores the true state, as a
    # transition of its own: alarm until then.
    restored = changes[0][:1] + changes[0][2:] == ['state transition',
                                                  'state: insufficient data']
    assert got == 'alarm' or (got == 'insufficient data' and restored)
    changes = changes[1:] if restored else changes
    assert [row[0] for row in changes] == [
        'state transition', 'rule change', 'rule change', 'creation']
    assert changes[0][2] == 'state: alarm'
    creation = '\n'.join(row[2] for row in history[1:])
    assert 'severity: critical' in creation
    assert 'rule: avg(cpu_util) > 70.0 during 2 x 60s' in creation
    cli(rest_endpoint, 'alarm-delete', alarm_id)
    assert 'not found' in cli_fails(rest_endpoint, 'alarm-show', alarm_id).lower()
    history = _rows(cli(rest_endpoint, 'alarm-history', alarm_id))
    assert history[1][0] == 'deletion'


def test_cli_combination_alarm(rest_endpoint):
    first = _threshold_create(rest_endpoint, unique('child'))['alarm_id']
    second = _threshold_create(rest_endpoint, unique('child'))['alarm_id']
    output = cli(rest_endpoint, 'alarm-combination-create', '--name', unique('both'),
                 '--alarm_ids', first, '--alarm_ids', second, '--operator', 'or')
    shown = _properties(output)
    assert (shown['type'], shown['operator']) == ('combination', 'or')
    ids = ''.join(row[1] for row in _rows(output)[1:] if row[0] in ('alarm_ids', ''))
    assert json.loads(ids) == [first, second]


def test_cli_unsupported_requests_get_the_clear_error(rest_endpoint):
    # Ceilometer's default operator is eq, which the engine lacks: said so.
    stderr = cli_fails(rest_endpoint, 'alarm-threshold-create', '--name', unique('eq'),
                       '-m', 'cpu_util', '--threshold', '1')
    assert "comparison_operator has an invalid value: 'eq' is not supported" in stderr
    stderr = cli_fails(rest_endpoint, 'alarm-threshold-create', '--name', unique('tc'),
                       '-m', 'cpu_util', '--threshold', '1', '--time-constraint',
                       'name=night;start=0 23 * * *;duration=3600')
    assert 'time_constraints' in stderr
    stderr = cli_fails(rest_endpoint, 'alarm-threshold-create', '--name', unique('q'),
                       '-m', 'cpu_util', '--threshold', '1', '--comparison-operator', 'gt',
                       '-q', 'resource_id!=vm-1')
    assert 'op eq' in stderr, stderr


def test_library_calls(ceilometer):
    name = unique('lib')
    alarm = ceilometer.alarms.create(
        name=name, type='threshold', severity='moderate', repeat_actions=True,
        threshold_rule={'meter_name': 'cpu_util', 'threshold': 10.0,
                        'comparison_operator': 'lt', 'statistic': 'max',
                        'query': [{'field': 'resource_id', 'op': 'eq', 'value': 'vm-1'}]})
    assert (alarm.rule['comparison_operator'], alarm.severity, alarm.repeat_actions) == (
        'lt', 'moderate', True)
    assert [a.alarm_id for a in ceilometer.alarms.list(
        q=[{'field': 'name', 'value': name}])] == [alarm.alarm_id]
    changed = ceilometer.alarms.update(alarm.alarm_id, enabled=False,
                                       threshold_rule={'threshold': 5.0})
    assert (changed.enabled, changed.rule['threshold'], changed.rule['statistic']) == (
        False, 5.0, 'max')
    assert ceilometer.alarms.set_state(alarm.alarm_id, 'ok') == 'ok'
    # 'ok' until the engine's next evaluation restores the true state.
    assert ceilometer.alarms.get_state(alarm.alarm_id) in ('ok', 'insufficient data')
    history = ceilometer.alarms.get_history(alarm.alarm_id, q=[
        {'field': 'type', 'op': 'eq', 'value': 'state transition'}])
    assert [json.loads(h.detail)['state'] for h in history][-1] == 'ok'
    assert {h.type for h in history} == {'state transition'}
    with pytest.raises(ceilometer_exc.BadRequest) as raised:
        ceilometer.alarms.create(name=unique('bad'), type='threshold', threshold_rule={
            'meter_name': 'm', 'threshold': 1.0, 'exclude_outliers': True})
    assert 'exclude_outliers' in str(raised.value)
    ceilometer.alarms.delete(alarm.alarm_id)
    assert ceilometer.alarms.get(alarm.alarm_id) is None
