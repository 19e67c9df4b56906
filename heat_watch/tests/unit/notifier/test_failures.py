"""Failed POSTs are recorded as categories, never as the exception's text."""

import http.client
import ssl

import pytest
import requests
from urllib3 import exceptions as urllib3_exceptions

from heat_watch.notifier import base, failures

SECRET_URL = '/hook?token=t0ps3cret'


def _caused(exc: BaseException, cause: BaseException) -> BaseException:
    exc.__cause__ = cause
    return exc


def _wrapped(exc_class, reason):
    return exc_class(urllib3_exceptions.MaxRetryError(None, SECRET_URL, reason))


def _new_connection(os_error: OSError):
    return _wrapped(requests.exceptions.ConnectionError, _caused(
        urllib3_exceptions.NewConnectionError(None, 'Failed to establish a new connection: '
                                              '%s' % os_error), os_error))


def _ssl_alert() -> ssl.SSLError:
    error = ssl.SSLError(1, '[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] alert (_ssl.c:2580)')
    error.reason = 'TLSV13_ALERT_CERTIFICATE_REQUIRED'  # a string, as OpenSSL's are
    return error


CERT_FAILURE = _wrapped(requests.exceptions.SSLError, _caused(
    urllib3_exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: '
                                'Hostname mismatch, certificate is not valid for db.internal'),
    ssl.SSLCertVerificationError(1, 'certificate verify failed')))


@pytest.mark.parametrize('exc, kind, text', [
    (CERT_FAILURE, base.PermanentError, 'TLS error: certificate verification failed'),
    (_wrapped(requests.exceptions.SSLError, urllib3_exceptions.SSLError(
        'EOF occurred in violation of protocol (_ssl.c:1006)')), base.RetryableError,
     'TLS error'),
    (_wrapped(requests.exceptions.SSLError, _caused(
        urllib3_exceptions.SSLError('alert'), _ssl_alert())), base.RetryableError, 'TLS error'),
    (_new_connection(ConnectionRefusedError(111, 'Connection refused')),
     base.RetryableError, 'connection refused'),
    (_new_connection(OSError(113, 'No route to host')), base.RetryableError,
     'receiver unreachable'),
    (_new_connection(OSError(101, 'Network is unreachable')), base.RetryableError,
     'receiver unreachable'),
    (_wrapped(requests.exceptions.ConnectionError, urllib3_exceptions.ProtocolError(
        'Connection aborted.', http.client.RemoteDisconnected(
            'Remote end closed connection without response'))),
     base.RetryableError, 'connection closed by the receiver'),
    (_wrapped(requests.exceptions.ConnectionError, urllib3_exceptions.ProtocolError(
        'Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))),
     base.RetryableError, 'connection closed by the receiver'),
    (_wrapped(requests.exceptions.ConnectTimeout, urllib3_exceptions.ConnectTimeoutError(
        None, 'Connection to 10.0.0.5 timed out. (connect timeout=10)')),
     base.RetryableError, 'timed out connecting'),
    (requests.exceptions.ReadTimeout('HTTPConnectionPool(host=10.0.0.5, port=3306): Read '
                                     'timed out. (read timeout=10)'),
     base.RetryableError, 'timed out waiting for the answer'),
    (requests.exceptions.InvalidURL('Invalid URL %s: No host supplied' % SECRET_URL),
     base.PermanentError, 'invalid request'),
    (requests.exceptions.ChunkedEncodingError('mysql_native_password banner'),
     base.RetryableError, 'request failed (ChunkedEncodingError)'),
])
def test_each_failure_is_reduced_to_a_category(exc, kind, text):
    error = failures.classify(exc)

    assert type(error) is kind
    assert str(error) == text
    assert error.status is None


def test_only_failures_to_connect_let_another_address_be_tried():
    refused = _new_connection(ConnectionRefusedError(111, 'Connection refused'))
    connect_timeout = _wrapped(requests.exceptions.ConnectTimeout,
                               urllib3_exceptions.ConnectTimeoutError(None, 'timed out'))
    read_timeout = requests.exceptions.ReadTimeout('Read timed out.')
    reset = _wrapped(requests.exceptions.ConnectionError, urllib3_exceptions.ProtocolError(
        'Connection aborted.', ConnectionResetError(104, 'reset')))

    assert failures.is_connect_failure(refused)
    assert failures.is_connect_failure(connect_timeout)
    assert not failures.is_connect_failure(read_timeout)  # the POST may have arrived
    assert not failures.is_connect_failure(reset)
    assert not failures.is_connect_failure(CERT_FAILURE)


@pytest.mark.parametrize('status, text', [
    (404, 'HTTP 404 Not Found'), (503, 'HTTP 503 Service Unavailable'), (599, 'HTTP 599')])
def test_statuses_are_told_with_the_standard_phrase_not_the_receivers(status, text):
    assert failures.status_reason(status) == text
