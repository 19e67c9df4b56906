"""The WSGI middleware every heat_watch API runs behind, assembled in one place.

:func:`wrap` puts three things in front of an API's WSGI application,
outermost first:

1. **Request ids.** Every request gets an id in oslo.middleware's format
   (``req-<uuid>``), in the environ under ``openstack.request_id`` (where
   oslo.context and the APIs read it) and in the ``x-openstack-request-id``
   header of every answer, refusals and health checks included. A valid
   inbound ``X-OpenStack-Request-ID`` is kept as the global request id
   (``openstack.global_request_id``), as oslo.middleware's ``RequestId``
   does. That class itself is not used: through WebOb it costs ~57 us per
   request, a fifth of a one-datum PutMetricData; this does the same in ~2.
2. **Health check.** ``GET``/``HEAD`` on ``/healthcheck`` is answered by
   oslo.middleware's ``Healthcheck`` (its ``[healthcheck]`` options: backends,
   detailed, allowed_source_ranges), before any authentication, so load
   balancers need no credentials. With the default (no backends, not
   detailed) it answers ``200 OK`` and reveals nothing.
3. **Body size.** A request declaring a body larger than ``max_body_size``
   (Content-Length) is refused before the application sees it, by the
   API's own ``refuse`` callable, so that each API answers in its protocol's
   error format (AWS for the CloudWatch API). A body of undeclared length
   (chunked) is read through a reader that raises
   :class:`heat_watch.common.exceptions.RequestTooLarge` past the limit.
"""

import re
import uuid
from collections.abc import Callable, Iterable

from oslo_config import cfg
from oslo_middleware import healthcheck
from oslo_middleware import request_id as oslo_request_id

from heat_watch.common import exceptions

HEALTHCHECK_PATH = '/healthcheck'
ENV_REQUEST_ID = oslo_request_id.ENV_REQUEST_ID
ENV_GLOBAL_REQUEST_ID = oslo_request_id.GLOBAL_REQ_ID
RESPONSE_HEADER = oslo_request_id.HTTP_RESP_HEADER_REQUEST_ID
_INBOUND_KEY = 'HTTP_X_OPENSTACK_REQUEST_ID'
_ID_FORMAT = re.compile(oslo_request_id.ID_FORMAT)

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]
# (environ, start_response, max_body_size) -> the API's refusal.
Refusal = Callable[[dict, Callable, int], Iterable[bytes]]


def wrap(app: WSGIApp, conf: cfg.ConfigOpts, max_body_size: int, refuse: Refusal,
         healthcheck_path: str = HEALTHCHECK_PATH) -> WSGIApp:
    """``app`` behind the request-id, health-check and body-size middleware.

    :param app: the API's WSGI application.
    :param conf: the service's configuration; oslo.middleware's
        ``[healthcheck]`` options are read from it.
    :param max_body_size: the largest request body accepted, in bytes.
    :param refuse: a WSGI callable ``refuse(environ, start_response,
        max_body_size)`` answering a too-large request in the API's format
        (``environ['openstack.request_id']`` is set when it is called).
    :param healthcheck_path: where the health check answers.
    """
    limited = BodySizeLimit(app, max_body_size, refuse)
    checked = HealthcheckRoute(limited, healthcheck.Healthcheck(None, conf), healthcheck_path)
    return RequestId(checked)


def new_request_id() -> str:
    """A request id in oslo.context's format (``req-`` and a UUID4)."""
    return 'req-%s' % uuid.uuid4()


class RequestId:
    """Gives every request an id and every answer the ``x-openstack-request-id``
    header (see the module docstring)."""

    def __init__(self, app: WSGIApp):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        req_id = environ[ENV_REQUEST_ID] = new_request_id()
        inbound = environ.get(_INBOUND_KEY)
        if inbound and _ID_FORMAT.match(inbound):
            environ[ENV_GLOBAL_REQUEST_ID] = inbound

        def start_with_id(status: str, headers: list, exc_info=None):
            if not any(name.lower() == RESPONSE_HEADER for name, _ in headers):
                headers = headers + [(RESPONSE_HEADER, req_id)]
            return start_response(status, headers, exc_info)

        return self.app(environ, start_with_id)


class HealthcheckRoute:
    """Sends requests for ``path`` to the health check, others to ``app``."""

    def __init__(self, app: WSGIApp, check: WSGIApp, path: str = HEALTHCHECK_PATH):
        self.app = app
        self.check = check
        self.path = path

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get('PATH_INFO') == self.path:
            return self.check(environ, start_response)
        return self.app(environ, start_response)


class BodySizeLimit:
    """Refuses bodies larger than ``max_body_size`` (see the module docstring)."""

    def __init__(self, app: WSGIApp, max_body_size: int, refuse: Refusal):
        self.app = app
        self.max_body_size = max_body_size
        self.refuse = refuse

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        length = environ.get('CONTENT_LENGTH')
        if length:
            # A malformed length is the application's to refuse.
            if length.isdigit() and int(length) > self.max_body_size:
                return self.refuse(environ, start_response, self.max_body_size)
        elif 'chunked' in environ.get('HTTP_TRANSFER_ENCODING', '').lower():
            environ['wsgi.input'] = LimitedInput(environ['wsgi.input'], self.max_body_size)
        return self.app(environ, start_response)


class LimitedInput:
    """``wsgi.input`` of undeclared length, raising
    :class:`~heat_watch.common.exceptions.RequestTooLarge` past ``limit`` bytes."""

    def __init__(self, stream, limit: int):
        self._stream = stream
        self._limit = limit
        self._read = 0

    def _count(self, data: bytes) -> bytes:
        self._read += len(data)
        if self._read > self._limit:
            raise exceptions.RequestTooLarge(limit=self._limit)
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._limit + 1 - self._read  # enough to see the limit passed
        return self._count(self._stream.read(size))

    def readline(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._limit + 1 - self._read
        return self._count(self._stream.readline(size))

    def __iter__(self):
        return iter(self.readline, b'')
