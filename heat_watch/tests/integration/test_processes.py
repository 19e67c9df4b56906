"""The daemons as processes, on both databases: each stops cleanly on SIGTERM
and on SIGINT (status 0, no traceback) after having served requests, and
heat-watch-manage's schema commands are idempotent."""

import datetime
import signal
import uuid

import pytest

from heat_watch.tests import clients
from heat_watch.tests.integration import base

SCRIPTS = {'engine': 'heat-watch-engine', 'api': 'heat-watch-api-cloudwatch',
           'notifier': 'heat-watch-notifier'}
SIGNALS = {'SIGTERM': signal.SIGTERM, 'SIGINT': signal.SIGINT}


@pytest.fixture(scope='module')
def stopped(backend, rabbit_url, tmp_path_factory):
    """Every daemon twice (one per signal), all serving, then all signalled
    at once; each test checks how one of them ended."""
    workdir = str(tmp_path_factory.mktemp('processes-%s' % backend.name))
    deployment = base.Deployment(backend, workdir, 'processes')
    try:
        deployment.create_database()
        deployment.write_config()
        deployment.manage('db_sync')
        creds = deployment.create_credentials('project-%s' % uuid.uuid4().hex[:8])
        daemons, api_ports = {}, {}
        for kind in ('engine', 'notifier'):
            for sig in SIGNALS:
                daemons[kind, sig] = deployment.spawn('%s-%s' % (kind, sig), SCRIPTS[kind])
        for sig in SIGNALS:
            api_ports[sig] = base.free_port()
            daemons['api', sig] = deployment.spawn(
                'api-%s' % sig, SCRIPTS['api'],
                {'cloudwatch_api': {'bind_port': api_ports[sig]}})
        for sig in SIGNALS:
            deployment.wait_engine(daemons['engine', sig])
            deployment.wait_notifier(daemons['notifier', sig])
            deployment.wait_api(daemons['api', sig], api_ports[sig])

        # Some work first: each API puts data, through one engine or the other.
        stamp = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
        namespace = 'Integration/Processes/%s' % uuid.uuid4().hex[:8]
        for port in api_ports.values():
            client = clients.boto3_client('http://127.0.0.1:%d/v1' % port, creds.access,
                                          creds.secret)
            for i in range(4):
                client.put_metric_data(Namespace=namespace, MetricData=[
                    {'MetricName': 'm', 'Value': float(i), 'Timestamp': stamp}])
        [point] = client.get_metric_statistics(
            Namespace=namespace, MetricName='m', StartTime=stamp - datetime.timedelta(
                minutes=1), EndTime=stamp + datetime.timedelta(minutes=1), Period=120,
            Statistics=['SampleCount'])['Datapoints']
        assert point['SampleCount'] == 8.0

        for (_kind, sig), daemon in daemons.items():
            daemon.signal(SIGNALS[sig])
        yield daemons
    finally:
        deployment.teardown()


@pytest.mark.parametrize('sig', sorted(SIGNALS))
@pytest.mark.parametrize('kind', sorted(SCRIPTS))
def test_daemon_stops_cleanly_on_signal(stopped, kind, sig):
    daemon = stopped[kind, sig]
    returncode = daemon.wait(base.STOP_TIMEOUT)
    output = daemon.output()
    assert returncode is not None, '%s still runs %ss after %s:\n%s' % (
        daemon.name, base.STOP_TIMEOUT, sig, daemon.tail())
    assert returncode == 0, daemon.tail()
    assert 'Traceback' not in output, daemon.tail()
    assert 'Caught %s, stopping' % sig in output
    assert output.rstrip().endswith('Stopped'), daemon.tail()


@pytest.fixture(scope='module')
def empty_database(backend, tmp_path_factory):
    """A configuration pointing at a new, empty database."""
    workdir = str(tmp_path_factory.mktemp('manage-%s' % backend.name))
    deployment = base.Deployment(backend, workdir, 'manage')
    try:
        deployment.create_database()
        deployment.write_config()
        yield deployment
    finally:
        deployment.drop_database()


def test_db_sync_is_idempotent_and_db_version_prints_the_head(empty_database):
    deployment = empty_database
    head = base.head_revision()
    assert 'watch database: empty' in deployment.manage('db_version').stdout.splitlines()

    first = deployment.manage('db_sync')
    tables = deployment.backend.tables(deployment.database)
    second = deployment.manage('db_sync')

    for done in (first, second):
        assert done.returncode == 0
        assert 'watch database at revision %s' % head in done.stdout.splitlines()
        assert 'Traceback' not in done.stderr
    assert 'alembic_version' in tables
    assert len(tables) > 1
    assert deployment.backend.tables(deployment.database) == tables
    assert 'watch database: %s' % head in deployment.manage('db_version').stdout.splitlines()
