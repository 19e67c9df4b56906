"""oslo.messaging glue: one transport per process, RPC clients and servers.

Every server runs on the threading executor; nothing here (or anywhere in
heat_watch) uses eventlet. ``heat-watch-all`` uses the in-process
``inprocess://`` transport (:mod:`heat_watch.common.inprocess`); separate
daemons use ``transport_url = rabbit://...``.
"""

import importlib
import inspect
import threading

import oslo_messaging as messaging
from oslo_config import cfg
from oslo_messaging import opts as messaging_opts
from oslo_messaging import transport as msg_transport
from oslo_messaging.rpc import server as rpc_server

from heat_watch.common import context as hw_context
from heat_watch.common import exceptions, inprocess

CONF = cfg.CONF

# Our exceptions cross RPC with their class, so the APIs can map them.
ALLOWED_EXMODS = ['heat_watch.common.exceptions']
IN_PROCESS_URL = 'inprocess://'
# Schemes whose driver keeps its queues in the driver object itself.
_IN_PROCESS_SCHEMES = ('inprocess:', 'fake:')

_lock = threading.Lock()
_transports: dict[str, messaging.Transport] = {}


def set_defaults(conf: cfg.ConfigOpts = CONF, control_exchange: str = 'heat_watch') -> None:
    """Register oslo.messaging's options with heat_watch's defaults."""
    messaging.set_transport_defaults(control_exchange)
    for group, opts in messaging_opts.list_opts():
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
    inprocess.register_opts(conf)


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


def get_client(target: messaging.Target, conf: cfg.ConfigOpts = CONF,
               timeout: int | None = None) -> messaging.RPCClient:
    """An RPC client for ``target``."""
    return messaging.get_rpc_client(get_transport(conf), target,
                                    serializer=ContextSerializer(),
                                    timeout=timeout)


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
    not as an ERROR with a traceback in the engine's log."""
    expected = messaging.expected_exceptions(exceptions.HeatWatchError)
    for name, method in list(vars(endpoint_class).items()):
        if not name.startswith('_') and inspect.isfunction(method):
            setattr(endpoint_class, name, expected(method))
    return endpoint_class
