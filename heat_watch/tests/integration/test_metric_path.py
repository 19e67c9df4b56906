"""The metric path across processes: real clients -> heat-watch-api-cloudwatch
-> RabbitMQ -> two heat-watch-engine processes -> MariaDB / PostgreSQL.

Every test runs on both databases (the ``backend`` fixture). The module's
deployment runs two engines on the same topic and database, so every request
is served by one or the other; the API caches no credential
(``credential_cache_ttl = 0``) so that a deleted key is refused at once.
"""

import concurrent.futures
import datetime
import re
import uuid

import botocore.exceptions
import pytest

from heat_watch.tests import clients
from heat_watch.tests.integration import base

UTC = datetime.UTC
MINUTE = datetime.timedelta(minutes=1)
SECOND = datetime.timedelta(seconds=1)
RPC_RECEIVED = re.compile(r'Receive incoming message with id \S+ and method: (\w+)')
STATS = ['SampleCount', 'Sum', 'Minimum', 'Maximum', 'Average']


@pytest.fixture(scope='module')
def deployment(backend, rabbit_url, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp('metric-%s' % backend.name))
    # The engines log each RPC request they take, to show who served what.
    levels = base.engine_log_levels('oslo_messaging.rpc.server=DEBUG')
    # Key pairs: the tenant's, the other tenant's, the one deleted.
    with base.running(backend, workdir, 'metric', engines=2, projects=3,
                      api={'credential_cache_ttl': 0},
                      engine_extra={'DEFAULT': {'default_log_levels': levels}}) as running:
        yield running


class Tenant:
    """A project with a key pair and a client of each protocol."""

    def __init__(self, deployment: base.Deployment, creds: base.Credentials, data_dir: str):
        self.creds = creds
        self.project_id = creds.project_id
        endpoint, access, secret = deployment.endpoint, self.creds.access, self.creds.secret
        self.clients = {'json': clients.boto3_client(endpoint, access, secret),
                        'query': clients.query_client(endpoint, access, secret, data_dir)}


@pytest.fixture(scope='module')
def tenant(deployment, botocore_data) -> Tenant:
    return Tenant(deployment, deployment.credentials[0], botocore_data)


@pytest.fixture(scope='module')
def other_tenant(deployment, botocore_data) -> Tenant:
    return Tenant(deployment, deployment.credentials[1], botocore_data)


@pytest.fixture(params=['json', 'query'])
def protocol(request) -> str:
    return request.param


@pytest.fixture
def namespace(request) -> str:
    return 'Integration/%s/%s' % (request.node.originalname[5:40], uuid.uuid4().hex[:10])


def hour_start() -> datetime.datetime:
    """The start of the previous hour: minute-aligned, always in range."""
    now = datetime.datetime.now(UTC)
    return now.replace(minute=0, second=0, microsecond=0) - datetime.timedelta(hours=1)


def statistics(client, namespace, name, start, end, period=60, dimensions=()):
    answer = client.get_metric_statistics(
        Namespace=namespace, MetricName=name, Dimensions=list(dimensions), StartTime=start,
        EndTime=end, Period=period, Statistics=STATS)
    return sorted(answer['Datapoints'], key=lambda point: point['Timestamp'])


def summary(point: dict) -> tuple:
    return tuple(point[name] for name in STATS)


def engine_requests(deployment: base.Deployment) -> dict[str, list[str]]:
    """The RPC methods each engine took so far, from its output."""
    return {d.name: RPC_RECEIVED.findall(d.output())
            for d in deployment.daemons if d.script == 'heat-watch-engine'}


# -- PutMetricData -> GetMetricStatistics / GetMetricData / ListMetrics ----------------


def test_put_then_exact_statistics(tenant, protocol, namespace):
    client = tenant.clients[protocol]
    base_time = hour_start()
    dims = [{'Name': 'InstanceId', 'Value': 'i-1'}, {'Name': 'AutoScalingGroupName',
                                                     'Value': 'web'}]
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'CPU', 'Dimensions': dims, 'Value': value, 'Unit': 'Percent',
         'Timestamp': base_time + offset * SECOND}
        for value, offset in ((10.0, 0), (30.5, 20), (2.25, 59), (70.0, 60), (80.0, 119))])

    points = statistics(client, namespace, 'CPU', base_time, base_time + 2 * MINUTE,
                        dimensions=list(reversed(dims)))

    assert [p['Timestamp'] for p in points] == [base_time, base_time + MINUTE]
    assert summary(points[0]) == (3.0, 42.75, 2.25, 30.5, 14.25)
    assert summary(points[1]) == (2.0, 150.0, 70.0, 80.0, 75.0)
    assert {p['Unit'] for p in points} == {'Percent'}
    # Other dimensions are another metric.
    assert statistics(client, namespace, 'CPU', base_time, base_time + 2 * MINUTE,
                      dimensions=dims[:1]) == []


def test_a_batch_of_1000_datums(tenant, protocol, namespace):
    client = tenant.clients[protocol]
    base_time = hour_start()
    # Datum i: value i, in minute i // 100 (100 datums a minute, ten minutes).
    data = [{'MetricName': 'Batch', 'Value': float(i),
             'Timestamp': base_time + (i // 100) * MINUTE + (i % 50) * SECOND}
            for i in range(1000)]

    client.put_metric_data(Namespace=namespace, MetricData=data)

    points = statistics(client, namespace, 'Batch', base_time, base_time + 10 * MINUTE)
    assert [p['Timestamp'] for p in points] == [base_time + m * MINUTE for m in range(10)]
    for minute, point in enumerate(points):
        low = 100 * minute
        assert summary(point) == (100.0, float(sum(range(low, low + 100))), float(low),
                                  float(low + 99), low + 49.5)
    [whole] = statistics(client, namespace, 'Batch', base_time, base_time + 10 * MINUTE,
                         period=600)
    assert summary(whole) == (1000.0, 499500.0, 0.0, 999.0, 499.5)


def test_get_metric_data(tenant, protocol, namespace):
    client = tenant.clients[protocol]
    base_time = hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'Latency', 'Value': value, 'Timestamp': base_time + minute * MINUTE}
        for minute, value in ((0, 1.0), (0, 3.0), (1, 10.0), (3, 7.5))])
    metric = {'Namespace': namespace, 'MetricName': 'Latency', 'Dimensions': []}

    answer = client.get_metric_data(
        StartTime=base_time, EndTime=base_time + 5 * MINUTE, ScanBy='TimestampAscending',
        MetricDataQueries=[
            {'Id': 'total', 'MetricStat': {'Metric': metric, 'Period': 60, 'Stat': 'Sum'}},
            {'Id': 'peak', 'MetricStat': {'Metric': metric, 'Period': 60, 'Stat': 'Maximum'},
             'Label': 'peak latency'}])

    results = {r['Id']: r for r in answer['MetricDataResults']}
    assert set(results) == {'total', 'peak'}
    expected_times = [base_time, base_time + MINUTE, base_time + 3 * MINUTE]
    assert results['total']['Timestamps'] == expected_times
    assert results['total']['Values'] == [4.0, 10.0, 7.5]
    assert results['peak']['Timestamps'] == expected_times
    assert results['peak']['Values'] == [3.0, 10.0, 7.5]
    assert results['peak']['Label'] == 'peak latency'
    assert {r['StatusCode'] for r in results.values()} == {'Complete'}


def test_list_metrics(tenant, protocol, namespace):
    client = tenant.clients[protocol]
    stamp = hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'Requests', 'Dimensions': [{'Name': 'Stack', 'Value': 's1'}],
         'Value': 1.0, 'Timestamp': stamp},
        {'MetricName': 'Requests', 'Dimensions': [{'Name': 'Stack', 'Value': 's2'}],
         'Value': 1.0, 'Timestamp': stamp},
        {'MetricName': 'Errors', 'Value': 1.0, 'Timestamp': stamp}])

    listed = client.list_metrics(Namespace=namespace)['Metrics']
    assert sorted((m['MetricName'], tuple((d['Name'], d['Value']) for d in m['Dimensions']))
                  for m in listed) == [('Errors', ()), ('Requests', (('Stack', 's1'),)),
                                       ('Requests', (('Stack', 's2'),))]
    assert {m['Namespace'] for m in listed} == {namespace}

    filtered = client.list_metrics(Namespace=namespace, MetricName='Requests',
                                   Dimensions=[{'Name': 'Stack', 'Value': 's2'}])['Metrics']
    assert [(m['MetricName'], m['Dimensions']) for m in filtered] == [
        ('Requests', [{'Name': 'Stack', 'Value': 's2'}])]


# -- two engines ------------------------------------------------------------------------


def test_two_engines_serve_concurrent_puts_consistently(deployment, tenant, botocore_data,
                                                        namespace):
    base_time = hour_start()
    before = {name: len(methods) for name, methods in engine_requests(deployment).items()}
    assert len(before) == 2

    # Ten clients, half of each protocol, five threads each (made here:
    # creating clients is not thread-safe; using them is).
    creds = tenant.creds
    several = [clients.boto3_client(deployment.endpoint, creds.access, creds.secret)
               if i % 2 else
               clients.query_client(deployment.endpoint, creds.access, creds.secret,
                                    botocore_data)
               for i in range(10)]

    def put(i: int):
        several[i % 10].put_metric_data(Namespace=namespace, MetricData=[
            {'MetricName': 'Concurrent', 'Value': float(i),
             'Timestamp': base_time + (i % 60) * SECOND}])

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        for future in [pool.submit(put, i) for i in range(50)]:
            future.result()

    for client in tenant.clients.values():
        [point] = statistics(client, namespace, 'Concurrent', base_time,
                             base_time + MINUTE)
        assert summary(point) == (50.0, float(sum(range(50))), 0.0, 49.0, 24.5)

    def served() -> dict:
        after = engine_requests(deployment)
        return {name: sum(after[name][before[name]:].count(method)
                          for method in ('put_metric_data', 'put_metric_batch'))
                for name in after}
    # The API coalesces concurrent puts into put_metric_batch calls (each
    # carrying one or more of the 50 requests): at least two, as the first
    # call is under way when the others queue, and never more than 50.
    assert 2 <= sum(served().values()) <= 50, served()
    # So few calls may all reach one engine; more, one at a time, are shared
    # (RabbitMQ hands a queue's messages to its consumers in turn).
    for i in range(20):
        if all(count > 0 for count in served().values()):
            break
        several[0].put_metric_data(Namespace=namespace, MetricData=[
            {'MetricName': 'Shared', 'Value': float(i), 'Timestamp': base_time}])
    assert all(count > 0 for count in served().values()), (
        'both engines should have taken some of the puts: %s' % served())
    assert all(d.alive() for d in deployment.daemons)


# -- projects and credentials ------------------------------------------------------------


def test_another_project_never_sees_the_metrics(tenant, other_tenant, protocol, namespace):
    mine, theirs = tenant.clients[protocol], other_tenant.clients[protocol]
    base_time = hour_start()
    mine.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'Secret', 'Value': 5.0, 'Timestamp': base_time}])

    assert theirs.list_metrics(Namespace=namespace)['Metrics'] == []
    assert statistics(theirs, namespace, 'Secret', base_time, base_time + MINUTE) == []

    # The same name in the other project is another metric.
    theirs.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'Secret', 'Value': 1000.0, 'Timestamp': base_time}])
    [own_point] = statistics(mine, namespace, 'Secret', base_time, base_time + MINUTE)
    assert summary(own_point) == (1.0, 5.0, 5.0, 5.0, 5.0)
    [their_point] = statistics(theirs, namespace, 'Secret', base_time, base_time + MINUTE)
    assert summary(their_point) == (1.0, 1000.0, 1000.0, 1000.0, 1000.0)
    assert len(mine.list_metrics(Namespace=namespace)['Metrics']) == 1


def test_deleted_credential_is_refused(deployment, botocore_data, namespace):
    creds = deployment.credentials[2]
    json_client = clients.boto3_client(deployment.endpoint, creds.access, creds.secret)
    query_client = clients.query_client(deployment.endpoint, creds.access, creds.secret,
                                        botocore_data)
    for client in (json_client, query_client):
        assert client.list_metrics(Namespace=namespace)['Metrics'] == []

    deployment.delete_credentials(creds.access)

    # credential_cache_ttl = 0: refused at once, by both protocols.
    for client in (json_client, query_client):
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            client.put_metric_data(Namespace=namespace, MetricData=[
                {'MetricName': 'm', 'Value': 1.0}])
        error = caught.value.response
        assert error['Error']['Code'] == 'InvalidClientTokenId'
        assert error['ResponseMetadata']['HTTPStatusCode'] == 403
