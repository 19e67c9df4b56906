"""Under a mixed load of writes and reads, SQLite's write-ahead log stays
bounded: the engine's TRUNCATE checkpoints empty it while the load runs,
and it is empty shortly after the load stops."""

import datetime
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

    @staticmethod
    def _put(client, step: int) -> None:
        now = datetime.datetime.now(datetime.UTC)
        client.put_metric_data(Namespace='Mixed', MetricData=[
            {'MetricName': 'm%d' % (i % 20), 'Value': float(step + i), 'Timestamp': now,
             'Dimensions': [{'Name': 'Host', 'Value': 'h%d' % (i % 5)}]}
            for i in range(200)])

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
    # Emptied while the load ran (not only once it stopped) ...
    assert any(size == 0 for size in sizes[len(sizes) // 2:])
    # ... and empty once one checkpoint interval has passed after it.
    time.sleep(3 * CHECKPOINT_SECONDS + 1.5)
    assert _wal_size(state) == 0
