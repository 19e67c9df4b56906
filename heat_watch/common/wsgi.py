"""Serving a WSGI application on cheroot's thread pool (no eventlet).

Idle and slow clients hold no thread: a new connection waits in cheroot's
selector until its first bytes arrive, and a request head that arrives in
pieces is read as far as it has come and handed back to the selector until
the rest arrives. Connections are closed after ``idle_timeout`` without a
request, and a client is allowed ``header_timeout`` from the first byte of a
request head to its end, and as long for each wait within a body.
"""

import os
import select
import threading
import time

from cheroot import server as cheroot_server
from cheroot import wsgi as cheroot_wsgi
from oslo_config import cfg
from oslo_log import log

from heat_watch.common import service, simple_http

LOG = log.getLogger(__name__)


# How long a worker thread waits on a kept-alive connection for its next
# request before handing it back to cheroot's selector thread.
KEEPALIVE_LINGER_S = 0.01
# Longest request line plus headers (cheroot's default is unlimited); past
# it cheroot answers 414 or 413.
MAX_REQUEST_HEADER_BYTES = 65536
# The cheroot release series this module was tested with: it overrides
# cheroot's HTTPConnection.communicate, HTTPServer.process_conn and put_conn
# and relies on how ConnectionManager hands connections to them. A new
# series is added here (and in requirements.txt's upper bound) only after
# the tests ran with it (tests/unit/common/test_cheroot_version.py fails
# loudly on any other).
TESTED_CHEROOT = ('11.1',)
# Connections accepted by the kernel before the server takes them: loopback
# clients open many at once, and idle ones must not fill the queue.
LISTEN_BACKLOG = 1024

# Registered by each API in its own option group (e.g. [cloudwatch_api]).
OPTS = [
    cfg.FloatOpt('idle_timeout', default=60.0, min=0.1,
                 help='Seconds a connection may stay open without a request (a new '
                      'connection before its first request, a kept-alive one between '
                      'requests); then the server closes it. Idle connections hold no '
                      'thread while they wait.'),
    cfg.FloatOpt('header_timeout', default=10.0, min=0.1,
                 help='Seconds a client may take to send the request line and headers '
                      'of a request, from their first byte, and the longest wait for '
                      'the next bytes of a request body; past it the connection is '
                      'closed. Slowly arriving heads hold no thread while they wait.'),
]

# What take_head answers when the head is incomplete and nothing more has
# arrived yet.
PENDING = b'pending'


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
        """Whether a whole request head already waits here (pipelining).

        The start of a head that is still arriving does not count: cheroot
        would hand the connection to a worker at once, which would wait
        for the rest; it waits in the selector instead.
        """
        return self._buf.find(b'\r\n\r\n', self._pos) >= 0

    def has_partial(self) -> bool:
        """Whether the start of a request (or anything else) waits here."""
        return self._pos < len(self._buf)

    def take_head(self, limit: int) -> bytes | None:
        """The next request's head (up to the blank line ending it, which is
        consumed too), reading what the socket has; :data:`PENDING` if the
        head is incomplete and nothing more has arrived yet (what came is
        kept); None, consuming nothing, if the stream ends or ``limit``
        bytes (0: no limit) hold no blank line."""
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
            if limit and start >= limit:
                return None
            filled = self._fill(wait=False)
            if filled is None:
                return PENDING
            if not filled:
                return None

    def _fill(self, wait: bool = True) -> bool | None:
        """Read more from the socket; False at end of stream; None when
        nothing has arrived and ``wait`` is false."""
        if wait:
            data = _receive(self._sock, self._bufsize)
        else:
            try:
                data = os.read(self._sock.fileno(), self._bufsize)
            except BlockingIOError:
                return None
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
    """What cheroot and :mod:`heat_watch.common.simple_http` write answers
    with: straight to the socket, instead of cheroot's pure-Python
    ``_pyio.BufferedWriter``, which copies every write into a buffer first."""

    def __init__(self, sock):
        self._sock = sock
        self.bytes_written = 0
        self.closed = False

    def write(self, data) -> int:
        _send_all(self._sock, data)
        self.bytes_written += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered."""

    def close(self) -> None:
        self.closed = True


def _make_file(sock, mode: str = 'r', bufsize: int = 65536):
    if 'r' in mode:
        return _SocketReader(sock, bufsize)
    return _SocketWriter(sock)


class _Connection(cheroot_server.HTTPConnection):
    """cheroot's connection, reading requests with :class:`_SocketReader`
    and writing answers with :class:`_SocketWriter`; a request of the simple
    shape is answered by :mod:`heat_watch.common.simple_http`, any other by
    cheroot."""

    def __init__(self, server, sock, makefile=cheroot_server.MakeFile):
        if makefile is cheroot_server.MakeFile:  # a plain socket, not TLS
            makefile = _make_file
        super().__init__(server, sock, makefile)
        # Not yet seen by a worker: it may wait in the selector first.
        self.fresh = True
        # When the first bytes of a head still incomplete arrived (monotonic).
        self.head_since: float | None = None

    def communicate(self) -> bool:
        if not isinstance(self.rfile, _SocketReader) or isinstance(self.server.bind_addr, str):
            return super().communicate()  # TLS, or a UNIX socket
        try:
            head = self.rfile.take_head(self.server.max_request_header_size)
        except OSError:  # reset, or timed out between requests
            return False
        if head is PENDING:
            return self._head_in_time()
        self.head_since = None
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

    def _head_in_time(self) -> bool:
        """Whether a head still arriving may go on waiting (in the selector)."""
        if not self.rfile.has_partial():
            return True  # nothing arrived yet: idle, not slow
        now = time.monotonic()
        if self.head_since is None:
            self.head_since = now
            return True
        return now - self.head_since <= self.server.header_timeout


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
    header_timeout = 10.0

    def process_conn(self, conn) -> None:
        """Hand ``conn`` to a worker; a new connection with nothing to read
        yet waits in the selector instead (cheroot would have a worker wait
        on it, and idle connections would take every worker)."""
        if getattr(conn, 'fresh', False):
            conn.fresh = False
            # A plain socket only: TLS may hold decrypted bytes the socket
            # no longer shows, so cheroot's own handling stays for it.
            if isinstance(conn.rfile, _SocketReader):
                # cheroot set the idle timeout; reads within a request wait less.
                conn.socket.settimeout(self.header_timeout)
                if not _readable(conn.socket, 0):
                    super().put_conn(conn)  # into the selector, no lingering
                    return
        super().process_conn(conn)

    def put_conn(self, conn) -> None:
        """Called on the worker thread that answered ``conn``'s last request
        (or read the start of a head), and by :meth:`process_conn`."""
        while (self.ready and getattr(conn, 'head_since', None) is None
               and (conn.rfile.has_data() or _readable(conn.socket, self.linger_s))):
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
                 idle_timeout: float = 60.0, header_timeout: float = 10.0):
        self.name = name
        self.app = app
        # cheroot closes connections idle in its selector after ``timeout``.
        self._server = _Server((host, port), app, numthreads=threads, server_name=name,
                               timeout=idle_timeout)
        self._server.header_timeout = header_timeout
        self._server.max_request_header_size = MAX_REQUEST_HEADER_BYTES
        self._server.request_queue_size = LISTEN_BACKLOG
        # Only cheroot's own request path reads it: the selector holds idle
        # connections without a thread, so there is no reason to cap them.
        self._server.keep_alive_conn_limit = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when configured as 0)."""
        return self._server.bind_addr[1]

    @property
    def host(self) -> str:
        return self._server.bind_addr[0]

    def start(self) -> None:
        try:
            self._server.prepare()
        except OSError as error:
            # Which of a process's servers could not listen (heat-watch-all
            # runs two): the start-up error names its address.
            error.listen_address = (self.host, self.port, self.name)
            raise
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
