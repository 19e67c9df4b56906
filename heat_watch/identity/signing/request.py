"""What a signed request is, and the signature it claims.

:func:`extract_credentials` finds and parses the signature a request carries
(Version 4 in the Authorization header or in X-Amz-* parameters, Version 2
in its parameters), without any secret: verification is
:mod:`heat_watch.identity.signing.verify`.
"""

import dataclasses
import datetime
import hashlib
import re
from collections.abc import Mapping

from heat_watch.common import exceptions
from heat_watch.identity.signing import times

V4_ALGORITHM = 'AWS4-HMAC-SHA256'
V2_METHODS = {'HmacSHA256': hashlib.sha256, 'HmacSHA1': hashlib.sha1}
_SCOPE_DATE_RE = re.compile(r'^\d{8}$')
_V4_QUERY_KEYS = ('X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature')
_V2_KEYS = ('Signature', 'AWSAccessKeyId', 'SignatureVersion')


@dataclasses.dataclass
class SignedRequest:
    """An HTTP request as received, with what signature checks need of it."""

    method: str
    host: str
    path: str
    query_string: str = ''
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    body: bytes = b''
    params: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # lower_headers(), made once: a check looks headers up a dozen times.
    _lowered: dict[str, str] | None = dataclasses.field(
        default=None, init=False, repr=False, compare=False)

    def header(self, name: str) -> str | None:
        """A header's value, looked up case-insensitively."""
        return self._lower().get(name.lower())

    def lower_headers(self) -> dict[str, str]:
        """The headers keyed by lower-cased name (a copy the caller may change)."""
        return dict(self._lower())

    def _lower(self) -> dict[str, str]:
        if self._lowered is None:
            self._lowered = {k.lower(): v for k, v in self.headers.items()}
        return self._lowered


@dataclasses.dataclass
class Credentials:
    """What a request claims: who signed it, how, and when.

    ``form`` is ``'header'`` (v4 Authorization header), ``'query'`` (v4
    X-Amz-* parameters) or ``'params'`` (v2). ``request_time`` is the
    request's own time (X-Amz-Date / Date header / v2 Timestamp);
    ``expires_in`` is v4's X-Amz-Expires in seconds, ``expires_at`` v2's
    Expires.
    """

    access_key: str
    version: int
    signature: str = dataclasses.field(repr=False)
    form: str = 'params'
    request_time: datetime.datetime | None = None
    # Version 4.
    amz_date: str = ''
    scope_date: str = ''
    region: str = ''
    service: str = ''
    signed_headers: tuple[str, ...] = ()
    expires_in: int | None = None
    # Version 2.
    signature_method: str = ''
    expires_at: datetime.datetime | None = None

    @property
    def scope(self) -> str:
        """The v4 credential scope, ``date/region/service/aws4_request``."""
        return f'{self.scope_date}/{self.region}/{self.service}/aws4_request'


def extract_credentials(req: SignedRequest) -> Credentials:
    """Find and parse the signature a request carries.

    v4 comes in the Authorization header or in X-Amz-* parameters, v2 in the
    AWSAccessKeyId/SignatureVersion/SignatureMethod/Signature parameters.
    A SignatureVersion other than 2 is refused with IncompleteSignature, as
    for any other signing method this service does not support.

    :raises MissingAuthenticationToken: the request is not signed at all.
    :raises IncompleteSignature: malformed, partial or unsupported signature.
    """
    authorization = req.header('authorization')
    in_query = any(k in req.params for k in _V4_QUERY_KEYS)
    in_v2 = any(k in req.params for k in _V2_KEYS)
    if (authorization is not None) + in_query + in_v2 > 1:
        raise exceptions.IncompleteSignature(
            'Only one auth mechanism allowed; only the X-Amz-Algorithm query '
            'parameter, Signature query string parameter or the Authorization '
            'header should be specified')
    if authorization is not None:
        return _v4_from_header(req, authorization)
    if in_query:
        return _v4_from_query(req)
    if in_v2:
        return _v2_from_params(req.params)
    raise exceptions.MissingAuthenticationToken(
        'Request is missing Authentication Token')


def _v4_from_header(req: SignedRequest, authorization: str) -> Credentials:
    algorithm, _, rest = authorization.strip().partition(' ')
    if algorithm != V4_ALGORITHM:
        raise exceptions.IncompleteSignature(
            f"Unsupported AWS 'algorithm': '{algorithm}'. Use {V4_ALGORITHM}.")
    fields = _authorization_fields(rest)
    for name in ('Credential', 'SignedHeaders', 'Signature'):
        if not fields.get(name):
            raise exceptions.IncompleteSignature(
                f"Authorization header requires '{name}' parameter.")
    amz_date = req.header('x-amz-date')
    date_header = req.header('date')
    if amz_date is not None:
        request_time = times.parse_amz_date(amz_date)
    elif date_header is not None:
        request_time = times.parse_http_date(date_header)
    else:
        raise exceptions.IncompleteSignature(
            "Authorization header requires existence of either a "
            "'X-Amz-Date' or a 'Date' header.")
    return _v4_credentials(fields['Credential'], fields['SignedHeaders'],
                           fields['Signature'], request_time, form='header')


def _authorization_fields(rest: str) -> dict[str, str]:
    """``Credential=a/b, SignedHeaders=c;d, Signature=e`` as a dict."""
    fields = {}
    for part in rest.split(','):
        name, sep, value = part.strip().partition('=')
        if not sep:
            raise exceptions.IncompleteSignature(
                f"Authorization header field '{name[:40]}' is not of the form "
                "'key=value'.")
        fields[name] = value.strip()
    return fields


def _v4_from_query(req: SignedRequest) -> Credentials:
    params = req.params
    for name in ('X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date',
                 'X-Amz-SignedHeaders', 'X-Amz-Signature'):
        if not params.get(name):
            raise exceptions.IncompleteSignature(
                f"AWS query-string parameters must include '{name}'. Re-examine "
                "the query-string parameters.")
    if params['X-Amz-Algorithm'] != V4_ALGORITHM:
        raise exceptions.IncompleteSignature(
            f"X-Amz-Algorithm only supports '{V4_ALGORITHM}'.")
    expires_in = None
    if 'X-Amz-Expires' in params:
        expires_in = times.parse_expires_in(params['X-Amz-Expires'])
    return _v4_credentials(
        params['X-Amz-Credential'], params['X-Amz-SignedHeaders'],
        params['X-Amz-Signature'], times.parse_amz_date(params['X-Amz-Date']),
        form='query', expires_in=expires_in)


def _v4_credentials(credential: str, signed_headers: str, signature: str,
                    request_time: datetime.datetime, form: str,
                    expires_in: int | None = None) -> Credentials:
    parts = credential.split('/')
    if len(parts) != 5 or not all(parts):
        raise exceptions.IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            f"keyid/date/region/service/term, got '{credential}'")
    access_key, scope_date, region, service, terminator = parts
    if terminator != 'aws4_request':
        raise exceptions.IncompleteSignature(
            "Credential should be scoped with a valid terminator: "
            f"'aws4_request', not '{terminator}'.")
    if not _SCOPE_DATE_RE.match(scope_date):
        raise exceptions.IncompleteSignature(
            f"Credential date '{scope_date}' is not in 'YYYYMMDD' format.")
    headers = tuple(signed_headers.split(';'))
    if not all(headers):
        raise exceptions.IncompleteSignature(
            f"SignedHeaders '{signed_headers}' is not a ';'-separated list of header names.")
    if 'host' not in (h.lower() for h in headers):
        raise exceptions.IncompleteSignature(
            "'Host' must be a 'SignedHeader' in the AWS Authorization.")
    return Credentials(
        access_key=access_key, version=4, signature=signature, form=form,
        request_time=request_time,
        amz_date=times.stamp(request_time),
        scope_date=scope_date, region=region, service=service,
        signed_headers=headers, expires_in=expires_in)


def _v2_from_params(params: Mapping[str, str]) -> Credentials:
    version = params.get('SignatureVersion')
    if version is None:
        raise exceptions.IncompleteSignature(
            "The request must contain the parameter SignatureVersion.")
    if version != '2':
        raise exceptions.IncompleteSignature(
            f'Unsupported SignatureVersion: {version[:20]}. Use Signature Version 4 '
            '(or 2).')
    for name in ('AWSAccessKeyId', 'Signature', 'SignatureMethod'):
        if not params.get(name):
            raise exceptions.IncompleteSignature(
                f'The request must contain the parameter {name}.')
    method = params['SignatureMethod']
    if method not in V2_METHODS:
        raise exceptions.IncompleteSignature(
            f'Unsupported SignatureMethod: {method[:40]}. Use HmacSHA256 or HmacSHA1.')
    if 'Timestamp' not in params and 'Expires' not in params:
        raise exceptions.IncompleteSignature(
            'Request must contain either a valid (unexpired) timestamp or a '
            'valid expiration date.')
    return Credentials(
        access_key=params['AWSAccessKeyId'], version=2,
        signature=params['Signature'], form='params',
        signature_method=method,
        request_time=times.parse_iso_time(params, 'Timestamp'),
        expires_at=times.parse_iso_time(params, 'Expires'))
