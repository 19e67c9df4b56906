"""aodhclient (``aodh`` CLI and library) against the REST API of
heat-watch-all, with aodhclient's noauth plugin (X-Project-Id headers)."""

import json
import os
import subprocess
import sys

import pytest
from aodhclient import client as aodh_client
from aodhclient import exceptions as aodh_exc
from aodhclient import noauth
from keystoneauth1 import session as ks_session

from heat_watch.tests.functional.api.conftest import unique

AODH = os.path.join(os.path.dirname(sys.executable), 'aodh')
PROJECT, USER = 'aodh-project', 'aodh-user'


def aodh(endpoint: str, *args: str, ok: bool = True, project: str = PROJECT) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    done = subprocess.run([AODH, '--os-auth-type', 'aodh-noauth', '--user-id', USER,
                           '--project-id', project, '--roles', 'member',
                           '--aodh-endpoint', endpoint, *args],
                          capture_output=True, text=True, env=env, timeout=120)
    assert (done.returncode == 0) == ok, done.stdout + done.stderr
    return done.stdout if ok else done.stderr


def aodh_json(endpoint: str, *args: str, project: str = PROJECT):
    return json.loads(aodh(endpoint, *args, '-f', 'json', project=project))


@pytest.fixture
def library(rest_endpoint):
    plugin = noauth.AodhNoAuthPlugin(USER, PROJECT, 'member', rest_endpoint)
    return aodh_client.Client('2', session=ks_session.Session(auth=plugin))


def _create(endpoint: str, name: str, *extra: str) -> dict:
    return aodh_json(endpoint, 'alarm', 'create', '--type', 'threshold', '--name', name,
                     '-m', 'cpu_util', '--threshold', '70', '--comparison-operator', 'gt',
                     '--statistic', 'max', '--period', '60', '--evaluation-periods', '3',
                     '--severity', 'critical', '--alarm-action', 'log://alarm',
                     '--query', 'metadata.user_metadata.AutoScalingGroupName=web', *extra)


def test_cli_alarm_lifecycle_by_id_and_by_name(rest_endpoint):
    name = unique('aodh-cpu')
    made = _create(rest_endpoint, name)
    assert (made['name'], made['type'], made['severity'], made['state'], made['meter_name'],
            made['statistic'], made['evaluation_periods'], made['project_id']) == (
        name, 'threshold', 'critical', 'insufficient data', 'cpu_util', 'max', 3, PROJECT)
    assert made['query'] == 'metadata.user_metadata.AutoScalingGroupName = web AND\n' \
                            'project_id = %s' % PROJECT
    alarm_id = made['alarm_id']
    listed = aodh_json(rest_endpoint, 'alarm', 'list', '--filter', 'name=%s' % name)
    assert [(a['alarm_id'], a['type'], a['severity']) for a in listed] == [
        (alarm_id, 'threshold', 'critical')]
    assert aodh_json(rest_endpoint, 'alarm', 'show', alarm_id)['name'] == name
    # by name: aodhclient finds it through POST /v2/query/alarms
    assert aodh_json(rest_endpoint, 'alarm', 'show', '--name', name)['alarm_id'] == alarm_id
    updated = aodh_json(rest_endpoint, 'alarm', 'update', alarm_id, '--threshold', '80',
                        '--severity', 'low')
    assert (updated['threshold'], updated['severity'], updated['statistic']) == (
        80.0, 'low', 'max')
    updated = aodh_json(rest_endpoint, 'alarm', 'update', '--name', name,
                        '--description', 'by name')
    assert (updated['description'], updated['threshold']) == ('by name', 80.0)
    assert aodh_json(rest_endpoint, 'alarm', 'state', 'set', alarm_id, '--state',
                     'ok') == {'state': 'ok'}
    assert aodh_json(rest_endpoint, 'alarm', 'state', 'get', alarm_id)['state'] in (
        'ok', 'insufficient data')  # the engine's next evaluation restores its truth
    history = aodh_json(rest_endpoint, 'alarm-history', 'show', alarm_id)
    kinds = [h['type'] for h in history]
    assert kinds[-4:] == ['state transition', 'rule change', 'rule change', 'creation']
    creation = json.loads(history[-1]['detail'])
    assert (creation['severity'], creation['name']) == ('critical', name)
    found = aodh_json(rest_endpoint, 'alarm-history', 'search', '--query',
                      'alarm_id=%s and type=creation' % alarm_id)
    assert [(h['alarm_id'], h['type']) for h in found] == [(alarm_id, 'creation')]
    aodh(rest_endpoint, 'alarm', 'delete', '--name', name)
    assert 'not found' in aodh(rest_endpoint, 'alarm', 'show', alarm_id, ok=False).lower()
    assert aodh_json(rest_endpoint, 'alarm-history', 'show', alarm_id)[0]['type'] == \
        'deletion'


def test_cli_list_sort_limit_and_rich_query(rest_endpoint):
    prefix = unique('sorted')
    for letter in 'abc':
        _create(rest_endpoint, '%s-%s' % (prefix, letter))
    listed = aodh_json(rest_endpoint, 'alarm', 'list', '--sort', 'name:desc', '--limit',
                       '1000')
    ours = [a['name'] for a in listed if a['name'].startswith(prefix)]
    assert ours == ['%s-c' % prefix, '%s-b' % prefix, '%s-a' % prefix]
    queried = aodh_json(rest_endpoint, 'alarm', 'list', '--query',
                        # (unquoted, aodhclient's parser stops a value at '-')
                        'name="%s-a" or name="%s-c"' % (prefix, prefix))
    assert sorted(a['name'] for a in queried) == ['%s-a' % prefix, '%s-c' % prefix]


def test_cli_unsupported_types_and_rules_get_the_clear_error(rest_endpoint):
    stderr = aodh(rest_endpoint, 'alarm', 'create', '--type', 'gnocchi_resources_threshold',
                  '--name', unique('g'), '--metric', 'cpu', '--threshold', '1',
                  '--resource-id', 'r', '--resource-type', 'instance',
                  '--aggregation-method', 'mean', ok=False)
    assert 'type' in stderr and 'threshold, combination, composite' in stderr
    stderr = aodh(rest_endpoint, 'alarm', 'create', '--type', 'composite', '--name',
                  unique('c'), '--composite-rule', json.dumps({'or': [
                      {'type': 'threshold', 'meter_name': 'cpu', 'threshold': 1}]}), ok=False)
    assert 'inline threshold rules' in stderr
    stderr = aodh(rest_endpoint, 'alarm', 'create', '--type', 'threshold', '--name',
                  unique('tc'), '-m', 'cpu', '--threshold', '1', '--comparison-operator', 'gt',
                  '--time-constraint', 'name=night;start=0 23 * * *;duration=3600', ok=False)
    assert 'time_constraints' in stderr


def test_library_calls_and_isolation(library, rest_endpoint):
    name = unique('aodh-lib')
    alarm = library.alarm.create({'name': name, 'type': 'threshold', 'threshold_rule': {
        'meter_name': 'mem', 'threshold': 1.0, 'comparison_operator': 'ge',
        'query': [{'field': 'resource_id', 'op': 'eq', 'value': 'vm-9'}]}})
    assert library.alarm.get(alarm['alarm_id'])['threshold_rule']['comparison_operator'] == 'ge'
    assert [a['alarm_id'] for a in library.alarm.query(json.dumps({'=': {'name': name}}))] \
        == [alarm['alarm_id']]
    assert library.alarm.update(alarm['alarm_id'], {'severity': 'moderate'})['severity'] == \
        'moderate'
    history = library.alarm_history.get(alarm['alarm_id'], sorts=['timestamp:asc'])
    assert [h['type'] for h in history] == ['creation', 'rule change']
    # Another project sees none of it, through any call.
    other = aodh_client.Client('2', session=ks_session.Session(auth=noauth.AodhNoAuthPlugin(
        'someone', unique('other-project'), 'member', rest_endpoint)))
    with pytest.raises(aodh_exc.NotFound):
        other.alarm.get(alarm['alarm_id'])
    assert other.alarm.query(json.dumps({'=': {'name': name}})) == []
    assert other.alarm_history.get(alarm['alarm_id']) == []
    with pytest.raises(aodh_exc.NotFound):
        other.alarm.delete(alarm['alarm_id'])
    library.alarm.delete(alarm['alarm_id'])
