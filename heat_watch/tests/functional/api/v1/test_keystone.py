"""/v1 behind keystonemiddleware with a real Keystone: python-heatclient
finds the API in Keystone's catalog as the orchestration service, its
token names the project, and another project's stacks are invisible."""

import pytest
import requests
from heatclient import client as heat_client
from heatclient import exc as heat_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from heat_watch.tests import keystone as keystone_server
from heat_watch.tests import services
from heat_watch.tests.functional.api.v1.conftest import unique, wait_for_status

TEMPLATE = {'heat_template_version': '2021-04-16',
            'resources': {'word': {'type': 'OS::Heat::TestResource',
                                   'properties': {'value': 'secret-of-a'}}},
            'outputs': {'said': {'value': {'get_attr': ['word', 'output']}}}}


@pytest.fixture(scope='module')
def keystone(tmp_path_factory):
    """A real Keystone of this module (skips/fails when it cannot run)."""
    yield from keystone_server.running(str(tmp_path_factory.mktemp('keystone')))


@pytest.fixture(scope='module')
def accounts(keystone):
    suffix = unique('heat')
    return {
        'service': keystone.account('svc-' + suffix, 'service-' + suffix, role='service'),
        'a': keystone.account('alice-' + suffix, 'proj-a-' + suffix),
        'b': keystone.account('bob-' + suffix, 'proj-b-' + suffix),
    }


@pytest.fixture(scope='module')
def api(keystone, accounts, tmp_path_factory):
    """heat-watch-all's REST API with auth_strategy = keystone, registered
    as the orchestration endpoint (``/v1/%(tenant_id)s``, as devstack does)."""
    state = tmp_path_factory.mktemp('keystone-heat-api')
    config = state / 'heat_watch.conf'
    config.write_text(keystone.authtoken_config(accounts['service']))
    with services.deployment(str(state), [str(config)],
                             **{'api.auth_strategy': 'keystone'}) as running:
        keystone.register_endpoint('orchestration',
                                   running.rest_endpoint + '/v1/%(tenant_id)s')
        yield running.rest_endpoint


def _heat(keystone, account):
    session = ks_session.Session(auth=v3.Password(
        auth_url=keystone.url, username=account.user_name, password=account.password,
        project_name=account.project_name, user_domain_id='default',
        project_domain_id='default'))
    return heat_client.Client('1', session=session)


def test_heatclient_with_a_keystone_token_acts_in_its_project(api, keystone, accounts):
    heat_a, heat_b = _heat(keystone, accounts['a']), _heat(keystone, accounts['b'])
    name = unique('ks')
    stack_id = heat_a.stacks.create(stack_name=name, template=TEMPLATE)['stack']['id']
    stack = wait_for_status(heat_a, stack_id)
    assert stack.stack_status == 'CREATE_COMPLETE', stack.stack_status_reason
    assert stack.stack_owner == accounts['a'].user_id
    assert stack.links[0]['href'].startswith(
        '%s/v1/%s/stacks/%s/' % (api, accounts['a'].project_id, name))
    assert [s.stack_name for s in heat_a.stacks.list()] == [name]

    assert list(heat_b.stacks.list()) == []
    for ref in (name, stack_id):
        with pytest.raises(heat_exc.HTTPNotFound):
            heat_b.stacks.get(ref)
    with pytest.raises(heat_exc.HTTPNotFound):
        heat_b.resources.list(stack_id)

    # B's token on A's path: refused, whatever identity headers B adds.
    token_b = keystone.account_token(accounts['b'])
    for headers in ({}, {'X-Project-Id': accounts['a'].project_id, 'X-Roles': 'admin'}):
        refused = requests.get('%s/v1/%s/stacks' % (api, accounts['a'].project_id),
                               headers=dict(headers, **{'X-Auth-Token': token_b}), timeout=30)
        assert refused.status_code == 403, refused.text
        assert refused.json()['error']['type'] == 'Forbidden'
        assert 'secret-of-a' not in refused.text and name not in refused.text

    heat_a.stacks.delete(stack_id)
    assert wait_for_status(heat_a, stack_id).stack_status == 'DELETE_COMPLETE'


def test_a_missing_or_invalid_token_is_a_heat_401(api, accounts):
    for headers in ({}, {'X-Auth-Token': 'not-a-token'}):
        refused = requests.get('%s/v1/%s/stacks' % (api, accounts['a'].project_id),
                               headers=headers, timeout=30)
        assert refused.status_code == 401
        body = refused.json()
        assert body['code'] == 401 and body['title'] == 'Unauthorized'
        assert body['error']['message']
