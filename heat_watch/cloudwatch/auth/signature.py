"""Server-side AWS Signature Version 2 and Version 4 verification.

Pure functions, no I/O: :func:`extract_credentials` finds and parses the
signature a request claims, :func:`verify` recomputes it with the secret the
caller looked up, and :func:`keystone_credentials_document` builds what
Keystone's ``POST /v3/ec2tokens`` needs to do the same check remotely.

The canonical forms follow what real clients send: botocore for Version 4
(including its path normalisation and double encoding of the path), boto 2
for Version 2 (host as the client saw it, with or without a port).
"""

import base64
import dataclasses
import datetime
import email.utils
import functools
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote_plus

from heat_watch.cloudwatch import errors

CLOCK_SKEW = datetime.timedelta(minutes=15)
"""How far a request's own time may be from ours before it is refused."""

V4_ALGORITHM = 'AWS4-HMAC-SHA256'
UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'
MAX_V4_EXPIRES = 7 * 24 * 3600
V2_METHODS = {'HmacSHA256': hashlib.sha256, 'HmacSHA1': hashlib.sha1}

MISMATCH_MESSAGE = (
    'The request signature we calculated does not match the signature you '
    'provided. Check your AWS Secret Access Key and signing method. Consult '
    'the service documentation for details.')
_AMZ_DATE_FORMAT = '%Y%m%dT%H%M%SZ'
_AMZ_DATE_RE = re.compile(r'^\d{8}T\d{6}Z$')
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


# -- Extraction -------------------------------------------------------------

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
        raise errors.IncompleteSignature(
            'Only one auth mechanism allowed; only the X-Amz-Algorithm query '
            'parameter, Signature query string parameter or the Authorization '
            'header should be specified')
    if authorization is not None:
        return _v4_from_header(req, authorization)
    if in_query:
        return _v4_from_query(req)
    if in_v2:
        return _v2_from_params(req.params)
    raise errors.MissingAuthenticationToken(
        'Request is missing Authentication Token')


def _v4_from_header(req: SignedRequest, authorization: str) -> Credentials:
    algorithm, _, rest = authorization.strip().partition(' ')
    if algorithm != V4_ALGORITHM:
        raise errors.IncompleteSignature(
            f"Unsupported AWS 'algorithm': '{algorithm}'. Use {V4_ALGORITHM}.")
    fields = _authorization_fields(rest)
    for name in ('Credential', 'SignedHeaders', 'Signature'):
        if not fields.get(name):
            raise errors.IncompleteSignature(
                f"Authorization header requires '{name}' parameter.")
    amz_date = req.header('x-amz-date')
    date_header = req.header('date')
    if amz_date is not None:
        request_time = _parse_amz_date(amz_date)
    elif date_header is not None:
        request_time = _parse_http_date(date_header)
    else:
        raise errors.IncompleteSignature(
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
            raise errors.IncompleteSignature(
                f"Authorization header field '{name[:40]}' is not of the form "
                "'key=value'.")
        fields[name] = value.strip()
    return fields


def _v4_from_query(req: SignedRequest) -> Credentials:
    params = req.params
    for name in ('X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date',
                 'X-Amz-SignedHeaders', 'X-Amz-Signature'):
        if not params.get(name):
            raise errors.IncompleteSignature(
                f"AWS query-string parameters must include '{name}'. Re-examine "
                "the query-string parameters.")
    if params['X-Amz-Algorithm'] != V4_ALGORITHM:
        raise errors.IncompleteSignature(
            f"X-Amz-Algorithm only supports '{V4_ALGORITHM}'.")
    expires_in = None
    if 'X-Amz-Expires' in params:
        expires_in = _parse_expires_in(params['X-Amz-Expires'])
    return _v4_credentials(
        params['X-Amz-Credential'], params['X-Amz-SignedHeaders'],
        params['X-Amz-Signature'], _parse_amz_date(params['X-Amz-Date']),
        form='query', expires_in=expires_in)


def _v4_credentials(credential: str, signed_headers: str, signature: str,
                    request_time: datetime.datetime, form: str,
                    expires_in: int | None = None) -> Credentials:
    parts = credential.split('/')
    if len(parts) != 5 or not all(parts):
        raise errors.IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            f"keyid/date/region/service/term, got '{credential}'")
    access_key, scope_date, region, service, terminator = parts
    if terminator != 'aws4_request':
        raise errors.IncompleteSignature(
            "Credential should be scoped with a valid terminator: "
            f"'aws4_request', not '{terminator}'.")
    if not _SCOPE_DATE_RE.match(scope_date):
        raise errors.IncompleteSignature(
            f"Credential date '{scope_date}' is not in 'YYYYMMDD' format.")
    headers = tuple(signed_headers.split(';'))
    if not all(headers):
        raise errors.IncompleteSignature(
            f"SignedHeaders '{signed_headers}' is not a ';'-separated list of header names.")
    if 'host' not in (h.lower() for h in headers):
        raise errors.IncompleteSignature(
            "'Host' must be a 'SignedHeader' in the AWS Authorization.")
    return Credentials(
        access_key=access_key, version=4, signature=signature, form=form,
        request_time=request_time,
        amz_date=_fmt(request_time),
        scope_date=scope_date, region=region, service=service,
        signed_headers=headers, expires_in=expires_in)


def _v2_from_params(params: Mapping[str, str]) -> Credentials:
    version = params.get('SignatureVersion')
    if version is None:
        raise errors.IncompleteSignature(
            "The request must contain the parameter SignatureVersion.")
    if version != '2':
        raise errors.IncompleteSignature(
            f'Unsupported SignatureVersion: {version[:20]}. Use Signature Version 4 '
            '(or 2).')
    for name in ('AWSAccessKeyId', 'Signature', 'SignatureMethod'):
        if not params.get(name):
            raise errors.IncompleteSignature(
                f'The request must contain the parameter {name}.')
    method = params['SignatureMethod']
    if method not in V2_METHODS:
        raise errors.IncompleteSignature(
            f'Unsupported SignatureMethod: {method[:40]}. Use HmacSHA256 or HmacSHA1.')
    if 'Timestamp' not in params and 'Expires' not in params:
        raise errors.IncompleteSignature(
            'Request must contain either a valid (unexpired) timestamp or a '
            'valid expiration date.')
    return Credentials(
        access_key=params['AWSAccessKeyId'], version=2,
        signature=params['Signature'], form='params',
        signature_method=method,
        request_time=_parse_iso_time(params, 'Timestamp'),
        expires_at=_parse_iso_time(params, 'Expires'))


# -- Time -------------------------------------------------------------------

def _parse_amz_date(value: str) -> datetime.datetime:
    if not _AMZ_DATE_RE.match(value):
        raise errors.IncompleteSignature(
            f"Date must be in ISO-8601 'basic format'. Got '{value[:40]}'. See "
            "http://en.wikipedia.org/wiki/ISO_8601")
    try:
        return _basic_format_time(value)
    except ValueError:
        raise errors.IncompleteSignature(
            f"Date must be in ISO-8601 'basic format'. Got '{value}'.")


@functools.lru_cache(maxsize=64)
def _basic_format_time(value: str) -> datetime.datetime:
    """``YYYYMMDDTHHMMSSZ`` (already matched) as a UTC time; strptime cost
    15 us, and busy clients send the same second many times."""
    return datetime.datetime(int(value[0:4]), int(value[4:6]), int(value[6:8]),
                             int(value[9:11]), int(value[11:13]), int(value[13:15]),
                             tzinfo=datetime.UTC)


def _parse_http_date(value: str) -> datetime.datetime:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise errors.IncompleteSignature(
            f"Date header '{value[:40]}' is not a valid HTTP date.")
    return _as_utc(parsed)


def _parse_iso_time(params: Mapping[str, str],
                    name: str) -> datetime.datetime | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        return _as_utc(datetime.datetime.fromisoformat(value))
    except ValueError:
        raise errors.IncompleteSignature(
            f'Parameter {name} must be an ISO 8601 date, got {value[:40]}.')


def _parse_expires_in(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) <= MAX_V4_EXPIRES:
        raise errors.IncompleteSignature(
            f'X-Amz-Expires must be a number of seconds between 1 and {MAX_V4_EXPIRES}.')
    return int(value)


def _as_utc(moment: datetime.datetime) -> datetime.datetime:
    # A time without a zone is UTC on the wire (AWS never sends local time).
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


@functools.lru_cache(maxsize=64)
def _fmt(moment: datetime.datetime) -> str:
    return moment.strftime(_AMZ_DATE_FORMAT)


def check_request_time(creds: Credentials,
                       now: datetime.datetime | None = None,
                       max_skew: datetime.timedelta = CLOCK_SKEW) -> None:
    """Refuse requests outside their validity window.

    Used by :func:`verify` and before asking Keystone (which cannot know
    about v2 Expires or v4 X-Amz-Expires).

    :raises RequestExpired: too old, too far in the future, or expired.
    :raises SignatureDoesNotMatch: v4 scope date differs from the request
        date.
    """
    now = _as_utc(now or datetime.datetime.now(datetime.UTC))
    if creds.version == 4 and creds.scope_date != creds.amz_date[:8]:
        raise errors.SignatureDoesNotMatch(
            'Date in Credential scope does not match YYYYMMDD from ISO-8601 '
            f"version of date from HTTP: '{creds.scope_date}' != "
            f"'{creds.amz_date[:8]}', from '{creds.amz_date}'.")
    if creds.expires_at is not None and now > creds.expires_at:
        raise errors.RequestExpired(
            f'Request has expired. Expires date is {creds.expires_at.isoformat()}')
    if creds.request_time is not None:
        _check_window(creds.request_time, creds.expires_in, now, max_skew)


def _check_window(signed_at: datetime.datetime, expires_in: int | None,
                  now: datetime.datetime, max_skew: datetime.timedelta) -> None:
    if expires_in is not None:
        # Presigned v4 URLs are valid from X-Amz-Date for X-Amz-Expires.
        deadline = signed_at + datetime.timedelta(seconds=expires_in)
        if now > deadline:
            raise errors.RequestExpired(
                f'Request has expired: {_fmt(now)} is later than {_fmt(deadline)} '
                f'({_fmt(signed_at)} + {expires_in} s).')
    elif signed_at < now - max_skew:
        raise errors.RequestExpired(
            f'Signature expired: {_fmt(signed_at)} is now earlier than '
            f'{_fmt(now - max_skew)} ({_fmt(now)} - {max_skew}).')
    if signed_at > now + max_skew:
        raise errors.RequestExpired(
            f'Signature not yet current: {_fmt(signed_at)} is still later than '
            f'{_fmt(now + max_skew)} ({_fmt(now)} + {max_skew}).')


# -- Verification -----------------------------------------------------------

def verify(req: SignedRequest, creds: Credentials, secret: str,
           now: datetime.datetime | None = None, *,
           max_skew: datetime.timedelta = CLOCK_SKEW) -> None:
    """Check the request's signature with ``secret`` and its time.

    :raises RequestExpired: see :func:`check_request_time`.
    :raises SignatureDoesNotMatch: the signature is not the one computed.
    """
    check_request_time(creds, now, max_skew)
    if creds.version == 4:
        candidates = _v4_candidates(req, creds, secret)
    else:
        candidates = _v2_candidates(req, creds, secret)
    claimed = creds.signature.encode('utf-8')
    # Every candidate is compared so that timing says nothing about which.
    matches = [hmac.compare_digest(c.encode('utf-8'), claimed)
               for c in candidates]
    if not any(matches):
        raise errors.SignatureDoesNotMatch(MISMATCH_MESSAGE)


def _v4_candidates(req: SignedRequest, creds: Credentials,
                   secret: str) -> list[str]:
    key = v4_signing_key(secret, creds.scope_date, creds.region,
                         creds.service)
    return [_hmac_hex(key, v4_string_to_sign(creds, canonical))
            for canonical in v4_canonical_requests(req, creds)]


def _v2_candidates(req: SignedRequest, creds: Credentials,
                   secret: str) -> list[str]:
    digest = V2_METHODS[creds.signature_method]
    candidates = []
    for host in _host_variants(req.host):
        mac = hmac.new(secret.encode('utf-8'),
                       v2_string_to_sign(req, host).encode('utf-8'), digest)
        candidates.append(base64.b64encode(mac.digest()).decode('ascii'))
    return candidates


# -- Version 4 --------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def v4_signing_key(secret: str, date: str, region: str,
                   service: str) -> bytes:
    """The derived key: HMAC chain over date, region, service, terminator.

    Remembered: it changes once a day per key, and the four HMACs cost
    ~18 us per request. The cache holds derived keys of the day only in
    this process's memory, as the credential cache holds the secrets.
    """
    key = ('AWS4' + secret).encode('utf-8')
    for part in (date, region, service, 'aws4_request'):
        key = hmac.new(key, part.encode('utf-8'), hashlib.sha256).digest()
    return key


def _hmac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode('utf-8'), hashlib.sha256).hexdigest()


def v4_string_to_sign(creds: Credentials, canonical_request: str) -> str:
    """The v4 string to sign for one canonical request."""
    digest = hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()
    return f'{V4_ALGORITHM}\n{creds.amz_date}\n{creds.scope}\n{digest}'


def v4_canonical_requests(req: SignedRequest,
                          creds: Credentials) -> list[str]:
    """The canonical requests the client may have signed.

    More than one only when the payload hash is ambiguous (query-string
    auth without X-Amz-Content-Sha256 may sign the body or UNSIGNED-PAYLOAD;
    the signature itself tells which the signer chose).
    """
    auth_in_body = (creds.form == 'query'
                    and 'X-Amz-Signature' not in _query_keys(req))
    if auth_in_body:
        # X-Amz-* sent in a form body: the form is the query, as botocore's
        # SigV4QueryAuth signs it (it moves form fields into the URL).
        pairs = list(req.params.items())
    else:
        pairs = _query_pairs(req.query_string)
    if creds.form == 'query':
        pairs = [(k, v) for k, v in pairs if k != 'X-Amz-Signature']
    head = '\n'.join((
        req.method.upper(),
        canonical_uri(req.path),
        canonical_query_string(pairs),
        _canonical_headers(req, creds.signed_headers),
        ';'.join(creds.signed_headers)))
    body = b'' if auth_in_body else req.body
    return [f'{head}\n{payload}'
            for payload in _payload_hashes(req, creds, body)]


def canonical_uri(path: str) -> str:
    """The path as botocore signs it: dot segments and empty segments
    removed, then percent-encoded once more (so '%20' becomes '%2520')."""
    return quote(_remove_dot_segments(path), safe='/~')


def _remove_dot_segments(path: str) -> str:
    if not path:
        return '/'
    segments: list[str] = []
    for segment in path.split('/'):
        if segment == '..':
            if segments:
                segments.pop()
        elif segment and segment != '.':
            segments.append(segment)
    first = '/' if path.startswith('/') else ''
    last = '/' if path.endswith('/') and segments else ''
    return first + '/'.join(segments) + last


def _query_pairs(query_string: str) -> list[tuple[str, str]]:
    pairs = []
    for piece in query_string.split('&'):
        if piece:
            key, _, value = piece.partition('=')
            pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


def _query_keys(req: SignedRequest) -> set[str]:
    return {key for key, _ in _query_pairs(req.query_string)}


def canonical_query_string(pairs: Iterable[tuple[str, str]]) -> str:
    """Decoded pairs, RFC 3986-encoded and sorted by encoded key then
    value."""
    encoded = sorted((quote(k, safe='-_.~'), quote(v, safe='-_.~'))
                     for k, v in pairs)
    return '&'.join(f'{k}={v}' for k, v in encoded)


def _canonical_headers(req: SignedRequest, names: Iterable[str]) -> str:
    headers = req.lower_headers()
    headers.setdefault('host', req.host)
    lines = []
    for name in names:
        # Trimall: strip and collapse runs of whitespace, as the spec requires.
        value = ' '.join(headers.get(name.lower(), '').split())
        lines.append(f'{name.lower()}:{value}\n')
    return ''.join(lines)


def _payload_hashes(req: SignedRequest, creds: Credentials,
                    body: bytes) -> list[str]:
    actual = hashlib.sha256(body).hexdigest()
    declared = req.header('x-amz-content-sha256')
    if declared is None:
        if creds.form == 'query':
            return [actual, UNSIGNED_PAYLOAD]
        return [actual]
    if declared == UNSIGNED_PAYLOAD and creds.form == 'query':
        return [declared]
    if declared.lower() != actual:
        # The body is not the one the client hashed (or claims unsigned).
        raise errors.SignatureDoesNotMatch(
            "The provided 'x-amz-content-sha256' header does not match what "
            "was computed.")
    return [declared]


# -- Version 2 --------------------------------------------------------------

def v2_string_to_sign(req: SignedRequest, host: str) -> str:
    """VERB, lower-cased host, path and the canonical parameters."""
    params = sorted((k, v) for k, v in req.params.items() if k != 'Signature')
    query = '&'.join(f"{quote(k, safe='-_~')}={quote(v, safe='-_~')}" for k, v in params)
    return '\n'.join((req.method.upper(), host.lower(), req.path or '/',
                      query))


def _host_variants(host: str) -> list[str]:
    """The host as sent, then without its port: clients disagree on
    whether a non-default port is part of the signed host."""
    bare = _strip_port(host)
    return [host] if bare == host else [host, bare]


def _strip_port(host: str) -> str:
    if host.startswith('['):  # IPv6 literal: '[::1]:8003'
        return host.partition(']')[0] + ']'
    return host.partition(':')[0]


# -- Keystone ---------------------------------------------------------------

def keystone_credentials_document(req: SignedRequest,
                                  creds: Credentials) -> dict:
    """The ``credentials`` object of Keystone's ``POST /v3/ec2tokens``.

    Shaped like keystonemiddleware's and heat's ec2token middleware send it,
    so that Keystone's Ec2Signer recomputes the same signature: it reads the
    Authorization and X-Amz-Date headers by their canonical names and uses
    ``path`` verbatim, so v4 gets the botocore canonical URI.
    """
    params = {k: v for k, v in req.params.items()
              if k not in ('Signature', 'X-Amz-Signature')}
    if creds.version == 4:
        path = canonical_uri(req.path)
        headers = _keystone_v4_headers(req, creds)
    else:
        path = req.path or '/'
        headers = {}
    return {
        'access': creds.access_key,
        'signature': creds.signature,
        'host': req.host.lower(),
        'verb': req.method.upper(),
        'path': path,
        'params': params,
        'headers': headers,
        'body_hash': hashlib.sha256(req.body).hexdigest(),
    }


def _keystone_v4_headers(req: SignedRequest,
                         creds: Credentials) -> dict[str, str]:
    lower = req.lower_headers()
    lower.setdefault('host', req.host)
    # Only what the signature covers (plus how it is carried), never
    # unrelated headers such as cookies or tokens.
    wanted = [h.lower() for h in creds.signed_headers] + ['authorization']
    headers = {_header_title(name): lower[name]
               for name in wanted if name in lower}
    # Keystone only understands X-Amz-Date; a Date header was already
    # converted to the basic format the client signed.
    headers['X-Amz-Date'] = creds.amz_date
    return headers


def _header_title(name: str) -> str:
    return '-'.join(part.capitalize() for part in name.split('-'))
