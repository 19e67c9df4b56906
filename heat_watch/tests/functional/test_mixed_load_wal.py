"""Under a mixed load of writes and reads, SQLite's write-ahead log stays
bounded: the engine's TRUNCATE checkpoints empty it while the load runs,
and it is empty shortly after the load stops. The percentiles read during
and after the load are exact."""

import datetime
import math
import os
import threading
import time

import pytest

from heat_watch.tests import clients, services

LOAD_SECONDS = 10
CHECKPOINT_SECONDS = 0.5
MB = 1024 * 1024


@pytest.fixture(scope='module')
def running(tmp_path_factory):
    state = str(tmp_path_factory.mktemp('mixed-load-state'))
    with services.deployment(
            state, **{'watch_database.sqlite_checkpoint_interval': CHECKPOINT_SECONDS}) as dep:
        yield dep


class _Load:
    """Threads that put, read statistics, read metric data and manage alarms
    until stopped; every call's error is kept."""

    def __init__(self, client_factory):
        self.client_factory = client_factory
        self.stop = threading.Event()
        self.errors: list[Exception] = []
        self.calls = 0
        self.sent: list[tuple[str, int, float]] = []  # (metric, minute, value) stored
        self.threads = [threading.Thread(target=self._loop, args=(work,), daemon=True)
                        for work in (self._put, self._put, self._statistics, self._data,
                                     self._alarms)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _loop(self, work) -> None:
        client = self.client_factory()
        step = 0
        while not self.stop.is_set():
            try:
                work(client, step)
                self.calls += 1
            except Exception as error:  # noqa: BLE001 - kept for the assertion
                self.errors.append(error)
            step += 1

    def _put(self, client, step: int) -> None:
        # Whole seconds: the test knows each value's minute exactly.
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        data = [{'MetricName': 'm%d' % (i % 20), 'Value': float(step + i) + i / 7,
                 'Timestamp': now, 'Dimensions': [{'Name': 'Host', 'Value': 'h%d' % (i % 5)}]}
                for i in range(200)]
        client.put_metric_data(Namespace='Mixed', MetricData=data)
        self.sent.extend((d['MetricName'], int(now.timestamp()) // 60, d['Value'])
                         for d in data)

    @staticmethod
    def _window() -> dict:
        end = datetime.datetime.now(datetime.UTC)
        return {'StartTime': end - datetime.timedelta(minutes=10), 'EndTime': end}

    def _statistics(self, client, step: int) -> None:
        client.get_metric_statistics(Namespace='Mixed', MetricName='m%d' % (step % 20),
                                     Dimensions=[{'Name': 'Host', 'Value': 'h0'}],
                                     Period=60, Statistics=['Average', 'Maximum'],
                                     **self._window())

    def _data(self, client, step: int) -> None:
        client.get_metric_data(MetricDataQueries=[
            {'Id': 'q%d' % i, 'MetricStat': {
                'Metric': {'Namespace': 'Mixed', 'MetricName': 'm%d' % i,
                           'Dimensions': [{'Name': 'Host', 'Value': 'h%d' % (i % 5)}]},
                'Period': 60, 'Stat': 'p90'}} for i in range(5)], **self._window())

    @staticmethod
    def _alarms(client, step: int) -> None:
        client.put_metric_alarm(AlarmName='mixed-%d' % (step % 10), Namespace='Mixed',
                                MetricName='m1', Statistic='Average', Period=60,
                                EvaluationPeriods=1, Threshold=1e9,
                                ComparisonOperator='GreaterThanThreshold')
        client.describe_alarms(AlarmNamePrefix='mixed-')


def _wal_size(state_path: str) -> int:
    path = os.path.join(state_path, 'watch.sqlite-wal')
    return os.path.getsize(path) if os.path.exists(path) else 0


def test_the_write_ahead_log_is_emptied_during_and_after_a_mixed_load(running):
    creds = running.credentials('mixed')
    state = running.conf.state_path
    sizes = []
    with _Load(lambda: clients.boto3_client(running.endpoint, creds['access'],
                                            creds['secret'])) as load:
        deadline = time.monotonic() + LOAD_SECONDS
        while time.monotonic() < deadline:
            sizes.append(_wal_size(state))
            time.sleep(0.1)
    assert not load.errors, load.errors[:3]
    assert load.calls > 50
    assert max(sizes) > 0  # the load wrote to the log
    # Cut back while the load ran (not only once it stopped): the file only
    # shrinks when a checkpoint empties the log; new commits refill it at once,
    # so the sampling may not see it at zero ...
    assert any(later < earlier for earlier, later in zip(sizes, sizes[1:], strict=False))
    # ... and empty once one checkpoint interval has passed after it.
    time.sleep(3 * CHECKPOINT_SECONDS + 1.5)
    assert _wal_size(state) == 0
    _assert_exact_percentiles(clients.boto3_client(running.endpoint, creds['access'],
                                                   creds['secret']), load.sent)


def _assert_exact_percentiles(client, sent: list[tuple[str, int, float]]) -> None:
    """The p90 of every minute of the metrics GetMetricData read during the
    load (each read after the first only what its buckets received since) is
    the nearest-rank p90 of the values put."""
    by_minute: dict[tuple[str, int], list[float]] = {}
    for name, minute, value in sent:
        by_minute.setdefault((name, minute), []).append(value)
    end = datetime.datetime.now(datetime.UTC)
    answer = client.get_metric_data(
        MetricDataQueries=[{'Id': 'q%d' % i, 'MetricStat': {
            'Metric': {'Namespace': 'Mixed', 'MetricName': 'm%d' % i,
                       'Dimensions': [{'Name': 'Host', 'Value': 'h%d' % (i % 5)}]},
            'Period': 60, 'Stat': 'p90'}} for i in range(5)],
        StartTime=end - datetime.timedelta(minutes=10), EndTime=end,
        ScanBy='TimestampAscending')
    for i, result in enumerate(answer['MetricDataResults']):
        found = {int(t.timestamp()) // 60: v
                 for t, v in zip(result['Timestamps'], result['Values'], strict=True)}
        expected = {}
        for (name, minute), values in by_minute.items():
            if name == 'm%d' % i:
                ordered = sorted(values)
                expected[minute] = ordered[math.ceil(len(ordered) * 9 / 10) - 1]
        assert found == expected, 'm%d' % i
