"""The APIs as plain WSGI applications, one module per API, for uwsgi,
mod_wsgi, gunicorn or granian with N worker processes (the multi-process
deployment; ``heat-watch-all`` embeds the same applications).

Each module exposes ``application``. Importing it reads the configuration
once: the files named by ``HEAT_WATCH_CONFIG_FILES`` (separated by ``;``)
and the directory ``HEAT_WATCH_CONFIG_DIR``, or oslo.config's default files
of the project (``/etc/heat_watch/heat_watch.conf`` among them), and sets up
logging. The application itself (its RPC client and credential store) is
built on a worker's first request, in that worker: servers that import the
module before they fork their workers would otherwise share one AMQP
connection among processes.
"""

import os
import threading
from collections.abc import Callable, Iterable

from oslo_config import cfg

from heat_watch.common import config

CONFIG_FILES_ENV = 'HEAT_WATCH_CONFIG_FILES'
CONFIG_DIR_ENV = 'HEAT_WATCH_CONFIG_DIR'

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]

_prepared_lock = threading.Lock()
_prepared = False


def config_args(environ: dict | None = None) -> list[str]:
    """The command-line arguments naming the configuration of the environment."""
    environ = os.environ if environ is None else environ
    args = []
    for path in filter(None, environ.get(CONFIG_FILES_ENV, '').split(';')):
        args += ['--config-file', path.strip()]
    if environ.get(CONFIG_DIR_ENV):
        args += ['--config-dir', environ[CONFIG_DIR_ENV]]
    return args


def prepare(conf: cfg.ConfigOpts = config.CONF) -> cfg.ConfigOpts:
    """Parse the configuration (every option registered) and set up
    logging, once per process."""
    global _prepared
    with _prepared_lock:
        if not _prepared:
            config.prepare_service(config_args(), conf)
            _prepared = True
    return conf


class PerProcessApp:
    """A WSGI application built by ``build`` on the first request of each
    process (and again in a child forked after that)."""

    def __init__(self, build: Callable[[], WSGIApp]):
        self._build = build
        self._lock = threading.Lock()
        self._app: WSGIApp | None = None
        self._pid = 0

    def _current(self) -> WSGIApp:
        pid = os.getpid()
        if self._app is None or self._pid != pid:
            with self._lock:
                if self._app is None or self._pid != pid:
                    self._app = self._build()
                    self._pid = pid
        return self._app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        return self._current()(environ, start_response)
