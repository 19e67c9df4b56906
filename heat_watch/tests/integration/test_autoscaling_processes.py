"""The autoscaling loop with every daemon a separate process over RabbitMQ,
on MariaDB and on PostgreSQL (databases of their own): heat-watch-api-cloudwatch,
two heat-watch-engine sharing the alarms through tooz on the machine's Redis,
heat-watch-notifier, heat-watch-orchestrator (fake compute driver) and
heat-watch-api.

A stack made through python-heatclient against heat-watch-api's /v1 (a
group of 1 to 3, a scale-up and a scale-down policy, a high and a low alarm
on the group's metric with a 10 s period) scales out when boto3 puts
breaching datapoints through the CloudWatch API process: the alarm fires,
the notifier POSTs the policy's signed webhook, the group grows. Then the
engine that owns the high alarm is killed (SIGKILL): it leaves the tooz group
within the membership timeout, and the survivor's sweep, with no datapoint
arriving, repeats the alarm's action (the group grows again). A sustained
breach never passes MaxSize; once the load goes, the low alarm shrinks the
group back to MinSize. The stack's events and the alarms' history tell the
story. Last, an action left unsent in the outbox under the killed engine's
name (as a kill between a transition and its publish leaves it) is sent by
the survivor.
"""

import contextlib
import datetime
import re
import signal
import socket
import time
import uuid

import pytest
import sqlalchemy as sa
from heatclient import client as heat_client
from keystoneauth1 import session as ks_session
from tooz import coordination as tooz_coordination
from tooz import hashring

from heat_watch.tests import clients, templates
from heat_watch.tests.integration import base
from heat_watch.watch.storage import action_outbox, records
from heat_watch.watch.storage import alarms as alarm_storage

REDIS = ('127.0.0.1', 6379)
ENGINE_GROUP = b'heat-watch-engine-alarms'
# A killed engine stays a member of the tooz group this long (its last
# heartbeat's expiry); tooz's Redis default is 30 s.
MEMBERSHIP_TIMEOUT = 5.0
MEMBERSHIP_REFRESH = 1.0
PERIOD = 10
# Six processes start at once on a shared machine: more than
# base.START_TIMEOUT may pass.
START_TIMEOUT = 90.0
# Each step of the loop: a period, the cooldown-free signal, slack for a
# loaded machine.
STEP_TIMEOUT = 60.0
NAMESPACE = 'Test/ProcessLoop'


def _template() -> dict:
    return templates.autoscaling_loop(NAMESPACE, PERIOD)


def _require_redis() -> None:
    try:
        socket.create_connection(REDIS, timeout=2).close()
    except OSError:
        base.unavailable('Redis not reachable at %s:%d' % REDIS)


def _forget_namespace(namespace: str) -> None:
    """Delete the run's tooz keys (the group outlives its members)."""
    import redis
    client = redis.Redis(*REDIS)
    keys = client.keys(namespace + '*')
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope='module')
def loop(backend, rabbit_url, tmp_path_factory):
    """Every daemon a process; yields what the test drives them with."""
    _require_redis()
    workdir = str(tmp_path_factory.mktemp('autoscaling-processes-%s' % backend.name))
    orch_database = base.unique_name('asgloop_' + backend.name)
    orch_topic = base.unique_name('asgloop_orchestrator')
    rest_port = base.free_port()
    # A namespace of its own: engines of other runs on this Redis stay out
    # of this run's group.
    namespace = base.unique_name('asgloop')
    tooz_url = 'redis://%s:%d?namespace=%s&membership_timeout=%s' % (
        REDIS + (namespace, MEMBERSHIP_TIMEOUT))
    deployment = base.Deployment(backend, workdir, 'asgloop', extra={
        'orchestration_database': {'connection': backend.url(orch_database)},
        'orchestration': {'topic': orch_topic, 'compute_driver': 'fake',
                          'rpc_timeout': base.RPC_TIMEOUT,
                          'api_endpoint': 'http://127.0.0.1:%d' % rest_port},
        'api': {'bind_host': '127.0.0.1', 'bind_port': rest_port,
                'auth_strategy': 'noauth'}})
    engine_extra = {'coordination': {'backend_url': tooz_url,
                                     'membership_refresh': MEMBERSHIP_REFRESH}}
    backend.create(orch_database)
    try:
        deployment.create_database()
        deployment.write_config()
        deployment.manage('db_sync')
        project = 'project-%s' % uuid.uuid4().hex[:8]
        # The first key pair also makes the encryption key every process reads.
        creds = deployment.create_credentials(project)
        engines = [deployment.start_engine('engine-%d' % i, engine_extra) for i in (1, 2)]
        notifier = deployment.start_notifier()
        orchestrator = deployment.spawn('orchestrator', 'heat-watch-orchestrator')
        rest_api = deployment.spawn('rest-api', 'heat-watch-api')
        deployment.start_api_and_wait()
        for daemon in engines:
            daemon.wait_for_output(r'Watch engine \S+ listening on topic', START_TIMEOUT)
        notifier.wait_for_output(r'Notifier \S+ listening for alarm actions', START_TIMEOUT)
        orchestrator.wait_for_output(r'Orchestrator \S+ listening on topic', START_TIMEOUT)
        base.wait_rest_api(rest_api, rest_port, START_TIMEOUT)
        watch_db = sa.create_engine(backend.url(deployment.database))
        yield {'deployment': deployment, 'engines': engines, 'project': project,
               'creds': creds, 'rest': 'http://127.0.0.1:%d' % rest_port,
               'tooz_url': tooz_url, 'watch_db': watch_db}
        watch_db.dispose()
    finally:
        problems = deployment.teardown()
        backend.drop(orch_database)
        with contextlib.suppress(Exception):
            base.delete_queues([orch_topic, '%s.%s-orchestrator' % (
                orch_topic, deployment.hostname)])
        with contextlib.suppress(Exception):
            _forget_namespace(namespace)
    assert not problems, problems


def _heat(rest: str, project: str):
    """python-heatclient on the noauth REST API, acting as ``project``."""
    session = ks_session.Session(additional_headers={'X-Project-Id': project,
                                                     'X-User-Id': 'user-' + project})
    return heat_client.Client('1', session=session,
                              endpoint_override='%s/v1/%s' % (rest, project))


def _members(tooz_url: str) -> set[bytes]:
    """The engines' tooz group as Redis holds it now."""
    observer = tooz_coordination.get_coordinator(tooz_url, b'observer-' +
                                                 uuid.uuid4().hex.encode())
    observer.start()
    try:
        return set(observer.get_members(ENGINE_GROUP).get())
    finally:
        observer.stop()


class _Loop:
    """The stack under test and the clients that drive and read it."""

    def __init__(self, loop: dict):
        self.heat = _heat(loop['rest'], loop['project'])
        created = self.heat.stacks.create(stack_name='loop', template=_template())
        self.id = created['stack']['id']
        stack = base.wait_until(lambda: self._settled(), START_TIMEOUT, 0.2, 'stack created')
        assert stack.stack_status == 'CREATE_COMPLETE', stack.stack_status_reason
        self.cloudwatch = clients.boto3_client(loop['deployment'].endpoint,
                                               loop['creds'].access, loop['creds'].secret)
        self.group = self.output('group_name')

    def _settled(self):
        stack = self.heat.stacks.get(self.id)
        return None if stack.stack_status.endswith('IN_PROGRESS') else stack

    def output(self, key: str):
        return self.heat.stacks.output_show(self.id, key)['output']['output_value']

    def size(self) -> int:
        return self.output('size')

    def alarm_name(self, resource: str) -> str:
        return self.heat.resources.get(self.id, resource).physical_resource_id

    def put(self, value: float) -> None:
        self.cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=[{
            'MetricName': 'cpu', 'Value': value,
            'Timestamp': datetime.datetime.now(datetime.UTC),
            'Dimensions': [{'Name': 'AutoScalingGroupName', 'Value': self.group}]}])

    def put_until(self, value: float, size: int, message: str) -> None:
        """Keep putting ``value`` (twice a second) until the group has ``size``."""
        def reached() -> bool:
            self.put(value)
            return self.size() == size
        base.wait_until(reached, STEP_TIMEOUT, 0.5, message)

    def signal_reasons(self, policy: str) -> list[str]:
        return [e.resource_status_reason for e in self.heat.events.list(
            self.id, resource_name=policy) if e.resource_status.startswith('SIGNAL')]

    def history(self, resource: str) -> list[dict]:
        return self.cloudwatch.describe_alarm_history(
            AlarmName=self.alarm_name(resource))['AlarmHistoryItems']

    def successful_actions(self, resource: str) -> int:
        return sum(1 for h in self.history(resource) if h['HistoryItemType'] == 'Action'
                   and 'Success' in h['HistorySummary'])


def _summaries(history: list[dict]) -> list[str]:
    """The state changes of an alarm's history, oldest first."""
    return [h['HistorySummary'] for h in sorted(history, key=lambda h: h['Timestamp'])
            if h['HistoryItemType'] == 'StateUpdate']


def _owner(loop: dict, alarm_name: str) -> base.Daemon:
    """The engine whose share of the sweep holds the alarm (the same hash
    ring over the same members as the engines' own)."""
    with loop['watch_db'].connect() as conn:
        alarm_id = conn.execute(sa.text('SELECT id FROM alarms WHERE name = :n'),
                                {'n': alarm_name}).scalar_one()
    hosts = {('%s-%s' % (loop['deployment'].hostname, d.name)).encode(): d
             for d in loop['engines']}
    assert _members(loop['tooz_url']) == set(hosts)
    [node] = hashring.HashRing(set(hosts)).get_nodes(str(alarm_id).encode())
    return hosts[node]


def _record_unsent_action(loop: dict, victim: base.Daemon, alarm_name: str) -> None:
    """An ALARM action of ``alarm_name`` in the outbox, as ``victim`` records it."""
    host = '%s-%s' % (loop['deployment'].hostname, victim.name)
    store = alarm_storage.AlarmStore(loop['watch_db'], host=host)
    [alarm] = store.find(loop['project'], names=[alarm_name])
    actions = records.actions_of(alarm)['ALARM']
    rows = action_outbox.outbox_rows(host, dict(alarm, state='ALARM'), 'OK', actions,
                                     int(time.time() * 1000))
    with loop['watch_db'].begin() as conn:
        store.insert_actions(conn, rows)


def test_the_loop_goes_on_when_the_engine_owning_the_alarm_is_killed(loop):
    stack = _Loop(loop)
    assert stack.size() == 1
    high = stack.alarm_name('high')

    # A breach: the alarm fires, the notifier POSTs the webhook, +1.
    stack.put_until(95.0, 2, 'the group grown to 2 by the high alarm')
    base.wait_until(lambda: stack.successful_actions('high') == 1, STEP_TIMEOUT, 0.2,
                    'the first action recorded')

    # No datapoint arrives from now on: only the sweep of the alarm's owner
    # can run its action again, once a period while it stays in ALARM.
    victim = _owner(loop, high)
    [survivor] = [d for d in loop['engines'] if d is not victim]
    killed_at = time.monotonic()
    victim.signal(signal.SIGKILL)
    assert victim.wait(10) == -signal.SIGKILL
    survivor_host = ('%s-%s' % (loop['deployment'].hostname, survivor.name)).encode()
    base.wait_until(lambda: _members(loop['tooz_url']) == {survivor_host},
                    MEMBERSHIP_TIMEOUT + 5, 0.2, 'the killed engine gone from the group')
    base.wait_until(lambda: stack.size() == 3, MEMBERSHIP_TIMEOUT + PERIOD + 30, 0.5,
                    'the group grown to 3 by the survivor repeating the action')
    took = time.monotonic() - killed_at
    base.wait_until(lambda: stack.successful_actions('high') == 2, STEP_TIMEOUT, 0.2,
                    'the repeated action recorded')
    # The alarm never left ALARM meanwhile: that was a repeat, not a new breach.
    assert _summaries(stack.history('high')) == ['Alarm updated from INSUFFICIENT_DATA '
                                                 'to ALARM']

    # A sustained breach through the survivor: never past MaxSize.
    until = time.monotonic() + PERIOD + 2
    while time.monotonic() < until:
        stack.put(95.0)
        time.sleep(0.5)
    assert stack.size() == 3

    # The load goes: the low alarm scales in one step per period to MinSize.
    stack.put_until(5.0, 1, 'the group shrunk to 1 by the low alarm')

    ups, downs = stack.signal_reasons('up'), stack.signal_reasons('down')
    assert any('from 1 to 2' in r and high in r for r in ups), ups
    assert any('from 2 to 3' in r for r in ups), ups
    assert not any('to 4' in r for r in ups), ups
    assert any('from 3 to 2' in r for r in downs) and any('from 2 to 1' in r for r in downs), \
        downs
    assert _summaries(stack.history('high')) == [
        'Alarm updated from INSUFFICIENT_DATA to ALARM', 'Alarm updated from ALARM to OK']
    assert 'Alarm updated from OK to ALARM' in _summaries(stack.history('low'))
    assert stack.successful_actions('low') >= 2
    # The survivor, not the victim, took the victim's alarm back to OK.
    assert re.search(r'Alarm %s \(\S+\) went from ALARM to OK' % re.escape(high),
                     survivor.output())

    # What the victim would have left had it died between a transition and
    # its publish: an action recorded under its host name. The survivor owns
    # the alarm now and sends it; the notifier POSTs it, the group grows.
    _record_unsent_action(loop, victim, high)
    base.wait_until(lambda: sum('from 1 to 2' in r for r in stack.signal_reasons('up')) == 2,
                    STEP_TIMEOUT, 0.5, 'the orphaned action sent by the survivor')
    assert 'Sent 1 alarm actions recorded by engines no longer running' in survivor.output()
    with loop['watch_db'].connect() as conn:
        assert conn.execute(sa.text('SELECT count(*) FROM alarm_action_outbox')).scalar() == 0

    print('killed engine replaced within %.1f s (membership timeout %.0f s, period %d s)'
          % (took, MEMBERSHIP_TIMEOUT, PERIOD))
