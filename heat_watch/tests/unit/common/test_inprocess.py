"""The ``inprocess://`` oslo.messaging driver, through oslo.messaging's own API."""

import queue
import threading
import time

import oslo_messaging as messaging
import pytest
from oslo_config import cfg

from heat_watch import opts
from heat_watch.common import exceptions, inprocess, rpc

WAIT = 5  # seconds: an upper bound for things that should take milliseconds


class Harness:
    """Transports, servers and listeners of one test; all stopped at teardown."""

    def __init__(self):
        self.servers: list[messaging.MessageHandlingServer] = []
        self.transports: list[messaging.Transport] = []
        self.confs: list[cfg.ConfigOpts] = []

    def conf(self) -> cfg.ConfigOpts:
        conf = cfg.ConfigOpts()
        opts.register_all(conf)
        conf([], default_config_files=[])
        conf.set_override('transport_url', 'inprocess://')
        self.confs.append(conf)
        return conf

    def transport(self, conf: cfg.ConfigOpts | None = None) -> messaging.Transport:
        transport = messaging.get_rpc_transport(conf or self.conf(),
                                                allowed_remote_exmods=rpc.ALLOWED_EXMODS)
        self.transports.append(transport)
        return transport

    def notification_transport(self) -> messaging.Transport:
        transport = messaging.get_notification_transport(self.conf())
        self.transports.append(transport)
        return transport

    def server(self, transport, topic='t', server='s1', endpoint=None):
        endpoint = endpoint or Endpoint()
        started = messaging.get_rpc_server(
            transport, messaging.Target(topic=topic, server=server), [endpoint])
        started.start()
        self.servers.append(started)
        return endpoint

    def listener(self, transport, endpoint, pool=None, topic='events'):
        started = messaging.get_notification_listener(
            transport, [messaging.Target(topic=topic)], [endpoint], allow_requeue=True,
            pool=pool)
        started.start()
        self.servers.append(started)
        return endpoint

    def teardown(self):
        for server in self.servers:
            server.stop()
        # wait() takes ~1 s (futurist's idle workers notice shutdown once a
        # second): wait for all the servers at once.
        waits = [threading.Thread(target=server.wait) for server in self.servers]
        for thread in waits:
            thread.start()
        for thread in waits:
            thread.join()
        for transport in self.transports:
            transport.cleanup()
        for conf in self.confs:
            rpc.cleanup(conf)


@pytest.fixture
def harness():
    running = Harness()
    yield running
    running.teardown()


class Endpoint:
    def __init__(self):
        self.casts: queue.Queue = queue.Queue()

    def echo(self, ctxt, value):
        return value

    def record(self, ctxt, value):
        self.casts.put(value)

    def fail(self, ctxt, name):
        raise exceptions.AlarmNotFound(name=name)


class NotificationEndpoint:
    """Records each delivery; asks for ``requeue`` redeliveries of each message first."""

    def __init__(self, requeue=0):
        self.received: queue.Queue = queue.Queue()
        self._requeue = requeue
        self._seen: dict[int, int] = {}
        self._lock = threading.Lock()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self.received.put(payload['n'])
        with self._lock:
            self._seen[payload['n']] = seen = self._seen.get(payload['n'], 0) + 1
        if seen <= self._requeue:
            return messaging.NotificationResult.REQUEUE
        return messaging.NotificationResult.HANDLED


def drain(received: queue.Queue, count: int) -> list:
    """``count`` items (failing after WAIT seconds), then whatever else arrives soon."""
    items = [received.get(timeout=WAIT) for _ in range(count)]
    try:
        while True:
            items.append(received.get(timeout=0.2))
    except queue.Empty:
        return items


def client(transport, topic='t', timeout=WAIT, **kwargs):
    return messaging.get_rpc_client(transport, messaging.Target(topic=topic, **kwargs),
                                    timeout=timeout)


def notifier(transport, topic='events'):
    return messaging.Notifier(transport, publisher_id='test', driver='messagingv2',
                              topics=[topic])


def test_the_in_process_url_loads_this_driver_and_notifications_share_it(harness):
    conf = harness.conf()
    conf.set_override('transport_url', rpc.IN_PROCESS_URL)

    driver = rpc.get_transport(conf)._driver

    assert rpc.IN_PROCESS_URL == 'inprocess://'
    assert isinstance(driver, inprocess.InProcessDriver)
    assert rpc.get_notification_transport(conf)._driver is driver


def test_a_call_returns_the_servers_result(harness):
    transport = harness.transport()
    harness.server(transport)

    assert client(transport).call({}, 'echo', value={'a': [1, 2]}) == {'a': [1, 2]}


def test_messages_are_passed_by_reference_without_serialization(harness):
    transport = harness.transport()
    harness.server(transport)
    value = {object()}  # not JSON-serializable, and must come back as itself

    assert client(transport).call({}, 'echo', value=value) is value


def test_a_cast_is_delivered(harness):
    transport = harness.transport()
    endpoint = harness.server(transport)

    client(transport).cast({}, 'record', value=7)

    assert endpoint.casts.get(timeout=WAIT) == 7


def test_a_call_addressed_to_a_server_reaches_that_server(harness):
    transport = harness.transport()
    first = harness.server(transport, server='s1')
    second = harness.server(transport, server='s2')

    _assert_calls_reach_only(transport, second, first)


def _assert_calls_reach_only(transport, addressed, other, count=5):
    """Calls addressed to server 's2' reach its endpoint ``addressed`` only."""
    for _ in range(count):
        client(transport, server='s2').call({}, 'record', value='x')

    assert drain(addressed.casts, count) == ['x'] * count
    assert other.casts.empty()


def test_the_servers_exception_crosses_with_its_class(harness):
    transport = harness.transport()
    harness.server(transport)

    with pytest.raises(exceptions.AlarmNotFound, match='Alarm cpu-high does not exist'):
        client(transport).call({}, 'fail', name='cpu-high')


def test_a_call_nobody_answers_times_out(harness):
    transport = harness.transport()
    started = time.monotonic()

    with pytest.raises(messaging.MessagingTimeout):
        client(transport, topic='nobody', timeout=0.2).call({}, 'echo', value=1)

    assert 0.15 < time.monotonic() - started < WAIT


def test_a_call_round_trip_takes_no_polling_interval(harness):
    # The fake driver's listener sleeps 50 ms when idle: 200 calls took ~10 s.
    transport = harness.transport()
    harness.server(transport)
    calls = client(transport)
    calls.call({}, 'echo', value=0)  # warm up

    started = time.monotonic()
    for n in range(200):
        assert calls.call({}, 'echo', value=n) == n

    assert time.monotonic() - started < 5  # 10 s with a 50 ms poll; ~0.1 s here


def test_two_transports_do_not_see_or_clear_each_others_messages(harness):
    first, second = harness.transport(), harness.transport()
    # Stored on the first transport until a server takes it...
    client(first).cast({}, 'record', value='first')
    # ... while the second transport carries its own messages and is cleaned up.
    on_second = harness.server(second)
    client(second).cast({}, 'record', value='second')
    assert on_second.casts.get(timeout=WAIT) == 'second'
    with pytest.raises(messaging.MessagingTimeout):
        client(second, topic='only-on-first', timeout=0.1).call({}, 'echo', value=1)
    second.cleanup()

    on_first = harness.server(first)

    assert drain(on_first.casts, 1) == ['first']
    assert on_second.casts.empty()


def test_competing_servers_of_a_topic_get_each_cast_once(harness):
    transport = harness.transport()
    shared = Endpoint()
    harness.server(transport, server='s1', endpoint=shared)
    harness.server(transport, server='s2', endpoint=shared)

    for n in range(50):
        client(transport).cast({}, 'record', value=n)

    assert sorted(drain(shared.casts, 50)) == list(range(50))


def test_a_fanout_cast_reaches_every_server_of_the_topic(harness):
    transport = harness.transport()
    first = harness.server(transport, server='s1')
    second = harness.server(transport, server='s2')
    elsewhere = harness.server(transport, topic='other', server='s3')

    client(transport, fanout=True).cast({}, 'record', value='all')

    assert drain(first.casts, 1) == ['all']
    assert drain(second.casts, 1) == ['all']
    assert elsewhere.casts.empty()


def test_a_requeued_notification_is_delivered_again(harness):
    transport = harness.notification_transport()
    endpoint = harness.listener(transport, NotificationEndpoint(requeue=2))

    notifier(transport).info({}, 'alarm.action', {'n': 1})

    assert drain(endpoint.received, 3) == [1, 1, 1]


def test_a_notification_sent_before_the_listener_starts_is_kept(harness):
    transport = harness.notification_transport()
    notifier(transport).info({}, 'alarm.action', {'n': 1})

    endpoint = harness.listener(transport, NotificationEndpoint())

    assert drain(endpoint.received, 1) == [1]


def test_each_pool_gets_the_stream_once_and_listeners_without_pool_share_one(harness):
    transport = harness.notification_transport()
    pool_a = NotificationEndpoint()
    no_pool = NotificationEndpoint()
    for _ in range(2):
        harness.listener(transport, pool_a, pool='a')
        harness.listener(transport, no_pool)
    pool_b = harness.listener(transport, NotificationEndpoint(), pool='b')

    send = notifier(transport)
    for n in range(20):
        send.info({}, 'alarm.action', {'n': n})

    for endpoint in (pool_a, no_pool, pool_b):
        assert sorted(drain(endpoint.received, 20)) == list(range(20))


def test_poll_honours_its_timeout_and_returns_at_once_when_stopped(harness):
    driver = harness.transport()._driver
    listener = driver.listen(messaging.Target(topic='quiet'), 1, None)._poll_style_listener

    started = time.monotonic()
    assert listener.poll(timeout=0.2) == []
    assert 0.15 < time.monotonic() - started < WAIT

    polled: queue.Queue = queue.Queue()
    poller = threading.Thread(target=lambda: polled.put(listener.poll()))
    poller.start()
    time.sleep(0.1)
    started = time.monotonic()
    listener.stop()
    poller.join(WAIT)

    assert polled.get_nowait() == []
    assert time.monotonic() - started < 1
    listener.cleanup()


class ThreadEndpoint(Endpoint):
    def thread(self, ctxt):
        return threading.current_thread()


def _inline_server(harness, conf, server='s1', endpoint=None):
    """A server of rpc.get_server (dispatching inline calls on the caller's thread)."""
    endpoint = endpoint or ThreadEndpoint()
    started = rpc.get_server(messaging.Target(topic='t', server=server), [endpoint], conf)
    started.start()
    harness.servers.append(started)
    return started, endpoint


def test_a_call_to_a_heat_watch_server_runs_on_the_callers_thread(harness):
    conf = harness.conf()
    _inline_server(harness, conf)
    transport = rpc.get_transport(conf)

    assert client(transport).call({}, 'thread') is threading.current_thread()
    assert client(transport).call({}, 'echo', value=[3]) == [3]
    with pytest.raises(exceptions.AlarmNotFound, match='Alarm a1 does not exist'):
        client(transport).call({}, 'fail', name='a1')


def test_a_plain_oslo_messaging_server_answers_on_its_executor(harness):
    transport = harness.transport()
    harness.server(transport, endpoint=ThreadEndpoint())

    assert client(transport).call({}, 'thread') is not threading.current_thread()


def test_inline_calls_reach_the_addressed_server_only(harness):
    conf = harness.conf()
    _, first = _inline_server(harness, conf, server='s1')
    _, second = _inline_server(harness, conf, server='s2')
    _assert_calls_reach_only(rpc.get_transport(conf), second, first)


def test_a_call_waits_in_the_queue_until_a_server_starts_and_none_after_it_stops(harness):
    conf = harness.conf()
    transport = rpc.get_transport(conf)
    answers: queue.Queue = queue.Queue()
    waiting = threading.Thread(
        target=lambda: answers.put(client(transport).call({}, 'echo', value='early')))
    waiting.start()
    time.sleep(0.1)  # the call is queued: no server listens yet

    started, _ = _inline_server(harness, conf)
    assert answers.get(timeout=WAIT) == 'early'
    waiting.join(WAIT)

    started.stop()
    with pytest.raises(messaging.MessagingTimeout):
        client(transport, timeout=0.2).call({}, 'echo', value='late')
