"""The nova compute driver against recorded Keystone, Glance and Nova
answers (a requests-level mock: Nova cannot run here)."""

import base64

import pytest
import requests_mock
from oslo_config import cfg

from heat_watch import opts
from heat_watch.common import exceptions
from heat_watch.orchestration import compute
from heat_watch.orchestration.compute import nova

AUTH = 'http://keystone.test:5000/v3'
NOVA = 'http://nova.test:8774/v2.1'
GLANCE = 'http://glance.test:9292'


def _endpoint(service_type, name, url):
    return {'type': service_type, 'name': name, 'id': name,
            'endpoints': [{'id': name + '-public', 'interface': 'public',
                           'region': 'RegionOne', 'region_id': 'RegionOne', 'url': url}]}


TOKEN = {'token': {
    'methods': ['password'], 'expires_at': '2099-01-01T00:00:00.000000Z',
    'project': {'id': 'pid', 'name': 'demo', 'domain': {'id': 'default', 'name': 'Default'}},
    'user': {'id': 'uid', 'name': 'demo', 'domain': {'id': 'default', 'name': 'Default'}},
    'roles': [{'id': 'r', 'name': 'member'}],
    'catalog': [_endpoint('compute', 'nova', NOVA), _endpoint('image', 'glance', GLANCE)]}}


@pytest.fixture
def cloud():
    """Keystone, Glance and Nova as they answered a devstack cloud."""
    with requests_mock.Mocker() as mock:
        mock.get(AUTH, json={'version': {'id': 'v3.14', 'status': 'stable', 'links': [
            {'rel': 'self', 'href': AUTH + '/'}]}})
        mock.post(AUTH + '/auth/tokens', json=TOKEN, status_code=201,
                  headers={'X-Subject-Token': 'token'})
        mock.get(GLANCE + '/', json={'versions': [{'id': 'v2.16', 'status': 'CURRENT',
                                                   'links': [{'rel': 'self',
                                                              'href': GLANCE + '/v2/'}]}]})
        mock.get(NOVA, json={'version': {'id': 'v2.1', 'status': 'CURRENT', 'version': '2.95',
                                         'min_version': '2.1',
                                         'links': [{'rel': 'self', 'href': NOVA + '/'}]}})
        mock.get(GLANCE + '/v2/images/cirros', status_code=404)
        mock.get(GLANCE + '/v2/images?name=cirros',
                 json={'images': [{'id': 'img-1', 'name': 'cirros'}]})
        mock.get(GLANCE + '/v2/images/nope', status_code=404)
        mock.get(GLANCE + '/v2/images?name=nope', json={'images': []})
        mock.get(GLANCE + '/v2/images?os_hidden=True', json={'images': []})
        mock.get(NOVA + '/flavors/m1.tiny', status_code=404)
        mock.get(NOVA + '/flavors/detail?is_public=None',
                 json={'flavors': [{'id': 'fl-1', 'name': 'm1.tiny'}]})
        mock.post(NOVA + '/servers', status_code=202,
                  json={'server': {'id': 'srv-1', 'links': [], 'adminPass': 'x'}})
        yield mock


@pytest.fixture
def driver():
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf([])
    for key, value in {'auth_url': AUTH, 'username': 'demo', 'password': 'pw',
                       'project_name': 'demo', 'region_name': 'RegionOne'}.items():
        conf.set_override(key, value, group='nova')
    return nova.NovaDriver(conf)


def _server(status, fault=None):
    body = {'id': 'srv-1', 'name': 'web', 'status': status, 'links': [],
            'addresses': {'private': [{'addr': '10.0.0.5', 'version': 4}]}}
    if fault:
        body['fault'] = {'message': fault, 'code': 500}
    return {'server': body}


def test_a_server_is_booted_with_image_flavor_user_data_and_metadata(cloud, driver):
    spec = compute.ServerSpec('web', 'cirros', 'm1.tiny', '#!/bin/sh\necho hi\n',
                              {'role': 'web', 'big': {'x': 'y' * 300}}, 'key', 'zone-a')
    assert driver.create_server(spec) == 'srv-1'
    [boot] = [r for r in cloud.request_history if r.method == 'POST' and 'servers' in r.url]
    body = boot.json()['server']
    assert body['name'] == 'web'
    assert body['imageRef'] == 'img-1'
    assert body['flavorRef'] == 'fl-1'
    assert base64.b64decode(body['user_data']).decode() == '#!/bin/sh\necho hi\n'
    assert body['metadata'] == {'role': 'web'}
    assert body['key_name'] == 'key'
    assert body['availability_zone'] == 'zone-a'
    assert body['networks'] == 'auto'


def test_server_status_is_mapped_and_a_fault_kept(cloud, driver):
    cloud.get(NOVA + '/servers/srv-1', [{'json': _server('BUILD')},
                                        {'json': _server('ACTIVE')},
                                        {'json': _server('ERROR', 'No valid host')}])
    assert driver.get_server('srv-1').status == compute.BUILD
    active = driver.get_server('srv-1')
    assert (active.status, active.first_address) == (compute.ACTIVE, '10.0.0.5')
    failed = driver.get_server('srv-1')
    assert (failed.status, failed.fault) == (compute.ERROR, 'No valid host')


def test_a_deleted_server_is_gone_and_deleting_it_again_is_harmless(cloud, driver):
    cloud.delete(NOVA + '/servers/srv-1', [{'status_code': 204}, {'status_code': 404}])
    cloud.get(NOVA + '/servers/srv-1', status_code=404,
              json={'itemNotFound': {'code': 404, 'message': 'not found'}})
    driver.delete_server('srv-1')
    driver.delete_server('srv-1')
    assert driver.get_server('srv-1') is None
    assert [r.method for r in cloud.request_history].count('DELETE') == 2


def test_an_unknown_image_fails_the_resource_with_its_name(cloud, driver):
    with pytest.raises(exceptions.ResourceFailure) as raised:
        driver.create_server(compute.ServerSpec('web', 'nope', 'm1.tiny'))
    assert 'image nope' in str(raised.value)


def test_metadata_is_set_on_the_server(cloud, driver):
    cloud.post(NOVA + '/servers/srv-1/metadata', json={'metadata': {'tier': 'db'}})
    driver.set_metadata('srv-1', {'tier': 'db', 'huge': 'x' * 300})
    [call] = [r for r in cloud.request_history if r.url.endswith('/servers/srv-1/metadata')]
    assert call.method == 'POST'
    assert call.json() == {'metadata': {'tier': 'db'}}
