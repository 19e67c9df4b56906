"""Requests of the simple shape are answered without cheroot's request
objects, exactly as cheroot would; every other request still goes to cheroot."""

import json
import socket
import time

import pytest

from heat_watch.common import simple_http
from heat_watch.tests import services

SKIPPED_KEYS = ('wsgi.input', 'wsgi.errors', 'REMOTE_PORT')


def _app(environ, start_response):
    path = environ['PATH_INFO']
    if path == '/boom':
        raise RuntimeError('the application broke')
    if path == '/empty':
        start_response('204 No Content', [])
        return []
    if path == '/unread':
        body = b'ignored the body'
    else:
        seen = {k: v for k, v in environ.items() if k not in SKIPPED_KEYS}
        seen['body'] = environ['wsgi.input'].read().decode()
        body = json.dumps(seen, sort_keys=True, default=str).encode()
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(body)))])
    return [body]


@pytest.fixture
def server():
    with services.serving(_app) as service:
        yield service


@pytest.fixture
def fast_answers(monkeypatch):
    """How many requests the simple path answered."""
    answered = []
    real = simple_http.answer
    monkeypatch.setattr(simple_http, 'answer',
                        lambda conn, request: answered.append(request.path) or real(conn, request))
    return answered


class _Connection:
    """A raw client connection reading answers with their Content-Length."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.buf = b''

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answer(self) -> tuple[int, dict, bytes]:
        while b'\r\n\r\n' not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError('closed')
            self.buf += chunk
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        lines = head.decode().split('\r\n')
        headers = {k.lower(): v.strip() for k, _, v in (x.partition(':') for x in lines[1:])}
        length = int(headers.get('content-length', 0))
        while len(self.buf) < length:
            self.buf += self.sock.recv(65536)
        body, self.buf = self.buf[:length], self.buf[length:]
        return int(lines[0].split()[1]), headers, body

    def closed_by_server(self) -> bool:
        self.sock.settimeout(5)
        return self.sock.recv(1) == b''

    def close(self) -> None:
        self.sock.close()


def _post(path: str, body: bytes = b'{"a": 1}', extra: bytes = b'') -> bytes:
    return (b'POST %s HTTP/1.1\r\nHost: h\r\nX-Amz-Date: 20261129T000000Z\r\n%s'
            b'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s'
            % (path.encode(), extra, len(body), body))


def test_the_environ_is_the_one_cheroot_builds(server, fast_answers, monkeypatch):
    request = _post('/v1/x?Action=ListMetrics&b=2', extra=b'Accept: */*\r\n')
    conn = _Connection(server.port)
    conn.send(request)
    fast = conn.answer()
    monkeypatch.setattr(simple_http, 'parse_head', lambda head: None)  # cheroot only
    conn.send(request)
    slow = conn.answer()
    conn.close()
    assert fast_answers == ['/v1/x']
    assert json.loads(fast[2]) == json.loads(slow[2])
    assert json.loads(fast[2])['body'] == '{"a": 1}'
    assert fast[0] == slow[0] == 200
    assert fast[1].keys() == slow[1].keys()


def test_pipelined_and_split_requests_are_answered_in_order(server, fast_answers):
    conn = _Connection(server.port)
    conn.send(_post('/one') + _post('/two', b'{"b": 2}'))
    third = _post('/three', b'{"c": 3}')
    for piece in (third[:7], third[7:40], third[40:]):
        conn.send(piece)
        time.sleep(0.02)
    bodies = [json.loads(conn.answer()[2]) for _ in range(3)]
    conn.close()
    assert [(b['PATH_INFO'], b['body']) for b in bodies] == [
        ('/one', '{"a": 1}'), ('/two', '{"b": 2}'), ('/three', '{"c": 3}')]
    assert fast_answers == ['/one', '/two', '/three']


def test_a_body_the_application_left_is_skipped_before_the_next_request(server):
    conn = _Connection(server.port)
    conn.send(_post('/unread', b'x' * 1000) + _post('/after'))
    assert conn.answer()[2] == b'ignored the body'
    assert json.loads(conn.answer()[2])['PATH_INFO'] == '/after'
    conn.close()


def test_a_large_unread_body_closes_the_connection(server):
    conn = _Connection(server.port)
    conn.send(_post('/unread', b'x' * (simple_http.MAX_DRAIN + 1)))
    status, headers, _ = conn.answer()
    assert (status, headers['connection']) == (200, 'close')
    assert conn.closed_by_server()
    conn.close()


def test_a_failing_application_gets_a_500_and_the_connection_closes(server):
    conn = _Connection(server.port)
    conn.send(_post('/boom'))
    status, headers, _ = conn.answer()
    assert (status, headers['connection']) == (500, 'close')
    assert conn.closed_by_server()
    conn.close()


def test_an_answer_without_a_body_has_no_length_and_the_connection_stays(server, fast_answers):
    conn = _Connection(server.port)
    conn.send(b'GET /empty HTTP/1.1\r\nHost: h\r\n\r\n' + _post('/next'))
    status, headers, body = conn.answer()
    assert (status, body, 'content-length' in headers) == (204, b'', False)
    assert json.loads(conn.answer()[2])['PATH_INFO'] == '/next'
    conn.close()
    assert fast_answers == ['/empty', '/next']


@pytest.mark.parametrize('request_bytes', [
    b'POST /v1 HTTP/1.0\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}',
    b'POST /v1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
    b'POST /v1 HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}',
    b'POST /v%31 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}',
    b'POST /v1 HTTP/1.1\r\nHost: h\r\nAccept: a\r\nAccept: b\r\nContent-Length: 2\r\n\r\n{}',
    b'POST /v1 HTTP/1.1\r\nHost: h\r\nX_Under: 1\r\nContent-Length: 2\r\n\r\n{}',
    b'POST /v1 HTTP/1.1\r\nHost: h\r\n folded\r\nContent-Length: 2\r\n\r\n{}',
])
def test_other_requests_are_left_to_cheroot(server, fast_answers, request_bytes):
    conn = _Connection(server.port)
    conn.send(request_bytes)
    if b'100-continue' in request_bytes:
        assert conn.answer()[0] == 100
    status, _, body = conn.answer()
    conn.close()
    assert fast_answers == []
    assert status == 200 and json.loads(body)['PATH_INFO'] == '/v1'


@pytest.mark.parametrize('head,parsed', [
    (b'GET /v1?x=1 HTTP/1.1\r\nHost: h', ('GET', '/v1', 'x=1', 0)),
    (b'POST / HTTP/1.1\r\nContent-Length: 12', ('POST', '/', '', 12)),
    (b'POST / HTTP/1.1\r\nContent-Length: -1', None),
    (b'POST / HTTP/1.1\r\nContent-Length: 1e3', None),
    (b'PUT / HTTP/1.1\r\nHost: h', None),
    (b'GET http://h/ HTTP/1.1\r\nHost: h', None),
    (b'GET /#frag HTTP/1.1\r\nHost: h', None),
    (b'GET / HTTP/1.1\r\nHost: h\nX: bare line feed', None),
    (b'GET / HTTP/1.1\r\nNo colon here', None),
    (b'GET  / HTTP/1.1', None),
])
def test_the_simple_shape(head, parsed):
    request = simple_http.parse_head(head)
    if parsed is None:
        assert request is None
    else:
        assert (request.method, request.path, request.query, request.length) == parsed


@pytest.mark.parametrize('header', [('X-Snowman', '\u2603'),  # not ISO-8859-1
                                    ('X-Split', 'a\r\nSet-Cookie: b')])  # response splitting
def test_an_answer_that_cannot_be_sent_ends_its_connection_not_the_worker(caplog, header):
    def app(environ, start_response):
        start_response('200 OK', [header])
        return [b'']

    with services.serving(app, threads=1) as service:
        for _ in range(2):  # the one worker answers the next connection too
            conn = _Connection(service.port)
            conn.send(b'GET / HTTP/1.1\r\nHost: h\r\n\r\n')
            assert conn.closed_by_server()
            conn.close()
    assert 'Answering GET / failed' in caplog.text
