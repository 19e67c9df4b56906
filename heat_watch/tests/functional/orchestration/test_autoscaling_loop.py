"""The loop heat_watch exists for, on heat-watch-all's services in this
process (fake compute driver): a stack's alarm fires, the notifier POSTs the
scaling policy's pre-signed URL to the REST API, which verifies it and hands
the signal to the orchestrator, and the group grows; the stack's events and
the alarm's history tell the story. Wrong, foreign or revoked signatures
change nothing."""

import datetime
import time
import urllib.parse
import uuid

import pytest
import requests

from heat_watch.common import context
from heat_watch.tests import clients, services, templates
from heat_watch.tests.functional.orchestration import support

NAMESPACE = 'Test/Loop'


def _template(period: int = 10) -> dict:
    return templates.autoscaling_loop(NAMESPACE, period)


@pytest.fixture(scope='module')
def running(tmp_path_factory):
    state = str(tmp_path_factory.mktemp('loop-state'))
    with services.deployment(state, **{'orchestration.compute_driver': 'fake',
                                       'watch_engine.evaluation_interval': 1}) as dep:
        yield dep


@pytest.fixture
def project():
    return 'loop-%s' % uuid.uuid4().hex[:8]


class _Stack:
    """A created stack of the loop template, with what the test reads of it."""

    def __init__(self, running, project: str, name: str, period: int = 10):
        self.ctxt = context.RequestContext(project_id=project, user_id='u')
        self.client = running.orchestrator_client()
        self.name = name
        self.id = support.created_stack(self.client, self.ctxt, name, _template(period))['id']
        creds = running.credentials(project)
        self.cloudwatch = clients.boto3_client(running.endpoint, creds['access'],
                                               creds['secret'])

    def output(self, key: str):
        return self.client.show_output(self.ctxt, self.id, key)['output_value']

    def alarm_name(self, resource: str) -> str:
        return self.client.show_resource(self.ctxt, self.id, resource)['physical_resource_id']

    def signal_reasons(self, policy: str = 'up') -> list[str]:
        return [e['resource_status_reason'] for e in self.client.list_events(self.ctxt,
                                                                             self.id, policy)
                if e['resource_action'] == 'SIGNAL']


def test_an_alarm_set_to_alarm_grows_the_group_through_the_signed_webhook(running, project):
    stack = _Stack(running, project, 'set-state')
    assert stack.output('size') == 1
    name = stack.alarm_name('high')
    stack.cloudwatch.set_alarm_state(AlarmName=name, StateValue='ALARM',
                                     StateReason='load test')
    support.wait_for(lambda: stack.output('size') == 2)
    assert any('from 1 to 2' in r and name in r for r in stack.signal_reasons())

    def actions() -> list:
        history = stack.cloudwatch.describe_alarm_history(
            AlarmName=name, HistoryItemType='Action')['AlarmHistoryItems']
        return [h for h in history if h['HistoryItemType'] == 'Action']
    # The notifier records the action once the webhook has answered, which
    # may be after the group has grown.
    done = support.wait_for(actions)
    assert any('Success' in h['HistorySummary'] for h in done), done


def test_a_breaching_datapoint_scales_out_until_the_maximum_and_back_in(running, project):
    stack = _Stack(running, project, 'datapoints')
    group = stack.output('group_name')

    def put(value: float) -> None:
        stack.cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=[{
            'MetricName': 'cpu', 'Value': value, 'Timestamp': datetime.datetime.now(
                datetime.UTC),
            'Dimensions': [{'Name': 'AutoScalingGroupName', 'Value': group}]}])

    def size_after_putting(value: float, wanted: int) -> bool:
        put(value)
        return stack.output('size') == wanted

    # A sustained breach scales one step per period up to MaxSize, never past.
    support.wait_for(lambda: size_after_putting(95.0, 3), timeout=60)
    time.sleep(2.5)
    assert stack.output('size') == 3
    # The load goes away: the low alarm scales back in to MinSize.
    support.wait_for(lambda: size_after_putting(5.0, 1), timeout=60)
    # One step per signal, each an event with its reason, in both directions.
    ups, downs = stack.signal_reasons('up'), stack.signal_reasons('down')
    assert any('from 1 to 2' in r for r in ups) and any('from 2 to 3' in r for r in ups), ups
    assert not any('to 4' in r for r in ups), ups
    assert any('from 3 to 2' in r for r in downs) and any('from 2 to 1' in r for r in downs)


def _post(url: str, body: str = '{}') -> requests.Response:
    return requests.post(url, data=body, headers={'Content-Type': 'application/json'},
                         timeout=10)


def test_wrong_foreign_or_revoked_signatures_change_nothing(running, project):
    stack = _Stack(running, project, 'guarded')
    other = _Stack(running, project, 'other')
    url = stack.output('up_url')
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))

    def with_query(**changes) -> str:
        return urllib.parse.urlunsplit(parts._replace(
            query=urllib.parse.urlencode(dict(query, **changes))))

    forged = [with_query(Signature='A' * 44),
              with_query(AWSAccessKeyId='0' * 32),
              url.replace('/resources/up/', '/resources/down/'),
              url.replace('/%s/' % stack.id, '/%s/' % other.id)]
    for bad in forged:
        answer = _post(bad)
        assert answer.status_code == 403, (bad, answer.text)
        # /v1 answers errors in Heat's body.
        assert answer.json()['error']['message'] and answer.json()['code'] == 403
    # The same URL, rightly signed, but for another stack's policy: its own
    # credential is scoped to its own stack.
    other_url = other.output('up_url')
    assert _post(other_url.replace('/%s/' % other.id, '/%s/' % stack.id)).status_code == 403
    time.sleep(0.5)
    assert stack.output('size') == 1 and other.output('size') == 1

    assert _post(url).status_code == 200
    support.wait_for(lambda: stack.output('size') == 2)

    stack.client.delete_stack(stack.ctxt, stack.id)
    support.wait_for(lambda: not [s for s in stack.client.list_stacks(stack.ctxt)
                       if s['id'] == stack.id])
    assert _post(url).status_code == 403  # deleting the stack revoked it
