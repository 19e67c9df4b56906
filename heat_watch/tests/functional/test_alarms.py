"""Alarms end to end through boto3 (JSON) and botocore (Query): evaluation,
history, actions POSTed to a real HTTP receiver on loopback."""

import datetime
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from heat_watch.tests.functional import support

PERIOD = 10


class Receiver:
    """An HTTP server that records the alarm notifications POSTed to it."""

    def __init__(self):
        self.posts: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                with receiver.lock:
                    receiver.posts.append({'path': self.path, 'body': json.loads(body),
                                           'headers': dict(self.headers)})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name: str) -> str:
        return 'http://127.0.0.1:%d/%s' % (self.server.server_port, name)

    def for_path(self, name: str) -> list[dict]:
        with self.lock:
            return [p['body'] for p in self.posts if p['path'] == '/' + name]

    def wait_for(self, name: str, count: int, timeout: float = 25.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            posts = self.for_path(name)
            if len(posts) >= count:
                return posts
            time.sleep(0.05)
        raise AssertionError('%d POSTs to /%s expected, got %s' % (
            count, name, self.for_path(name)))


@pytest.fixture(scope='module')
def receiver():
    running = Receiver()
    yield running
    running.server.shutdown()


def _name() -> str:
    return 'alarm-%s' % uuid.uuid4().hex[:10]


def _last_complete_period() -> datetime.datetime:
    now = time.time()
    return datetime.datetime.fromtimestamp((now // PERIOD) * PERIOD - PERIOD + 1, datetime.UTC)


def _wait_next_period() -> None:
    now = time.time()
    time.sleep((now // PERIOD + 1) * PERIOD - now + 0.2)


def _put_alarm(client, name: str, namespace: str, url: str, **extra) -> None:
    client.put_metric_alarm(**dict(
        AlarmName=name, Namespace=namespace, MetricName='cpu',
        Dimensions=[{'Name': 'host', 'Value': 'web-1'}], Statistic='Maximum',
        Period=PERIOD, EvaluationPeriods=1, Threshold=50.0,
        ComparisonOperator='GreaterThanThreshold', AlarmActions=[url], OKActions=[url],
        **extra))


def _push(client, namespace: str, value: float) -> None:
    client.put_metric_data(Namespace=namespace, MetricData=[{
        'MetricName': 'cpu', 'Dimensions': [{'Name': 'host', 'Value': 'web-1'}],
        'Value': value, 'Timestamp': _last_complete_period()}])


def _state(client, name: str) -> str:
    return client.describe_alarms(AlarmNames=[name])['MetricAlarms'][0]['StateValue']


def _wait_state(client, name: str, state: str, timeout: float = 25.0) -> None:
    deadline = time.monotonic() + timeout
    while _state(client, name) != state:
        assert time.monotonic() < deadline, 'alarm %s never reached %s' % (name, state)
        time.sleep(0.1)


def test_alarm_goes_ok_to_alarm_to_ok_and_posts_each_transition(client, namespace, receiver):
    name = _name()
    _put_alarm(client, name, namespace, receiver.url(name))
    assert _state(client, name) == 'INSUFFICIENT_DATA'
    _push(client, namespace, 90.0)
    first = receiver.wait_for(name, 1)[0]
    assert (first['alarm_name'], first['current']) == (name, 'alarm')
    assert first['previous'] == 'insufficient data'
    assert 'greater than the threshold (50.0)' in first['reason']
    assert _state(client, name) == 'ALARM'
    _wait_next_period()
    _push(client, namespace, 10.0)
    second = receiver.wait_for(name, 2)[1]
    assert (second['previous'], second['current']) == ('alarm', 'ok')
    history = client.describe_alarm_history(AlarmName=name,
                                            ScanBy='TimestampAscending')['AlarmHistoryItems']
    summaries = [item['HistorySummary'] for item in history
                 if item['HistoryItemType'] != 'Action']
    assert summaries == ['Alarm "%s" created' % name,
                         'Alarm updated from INSUFFICIENT_DATA to ALARM',
                         'Alarm updated from ALARM to OK']
    data = json.loads(history[1]['HistoryData'])
    assert data['newState']['stateReasonData']['recentDatapoints'] == [90.0]


def test_delivered_actions_are_in_the_history(client, namespace, receiver):
    name = _name()
    _put_alarm(client, name, namespace, receiver.url(name))
    client.set_alarm_state(AlarmName=name, StateValue='ALARM', StateReason='testing')
    receiver.wait_for(name, 1)
    deadline = time.monotonic() + 10
    while True:
        actions = client.describe_alarm_history(
            AlarmName=name, HistoryItemType='Action')['AlarmHistoryItems']
        if actions or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert actions and actions[0]['HistorySummary'].startswith('Successfully executed action')
    assert json.loads(actions[0]['HistoryData'])['actionState'] == 'Succeeded'


def test_set_alarm_state_runs_actions_and_evaluation_restores_the_true_state(
        client, namespace, receiver):
    name = _name()
    _put_alarm(client, name, namespace, receiver.url(name))
    client.set_alarm_state(AlarmName=name, StateValue='ALARM', StateReason='manual test',
                           StateReasonData='{"why": "testing"}')
    post = receiver.wait_for(name, 1)[0]
    assert (post['current'], post['reason']) == ('alarm', 'manual test')
    # No datapoint exists: the next sweep puts it back to INSUFFICIENT_DATA.
    _wait_state(client, name, 'INSUFFICIENT_DATA')


def test_disabled_actions_are_not_run_until_enabled_again(client, namespace, receiver):
    name = _name()
    _put_alarm(client, name, namespace, receiver.url(name))
    client.disable_alarm_actions(AlarmNames=[name])
    described = client.describe_alarms(AlarmNames=[name])['MetricAlarms'][0]
    assert described['ActionsEnabled'] is False
    client.set_alarm_state(AlarmName=name, StateValue='ALARM', StateReason='quiet')
    time.sleep(1.5)
    assert receiver.for_path(name) == []
    assert _state(client, name) == 'ALARM'
    client.enable_alarm_actions(AlarmNames=[name])
    client.set_alarm_state(AlarmName=name, StateValue='OK', StateReason='loud')
    assert receiver.wait_for(name, 1)[0]['current'] == 'ok'


def test_unknown_alarm_in_set_alarm_state_is_resource_not_found(lenient):
    code, status, _ = support.aws_error(lenient.set_alarm_state, AlarmName='no-such-alarm',
                                        StateValue='OK', StateReason='x')
    assert (code, status) == ('ResourceNotFound', 404)


def test_describe_alarms_filters_and_pages(client, namespace, receiver):
    prefix = 'page-%s-' % uuid.uuid4().hex[:6]
    names = ['%s%02d' % (prefix, i) for i in range(7)]
    for name in names:
        _put_alarm(client, name, namespace, receiver.url(name))
    seen, token = [], None
    while True:
        kwargs = {'AlarmNamePrefix': prefix, 'MaxRecords': 3}
        if token:
            kwargs['NextToken'] = token
        page = client.describe_alarms(**kwargs)
        assert len(page['MetricAlarms']) <= 3
        seen += [a['AlarmName'] for a in page['MetricAlarms']]
        token = page.get('NextToken')
        if not token:
            break
    assert seen == names
    for_metric = client.describe_alarms_for_metric(
        Namespace=namespace, MetricName='cpu', Dimensions=[{'Name': 'host', 'Value': 'web-1'}])
    assert sorted(a['AlarmName'] for a in for_metric['MetricAlarms']) == names
    client.delete_alarms(AlarmNames=names[:2])
    remaining = client.describe_alarms(AlarmNamePrefix=prefix)['MetricAlarms']
    assert [a['AlarmName'] for a in remaining] == names[2:]


def test_composite_alarm_follows_its_rule(client, namespace, receiver):
    first, second, parent = _name(), _name(), _name()
    # Without data, a sweep between the two SetAlarmState calls would put
    # the first child back to INSUFFICIENT_DATA; 'ignore' keeps the state set.
    _put_alarm(client, first, namespace, receiver.url(first), TreatMissingData='ignore')
    _put_alarm(client, second, namespace, receiver.url(second), TreatMissingData='ignore')
    client.put_composite_alarm(AlarmName=parent, AlarmRule='ALARM("%s") AND ALARM("%s")'
                               % (first, second), AlarmActions=[receiver.url(parent)])
    client.set_alarm_state(AlarmName=first, StateValue='ALARM', StateReason='one')
    time.sleep(0.5)
    assert receiver.for_path(parent) == []
    client.set_alarm_state(AlarmName=second, StateValue='ALARM', StateReason='two')
    post = receiver.wait_for(parent, 1)[0]
    assert post['current'] == 'alarm'
    composite = client.describe_alarms(AlarmNames=[parent], AlarmTypes=['CompositeAlarm'])
    assert composite['CompositeAlarms'][0]['StateValue'] == 'ALARM'


def test_another_project_never_sees_or_changes_an_alarm(tenant_a, tenant_b, namespace,
                                                       receiver):
    name = _name()
    _put_alarm(tenant_a.json, name, namespace, receiver.url(name))
    assert tenant_b.json.describe_alarms(AlarmNames=[name])['MetricAlarms'] == []
    code, status, _ = support.aws_error(tenant_b.json.set_alarm_state, AlarmName=name,
                                        StateValue='ALARM', StateReason='intruder')
    assert (code, status) == ('ResourceNotFound', 404)
    code, _, _ = support.aws_error(tenant_b.json.delete_alarms, AlarmNames=[name])
    assert code == 'ResourceNotFound'
    assert tenant_b.json.describe_alarm_history(AlarmName=name)['AlarmHistoryItems'] == []
    assert _state(tenant_a.json, name) == 'INSUFFICIENT_DATA'


def test_an_alarm_that_repeats_runs_its_actions_every_period(deployment, tenant_a, namespace,
                                                            receiver):
    from heat_watch.common import context
    from heat_watch.watch import model, rpcapi
    engine = rpcapi.WatchEngineClient(deployment.conf)
    name = _name()
    engine.put_alarm(context.RequestContext(project_id=tenant_a.project_id),
                     model.AlarmDefinition(
                         project_id=tenant_a.project_id, name=name,
                         rule=model.ThresholdRule(
                             metric=model.MetricSelector(namespace, 'cpu', (('host', 'web-1'),)),
                             period=PERIOD, evaluation_periods=1, threshold=50.0,
                             comparison='GreaterThanThreshold', statistic='Maximum'),
                         actions={'ALARM': [receiver.url(name)]}, repeat_actions=True,
                         severity='critical'))
    _push(tenant_a.json, namespace, 90.0)
    posts = receiver.wait_for(name, 2, timeout=40)
    assert [p['current'] for p in posts[:2]] == ['alarm', 'alarm']
    assert posts[0]['severity'] == 'critical'
