"""The notifier's network policy seen through the CloudWatch API of an
in-process heat-watch-all, with boto3 and the Query protocol: forbidden
actions refused when the alarm is created, and refused again (with nothing
but the refusal in the history) when the policy changed before delivery.

The shared deployment allows 127.0.0.1/32 for the receivers of the alarm
tests; everything else is the default policy.
"""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import botocore.exceptions
import pytest

REFUSED = "refused by the notifier's network policy"


def _name() -> str:
    return 'policy-%s' % uuid.uuid4().hex[:10]


def _metric_alarm(name: str, **actions) -> dict:
    return dict(AlarmName=name, Namespace='Policy/Test', MetricName='cpu', Statistic='Maximum',
                Period=60, EvaluationPeriods=1, Threshold=50.0,
                ComparisonOperator='GreaterThanThreshold', **actions)


@pytest.mark.parametrize('url, problem', [
    ('http://169.254.169.254/latest/meta-data/', 'the address 169.254.169.254 is in a denied '
                                                 'network'),
    ('http://[::1]:8080/hook', 'the address ::1 is in a denied network'),
    ('http://[::ffff:127.0.0.2]:8080/hook', 'is in a denied network'),
    ('http://2130706433:8080/hook', 'an IPv4 address must be written as four decimal numbers'),
    ('http://0x7f.0.0.1:8080/hook', 'an IPv4 address must be written as four decimal numbers'),
    ('http://10.0.0.5/hook', 'the address 10.0.0.5 is in a denied network'),
    ('http://127.0.0.1:22/hook', 'port 22 is not allowed'),
    ('http://localhost:25/hook', 'port 25 is not allowed'),
    ('https://alice:hunter2@192.0.2.10/hook', 'user names and passwords are not allowed'),
])
def test_put_metric_alarm_with_a_forbidden_action_is_400_naming_the_problem(
        client, url, problem):
    name = _name()
    secret_url = url + ('&' if '?' in url else '?') + 'Signature=t0ps3cret'

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.put_metric_alarm(**_metric_alarm(name, OKActions=['log://ok'],
                                                AlarmActions=[secret_url]))

    error = caught.value.response['Error']
    assert caught.value.response['ResponseMetadata']['HTTPStatusCode'] == 400
    assert error['Code'] == 'InvalidParameterValue'
    assert 'AlarmActions' in error['Message']
    assert REFUSED in error['Message'] and problem in error['Message']
    for secret in ('t0ps3cret', 'hunter2', 'alice', '/hook', '/latest'):
        assert secret not in error['Message']
    assert client.describe_alarms(AlarmNames=[name])['MetricAlarms'] == []


def test_put_composite_alarm_with_a_forbidden_action_is_400(client):
    child, parent = _name(), _name()
    client.put_metric_alarm(**_metric_alarm(child))

    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.put_composite_alarm(AlarmName=parent, AlarmRule='ALARM("%s")' % child,
                                   InsufficientDataActions=['http://169.254.169.254/'])

    assert caught.value.response['Error']['Code'] == 'InvalidParameterValue'
    assert 'InsufficientDataActions' in caught.value.response['Error']['Message']
    assert REFUSED in caught.value.response['Error']['Message']
    assert client.describe_alarms(AlarmNames=[parent],
                                  AlarmTypes=['CompositeAlarm'])['CompositeAlarms'] == []


def test_an_allowed_receiver_and_a_public_address_are_accepted(tenant_a):
    name = _name()
    tenant_a.json.put_metric_alarm(**_metric_alarm(
        name, AlarmActions=['http://127.0.0.1:8080/hook', 'https://192.0.2.10/hook',
                            'http://name-that-does-not-resolve.invalid/hook']))

    [alarm] = tenant_a.json.describe_alarms(AlarmNames=[name])['MetricAlarms']
    assert len(alarm['AlarmActions']) == 3


class _Receiver:
    def __init__(self):
        self.posts: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get('Content-Length', 0)))
                receiver.posts.append(self.path)
                self.send_response(200)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _action_items(client, name: str, timeout: float = 15.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        items = client.describe_alarm_history(
            AlarmName=name, HistoryItemType='Action')['AlarmHistoryItems']
        if items or time.monotonic() > deadline:
            return items
        time.sleep(0.1)


def test_an_action_forbidden_since_creation_is_refused_at_delivery_without_an_oracle(
        deployment, tenant_a):
    receiver = _Receiver()
    name = _name()
    url = 'http://127.0.0.1:%d/hook' % receiver.server.server_port
    try:
        tenant_a.json.put_metric_alarm(**_metric_alarm(name, AlarmActions=[url]))
        deployment.conf.set_override('allowed_networks', [], group='notifier')
        try:
            tenant_a.json.set_alarm_state(AlarmName=name, StateValue='ALARM',
                                          StateReason='testing the policy')
            items = _action_items(tenant_a.json, name)
        finally:
            deployment.conf.set_override('allowed_networks', ['127.0.0.1/32'],
                                         group='notifier')
    finally:
        receiver.close()

    assert len(items) == 1
    assert items[0]['HistorySummary'] == 'Failed to execute action %s' % url
    data = json.loads(items[0]['HistoryData'])
    assert data['actionState'] == 'Failed' and 'status' not in data
    assert data['error'] == REFUSED + ': the address 127.0.0.1 is in a denied network'
    assert receiver.posts == []
