"""The HTTP server: kept-alive connections stay on a worker while busy."""

import http.client
import json
import socket
import threading
import time

import pytest

from heat_watch.common import wsgi
from heat_watch.tests import services


def _app(environ, start_response):
    body = ('%s %s' % (threading.current_thread().name, environ['PATH_INFO'])).encode()
    start_response('200 OK', [('Content-Length', str(len(body)))])
    return [body]


@pytest.fixture
def server():
    with services.serving(_app) as service:
        yield service


def _get(connection: http.client.HTTPConnection, path: str) -> str:
    connection.request('GET', path)
    response = connection.getresponse()
    assert response.status == 200
    return response.read().decode()


def test_a_busy_kept_alive_connection_stays_on_one_worker(server):
    connection = http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)
    threads = {_get(connection, '/%d' % i).rsplit(' ', 1)[0] for i in range(20)}
    assert len(threads) == 1


def test_more_idle_connections_than_workers_are_all_served(server):
    # Two workers, five connections taking turns: a lingering worker must
    # give its connection back, or the third connection would wait forever.
    connections = [http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)
                   for _ in range(5)]
    for round_ in range(3):
        for index, connection in enumerate(connections):
            assert _get(connection, '/%d/%d' % (round_, index)).endswith(
                '/%d/%d' % (round_, index))
            time.sleep(wsgi.KEEPALIVE_LINGER_S / 4)


def test_a_connection_closed_by_the_client_frees_its_worker(server):
    for _ in range(4):  # more than the two workers
        connection = http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)
        _get(connection, '/once')
        connection.close()
    assert _get(http.client.HTTPConnection('127.0.0.1', server.port, timeout=10),
                '/last').endswith('/last')


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def test_the_reader_reads_lines_within_their_limit(pair):
    ours, theirs = pair
    theirs.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\nrest')
    reader = wsgi._SocketReader(ours)
    assert reader.readline() == b'GET / HTTP/1.1\r\n'
    assert reader.readline(3) == b'Hos'  # a limit cuts the line, as io does
    assert reader.readline() == b't: x\r\n'
    assert reader.readline() == b'\r\n'
    assert not reader.has_data()  # the start of a head only: not a request yet
    assert reader.read(4) == b'rest'
    assert not reader.has_data()
    assert reader.bytes_read == 31


def test_the_reader_takes_a_body_larger_than_its_buffer_across_many_receives(pair):
    ours, theirs = pair
    body = bytes(range(256)) * 1024  # 256 KiB: several socket reads
    sender = threading.Thread(target=theirs.sendall, args=(b'L\n' + body + b'tail\n',))
    sender.start()
    reader = wsgi._SocketReader(ours)
    assert reader.readline() == b'L\n'
    assert reader.read(len(body)) == body
    assert reader.readline() == b'tail\n'
    sender.join()


def test_the_reader_returns_what_it_has_at_the_end_of_the_stream(pair):
    ours, theirs = pair
    theirs.sendall(b'partial line')
    theirs.shutdown(2)
    reader = wsgi._SocketReader(ours)
    assert reader.readline() == b'partial line'
    assert reader.readline() == b''
    assert list(reader) == []


def _answer(body_chunks: list[bytes], status: str = '200 OK'):
    def app(environ, start_response):
        headers = [] if status.startswith('204') else [('Transfer-Encoding', 'chunked')]
        start_response(status, headers)
        return body_chunks
    return app


@pytest.mark.parametrize('status,chunks,expected', [
    ('204 No Content', [], b''),
    ('200 OK', [b'one', b'', b'two'], b'onetwo'),
])
def test_answers_with_an_empty_or_chunked_body_reach_the_client(status, chunks, expected):
    with services.serving(_answer(chunks, status), threads=1) as service:
        connection = http.client.HTTPConnection('127.0.0.1', service.port, timeout=10)
        for _ in range(3):  # kept alive: each answer must end where it should
            connection.request('GET', '/')
            response = connection.getresponse()
            assert (response.status, response.read()) == (int(status[:3]), expected)


def _environ_app(environ, start_response):
    wanted = {k: v for k, v in environ.items()
              if k.startswith('HTTP_') or k in ('CONTENT_TYPE', 'CONTENT_LENGTH')}
    body = json.dumps(wanted, sort_keys=True).encode()
    start_response('200 OK', [('Content-Length', str(len(body)))])
    return [body]


def _raw_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(('127.0.0.1', port), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        received = b''
        while chunk := sock.recv(65536):
            received += chunk
    return received


@pytest.fixture
def environ_server():
    with services.serving(_environ_app) as service:
        yield service


def test_headers_reach_the_environ_under_their_wsgi_names(environ_server):
    request = (b'POST / HTTP/1.1\r\nHost: h\r\nx-amz-date: 20261129T000000Z\r\n'
               b'Accept: a/b\r\nACCEPT: c/d\r\nContent-Type: application/x-amz-json-1.0\r\n'
               b'Content-Length: 2\r\n\r\n{}')
    for _ in range(2):  # the second time from the name caches
        answer = _raw_exchange(environ_server.port, request)
        environ = json.loads(answer.split(b'\r\n\r\n', 1)[1])
        assert environ == {'CONTENT_LENGTH': '2', 'CONTENT_TYPE': 'application/x-amz-json-1.0',
                           'HTTP_ACCEPT': 'a/b, c/d', 'HTTP_HOST': 'h',
                           'HTTP_X_AMZ_DATE': '20261129T000000Z'}


@pytest.mark.parametrize('request_bytes,status', [
    (b'GET /' + b'a' * wsgi.MAX_REQUEST_HEADER_BYTES + b' HTTP/1.1\r\n\r\n', b'414'),
    (b'GET / HTTP/1.1\r\nHost: h\r\nX-Big: ' + b'b' * wsgi.MAX_REQUEST_HEADER_BYTES
     + b'\r\n\r\n', b'413'),
    (b'GET / HTTP/1.1\r\nHost: h\r\nBroken header line\r\n\r\n', b'400'),
])
def test_oversized_or_malformed_request_heads_are_refused(environ_server, request_bytes,
                                                           status):
    answer = _raw_exchange(environ_server.port, request_bytes)
    assert answer.split(b' ', 2)[1] == status


def test_a_send_larger_than_the_socket_buffer_arrives_whole():
    left, right = socket.socketpair()
    left.settimeout(10)  # as cheroot sets it: the socket is non-blocking underneath
    data = bytes(range(256)) * 32768  # 8 MiB
    received = bytearray()

    def drain():
        while len(received) < len(data):
            received.extend(right.recv(1 << 20))

    reader = threading.Thread(target=drain)
    reader.start()
    wsgi._send_all(left, data)
    reader.join(10)
    left.close()
    right.close()
    assert bytes(received) == data


def test_a_receive_before_the_data_arrives_waits_for_it():
    left, right = socket.socketpair()
    left.settimeout(10)
    timer = threading.Timer(0.05, right.sendall, args=(b'late',))
    timer.start()
    assert wsgi._receive(left, 100) == b'late'
    timer.join()
    left.close()
    right.close()


def test_a_head_arriving_in_pieces_is_pending_until_whole(pair):
    ours, theirs = pair
    ours.setblocking(False)  # as cheroot's sockets (they have a timeout)
    reader = wsgi._SocketReader(ours)

    assert reader.take_head(0) is wsgi.PENDING and not reader.has_partial()
    theirs.sendall(b'GET / HTTP/1.1\r\nHo')
    assert reader.take_head(0) is wsgi.PENDING
    assert reader.has_partial() and not reader.has_data()
    theirs.sendall(b'st: x\r\n\r\nGET /next HTTP/1.1\r\n\r\n')
    assert reader.take_head(0) == b'GET / HTTP/1.1\r\nHost: x'
    assert reader.has_data()  # the next whole head is already here
    assert reader.take_head(0) == b'GET /next HTTP/1.1'
