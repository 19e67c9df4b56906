"""What a failed POST tells the alarm's owner.

The alarm history is visible to the tenant, who chose the URL: free-form
error text (errno strings, a receiver's reason phrase, TLS library
messages) would tell them about hosts and ports inside the cloud. Each
failure is therefore reduced to a category; the details go to the
notifier's log, for the operator.
"""

import errno
import http
import http.client
import ssl

import requests
import urllib3.exceptions

from heat_watch.notifier import base

_REFUSED = (errno.ECONNREFUSED,)
_CLOSED = (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED)
_UNREACHABLE = (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL)


def _chain(exc: BaseException):
    """``exc``, the reasons urllib3 wraps in it, and their causes."""
    seen = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue  # ssl.SSLError's reason, for one, is a string
        seen.add(id(current))
        yield current
        todo.extend(current.args)
        todo.extend([getattr(current, 'reason', None), current.__cause__, current.__context__])


def _find(exc: BaseException, kinds) -> BaseException | None:
    return next((each for each in _chain(exc) if isinstance(each, kinds)), None)


def is_connect_failure(exc: requests.RequestException) -> bool:
    """Whether nothing was sent: the connection itself failed, so another
    address of the same host may be tried."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    return (isinstance(exc, requests.exceptions.ConnectionError)
            and not isinstance(exc, requests.exceptions.SSLError)
            and _find(exc, urllib3.exceptions.NewConnectionError) is not None)


def _socket_error(exc: BaseException) -> OSError | None:
    # requests' own exceptions are OSErrors too, without an errno.
    return next((each for each in _chain(exc) if isinstance(each, OSError)
                 and not isinstance(each, requests.RequestException)), None)


def _connection_category(exc: BaseException) -> str:
    os_error = _socket_error(exc)
    code = getattr(os_error, 'errno', None)
    if isinstance(os_error, ConnectionRefusedError) or code in _REFUSED:
        return 'connection refused'
    if code in _UNREACHABLE:
        return 'receiver unreachable'
    if (code in _CLOSED or _find(exc, (ConnectionResetError, BrokenPipeError,
                                       http.client.RemoteDisconnected)) is not None):
        return 'connection closed by the receiver'
    if _find(exc, (TimeoutError, urllib3.exceptions.TimeoutError)) is not None:
        return 'timed out'
    return 'connection failed'


def classify(exc: requests.RequestException) -> base.DeliveryError:
    """The error recorded for ``exc``: a category, never the exception's text."""
    if isinstance(exc, requests.exceptions.SSLError):
        if _find(exc, ssl.SSLCertVerificationError) is not None or \
                'certificate verify failed' in str(exc).lower():
            return base.PermanentError('TLS error: certificate verification failed')
        return base.RetryableError('TLS error')
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return base.RetryableError('timed out connecting')
    if isinstance(exc, requests.exceptions.Timeout):
        return base.RetryableError('timed out waiting for the answer')
    if isinstance(exc, requests.exceptions.ConnectionError):
        return base.RetryableError(_connection_category(exc))
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                        requests.exceptions.MissingSchema, requests.exceptions.InvalidHeader)):
        return base.PermanentError('invalid request')
    return base.RetryableError('request failed (%s)' % type(exc).__name__)


def status_reason(status: int) -> str:
    """'HTTP 503 Service Unavailable': the standard phrase, not the receiver's."""
    try:
        return 'HTTP %d %s' % (status, http.HTTPStatus(status).phrase)
    except ValueError:
        return 'HTTP %d' % status
