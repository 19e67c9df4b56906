"""tools/bench/bench_rpc_floor.py makes real calls over RabbitMQ to a server
in another process and reports latency and CPU for each side."""

import os
import re
import sys

from heat_watch.tests.integration import base

BENCH = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'tools', 'bench')
sys.path.insert(0, BENCH)
import bench_rpc_floor  # noqa: E402


def test_a_short_run_reports_latency_and_cpu_of_each_side(capsys):
    url = base.require_rabbitmq()
    assert bench_rpc_floor.main(['--url', url, '--calls', '200']) == 0
    out = capsys.readouterr().out
    p50, p95, p99 = map(float, re.search(
        r'latency ms: p50 ([\d.]+)\s+p95 ([\d.]+)\s+p99 ([\d.]+)', out).groups())
    assert 0 < p50 <= p95 <= p99
    caller, server, broker, total = map(float, re.search(
        r'CPU us per call: caller (\d+), server (\d+), RabbitMQ (\d+), all (\d+)', out).groups())
    # Each side did work for every call (RabbitMQ runs as beam.smp here).
    assert caller > 0 and server > 0 and broker > 0
    assert abs(caller + server + broker - total) <= 2
