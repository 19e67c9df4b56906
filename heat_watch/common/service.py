"""Running services on plain threads: start, periodic work, clean stop.

A process runs one or more :class:`Service` objects; SIGTERM or SIGINT stops
them in reverse order of start, letting in-flight work finish, and the
process exits with status 0 and no traceback.
"""

import gc
import signal
import threading
from collections.abc import Callable

from oslo_log import log

from heat_watch.common import db_errors

LOG = log.getLogger(__name__)


class Service:
    """Something a process runs: started once, stopped once."""

    name = 'service'

    def start(self) -> None:
        """Begin serving; must return promptly."""

    def stop(self) -> None:
        """Stop taking work, finish what is in flight, release resources."""


class PeriodicTask:
    """Calls ``func`` every ``interval`` seconds on its own thread."""

    def __init__(self, name: str, interval: float, func: Callable[[], None],
                 initial_delay: float | None = None):
        self.name = name
        self.interval = interval
        self._func = func
        self._initial_delay = interval if initial_delay is None else initial_delay
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        delay = self._initial_delay
        while not self._stop.wait(delay):
            try:
                self._func()
            except Exception as error:
                # A database outage is logged once (db_errors), not as a
                # traceback every interval.
                if db_errors.unavailable(error, operation=self.name) is None:
                    LOG.exception('Periodic task %s failed', self.name)
            delay = self.interval

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None


class Launcher:
    """Starts services and stops them on SIGTERM/SIGINT."""

    def __init__(self):
        self._services: list[Service] = []
        self._stop_requested = threading.Event()
        self.on_started: Callable[[], None] | None = None

    def add(self, service: Service) -> None:
        self._services.append(service)

    def request_stop(self, signum: int | None = None, _frame=None) -> None:
        if signum is not None:
            LOG.info('Caught %s, stopping', signal.Signals(signum).name)
        self._stop_requested.set()

    def run(self) -> int:
        """Start every service, wait for a stop signal, stop them all."""
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        started = []
        # What start-up built lives as long as the process: keep the
        # collector from scanning it again and again.
        gc.collect()
        gc.freeze()
        try:
            for service in self._services:
                service.start()
                started.append(service)
            if self.on_started is not None:
                self.on_started()
            # wait() with a timeout keeps the main thread responsive to signals.
            while not self._stop_requested.wait(1.0):
                pass
        finally:
            for service in reversed(started):
                try:
                    service.stop()
                except Exception:
                    LOG.exception('Stopping %s failed', service.name)
        LOG.info('Stopped')
        return 0
