"""The fault-injection proxy of the integration tests forwards, refuses,
drops and resumes, on real sockets."""

import socket
import threading

import pytest

from heat_watch.tests import faultproxy


@pytest.fixture
def echo_port():
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(16)
    stop = threading.Event()

    def serve(conn):
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def _echo(port: int, payload: bytes = b'ping', timeout: float = 2) -> bytes:
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as conn:
        conn.sendall(payload)
        return conn.recv(4096)


def test_forwards_refuses_drops_and_resumes(echo_port):
    with faultproxy.FaultProxy('127.0.0.1', echo_port) as proxy:
        assert _echo(proxy.port) == b'ping'
        held = socket.create_connection(('127.0.0.1', proxy.port), timeout=2)
        held.sendall(b'a')
        assert held.recv(10) == b'a'

        proxy.refuse()
        with pytest.raises(ConnectionRefusedError):
            _echo(proxy.port)
        with pytest.raises(OSError):  # reset, or closed
            held.sendall(b'b')
            if not held.recv(10):
                raise ConnectionResetError('closed')
        held.close()

        proxy.resume()
        assert _echo(proxy.port) == b'ping'

        proxy.drop()
        with pytest.raises(TimeoutError):
            _echo(proxy.port, timeout=0.5)

        proxy.resume()
        assert _echo(proxy.port) == b'ping'
