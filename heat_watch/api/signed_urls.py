"""Pre-signed URLs authenticate themselves: scaling-policy webhooks (and
wait-condition handles) carry a Signature Version 2 of the stack's own
credential in their query, in Heat's form.

This middleware sits in front of token authentication. A request whose query
carries ``Signature`` is verified here and never reaches keystonemiddleware:
the credential must exist (deleting a stack deletes its credentials, which
revokes its URLs), the signature must cover this method, host, path and
query, and the credential's scope must allow signalling this stack of its
own project. Anything else is 403 and changes nothing. Such URLs live as
long as their credential, so no time window applies. A signal is a POST;
a PUT is taken as the same signal (heat-cfntools' cfn-signal PUTs to a
wait-condition handle, as to an S3 pre-signed URL), verified as the POST
the URL was signed for.

Instance agents read their stack's resource metadata the same way: a GET of
``/v1/{project}/stacks/{name}/{id}/resources/{resource}/metadata`` signed
(Version 2, in the query) with the stack's instance credential, whose scope
must allow reading that stack's metadata. Such a request is signed afresh
each time, so its Timestamp must be within the usual clock skew.
"""

import json
import re
import urllib.parse

import oslo_messaging as messaging
from oslo_log import log

from heat_watch.common import context as hw_context
from heat_watch.common import crypto, exceptions
from heat_watch.identity import model as identity_model
from heat_watch.identity import rpcapi as identity_rpcapi
from heat_watch.identity import signing
from heat_watch.orchestration import rpcapi as orchestration_rpcapi

LOG = log.getLogger(__name__)

SIGNAL_METHODS = ('POST', 'PUT')
SIGNAL_PATH = re.compile(
    r'^/v1/(?P<project>[^/]+)/stacks/(?P<stack_name>[^/]+)/(?P<stack_id>[^/]+)'
    r'/resources/(?P<resource>[^/]+)/signal/?$')
METADATA_PATH = re.compile(
    r'^/v1/(?P<project>[^/]+)/stacks/(?P<stack_name>[^/]+)/(?P<stack_id>[^/]+)'
    r'/resources/(?P<resource>[^/]+)/metadata/?$')
MAX_BODY = 64 * 1024
# What a service that does not answer (or cannot decrypt) looks like here.
UNAVAILABLE = (messaging.MessagingTimeout, messaging.MessageDeliveryFailure,
               exceptions.ServiceUnavailable, exceptions.ConfigurationError)


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _reply(start_response, status: int, body: dict) -> list[bytes]:
    data = json.dumps(body).encode()
    reason = {200: 'OK', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found',
              405: 'Method Not Allowed', 409: 'Conflict', 413: 'Request Entity Too Large',
              503: 'Service Unavailable'}.get(status, 'Error')
    start_response('%d %s' % (status, reason), [('Content-Type', 'application/json'),
                                                ('Content-Length', str(len(data)))])
    return [data]


def _error(start_response, status: int, message: str) -> list[bytes]:
    return _reply(start_response, status, {'error_message': {
        'faultstring': message, 'faultcode': 'Client' if status < 500 else 'Server'}})


def is_presigned(environ: dict) -> bool:
    """Whether a request claims a pre-signed URL's authority."""
    query = environ.get('QUERY_STRING') or ''
    return 'Signature=' in query and 'AWSAccessKeyId=' in query


class SignedURLMiddleware:
    """Verifies pre-signed signal URLs and hands their signal to the
    orchestrator; every other request goes on to ``application``."""

    def __init__(self, application, conf, identity=None, orchestrator=None, box=None):
        self.application = application
        self._identity = identity or identity_rpcapi.IdentityClient(conf)
        self._orchestrator = orchestrator or orchestration_rpcapi.OrchestratorClient(conf)
        self._box = box
        self._conf = conf

    def _secret_box(self) -> crypto.SecretBox:
        if self._box is None:
            self._box = crypto.SecretBox(self._conf)
        return self._box

    def __call__(self, environ: dict, start_response):
        if not is_presigned(environ):
            return self.application(environ, start_response)
        try:
            if METADATA_PATH.match(environ.get('PATH_INFO') or '/'):
                return self._metadata(environ, start_response)
            return self._signal(environ, start_response)
        except _Refused as refusal:
            LOG.info('Refused a pre-signed request to %s: %s', environ.get('PATH_INFO'),
                     refusal.message)
            return _error(start_response, refusal.status, refusal.message)

    def _route(self, environ: dict) -> dict:
        path = environ.get('PATH_INFO') or '/'
        match = SIGNAL_PATH.match(path)
        if match is None:
            raise _Refused(403, 'Pre-signed URLs only signal resources.')
        if environ.get('REQUEST_METHOD') not in SIGNAL_METHODS:
            raise _Refused(405, 'A signal is a POST (or a PUT, as cfn-signal sends).')
        return match.groupdict()  # PATH_INFO is already decoded

    def _credential(self, environ: dict, method: str = 'POST',
                    check_time: bool = False) -> tuple[identity_model.Credential, dict]:
        query = environ.get('QUERY_STRING') or ''
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        request = signing.SignedRequest(
            method=method, host=environ.get('HTTP_HOST') or environ.get('SERVER_NAME', ''),
            path=environ.get('PATH_INFO') or '/', query_string=query, params=params)
        try:
            creds = signing.extract_credentials(request)
            credential = self._identity.get_credential(hw_context.admin_context(),
                                                       creds.access_key)
            secret = self._secret_box().decrypt(credential.secret_encrypted)
            signing.verify(request, creds, secret, check_time=check_time)
        except (exceptions.CredentialNotFound, exceptions.AuthenticationFailed):
            raise _Refused(403, 'The signature of this URL is not valid.')
        except UNAVAILABLE:
            raise _Refused(503, 'The credential store did not answer; try again.')
        return credential, params

    def _details(self, environ: dict):
        try:
            length = int(environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            raise _Refused(400, 'The Content-Length header is invalid.')
        if length > MAX_BODY:
            raise _Refused(413, 'A signal body is at most %d bytes.' % MAX_BODY)
        body = environ['wsgi.input'].read(length) if length else b''
        if not body.strip():
            return {}
        try:
            return json.loads(body)
        except ValueError:
            raise _Refused(400, 'A signal body is JSON.')

    def _metadata(self, environ: dict, start_response) -> list[bytes]:
        """A resource's metadata, for an instance of its stack."""
        if environ.get('REQUEST_METHOD') != 'GET':
            raise _Refused(405, 'Metadata is read with GET.')
        route = METADATA_PATH.match(environ.get('PATH_INFO') or '/').groupdict()
        credential, _params = self._credential(environ, method='GET', check_time=True)
        if (credential.project_id != route['project']
                or not credential.scope.allows(identity_model.READ_METADATA,
                                               route['stack_id'])):
            raise _Refused(403, 'The signature of this URL is not valid for this resource.')
        ctxt = hw_context.RequestContext(project_id=credential.project_id,
                                         user_id=credential.user_id,
                                         request_id=environ.get('openstack.request_id'))
        try:
            metadata = self._orchestrator.resource_metadata(ctxt, route['stack_id'],
                                                            route['resource'])
        except exceptions.NotFound as error:
            raise _Refused(404, str(error))
        except UNAVAILABLE:
            raise _Refused(503, 'The orchestrator did not answer; try again.')
        return _reply(start_response, 200, {'metadata': metadata})

    def _signal(self, environ: dict, start_response) -> list[bytes]:
        route = self._route(environ)
        credential, _params = self._credential(environ)
        if (credential.project_id != route['project']
                or not credential.scope.allows(identity_model.SIGNAL, route['stack_id'])):
            raise _Refused(403, 'The signature of this URL is not valid for this resource.')
        details = self._details(environ)
        ctxt = hw_context.RequestContext(project_id=credential.project_id,
                                         user_id=credential.user_id,
                                         request_id=environ.get('openstack.request_id'))
        try:
            acted = self._orchestrator.resource_signal(ctxt, route['stack_id'],
                                                       route['resource'], details)
        except exceptions.NotFound as error:
            raise _Refused(404, str(error))
        except exceptions.Invalid as error:
            raise _Refused(400, str(error))
        except UNAVAILABLE:
            raise _Refused(503, 'The orchestrator did not answer; the signal may or may not '
                           'have been taken.')
        except exceptions.HeatWatchError as error:
            raise _Refused(409, str(error))
        return _reply(start_response, 200, {'signal': 'accepted' if acted else 'ignored'})
