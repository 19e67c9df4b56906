"""Runs heat-cfntools' real ``cfn-push-stats`` script against a test server.

The script cannot be pointed anywhere but ``127.0.0.1:8003/v1`` (port and
path are hard-coded; the host comes from the boto configuration Heat writes
on an instance). So that tests need not hold the machine's port 8003, this
module runs inside a private network namespace (``unshare -rn``): it brings
the namespace's loopback up, relays 127.0.0.1:8003 to a Unix socket whose
other end (:class:`UnixToTcp`, in the test process) reaches the server, loads
the boto configuration Heat would have written, and runs the unmodified
script with the given arguments.

Usage: ``python -m heat_watch.tests.functional.cfn_agent SOCKET BOTO_CFG
SCRIPT [ARGS...]``.
"""

import fcntl
import logging
import os
import runpy
import socket
import socketserver
import struct
import sys
import threading

AGENT_PORT = 8003  # what cfn-push-stats connects to, whatever the configuration
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
    back.start()
    _pipe(client, upstream)
    back.join()
    client.close()
    upstream.close()


class UnixToTcp(socketserver.ThreadingUnixStreamServer):
    """Test side: connections to a Unix socket reach 127.0.0.1:``port``."""

    daemon_threads = True

    def __init__(self, path: str, port: int):
        self.port = port
        super().__init__(path, _UnixHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _UnixHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        relay(self.request, socket.create_connection(('127.0.0.1', self.server.port)))


class _TcpHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(self.server.unix_path)
        relay(self.request, upstream)


def _loopback_up() -> None:
    # A new network namespace starts with its loopback down.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack('16sH', b'lo', 0)
        flags = struct.unpack('16sH', fcntl.ioctl(sock, _SIOCGIFFLAGS, request)[:18])[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack('16sH', b'lo', flags | _IFF_UP))


def main(argv: list[str]) -> None:
    unix_path, boto_cfg, script, *args = argv
    _loopback_up()
    server = socketserver.ThreadingTCPServer(('127.0.0.1', AGENT_PORT), _TcpHandler)
    server.daemon_threads = True
    server.unix_path = unix_path
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # The script sets BOTO_CONFIG to /var/lib/heat-cfntools/cfn-boto-cfg and
    # logs to /var/log/cfn-push-stats.log: load the same configuration from
    # the test's file first, and log to stderr, so nothing outside the test's
    # directory is read or written.
    os.environ['BOTO_CONFIG'] = boto_cfg
    import boto  # noqa: F401  (reads BOTO_CONFIG once, at import)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format='%(levelname)s %(message)s')
    sys.argv = [script, *args]
    runpy.run_path(script, run_name='__main__')


if __name__ == '__main__':
    main(sys.argv[1:])
