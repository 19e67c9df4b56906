"""Publishing alarm actions never blocks evaluation (a broker outage through
a proxy the test controls, with real RabbitMQ): an alarm without actions
transitions on time while another alarm's actions wait in the outbox, and
those arrive in order once the broker is back."""

import datetime
import json
import time
import uuid

import amqp.exceptions
import kombu
import pytest
from oslo_config import cfg

from heat_watch import opts
from heat_watch.common import rpc
from heat_watch.notifier import client as notifier_client
from heat_watch.tests.integration import base, outbox_proxy
from heat_watch.tests.unit.watch import support
from heat_watch.watch import evaluator as evaluator_mod
from heat_watch.watch.storage import alarms as alarm_storage
from heat_watch.watch.storage import connection
from heat_watch.watch.storage import metrics as metric_storage

AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672//'


@pytest.fixture
def proxy(rabbit_url):
    running = outbox_proxy.TcpProxy(('127.0.0.1', 5672))
    yield running
    running.close()


@pytest.fixture
def names():
    suffix = uuid.uuid4().hex[:12]
    names = {'exchange': 'heat_watch_outbox_' + suffix, 'topic': 'actions_' + suffix}
    yield names
    with kombu.Connection(AMQP_URL) as conn:
        channel = conn.channel()
        channel.queue_delete(names['topic'] + '.info')
        channel.exchange_delete(names['exchange'])


@pytest.fixture
def conf(tmp_path, proxy, names):
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf(args=[], default_config_files=[])
    conf.set_override('state_path', str(tmp_path))
    conf.set_override('transport_url', 'rabbit://guest:guest@127.0.0.1:%d/' % proxy.port)
    conf.set_override('control_exchange', names['exchange'])
    conf.set_override('topic', names['topic'], group='notifier')
    # Reconnect within a second of the broker's return, not after 30 s.
    conf.set_override('rabbit_interval_max', 1, group='oslo_messaging_rabbit')
    conf.set_override('outbox_retry_interval', 0.2, group='watch_engine')
    connection.db_sync(conf)
    yield conf
    rpc.cleanup(conf)
    connection.dispose_engines()


def _received(names, count: int, timeout: float) -> list[dict]:
    """Payloads published on the test's topic, read straight from RabbitMQ."""
    payloads, deadline = [], time.monotonic() + timeout
    with kombu.Connection(AMQP_URL) as conn:
        channel = conn.channel()
        while len(payloads) < count and time.monotonic() < deadline:
            try:
                message = channel.basic_get(names['topic'] + '.info', no_ack=True)
            except amqp.exceptions.NotFound:  # the first publish declares it
                channel = conn.channel()
                message = None
            if message is None:
                time.sleep(0.1)
                continue
            body = json.loads(message.body)
            payloads.append(json.loads(body['oslo.message'])['payload'])
    return payloads


def _alarm(store, name: str, actions: list[str]) -> dict:
    return support.put(store, support.threshold(
        name, metric_name=name, threshold=50.0, statistic='Maximum',
        actions={'ALARM': actions, 'OK': actions}))


def test_a_broker_outage_delays_actions_but_never_evaluation(conf, proxy, names):
    store = alarm_storage.AlarmStore(connection.get_engine(conf), host='engine-it')
    evaluator = evaluator_mod.AlarmEvaluator(conf, store,
                                             notifier_client.AlarmActionSender(conf))
    evaluator.start()
    try:
        noisy = _alarm(store, 'noisy', ['https://hooks.example.com/noisy'])
        _alarm(store, 'silent', [])
        noisy = evaluator.change_state(noisy, 'ALARM', 'before the outage', '{}')
        (first,) = _received(names, 1, timeout=30)
        assert (first['alarm_name'], first['current']) == ('noisy', 'ALARM')

        proxy.cut()
        noisy = evaluator.change_state(noisy, 'OK', 'during the outage', '{}')
        stamp = (int(time.time()) // 60 - 1) * 60 * 1000 + 30_000
        metric_storage.MetricStore(store.engine).write(
            [('p1', 'ns', [{'n': 'silent', 'd': [], 't': stamp, 'v': 90.0}])])
        started = time.monotonic()
        evaluator.evaluate_alarms(store.for_metric_keys([store.get('p1', 'silent')['metric_key']]),
                                  datetime.datetime.now(datetime.UTC))
        assert time.monotonic() - started < 2.0
        assert store.get('p1', 'silent')['state'] == 'ALARM'
        evaluator.change_state(noisy, 'ALARM', 'still during the outage', '{}')
        time.sleep(1.0)
        assert len(store.pending_actions(10)) == 2  # nothing lost, nothing sent
        assert _received(names, 1, timeout=0.5) == []

        proxy.restore()
        later = _received(names, 2, timeout=60)
        assert [(p['previous'], p['current']) for p in later] == [('ALARM', 'OK'),
                                                                  ('OK', 'ALARM')]
        deadline = time.monotonic() + 10
        while store.pending_actions(10) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert store.pending_actions(10) == []
    finally:
        proxy.restore()
        evaluator.stop()


def test_the_outbox_proxy_refuses_connections_while_cut(proxy):
    import socket
    proxy.cut()
    sock = socket.create_connection(('127.0.0.1', proxy.port), timeout=2)
    sock.settimeout(2)
    assert sock.recv(1) == b''  # closed at once
    sock.close()
    proxy.restore()
    base.require_rabbitmq()
