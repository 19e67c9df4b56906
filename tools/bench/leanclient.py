"""A lean CloudWatch JSON-protocol client for load generation.

boto3 spends 20-40 ms of CPU building and signing one 1000-datum
PutMetricData call, so a benchmark driven by boto3 measures the client. This
module does the expensive work once: :func:`prepare` serialises a request
body with botocore's own JSON serializer (the very bytes boto3 would send,
timestamps as epoch seconds, no gzip) and hashes it. Per request only the
Signature Version 4 HMAC chain runs (:class:`SigV4Signer`, ~10 us) and the
bytes go over a kept-alive ``http.client`` connection (:class:`LeanClient`).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import http.client
import socket
import time
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.serialize
import botocore.session

SERVICE = 'monitoring'
REGION = 'us-east-1'
ALGORITHM = 'AWS4-HMAC-SHA256'
SIGNED_HEADERS = 'content-type;host;x-amz-date;x-amz-target;x-amzn-query-mode'

_MODEL = None
_SERIALIZER = None


@dataclasses.dataclass(frozen=True)
class Prepared:
    """One serialised request: body bytes, its SHA-256 and datum count."""

    operation: str
    body: bytes
    body_sha256: str
    headers: dict[str, str]
    datums: int = 0


def _service_model():
    global _MODEL, _SERIALIZER
    if _MODEL is None:
        _MODEL = botocore.session.get_session().get_service_model('cloudwatch')
        _SERIALIZER = botocore.serialize.create_serializer('json', include_validation=False)
    return _MODEL, _SERIALIZER


def prepare(operation: str, params: dict) -> Prepared:
    """Serialise ``params`` exactly as botocore's JSON protocol would."""
    model, serializer = _service_model()
    request = serializer.serialize_to_request(params, model.operation_model(operation))
    body = request['body']
    if isinstance(body, str):
        body = body.encode('utf-8')
    headers = {name.lower(): value for name, value in request['headers'].items()}
    return Prepared(operation, body, hashlib.sha256(body).hexdigest(), headers,
                    len(params.get('MetricData') or ()))


def amz_date(now: float | None = None) -> str:
    """The X-Amz-Date of ``now`` (epoch seconds), e.g. '20240101T000000Z'."""
    moment = datetime.datetime.fromtimestamp(time.time() if now is None else now,
                                             datetime.UTC)
    return moment.strftime('%Y%m%dT%H%M%SZ')


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode('utf-8'), hashlib.sha256).digest()


class SigV4Signer:
    """Signature Version 4 for the JSON protocol's fixed header set.

    The signing key is derived once per day; per request the cost is one
    SHA-256 of the canonical request and one HMAC of the string to sign.
    """

    def __init__(self, access: str, secret: str, region: str = REGION,
                 service: str = SERVICE):
        self.access = access
        self.secret = secret
        self.region = region
        self.service = service
        self._keys: dict[str, bytes] = {}

    def _signing_key(self, day: str) -> bytes:
        key = self._keys.get(day)
        if key is None:
            key = _hmac(('AWS4' + self.secret).encode('utf-8'), day)
            for part in (self.region, self.service, 'aws4_request'):
                key = _hmac(key, part)
            self._keys = {day: key}
        return key

    def authorization(self, prepared: Prepared, host: str, path: str, date: str) -> str:
        """The Authorization header of ``prepared`` sent to ``host``/``path`` at ``date``."""
        canonical = '\n'.join((
            'POST', path, '',
            'content-type:' + prepared.headers['content-type'],
            'host:' + host,
            'x-amz-date:' + date,
            'x-amz-target:' + prepared.headers['x-amz-target'],
            'x-amzn-query-mode:' + prepared.headers['x-amzn-query-mode'],
            '', SIGNED_HEADERS, prepared.body_sha256))
        day = date[:8]
        scope = '%s/%s/%s/aws4_request' % (day, self.region, self.service)
        to_sign = '\n'.join((ALGORITHM, date, scope,
                             hashlib.sha256(canonical.encode('utf-8')).hexdigest()))
        signature = hmac.new(self._signing_key(day), to_sign.encode('utf-8'),
                             hashlib.sha256).hexdigest()
        return '%s Credential=%s/%s, SignedHeaders=%s, Signature=%s' % (
            ALGORITHM, self.access, scope, SIGNED_HEADERS, signature)


def check_signer_against_botocore(prepared: Prepared, endpoint: str) -> None:
    """Raise AssertionError unless :class:`SigV4Signer` agrees with botocore."""
    url = urllib.parse.urlsplit(endpoint)
    request = botocore.awsrequest.AWSRequest(
        method='POST', url=endpoint, data=prepared.body,
        headers={name: value for name, value in prepared.headers.items()})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials('AKIDEXAMPLE', 'secret'),
                            SERVICE, REGION).add_auth(request)
    date = request.headers['X-Amz-Date']
    ours = SigV4Signer('AKIDEXAMPLE', 'secret').authorization(
        prepared, url.netloc, url.path or '/', date)
    assert ours == request.headers['Authorization'], (ours, request.headers['Authorization'])


class LeanClient:
    """One kept-alive HTTP connection that sends prepared, freshly signed requests."""

    def __init__(self, endpoint: str, signer: SigV4Signer, timeout: float = 60.0):
        url = urllib.parse.urlsplit(endpoint)
        self.host = url.netloc
        self.path = url.path or '/'
        self.signer = signer
        self.timeout = timeout
        self.reconnects = 0
        self._conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)

    def call(self, prepared: Prepared) -> tuple[int, bytes]:
        """Send one request; the status and body of its answer.

        Network failures (including timeouts) come back as status 0 with the
        error text as the body; the connection is then reopened.
        """
        headers = dict(prepared.headers)
        date = amz_date()
        headers['x-amz-date'] = date
        headers['authorization'] = self.signer.authorization(prepared, self.host,
                                                             self.path, date)
        try:
            self._conn.request('POST', self.path, prepared.body, headers)
            response = self._conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            self._reopen()
            return 0, ('%s: %s' % (type(error).__name__, error)).encode()
        if response.will_close:
            self._reopen()
        return response.status, body

    def _reopen(self) -> None:
        self.reconnects += 1
        self._conn.close()

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    """True once something accepts TCP connections on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return True
        except OSError:
            time.sleep(0.1)
    return False
