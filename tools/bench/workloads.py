"""The data and requests of the metric-path benchmark.

Everything here is deterministic for a given seed and "now", so heat_watch
and moto receive byte-identical request bodies.
"""

from __future__ import annotations

import dataclasses
import datetime
import random

import leanclient

PUT_NAMESPACE = 'Bench/Put'
QUERY_NAMESPACE = 'Bench/Query'
LIST_NAMESPACE = 'Bench/List'
METRIC_NAMES = ('CPUUtilization', 'MemoryUtilization', 'DiskReadOps', 'DiskWriteOps',
                'NetworkIn', 'NetworkOut', 'RequestCount', 'Latency', 'ErrorCount',
                'QueueDepth')
INSTANCES = 10  # 10 names x 10 instances = 100 metrics, 2 dimensions each
QUERY_POINTS = 10_000
QUERY_SPAN_S = 7 * 86400
LIST_METRICS = 5_000
QUERY_DIMENSIONS = [{'Name': 'Service', 'Value': 'api'}, {'Name': 'Host', 'Value': 'host-0'}]
DAY = 86400


def _utc(epoch: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC)


def _put_datum(rng: random.Random, index: int, now: float) -> dict:
    """One datum of one of the 100 metrics, timestamped in the last 5 minutes."""
    name = METRIC_NAMES[index % len(METRIC_NAMES)]
    instance = (index // len(METRIC_NAMES)) % INSTANCES
    return {'MetricName': name,
            'Dimensions': [{'Name': 'AutoScalingGroupName', 'Value': 'asg-%d' % (instance % 3)},
                           {'Name': 'InstanceId', 'Value': 'i-%08x' % (0xbe00 + instance)}],
            'Timestamp': _utc(now - rng.uniform(0, 300)),
            'Value': round(rng.uniform(0, 100), 3),
            'Unit': 'Percent' if name.endswith('Utilization') else 'Count'}


def put_bodies(batch: int, now: float, seed: int = 1) -> list[leanclient.Prepared]:
    """PutMetricData bodies of ``batch`` datums each, cycling over the 100 metrics.

    Enough bodies that every metric appears in the pool at least twice,
    and at least 16 bodies so that concurrent clients send different bodies.
    """
    rng = random.Random(seed * 1_000_003 + batch)
    count = max(16, -(-200 // batch))
    bodies, index = [], 0
    for _ in range(count):
        datums = []
        for _ in range(batch):
            datums.append(_put_datum(rng, index, now))
            index += 1
        bodies.append(leanclient.prepare('PutMetricData', {'Namespace': PUT_NAMESPACE,
                                                           'MetricData': datums}))
    return bodies


def query_load_bodies(now: float, seed: int = 2) -> list[leanclient.Prepared]:
    """10,000 datapoints of one metric, evenly spread over the last 7 days."""
    rng = random.Random(seed)
    step = QUERY_SPAN_S / QUERY_POINTS
    datums = [{'MetricName': 'Latency', 'Dimensions': QUERY_DIMENSIONS,
               'Timestamp': _utc(now - QUERY_SPAN_S + (i + 0.5) * step),
               'Value': round(rng.gauss(100.0, 15.0), 3), 'Unit': 'Milliseconds'}
              for i in range(QUERY_POINTS)]
    return [leanclient.prepare('PutMetricData', {'Namespace': QUERY_NAMESPACE,
                                                 'MetricData': datums[i:i + 1000]})
            for i in range(0, len(datums), 1000)]


def query_timestamps(now: float) -> list[float]:
    """The epoch seconds of the datapoints :func:`query_load_bodies` sends."""
    step = QUERY_SPAN_S / QUERY_POINTS
    return [now - QUERY_SPAN_S + (i + 0.5) * step for i in range(QUERY_POINTS)]


def list_load_bodies(now: float) -> list[leanclient.Prepared]:
    """5,000 distinct metrics: 50 names x 100 hosts, 2 dimensions each."""
    datums = [{'MetricName': 'metric-%02d' % (i % 50),
               'Dimensions': [{'Name': 'Host', 'Value': 'host-%03d' % (i // 50)},
                              {'Name': 'Role', 'Value': 'role-%d' % (i % 7)}],
               'Timestamp': _utc(now - 60), 'Value': float(i)}
              for i in range(LIST_METRICS)]
    return [leanclient.prepare('PutMetricData', {'Namespace': LIST_NAMESPACE,
                                                 'MetricData': datums[i:i + 1000]})
            for i in range(0, len(datums), 1000)]


@dataclasses.dataclass(frozen=True)
class Query:
    """One read workload: its request and what a correct answer holds."""

    name: str
    prepared: leanclient.Prepared
    window: tuple[float, float] = (0.0, 0.0)
    period: int = 0
    statistic: str = ''


def _statistics_query(name: str, start: float, end: float, period: int,
                      extended: bool = False) -> Query:
    params = {'Namespace': QUERY_NAMESPACE, 'MetricName': 'Latency',
              'Dimensions': QUERY_DIMENSIONS, 'StartTime': _utc(start),
              'EndTime': _utc(end), 'Period': period}
    if extended:
        params['ExtendedStatistics'] = ['p50', 'p99']
    else:
        params['Statistics'] = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']
    return Query(name, leanclient.prepare('GetMetricStatistics', params), (start, end),
                 period, 'p99' if extended else 'SampleCount')


def statistics_queries(now: float) -> list[Query]:
    """GetMetricStatistics windows that stay within the 1,440-datapoint limit.

    * 1 day at Period 60: exactly 1,440 periods, ~1,430 of the points;
    * 5 days at Period 300: exactly 1,440 periods, ~7,140 points;
    * 7 days (169 hours) at Period 3600: 169 periods, all 10,000 points;
    * the same 7 days with ExtendedStatistics p50 and p99 (percentiles).
    Windows are aligned on the period, so the count of periods is exact.
    """
    minute_end = now // 60 * 60
    five_end = now // 300 * 300
    week_start = (now - QUERY_SPAN_S) // 3600 * 3600
    return [
        _statistics_query('GMS 1d / 60s (1,440 periods)', minute_end - DAY, minute_end, 60),
        _statistics_query('GMS 5d / 300s (1,440 periods)', five_end - 5 * DAY, five_end, 300),
        _statistics_query('GMS 7d / 3600s (169 periods)', week_start,
                          week_start + 169 * 3600, 3600),
        _statistics_query('GMS 7d / 3600s p50+p99', week_start, week_start + 169 * 3600,
                          3600, extended=True),
    ]


def list_queries() -> list[Query]:
    """ListMetrics: the first page of everything, and one dimension filter."""
    return [
        Query('ListMetrics all, page 1 (500)', leanclient.prepare('ListMetrics', {})),
        Query('ListMetrics Host=host-042 (50)', leanclient.prepare('ListMetrics', {
            'Namespace': LIST_NAMESPACE,
            'Dimensions': [{'Name': 'Host', 'Value': 'host-042'}]})),
    ]


def expected_samples(query: Query, stamps: list[float]) -> int:
    """How many of the loaded datapoints fall inside a statistics query's window."""
    start, end = query.window
    return sum(1 for t in stamps if start <= t < end)


def describe_answer(query: Query, answer: dict, stamps: list[float]) -> tuple[str, bool]:
    """A short summary of an answer and whether it is what a correct server returns."""
    if query.prepared.operation == 'ListMetrics':
        metrics = answer.get('Metrics') or []
        token = 'NextToken' if answer.get('NextToken') else 'no NextToken'
        expected = 50 if 'Host=' in query.name else 500
        return '%d metrics, %s' % (len(metrics), token), len(metrics) == expected
    points = answer.get('Datapoints') or []
    if query.statistic == 'p99':
        valued = sum(1 for p in points if 'p99' in (p.get('ExtendedStatistics') or {}))
        return '%d periods, %d with p99' % (len(points), valued), valued == len(points) > 0
    samples = int(sum(p.get('SampleCount', 0) for p in points))
    want = expected_samples(query, stamps)
    return '%d periods, %d samples (want %d)' % (len(points), samples, want), samples == want
