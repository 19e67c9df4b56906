"""The alarm loop across processes, on both databases: an alarm created
through the CloudWatch API (boto3) or the watch engine's RPC API, a
datapoint put, the engine's evaluation, the notification over RabbitMQ, the
notifier's POST to an HTTP receiver on loopback, and the history of it all.

Alarms use Period 10 and EvaluationPeriods 1; only complete periods count,
so the breaching datapoint goes two periods back and the one that clears it
into the last complete period: each is evaluated as soon as it is stored.
TreatMissingData is ``ignore``, so that the datapoints ageing out of the
window later change nothing while the test still looks.
"""

import datetime
import http.server
import json
import threading
import time
import uuid

import pytest
from oslo_config import cfg

from heat_watch import opts
from heat_watch.cloudwatch.actions import alarm_shapes
from heat_watch.common import config, rpc
from heat_watch.common import context as hw_context
from heat_watch.tests import clients
from heat_watch.tests.integration import base
from heat_watch.watch import model, points, rpcapi

UTC = datetime.UTC
PERIOD = 10
DELIVERY_TIMEOUT = 15.0


class Receiver:
    """An HTTP server on loopback that records every POST."""

    def __init__(self):
        self.posts: list[dict] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw
                with receiver._changed:
                    receiver.posts.append({'path': self.path, 'headers': dict(self.headers),
                                           'body': body})
                    receiver._changed.notify_all()
                self.send_response(200)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return 'http://127.0.0.1:%d%s' % (self.server.server_address[1], path)

    def for_alarm(self, name: str) -> list[dict]:
        with self._changed:
            return [p for p in self.posts
                    if isinstance(p['body'], dict) and p['body'].get('alarm_name') == name]

    def wait_post(self, name: str, current: str, timeout: float = DELIVERY_TIMEOUT) -> dict:
        """The first POST about alarm ``name`` whose current state is ``current``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for post in self.posts:
                    body = post['body']
                    if isinstance(body, dict) and body.get('alarm_name') == name \
                            and body.get('current') == current:
                        return post
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError('no POST with current=%r for alarm %s within %ss; '
                                         'received: %s' % (current, name, timeout, self.posts))
                self._changed.wait(remaining)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope='module')
def receiver():
    running = Receiver()
    yield running
    running.close()


@pytest.fixture(scope='module')
def deployment(backend, rabbit_url, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp('alarm-%s' % backend.name))
    with base.running(backend, workdir, 'alarm', engines=1, projects=1) as running:
        yield running


@pytest.fixture(scope='module')
def cloudwatch(deployment):
    creds = deployment.credentials[0]
    return clients.boto3_client(deployment.endpoint, creds.access, creds.secret)


@pytest.fixture(scope='module')
def engine_client(deployment):
    """The watch engine's RPC client, in this process, over the same RabbitMQ."""
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf([], project=config.PROJECT, default_config_files=[])
    conf.set_override('transport_url', base.RABBIT_URL)
    conf.set_override('topic', deployment.topic, group='watch_engine')
    conf.set_override('rpc_timeout', base.RPC_TIMEOUT, group='watch_engine')
    client = rpcapi.WatchEngineClient(conf)
    yield client
    rpc.cleanup(conf)


@pytest.fixture
def alarm_name(request) -> str:
    return 'integration-%s-%s' % (request.node.originalname[5:30], uuid.uuid4().hex[:8])


def breaching_time() -> datetime.datetime:
    """Inside the complete period before the last one."""
    now = time.time()
    return datetime.datetime.fromtimestamp((now // PERIOD) * PERIOD - 2 * PERIOD + 5, UTC)


def clearing_time() -> datetime.datetime:
    """Inside the last complete period (always newer than breaching_time())."""
    now = time.time()
    return datetime.datetime.fromtimestamp((now // PERIOD) * PERIOD - PERIOD + 5, UTC)


def alarm_definition(name: str, namespace: str, receiver: Receiver) -> dict:
    return {
        'AlarmName': name, 'AlarmDescription': 'integration test alarm',
        'Namespace': namespace, 'MetricName': 'Load',
        'Dimensions': [{'Name': 'Group', 'Value': 'g1'}],
        'Statistic': 'Maximum', 'Period': PERIOD, 'EvaluationPeriods': 1,
        'Threshold': 50.0, 'ComparisonOperator': 'GreaterThanThreshold',
        'TreatMissingData': 'ignore', 'ActionsEnabled': True,
        'AlarmActions': [receiver.url('/alarm/%s' % name)],
        'OKActions': [receiver.url('/ok/%s' % name)],
    }


def check_post(post: dict, name: str, path: str, previous: tuple, current: str,
               project_id: str) -> None:
    body = post['body']
    assert post['path'] == path
    assert body['alarm_name'] == name
    assert body['current'] == current
    assert body['previous'] in previous
    assert body['project_id'] == project_id
    assert body['alarm_id']
    assert body['reason']
    assert post['headers'].get('X-Heat-Watch-Action-Id')
    assert post['headers'].get('Content-Type') == 'application/json'


def state_updates(items: list[dict]) -> list[tuple[str, str]]:
    """(old, new) states of StateUpdate history items, oldest first."""
    found = []
    for item in sorted(items, key=lambda i: i['Timestamp']):
        if item['HistoryItemType'] == 'StateUpdate':
            data = json.loads(item['HistoryData'])
            found.append((data['oldState']['stateValue'], data['newState']['stateValue']))
    return found


def succeeded_actions(items: list[dict]) -> list[str]:
    """notificationResource of the Action history items that report success."""
    return sorted(json.loads(i['HistoryData'])['notificationResource'] for i in items
                  if i['HistoryItemType'] == 'Action'
                  and json.loads(i['HistoryData']).get('actionState') == 'Succeeded')


# -- through the CloudWatch API ------------------------------------------------------


def test_alarm_loop_through_the_cloudwatch_api(deployment, cloudwatch, receiver, alarm_name):
    namespace = 'Integration/Alarms/%s' % uuid.uuid4().hex[:8]
    definition = alarm_definition(alarm_name, namespace, receiver)
    project_id = deployment.credentials[0].project_id
    dims = definition['Dimensions']

    cloudwatch.put_metric_alarm(**definition)
    [described] = cloudwatch.describe_alarms(AlarmNames=[alarm_name])['MetricAlarms']
    assert described['StateValue'] == 'INSUFFICIENT_DATA'
    assert described['AlarmActions'] == definition['AlarmActions']
    assert described['OKActions'] == definition['OKActions']

    # Breaching: ALARM, the AlarmActions URL gets a POST.
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'Load', 'Dimensions': dims, 'Value': 90.0,
         'Timestamp': breaching_time(), 'StorageResolution': 1}])
    alarm_post = receiver.wait_post(alarm_name, 'alarm')
    check_post(alarm_post, alarm_name, '/alarm/%s' % alarm_name,
               ('insufficient data', 'ok'), 'alarm', project_id)
    [described] = cloudwatch.describe_alarms(AlarmNames=[alarm_name])['MetricAlarms']
    assert described['StateValue'] == 'ALARM'

    # Below the threshold in a newer period: OK, the OKActions URL gets a POST.
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'Load', 'Dimensions': dims, 'Value': 10.0,
         'Timestamp': clearing_time(), 'StorageResolution': 1}])
    ok_post = receiver.wait_post(alarm_name, 'ok')
    check_post(ok_post, alarm_name, '/ok/%s' % alarm_name, ('alarm',), 'ok', project_id)
    assert ok_post['body']['alarm_id'] == alarm_post['body']['alarm_id']
    assert ok_post['headers']['X-Heat-Watch-Action-Id'] != \
        alarm_post['headers']['X-Heat-Watch-Action-Id']
    [described] = cloudwatch.describe_alarms(AlarmNames=[alarm_name])['MetricAlarms']
    assert described['StateValue'] == 'OK'

    # The history: both transitions, and (reported by the notifier) both deliveries.
    def history():
        items = cloudwatch.describe_alarm_history(AlarmName=alarm_name)['AlarmHistoryItems']
        return items if len(succeeded_actions(items)) >= 2 else None

    items = base.wait_until(history, DELIVERY_TIMEOUT, message='two Action history items')
    assert state_updates(items) == [('INSUFFICIENT_DATA', 'ALARM'), ('ALARM', 'OK')]
    assert succeeded_actions(items) == sorted(definition['AlarmActions']
                                              + definition['OKActions'])
    assert {i['AlarmName'] for i in items} == {alarm_name}
    assert [i['HistoryItemType'] for i in items].count('ConfigurationUpdate') == 1
    only_state = cloudwatch.describe_alarm_history(
        AlarmName=alarm_name, HistoryItemType='StateUpdate')['AlarmHistoryItems']
    assert len(only_state) == 2
    # Exactly one POST per transition, and no action left in the queue.
    assert len(receiver.for_alarm(alarm_name)) == 2
    assert base.queue_depths([deployment.notifier_topic + '.info']) == {
        deployment.notifier_topic + '.info': 0}


# -- through the watch engine's RPC API ----------------------------------------------


def test_alarm_loop_through_the_engine_rpc_api(deployment, engine_client, receiver,
                                               alarm_name):
    project_id = 'rpc-%s' % uuid.uuid4().hex[:8]
    ctxt = hw_context.RequestContext(project_id=project_id)
    namespace = 'Integration/RPC/%s' % uuid.uuid4().hex[:8]
    definition = alarm_definition(alarm_name, namespace, receiver)
    dims = [['Group', 'g1']]

    created, is_new = engine_client.put_alarm(ctxt, alarm_shapes.definition(definition))
    assert is_new is True and created.definition.project_id == project_id
    described = engine_client.get_alarm(ctxt, created.definition.id)
    assert described.state.state == 'INSUFFICIENT_DATA'

    def put(value: float, when: datetime.datetime) -> None:
        point = points.value_point(int(when.timestamp() * 1000), 'None', 1, value)
        stored = engine_client.put_metric_data(ctxt, namespace, [['Load', dims, [point]]])
        assert stored == 1

    put(90.0, breaching_time())
    alarm_post = receiver.wait_post(alarm_name, 'alarm')
    check_post(alarm_post, alarm_name, '/alarm/%s' % alarm_name,
               ('insufficient data', 'ok'), 'alarm', project_id)
    assert alarm_post['body']['alarm_id'] == created.definition.id

    put(10.0, clearing_time())
    ok_post = receiver.wait_post(alarm_name, 'ok')
    check_post(ok_post, alarm_name, '/ok/%s' % alarm_name, ('alarm',), 'ok', project_id)

    # The data went in over RPC too: the engine's statistics see both values.
    now_ms = int(time.time() * 1000)
    stats = engine_client.metric_statistics(
        ctxt, model.MetricSelector(namespace, 'Load', (('Group', 'g1'),)),
        now_ms - 120 * 1000, now_ms, PERIOD)
    assert sorted((p.sample_count, p.maximum) for p in stats.points) == [
        (1.0, 10.0), (1.0, 90.0)]

    def history():
        items = [alarm_shapes.history_item(i, 'RegionOne') for i in engine_client.get_alarm_history(
            ctxt, created.definition.id).items]
        return items if len(succeeded_actions(items)) >= 2 else None

    items = base.wait_until(history, DELIVERY_TIMEOUT, message='two Action history items')
    assert state_updates(items) == [('INSUFFICIENT_DATA', 'ALARM'), ('ALARM', 'OK')]
    assert succeeded_actions(items) == sorted(definition['AlarmActions']
                                              + definition['OKActions'])
    assert len(receiver.for_alarm(alarm_name)) == 2

    # Another project sees neither the alarm nor its history.
    stranger = hw_context.RequestContext(project_id='stranger-%s' % uuid.uuid4().hex[:8])
    assert engine_client.list_alarms(stranger, model.AlarmFilter(names=[alarm_name])).items == []
    assert engine_client.get_alarm_history(stranger, alarm_name=alarm_name).items == []

    engine_client.delete_alarms(ctxt, [alarm_name])
    assert engine_client.list_alarms(ctxt, model.AlarmFilter(names=[alarm_name])).items == []
