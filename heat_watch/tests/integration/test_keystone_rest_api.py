"""The REST API behind keystonemiddleware, validating real tokens of a real
Keystone: who may read what, with the policy's defaults."""

import os
import subprocess
import sys

import pytest
import requests
from ceilometerclient import client as ceilometer_client
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from heat_watch.tests import services
from heat_watch.tests.functional.api.conftest import query, unique

SAMPLE = {'counter_type': 'gauge', 'counter_unit': '%', 'counter_volume': 42.0}


@pytest.fixture(scope='module')
def accounts(keystone):
    """A service user, members of two projects and an admin (own project)."""
    suffix = unique('ks')
    return {
        'service': keystone.account('svc-' + suffix, 'service-' + suffix, role='service'),
        'a': keystone.account('alice-' + suffix, 'proj-a-' + suffix),
        'b': keystone.account('bob-' + suffix, 'proj-b-' + suffix),
        'admin': keystone.account('root-' + suffix, 'ops-' + suffix, role='admin'),
    }


@pytest.fixture(scope='module')
def api(keystone, accounts, tmp_path_factory):
    """heat-watch-all's REST API with auth_strategy = keystone: its URL."""
    state = tmp_path_factory.mktemp('keystone-api')
    config = state / 'heat_watch.conf'
    config.write_text(keystone.authtoken_config(accounts['service']))
    with services.deployment(str(state), [str(config)],
                             **{'api.auth_strategy': 'keystone'}) as running:
        yield running.rest_endpoint


def _get(api: str, path: str, token: str | None, headers: dict | None = None,
         **kwargs) -> requests.Response:
    headers = dict(headers or {}, **({'X-Auth-Token': token} if token else {}))
    return requests.get(api + path, headers=headers, timeout=30, **kwargs)


def _post(api: str, path: str, token: str, body) -> requests.Response:
    return requests.post(api + path, json=body, headers={'X-Auth-Token': token}, timeout=30)


def test_a_valid_token_is_accepted_and_names_the_project(api, keystone, accounts):
    token = keystone.account_token(accounts['a'])
    meter = unique('cpu')
    created = _post(api, '/v2/meters/%s' % meter, token, [dict(SAMPLE, resource_id='vm-1')])
    assert created.status_code == 201, created.text
    assert created.json()[0]['project_id'] == accounts['a'].project_id
    assert created.json()[0]['user_id'] == accounts['a'].user_id
    listed = _get(api, '/v2/meters/%s' % meter, token)
    assert listed.status_code == 200
    assert [s['counter_volume'] for s in listed.json()] == [42.0]


def test_a_missing_or_invalid_token_is_refused_with_401(api):
    for token in (None, 'not-a-token', 'gAAAAABinvalidfernettoken'):
        response = _get(api, '/v2/meters', token)
        assert response.status_code == 401, response.text
        fault = response.json()['error_message']
        assert fault['faultcode'] == 'Client' and fault['faultstring']
    assert 'Keystone uri=' in response.headers['WWW-Authenticate']


def test_the_versions_and_healthcheck_need_no_token(api):
    assert _get(api, '/', None).json()['versions']['values'][0]['id'] == 'v2'
    assert _get(api, '/healthcheck', None).status_code == 200
    assert _get(api, '/v2', None).status_code == 401


def test_identity_headers_of_the_caller_are_not_trusted(api, keystone, accounts):
    token = keystone.account_token(accounts['a'])
    meter = unique('spoof')
    _post(api, '/v2/meters/%s' % meter, keystone.account_token(accounts['b']),
          [dict(SAMPLE, resource_id='vm-b')])
    spoofed = _get(api, '/v2/meters/%s' % meter, token,
                   headers={'X-Project-Id': accounts['b'].project_id, 'X-Roles': 'admin'})
    assert spoofed.status_code == 200 and spoofed.json() == []


def test_a_member_sees_only_its_project(api, keystone, accounts):
    token_a, token_b = (keystone.account_token(accounts[n]) for n in 'ab')
    meter = unique('mem')
    assert _post(api, '/v2/meters/%s' % meter, token_b,
                 [dict(SAMPLE, resource_id='vm-b')]).status_code == 201
    for path in ('/v2/meters', '/v2/samples', '/v2/resources', '/v2/meters/%s' % meter,
                 '/v2/meters/%s/statistics' % meter):
        mine = _get(api, path, token_a, params=query(meter=meter)
                    if path in ('/v2/meters', '/v2/samples') else None)
        assert mine.status_code == 200 and 'vm-b' not in mine.text, (path, mine.text)
        named = _get(api, path, token_a, params=query(project_id=accounts['b'].project_id))
        assert named.status_code == 403, (path, named.text)
        assert _get(api, path, token_a, params={'all_projects': 'true'}).status_code == 403
    refused = _post(api, '/v2/meters/%s' % meter, token_a,
                    [dict(SAMPLE, resource_id='vm-x', project_id=accounts['b'].project_id)])
    assert refused.status_code == 403
    assert len(_get(api, '/v2/meters/%s' % meter, token_b).json()) == 1


def test_an_admin_reads_other_projects_when_asking(api, keystone, accounts):
    token_b, token_admin = (keystone.account_token(accounts[n]) for n in ('b', 'admin'))
    meter = unique('net')
    _post(api, '/v2/meters/%s' % meter, token_b, [dict(SAMPLE, resource_id='vm-b')])
    assert _get(api, '/v2/meters/%s' % meter, token_admin).json() == []
    named = _get(api, '/v2/meters/%s' % meter, token_admin,
                 params=query(project_id=accounts['b'].project_id))
    assert named.status_code == 200
    assert [s['resource_id'] for s in named.json()] == ['vm-b']
    everything = _get(api, '/v2/meters', token_admin,
                      params=dict(query(meter=meter), all_projects='true'))
    assert [m['project_id'] for m in everything.json()] == [accounts['b'].project_id]


def test_a_token_without_project_reads_everything_only_when_asking(api, keystone,
                                                                  accounts):
    meter = unique('sys')
    _post(api, '/v2/meters/%s' % meter, keystone.account_token(accounts['b']),
          [dict(SAMPLE, resource_id='vm-b')])
    system = keystone.system_token()
    refused = _get(api, '/v2/meters', system, params=query(meter=meter))
    assert refused.status_code == 403 and 'no project' in refused.text
    everything = _get(api, '/v2/meters', system,
                      params=dict(query(meter=meter), all_projects='true'))
    assert everything.status_code == 200
    assert [m['project_id'] for m in everything.json()] == [accounts['b'].project_id]


def _session(keystone, account) -> ks_session.Session:
    return ks_session.Session(auth=v3.Password(
        auth_url=keystone.url, username=account.user_name, password=account.password,
        project_name=account.project_name, user_domain_id='default',
        project_domain_id='default'))


@pytest.fixture(scope='module')
def catalogued(keystone, api) -> str:
    """The API registered in Keystone's catalog as the metering and alarming
    services (python-ceilometerclient sends alarm calls to the alarming one)."""
    keystone.register_endpoint('metering', api)
    keystone.register_endpoint('alarming', api)
    return api


def test_ceilometerclient_finds_the_api_in_the_catalog(catalogued, keystone, accounts):
    meter, resource = unique('cc'), unique('vm')
    client_a = ceilometer_client.get_client('2', session=_session(keystone, accounts['a']))
    created = client_a.samples.create(counter_name=meter, counter_type='gauge',
                                      counter_unit='%', counter_volume=12,
                                      resource_id=resource)
    assert created[0].project_id == accounts['a'].project_id
    assert [s.counter_volume for s in client_a.samples.list(meter_name=meter)] == [12.0]
    assert client_a.statistics.list(meter)[0].max == 12.0
    client_b = ceilometer_client.get_client('2', session=_session(keystone, accounts['b']))
    assert client_b.samples.list(meter_name=meter) == []
    assert client_b.meters.list(q=[{'field': 'resource_id', 'value': resource}]) == []


def test_ceilometer_cli_with_keystone_credentials(catalogued, keystone, accounts):
    meter = unique('cli')
    account = accounts['a']
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env.update({'OS_AUTH_URL': keystone.url, 'OS_USERNAME': account.user_name,
                'OS_PASSWORD': account.password, 'OS_PROJECT_NAME': account.project_name,
                'OS_USER_DOMAIN_ID': 'default', 'OS_PROJECT_DOMAIN_ID': 'default',
                'OS_REGION_NAME': 'RegionOne'})
    cli = os.path.join(os.path.dirname(sys.executable), 'ceilometer')

    def run(*args: str) -> str:
        done = subprocess.run([cli, *args], capture_output=True, text=True, env=env,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run('sample-create', '-r', 'vm-1', '-m', meter, '--meter-type', 'gauge',
        '--meter-unit', 'B', '--sample-volume', '2048')
    listed = run('sample-list', '-m', meter)
    assert '2048.0' in listed and 'vm-1' in listed
    assert meter in run('meter-list')


def _alarm(name: str) -> dict:
    return {'name': name, 'type': 'threshold', 'severity': 'low',
            'threshold_rule': {'meter_name': 'cpu_util', 'threshold': 70.0,
                               'comparison_operator': 'gt', 'statistic': 'avg',
                               'period': 60, 'evaluation_periods': 1}}


def test_alarms_of_every_project_only_for_an_admin_asking(api, keystone, accounts):
    token_a, token_b, token_admin = (keystone.account_token(accounts[n])
                                     for n in ('a', 'b', 'admin'))
    name = unique('ks-alarm')
    made = _post(api, '/v2/alarms', token_b, _alarm(name))
    assert made.status_code == 201, made.text
    for params in ({'all_projects': 'true'}, query(all_projects='true')):
        refused = _get(api, '/v2/alarms', token_a, params=params)
        assert refused.status_code == 403 and name not in refused.text, refused.text
    assert name not in _get(api, '/v2/alarms', token_admin).text
    everything = _get(api, '/v2/alarms', token_admin,
                      params=dict(query(name=name), all_projects='true'))
    assert [(a['name'], a['project_id']) for a in everything.json()] == [
        (name, accounts['b'].project_id)]
    system = keystone.system_token()
    assert _get(api, '/v2/alarms', system).status_code == 403
    listed = _get(api, '/v2/alarms', system, params=dict(query(name=name),
                                                        all_projects='true'))
    assert listed.status_code == 200, listed.text
    assert [a['project_id'] for a in listed.json()] == [accounts['b'].project_id]
