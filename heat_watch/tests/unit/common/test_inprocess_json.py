"""The ``inprocess://`` driver with ``json_round_trip`` on: what a broker
would refuse fails, and what it would change arrives changed."""

import datetime
import time

import oslo_messaging as messaging
import pytest

from heat_watch.common import exceptions, inprocess, rpc
from heat_watch.tests import services
from heat_watch.tests.unit.common import test_inprocess as base
from heat_watch.tests.unit.common.test_inprocess import WAIT, client, notifier

WHEN = datetime.datetime(2026, 1, 2, 3, 4, 5, 600000)


class JSONHarness(base.Harness):
    """The harness of the plain driver's tests, with every message through JSON."""

    def conf(self):
        conf = super().conf()
        conf.set_override('json_round_trip', True, group=inprocess.GROUP)
        return conf


@pytest.fixture
def harness():
    running = JSONHarness()
    yield running
    running.teardown()


class UnlistedError(Exception):
    """Of a module that is not in allowed_remote_exmods."""


class Endpoint(base.Endpoint):
    def fail_unlisted(self, ctxt):
        raise UnlistedError('no class for the caller')

    def when(self, ctxt):
        return {'at': WHEN, 'pair': (1, 2)}

    def context(self, ctxt):
        return ctxt

    def unserialisable(self, ctxt):
        return {'value': object()}


def test_the_option_is_off_by_default():
    conf = base.Harness().conf()

    assert conf[inprocess.GROUP].json_round_trip is False
    assert rpc.get_transport(conf)._driver.json_round_trip is False
    rpc.cleanup(conf)


def test_call_arguments_arrive_as_a_broker_delivers_them(harness):
    transport = harness.transport()
    harness.server(transport, endpoint=Endpoint())

    echoed = client(transport).call({}, 'echo', value={'at': WHEN, 'pair': (1, 2), 1: 'one'})

    # datetimes become strings, tuples lists, integer keys strings: as over RabbitMQ.
    assert echoed == {'at': '2026-01-02T03:04:05.600000', 'pair': [1, 2], '1': 'one'}


def test_the_call_context_arrives_as_a_broker_delivers_it(harness):
    transport = harness.transport()
    harness.server(transport, endpoint=Endpoint())

    assert client(transport).call({'request_id': 'req-1', 'at': WHEN}, 'context') == {
        'request_id': 'req-1', 'at': '2026-01-02T03:04:05.600000'}


def test_a_reply_arrives_as_a_broker_delivers_it(harness):
    transport = harness.transport()
    harness.server(transport, endpoint=Endpoint())

    assert client(transport).call({}, 'when') == {'at': '2026-01-02T03:04:05.600000',
                                                 'pair': [1, 2]}


def test_an_argument_json_cannot_carry_fails_in_the_caller(harness):
    transport = harness.transport()
    endpoint = harness.server(transport, endpoint=Endpoint())

    with pytest.raises(ValueError, match='Cannot convert'):
        client(transport).cast({}, 'record', value=object())
    with pytest.raises(ValueError, match='Cannot convert'):
        client(transport).call({}, 'echo', value={object()})

    assert endpoint.casts.empty()


def test_a_reply_json_cannot_carry_fails_instead_of_passing_by_reference(harness):
    transport = harness.transport()
    harness.server(transport, endpoint=Endpoint())

    with pytest.raises(ValueError, match='Cannot convert'):
        client(transport).call({}, 'unserialisable')


def test_an_allowed_exception_is_rebuilt_with_its_class(harness):
    transport = harness.transport()
    harness.server(transport, endpoint=Endpoint())

    with pytest.raises(exceptions.AlarmNotFound, match='Alarm cpu-high does not exist') as info:
        client(transport).call({}, 'fail', name='cpu-high')

    # A rebuilt copy (oslo.messaging renames its class), not the server's object.
    assert type(info.value).__name__ == 'AlarmNotFound_Remote'


def test_an_exception_of_a_module_not_allowed_becomes_a_remote_error(harness):
    transport = harness.transport()
    harness.server(transport, endpoint=Endpoint())

    with pytest.raises(messaging.RemoteError) as info:
        client(transport).call({}, 'fail_unlisted')

    assert info.value.exc_type == 'UnlistedError'
    assert 'no class for the caller' in info.value.value


def test_inline_calls_to_a_heat_watch_server_go_through_json_too(harness):
    conf = harness.conf()
    started = rpc.get_server(messaging.Target(topic='t', server='s1'), [Endpoint()], conf)
    started.start()
    harness.servers.append(started)

    calls = client(rpc.get_transport(conf))

    assert calls.call({}, 'echo', value=(WHEN,)) == ['2026-01-02T03:04:05.600000']
    with pytest.raises(exceptions.AlarmNotFound):
        calls.call({}, 'fail', name='a1')


def test_a_notification_arrives_as_a_broker_delivers_them(harness):
    transport = harness.notification_transport()
    received = []

    class Recorder:
        def info(self, ctxt, publisher_id, event_type, payload, metadata):
            received.append(payload)
            return messaging.NotificationResult.HANDLED

    harness.listener(transport, Recorder())
    notifier(transport).info({'request_id': 'req-1', 'at': WHEN}, 'alarm.transition',
                             {'n': 1, 'states': ('OK', 'ALARM')})

    drain_until(lambda: received)
    assert received[0] == {'n': 1, 'states': ['OK', 'ALARM']}


def drain_until(condition) -> None:
    """Wait (at most WAIT seconds) until ``condition()`` is true."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, 'nothing arrived within %s s' % WAIT
        time.sleep(0.02)


def test_the_test_deployments_run_with_the_round_trip_on(tmp_path):
    conf = services.make_conf(str(tmp_path))
    try:
        assert rpc.get_transport(conf)._driver.json_round_trip is True
    finally:
        rpc.cleanup(conf)
