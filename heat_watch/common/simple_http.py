"""The common HTTP request, answered without cheroot's per-request objects.

Nearly every request heat_watch's APIs get has one simple shape: HTTP/1.1,
GET or POST, an origin-form target without escapes, a handful of distinct
headers and a body of declared length. cheroot parses each through a stack
of Python objects and callbacks, as much CPU as a one-datum PutMetricData
costs the rest of heat_watch. :func:`parse_head` reads such a head from the
connection's buffer and :func:`answer` serves it with the same WSGI environ
cheroot builds. Anything else (HTTP/1.0, chunked or 100-continue bodies,
repeated or folded headers, escapes in the path, HEAD requests, malformed
heads) is left to cheroot, which reads the same bytes from the buffer and
answers or refuses them as it always did.
"""

import email.utils
import re
import sys
import time

from oslo_log import log

LOG = log.getLogger(__name__)

_TOKEN = re.compile(rb"[!#$%&'*+\-.^`|~0-9A-Za-z]+\Z")  # no '_': see parse_head
_METHODS = {b'GET': 'GET', b'POST': 'POST'}
# Body bytes an answer may leave unread and still keep the connection: read
# and dropped; past that the connection closes instead.
MAX_DRAIN = 65536
# Distinct header names whose environ key is remembered.
_KEY_CACHE_MAX = 1024
_ENVIRON_KEYS: dict[bytes, str] = {}
_NO_BODY = ('1', '204', '304')
_HOP_BY_HOP = frozenset(('connection', 'keep-alive', 'transfer-encoding'))


class SimpleRequest:
    """A parsed request head: what the WSGI environ needs of it."""

    __slots__ = ('method', 'target', 'path', 'query', 'headers', 'length', 'close')

    def __init__(self, method: str, target: str, headers: dict[str, str], length: int,
                 close: bool):
        self.method = method
        self.target = target
        self.path, _, self.query = target.partition('?')
        self.headers = headers
        self.length = length
        self.close = close


def environ_key(name: bytes) -> str:
    """The WSGI environ key of a request header name (``HTTP_X_AMZ_DATE``)."""
    key = _ENVIRON_KEYS.get(name)
    if key is None:
        key = 'HTTP_' + name.decode('ISO-8859-1').upper().replace('-', '_')
        if len(_ENVIRON_KEYS) < _KEY_CACHE_MAX:
            _ENVIRON_KEYS[name] = key
    return key


def parse_head(head: bytes) -> SimpleRequest | None:
    """The request of a head (request line and headers, without the blank
    line that ends them), or None unless it has the simple shape."""
    lines = head.split(b'\r\n')
    if head.count(b'\n') != len(lines) - 1 or head.count(b'\r') != len(lines) - 1:
        return None  # a bare CR or LF
    parts = lines[0].split(b' ')
    if len(parts) != 3 or parts[2] != b'HTTP/1.1' or parts[0] not in _METHODS:
        return None
    target = parts[1]
    if target[:1] != b'/' or b'%' in target or b'#' in target:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b':')
        # Names with '_' would share an environ key with their '-' twin.
        if not colon or not _TOKEN.match(name) or b'_' in name:
            return None
        key = environ_key(name)
        if key in headers:
            return None
        headers[key] = value.strip(b' \t').decode('ISO-8859-1')
    if 'HTTP_TRANSFER_ENCODING' in headers or 'HTTP_EXPECT' in headers:
        return None
    length = headers.pop('HTTP_CONTENT_LENGTH', '0')
    if not length.isdigit() or len(length) > 18:
        return None
    if 'HTTP_CONTENT_TYPE' in headers:
        headers['CONTENT_TYPE'] = headers.pop('HTTP_CONTENT_TYPE')
    headers['CONTENT_LENGTH'] = length
    close = 'close' in headers.get('HTTP_CONNECTION', '').lower()
    return SimpleRequest(_METHODS[parts[0]], target.decode('ISO-8859-1'), headers,
                         int(length), close)


class BodyReader:
    """``wsgi.input``: at most the declared length from the connection's reader."""

    def __init__(self, reader, length: int):
        self._reader = reader
        self.remaining = length

    def _bounded(self, read, size: int | None) -> bytes:
        if size is None or size < 0 or size > self.remaining:
            size = self.remaining
        if not size:
            return b''
        data = read(size)
        self.remaining -= len(data)
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._bounded(self._reader.read, size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._bounded(self._reader.readline, size)

    def readlines(self, hint: int = -1) -> list[bytes]:
        return list(iter(self.readline, b''))

    def __iter__(self):
        return iter(self.readline, b'')

    def drain(self) -> bool:
        """Read what the application left; False if too much to bother."""
        if self.remaining > MAX_DRAIN:
            return False
        while self.remaining:
            if not self.read(self.remaining):
                return False
        return True


_date_cache = (0, b'')


def _http_date() -> bytes:
    global _date_cache
    second = int(time.time())
    if _date_cache[0] != second:
        _date_cache = (second, email.utils.formatdate(second, usegmt=True).encode('ascii'))
    return _date_cache[1]


def environ(conn, request: SimpleRequest, body: BodyReader) -> dict:
    """The WSGI environ cheroot's WSGI 1.0 gateway builds for ``request``."""
    server = conn.server
    env = {
        'ACTUAL_SERVER_PROTOCOL': server.protocol,
        'PATH_INFO': request.path,
        'QUERY_STRING': request.query,
        'REMOTE_ADDR': conn.remote_addr or '',
        'REMOTE_PORT': str(conn.remote_port or ''),
        'REQUEST_METHOD': request.method,
        'REQUEST_URI': request.target,
        'SCRIPT_NAME': '',
        'SERVER_NAME': server.server_name,
        'SERVER_PORT': str(server.bind_addr[1]),
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'SERVER_SOFTWARE': server.software,
        'wsgi.errors': sys.stderr,
        'wsgi.input': body,
        'wsgi.input_terminated': False,
        'wsgi.multiprocess': False,
        'wsgi.multithread': True,
        'wsgi.run_once': False,
        'wsgi.url_scheme': 'http',
        'wsgi.version': (1, 0),
    }
    env.update(request.headers)
    return env


def _call_app(app, env: dict) -> tuple[str, list, bytes]:
    """(status, headers, body) of the WSGI application's answer."""
    started: list = []
    chunks: list[bytes] = []

    def start_response(status: str, headers: list, exc_info=None):
        if exc_info and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return chunks.append

    result = app(env, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, 'close', None)
        if close is not None:
            close()
    if not started:
        raise RuntimeError('the WSGI application did not call start_response')
    return started[0], started[1], b''.join(chunks)


def _head(status: str, headers: list, body: bytes, server_name: str, close: bool) -> bytes:
    lines = [b'HTTP/1.1 ' + status.encode('ISO-8859-1')]
    given = set()
    for name, value in headers:
        lowered = name.lower()
        if lowered in _HOP_BY_HOP:  # WSGI forbids them; the body goes whole
            continue
        if '\r' in value or '\n' in value:
            raise ValueError('a line break in the value of the header %s' % name)
        given.add(lowered)
        lines.append(('%s: %s' % (name, value)).encode('ISO-8859-1'))
    if 'content-length' not in given and not status.startswith(_NO_BODY):
        lines.append(b'Content-Length: %d' % len(body))
    if 'date' not in given:
        lines.append(b'Date: ' + _http_date())
    if 'server' not in given:
        lines.append(b'Server: ' + server_name.encode('ISO-8859-1'))
    if close:
        lines.append(b'Connection: close')
    return b'\r\n'.join(lines) + b'\r\n\r\n'


def answer(conn, request: SimpleRequest) -> bool:
    """Serve ``request`` on cheroot connection ``conn`` (its head already
    consumed); True if the connection stays open for the next request."""
    body = BodyReader(conn.rfile, request.length)
    try:
        status, headers, payload = _call_app(conn.server.wsgi_app,
                                             environ(conn, request, body))
    except Exception:
        LOG.exception('The WSGI application failed on %s %s', request.method, request.path)
        status, headers, payload = '500 Internal Server Error', [
            ('Content-Type', 'text/plain')], b'The server failed to answer the request.'
        request.close = True
    asked_close = any(name.lower() == 'connection' and 'close' in value.lower()
                      for name, value in headers)
    keep_open = not (request.close or asked_close) and body.drain()
    if status.startswith(_NO_BODY):
        payload = b''
    conn.wfile.write(_head(status, headers, payload, conn.server.server_name,
                           not keep_open) + payload)
    return keep_open
