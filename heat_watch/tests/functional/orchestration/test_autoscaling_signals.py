"""Auto Scaling groups and scaling policies on heat-watch-all's services in
this process (fake compute driver): a policy's Ref is a URL pre-signed with
its own credential; signals resize the group within its bounds, honour the
cooldown, and every adjustment is an event; the stack's deletion deletes the
members and the credentials."""

import urllib.parse
import uuid

import pytest

from heat_watch.common import context
from heat_watch.identity import rpcapi as identity_rpcapi
from heat_watch.tests import services, templates
from heat_watch.tests.functional.orchestration import support


def _template(cooldown: int) -> dict:
    return {
        'AWSTemplateFormatVersion': templates.CFN,
        'Resources': {
            'config': templates.launch_config(),
            'group': templates.scaling_group('1', '3', cooldown,
                                             Tags=[{'Key': 'role', 'Value': 'web'}]),
            'up': templates.scaling_policy(1), 'down': templates.scaling_policy(-1)},
        'Outputs': {'size': templates.output({'Fn::GetAtt': ['group', 'CurrentSize']}),
                    'up_url': templates.output({'Fn::GetAtt': ['up', 'AlarmUrl']}),
                    'up_ref': templates.output({'Ref': 'up'}),
                    'group_name': templates.output({'Ref': 'group'})}}


@pytest.fixture(scope='module')
def running(tmp_path_factory):
    state = str(tmp_path_factory.mktemp('autoscaling-state'))
    with services.deployment(state, **{'orchestration.compute_driver': 'fake'}) as dep:
        yield dep


@pytest.fixture
def ctxt():
    return context.RequestContext(project_id='asg-%s' % uuid.uuid4().hex[:8], user_id='u')


def _created(client, ctxt, name: str, cooldown: int) -> dict:
    return support.created_stack(client, ctxt, name, _template(cooldown))


def _output(client, ctxt, stack: str, key: str):
    return client.show_output(ctxt, stack, key)['output_value']


def _signal_reasons(client, ctxt, stack: str, name: str) -> list[str]:
    """The reasons of the signals the policy handled (not of those refused
    because the stack was busy, which _signal sends again)."""
    return [e['resource_status_reason'] for e in client.list_events(ctxt, stack, name)
            if e['resource_action'] == 'SIGNAL'
            and 'the stack is busy' not in e['resource_status_reason']]


def _signal(client, ctxt, stack: str, name: str, details: dict) -> None:
    """Signal until accepted: the stack's lock outlives the previous signal's
    event for a moment, and a signal to a busy stack is ignored."""
    support.wait_for(lambda: client.resource_signal(ctxt, stack, name, details))


def test_signals_resize_the_group_within_its_bounds(running, ctxt):
    client = running.orchestrator_client()
    shown = _created(client, ctxt, 'web', cooldown=0)
    assert _output(client, ctxt, 'web', 'size') == 1
    url = _output(client, ctxt, 'web', 'up_url')
    assert _output(client, ctxt, 'web', 'up_ref') == url
    assert _output(client, ctxt, 'web', 'up_url') == url  # the same URL every time
    parts = urllib.parse.urlsplit(url)
    assert parts.path == '/v1/%s/stacks/web/%s/resources/up/signal' % (
        ctxt.project_id, shown['id'])
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert {'AWSAccessKeyId', 'Signature', 'SignatureVersion', 'Timestamp'} <= set(query)

    for expected in (2, 3, 3):
        _signal(client, ctxt, 'web', 'up', {'alarm_name': 'cpu-high'})
        support.wait_for(lambda n=expected: _output(client, ctxt, 'web', 'size') == n and
              len(_signal_reasons(client, ctxt, 'web', 'up')) >= n - 1)
    reasons = support.wait_for(lambda: (lambda r: r if len(r) == 3 else None)(
        _signal_reasons(client, ctxt, 'web', 'up')))
    assert any('from 1 to 2' in r and 'cpu-high' in r for r in reasons)
    assert any('from 2 to 3' in r for r in reasons)
    assert any('at its bound' in r for r in reasons)

    _signal(client, ctxt, 'web', 'down', {})
    support.wait_for(lambda: _output(client, ctxt, 'web', 'size') == 2)


def test_a_signal_inside_the_cooldown_is_recorded_and_ignored(running, ctxt):
    client = running.orchestrator_client()
    _created(client, ctxt, 'cool', cooldown=3600)
    _signal(client, ctxt, 'cool', 'up', {})
    support.wait_for(lambda: _output(client, ctxt, 'cool', 'size') == 2)
    support.wait_for(lambda: _signal_reasons(client, ctxt, 'cool', 'up'))
    _signal(client, ctxt, 'cool', 'up', {})
    reasons = support.wait_for(lambda: (lambda r: r if len(r) == 2 else None)(
        _signal_reasons(client, ctxt, 'cool', 'up')))
    assert 'from 1 to 2' in reasons[0] and 'cooldown' in reasons[1], reasons
    assert _output(client, ctxt, 'cool', 'size') == 2


def test_an_alarm_action_sent_twice_adjusts_the_group_once(running, ctxt):
    client = running.orchestrator_client()
    _created(client, ctxt, 'twice', cooldown=0)
    action = {'alarm_name': 'cpu-high', 'action_id': str(uuid.uuid4())}
    _signal(client, ctxt, 'twice', 'up', action)
    support.wait_for(lambda: _output(client, ctxt, 'twice', 'size') == 2)
    support.wait_for(lambda: _signal_reasons(client, ctxt, 'twice', 'up'))
    _signal(client, ctxt, 'twice', 'up', dict(action))
    reasons = support.wait_for(lambda: (lambda r: r if len(r) == 2 else None)(
        _signal_reasons(client, ctxt, 'twice', 'up')))
    assert 'already handled' in reasons[1] and action['action_id'] in reasons[1], reasons
    assert _output(client, ctxt, 'twice', 'size') == 2
    # Another run of the same alarm is another step.
    _signal(client, ctxt, 'twice', 'up', {'action_id': str(uuid.uuid4())})
    support.wait_for(lambda: _output(client, ctxt, 'twice', 'size') == 3)


def test_deleting_the_stack_deletes_members_and_policy_credentials(running, ctxt):
    client = running.orchestrator_client()
    shown = _created(client, ctxt, 'gone', cooldown=0)
    identity = identity_rpcapi.IdentityClient(running.conf)
    assert len(identity.list_credentials(ctxt, stack_id=shown['id'])) == 2
    client.delete_stack(ctxt, 'gone')
    support.wait_for(lambda: not [s for s in client.list_stacks(ctxt) if s['stack_name'] == 'gone'])
    assert identity.list_credentials(ctxt, stack_id=shown['id']) == []
