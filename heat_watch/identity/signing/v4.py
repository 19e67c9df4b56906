"""Signature Version 4: the canonical request, the string to sign and the
derived key, as botocore signs them (path normalisation and double encoding
of the path included)."""

import functools
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import quote, unquote_plus

from heat_watch.common import exceptions
from heat_watch.identity.signing.request import V4_ALGORITHM, Credentials, SignedRequest

UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'


def candidates(req: SignedRequest, creds: Credentials,
                   secret: str) -> list[str]:
    key = v4_signing_key(secret, creds.scope_date, creds.region,
                         creds.service)
    return [_hmac_hex(key, v4_string_to_sign(creds, canonical))
            for canonical in v4_canonical_requests(req, creds)]


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
        raise exceptions.SignatureDoesNotMatch(
            "The provided 'x-amz-content-sha256' header does not match what "
            "was computed.")
    return [declared]
