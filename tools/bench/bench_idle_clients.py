#!/usr/bin/env python3
"""Do idle and slow clients starve a server? Each server of
bench_http_servers.py in the embedded deployment, with 1,000 idle
connections and 200 clients sending a request head a byte a second open;
then signed PutMetricData requests on new connections, timed.

Usage (from the repository root)::

    .venv/bin/python tools/bench/bench_idle_clients.py                  # every server, ~1 min
    .venv/bin/python tools/bench/bench_idle_clients.py --servers uwsgi

Each request gets ``--timeout`` seconds (a starved server answers none).
uwsgi, gunicorn and granian run as in bench_http_servers.py; granian also
as ``granian-wide`` with ``--backlog 4096 --backpressure 4096``: by default
it admits at most backlog/workers connections per worker, idle ones
included.
"""

from __future__ import annotations

import argparse
import resource
import socket
import statistics
import sys
import tempfile
import threading
import time

import bench_http_servers as bench
import workloads

IDLE, SLOW = 1000, 200
SLOW_HEAD = b'POST /v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ' + b'a' * 200
SERVERS = ('cheroot', 'uwsgi', 'gunicorn', 'granian', 'granian-wide')


class Server(bench.HTTPServer):
    """A server of the comparison; ``granian-wide`` admits more connections."""

    def command(self) -> list[str]:
        if self.kind != 'granian-wide':
            return super().command()
        self.kind = 'granian'
        try:
            return super().command()[:1] + ['--backlog', '4096', '--backpressure', '4096'] + \
                super().command()[1:]
        finally:
            self.kind = 'granian-wide'


def _trickle(socks: list[socket.socket], stop: threading.Event) -> None:
    """Send SLOW_HEAD a byte a second on every socket still open."""
    for position in range(len(SLOW_HEAD)):
        for sock in socks:
            try:
                sock.send(SLOW_HEAD[position:position + 1])
            except OSError:
                pass
        if stop.wait(1.0):
            return


def probe(server: Server, requests: int, timeout: float) -> dict:
    """Latencies of ``requests`` signed requests with idle and slow clients open."""
    prepared = workloads.put_bodies(1, time.time())[0]
    idle = [socket.create_connection(('127.0.0.1', server.port)) for _ in range(IDLE)]
    slow = [socket.create_connection(('127.0.0.1', server.port)) for _ in range(SLOW)]
    stop = threading.Event()
    trickler = threading.Thread(target=_trickle, args=(slow, stop), daemon=True)
    trickler.start()
    time.sleep(1.5)
    latencies, failures = [], 0
    try:
        for _ in range(requests):
            client = server.client(timeout)  # a new connection each time
            started = time.perf_counter()
            status, _ = client.call(prepared)
            latencies.append(time.perf_counter() - started)
            failures += status != 200
            client.close()
    finally:
        stop.set()
        trickler.join()
        for sock in idle + slow:
            sock.close()
    return {'server': server.kind, 'requests': requests, 'failures': failures,
            'median_ms': statistics.median(latencies) * 1e3,
            'max_ms': max(latencies) * 1e3}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--servers', default=','.join(SERVERS))
    parser.add_argument('--requests', type=int, default=5)
    parser.add_argument('--timeout', type=float, default=5.0)
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    with tempfile.TemporaryDirectory(prefix='bench-idle-') as workdir:
        for kind in args.servers.split(','):
            deployment = bench.Deployment('%s/%s' % (workdir, kind), multi=False)
            server = Server(kind, deployment, workers=1)
            server.start()
            try:
                result = probe(server, args.requests, args.timeout)
            finally:
                server.stop()
            print('%-13s %d/%d answered in time  median %8.1f ms  max %8.1f ms' % (
                result['server'], result['requests'] - result['failures'],
                result['requests'], result['median_ms'], result['max_ms']), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
