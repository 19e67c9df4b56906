"""The other services the orchestrator's resources talk to, one client each
per orchestrator (made on first use): the identity API (stack credentials)
and the watch engine (alarms); and the pre-signed URLs of the REST API that
resources hand out (scaling-policy webhooks)."""

from __future__ import annotations

import datetime
import threading
import urllib.parse
from typing import TYPE_CHECKING

from oslo_config import cfg

from heat_watch.identity import model as identity_model
from heat_watch.identity import rpcapi as identity_rpcapi
from heat_watch.identity import signing
from heat_watch.watch import rpcapi as watch_rpcapi

if TYPE_CHECKING:
    from heat_watch.orchestration.runtime import Runtime
    from heat_watch.orchestration.stack import Stack

GROUP = 'orchestration'
DEFAULT_API_ENDPOINT = 'http://127.0.0.1:8004'
OPTS = [
    cfg.URIOpt('api_endpoint',
               help='Base URL of heat-watch-api as instances and the notifier reach '
                    'it: pre-signed scaling-policy webhooks and wait-condition handles '
                    'point there. Default: in heat-watch-all, the REST API it serves; '
                    'elsewhere %s.' % DEFAULT_API_ENDPOINT),
]

_lock = threading.Lock()


def api_base(conf: cfg.ConfigOpts) -> str:
    """The REST API's base URL the orchestrator's pre-signed URLs use."""
    return (conf[GROUP].api_endpoint or DEFAULT_API_ENDPOINT).rstrip('/')


def _cached(runtime: Runtime, name: str, make):
    with _lock:
        client = getattr(runtime, name, None)
        if client is None:
            client = make(runtime.conf)
            setattr(runtime, name, client)
        return client


def identity(runtime: Runtime) -> identity_rpcapi.IdentityClient:
    """The identity API's client of this orchestrator."""
    return _cached(runtime, '_identity_client', identity_rpcapi.IdentityClient)


def watch(runtime: Runtime) -> watch_rpcapi.WatchEngineClient:
    """The watch engine's client of this orchestrator."""
    return _cached(runtime, '_watch_client', watch_rpcapi.WatchEngineClient)


def signal_scope(stack_id: str) -> identity_model.Scope:
    """What a credential that signals one stack's resources may do."""
    return identity_model.Scope(operations=(identity_model.SIGNAL,), stack_id=stack_id)


def signal_path(stack: Stack, resource_name: str) -> str:
    """The REST API's signal route of a resource (Heat's /v1 form)."""
    quote = urllib.parse.quote
    return '/v1/%s/stacks/%s/%s/resources/%s/signal' % (
        quote(stack.record.project_id, safe=''), quote(stack.name, safe=''),
        quote(stack.id, safe=''), quote(resource_name, safe=''))


def presigned_signal_url(stack: Stack, resource_name: str, access: str,
                         secret_encrypted: str, signed_at: float) -> str:
    """The resource's signal route, pre-signed (POST) with a credential at
    ``signed_at`` (epoch seconds): the same URL every time it is resolved."""
    base = api_base(stack.runtime.conf)
    secret = stack.runtime.box.decrypt(secret_encrypted)
    moment = datetime.datetime.fromtimestamp(signed_at, datetime.UTC)
    return signing.presign_url('POST', base + signal_path(stack, resource_name), access,
                               secret, now=moment)


def is_signal_url(runtime: Runtime, url: str) -> bool:
    """Whether ``url`` signals a resource through this deployment's API."""
    base = api_base(runtime.conf)
    path = urllib.parse.urlsplit(url).path
    return url.startswith(base + '/v1/') and path.endswith('/signal')
