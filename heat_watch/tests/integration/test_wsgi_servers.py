"""heat_watch.wsgi.api_cloudwatch:application served by real WSGI servers
(uwsgi, gunicorn, granian: each with two worker processes), over RabbitMQ to
a heat-watch-engine on PostgreSQL, used through boto3."""

import contextlib
import datetime
import os
import signal
import subprocess
import time
import uuid

import pytest
import requests

from heat_watch.tests import clients
from heat_watch.tests.integration import base

MODULE = 'heat_watch.wsgi.api_cloudwatch'


def _command(server: str, port: int) -> list[str]:
    bind = '127.0.0.1:%d' % port
    if server == 'uwsgi':
        return [os.path.join(base.BIN, 'uwsgi'), '--http-socket', bind, '--master',
                '--processes', '2', '--threads', '4', '--die-on-term', '--need-app',
                '--module', MODULE + ':application']
    if server == 'gunicorn':
        return [os.path.join(base.BIN, 'gunicorn'), '--bind', bind, '--workers', '2',
                '--threads', '4', MODULE + ':application']
    return [os.path.join(base.BIN, 'granian'), '--interface', 'wsgi', '--host', '127.0.0.1',
            '--port', str(port), '--workers', '2', '--blocking-threads', '4',
            MODULE + ':application']


@pytest.fixture(scope='module')
def engine(rabbit_url, tmp_path_factory):
    """A watch engine on PostgreSQL listening on RabbitMQ, and one key pair."""
    backend = base.BACKENDS['postgresql']
    backend.require()
    deployment = base.Deployment(backend, str(tmp_path_factory.mktemp('wsgi-servers')),
                                 'wsgi')
    try:
        deployment.create_database()
        deployment.write_config()
        deployment.manage('db_sync')
        deployment.credentials = [deployment.create_credentials(
            'project-%s' % uuid.uuid4().hex[:8])]
        deployment.wait_engine(deployment.start_engine())
    except BaseException:
        deployment.teardown()
        raise
    yield deployment
    problems = deployment.teardown()
    assert not problems, problems


@pytest.fixture(params=['uwsgi', 'gunicorn', 'granian'])
def served(request, engine):
    """The WSGI module under one server; its endpoint."""
    port = base.free_port()
    log_path = os.path.join(engine.workdir, '%s.log' % request.param)
    env = dict(os.environ, HEAT_WATCH_CONFIG_FILES=engine.config_path)
    with open(log_path, 'ab') as log:
        process = subprocess.Popen(_command(request.param, port), stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=env, start_new_session=True)
    root = 'http://127.0.0.1:%d' % port
    try:
        base.wait_until(lambda: _healthy(root, process), base.START_TIMEOUT,
                        message='%s serving on %d' % (request.param, port))
        yield root
    finally:
        _stop_group(process)
    with open(log_path, errors='replace') as log:
        assert 'Traceback' not in log.read()


def _stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the server and its workers (its own session), then
    SIGKILL to whatever of the group outlives the grace time."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(base.STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pass
    deadline = time.monotonic() + 5.0
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _healthy(root: str, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise AssertionError('the server exited with %s' % process.returncode)
    try:
        return requests.get(root + '/healthcheck', timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_a_metric_put_through_the_wsgi_module_is_read_back(engine, served):
    creds = engine.credentials[0]
    client = clients.boto3_client(served + '/v1', creds.access, creds.secret)
    namespace = 'Integration/WSGI/%s' % uuid.uuid4().hex[:8]
    stamp = datetime.datetime.now(datetime.UTC).replace(microsecond=0) - datetime.timedelta(
        minutes=2)

    # Several requests, so that both workers are likely to answer some.
    for value in (1.0, 2.0, 3.0, 4.0):
        answer = client.put_metric_data(Namespace=namespace, MetricData=[
            {'MetricName': 'latency', 'Value': value, 'Timestamp': stamp}])
        headers = answer['ResponseMetadata']['HTTPHeaders']
        assert headers['x-amzn-requestid'] == headers['x-openstack-request-id']

    [point] = client.get_metric_statistics(
        Namespace=namespace, MetricName='latency', StartTime=stamp - datetime.timedelta(
            minutes=1), EndTime=stamp + datetime.timedelta(minutes=1), Period=120,
        Statistics=['Sum', 'SampleCount'])['Datapoints']
    assert (point['Sum'], point['SampleCount']) == (10.0, 4.0)
    assert [m['MetricName'] for m in client.list_metrics(Namespace=namespace)['Metrics']] == [
        'latency']


def test_an_unsigned_request_is_refused_in_the_aws_format(served):
    answer = requests.post(served + '/v1', data={'Action': 'ListMetrics'}, timeout=10)

    assert answer.status_code in (400, 403)
    assert 'MissingAuthenticationToken' in answer.text
