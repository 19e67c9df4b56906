"""Serving a WSGI application on cheroot's thread pool (no eventlet)."""

import os
import select
import threading

from cheroot import errors as cheroot_errors
from cheroot import server as cheroot_server
from cheroot import wsgi as cheroot_wsgi
from oslo_log import log

from heat_watch.common import service, simple_http

LOG = log.getLogger(__name__)


# How long a worker thread waits on a kept-alive connection for its next
# request before handing it back to cheroot's selector thread.
KEEPALIVE_LINGER_S = 0.01
# Longest request line plus headers (cheroot's default is unlimited); past
# it cheroot answers 414 or 413.
MAX_REQUEST_HEADER_BYTES = 65536
# Distinct header names whose cheroot key and WSGI environ key are cached.
_NAME_CACHE_MAX = 1024


# A socket with a timeout (cheroot sets one) makes Python poll() before
# every recv and send: two system calls, and two hand-overs of the GIL to
# another request's thread, where one does when the socket is ready (it
# mostly is: a request is read after poll said so, an answer fits in the
# socket's buffer). These try the plain call first.

def _receive(sock, size: int) -> bytes:
    try:
        return os.read(sock.fileno(), size)
    except BlockingIOError:
        return sock.recv(size)  # waits, within the socket's timeout


def _send_all(sock, data: bytes) -> None:
    try:
        sent = os.write(sock.fileno(), data)
    except BlockingIOError:
        sent = 0
    if sent < len(data):
        sock.sendall(memoryview(data)[sent:])


class _SocketReader:
    """What cheroot reads requests with: a buffer over the socket.

    cheroot's own reader is the pure-Python ``_pyio.BufferedReader``, whose
    readline costs dozens of Python calls per header line; here a line is
    one ``bytes.find`` and one slice.
    """

    def __init__(self, sock, bufsize: int = 65536):
        self._sock = sock
        self._bufsize = max(bufsize, 65536)
        self._buf = b''
        self._pos = 0
        self.bytes_read = 0
        self.closed = False

    def has_data(self) -> bool:
        """Whether bytes already read from the socket wait here (pipelining)."""
        return self._pos < len(self._buf)

    def take_head(self, limit: int) -> bytes | None:
        """The next request's head (up to the blank line ending it, which is
        consumed too), reading from the socket as needed; None, consuming
        nothing, if the stream ends or ``limit`` bytes (0: no limit) hold no
        blank line."""
        start = 0
        while True:
            end = self._buf.find(b'\r\n\r\n', self._pos + start)
            if end >= 0:
                if limit and end - self._pos > limit:
                    return None
                head = self._buf[self._pos:end]
                self._take(end + 4)
                return head
            start = max(0, len(self._buf) - self._pos - 3)
            if (limit and start >= limit) or not self._fill():
                return None

    def _fill(self) -> bool:
        """Read more from the socket; False at end of stream."""
        data = _receive(self._sock, self._bufsize)
        if not data:
            return False
        self._buf = self._buf[self._pos:] + data if self._pos < len(self._buf) else data
        self._pos = 0
        return True

    def unread(self, data: bytes) -> None:
        """Put back what :meth:`take_head` took (it is the buffer's start)."""
        self._buf = data + self._buf[self._pos:]
        self._pos = 0
        self.bytes_read -= len(data)

    def _take(self, end: int) -> bytes:
        data = self._buf[self._pos:end]
        self._pos = end
        self.bytes_read += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        limit = size if size is not None and size >= 0 else None
        while True:
            end = len(self._buf) if limit is None else min(len(self._buf), self._pos + limit)
            newline = self._buf.find(b'\n', self._pos, end)
            if newline >= 0:
                return self._take(newline + 1)
            if (limit is not None and end - self._pos >= limit) or not self._fill():
                return self._take(end)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            while self._fill():
                pass
            return self._take(len(self._buf))
        available = len(self._buf) - self._pos
        if size <= available:
            return self._take(self._pos + size)
        # A large body: straight from the socket into one buffer.
        out = bytearray(size)
        out[:available] = self._take(len(self._buf))
        view, filled = memoryview(out), available
        while filled < size:
            count = self._sock.recv_into(view[filled:])
            if not count:
                break
            filled += count
        self.bytes_read += filled - available
        return bytes(view[:filled])

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self) -> None:
        self.closed = True
        self._buf, self._pos = b'', 0


class _SocketWriter:
    """What cheroot writes responses with: straight to the socket.

    cheroot's writer is a pure-Python ``_pyio.BufferedWriter`` that copies
    and sends every write at once, so a response went out in two sends (its
    head, then its body). Here a write can be held back and sent with the
    next one.
    """

    def __init__(self, sock):
        self._sock = sock
        self._held = b''
        self.bytes_written = 0
        self.closed = False

    def hold_next_write(self) -> None:
        """Keep the next write until the write after it, or :meth:`flush`."""
        self._held = None

    def write(self, data) -> int:
        if self._held is None:
            self._held = bytes(data)
            return len(data)
        if self._held:
            data, self._held = self._held + data, b''
        _send_all(self._sock, data)
        self.bytes_written += len(data)
        return len(data)

    def flush(self) -> None:
        """Send what is held back."""
        held, self._held = self._held, b''
        if held:
            _send_all(self._sock, held)
            self.bytes_written += len(held)

    def close(self) -> None:
        self.closed = True
        self._held = b''


def _make_file(sock, mode: str = 'r', bufsize: int = 65536):
    if 'r' in mode:
        return _SocketReader(sock, bufsize)
    return _SocketWriter(sock)


class _SizeChecked:
    """cheroot's SizeCheckWrapper for :class:`_SocketReader`: the same limit
    on a request's line and headers, one call per line (cheroot's reads a
    line 256 bytes at a time)."""

    def __init__(self, rfile: _SocketReader, maxlen: int):
        self.rfile = rfile
        self.maxlen = maxlen
        self.bytes_read = 0

    def _counted(self, data: bytes) -> bytes:
        self.bytes_read += len(data)
        if self.maxlen and self.bytes_read > self.maxlen:
            raise cheroot_errors.MaxSizeExceeded()
        return data

    def readline(self, size: int | None = None) -> bytes:
        limit = -1 if size is None else size
        if self.maxlen:  # one byte past the limit tells it was exceeded
            room = self.maxlen - self.bytes_read + 1
            limit = room if limit < 0 else min(limit, room)
        return self._counted(self.rfile.readline(limit))

    def read(self, size: int | None = None) -> bytes:
        return self._counted(self.rfile.read(size))

    def close(self) -> None:
        self.rfile.close()


class _HeaderReader(cheroot_server.HeaderReader):
    """cheroot's header reader, title-casing each distinct name once."""

    def __init__(self):
        self._keys: dict[bytes, bytes] = {}

    def _transform_key(self, key_name: bytes) -> bytes:
        key = self._keys.get(key_name)
        if key is None:
            key = super()._transform_key(key_name)
            if len(self._keys) < _NAME_CACHE_MAX:
                self._keys[key_name] = key
        return key


class _Request(cheroot_server.HTTPRequest):
    """cheroot's request: its line and headers read through
    :class:`_SizeChecked`, and a response's head sent with its first body
    chunk (one send, not two) when it writes through :class:`_SocketWriter`."""

    header_reader = _HeaderReader()

    def parse_request(self) -> None:
        """cheroot's parse_request with :class:`_SizeChecked`."""
        if not isinstance(self.conn.rfile, _SocketReader):
            return super().parse_request()
        self.rfile = _SizeChecked(self.conn.rfile, self.server.max_request_header_size)
        for read, too_long, what in (
                (self.read_request_line, '414 Request-URI Too Long',
                 'The Request-URI sent with the request exceeds'),
                (self.read_request_headers, '413 Request Entity Too Large',
                 'The headers sent with the request exceed')):
            try:
                if not read():
                    return None
            except cheroot_errors.MaxSizeExceeded:
                self.simple_response(too_long, what + ' the maximum allowed bytes.')
                return None
        self.ready = True
        return None

    def send_headers(self) -> None:
        if isinstance(self.conn.wfile, _SocketWriter):
            self.conn.wfile.hold_next_write()
        super().send_headers()

    def respond(self) -> None:
        try:
            super().respond()
        finally:
            if isinstance(self.conn.wfile, _SocketWriter):
                self.conn.wfile.flush()  # a head without a body


class _Connection(cheroot_server.HTTPConnection):
    """cheroot's connection, reading requests with :class:`_SocketReader`
    and writing answers with :class:`_SocketWriter`; a request of the simple
    shape is answered by :mod:`heat_watch.common.simple_http`."""

    RequestHandlerClass = _Request

    def __init__(self, server, sock, makefile=cheroot_server.MakeFile):
        if makefile is cheroot_server.MakeFile:  # a plain socket, not TLS
            makefile = _make_file
        super().__init__(server, sock, makefile)

    def communicate(self) -> bool:
        if not isinstance(self.rfile, _SocketReader) or isinstance(self.server.bind_addr, str):
            return super().communicate()  # TLS, or a UNIX socket
        try:
            head = self.rfile.take_head(self.server.max_request_header_size)
        except OSError:  # reset, or timed out between requests
            return False
        request = simple_http.parse_head(head) if head is not None else None
        if request is None:
            if head is not None:
                self.rfile.unread(head + b'\r\n\r\n')
            return super().communicate()  # cheroot reads it again, or sees the end
        try:
            return simple_http.answer(self, request)
        except OSError:
            return False
        except Exception:  # as cheroot does: this connection ends, the worker goes on
            LOG.exception('Answering %s %s failed', request.method, request.path)
            return False


class _Gateway(cheroot_wsgi.Gateway_10):
    """cheroot's WSGI 1.0 gateway, naming each distinct header's environ
    key once instead of formatting it on every request."""

    def get_environ(self) -> dict:
        req = self.req
        headers, req.inheaders = req.inheaders, {}
        try:
            env = super().get_environ()  # everything but the headers
        finally:
            req.inheaders = headers
        for name, value in headers.items():
            env[simple_http.environ_key(name)] = value.decode('ISO-8859-1')
        for header, key in (('HTTP_CONTENT_TYPE', 'CONTENT_TYPE'),
                            ('HTTP_CONTENT_LENGTH', 'CONTENT_LENGTH')):
            if header in env:
                env[key] = env.pop(header)
        return env


class _Server(cheroot_wsgi.Server):
    """cheroot's server, keeping a busy kept-alive connection on its thread.

    cheroot gives every kept-alive connection back to its selector thread
    after each answer, which hands it to a worker again when the next request
    arrives: two thread wake-ups per request, which cost more CPU than a
    small PutMetricData itself. A client in a closed loop sends its next
    request within a few milliseconds, so the worker first waits that long
    for it and answers it at once.
    """

    linger_s = KEEPALIVE_LINGER_S
    ConnectionClass = _Connection

    def put_conn(self, conn) -> None:
        """Called on the worker thread that answered ``conn``'s last request."""
        while self.ready and (conn.rfile.has_data() or _readable(conn.socket, self.linger_s)):
            try:
                keep_open = conn.communicate()
            except ConnectionError:
                keep_open = False
            if not keep_open:
                conn.close()
                return
        super().put_conn(conn)


def _readable(sock, timeout_s: float) -> bool:
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(timeout_s * 1000))


class WSGIService(service.Service):
    """An HTTP server for one WSGI application, on its own thread."""

    def __init__(self, name: str, app, host: str, port: int, threads: int = 32,
                 timeout: int = 60):
        self.name = name
        self.app = app
        self._server = _Server((host, port), app, numthreads=threads, server_name=name,
                               timeout=timeout)
        self._server.gateway = _Gateway
        self._server.max_request_header_size = MAX_REQUEST_HEADER_BYTES
        # Loopback clients open many connections at once under load.
        self._server.request_queue_size = 128
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when configured as 0)."""
        return self._server.bind_addr[1]

    @property
    def host(self) -> str:
        return self._server.bind_addr[0]

    def start(self) -> None:
        self._server.prepare()
        self._thread = threading.Thread(target=self._server.serve, name=self.name,
                                        daemon=True)
        self._thread.start()
        LOG.info('%s serving on http://%s:%d', self.name, self.host, self.port)

    def stop(self) -> None:
        # cheroot lets the requests in flight finish before it returns.
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
