"""Outages of the database and of the broker, cut through a TCP proxy the
test controls (:mod:`heat_watch.tests.faultproxy`), with the API and the
engine as separate processes.

During an outage every operation answers 503 ServiceUnavailable in its
protocol's format within ``rpc_timeout``; the engine logs a database outage
once when it starts and once when it ends, the API does the same for the
engine it cannot reach; after the proxy resumes, requests succeed again and
no acknowledged datapoint is lost.
"""

import datetime
import re
import time
import urllib.parse
import uuid

import boto3
import botocore.config
import botocore.exceptions
import botocore.session
import pytest

from heat_watch.tests import clients, faultproxy
from heat_watch.tests.integration import base

UTC = datetime.UTC
RPC_TIMEOUT = 6
# Seconds a 503 may take beyond rpc_timeout (HTTP, scheduling on a busy box).
SLACK = 3
RECOVERY = 90
DB_DOWN = 'The database is unavailable'
DB_BACK = 'The database is available again after'
ENGINE_DOWN = 'The watch engine is unavailable'
ENGINE_BACK = 'The watch engine is available again after'


class ProxiedDeployment(base.Deployment):
    """A deployment whose database (and, optionally, broker) connections
    go through fault proxies."""

    def __init__(self, *args, db_proxy: faultproxy.FaultProxy,
                 broker_proxy: faultproxy.FaultProxy | None = None, debug: bool = False,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.db_proxy = db_proxy
        self.broker_proxy = broker_proxy
        self.debug = debug

    def sections(self) -> dict[str, dict]:
        sections = super().sections()
        if self.debug:
            sections['DEFAULT']['debug'] = True
        backend = self.backend
        sections['watch_database']['connection'] = backend.url(self.database).replace(
            '@%s:%d/' % (backend.host, backend.port), '@127.0.0.1:%d/' % self.db_proxy.port)
        if self.broker_proxy is not None:
            url = urllib.parse.urlsplit(base.RABBIT_URL)
            netloc = '%s:%s@127.0.0.1:%d' % (url.username, url.password,
                                             self.broker_proxy.port)
            sections['DEFAULT']['transport_url'] = url._replace(netloc=netloc).geturl()
        return sections


def _target(url: str) -> tuple[str, int]:
    parsed = urllib.parse.urlsplit(url)
    return parsed.hostname, parsed.port


def _broker_target() -> tuple[str, int]:
    host, port = _target(base.RABBIT_URL)
    return host, port or 5672


# One attempt: botocore's standard mode otherwise retries a 503 once, which
# would double the time a request seems to take.
_ONE_ATTEMPT = botocore.config.Config(retries={'total_max_attempts': 1, 'mode': 'standard'},
                                      connect_timeout=5, read_timeout=60)


class Tenant:
    """Clients of both protocols for one key pair, making one attempt each."""

    def __init__(self, deployment: base.Deployment, data_dir: str):
        creds = deployment.credentials[0]
        keys = {'region_name': clients.REGION, 'endpoint_url': deployment.endpoint,
                'aws_access_key_id': creds.access, 'aws_secret_access_key': creds.secret,
                'config': _ONE_ATTEMPT}
        self.json = boto3.client('cloudwatch', **keys)
        session = botocore.session.get_session()
        session.get_component('data_loader').search_paths.insert(
            0, clients._query_model_dir(data_dir))
        self.query = session.create_client('cloudwatch', **keys)


def _put(client, namespace: str, value: float) -> None:
    client.put_metric_data(Namespace=namespace, MetricData=[{
        'MetricName': 'Acked', 'Value': value, 'Unit': 'Count',
        'Timestamp': datetime.datetime.now(UTC)}])


def _sample_count(client, namespace: str) -> int:
    now = datetime.datetime.now(UTC)
    answer = client.get_metric_statistics(
        Namespace=namespace, MetricName='Acked', StartTime=now - datetime.timedelta(hours=1),
        EndTime=now + datetime.timedelta(minutes=5), Period=7200, Statistics=['SampleCount'])
    return int(sum(point['SampleCount'] for point in answer['Datapoints']))


def _operations(tenant: Tenant, namespace: str) -> list:
    """One call of several operations in each protocol (reads and writes)."""
    now = datetime.datetime.now(UTC)
    window = {'StartTime': now - datetime.timedelta(minutes=10), 'EndTime': now}
    return [
        ('json PutMetricData', lambda: _put(tenant.json, namespace, 1)),
        ('query PutMetricData', lambda: _put(tenant.query, namespace, 1)),
        ('json ListMetrics', lambda: tenant.json.list_metrics(Namespace=namespace)),
        ('query ListMetrics', lambda: tenant.query.list_metrics(Namespace=namespace)),
        ('json GetMetricStatistics', lambda: tenant.json.get_metric_statistics(
            Namespace=namespace, MetricName='Acked', Period=60, Statistics=['Sum'],
            **window)),
        ('query GetMetricData', lambda: tenant.query.get_metric_data(MetricDataQueries=[{
            'Id': 'q', 'MetricStat': {'Metric': {'Namespace': namespace,
                                                  'MetricName': 'Acked'},
                                       'Period': 60, 'Stat': 'Sum'}}], **window)),
        ('json DescribeAlarms', lambda: tenant.json.describe_alarms()),
        ('query DescribeAlarmHistory', lambda: tenant.query.describe_alarm_history()),
    ]


def _assert_503(name: str, call) -> float:
    """Run ``call``; it must fail with 503 ServiceUnavailable within the
    timeout. Returns the seconds it took."""
    started = time.monotonic()
    try:
        call()
    except botocore.exceptions.ClientError as error:
        took = time.monotonic() - started
        status = error.response['ResponseMetadata']['HTTPStatusCode']
        code = error.response['Error']['Code']
        assert (status, code) == (503, 'ServiceUnavailable'), (name, status, code, error)
        assert took <= RPC_TIMEOUT + SLACK, '%s took %.1f s' % (name, took)
        return took
    raise AssertionError('%s succeeded during the outage' % name)


def _count(daemon: base.Daemon, text: str) -> int:
    return daemon.output().count(text)


def _recovered(call):
    def attempt():
        try:
            return call() or True
        except botocore.exceptions.ClientError:
            return False
    return attempt


@pytest.fixture
def db_proxy(backend):
    with faultproxy.FaultProxy(backend.host, backend.port) as proxy:
        yield proxy


@pytest.fixture
def postgresql() -> base.Backend:
    """PostgreSQL alone, for the cases that do not depend on the database."""
    chosen = base.BACKENDS['postgresql']
    chosen.require()
    return chosen


@pytest.fixture
def pg_proxy(postgresql):
    with faultproxy.FaultProxy(postgresql.host, postgresql.port) as proxy:
        yield proxy


@pytest.fixture
def broker_proxy(rabbit_url):
    with faultproxy.FaultProxy(*_broker_target()) as proxy:
        yield proxy


def _deployment(backend, tmp_path, label: str, **proxies) -> ProxiedDeployment:
    deployment = ProxiedDeployment(backend, str(tmp_path), label,
                                   engine={'rpc_timeout': RPC_TIMEOUT},
                                   api={'credential_cache_ttl': 3600}, **proxies)
    deployment.setup(notifier=False)
    return deployment


_TRACEBACK = re.compile(r' ERROR (\S+) Traceback \(most recent call last\)')


def _traceback_loggers(daemon: base.Daemon) -> set[str]:
    return set(_TRACEBACK.findall(daemon.output()))


def _teardown(deployment: ProxiedDeployment) -> None:
    problems = deployment.teardown()
    assert not problems, '\n'.join(problems)


def test_database_outage_is_503_everywhere_logged_once_and_loses_no_acked_point(
        backend, rabbit_url, db_proxy, tmp_path, botocore_data):
    deployment = _deployment(backend, tmp_path, 'dbout', db_proxy=db_proxy)
    try:
        engine, api = deployment.daemon('engine-1'), deployment.daemon('api')
        tenant = Tenant(deployment, botocore_data)
        namespace = 'Outage/%s' % uuid.uuid4().hex[:10]
        acked = 0
        for value in range(5):
            _put(tenant.json, namespace, value)
            acked += 1

        db_proxy.refuse()
        attempted = 0
        for _ in range(3):  # a storm, not one request
            for name, call in _operations(tenant, namespace):
                _assert_503(name, call)
                attempted += name.endswith('PutMetricData')
        time.sleep(2.5)  # two alarm sweeps meet the outage too
        assert _count(engine, DB_DOWN) == 1, engine.tail()
        assert not _traceback_loggers(engine), engine.tail()
        assert _count(api, ENGINE_DOWN) == 1, api.tail()
        assert not _traceback_loggers(api), api.tail()

        db_proxy.resume()
        base.wait_until(_recovered(lambda: _put(tenant.json, namespace, 1)), RECOVERY,
                        message='a put after the database returned')
        acked += 1
        base.wait_until(lambda: _count(engine, DB_BACK) == 1, 10, message='engine recovery line')
        assert _count(api, ENGINE_BACK) == 1, api.tail()
        count = _sample_count(tenant.query, namespace)
        # Every acknowledged point is there; 503'd puts were not stored
        # (the database refused them).
        assert count == acked, (count, acked, attempted)
        assert _count(engine, DB_DOWN) == 1
    finally:
        _teardown(deployment)


def test_database_partition_answers_503_within_the_rpc_timeout(
        postgresql, rabbit_url, pg_proxy, tmp_path, botocore_data):
    db_proxy = pg_proxy
    deployment = _deployment(postgresql, tmp_path, 'dbpart', db_proxy=db_proxy)
    try:
        api = deployment.daemon('api')
        tenant = Tenant(deployment, botocore_data)
        namespace = 'Partition/%s' % uuid.uuid4().hex[:10]
        _put(tenant.json, namespace, 1)

        db_proxy.drop()  # connections hang: the engine cannot answer in time
        took = [_assert_503('json ListMetrics',
                            lambda: tenant.json.list_metrics(Namespace=namespace)),
                _assert_503('query PutMetricData', lambda: _put(tenant.query, namespace, 2))]
        assert min(took) >= RPC_TIMEOUT - 1, took  # it did wait for the engine
        assert _count(api, ENGINE_DOWN) == 1, api.tail()

        db_proxy.resume()  # the hung connections are reset
        base.wait_until(_recovered(lambda: tenant.json.list_metrics(Namespace=namespace)),
                        RECOVERY, message='a read after the partition healed')
        assert _sample_count(tenant.json, namespace) >= 1
    finally:
        db_proxy.resume()  # else the engine's threads wait on the partition
        _teardown(deployment)


@pytest.mark.parametrize('cut', ['drop', 'refuse'])
def test_broker_outage_is_503_within_the_rpc_timeout_and_recovers(
        postgresql, rabbit_url, pg_proxy, broker_proxy, tmp_path, botocore_data, cut):
    deployment = _deployment(postgresql, tmp_path, 'brokerout', db_proxy=pg_proxy,
                             broker_proxy=broker_proxy)
    try:
        api = deployment.daemon('api')
        tenant = Tenant(deployment, botocore_data)
        namespace = 'Broker/%s' % uuid.uuid4().hex[:10]
        acked = 0
        for value in range(3):
            _put(tenant.json, namespace, value)
            acked += 1

        getattr(broker_proxy, cut)()
        attempted = 0
        for name, call in _operations(tenant, namespace)[:4]:
            _assert_503(name, call)
            attempted += name.endswith('PutMetricData')
        assert _count(api, ENGINE_DOWN) == 1, api.tail()

        broker_proxy.resume()
        base.wait_until(_recovered(lambda: _put(tenant.json, namespace, 1)), RECOVERY,
                        interval=1, message='a put after the broker returned')
        acked += 1
        assert _count(api, ENGINE_BACK) == 1, api.tail()
        count = _sample_count(tenant.json, namespace)
        # A 503'd put may still have been stored (doc: cloudwatch.rst).
        assert acked <= count <= acked + attempted, (count, acked, attempted)
    finally:
        broker_proxy.resume()
        _teardown(deployment)


def test_the_api_outage_line_names_the_operation_and_request_id(
        postgresql, rabbit_url, pg_proxy, tmp_path, botocore_data):
    db_proxy = pg_proxy
    deployment = _deployment(postgresql, tmp_path, 'dbline', db_proxy=db_proxy, debug=True)
    try:
        api = deployment.daemon('api')
        tenant = Tenant(deployment, botocore_data)
        tenant.json.list_metrics(Namespace='X')  # the key is cached from now on
        db_proxy.refuse()
        request_ids = []
        for _ in range(3):
            try:
                tenant.json.list_metrics(Namespace='X')
            except botocore.exceptions.ClientError as error:
                request_ids.append(error.response['ResponseMetadata']['RequestId'])
            else:
                raise AssertionError('ListMetrics succeeded during the outage')
        line = re.search(ENGINE_DOWN + r'.*', api.output()).group(0)
        assert 'ListMetrics %s' % request_ids[0] in line, line
        assert 'DatabaseUnavailable' in line, line
        # The storm's other requests leave a debug line each.
        for request_id in request_ids[1:]:
            assert re.search(r'DEBUG heat_watch\.cloudwatch\.app .*The watch engine is still '
                             r'unavailable: ListMetrics %s failed' % request_id,
                             api.output()), request_id
        assert _count(api, ENGINE_DOWN) == 1
    finally:
        db_proxy.resume()
        _teardown(deployment)
