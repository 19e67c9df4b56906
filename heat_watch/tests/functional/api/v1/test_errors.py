"""Bad requests to /v1 are answered in Heat's error body with a 4xx, and
change nothing; the versions document lists v1 after v2."""

import pytest
import requests

from heat_watch.tests.functional.api.v1.conftest import unique

TEMPLATE = {'heat_template_version': '2021-04-16',
            'resources': {'r': {'type': 'OS::Heat::None'}}}


@pytest.fixture
def project(rest_endpoint):
    """(base URL of a fresh project's /v1, its noauth headers)."""
    name = unique('err')
    return '%s/v1/%s' % (rest_endpoint, name), {'X-Project-Id': name}


def _assert_heat_fault(response: requests.Response, status: int, words: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body['code'] == status and body['title'] and body['explanation']
    assert words in body['error']['message'], body
    assert 'Traceback' not in response.text
    return body


@pytest.mark.parametrize('data, words', [
    ('{"stack_name": ', 'not valid JSON'),
    ('[{"stack_name": "x"}]', 'must be a JSON object'),
    ('{"template": {"heat_template_version": "2021-04-16"}}', 'No stack name specified'),
    ('{"stack_name": "x"}', 'No template specified'),
    ('{"stack_name": "x", "template_url": "http://169.254.169.254/"}',
     'template_url is not supported'),
    ('{"stack_name": "9bad", "template": {"heat_template_version": "2021-04-16"}}',
     'Invalid stack name'),
    ('{"stack_name": "x", "parameters": [1], '
     '"template": {"heat_template_version": "2021-04-16"}}', 'parameters must be a map'),
    ('{"stack_name": "x", "timeout_mins": "soon", '
     '"template": {"heat_template_version": "2021-04-16"}}', 'timeout_mins'),
])
def test_a_bad_create_is_400_and_creates_nothing(project, data, words):
    url, headers = project
    response = requests.post(url + '/stacks', data=data, timeout=30,
                             headers=dict(headers, **{'Content-Type': 'application/json'}))
    _assert_heat_fault(response, 400, words)
    assert requests.get(url + '/stacks', headers=headers, timeout=30).json() == {'stacks': []}


def test_a_second_stack_of_the_same_name_is_409(project):
    url, headers = project
    body = {'stack_name': 'twice', 'template': TEMPLATE}
    assert requests.post(url + '/stacks', json=body, headers=headers,
                         timeout=30).status_code == 201
    again = requests.post(url + '/stacks', json=body, headers=headers, timeout=30)
    assert _assert_heat_fault(again, 409, 'twice')['error']['type'] == 'StackExists'
    assert len(requests.get(url + '/stacks', headers=headers, timeout=30).json()['stacks']) == 1


def test_routes_methods_and_query_parameters(project):
    url, headers = project
    created = requests.post(url + '/stacks', json={'stack_name': 'routes', 'template': TEMPLATE},
                            headers=headers, timeout=30)
    stack_url = created.headers['Location']
    assert stack_url == created.json()['stack']['links'][0]['href']
    assert stack_url.startswith(url + '/stacks/routes/')
    _assert_heat_fault(requests.get(url + '/no_such_collection', headers=headers, timeout=30),
                       404, 'could not be found')
    refused = requests.post(stack_url, json={}, headers=headers, timeout=30)
    _assert_heat_fault(refused, 405, 'POST')
    assert set(refused.headers['Allow'].split(', ')) == {'GET', 'PUT', 'PATCH', 'DELETE'}
    _assert_heat_fault(requests.get(url + '/stacks', params={'limit': 'many'},
                                    headers=headers, timeout=30), 400, 'limit')
    _assert_heat_fault(requests.get(url + '/stacks', params={'show_nested': 'perhaps'},
                                    headers=headers, timeout=30), 400, 'show_nested')
    # A name that is not the id's: 404, as in Heat.
    stack_id = stack_url.rsplit('/', 1)[1]
    _assert_heat_fault(requests.get('%s/stacks/other/%s' % (url, stack_id), headers=headers,
                                    timeout=30), 404, 'other')
    # The name alone redirects, sub-paths and query string kept.
    redirect = requests.get(url + '/stacks/routes/resources', params={'nested_depth': 1},
                            headers=headers, timeout=30, allow_redirects=False)
    assert redirect.status_code == 302
    assert redirect.headers['Location'] == stack_url + '/resources?nested_depth=1'
    missing = requests.get(stack_url + '/resources/nope', headers=headers, timeout=30)
    assert _assert_heat_fault(missing, 404, 'nope')['error']['type'] == 'EntityNotFound'
    _assert_heat_fault(requests.get(stack_url + '/outputs/nope', headers=headers, timeout=30),
                       404, 'nope')
    _assert_heat_fault(requests.get(url + '/resource_types/No::Such', headers=headers,
                                    timeout=30), 404, 'No::Such')
    _assert_heat_fault(requests.get(url + '/resource_types/OS::Heat::None/template',
                                    params={'template_type': 'xml'}, headers=headers,
                                    timeout=30), 400, 'xml')



@pytest.mark.parametrize('body, words', [
    ({}, 'Missing mandatory (mark_unhealthy) key'),
    ({'mark_unhealthy': 'perhaps'}, 'Unrecognized value "perhaps" for "mark_unhealthy"'),
    ({'mark_unhealthy': True, 'colour': 'red'}, 'Invalid keys in resource mark unhealthy'),
    ({'mark_unhealthy': True, 'resource_status_reason': 7}, 'resource_status_reason'),
])
def test_a_bad_mark_unhealthy_is_400_and_changes_nothing(project, body, words):
    url, headers = project
    created = requests.post(url + '/stacks', json={'stack_name': 'marked', 'template': TEMPLATE},
                            headers=headers, timeout=30)
    resource_url = created.headers['Location'] + '/resources/r'
    _assert_heat_fault(requests.patch(resource_url, json=body, headers=headers, timeout=30),
                       400, words)
    shown = requests.get(resource_url, headers=headers, timeout=30).json()['resource']
    assert not shown['resource_status'].startswith('CHECK'), shown


def test_mark_unhealthy_of_another_project_or_a_missing_resource_is_refused(project,
                                                                           rest_endpoint):
    url, headers = project
    created = requests.post(url + '/stacks', json={'stack_name': 'mine', 'template': TEMPLATE},
                            headers=headers, timeout=30)
    stack_url = created.headers['Location']
    body = {'mark_unhealthy': True}
    missing = requests.patch(stack_url + '/resources/nope', json=body, headers=headers,
                             timeout=30)
    assert _assert_heat_fault(missing, 404, 'nope')['error']['type'] == 'EntityNotFound'
    wrong_name = stack_url.replace('/stacks/mine/', '/stacks/other/')
    _assert_heat_fault(requests.patch(wrong_name + '/resources/r', json=body,
                                      headers=headers, timeout=30), 404, 'other')
    # Another project naming this one in the path: the policy refuses it.
    intruder = {'X-Project-Id': unique('intruder')}
    _assert_heat_fault(requests.patch(stack_url + '/resources/r', json=body,
                                      headers=intruder, timeout=30), 403, '')
    # The same path under the intruder's own project: no such stack there.
    own = stack_url.replace(url, '%s/v1/%s' % (rest_endpoint, intruder['X-Project-Id']))
    _assert_heat_fault(requests.patch(own + '/resources/r', json=body, headers=intruder,
                                      timeout=30), 404, 'mine')
    shown = requests.get(stack_url + '/resources/r', headers=headers, timeout=30).json()
    assert not shown['resource']['resource_status'].startswith('CHECK')


def test_the_versions_document_lists_v1_after_v2(rest_endpoint):
    values = requests.get(rest_endpoint + '/', timeout=30).json()['versions']['values']
    assert [v['id'] for v in values] == ['v2', 'v1.0']
    assert values[1]['links'][0]['href'] == rest_endpoint + '/v1/'


def test_list_pages_filters_and_details(project):
    url, headers = project
    made = []
    for name in ('one', 'two', 'three'):
        created = requests.post(url + '/stacks', json={'stack_name': name, 'template': TEMPLATE},
                                headers=headers, timeout=30)
        made.append(created.json()['stack']['id'])
    first = requests.get(url + '/stacks', params={'limit': 2}, headers=headers,
                         timeout=30).json()['stacks']
    assert [s['stack_name'] for s in first] == ['three', 'two']
    rest = requests.get(url + '/stacks', params={'limit': 2, 'marker': first[-1]['id']},
                        headers=headers, timeout=30).json()['stacks']
    assert [s['stack_name'] for s in rest] == ['one']
    named = requests.get(url + '/stacks', params={'name': ['one', 'three']}, headers=headers,
                         timeout=30).json()['stacks']
    assert sorted(s['stack_name'] for s in named) == ['one', 'three']
    detailed = requests.get(url + '/stacks/detail', params={'name': 'two'}, headers=headers,
                            timeout=30).json()['stacks']
    assert [s['id'] for s in detailed] == [made[1]]
    assert detailed[0]['parameters']['OS::stack_name'] == 'two'
    assert detailed[0]['disable_rollback'] is False
    _assert_heat_fault(requests.get(url + '/stacks', params={'marker': 'not-a-stack'},
                                    headers=headers, timeout=30), 404, 'not-a-stack')


def test_heat_watch_all_names_the_v1_api_in_its_banner(deployment):
    from heat_watch.cmd import all as all_in_one
    banner = all_in_one._banner(deployment.conf, deployment.services)
    assert 'Heat v1 orchestration API (python-heatclient, openstack stack): %s/v1/{project}' % (
        deployment.rest_endpoint) in banner
