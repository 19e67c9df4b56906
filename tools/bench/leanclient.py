"""A lean CloudWatch JSON-protocol client for load generation.

boto3 spends 20-40 ms of CPU building and signing one 1000-datum
PutMetricData call, so a benchmark driven by boto3 measures the client. This
module does the expensive work once: :func:`prepare` serialises a request
body with botocore's own JSON serializer (the very bytes boto3 would send,
timestamps as epoch seconds, no gzip) and hashes it. Per request only the
Signature Version 4 HMAC chain runs (:class:`SigV4Signer`, ~10 us) and the
bytes go over a kept-alive socket (:class:`LeanClient`), which reads the
answer's status line and framing headers only: ``http.client`` parses every
answer's headers with the email package, ~100 us of the generator's CPU per
request, as much as a one-datum PutMetricData costs heat_watch.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
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


_DATE_CACHE: tuple[int, str] = (-1, '')


def amz_date(now: float | None = None) -> str:
    """The X-Amz-Date of ``now`` (epoch seconds), e.g. '20240101T000000Z'."""
    global _DATE_CACHE
    second = int(time.time() if now is None else now)
    if _DATE_CACHE[0] != second:
        moment = datetime.datetime.fromtimestamp(second, datetime.UTC)
        _DATE_CACHE = (second, moment.strftime('%Y%m%dT%H%M%SZ'))
    return _DATE_CACHE[1]


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


class ProtocolError(Exception):
    """The server's answer is not HTTP/1.1 as this client reads it."""


class LeanClient:
    """One kept-alive HTTP/1.1 connection sending prepared, freshly signed requests.

    A request goes out in one ``sendmsg`` (head and body, no copy); the
    answer's status, Content-Length, Transfer-Encoding and Connection are
    all it reads of the head.
    """

    def __init__(self, endpoint: str, signer: SigV4Signer, timeout: float = 60.0):
        url = urllib.parse.urlsplit(endpoint)
        self.host = url.netloc
        self.path = url.path or '/'
        self.address = (url.hostname, url.port or 80)
        self.signer = signer
        self.timeout = timeout
        self.reconnects = 0
        self._sock: socket.socket | None = None
        self._buf = b''
        # id(prepared) -> (prepared, the head's fixed part). The entry holds
        # the Prepared itself so that its id cannot be reused by another one
        # (with another Content-Length) while the head stays cached.
        self._heads: dict[int, tuple[Prepared, bytes]] = {}

    def _head(self, prepared: Prepared) -> bytes:
        entry = self._heads.get(id(prepared))
        if entry is not None and entry[0] is prepared:
            return entry[1]
        lines = ['POST %s HTTP/1.1' % self.path, 'Host: %s' % self.host]
        lines += ['%s: %s' % (name, value) for name, value in prepared.headers.items()
                  if name not in ('host', 'content-length', 'x-amz-date', 'authorization')]
        lines.append('Content-Length: %d' % len(prepared.body))
        head = ('\r\n'.join(lines) + '\r\n').encode('latin-1')
        if len(self._heads) >= 4096:  # one-off requests must not pile up
            self._heads.clear()
        self._heads[id(prepared)] = (prepared, head)
        return head

    def call(self, prepared: Prepared) -> tuple[int, bytes]:
        """Send one request; the status and body of its answer.

        Network failures (including timeouts) come back as status 0 with the
        error text as the body; the connection is then reopened.
        """
        date = amz_date()
        signed = 'x-amz-date: %s\r\nAuthorization: %s\r\n\r\n' % (
            date, self.signer.authorization(prepared, self.host, self.path, date))
        try:
            if self._sock is None:
                self._connect()
            self._sock.sendmsg([self._head(prepared), signed.encode('latin-1'), prepared.body])
            status, body, keep_alive = self._read_answer()
        except (OSError, ProtocolError) as error:
            self._reopen()
            return 0, ('%s: %s' % (type(error).__name__, error)).encode()
        if not keep_alive:
            self._reopen()
        return status, body

    def _connect(self) -> None:
        self._sock = socket.create_connection(self.address, timeout=self.timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = b''

    def _fill(self) -> None:
        data = self._sock.recv(262144)
        if not data:
            raise ProtocolError('the server closed the connection')
        self._buf += data

    def _take(self, size: int) -> bytes:
        while len(self._buf) < size:
            self._fill()
        data, self._buf = self._buf[:size], self._buf[size:]
        return data

    def _line(self) -> bytes:
        while (end := self._buf.find(b'\r\n')) < 0:
            self._fill()
        line, self._buf = self._buf[:end], self._buf[end + 2:]
        return line

    def _read_answer(self) -> tuple[int, bytes, bool]:
        while (end := self._buf.find(b'\r\n\r\n')) < 0:
            self._fill()
        head, self._buf = self._buf[:end].decode('latin-1'), self._buf[end + 4:]
        status_line, *header_lines = head.split('\r\n')
        version, _, rest = status_line.partition(' ')
        if not version.startswith('HTTP/1.') or not rest[:3].isdigit():
            raise ProtocolError('bad status line %r' % status_line)
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(':')
            headers[name.strip().lower()] = value.strip()
        keep_alive = (version == 'HTTP/1.1'
                      and headers.get('connection', '').lower() != 'close')
        if headers.get('transfer-encoding', '').lower() == 'chunked':
            return int(rest[:3]), self._read_chunked(), keep_alive
        if 'content-length' not in headers:  # the body runs to the end of the stream
            raise ProtocolError('an answer without Content-Length or chunks')
        return int(rest[:3]), self._take(int(headers['content-length'])), keep_alive

    def _read_chunked(self) -> bytes:
        chunks = []
        while size := int(self._line().split(b';')[0], 16):
            chunks.append(self._take(size))
            self._take(2)
        while self._line():  # trailers, then the blank line
            pass
        return b''.join(chunks)

    def _reopen(self) -> None:
        self.reconnects += 1
        self.close()

    def close(self) -> None:
        """Close the connection."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buf = b''


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
