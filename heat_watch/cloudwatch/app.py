"""The CloudWatch-compatible WSGI application.

One request: find the protocol (JSON when X-Amz-Target is present, else
Query), authenticate the signature, decode the input, run the action, encode
the answer. Every failure leaves as an AWS error in the request's protocol.
"""

import urllib.parse
import zlib

import oslo_messaging as messaging
from oslo_config import cfg
from oslo_log import log

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch.actions import ACTIONS, fast_put
from heat_watch.cloudwatch.auth import backends
from heat_watch.cloudwatch.protocol import json_protocol, query
from heat_watch.common import context as hw_context
from heat_watch.common import exceptions, middleware, outage
from heat_watch.identity import model as identity_model
from heat_watch.identity import signing
from heat_watch.watch import rpcapi

LOG = log.getLogger(__name__)

GROUP = 'cloudwatch_api'
OPTS = [
    cfg.HostAddressOpt('bind_host', default='0.0.0.0',
                       help='Address the CloudWatch API listens on.'),
    cfg.PortOpt('bind_port', default=8003, help='Port the CloudWatch API listens on.'),
    cfg.IntOpt('threads', default=32, min=1,
               help='Requests served at once (HTTP server thread pool).'),
    cfg.IntOpt('max_request_body_size', default=2 * 1024 * 1024, min=1024,
               help='Largest request body accepted, in bytes (AWS accepts 1 MB '
                    'PutMetricData bodies).'),
    cfg.StrOpt('auth_backend', default='local',
               help='Where access keys are verified: "local" (the credential '
                    'store of heat-watch-manage credentials) or "keystone" '
                    '(Keystone\'s ec2tokens API, see [ec2authtoken]).'),
]
PATHS = ('/', '/v1', '/v1/')
API_VERSION = '2010-08-01'
FORM_TYPE = 'application/x-www-form-urlencoded'
MAX_INFLATED = 16 * 1024 * 1024
# What the engine's client raises when the broker or the engine is away:
# the call was never answered (maybe never delivered).
_UNANSWERED = (messaging.MessagingTimeout, messaging.MessageDeliveryFailure)


class _Request:
    """What the app needs of one HTTP request, read once."""

    def __init__(self, environ: dict):
        self.environ = environ
        self.method = environ['REQUEST_METHOD']
        self.path = environ.get('PATH_INFO') or '/'
        self.query_string = environ.get('QUERY_STRING', '')
        self.headers = {key[5:].replace('_', '-').lower(): value
                        for key, value in environ.items() if key.startswith('HTTP_')}
        if environ.get('CONTENT_TYPE'):
            self.headers['content-type'] = environ['CONTENT_TYPE']
        self.body = self._read_body()
        self.target = self.headers.get('x-amz-target')

    def _read_body(self) -> bytes:
        # Its size is bounded by the common middleware (refuse_too_large).
        try:
            length = int(self.environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            raise errors.InvalidParameterValue('The Content-Length header is invalid.')
        stream, chunks, remaining = self.environ['wsgi.input'], [], length
        # A WSGI input stream may return fewer bytes than asked for.
        while remaining > 0:
            chunk = stream.read(remaining)
            if not chunk:
                raise errors.InvalidParameterValue('The request body ended early.')
            chunks.append(chunk)
            remaining -= len(chunk)
        return b''.join(chunks)

    def content(self) -> bytes:
        """The body, decompressed: botocore gzips large PutMetricData bodies
        (the signature covers the compressed bytes)."""
        encoding = self.headers.get('content-encoding', '').strip().lower()
        if not encoding or encoding == 'identity':
            return self.body
        if encoding != 'gzip':
            raise errors.InvalidParameterValue('Content-Encoding %s is not supported.' % encoding)
        inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        try:
            # Bounded, so that a small compressed bomb cannot exhaust memory.
            content = inflater.decompress(self.body, MAX_INFLATED)
        except zlib.error:
            raise errors.InvalidParameterValue('The gzip request body is corrupt.')
        if inflater.unconsumed_tail:
            raise errors.InvalidParameterValue(
                'The request body inflates to more than %d bytes.' % MAX_INFLATED)
        return content

    def params(self) -> dict[str, str]:
        """Query protocol parameters: query string plus a form body.

        Bytes that are not UTF-8 (raw or %-escaped) are refused, as the JSON
        protocol refuses them, rather than stored as U+FFFD.
        """
        params = dict(urllib.parse.parse_qsl(self.query_string, keep_blank_values=True,
                                             errors='surrogateescape'))
        content_type = self.headers.get('content-type', '').split(';')[0].strip().lower()
        if self.method == 'POST' and self.body and (not content_type or content_type == FORM_TYPE):
            params.update(urllib.parse.parse_qsl(
                self.content().decode('utf-8', 'surrogateescape'), keep_blank_values=True,
                errors='surrogateescape'))
        _refuse_invalid_utf8(params)
        return params

    def signed(self, params: dict[str, str]) -> signing.SignedRequest:
        return signing.SignedRequest(
            method=self.method, host=self.headers.get('host', ''), path=self.path,
            query_string=self.query_string, headers=self.headers, body=self.body,
            params=params)


def _refuse_invalid_utf8(params: dict[str, str]) -> None:
    """InvalidParameterValue naming the first parameter whose name or value
    held bytes that are not UTF-8 (decoded as lone surrogates)."""
    for name, value in params.items():
        if value.isascii() and name.isascii():
            continue  # nearly every parameter: no encoding needed
        try:
            name.encode('utf-8')
            value.encode('utf-8')
        except UnicodeEncodeError:
            shown = name.encode('utf-8', 'surrogateescape').decode('ascii', 'replace')
            raise errors.InvalidParameterValue(
                'The parameter %s is not valid UTF-8 text.' % shown.replace('\ufffd', '?'))


class CloudWatchApp:
    """WSGI application of the CloudWatch API (Query and JSON protocols)."""

    def __init__(self, conf: cfg.ConfigOpts, engine_client=None, authenticator=None):
        self.conf = conf
        self.engine = engine_client or rpcapi.WatchEngineClient(conf)
        self.authenticator = authenticator or backends.load(conf)
        # Logs once per outage of the engine, its broker or its database.
        self.engine_outage = outage.OutageDetector('the watch engine', LOG)

    def __call__(self, environ: dict, start_response):
        # The common middleware's id, also in x-openstack-request-id.
        request_id = environ.get(middleware.ENV_REQUEST_ID) or middleware.new_request_id()
        is_json = bool(environ.get('HTTP_X_AMZ_TARGET'))
        try:
            status, body, headers = self._handle(environ, request_id)
        except errors.AWSError as error:
            status, body, headers = self._error(error, is_json, request_id)
        except Exception:
            LOG.exception('Request %s failed', request_id)
            status, body, headers = self._error(errors.InternalFailure(
                'The request processing has failed because of an unknown error.'),
                is_json, request_id)
        return _respond(start_response, status, body, headers, request_id)

    def refuse_too_large(self, environ: dict, start_response, limit: int) -> list[bytes]:
        """The AWS answer to a body over ``limit`` bytes, in the request's
        protocol (the common middleware's refusal, see :func:`build_app`)."""
        request_id = environ.get(middleware.ENV_REQUEST_ID) or middleware.new_request_id()
        error = errors.InvalidParameterValue('The request body is larger than %d bytes.' % limit)
        status, body, headers = self._error(error, bool(environ.get('HTTP_X_AMZ_TARGET')),
                                            request_id)
        return _respond(start_response, status, body, headers, request_id)

    def _error(self, error: errors.AWSError, is_json: bool,
               request_id: str) -> tuple[int, bytes, list]:
        if is_json:
            body, extra = json_protocol.serialize_error(error)
            headers = [('Content-Type', json_protocol.CONTENT_TYPE)] + list(extra.items())
        else:
            body = query.serialize_error(error, request_id)
            headers = [('Content-Type', 'text/xml')]
        return error.status, body, headers

    def _handle(self, environ: dict, request_id: str) -> tuple[int, bytes, list]:
        request = _Request(environ)
        if request.path not in PATHS:
            raise errors.InvalidAction('No service is served at %s.' % request.path)
        if request.target:
            return self._json(request, request_id)
        return self._query(request, request_id)

    def _json(self, request: _Request, request_id: str) -> tuple[int, bytes, list]:
        if request.method != 'POST':
            raise errors.InvalidAction('The JSON protocol takes POST requests only.')
        params = dict(urllib.parse.parse_qsl(request.query_string, keep_blank_values=True))
        ctxt = self._authenticate(request, params, request_id)
        operation = json_protocol.operation_from_target(request.target)
        action = self._action(operation)
        self._authorize(ctxt, operation)
        content = request.content()
        fast_path = fast_put.JSON_FAST_PATHS.get(operation)
        result = self._run(fast_path, ctxt, content, operation) if fast_path else None
        if result is None:
            data = json_protocol.decode_body(operation, content)
            result = self._run(action, ctxt, json_protocol.parse_data(operation, data), operation)
        body = json_protocol.serialize_response(operation, result)
        return 200, body, [('Content-Type', json_protocol.CONTENT_TYPE)]

    def _query(self, request: _Request, request_id: str) -> tuple[int, bytes, list]:
        if request.method not in ('GET', 'POST'):
            raise errors.InvalidAction('The Query protocol takes GET and POST requests.')
        params = request.params()
        ctxt = self._authenticate(request, params, request_id)
        operation = params.get('Action')
        if not operation:
            raise errors.MissingParameter('The request must contain the parameter Action.')
        version = params.get('Version')
        if version and version != API_VERSION:
            raise errors.InvalidParameterValue(
                'The Version %s is not supported; use %s.' % (version, API_VERSION))
        action = self._action(operation)
        self._authorize(ctxt, operation)
        result = self._run(action, ctxt, query.parse_params(operation, params), operation)
        body = query.serialize_response(operation, result, request_id)
        return 200, body, [('Content-Type', 'text/xml')]

    def _authenticate(self, request: _Request, params: dict,
                      request_id: str) -> hw_context.RequestContext:
        signed = request.signed(params)
        try:
            creds = signing.extract_credentials(signed)
            identity = self.authenticator.authenticate(signed, creds)
        except exceptions.ServiceUnavailable as error:
            raise self._unavailable(error, request_id, 'authentication')
        except exceptions.HeatWatchError as error:
            raise errors.from_project_error(error)
        except _UNANSWERED as error:
            raise self._unavailable(error, request_id, 'authentication',
                                    'The credential store did not answer in time.')
        ctxt = hw_context.RequestContext(project_id=identity['project_id'],
                                         user_id=identity.get('user_id'),
                                         roles=identity.get('roles') or [],
                                         request_id=request_id)
        ctxt.scope = identity.get('scope') or identity_model.UNRESTRICTED
        return ctxt

    @staticmethod
    def _authorize(ctxt: hw_context.RequestContext, operation: str) -> None:
        """Refuse an operation the credential's scope does not allow."""
        if not ctxt.scope.allows('cloudwatch:%s' % operation):
            raise errors.AccessDenied('The credential is not allowed to perform %s.'
                                      % operation)

    def _unavailable(self, error: Exception, request_id: str, operation: str,
                     message: str | None = None) -> errors.AWSError:
        """The 503 of a request the engine did not serve; the outage is
        logged once, each request at debug level."""
        self.engine_outage.failed(error, request_id=request_id, operation=operation)
        if message is None:
            return errors.from_project_error(error)
        return errors.ServiceUnavailable(message)

    @staticmethod
    def _action(operation: str):
        action = ACTIONS.get(operation)
        if action is None:
            raise errors.InvalidAction(
                'The action %s is not valid for this web service.' % operation)
        return action

    def _run(self, action, ctxt: hw_context.RequestContext, data, operation: str) -> dict:
        try:
            result = action(ctxt, self.engine, data)
        except errors.AWSError:
            raise
        except exceptions.ServiceUnavailable as error:
            raise self._unavailable(error, ctxt.request_id, operation)
        except exceptions.HeatWatchError as error:
            raise errors.from_project_error(error)
        except _UNANSWERED as error:
            raise self._unavailable(error, ctxt.request_id, operation,
                                    'The watch engine did not answer in time.')
        except Exception:
            LOG.exception('Request %s failed', ctxt.request_id)
            raise errors.InternalFailure('The request processing has failed because of an '
                                         'unknown error.')
        self.engine_outage.succeeded()
        return result


_REASONS = {200: 'OK', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found',
            413: 'Request Entity Too Large', 500: 'Internal Server Error',
            503: 'Service Unavailable'}


def _respond(start_response, status: int, body: bytes, headers: list,
             request_id: str) -> list[bytes]:
    start_response('%d %s' % (status, _REASONS.get(status, 'Error')),
                   [('Content-Length', str(len(body))),
                    ('x-amzn-RequestId', request_id)] + headers)
    return [body]


def build_app(conf: cfg.ConfigOpts, engine_client=None):
    """The CloudWatch API behind the common middleware (request ids,
    /healthcheck, the body-size limit of ``[cloudwatch_api]``)."""
    app = CloudWatchApp(conf, engine_client=engine_client)
    return middleware.wrap(app, conf, conf.cloudwatch_api.max_request_body_size,
                           app.refuse_too_large)
