"""Authenticate CloudWatch requests with Keystone's EC2 credentials.

Keystone holds the secrets: we send it what it needs to recompute the
signature (``POST /v3/ec2tokens``) and get back a token naming the user, the
project and the roles. Keystone's answers are mapped onto the AWS errors a
CloudWatch client understands; its failures are never a 500 for the client.
"""

import datetime
from collections.abc import Callable

import requests
from oslo_log import log

from heat_watch.cloudwatch import errors
from heat_watch.identity import signing

LOG = log.getLogger(__name__)

INVALID_TOKEN_MESSAGE = 'The security token included in the request is invalid.'
UNAVAILABLE_MESSAGE = ('The service is unavailable because authentication '
                       'failed upstream. Please try again later.')


def ec2tokens_url(auth_uri: str) -> str:
    """``{auth_uri}/ec2tokens``, making sure the identity API is v3."""
    base = auth_uri.rstrip('/')
    base = base.removesuffix('/v2.0')
    if not base.endswith('/v3'):
        base += '/v3'
    return base + '/ec2tokens'


class KeystoneEC2Authenticator:
    """Checks signatures by asking Keystone (``[cloudwatch] auth = keystone``).

    ``verify`` is passed to ``requests`` (True, False or a CA bundle path);
    ``cafile`` is used as the bundle when ``verify`` is left True.
    ``certfile``/``keyfile`` are the client certificate, if Keystone wants
    one. ``service_token`` returns the token of this service's own Keystone
    user: current Keystone answers /v3/ec2tokens only to a service or admin
    token (it no longer lets anyone test credentials anonymously).
    """

    def __init__(self, auth_uri: str, timeout: float = 10.0,
                 verify: bool | str = True, cafile: str | None = None,
                 certfile: str | None = None, keyfile: str | None = None,
                 *, max_skew: datetime.timedelta = signing.CLOCK_SKEW,
                 service_token: Callable[[], str] | None = None):
        self.url = ec2tokens_url(auth_uri)
        self._service_token = service_token
        self.timeout = timeout
        self.max_skew = max_skew
        self._verify = cafile if (verify is True and cafile) else verify
        self._cert = (certfile, keyfile) if certfile and keyfile else certfile
        self._session = requests.Session()

    def authenticate(self, req: signing.SignedRequest,
                     creds: signing.Credentials) -> dict:
        """Who signed ``req``: project_id, user_id, token_id and roles.

        :raises RequestExpired: checked here, before asking Keystone.
        :raises SignatureDoesNotMatch: Keystone refused the signature.
        :raises InvalidClientTokenId: Keystone does not know the access key.
        :raises ServiceUnavailable: Keystone is unreachable or failing.
        """
        signing.check_request_time(creds, max_skew=self.max_skew)
        body = {'credentials':
                signing.keystone_credentials_document(req, creds)}
        response = self._post(body)
        if response.status_code in (200, 201):
            return self._identity(response)
        raise self._refusal(response, creds.access_key)

    def _headers(self) -> dict[str, str]:
        headers = {'Accept': 'application/json'}
        if self._service_token is not None:
            try:
                headers['X-Auth-Token'] = self._service_token()
            except Exception as e:  # keystoneauth's failures have no common base here
                LOG.warning('No service token from Keystone for ec2tokens: %s', e)
                raise errors.ServiceUnavailable(UNAVAILABLE_MESSAGE) from None
        return headers

    def _post(self, body: dict) -> requests.Response:
        headers = self._headers()
        try:
            return self._session.post(
                self.url, json=body, timeout=self.timeout,
                verify=self._verify, cert=self._cert, headers=headers)
        except requests.RequestException as e:
            # The exception names the URL, never the request body.
            LOG.warning('Keystone ec2tokens request to %s failed: %s',
                        self.url, e)
            raise errors.ServiceUnavailable(UNAVAILABLE_MESSAGE) from None

    def _identity(self, response: requests.Response) -> dict:
        try:
            token = response.json()['token']
            user_id = token['user']['id']
            project = token.get('project')
            roles = [role['name'] for role in token.get('roles') or []]
        except (ValueError, KeyError, TypeError) as e:
            LOG.warning('Keystone ec2tokens answered %d with an unusable '
                        'token (%s)', response.status_code, e)
            raise errors.ServiceUnavailable(UNAVAILABLE_MESSAGE) from None
        if not project or 'id' not in project:
            raise errors.AccessDenied(
                'The EC2 credential is not scoped to a project.')
        return {'project_id': project['id'], 'user_id': user_id,
                'token_id': response.headers.get('X-Subject-Token'),
                'roles': roles}

    def _refusal(self, response: requests.Response,
                 access_key: str) -> errors.AWSError:
        """The AWS error for a Keystone answer other than success."""
        status = response.status_code
        message = _keystone_message(response)
        LOG.info('Keystone refused EC2 credentials %s: %d %s',
                 access_key, status, message or '(no keystone error body)')
        text = (message or '').lower()
        if status >= 500 or (status == 404 and message is None):
            # A 404 that is not a Keystone error means a wrong auth_uri.
            return errors.ServiceUnavailable(UNAVAILABLE_MESSAGE)
        if status == 404 or 'access key not found' in text:
            return errors.InvalidClientTokenId(INVALID_TOKEN_MESSAGE)
        if status in (401, 403):
            if 'expired' in text:
                return errors.RequestExpired('Request has expired.')
            return errors.SignatureDoesNotMatch(signing.MISMATCH_MESSAGE)
        if status == 400:
            return errors.IncompleteSignature(
                'The request signature does not conform to AWS standards.')
        return errors.ServiceUnavailable(UNAVAILABLE_MESSAGE)


def _keystone_message(response: requests.Response) -> str | None:
    """``error.message`` of a Keystone error body, None if there is none."""
    try:
        error = response.json()['error']
        return str(error.get('message', ''))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
