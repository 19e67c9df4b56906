"""Outages of a service a process depends on, logged once each.

When the database or the message broker goes away, every request fails the
same way; a traceback (or even a line) per request buries the one fact an
operator needs under megabytes of repetition. An :class:`OutageDetector`
turns the stream of failures and successes into two log lines per outage:
one WARNING when the first failure arrives, one when the first success after
it shows the service is back (with how long it lasted and how many requests
failed meanwhile). Every failure still leaves a DEBUG line, so a request id
can always be traced.

The engine uses one for its database (:mod:`heat_watch.common.db_errors`),
the CloudWatch API one for the watch engine behind the broker.
"""

import logging
import threading
import time

from oslo_log import log

LOG = log.getLogger(__name__)

# An error message is logged as its first line only, and at most this long:
# drivers' messages can carry the SQL statement and its parameters.
_MAX_DETAIL = 300


def describe(error: BaseException | str) -> str:
    """A one-line description of ``error``, without statement or parameters.

    oslo.db wraps the driver's exception (``inner_exception``) and SQLAlchemy
    wraps the DBAPI's (``orig``); the innermost one says what went wrong.
    """
    if isinstance(error, str):
        text = error
    else:
        inner = error
        for _ in range(3):
            inner = getattr(inner, 'inner_exception', None) or getattr(inner, 'orig', None) \
                or inner
        text = '%s: %s' % (type(inner).__name__, inner)
    first = (text.strip().splitlines() or [''])[0]
    return first if len(first) <= _MAX_DETAIL else first[:_MAX_DETAIL] + '...'


class OutageDetector:
    """Logs the start and the end of one dependency's outages, once each.

    ``failed()`` and ``succeeded()`` are called by every request that used
    the dependency; they are safe from any thread. ``succeeded()`` costs one
    attribute read while the dependency is up, so it can sit on a hot path.
    """

    def __init__(self, what: str, logger: logging.LoggerAdapter | logging.Logger = LOG):
        self.what = what
        self._log = logger
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._failures = 0

    @property
    def down(self) -> bool:
        """Whether an outage is under way (a failure with no success since)."""
        return self._down_since is not None

    def failed(self, error: BaseException | str, request_id: str | None = None,
               operation: str | None = None) -> bool:
        """Record a request that failed because the dependency is unavailable.

        Returns True when this failure started an outage (and was logged at
        WARNING); later ones only get a DEBUG line.
        """
        detail = describe(error)
        with self._lock:
            started = self._down_since is None
            if started:
                self._down_since = time.monotonic()
                self._failures = 0
            self._failures += 1
        request = _request_words(request_id, operation)
        if started:
            self._log.warning('%s is unavailable (%s); requests are answered 503 '
                              'ServiceUnavailable until it returns (first failed '
                              'request: %s)', _capital(self.what), detail, request)
        else:
            self._log.debug('%s is still unavailable: %s failed (%s)', _capital(self.what),
                            request, detail)
        return started

    def succeeded(self) -> bool:
        """Record a request the dependency served; True when this ended an
        outage (logged once)."""
        if self._down_since is None:  # the common case: no lock
            return False
        with self._lock:
            if self._down_since is None:
                return False
            lasted = time.monotonic() - self._down_since
            failures = self._failures
            self._down_since = None
            self._failures = 0
        self._log.warning('%s is available again after %.1f s of outage (%d requests '
                          'failed meanwhile)', _capital(self.what), lasted, failures)
        return True


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _request_words(request_id: str | None, operation: str | None) -> str:
    words = [word for word in (operation, request_id) if word]
    return ' '.join(words) or 'unnamed'

