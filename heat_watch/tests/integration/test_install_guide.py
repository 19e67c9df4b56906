"""install.rst followed in order, on the machine's MariaDB or PostgreSQL and
RabbitMQ: its SQL and rabbitmqctl steps as written, its configuration as
written, then db_sync, key-create, and the daemons serve.

Only what differs from the guide's hosts is replaced: the names heat_watch
and SECRET by names and a password of this run, the hosts (rabbit-host,
db-host, redis-host, keystone-host) by the machine's services; a second
configuration file gives the state directory, the API's port and the key
file's place, as a deployment's own paths would.
"""

import datetime
import json
import os
import re
import secrets
import shutil
import subprocess
import uuid

import pytest
import requests

from heat_watch.tests import clients, doc_snippets
from heat_watch.tests.integration import base


def _substitute(text: str, run: dict) -> str:
    text = text.replace('SECRET', run['password'])
    text = re.sub(r'\bheat_watch\b(?!/)', run['name'], text)  # not /etc/heat_watch/
    text = text.replace('rabbit-host:5672', '127.0.0.1:5672')
    text = text.replace('db-host', '%s:%d' % (run['backend'].host, run['backend'].port))
    text = text.replace('redis://redis-host:6379',
                        'redis://127.0.0.1:6379?namespace=%s' % run['name'])
    return text.replace('keystone-host', '127.0.0.1')


def _sql_statements(text: str) -> list[str]:
    return [s.strip() for s in text.split(';') if s.strip()]


def _rabbitmqctl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(['rabbitmqctl', *args], capture_output=True, text=True, timeout=60)


# Each configuration snippet of the guide, and the database it is written for.
VARIANTS = {'production': 'mariadb', 'production-postgresql': 'postgresql',
            'production-keystone': 'mariadb'}


@pytest.fixture
def provisioned(request, rabbit_url, tmp_path):
    """The guide's steps 1 and 2 with this run's names, for the snippet
    ``request.param``; undone afterwards."""
    backend = base.BACKENDS[VARIANTS[request.param]]
    backend.require()
    if shutil.which('rabbitmqctl') is None or _rabbitmqctl('status').returncode:
        base.unavailable('rabbitmqctl cannot manage the RabbitMQ at %s (root on its node '
                         'is needed to create a user and a vhost)' % rabbit_url)
    run = {'name': base.unique_name('guide'), 'password': secrets.token_hex(12),
           'backend': backend, 'workdir': tmp_path, 'snippet': request.param}
    sql = doc_snippets.by_name(backend.name).text
    try:
        for statement in _sql_statements(_substitute(sql, run)):
            backend.admin(lambda cursor, s=statement: cursor.execute(s))
        for line in _substitute(doc_snippets.by_name('rabbitmq').text, run).splitlines():
            argv = [a.strip('"') for a in line.split()]
            assert argv[0] == 'rabbitmqctl'
            done = _rabbitmqctl(*argv[1:])
            assert done.returncode == 0, done.stderr
        yield run
    finally:
        _rabbitmqctl('delete_vhost', run['name'])
        _rabbitmqctl('delete_user', run['name'])
        backend.drop(run['name'])
        user = run['name']
        if backend.name == 'mariadb':
            backend.admin(lambda c: c.execute("DROP USER IF EXISTS '%s'@'%%'" % user))
        else:
            backend.admin(lambda c: c.execute('DROP ROLE IF EXISTS "%s"' % user))


def _write_configs(run: dict, snippet_name: str) -> tuple[list[str], int]:
    workdir = run['workdir']
    paths = []
    for i, text in enumerate(doc_snippets.config_texts(doc_snippets.by_name(snippet_name))):
        path = workdir / ('heat_watch-%d.conf' % i)
        path.write_text(_substitute(text, run))
        paths.append(str(path))
    port = base.free_port()
    local = workdir / 'local.conf'
    local.write_text(base.render_config({
        'DEFAULT': {'state_path': str(workdir / 'state')},
        'cloudwatch_api': {'bind_port': port},
        'credentials': {'encryption_key_file': str(workdir / 'credential.key')}}))
    return paths + [str(local)], port


def _manage(configs: list[str], *args: str) -> subprocess.CompletedProcess:
    argv = [os.path.join(base.BIN, 'heat-watch-manage')]
    for path in configs:
        argv += ['--config-file', path]
    done = subprocess.run(argv + list(args), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert 'Traceback' not in done.stderr
    return done


def _start(configs, workdir, script: str, ready: str) -> base.Daemon:
    daemon = base.Daemon(script, script, configs, str(workdir / ('%s.log' % script)))
    daemon.wait_for_output(ready)
    return daemon


def _stop(daemons: list[base.Daemon]) -> None:
    problems = base.stop_all(daemons)
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('provisioned', ['production', 'production-postgresql'],
                         indirect=True)
def test_install_guide_in_order_serves_metrics(provisioned):
    run = provisioned
    configs, port = _write_configs(run, run['snippet'])
    # Step 4: the schema, then the key, each as the guide writes it.
    assert _manage(configs, 'db_sync').stdout.startswith('watch database at revision')
    _manage(configs, 'credentials', 'key-create')
    assert os.path.exists(run['workdir'] / 'credential.key')

    # Step 5: the daemons.
    daemons = []
    try:
        daemons.append(_start(configs, run['workdir'], 'heat-watch-engine',
                              r'Watch engine engine-1 listening on topic'))
        daemons.append(_start(configs, run['workdir'], 'heat-watch-notifier',
                              r'Notifier \S+ listening for alarm actions'))
        daemons.append(_start(configs, run['workdir'], 'heat-watch-api-cloudwatch',
                              r'serving on http://0\.0\.0\.0:%d' % port))
        creds = json.loads(
            _manage(configs, 'credentials', 'create', '--project-id', 'guide').stdout)
        client = clients.boto3_client('http://127.0.0.1:%d/v1' % port, creds['access'],
                                      creds['secret'])
        stamp = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=2)
        namespace = 'Guide/%s' % uuid.uuid4().hex[:8]
        client.put_metric_data(Namespace=namespace, MetricData=[
            {'MetricName': 'cpu', 'Value': 42.0, 'Timestamp': stamp, 'Unit': 'Percent'}])
        [point] = client.get_metric_statistics(
            Namespace=namespace, MetricName='cpu', Period=300, Statistics=['Maximum'],
            StartTime=stamp - datetime.timedelta(minutes=5),
            EndTime=stamp + datetime.timedelta(minutes=5))['Datapoints']
        assert (point['Maximum'], point['Unit']) == (42.0, 'Percent')
    finally:
        _stop(daemons)


@pytest.mark.parametrize('provisioned', ['production-keystone'], indirect=True)
def test_keystone_variant_starts_the_api(provisioned):
    run = provisioned
    configs, port = _write_configs(run, run['snippet'])
    _manage(configs, 'db_sync')
    daemons = []
    try:
        daemons.append(_start(configs, run['workdir'], 'heat-watch-api-cloudwatch',
                              r'serving on http://0\.0\.0\.0:%d' % port))
        answer = requests.get('http://127.0.0.1:%d/v1' % port, timeout=10)
        # Unsigned: refused in CloudWatch's format, by the Keystone backend's API.
        assert answer.status_code in (400, 403)
        assert 'MissingAuthenticationToken' in answer.text
    finally:
        _stop(daemons)
