"""The HTTP server: kept-alive connections stay on a worker while busy."""

import http.client
import threading
import time

import pytest

from heat_watch.common import wsgi


def _app(environ, start_response):
    body = ('%s %s' % (threading.current_thread().name, environ['PATH_INFO'])).encode()
    start_response('200 OK', [('Content-Length', str(len(body)))])
    return [body]


@pytest.fixture
def server():
    service = wsgi.WSGIService('test-api', _app, '127.0.0.1', 0, threads=2)
    service.start()
    yield service
    service.stop()


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
