"""oslo.messaging glue: one transport per process, RPC clients and servers.

Every server runs on the threading executor; nothing here (or anywhere in
heat_watch) uses eventlet. ``heat-watch-all`` uses the in-process
``inprocess://`` transport (:mod:`heat_watch.common.inprocess`); separate
daemons use ``transport_url = rabbit://...``.
"""

import concurrent.futures
import functools
import importlib
import inspect
import queue
import threading
from typing import Any

import kombu.exceptions
import oslo_messaging as messaging
from oslo_config import cfg
from oslo_messaging import opts as messaging_opts
from oslo_messaging import transport as msg_transport
from oslo_messaging.rpc import server as rpc_server

from heat_watch.common import context as hw_context
from heat_watch.common import db_errors, exceptions

CONF = cfg.CONF

# Our exceptions cross RPC with their class, so the APIs can map them.
ALLOWED_EXMODS = ['heat_watch.common.exceptions']
IN_PROCESS_URL = 'inprocess://'
# Schemes whose driver keeps its queues in the driver object itself.
_IN_PROCESS_SCHEMES = ('inprocess:', 'fake:')

_lock = threading.Lock()
_transports: dict[str, messaging.Transport] = {}


def register_library_opts(conf: cfg.ConfigOpts, control_exchange: str = 'heat_watch') -> None:
    """Register oslo.messaging's options with heat_watch's defaults (from
    heat_watch.opts.register_all, the one place options are registered)."""
    messaging.set_transport_defaults(control_exchange)
    for group, opts in _library_opts():
        conf.register_opts(opts, group=group)
    # oslo.messaging reads these two groups but registers them on the global
    # CONF only (and list_opts omits them); our tests use private ConfigOpts.
    for module, name in (('oslo_messaging._metrics.client', 'oslo_messaging_metrics'),
                         ('oslo_messaging._tracing.client', 'oslo_messaging_tracing')):
        try:
            opts = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):  # absent from this oslo.messaging
            continue
        conf.register_opts(opts, group=name)


def _library_opts() -> list[tuple[str | None, list]]:
    """oslo.messaging's own option objects, by group.

    Its list_opts() hands out deep copies (for the sample generator); the
    drivers register the originals again when they load. Reading a
    deprecated option marks the copy as logged, and the copy then differs
    from the original: the rabbit driver failed with DuplicateOptError
    whenever a deprecated option (direct_mandatory_flag, say) was set.
    """
    return getattr(messaging_opts, '_opts', None) or messaging_opts.list_opts()


def _url(conf: cfg.ConfigOpts) -> str | None:
    return conf.transport_url


def get_transport(conf: cfg.ConfigOpts = CONF) -> messaging.Transport:
    """The process-wide RPC transport (created on first use)."""
    with _lock:
        key = 'rpc:%d:%s' % (id(conf), _url(conf))
        if key not in _transports:
            _transports[key] = messaging.get_rpc_transport(
                conf, url=_url(conf), allowed_remote_exmods=ALLOWED_EXMODS)
        return _transports[key]


def get_notification_transport(conf: cfg.ConfigOpts = CONF) -> messaging.Transport:
    """The transport alarm actions travel on (acknowledged after delivery).

    The in-process drivers (``inprocess://``, and oslo.messaging's ``fake://``)
    keep their queues in the driver object, so in that mode the notifications
    must share the RPC transport's driver.
    """
    url = _url(conf) or ''
    if url.startswith(_IN_PROCESS_SCHEMES):
        rpc = get_transport(conf)
        with _lock:
            key = 'notify:%d:%s' % (id(conf), url)
            if key not in _transports:
                _transports[key] = msg_transport.NotificationTransport(rpc._driver)
            return _transports[key]
    with _lock:
        key = 'notify:%d:%s' % (id(conf), url)
        if key not in _transports:
            _transports[key] = messaging.get_notification_transport(
                conf, url=url or None, allowed_remote_exmods=ALLOWED_EXMODS)
        return _transports[key]


def cleanup(conf: cfg.ConfigOpts | None = None) -> None:
    """Close the transports opened for ``conf`` (default: all of them)."""
    with _lock:
        for key in list(_transports):
            if conf is None or key.split(':')[1] == str(id(conf)):
                _transports.pop(key).cleanup()


class ContextSerializer(messaging.NoOpSerializer):
    """Carries :class:`heat_watch.common.context.RequestContext` over RPC."""

    def serialize_context(self, ctxt):
        return ctxt.to_dict() if ctxt is not None else {}

    def deserialize_context(self, ctxt):
        return hw_context.RequestContext.from_dict(ctxt or {})


# A call's message is published after at most this many reconnections to
# the broker (oslo.messaging's default is to retry forever, holding the
# thread that publishes until the broker returns).
CALL_RETRIES = 2
# What the rabbit driver raises, unwrapped, when it cannot (re)connect.
_BROKER_UNREACHABLE = (kombu.exceptions.OperationalError, ConnectionError)
# Threads that run calls for callers waiting with a deadline; beyond them,
# calls queue (and a caller whose deadline passes first withdraws its call).
CALL_THREADS = 64


def get_client(target: messaging.Target, conf: cfg.ConfigOpts = CONF,
               timeout: int | None = None) -> 'messaging.RPCClient | BoundedCallClient':
    """An RPC client for ``target``.

    With a timeout and a broker (not the in-process transport), its calls
    return within ``timeout`` seconds whatever the broker does
    (:class:`BoundedCallClient`).
    """
    client = messaging.get_rpc_client(get_transport(conf), target,
                                      serializer=ContextSerializer(),
                                      timeout=timeout)
    if timeout is None or (_url(conf) or '').startswith(_IN_PROCESS_SCHEMES):
        return client
    return BoundedCallClient(client, timeout)


class BoundedCallClient:
    """An RPC client whose ``call`` answers or raises MessagingTimeout within
    its timeout, even while the broker is unreachable.

    oslo.messaging starts a call's timeout only once the message is
    published, and publishing retries the broker connection (forever by
    default, several seconds per attempt): during a broker outage a call
    took 30-36 s with a 20 s timeout. Here the call runs on a pool thread
    with bounded connection retries (:data:`CALL_RETRIES`) while the caller
    waits at most the timeout; a call still publishing then finishes (or
    fails) on its own, answering nobody. Casts are oslo.messaging's own.
    """

    def __init__(self, client: messaging.RPCClient, timeout: float):
        self._client = client
        self._calls = client.prepare(retry=CALL_RETRIES)
        self.timeout = timeout

    def call(self, ctxt: Any, method: str, **kwargs) -> Any:
        """oslo.messaging's call, bounded by the client's timeout."""
        future = _call_pool().submit(self._calls.call, ctxt, method, **kwargs)
        try:
            return future.result(self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()  # not yet started: never sent
            raise messaging.MessagingTimeout(
                'No answer to %s within %s s' % (method, self.timeout)) from None
        except _BROKER_UNREACHABLE as error:
            # The rabbit driver lets kombu's error through when a new pooled
            # connection cannot be opened within the retries.
            raise messaging.MessageDeliveryFailure(
                'The message broker is unreachable: %s' % error) from None

    def cast(self, ctxt: Any, method: str, **kwargs) -> None:
        """oslo.messaging's cast."""
        self._client.cast(ctxt, method, **kwargs)

    def prepare(self, **kwargs) -> 'BoundedCallClient':
        """oslo.messaging's prepare (version, topic, server...), its calls
        bounded in the same way (by ``timeout``, when given)."""
        timeout = kwargs.get('timeout') or self.timeout
        return BoundedCallClient(self._client.prepare(**kwargs), timeout)


class _CallPool:
    """Daemon threads running calls: a call stuck publishing must never
    keep the process from exiting (concurrent.futures joins its threads)."""

    def __init__(self, size: int):
        self._size = size
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, function, *args, **kwargs) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._queue.put((future, function, args, kwargs))
        with self._lock:
            start = self._idle == 0 and self._threads < self._size
            if start:
                self._threads += 1
        if start:
            threading.Thread(target=self._work, name='rpc-call-%d' % self._threads,
                             daemon=True).start()
        return future

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            future, function, args, kwargs = self._queue.get()
            with self._lock:
                self._idle -= 1
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = function(*args, **kwargs)
            except BaseException as error:  # the caller re-raises it
                future.set_exception(error)
            else:
                future.set_result(result)


_pool: _CallPool | None = None


def _call_pool() -> _CallPool:
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = _CallPool(CALL_THREADS)
    return _pool


class _RPCServer(rpc_server.RPCServer):
    """oslo.messaging's RPC server; a call the in-process driver hands over
    on the caller's thread (``inline``) is dispatched on that thread instead
    of the executor's (see :mod:`heat_watch.common.inprocess`)."""

    def _on_incoming(self, incoming: list) -> None:
        if len(incoming) == 1 and getattr(incoming[0], 'inline', False):
            self._process_incoming(incoming)
        else:
            super()._on_incoming(incoming)


def get_server(target: messaging.Target, endpoints: list,
               conf: cfg.ConfigOpts = CONF) -> messaging.MessageHandlingServer:
    """An RPC server (oslo.messaging's executor is threading only now)."""
    return messaging.get_rpc_server(
        get_transport(conf), target, endpoints, serializer=ContextSerializer(),
        access_policy=messaging.rpc.dispatcher.DefaultRPCAccessPolicy,
        server_cls=_RPCServer)


def answers_project_errors(endpoint_class: type) -> type:
    """Class decorator of an RPC endpoint: a HeatWatchError raised by one of
    its methods (a bad NextToken, an unknown alarm) is the caller's fault and
    goes back to the caller; oslo.messaging then logs it at debug level,
    not as an ERROR with a traceback in the engine's log.

    A database outage (:mod:`heat_watch.common.db_errors`) goes back as
    DatabaseUnavailable, so that the API answers 503 rather than a failure,
    and is logged once per outage instead of once per request.
    """
    expected = messaging.expected_exceptions(exceptions.HeatWatchError)
    for name, method in list(vars(endpoint_class).items()):
        if not name.startswith('_') and inspect.isfunction(method):
            setattr(endpoint_class, name, expected(_database_outages_mapped(method)))
    return endpoint_class


def _database_outages_mapped(method):
    operation = method.__name__

    @functools.wraps(method)
    def mapped(self, ctxt, *args, **kwargs):
        try:
            result = method(self, ctxt, *args, **kwargs)
        except exceptions.HeatWatchError:
            raise
        except Exception as error:
            outage = db_errors.unavailable(error, getattr(ctxt, 'request_id', None),
                                           operation)
            if outage is None:
                raise
            raise outage from None
        db_errors.DATABASE.succeeded()
        return result

    return mapped


def project_of(ctxt) -> str:
    """The project an RPC call acts for; AuthenticationFailed without one
    (the APIs build contexts only after authenticating)."""
    if not ctxt.project_id:
        raise exceptions.AuthenticationFailed(reason='the request carries no project')
    return ctxt.project_id


class EngineServer:
    """An engine's RPC server on its topic (this host's name as the server)
    and its periodic tasks: started after the server, stopped before it."""

    def __init__(self, conf: cfg.ConfigOpts, topic: str, endpoints: list, tasks: list):
        self.conf = conf
        self.topic = topic
        self.endpoints = endpoints
        self.tasks = tasks
        self._server: messaging.MessageHandlingServer | None = None

    def start(self) -> None:
        """Serve the endpoints, then start the tasks."""
        target = messaging.Target(topic=self.topic, server=self.conf.host)
        self._server = get_server(target, self.endpoints, self.conf)
        self._server.start()
        for task in self.tasks:
            task.start()

    def stop(self) -> None:
        """Stop the tasks, then the server (in-flight calls finish)."""
        for task in self.tasks:
            task.stop()
        if self._server is not None:
            self._server.stop()
            self._server.wait()
            self._server = None
