"""What every /v1 handler shares: the caller's context for the path's
project, the JSON body, JSON and redirect answers, links, and the one
mapping of our exceptions to Heat's error body."""

import functools
import json
import urllib.parse
from collections.abc import Callable
from typing import Any

import oslo_messaging as messaging
import pecan
import webob

from heat_watch.api import errors, heat_faults, policy
from heat_watch.common import context as hw_context
from heat_watch.common import exceptions

MAX_BODY = 4 * 1024 * 1024

# Heat's error types of our exceptions (python-heatclient and tempest read
# ``error.type``); the first matching class wins: subclasses first.
_TYPES = (
    (exceptions.StackNotFound, 'EntityNotFound'),
    (exceptions.ResourceNotFound, 'EntityNotFound'),
    (exceptions.NotFound, 'NotFound'),
    (exceptions.StackExists, 'StackExists'),
    (exceptions.StackInProgress, 'ActionInProgress'),
    (exceptions.StackLocked, 'ActionInProgress'),
    (exceptions.InvalidTemplate, 'StackValidationFailed'),
    (exceptions.InvalidParameter, 'StackValidationFailed'),
    (exceptions.InvalidEnvironment, 'StackValidationFailed'),
    (exceptions.LimitExceeded, 'RequestLimitExceeded'),
    (errors.PolicyNotAuthorized, 'Forbidden'),
)


class HTTPError(Exception):
    """An answer of the /v1 API that is an error of its own (not the engine's)."""

    def __init__(self, status: int, message: str, error_type: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type


def error_response(status: int, message: str, error_type: str | None = None) -> webob.Response:
    """Heat's error body with ``status``."""
    return json_response(heat_faults.fault(status, message, error_type), status)


def _type_of(error: exceptions.HeatWatchError) -> str:
    for kind, name in _TYPES:
        if isinstance(error, kind):
            return name
    return type(error).__name__


def answers_heat_errors(handler: Callable) -> Callable:
    """Our exceptions (and RPC timeouts) as Heat's error answers."""
    @functools.wraps(handler)
    def answered(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except HTTPError as error:
            return error_response(error.status, error.message, error.error_type)
        except exceptions.HeatWatchError as error:
            # .message: str() of an error rebuilt by oslo.messaging carries
            # the engine's traceback, which callers must not see.
            return error_response(errors.status_of(error), error.message, _type_of(error))
        except messaging.MessagingTimeout:
            return error_response(503, 'The orchestrator did not answer in time.')
    return answered


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> webob.Response:
    """``body`` as JSON; Heat's 202 and 204 answers have no body (and then
    no JSON type, which python-heatclient would try to decode)."""
    if body is None and status in (202, 204):
        response = webob.Response(status=status, content_type='text/plain', charset='UTF-8')
        response.body = b''
    else:
        response = webob.Response(status=status, content_type='application/json',
                                  charset='UTF-8')
        response.body = json.dumps(body).encode()
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def redirect(location: str) -> webob.Response:
    """Heat's 302 from a stack's name to its canonical URL."""
    response = json_response({'location': location}, 302)
    response.headers['Location'] = location
    return response


def quote(segment: str) -> str:
    """A path segment as it appears in a URL."""
    return urllib.parse.quote(segment, safe='')


def tenant_url(tenant_id: str, *path: str) -> str:
    """The absolute URL of ``path`` under ``/v1/{tenant_id}``."""
    request = pecan.request
    return '%s%s/v1/%s%s' % (request.host_url, request.script_name, quote(tenant_id),
                             ''.join('/' + quote(p) for p in path))


def stack_url(tenant_id: str, name: str, stack_id: str, *path: str) -> str:
    """The canonical URL of a stack (and of ``path`` under it)."""
    return tenant_url(tenant_id, 'stacks', name, stack_id, *path)


def link(href: str, rel: str = 'self') -> dict:
    """One entry of a ``links`` list."""
    return {'href': href, 'rel': rel}


def context_for(tenant_id: str, rule: str) -> hw_context.RequestContext:
    """The caller's context acting in the path's project, once the policy
    allows ``rule`` there (403 otherwise: a member of another project, as
    in Heat). An administrator acts in the project the path names."""
    ctxt = pecan.request.context
    policy.authorize(pecan.request.conf, ctxt, rule, {'project_id': tenant_id,
                                                      'tenant_id': tenant_id})
    if ctxt.project_id == tenant_id:
        return ctxt
    return hw_context.RequestContext(project_id=tenant_id, user_id=ctxt.user_id,
                                     roles=list(ctxt.roles), is_admin=ctxt.is_admin,
                                     request_id=ctxt.request_id)


def json_body() -> dict:
    """The request's JSON object (400 in Heat's words otherwise)."""
    request = pecan.request
    if request.content_length and request.content_length > MAX_BODY:
        raise HTTPError(413, 'Request limit exceeded: JSON body size (%s bytes) exceeds '
                        'maximum allowed size (%s bytes).' % (request.content_length,
                                                             MAX_BODY), 'RequestLimitExceeded')
    raw = request.body
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise HTTPError(400, 'The request body is not valid JSON.')
    if not isinstance(data, dict):
        raise HTTPError(400, 'The request body must be a JSON object.')
    return data


def query_bool(params: dict, name: str, default: bool = False) -> bool:
    """A true/false query parameter (400 naming it otherwise)."""
    value = params.get(name)
    if value is None:
        return default
    lowered = str(value).strip().lower()
    if lowered in ('true', '1', 'yes', 'on', 't', 'y'):
        return True
    if lowered in ('false', '0', 'no', 'off', 'f', 'n'):
        return False
    raise HTTPError(400, 'Unrecognized value "%s" for "%s", acceptable values are: true, '
                    'false.' % (value, name))


def query_int(params: dict, name: str) -> int | None:
    """A non-negative integer query parameter (400 naming it otherwise)."""
    value = params.get(name)
    if value in (None, ''):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        raise HTTPError(400, 'Only integer is acceptable by \'%s\'.' % name)
    return number


def orchestrator():
    """The orchestrator's RPC client of this request."""
    return pecan.request.orchestrator
