"""Serving a WSGI application on cheroot's thread pool (no eventlet)."""

import threading

from cheroot import wsgi as cheroot_wsgi
from oslo_log import log

from heat_watch.common import service

LOG = log.getLogger(__name__)


class WSGIService(service.Service):
    """An HTTP server for one WSGI application, on its own thread."""

    def __init__(self, name: str, app, host: str, port: int, threads: int = 32,
                 timeout: int = 60):
        self.name = name
        self.app = app
        self._server = cheroot_wsgi.Server((host, port), app, numthreads=threads,
                                           server_name=name, timeout=timeout)
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
