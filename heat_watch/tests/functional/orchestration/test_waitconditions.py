"""Wait conditions on heat-watch-all's services in this process: the handle
is a URL pre-signed with its own credential; signals POSTed to it over real
HTTP (through heat-watch-api's signed-URL middleware) count toward Count;
FAILURE or the timeout fails the condition; Data is the signals' data by
UniqueId. Wrong or foreign signatures are 403 and change nothing; a body
that is not a signal is 400 and is not kept."""

import json
import os
import subprocess
import sys
import time
import urllib.parse
import uuid

import pytest
import requests

from heat_watch.common import context
from heat_watch.identity import signing
from heat_watch.orchestration import clients
from heat_watch.tests import services
from heat_watch.tests.functional.orchestration import support


def _cfn(count: int = 1, timeout: int = 60) -> dict:
    return {'AWSTemplateFormatVersion': '2010-09-09', 'Resources': {
        'handle': {'Type': 'AWS::CloudFormation::WaitConditionHandle'},
        'wait': {'Type': 'AWS::CloudFormation::WaitCondition',
                 'Properties': {'Handle': {'Ref': 'handle'}, 'Timeout': timeout,
                                'Count': count}}},
        'Outputs': {'url': {'Value': {'Ref': 'handle'}},
                    'data': {'Value': {'Fn::GetAtt': ['wait', 'Data']}}}}


def _hot(count: int = 1) -> dict:
    return {'heat_template_version': '2021-04-16', 'resources': {
        'handle': {'type': 'OS::Heat::WaitConditionHandle'},
        'wait': {'type': 'OS::Heat::WaitCondition',
                 'properties': {'handle': {'get_resource': 'handle'}, 'timeout': 60,
                                'count': count}}},
        'outputs': {'endpoint': {'value': {'get_attr': ['handle', 'endpoint']}},
                    'curl_cli': {'value': {'get_attr': ['handle', 'curl_cli']}},
                    'signal': {'value': {'get_attr': ['handle', 'signal']}},
                    'token': {'value': {'get_attr': ['handle', 'token']}},
                    'data': {'value': {'get_attr': ['wait', 'data']}}}}


@pytest.fixture(scope='module')
def running(tmp_path_factory):
    state = str(tmp_path_factory.mktemp('waitcondition-state'))
    with services.deployment(state, **{'orchestration.compute_driver': 'fake'}) as dep:
        yield dep


class _Waiting:
    """A stack created and still waiting on its condition."""

    def __init__(self, running, name: str, body: dict, url_output: str = 'url'):
        self.ctxt = context.RequestContext(project_id='wc-%s' % uuid.uuid4().hex[:8],
                                           user_id='u')
        self.client = running.orchestrator_client()
        self.id = self.client.create_stack(self.ctxt, name, body,
                                           args={'disable_rollback': True})['stack_id']
        self.url = support.wait_for(lambda: self._output(url_output))

    def _output(self, key: str):
        try:
            value = self.client.show_output(self.ctxt, self.id, key)['output_value']
        except Exception:  # not resolvable before the handle exists
            return None
        return value if isinstance(value, str) and value.startswith('http') else None

    def output(self, key: str):
        return self.client.show_output(self.ctxt, self.id, key)['output_value']

    def status(self) -> dict:
        return self.client.show_stack(self.ctxt, self.id)

    def finished(self) -> dict:
        return support.wait_for(lambda: (lambda s: s if s['status'] != 'IN_PROGRESS'
                                         else None)(self.status()))

    def wait_reason(self) -> str:
        return self.client.show_resource(self.ctxt, self.id, 'wait')['resource_status_reason']


def _post(url: str, body) -> requests.Response:
    return requests.post(url, data=json.dumps(body),
                         headers={'Content-Type': 'application/json'}, timeout=10)


def test_count_signals_over_http_complete_the_condition_with_their_data(running):
    stack = _Waiting(running, 'two', _cfn(count=2))
    first = _post(stack.url, {'Status': 'SUCCESS', 'Reason': 'booted', 'UniqueId': 'a',
                              'Data': 'first'})
    assert first.status_code == 200, first.text
    # The same UniqueId again counts once (the last one wins).
    assert _post(stack.url, {'Status': 'SUCCESS', 'UniqueId': 'a',
                             'Data': 'again'}).status_code == 200
    time.sleep(0.5)
    assert stack.status()['stack_status'] == 'CREATE_IN_PROGRESS'
    assert _post(stack.url, {'Status': 'SUCCESS', 'UniqueId': 'b',
                             'Data': 'second'}).status_code == 200
    shown = stack.finished()
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    assert json.loads(stack.output('data')) == {'a': 'again', 'b': 'second'}
    reasons = [e['resource_status_reason'] for e in stack.client.list_events(
        stack.ctxt, stack.id, 'handle') if e['resource_action'] == 'SIGNAL']
    assert reasons[0] == 'Signal SUCCESS received: booted', reasons


def test_heat_cfntools_cfn_signal_puts_to_the_handle_and_completes_it(running):
    # The real cfn-signal sends a PUT (as to an S3 pre-signed URL).
    stack = _Waiting(running, 'cfnsignal', _cfn(count=1))
    script = os.path.join(os.path.dirname(sys.executable), 'cfn-signal')
    done = subprocess.run([script, '-s', 'true', '-r', 'configured', '-i', 'web-1',
                           '-d', 'ready', stack.url], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    shown = stack.finished()
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    assert json.loads(stack.output('data')) == {'web-1': 'ready'}
    assert requests.get(stack.url, timeout=10).status_code == 405


def test_a_failure_signal_fails_the_condition_with_its_reason(running):
    stack = _Waiting(running, 'fails', _cfn())
    assert _post(stack.url, {'Status': 'FAILURE', 'Reason': 'disk full',
                             'UniqueId': 'x', 'Data': ''}).status_code == 200
    shown = stack.finished()
    assert shown['stack_status'] == 'CREATE_FAILED'
    assert 'FAILURE' in stack.wait_reason() and 'disk full' in stack.wait_reason()


def test_the_timeout_fails_the_condition(running):
    stack = _Waiting(running, 'slow', _cfn(count=1, timeout=1))
    shown = stack.finished()
    assert shown['stack_status'] == 'CREATE_FAILED'
    assert 'timed out: 0 of 1' in stack.wait_reason()


def test_a_body_that_is_not_a_signal_is_400_and_not_kept(running):
    stack = _Waiting(running, 'badbody', _cfn())
    answer = _post(stack.url, {'Status': 'MAYBE', 'UniqueId': 'x'})
    assert answer.status_code == 400, answer.text
    # Under /v1, errors take Heat's form.
    assert 'Status' in answer.json()['error']['message']
    assert _post(stack.url, ['not', 'a', 'map']).status_code == 400
    time.sleep(0.5)
    assert stack.status()['stack_status'] == 'CREATE_IN_PROGRESS'
    assert _post(stack.url, {'Status': 'SUCCESS', 'UniqueId': 'y',
                             'Data': 'ok'}).status_code == 200
    assert stack.finished()['stack_status'] == 'CREATE_COMPLETE'
    assert json.loads(stack.output('data')) == {'y': 'ok'}


def test_wrong_or_foreign_signatures_are_403_and_change_nothing(running):
    stack = _Waiting(running, 'guarded', _cfn())
    other = _Waiting(running, 'other', _cfn())
    parts = urllib.parse.urlsplit(stack.url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    forged = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(
        dict(query, Signature='A' * 44))))
    # Rightly signed, with a credential of the same project scoped to
    # signalling the other stack: refused for this one.
    foreign_key = running.credentials(stack.ctxt.project_id,
                                      scope=clients.signal_scope(other.id))
    unsigned = urllib.parse.urlunsplit(parts._replace(query=''))
    foreign = signing.presign_url('POST', unsigned, foreign_key['access'],
                                  foreign_key['secret'])
    # The other stack's own handle URL, pointed at this stack's handle.
    other_parts = urllib.parse.urlsplit(other.url)
    moved = urllib.parse.urlunsplit(other_parts._replace(path=parts.path))
    success = {'Status': 'SUCCESS', 'UniqueId': 'z', 'Data': 'forged'}
    for bad in (forged, foreign, moved):
        answer = _post(bad, success)
        assert answer.status_code == 403, (bad, answer.text)
    time.sleep(0.5)
    assert stack.status()['stack_status'] == 'CREATE_IN_PROGRESS'
    assert not [e for e in stack.client.list_events(stack.ctxt, stack.id, 'handle')
                if e['resource_action'] == 'SIGNAL']
    assert _post(stack.url, dict(success, Data='real')).status_code == 200
    assert stack.finished()['stack_status'] == 'CREATE_COMPLETE'
    assert json.loads(stack.output('data')) == {'z': 'real'}
    assert other.status()['stack_status'] == 'CREATE_IN_PROGRESS'
    other.client.delete_stack(other.ctxt, other.id)


def test_hot_handle_offers_endpoint_curl_cli_and_signal(running):
    stack = _Waiting(running, 'hot', _hot(), url_output='endpoint')
    assert stack.output('token') == ''
    assert stack.output('signal') == {'url': stack.url, 'token': ''}
    curl = stack.output('curl_cli')
    assert curl.startswith('curl -i -X POST') and stack.url in curl
    assert urllib.parse.urlsplit(stack.url).path.endswith('/resources/handle/signal')
    assert _post(stack.url, {'status': 'SUCCESS', 'id': 'n1', 'data': {'k': 1}}
                 ).status_code == 200
    assert stack.finished()['stack_status'] == 'CREATE_COMPLETE'
    assert json.loads(stack.output('data')) == {'n1': {'k': 1}}


def test_deleting_the_stack_revokes_the_handle(running):
    stack = _Waiting(running, 'revoked', _cfn())
    assert _post(stack.url, {'Status': 'SUCCESS', 'UniqueId': '1'}).status_code == 200
    assert stack.finished()['stack_status'] == 'CREATE_COMPLETE'
    stack.client.delete_stack(stack.ctxt, stack.id)
    support.wait_for(lambda: not [s for s in stack.client.list_stacks(stack.ctxt)
                                  if s['id'] == stack.id])
    assert _post(stack.url, {'Status': 'SUCCESS', 'UniqueId': '2'}).status_code == 403
