"""/v2/alarms behind keystonemiddleware with a real Keystone: a member reaches
only its project's alarms and history through every endpoint, an admin
another project's only by naming it, and aodhclient and
python-ceilometerclient find the API in the catalog."""

import json

import pytest
import requests
from aodhclient import client as aodh_client
from aodhclient import exceptions as aodh_exc
from ceilometerclient import client as ceilometer_client
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from heat_watch.tests import services
from heat_watch.tests.functional.api.conftest import query, unique


@pytest.fixture(scope='module')
def accounts(keystone):
    """A service user, members of two projects and an admin (own project)."""
    suffix = unique('ksa')
    return {
        'service': keystone.account('svc-' + suffix, 'service-' + suffix, role='service'),
        'a': keystone.account('alice-' + suffix, 'proj-a-' + suffix),
        'b': keystone.account('bob-' + suffix, 'proj-b-' + suffix),
        'admin': keystone.account('root-' + suffix, 'ops-' + suffix, role='admin'),
    }


@pytest.fixture(scope='module')
def api(keystone, accounts, tmp_path_factory):
    """heat-watch-all's REST API with auth_strategy = keystone, in the
    catalog as the metering and alarming services: its URL."""
    state = tmp_path_factory.mktemp('keystone-alarms')
    config = state / 'heat_watch.conf'
    config.write_text(keystone.authtoken_config(accounts['service']))
    with services.deployment(str(state), [str(config)],
                             **{'api.auth_strategy': 'keystone'}) as running:
        keystone.register_endpoint('alarming', running.rest_endpoint)
        keystone.register_endpoint('metering', running.rest_endpoint)
        yield running.rest_endpoint


def _call(api: str, method: str, path: str, token: str, **kwargs) -> requests.Response:
    return requests.request(method, api + path, headers={'X-Auth-Token': token},
                            timeout=30, **kwargs)


def _alarm(name: str) -> dict:
    return {'name': name, 'type': 'threshold', 'severity': 'critical',
            'threshold_rule': {'meter_name': 'cpu_util', 'comparison_operator': 'gt',
                               'threshold': 80.0, 'query': [
                                   {'field': 'metadata.user_metadata.AutoScalingGroupName',
                                    'op': 'eq', 'value': 'web'}]}}


@pytest.fixture(scope='module')
def b_alarm(api, keystone, accounts) -> dict:
    made = _call(api, 'POST', '/v2/alarms', keystone.account_token(accounts['b']),
                 json=_alarm(unique('b-alarm')))
    assert made.status_code == 201, made.text
    return made.json()


def test_an_alarm_belongs_to_the_token_project_and_user(api, keystone, accounts, b_alarm):
    assert (b_alarm['project_id'], b_alarm['user_id']) == (
        accounts['b'].project_id, accounts['b'].user_id)
    assert _call(api, 'GET', '/v2/alarms', 'not-a-token').status_code == 401


def test_a_member_never_reaches_another_project_alarms(api, keystone, accounts, b_alarm):
    token = keystone.account_token(accounts['a'])
    alarm_id, name = b_alarm['alarm_id'], b_alarm['name']
    path = '/v2/alarms/%s' % alarm_id
    for params in ({}, query(name=name), query(alarm_id=alarm_id)):
        listed = _call(api, 'GET', '/v2/alarms', token, params=params)
        assert listed.status_code == 200 and alarm_id not in listed.text
    assert _call(api, 'GET', '/v2/alarms', token, params=query(
        project_id=accounts['b'].project_id)).status_code == 403
    assert _call(api, 'GET', path, token).status_code == 404
    assert _call(api, 'GET', path + '/state', token).status_code == 404
    assert _call(api, 'GET', path + '/history', token).json() == []
    assert _call(api, 'PUT', path, token, json=dict(b_alarm, severity='low')).status_code == 404
    assert _call(api, 'PUT', path + '/state', token, json='alarm').status_code == 404
    assert _call(api, 'DELETE', path, token).status_code == 404
    for route, filter_ in (('/v2/query/alarms', {'=': {'name': name}}),
                           ('/v2/query/alarms/history', {'=': {'alarm_id': alarm_id}})):
        found = _call(api, 'POST', route, token, json={'filter': json.dumps(filter_)})
        assert found.status_code == 200 and found.json() == []
        named = _call(api, 'POST', route, token, json={'filter': json.dumps(
            {'=': {'project_id': accounts['b'].project_id}})})
        assert named.status_code == 403
    refused = _call(api, 'POST', '/v2/alarms', token,
                    json=dict(_alarm(unique('planted')), project_id=accounts['b'].project_id))
    assert refused.status_code == 403
    owner = _call(api, 'GET', path, keystone.account_token(accounts['b'])).json()
    assert (owner['severity'], owner['name']) == ('critical', name)


def test_an_admin_reaches_another_project_by_naming_it(api, keystone, accounts, b_alarm):
    token = keystone.account_token(accounts['admin'])
    assert b_alarm['alarm_id'] not in _call(api, 'GET', '/v2/alarms', token).text
    named = _call(api, 'GET', '/v2/alarms', token, params=query(
        project_id=accounts['b'].project_id, name=b_alarm['name']))
    assert [a['alarm_id'] for a in named.json()] == [b_alarm['alarm_id']]
    made = _call(api, 'POST', '/v2/alarms', token, json=dict(
        _alarm(unique('for-b')), project_id=accounts['b'].project_id))
    assert made.status_code == 201 and made.json()['project_id'] == accounts['b'].project_id


def _session(keystone, account) -> ks_session.Session:
    return ks_session.Session(auth=v3.Password(
        auth_url=keystone.url, username=account.user_name, password=account.password,
        project_name=account.project_name, user_domain_id='default',
        project_domain_id='default'))


def test_aodhclient_and_ceilometerclient_through_the_catalog(api, keystone, accounts):
    aodh_a = aodh_client.Client('2', session=_session(keystone, accounts['a']))
    made = aodh_a.alarm.create(_alarm(unique('aodh')))
    assert made['project_id'] == accounts['a'].project_id
    assert aodh_a.alarm.set_state(made['alarm_id'], 'alarm') == 'alarm'
    history = aodh_a.alarm_history.get(made['alarm_id'])
    assert [h['type'] for h in history][-2:] == ['state transition', 'creation']
    ceilometer_a = ceilometer_client.get_client('2', session=_session(keystone, accounts['a']))
    assert ceilometer_a.alarms.get(made['alarm_id']).severity == 'critical'
    aodh_b = aodh_client.Client('2', session=_session(keystone, accounts['b']))
    with pytest.raises(aodh_exc.NotFound):
        aodh_b.alarm.get(made['alarm_id'])
    assert aodh_b.alarm.query(json.dumps({'=': {'name': made['name']}})) == []
    assert ceilometer_client.get_client('2', session=_session(keystone, accounts['b'])) \
        .alarms.get(made['alarm_id']) is None
    aodh_a.alarm.delete(made['alarm_id'])
