"""A sustained mixed load on heat-watch-all (SQLite), as a CloudWatch tenant
makes it: puts, statistics, GetMetricData and alarm operations from boto3
clients at once. Reports each operation's p50/p95/p99 latency and the size of
SQLite's write-ahead log over the run (it must stay bounded: see
doc/source/storage.rst).

    python tools/bench/bench_mixed_load.py --clients 16 --seconds 120

With ``--reads-after SECONDS`` the same clients then go on for that long
without PutMetricData, over the data the first phase stored: the reads'
latency with ingestion running beside that without it.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import sys
import tempfile
import threading
import time

import boto3
import botocore.config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402

NAMESPACE = 'Bench/Mixed'
OPERATIONS = ('PutMetricData', 'GetMetricStatistics', 'GetMetricData', 'PutMetricAlarm',
              'DescribeAlarms')


def _client(server: servers.HeatWatchServer):
    return boto3.client('cloudwatch', region_name='RegionOne', endpoint_url=server.endpoint,
                        aws_access_key_id=server.access,
                        aws_secret_access_key=server.secret,
                        config=botocore.config.Config(retries={'max_attempts': 1}))


def _window() -> dict:
    end = datetime.datetime.now(datetime.UTC)
    return {'StartTime': end - datetime.timedelta(minutes=30), 'EndTime': end}


def _put(client, step: int) -> None:
    now = datetime.datetime.now(datetime.UTC)
    client.put_metric_data(Namespace=NAMESPACE, MetricData=[
        {'MetricName': 'm%d' % (i % 50), 'Value': float(step % 100 + i), 'Timestamp': now,
         'Dimensions': [{'Name': 'Host', 'Value': 'h%d' % (i % 10)}]} for i in range(20)])


def _statistics(client, step: int) -> None:
    client.get_metric_statistics(Namespace=NAMESPACE, MetricName='m%d' % (step % 50),
                                 Dimensions=[{'Name': 'Host', 'Value': 'h%d' % (step % 10)}],
                                 Period=60, Statistics=['Average', 'Maximum'], **_window())


def _data(client, step: int) -> None:
    client.get_metric_data(MetricDataQueries=[
        {'Id': 'q%d' % i, 'MetricStat': {
            'Metric': {'Namespace': NAMESPACE, 'MetricName': 'm%d' % ((step + i) % 50),
                       'Dimensions': [{'Name': 'Host', 'Value': 'h%d' % ((step + i) % 10)}]},
            'Period': 60, 'Stat': 'p90'}} for i in range(5)], **_window())


def _alarm(client, step: int) -> None:
    client.put_metric_alarm(AlarmName='mixed-%d' % (step % 50), Namespace=NAMESPACE,
                            MetricName='m%d' % (step % 50), Statistic='Average', Period=60,
                            EvaluationPeriods=1, Threshold=1e9,
                            ComparisonOperator='GreaterThanThreshold')


def _describe(client, step: int) -> None:
    client.describe_alarms(AlarmNamePrefix='mixed-')


# Each client thread cycles through these: writes dominate, as they do for
# agents pushing metrics while dashboards and alarms read.
MIX = [('PutMetricData', _put)] * 4 + [('GetMetricStatistics', _statistics),
                                       ('GetMetricData', _data), ('PutMetricAlarm', _alarm),
                                       ('DescribeAlarms', _describe)]
WITHOUT_PUTS = [entry for entry in MIX if entry[0] != 'PutMetricData']


class Load:
    """Client threads running MIX until ``deadline``; latencies per operation."""

    def __init__(self, server: servers.HeatWatchServer, clients: int, deadline: float,
                 mix: list = MIX):
        self.server = server
        self.deadline = deadline
        self.mix = mix
        self.latencies: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: collections.Counter = collections.Counter()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(clients)]

    def run(self) -> None:
        for thread in self.threads:
            thread.start()
        for thread in self.threads:
            thread.join()

    def _run(self, index: int) -> None:
        client = _client(self.server)
        step = index
        while time.monotonic() < self.deadline:
            name, work = self.mix[step % len(self.mix)]
            started = time.perf_counter()
            try:
                work(client, step)
            except Exception as error:  # noqa: BLE001 - counted and reported
                self.errors[(name, type(error).__name__)] += 1
            else:
                self.latencies[name].append(time.perf_counter() - started)
            step += 1


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _wal_sampler(path: str, stop: threading.Event, sizes: list[int]) -> None:
    while not stop.wait(0.5):
        sizes.append(os.path.getsize(path) if os.path.exists(path) else 0)


def _phase(server: servers.HeatWatchServer, clients: int, seconds: float,
           mix: list) -> tuple[Load, float, tuple]:
    """Run ``mix`` for ``seconds``; the load, the server's CPU seconds and
    the load average at the end."""
    load = Load(server, clients, time.monotonic() + seconds, mix)
    cpu_before = server.cpu_seconds()
    load.run()
    return load, server.cpu_seconds() - cpu_before, os.getloadavg()


def _report(title: str, load: Load, cpu: float, load_average: tuple) -> None:
    print(title)
    print('%-20s %8s %9s %9s %9s' % ('operation', 'calls', 'p50 ms', 'p95 ms', 'p99 ms'))
    for name in OPERATIONS:
        if name not in load.latencies:
            continue
        values = load.latencies[name]
        print('%-20s %8d %9.1f %9.1f %9.1f' % (
            name, len(values), percentile(values, 50) * 1000,
            percentile(values, 95) * 1000, percentile(values, 99) * 1000))
    calls = sum(len(v) for v in load.latencies.values())
    print('server CPU: %.1f s, %.1f ms per call (%d calls); load average %.2f %.2f %.2f'
          % (cpu, cpu * 1000 / max(calls, 1), calls, *load_average))
    if load.errors:
        print('errors: %s' % dict(load.errors))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clients', type=int, default=16)
    parser.add_argument('--seconds', type=float, default=120.0)
    parser.add_argument('--reads-after', type=float, default=0.0,
                        help='then this many seconds of the same mix without puts')
    args = parser.parse_args(argv)
    phases = []
    with tempfile.TemporaryDirectory(prefix='bench-mixed-') as workdir:
        server = servers.HeatWatchServer(workdir)
        server.start()
        try:
            wal = os.path.join(server.state_path, 'watch.sqlite-wal')
            sizes: list[int] = []
            stop = threading.Event()
            sampler = threading.Thread(target=_wal_sampler, args=(wal, stop, sizes))
            sampler.start()
            phases.append(('mixed load: %d boto3 clients, %.0f s, heat-watch-all on SQLite'
                           % (args.clients, args.seconds),
                           *_phase(server, args.clients, args.seconds, MIX)))
            stop.set()
            sampler.join()
            if args.reads_after > 0:
                phases.append(('then without PutMetricData: %.0f s over the same data'
                               % args.reads_after,
                               *_phase(server, args.clients, args.reads_after, WITHOUT_PUTS)))
            database = os.path.getsize(os.path.join(server.state_path, 'watch.sqlite'))
        finally:
            server.stop()
    for phase in phases:
        _report(*phase)
    print('write-ahead log (mixed load): largest %.1f MB, last %.1f MB; database %.1f MB'
          % (max(sizes or [0]) / 1e6, (sizes or [0])[-1] / 1e6, database / 1e6))
    return 1 if any(phase[1].errors for phase in phases) else 0

if __name__ == '__main__':
    sys.exit(main())
