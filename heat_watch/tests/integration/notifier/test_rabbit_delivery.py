"""heat-watch-notifier as a real process on RabbitMQ: at-least-once delivery
survives kill -9 mid-delivery; SIGTERM finishes the delivery and exits 0.

Each test uses its own exchange and topics, deleted afterwards. Without a
broker on 127.0.0.1:5672 the tests are skipped, unless
HEAT_WATCH_REQUIRE_SERVICES=1 makes that a failure.
"""

import pathlib
import signal
import socket
import subprocess
import sys
import time
import uuid

import kombu
import pytest
from oslo_config import cfg

from heat_watch import opts
from heat_watch.common import context as hw_context
from heat_watch.common import rpc
from heat_watch.notifier import client
from heat_watch.tests.functional.notifier import receiver as receivers
from heat_watch.tests.functional.notifier import support
from heat_watch.tests.integration import base

RABBIT_URL = 'rabbit://guest:guest@127.0.0.1:5672/'
AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672//'  # the same broker, as kombu spells it
NOTIFIER = pathlib.Path(sys.executable).with_name('heat-watch-notifier')


def _require_rabbit() -> None:
    try:
        socket.create_connection(('127.0.0.1', 5672), timeout=2).close()
    except OSError as exc:
        base.unavailable('RabbitMQ is not reachable on 127.0.0.1:5672 (%s)' % exc)


@pytest.fixture
def names():
    """Exchange and topics of this test only; their queues go afterwards."""
    _require_rabbit()
    suffix = uuid.uuid4().hex[:12]
    names = {'exchange': 'heat_watch_it_' + suffix, 'actions': 'actions_' + suffix,
             'engine': 'engine_' + suffix}
    yield names
    with kombu.Connection(AMQP_URL) as connection:
        channel = connection.channel()
        for queue in (names['actions'] + '.info', names['engine'],
                      names['engine'] + '.fake-engine'):
            channel.queue_delete(queue)
        channel.exchange_delete(names['exchange'])


@pytest.fixture
def config_file(tmp_path, names):
    path = tmp_path / 'heat_watch.conf'
    path.write_text('\n'.join([
        '[DEFAULT]', 'transport_url = ' + RABBIT_URL,
        'control_exchange = ' + names['exchange'], 'state_path = ' + str(tmp_path),
        '[notifier]', 'topic = ' + names['actions'], 'max_attempts = 3',
        'retry_initial_delay = 0.2', 'retry_max_delay = 1', 'rest_timeout = 10',
        'allowed_networks = 127.0.0.1/32',  # the receivers' loopback, denied by default
        '[watch_engine]', 'topic = ' + names['engine'], '']))
    return path


@pytest.fixture
def conf(names):
    """The test process's side: the engine's sender and a fake engine."""
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf(args=[], default_config_files=[])
    conf.set_override('transport_url', RABBIT_URL)
    conf.set_override('control_exchange', names['exchange'])
    conf.set_override('topic', names['actions'], group='notifier')
    conf.set_override('topic', names['engine'], group='watch_engine')
    yield conf
    # Only this test's connections: other tests may still use theirs.
    rpc.get_notification_transport(conf).cleanup()
    rpc.get_transport(conf).cleanup()


@pytest.fixture
def engine(conf):
    with support.fake_engine(conf) as engine:
        yield engine


class NotifierProcess:
    """heat-watch-notifier run with the test's config file, output to a file."""

    def __init__(self, config_file: pathlib.Path, name: str):
        self.output = config_file.with_name(name + '.log')
        with open(self.output, 'wb') as out:
            self.process = subprocess.Popen(
                [str(NOTIFIER), '--config-file', str(config_file)],
                stdout=out, stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.output.read_text(errors='replace')

    def wait_listening(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while 'listening for alarm actions' not in self.text():
            assert self.process.poll() is None, 'notifier exited:\n' + self.text()
            assert time.monotonic() < deadline, 'notifier did not start:\n' + self.text()
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)


@pytest.fixture
def notifiers(config_file):
    """start(name) -> a running NotifierProcess; all are killed afterwards."""
    started = []

    def start(name: str) -> NotifierProcess:
        process = NotifierProcess(config_file, name)
        started.append(process)
        process.wait_listening()
        return process

    yield start
    for process in started:
        process.stop(signal.SIGKILL)


def _send(conf, url: str) -> dict:
    payload = client.make_payload(
        action=url, alarm_id='alarm-it', alarm_name='cpu-high', project_id='p-it',
        previous='OK', current='ALARM', reason='Threshold Crossed', reason_data={})
    client.AlarmActionSender(conf).send(hw_context.RequestContext(project_id='p-it'), payload)
    return payload


def test_kill_9_mid_delivery_loses_nothing_the_action_is_redelivered(conf, notifiers):
    receiver = receivers.Receiver(first_delay=3.0)
    try:
        first = notifiers('first')
        payload = _send(conf, receiver.url + '/hook')
        assert receiver.wait_for(lambda r: r.started, 30), first.text()
        assert receiver.completed == []  # the notifier is waiting for the answer

        assert first.stop(signal.SIGKILL) == -signal.SIGKILL
        second = notifiers('second')
        assert receiver.wait_for(lambda r: len(r.started) == 2
                                 and r.started[1] in r.completed, 30), second.text()
    finally:
        receiver.close()

    redelivered = receiver.started[1]
    assert redelivered.headers['x-heat-watch-action-id'] == payload['action_id']
    assert redelivered.json == receiver.started[0].json
    assert redelivered.json['current'] == 'alarm' and redelivered.status == 200
    assert second.stop() == 0
    assert 'Traceback' not in second.text()


def test_sigterm_mid_delivery_finishes_it_acknowledges_it_and_exits_0(
        conf, engine, notifiers):
    receiver = receivers.Receiver(first_delay=2.0)
    try:
        notifier = notifiers('terminated')
        payload = _send(conf, receiver.url + '/hook')
        assert receiver.wait_for(lambda r: r.started, 30), notifier.text()

        assert notifier.stop(signal.SIGTERM) == 0
        assert len(receiver.completed) == 1
        [result] = engine.wait_for(1, timeout=30)
        assert (result['action_id'], result['outcome'], result['status']) == \
            (payload['action_id'], 'delivered', 200)

        # Acknowledged before the exit: a new notifier gets nothing again.
        again = notifiers('again')
        time.sleep(2.0)
        assert len(receiver.started) == 1
        assert again.stop() == 0
    finally:
        receiver.close()
    output = notifier.text()
    assert 'Caught SIGTERM, stopping' in output and 'Traceback' not in output
