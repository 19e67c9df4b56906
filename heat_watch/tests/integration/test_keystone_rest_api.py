"""The REST API behind keystonemiddleware, validating real tokens of a real
Keystone: who may read what, with the policy's defaults."""

import pytest
import requests

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
