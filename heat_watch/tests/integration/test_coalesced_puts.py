"""Coalesced PutMetricData across processes, on both databases: concurrent
requests of two projects share put_metric_batch RPCs (RabbitMQ) and each
project sees exactly its own data; one item's failure fails only its own
request; and after a kill -9 of an engine under load, every request that
was answered 200 has its datapoint committed."""

import concurrent.futures
import datetime
import re
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from oslo_config import cfg

from heat_watch import opts
from heat_watch.common import config, context, exceptions, rpc
from heat_watch.tests import clients
from heat_watch.tests.integration import base
from heat_watch.watch import rpcapi

UTC = datetime.UTC
MINUTE = datetime.timedelta(minutes=1)
RPC_RECEIVED = re.compile(r'Receive incoming message with id \S+ and method: (\w+)')


@pytest.fixture(scope='module')
def deployment(backend, rabbit_url, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp('coalesce-%s' % backend.name))
    levels = base.engine_log_levels('oslo_messaging.rpc.server=DEBUG')
    with base.running(backend, workdir, 'coalesce', engines=2, projects=2,
                      engine_extra={'DEFAULT': {'default_log_levels': levels}}) as running:
        yield running


@pytest.fixture(scope='module')
def lenient(backend, rabbit_url, tmp_path_factory):
    """Another deployment, for the tests that make an engine log a refused
    item's traceback or kill an engine: its daemons are stopped without the
    clean-stop check."""
    workdir = str(tmp_path_factory.mktemp('coalesce-lenient-%s' % backend.name))
    deployment = base.Deployment(backend, workdir, 'coalesce_lenient')
    try:
        deployment.setup(engines=2, projects=2)
        yield deployment
    finally:
        deployment.teardown()


@pytest.fixture(scope='module')
def engine_client(lenient):
    """The watch engine's RPC client, in this process, over the same RabbitMQ
    (coalescing, as in an API process)."""
    conf = opts.register_all(cfg.ConfigOpts())
    conf([], project=config.PROJECT, default_config_files=[])
    conf.set_override('transport_url', base.RABBIT_URL)
    conf.set_override('topic', lenient.topic, group='watch_engine')
    conf.set_override('rpc_timeout', base.RPC_TIMEOUT, group='watch_engine')
    yield rpcapi.WatchEngineClient(conf)
    rpc.cleanup(conf)


def _stamp() -> datetime.datetime:
    # The start of a minute: the seconds after it that the tests put at stay
    # in that minute (across a minute's end, the statistics' periods would
    # split them in two datapoints, as CloudWatch's do).
    return datetime.datetime.now(UTC).replace(microsecond=0, second=0) - 5 * MINUTE


def _statistics(client, namespace: str, stamp: datetime.datetime) -> dict:
    """SampleCount and Sum of what was put from ``stamp`` on (every
    datapoint of the window, should its periods split the data)."""
    found = client.get_metric_statistics(
        Namespace=namespace, MetricName='m', StartTime=stamp - MINUTE, EndTime=stamp + MINUTE,
        Period=120, Statistics=['SampleCount', 'Sum'])['Datapoints']
    return {name: sum(point[name] for point in found) for name in ('SampleCount', 'Sum')}


def _batches_received(deployment) -> int:
    return sum(RPC_RECEIVED.findall(daemon.output()).count('put_metric_batch')
               for daemon in deployment.daemons if daemon.script == 'heat-watch-engine')


def test_concurrent_requests_of_two_projects_share_rpcs_and_each_sees_its_own_data(
        deployment):
    stamp = _stamp()
    namespace = 'Integration/Coalesce/%s' % uuid.uuid4().hex[:8]
    tenants = [clients.boto3_client(deployment.endpoint, creds.access, creds.secret)
               for creds in deployment.credentials[:2]]
    batches_before = _batches_received(deployment)
    requests_per_thread, threads = 6, 16

    def put(thread: int) -> None:
        client = tenants[thread % 2]
        for i in range(requests_per_thread):
            # Project 0 puts 1.0 each time, project 1 puts 100.0.
            client.put_metric_data(Namespace=namespace, MetricData=[
                {'MetricName': 'm', 'Value': 1.0 if thread % 2 == 0 else 100.0,
                 'Timestamp': stamp + datetime.timedelta(seconds=i)}])

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, range(threads)))
    each = requests_per_thread * threads // 2
    mine, theirs = (_statistics(tenant, namespace, stamp) for tenant in tenants)
    assert (mine['SampleCount'], mine['Sum']) == (each, each * 1.0)
    assert (theirs['SampleCount'], theirs['Sum']) == (each, each * 100.0)
    # Fewer RPCs than requests: requests rode on each other's.
    batches = _batches_received(deployment) - batches_before
    assert 0 < batches < requests_per_thread * threads


def _metrics(value: float, stamp_ms: int, sample_count=1.0) -> list[list]:
    return [['m', [], [[stamp_ms, 'None', 60, sample_count, value, value, value, True, None]]]]


def test_a_failing_item_fails_only_its_own_request(lenient, engine_client):
    deployment = lenient
    stamp = _stamp()
    stamp_ms = int(stamp.timestamp() * 1000)
    namespace = 'Integration/Coalesce/%s' % uuid.uuid4().hex[:8]
    one, other = (creds.project_id for creds in deployment.credentials[:2])
    outcomes = engine_client.put_metric_batch(context.RequestContext(), [
        [one, namespace, _metrics(1.0, stamp_ms)],
        [other, namespace, 'not metrics'],
        # Passes the shape check, refused by the database (NOT NULL).
        [other, namespace, _metrics(5.0, stamp_ms, sample_count=None)],
        [other, namespace, _metrics(2.0, stamp_ms)],
        ['', namespace, _metrics(3.0, stamp_ms)],
    ])
    assert outcomes[0] is None and outcomes[3] is None
    assert isinstance(outcomes[1], exceptions.InvalidParameterValue)
    assert isinstance(outcomes[2], exceptions.ServiceUnavailable)
    assert isinstance(outcomes[4], exceptions.AuthenticationFailed)
    tenants = [clients.boto3_client(deployment.endpoint, creds.access, creds.secret)
               for creds in deployment.credentials[:2]]
    mine, theirs = (_statistics(tenant, namespace, stamp) for tenant in tenants)
    assert (mine['SampleCount'], mine['Sum']) == (1.0, 1.0)
    # Only the good item of the other project: nothing of the refused one.
    assert (theirs['SampleCount'], theirs['Sum']) == (1.0, 2.0)


def test_concurrent_puts_through_the_coalescing_client_fail_only_the_bad_one(
        lenient, engine_client):
    deployment = lenient
    stamp = _stamp()
    stamp_ms = int(stamp.timestamp() * 1000)
    namespace = 'Integration/Coalesce/%s' % uuid.uuid4().hex[:8]
    projects = [creds.project_id for creds in deployment.credentials[:2]]
    start = threading.Barrier(12)

    def put(index: int):
        ctxt = context.RequestContext(project_id=projects[index % 2])
        metrics = _metrics(float(index), stamp_ms, sample_count=None if index == 5 else 1.0)
        start.wait()
        try:
            engine_client.put_metric_data(ctxt, namespace, metrics)
        except exceptions.HeatWatchError as error:
            return error
        return None

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(put, range(12)))
    assert [i for i, outcome in enumerate(outcomes) if outcome is not None] == [5]
    assert isinstance(outcomes[5], exceptions.ServiceUnavailable)
    tenants = [clients.boto3_client(deployment.endpoint, creds.access, creds.secret)
               for creds in deployment.credentials[:2]]
    even, odd = (_statistics(tenant, namespace, stamp) for tenant in tenants)
    assert (even['SampleCount'], even['Sum']) == (6.0, float(sum(range(0, 12, 2))))
    assert (odd['SampleCount'], odd['Sum']) == (5.0, float(sum(range(1, 12, 2)) - 5))


def _stored_values(deployment, namespace: str) -> list[float]:
    engine = sa.create_engine(deployment.backend.url(deployment.database))
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(sa.text(
                'SELECT d.sum FROM datapoints d JOIN metrics m ON m.id = d.metric_id '
                'WHERE m.namespace = :namespace'), {'namespace': namespace})]
    finally:
        engine.dispose()


def test_every_request_answered_200_is_committed_after_kill_9_of_an_engine(lenient):
    # Last in the module: it kills one of the two engines.
    deployment = lenient
    stamp = _stamp()
    namespace = 'Integration/Coalesce/Crash/%s' % uuid.uuid4().hex[:8]
    creds = deployment.credentials[0]
    acknowledged: list[float] = []
    failed: list[float] = []
    lock = threading.Lock()
    counter = iter(range(10**6))
    stop = threading.Event()

    def load() -> None:
        client = clients.boto3_client(deployment.endpoint, creds.access, creds.secret)
        while not stop.is_set():
            with lock:
                value = float(next(counter))
            try:
                client.put_metric_data(Namespace=namespace, MetricData=[
                    {'MetricName': 'm', 'Value': value, 'Timestamp': stamp}])
            except Exception:
                with lock:
                    failed.append(value)
            else:
                with lock:
                    acknowledged.append(value)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    before_kill = len(acknowledged)
    deployment.daemon('engine-1').process.kill()  # SIGKILL, mid-load
    time.sleep(2.0)
    stop.set()
    for thread in threads:
        thread.join(base.RPC_TIMEOUT + 15)
    assert before_kill > 0
    # The other engine kept serving after the kill.
    assert len(acknowledged) > before_kill
    stored = set(_stored_values(deployment, namespace))
    lost = [value for value in acknowledged if value not in stored]
    assert lost == [], '%d acknowledged datapoints lost' % len(lost)
