"""Idle and slow clients cannot starve the CloudWatch API: with 1,000 idle
connections and 200 clients sending their request heads a byte a second, a
signed request is answered at once; idle connections are closed after
``idle_timeout``, slow heads after ``header_timeout``."""

import contextlib
import resource
import select
import socket
import statistics
import threading
import time

import boto3
import botocore.config
import pytest

from heat_watch.tests import clients, services

IDLE = 1000
SLOW = 200
IDLE_TIMEOUT = 4.0
HEADER_TIMEOUT = 2.0
LATENCY_BOUND = 0.100  # seconds
# Never completed within the test: the head stays incomplete.
SLOW_HEAD = b'POST /v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ' + b'a' * 200


@pytest.fixture(scope='module')
def guarded(tmp_path_factory):
    """A deployment with short idle and header timeouts."""
    _raise_file_limit(IDLE + SLOW + 1000)
    state = tmp_path_factory.mktemp('slow-clients')
    with services.deployment(str(state), **{'cloudwatch_api.idle_timeout': IDLE_TIMEOUT,
                                            'cloudwatch_api.header_timeout': HEADER_TIMEOUT}) \
            as running:
        yield running


def _raise_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.fail('the file-descriptor hard limit (%d) is below %d' % (hard, needed))
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


class SlowClients:
    """Connections sending ``SLOW_HEAD`` a byte a second, from one thread."""

    def __init__(self, port: int, count: int):
        self.sockets = [socket.create_connection(('127.0.0.1', port)) for _ in range(count)]
        self.closed: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for position in range(len(SLOW_HEAD)):
            for index, sock in enumerate(self.sockets):
                if index in self.closed:
                    continue
                try:
                    sock.send(SLOW_HEAD[position:position + 1])
                except OSError:  # reset or broken pipe: the server closed it
                    self.closed.add(index)
            if self._stop.wait(1.0):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            sock.close()


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed ``sock`` (end of stream or reset)."""
    poller = select.poll()  # select() stops at descriptor 1024
    poller.register(sock, select.POLLIN)
    if not poller.poll(0):
        return False
    try:
        return sock.recv(1) == b''
    except ConnectionResetError:
        return True


def _wait_closed(socks: list[socket.socket], timeout: float) -> list[socket.socket]:
    """The sockets still open after waiting up to ``timeout`` for all to close."""
    deadline = time.monotonic() + timeout
    remaining = list(socks)
    while remaining and time.monotonic() < deadline:
        remaining = [sock for sock in remaining if not _closed_by_server(sock)]
        time.sleep(0.2)
    return remaining


def _client(deployment, creds: dict):
    """boto3, giving up after 5 s (a starved server would keep it 60 s)."""
    return boto3.client('cloudwatch', region_name=clients.REGION,
                        endpoint_url=deployment.endpoint, aws_access_key_id=creds['access'],
                        aws_secret_access_key=creds['secret'],
                        config=botocore.config.Config(read_timeout=5, connect_timeout=5,
                                                      retries={'max_attempts': 1}))


def _timed_put(client, count: int) -> list[float]:
    latencies = []
    for n in range(count):
        started = time.perf_counter()
        client.put_metric_data(Namespace='SlowClients', MetricData=[
            {'MetricName': 'm', 'Value': float(n)}])
        latencies.append(time.perf_counter() - started)
    return latencies


def test_idle_and_slow_clients_neither_delay_requests_nor_stay_open(guarded):
    creds = guarded.credentials('project-slow')
    client = _client(guarded, creds)
    _timed_put(client, 2)  # warm up: the first call loads botocore's models
    with contextlib.ExitStack() as stack:
        idle = [stack.enter_context(socket.create_connection(('127.0.0.1', guarded.api.port)))
                for _ in range(IDLE)]
        slow = SlowClients(guarded.api.port, SLOW)
        stack.callback(slow.stop)
        time.sleep(1.5)  # every slow client has sent a byte or two
        opened = time.monotonic()

        # A new client (boto3 opens its own connection) is answered at once.
        fresh = _client(guarded, creds)
        latencies = _timed_put(fresh, 10)
        assert statistics.median(latencies) < LATENCY_BOUND, latencies
        assert max(latencies) < 10 * LATENCY_BOUND, latencies

        # Slow heads are cut off at their next byte past header_timeout.
        assert _wait_closed(slow.sockets, HEADER_TIMEOUT + 3.0) == []
        # Idle connections are closed after idle_timeout (checked every 0.5 s)...
        assert _wait_closed(idle, IDLE_TIMEOUT + 3.0) == []
        # ... and not long before.
        assert time.monotonic() - opened > IDLE_TIMEOUT - 2.0

    # The API still serves, on the kept-alive connection of before.
    assert max(_timed_put(client, 3)) < 10 * LATENCY_BOUND


def test_a_connection_idle_longer_than_the_header_timeout_is_still_served(guarded):
    with socket.create_connection(('127.0.0.1', guarded.api.port), timeout=5) as sock:
        time.sleep(HEADER_TIMEOUT + 1.0)  # idle, not slow: no byte sent yet
        sock.sendall(b'GET /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
        assert sock.recv(65536).startswith(b'HTTP/1.1 200 ')


def test_a_head_sent_in_pieces_within_the_header_timeout_is_answered(guarded):
    request = b'GET /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
    with socket.create_connection(('127.0.0.1', guarded.api.port), timeout=5) as sock:
        for start in range(0, len(request), 10):
            sock.sendall(request[start:start + 10])
            time.sleep(HEADER_TIMEOUT / 10)
        assert sock.recv(65536).startswith(b'HTTP/1.1 200 ')


def test_a_kept_alive_connection_is_closed_after_the_idle_timeout(guarded):
    with socket.create_connection(('127.0.0.1', guarded.api.port), timeout=5) as sock:
        sock.sendall(b'GET /healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
        assert sock.recv(65536).startswith(b'HTTP/1.1 200 ')
        answered = time.monotonic()

        assert _wait_closed([sock], IDLE_TIMEOUT + 3.0) == []
        assert time.monotonic() - answered > IDLE_TIMEOUT - 0.5
