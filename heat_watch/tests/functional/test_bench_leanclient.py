"""The benchmark's lean client (tools/bench/leanclient.py) reads answers right."""

import os
import sys

import pytest

from heat_watch.tests import services

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', 'tools', 'bench'))
import leanclient  # noqa: E402

ANSWERS = {
    '/length': ('200 OK', [('Content-Length', '5')], [b'hello']),
    '/chunked': ('200 OK', [('Transfer-Encoding', 'chunked')], [b'he', b'llo']),
    '/close': ('403 Forbidden', [('Content-Length', '4'), ('Connection', 'close')], [b'nope']),
}


def _app(environ, start_response):
    assert environ['HTTP_AUTHORIZATION'].startswith(leanclient.ALGORITHM)
    if environ['PATH_INFO'] == '/echo':
        body = environ['wsgi.input'].read(int(environ['CONTENT_LENGTH']))
        start_response('200 OK', [('Content-Length', str(len(body)))])
        return [body]
    assert environ['wsgi.input'].read(int(environ['CONTENT_LENGTH'])) == b'{}'
    status, headers, body = ANSWERS[environ['PATH_INFO']]
    start_response(status, headers)
    return body


@pytest.fixture
def server():
    with services.serving(_app) as service:
        yield service


def _client(server, path: str) -> leanclient.LeanClient:
    return leanclient.LeanClient('http://127.0.0.1:%d%s' % (server.port, path),
                                 leanclient.SigV4Signer('AKID', 'secret'), timeout=10)


PREPARED = leanclient.Prepared('ListMetrics', b'{}', leanclient.hashlib.sha256(b'{}').hexdigest(),
                               {'content-type': 'application/x-amz-json-1.0',
                                'x-amz-target': 'GraniteServiceVersion20100801.ListMetrics',
                                'x-amzn-query-mode': 'true'})


@pytest.mark.parametrize('path,expected,reconnects', [
    ('/length', (200, b'hello'), 0),
    ('/chunked', (200, b'hello'), 0),
    ('/close', (403, b'nope'), 3),
])
def test_answers_are_read_whole_and_the_connection_kept_unless_closed(server, path,
                                                                       expected, reconnects):
    client = _client(server, path)
    try:
        assert [client.call(PREPARED) for _ in range(3)] == [expected] * 3
        assert client.reconnects == reconnects
    finally:
        client.close()


def test_a_server_gone_is_status_zero_and_the_next_call_reconnects(server):
    client = _client(server, '/length')
    assert client.call(PREPARED) == (200, b'hello')
    client._sock.close()  # as if the server had dropped it
    status, body = client.call(PREPARED)
    assert status == 0 and body
    assert client.call(PREPARED) == (200, b'hello')
    client.close()


def _prepared(body: bytes) -> leanclient.Prepared:
    return leanclient.Prepared('ListMetrics', body, leanclient.hashlib.sha256(body).hexdigest(),
                               PREPARED.headers)


def test_each_request_is_sent_with_its_own_content_length_even_for_temporaries(server):
    # Temporaries freed after each call: CPython hands the next one the same
    # address, so a head cached by id() alone would carry the old length.
    client = _client(server, '/echo')
    try:
        for size in range(2, 60):
            body = b'{"a": "%s"}' % (b'x' * size)
            assert client.call(_prepared(body)) == (200, body)
        assert client.reconnects == 0
    finally:
        client.close()
