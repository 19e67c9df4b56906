"""Each stack-scoped /v1 request makes one RPC to the orchestrator: the
path's name and id are checked by the operation's own call (no
identify_stack first), and an event is shown by its id (not found in the
stack's event list). The name alone still redirects (its one RPC is the
identify)."""

import time

import pytest
import webtest

from heat_watch.api import app as api_app
from heat_watch.api.controllers.v1 import stacks
from heat_watch.orchestration import rpcapi

PROJECT = 'one-rpc'
HEADERS = {'X-Project-Id': PROJECT, 'X-User-Id': 'user'}
TEMPLATE = {'heat_template_version': '2021-04-16',
            'resources': {'r': {'type': 'OS::Heat::TestResource', 'properties': {'value': 'v'}}},
            'outputs': {'o': {'value': {'get_attr': ['r', 'output']}}}}


class CountingClient(rpcapi.OrchestratorClient):
    """The real client, which also notes the name of every RPC it makes."""

    def __init__(self, conf):
        super().__init__(conf)
        self.calls: list[str] = []

    def _call(self, ctxt, method, version='1.0', **kwargs):
        self.calls.append(method)
        return super()._call(ctxt, method, version, **kwargs)


@pytest.fixture(scope='module')
def counted(deployment):
    client = CountingClient(deployment.conf)
    return webtest.TestApp(api_app.setup_app(deployment.conf,
                                             orchestrator_client=client)), client


def _created(app, name: str) -> str:
    """The path of a new stack once it is CREATE_COMPLETE."""
    created = app.post_json('/v1/%s/stacks' % PROJECT, {'stack_name': name,
                                                       'template': TEMPLATE},
                            headers=HEADERS, status=201)
    url = created.headers['Location'].replace('http://localhost', '')
    deadline = time.monotonic() + 30
    while app.get(url, headers=HEADERS).json['stack']['stack_status'] != 'CREATE_COMPLETE':
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return url


@pytest.fixture(scope='module')
def stack_url(counted):
    return _created(counted[0], 'once')


def _calls(counted, method, url, **kwargs) -> tuple[webtest.TestResponse, list[str]]:
    app, client = counted
    client.calls.clear()
    response = getattr(app, method)(url, headers=HEADERS, **kwargs)
    return response, list(client.calls)


@pytest.mark.parametrize('path, expected', [
    ('', 'show_stack'), ('/template', 'get_template'), ('/environment', 'get_environment'),
    ('/outputs', 'list_outputs'), ('/outputs/o', 'show_output'),
    ('/resources', 'list_resources'), ('/resources/r', 'show_resource'),
    ('/resources/r/metadata', 'resource_metadata'), ('/events', 'list_events'),
    ('/resources/r/events', 'list_events'),
])
def test_a_stack_scoped_read_is_one_rpc(counted, stack_url, path, expected):
    response, calls = _calls(counted, 'get', stack_url + path)
    assert response.status_int == 200
    assert calls == [expected]


def test_an_event_is_shown_with_one_rpc_and_a_missing_one_is_a_heat_404(counted, stack_url):
    app, _client = counted
    event = app.get(stack_url + '/resources/r/events', headers=HEADERS).json['events'][-1]
    for path in ('/events/', '/resources/r/events/'):
        response, calls = _calls(counted, 'get', stack_url + path + event['id'])
        assert response.json['event']['id'] == event['id']
        assert calls == ['show_event']
    missing, calls = _calls(counted, 'get', stack_url + '/events/no-such-event', status=404)
    assert missing.json['error']['type'] == 'EntityNotFound'
    assert 'The Event (no-such-event) could not be found.' in missing.json['error']['message']
    assert calls == ['show_event']


def test_a_wrong_name_is_a_heat_404_in_one_rpc(counted, stack_url):
    wrong = stack_url.replace('/stacks/once/', '/stacks/other/')
    response, calls = _calls(counted, 'get', wrong + '/resources', status=404)
    assert response.json['error']['type'] == 'EntityNotFound'
    assert 'The Stack (other) could not be found.' in response.json['error']['message']
    assert calls == ['list_resources']


def test_the_name_alone_redirects_with_one_rpc(counted, stack_url):
    response, calls = _calls(counted, 'get', '/v1/%s/stacks/once/resources' % PROJECT,
                             status=302)
    assert response.headers['Location'].endswith(stack_url + '/resources')
    assert calls == ['identify_stack']


def test_a_redirect_by_id_asks_the_orchestrator_once_per_project(counted, stack_url):
    stack_id = stack_url.rsplit('/', 1)[1]
    first, calls = _calls(counted, 'get', '/v1/%s/stacks/%s' % (PROJECT, stack_id), status=302)
    assert calls == ['identify_stack']
    again, calls = _calls(counted, 'get', '/v1/%s/stacks/%s/events' % (PROJECT, stack_id),
                          status=302)
    assert calls == []  # a stack's id names it for good
    assert again.headers['Location'] == first.headers['Location'] + '/events'
    # Another project asking for the same id is answered by the orchestrator: 404.
    app, client = counted
    client.calls.clear()
    other = {'X-Project-Id': 'other-project', 'X-User-Id': 'user'}
    missing = app.get('/v1/other-project/stacks/%s' % stack_id, headers=other, status=404)
    assert missing.json['error']['type'] == 'EntityNotFound'
    assert client.calls == ['identify_stack']


def test_writes_are_one_rpc_each(counted, stack_url):
    _, calls = _calls(counted, 'patch_json', stack_url + '/resources/r',
                      params={'mark_unhealthy': True}, status=200)
    assert calls == ['resource_mark_unhealthy']
    _, calls = _calls(counted, 'delete', stack_url, status=204)
    assert calls == ['delete_stack']


def test_a_deleted_stack_is_shown_without_the_orchestrator(counted):
    app, client = counted
    url = _created(app, 'brief')
    stack_id = url.rsplit('/', 1)[1]
    live, calls = _calls(counted, 'get', url)
    assert calls == ['show_stack'] and live.json['stack']['outputs']  # a live stack: asked
    _, calls = _calls(counted, 'delete', url, status=204)
    assert calls == ['delete_stack']
    # The delete ended before its answer (answer_wait), which carried the
    # stack as shown: every poll after it is answered by the API itself.
    for query in ('', '?resolve_outputs=false'):
        shown, calls = _calls(counted, 'get', url + query)
        assert calls == []
        stack = shown.json['stack']
        assert (stack['id'], stack['stack_status']) == (stack_id, 'DELETE_COMPLETE')
        assert stack['deletion_time'] and stack['outputs'] == []  # as Heat: no outputs
    by_id, calls = _calls(counted, 'get', '/v1/%s/stacks/%s/%s' % (PROJECT, stack_id, stack_id))
    assert calls == [] and by_id.json['stack']['stack_name'] == 'brief'
    # Another name, or another project, is the orchestrator's to answer: 404.
    _, calls = _calls(counted, 'get', url.replace('/brief/', '/other/'), status=404)
    assert calls == ['show_stack']
    client.calls.clear()
    other = {'X-Project-Id': 'other-project', 'X-User-Id': 'user'}
    app.get(url.replace(PROJECT, 'other-project'), headers=other, status=404)
    assert client.calls == ['show_stack']
    # What the orchestrator shows of it is what the API answered.
    answered = app.get(url, headers=HEADERS).json['stack']
    stacks.DELETED = stacks.DeletedStacks()
    asked, calls = _calls(counted, 'get', url)
    assert calls == ['show_stack'] and asked.json['stack'] == answered
