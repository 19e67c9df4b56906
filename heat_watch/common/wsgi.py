"""Serving a WSGI application on cheroot's thread pool (no eventlet)."""

import select
import threading

from cheroot import wsgi as cheroot_wsgi
from oslo_log import log

from heat_watch.common import service

LOG = log.getLogger(__name__)


# How long a worker thread waits on a kept-alive connection for its next
# request before handing it back to cheroot's selector thread.
KEEPALIVE_LINGER_S = 0.01


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
