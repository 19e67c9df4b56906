"""The oslo.messaging driver behind ``inprocess://`` (used by ``heat-watch-all``).

``heat-watch-all`` runs the CloudWatch API, the watch engine and the notifier
in one process, so their RPC calls and alarm-action notifications never need
to leave it. oslo.messaging's own in-memory driver, ``fake://``, is written
for unit tests and is unfit for that:

* its listeners look at their queues, and when idle ``time.sleep(0.050)``
  before looking again, so a call can wait up to 50 ms before its server even
  sees it (a batch-1 PutMetricData benchmark topped out near 80 requests/s);
* it ``json``-dumps every message only to check that it would serialize;
* its exchanges live in a class attribute shared by every ``FakeDriver`` of
  the process, and any transport's ``cleanup()`` clears them all: two
  transports (the tests start several deployments in one process) see and
  clear each other's messages.

This driver keeps the fake driver's delivery semantics without those flaws:

* listeners block on a :class:`threading.Condition` and are woken the moment
  a message reaches one of their queues, or when they are stopped;
* the exchanges and queues belong to the driver instance: a transport only
  sees its own messages. (A notification transport that must see an RPC
  transport's queues shares its driver: see
  :func:`heat_watch.common.rpc.get_notification_transport`.)

By default messages are **passed by reference**, never serialized: a server
receives the very context dict, message dict and argument objects the client
sent, and the caller gets the very object the server returned (or the
exception it raised). oslo.messaging's dispatchers only read them; the code
on either side must not mutate what it has sent or received.

With ``[inprocess_transport] json_round_trip = true`` (the test deployments
turn it on) every message instead goes through the serialisation the rabbit
driver applies: call and cast arguments, notifications and their contexts
are encoded with oslo.serialization's ``jsonutils`` inside oslo.messaging's
message envelope and decoded again, replies likewise, and an exception
raised by a server comes back as ``deserialize_remote_exception`` rebuilds
it (its class only from ``allowed_remote_exmods``, else ``RemoteError``).
So what a real broker would refuse (an object JSON cannot carry) fails in
the caller, and what it would change (datetimes become strings, tuples
lists, integer dict keys strings) arrives changed, as in the multi-process
deployment.

Semantics, as in the fake driver:

* a topic queue is shared by the listeners of that topic (competing
  consumers: each message goes to one of them);
* ``Target.server`` addresses the server's own queue, and ``fanout`` puts
  the message on the queue of every server of the topic;
* notification listeners without a pool share the topic's queue; each pool
  gets its own copy of the stream, starting with the messages waiting in the
  pool-less queue when the pool's queue is created;
* queues store messages until a listener takes them (sent before a listener
  exists, a message is delivered once one does);
* ``requeue()`` puts a message back at the end of the queue it came from
  (only that one: the fake driver re-delivers it to every pool of the topic);
* a call waits for its reply up to the client's timeout, then raises
  :class:`oslo_messaging.MessagingTimeout`; an exception raised by the
  server is re-raised in the caller as is (no ``allowed_remote_exmods``
  filtering, no ``RemoteError`` wrapping, exactly as with ``fake://``),
  unless ``json_round_trip`` is on (see above).

Calls run on the caller's thread when they can. A listener's poll thread
and the server's executor thread each cost a thread wake-up, and the reply
a third: more CPU than a one-datum PutMetricData itself. So while an RPC
server listens on a call's topic, ``send`` hands the message straight to
that server's callback on the calling thread, marked ``inline``; the servers
of :func:`heat_watch.common.rpc.get_server` then dispatch it right there
(any other server submits it to its executor as usual, which still saves
the poll thread). The call runs through oslo.messaging's dispatcher as
before (versions, endpoints, expected exceptions, the reply); only the
threads differ, and the caller's timeout no longer interrupts a call that
its server has started. Casts, fanouts, notifications and calls made while
no server listens go through the queues.

Registered under the ``oslo.messaging.drivers`` entry-point namespace as
``inprocess`` (``setup.cfg``).
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from collections.abc import Iterable
from typing import Any

import oslo_messaging
from oslo_config import cfg
from oslo_messaging._drivers import base
from oslo_messaging._drivers import common as rpc_common

GROUP = 'inprocess_transport'
OPTS = [
    cfg.BoolOpt('json_round_trip', default=False,
                help='Encode and decode every message of the in-process transport '
                     '(inprocess://) as the RabbitMQ driver does (JSON in '
                     "oslo.messaging's envelope; exceptions rebuilt from their "
                     'serialised form), so that heat-watch-all shows what only the '
                     'multi-process deployment would otherwise show. Off by default: '
                     'it costs CPU on every message.'),
]


def wire_message(ctxt: dict, message: dict) -> tuple[dict, dict]:
    """``(ctxt, message)`` as the receiver of the rabbit driver gets them:
    through jsonutils inside oslo.messaging's envelope, and back."""
    envelope = rpc_common.serialize_msg({'context': ctxt, 'message': message})
    decoded = rpc_common.deserialize_msg(envelope)
    return decoded['context'], decoded['message']


def wire_reply(reply: Any, failure: Any, allowed_remote_exmods: list[str]
               ) -> tuple[Any, BaseException | None]:
    """A reply (and the exc_info of a failure) as the rabbit driver's caller
    gets them: the result through JSON, the exception rebuilt from its
    serialised form."""
    serialized = rpc_common.serialize_remote_exception(failure) if failure else None
    decoded = rpc_common.deserialize_msg(rpc_common.serialize_msg(
        {'result': reply, 'failure': serialized, 'ending': True}))
    if decoded['failure']:
        return None, rpc_common.deserialize_remote_exception(decoded['failure'],
                                                             allowed_remote_exmods)
    return decoded['result'], None

# What a queue holds: (context dict, message dict, reply queue or None).
_Envelope = tuple[dict, dict, queue.SimpleQueue | None]


class _Queue:
    """Messages waiting for one subscription, and the listeners to wake.

    Guarded by the driver's lock, like everything else in the driver.
    """

    __slots__ = ('messages', 'listeners')

    def __init__(self, messages: Iterable[_Envelope] = ()) -> None:
        self.messages: collections.deque[_Envelope] = collections.deque(messages)
        self.listeners: set[InProcessListener] = set()

    def put(self, envelope: _Envelope) -> None:
        self.messages.append(envelope)
        for listener in self.listeners:
            listener.wake()


class _Exchange:
    """An exchange's queues: by topic, then pool (topic) or server (server)."""

    __slots__ = ('topic_queues', 'server_queues')

    def __init__(self) -> None:
        self.topic_queues: dict[str, dict[str | None, _Queue]] = {}
        self.server_queues: dict[str, dict[str, _Queue]] = {}

    def topic_queue(self, topic: str, pool: str | None = None) -> _Queue:
        pools = self.topic_queues.setdefault(topic, {})
        found = pools.get(pool)
        if found is None:
            if pool is None:
                found = _Queue()
            else:
                # A new pool starts with what the pool-less queue holds.
                found = _Queue(self.topic_queue(topic).messages)
            pools[pool] = found
        return found

    def server_queue(self, topic: str, server: str) -> _Queue:
        servers = self.server_queues.setdefault(topic, {})
        found = servers.get(server)
        if found is None:
            found = servers[server] = _Queue()
        return found

    def clear(self) -> None:
        for queues in (*self.topic_queues.values(), *self.server_queues.values()):
            for q in queues.values():
                q.messages.clear()
        self.topic_queues.clear()
        self.server_queues.clear()


class InProcessIncomingMessage(base.RpcIncomingMessage):
    """A message taken from one of the driver's queues."""

    def __init__(self, driver: InProcessDriver, source: _Queue, envelope: _Envelope,
                 inline: bool = False) -> None:
        ctxt, message, reply_q = envelope
        super().__init__(ctxt, message)
        # Handed to the server on the caller's thread (see the module docstring).
        self.inline = inline
        self._driver = driver
        self._source = source
        self._envelope = envelope
        self._reply_q = reply_q

    def reply(self, reply: Any = None, failure: Any = None) -> None:
        """Hand the result (or the exception of ``failure``, an exc_info) to the caller."""
        if self._reply_q is None:
            return
        if self._driver.json_round_trip:
            try:
                wired = wire_reply(reply, failure, self._driver.allowed_remote_exmods)
            except (TypeError, ValueError) as error:
                # Over RabbitMQ the server logs "Can not send reply" and the
                # caller times out; here the caller learns why at once.
                self._reply_q.put((None, error))
                raise
            self._reply_q.put(wired)
        else:
            self._reply_q.put((reply, failure[1] if failure else None))

    def requeue(self) -> None:
        """Put the message back at the end of the queue it was taken from."""
        self._driver._requeue(self._source, self._envelope)

    def heartbeat(self) -> None:
        """Not needed: the caller's timeout is the only one."""


class InProcessListener(base.PollStyleListener):
    """Takes messages from a set of queues, sleeping on a condition when idle."""

    def __init__(self, driver: InProcessDriver, queues: list[_Queue]) -> None:
        """Subscribe to ``queues``; called with the driver's lock held."""
        super().__init__()
        self._driver = driver
        self._queues = list(dict.fromkeys(queues))  # unique, in order
        self._next = 0  # where the next look starts: fair among the queues
        self._stopped = False
        self._condition = threading.Condition(driver._lock)
        for q in self._queues:
            q.listeners.add(self)

    def wake(self) -> None:
        """A message arrived on one of our queues (driver's lock held)."""
        self._condition.notify()

    def _take(self) -> tuple[_Queue, _Envelope] | None:
        queues = self._queues
        count = len(queues)
        for offset in range(count):
            index = (self._next + offset) % count
            q = queues[index]
            if q.messages:
                self._next = (index + 1) % count
                return q, q.messages.popleft()
        return None

    @base.batch_poll_helper
    def poll(self, timeout: float | None = None) -> InProcessIncomingMessage | None:
        """The next message; None once stopped or after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while not self._stopped:
                taken = self._take()
                if taken is not None:
                    return InProcessIncomingMessage(self._driver, *taken)
                if deadline is None:
                    self._condition.wait()
                else:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._condition.wait(remaining)
        return None

    def stop(self) -> None:
        """Take no more messages; wakes a blocked poll() at once."""
        with self._condition:
            self._stopped = True
            self._unsubscribe()
            self._condition.notify_all()

    def cleanup(self) -> None:
        with self._condition:
            self._unsubscribe()

    def _unsubscribe(self) -> None:
        for q in self._queues:
            q.listeners.discard(self)


class InProcessListenerAdapter(base.PollStyleListenerAdapter):
    """oslo.messaging's poll thread over an :class:`InProcessListener`; while
    started, an RPC listener also takes calls on the callers' threads."""

    def __init__(self, driver: InProcessDriver, listener: InProcessListener,
                 target: oslo_messaging.Target | None, batch_size: int,
                 batch_timeout: float | None) -> None:
        super().__init__(listener, batch_size, batch_timeout)
        self._driver = driver
        self.target = target
        self.topic_queue: _Queue | None = None

    def start(self, on_incoming_callback) -> None:
        super().start(on_incoming_callback)
        if self.target is not None:
            self._driver._serve_inline(self)

    def stop(self) -> None:
        if self.target is not None:
            self._driver._stop_inline(self)
        super().stop()


class InProcessDriver(base.BaseDriver):
    """In-memory delivery between the transports' users in one process."""

    def __init__(self, conf: Any, url: Any, default_exchange: str | None = None,
                 allowed_remote_exmods: list[str] | None = None) -> None:
        super().__init__(conf, url, default_exchange, allowed_remote_exmods)
        self.json_round_trip: bool = conf[GROUP].json_round_trip
        self.allowed_remote_exmods = list(allowed_remote_exmods or [])
        self._lock = threading.Lock()
        self._exchanges: dict[str | None, _Exchange] = {}
        # (exchange, topic) -> started RPC listeners taking calls inline.
        self._inline: dict[tuple[str | None, str], list[InProcessListenerAdapter]] = {}

    def require_features(self, requeue: bool = True) -> None:
        """Everything, requeueing included, is supported."""

    def _exchange(self, name: str | None) -> _Exchange:
        if name is None:
            name = self._default_exchange
        found = self._exchanges.get(name)
        if found is None:
            found = self._exchanges[name] = _Exchange()
        return found

    def _deliver(self, target: oslo_messaging.Target, ctxt: dict, message: dict,
                 reply_q: queue.SimpleQueue | None = None) -> None:
        envelope = (ctxt, message, reply_q)
        topic = target.topic
        with self._lock:
            exchange = self._exchange(target.exchange)
            if target.fanout:
                queues = exchange.server_queues.get(topic, {}).values()
            elif target.server:
                queues = (exchange.server_queue(topic, target.server),)
            else:
                exchange.topic_queue(topic)  # the pool-less queue stores it at least
                queues = exchange.topic_queues[topic].values()
            for q in queues:
                q.put(envelope)

    def _requeue(self, source: _Queue, envelope: _Envelope) -> None:
        with self._lock:
            source.put(envelope)

    def _serve_inline(self, adapter: InProcessListenerAdapter) -> None:
        with self._lock:
            exchange = adapter.target.exchange or self._default_exchange
            adapter.topic_queue = self._exchange(exchange).topic_queue(adapter.target.topic)
            self._inline.setdefault((exchange, adapter.target.topic), []).append(adapter)

    def _stop_inline(self, adapter: InProcessListenerAdapter) -> None:
        with self._lock:
            exchange = adapter.target.exchange or self._default_exchange
            adapters = self._inline.get((exchange, adapter.target.topic), [])
            if adapter in adapters:
                adapters.remove(adapter)

    def _inline_adapter(self, target: oslo_messaging.Target) -> InProcessListenerAdapter | None:
        """A started listener that may take this call on the caller's thread."""
        if target.fanout:
            return None
        adapters = self._inline.get((target.exchange or self._default_exchange, target.topic))
        for adapter in adapters or ():
            if target.server is None or adapter.target.server == target.server:
                return adapter
        return None

    def send(self, target: oslo_messaging.Target, ctxt: dict, message: dict,
             wait_for_reply: bool | None = None, timeout: float | None = None,
             call_monitor_timeout: float | None = None, retry: int | None = None,
             transport_options: Any = None) -> Any:
        """Deliver an RPC message; with ``wait_for_reply``, wait for the result."""
        if self.json_round_trip:
            ctxt, message = wire_message(ctxt, message)
        if not wait_for_reply:
            self._deliver(target, ctxt, message)
            return None
        reply_q: queue.SimpleQueue = queue.SimpleQueue()
        adapter = self._inline_adapter(target)
        callback = adapter.on_incoming_callback if adapter is not None else None
        if callback is not None:
            callback([InProcessIncomingMessage(self, adapter.topic_queue,
                                               (ctxt, message, reply_q), inline=True)])
        else:
            self._deliver(target, ctxt, message, reply_q)
        try:
            reply, failure = reply_q.get(timeout=timeout)
        except queue.Empty:
            raise oslo_messaging.MessagingTimeout('No reply on topic %s' % target.topic)
        if failure is not None:
            raise failure
        return reply

    def send_notification(self, target: oslo_messaging.Target, ctxt: dict, message: dict,
                          version: float, retry: int | None = None) -> None:
        """Deliver a notification (stored until a listener takes it)."""
        if self.json_round_trip:
            ctxt, message = wire_message(ctxt, message)
        self._deliver(target, ctxt, message)

    def listen(self, target: oslo_messaging.Target, batch_size: int,
               batch_timeout: float | None) -> base.PollStyleListenerAdapter:
        """A listener on the target's topic queue and, if named, its server's queue."""
        with self._lock:
            exchange = self._exchange(target.exchange)
            queues = []
            if target.server:
                queues.append(exchange.server_queue(target.topic, target.server))
            queues.append(exchange.topic_queue(target.topic))
            listener = InProcessListener(self, queues)
        return InProcessListenerAdapter(self, listener, target, batch_size, batch_timeout)

    def listen_for_notifications(self, targets_and_priorities: list, pool: str | None,
                                 batch_size: int, batch_timeout: float | None
                                 ) -> base.PollStyleListenerAdapter:
        """A listener on ``<topic>.<priority>`` for each pair, in ``pool`` if given."""
        with self._lock:
            queues = [self._exchange(target.exchange).topic_queue(
                          f'{target.topic}.{priority}', pool)
                      for target, priority in targets_and_priorities]
            listener = InProcessListener(self, queues)
        return base.PollStyleListenerAdapter(listener, batch_size, batch_timeout)

    def cleanup(self) -> None:
        """Drop every queue and the messages still waiting in them."""
        with self._lock:
            for exchange in self._exchanges.values():
                exchange.clear()
            self._exchanges.clear()
