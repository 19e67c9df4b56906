"""The floor under every read of the multi-process mode: one oslo.messaging
call over RabbitMQ to an endpoint that does nothing, made as the APIs make
theirs (heat_watch's transport, serializer, server class and bounded
client), with the RPC server in a process of its own.

    python tools/bench/bench_rpc_floor.py --calls 2000

Prints p50/p95/p99 of the sequential calls and the CPU per call of this
process (the caller), of the server process and of RabbitMQ (``beam.smp``).
A read in the multi-process mode cannot be answered faster than this; set
beside heat-watch-all's read p95 (doc/source/benchmarks.rst, issue 18), it
says what keeping oslo.messaging as the transport costs a read.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
import uuid

import oslo_messaging as messaging
import psutil
from oslo_config import cfg

from heat_watch import opts
from heat_watch.common import context, rpc

DEFAULT_URL = 'rabbit://guest:guest@127.0.0.1:5672/'


class Nothing:
    """The endpoint: answers at once."""

    target = messaging.Target(version='1.0')

    def nothing(self, ctxt) -> None:
        return None


def _conf(url: str) -> cfg.ConfigOpts:
    conf = opts.register_all(cfg.ConfigOpts())
    conf([], default_config_files=[])
    conf.set_override('transport_url', url)
    return conf


def _serve(url: str, topic: str, ready, stop) -> None:
    conf = _conf(url)
    server = rpc.get_server(messaging.Target(topic=topic, server='floor'), [Nothing()], conf)
    server.start()
    ready.set()
    stop.wait()
    server.stop()
    server.wait()
    rpc.cleanup(conf)


def _broker_cpu() -> float:
    total = 0.0
    for process in psutil.process_iter(['name']):
        if process.info['name'] == 'beam.smp':
            times = process.cpu_times()
            total += times.user + times.system
    return total


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', default=os.environ.get('HEAT_WATCH_TEST_RABBIT_URL',
                                                        DEFAULT_URL))
    parser.add_argument('--calls', type=int, default=2000)
    args = parser.parse_args(argv)
    topic = 'bench-floor-%s' % uuid.uuid4().hex[:8]
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(args.url, topic, ready, stop))
    server.start()
    conf = _conf(args.url)
    try:
        if not ready.wait(60):
            print('the RPC server did not start', file=sys.stderr)
            return 1
        client = rpc.get_client(messaging.Target(topic=topic, version='1.0'), conf,
                                timeout=20)
        ctxt = context.RequestContext(project_id='bench', user_id='bench')
        for _ in range(50):  # warm: connections, reply queue
            client.call(ctxt, 'nothing')
        me, served = psutil.Process(), psutil.Process(server.pid)
        before = (_cpu(me), _cpu(served), _broker_cpu())
        latencies = []
        for _ in range(args.calls):
            started = time.perf_counter()
            client.call(ctxt, 'nothing')
            latencies.append(time.perf_counter() - started)
        after = (_cpu(me), _cpu(served), _broker_cpu())
    finally:
        stop.set()
        server.join(30)
        rpc.cleanup(conf)
    caller, callee, broker = ((b - a) * 1e6 / args.calls
                              for a, b in zip(before, after, strict=True))
    print('oslo.messaging call over RabbitMQ, no-op endpoint, %d sequential calls'
          % args.calls)
    print('latency ms: p50 %.2f  p95 %.2f  p99 %.2f'
          % tuple(percentile(latencies, p) * 1000 for p in (50, 95, 99)))
    print('CPU us per call: caller %.0f, server %.0f, RabbitMQ %.0f, all %.0f'
          % (caller, callee, broker, caller + callee + broker))
    print('load average %.2f %.2f %.2f' % os.getloadavg())
    return 0


if __name__ == '__main__':
    sys.exit(main())
