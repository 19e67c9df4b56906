"""heat-watch-all as the README starts it: its banner's manage command, run
exactly as printed, makes credentials that work against its API."""

import json
import os
import shlex
import signal
import subprocess
import time

import pytest

from heat_watch.tests import clients
from heat_watch.tests.functional.cmd import support


@pytest.fixture
def all_in_one(tmp_path):
    state = tmp_path / 'state'
    # No configuration file, as in the README: the port comes from oslo.config's
    # environment source so that the test needs neither port 8003 nor 8004.
    env = dict(os.environ, HOME=str(tmp_path), OS_CLOUDWATCH_API__BIND_PORT='0',
               OS_API__BIND_PORT='0', OS_CLOUDWATCH_API__BIND_HOST='127.0.0.1')
    process = subprocess.Popen([os.path.join(support.BIN, 'heat-watch-all'), '--state_path',
                                str(state)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env, stdin=subprocess.DEVNULL)
    lines = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip('\n'))
            if line.startswith('Stop with'):
                break
        assert lines and lines[-1].startswith('Stop with'), '\n'.join(lines)
        yield state, lines
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def test_banner_command_is_the_full_path_of_manage_and_works_as_printed(all_in_one, tmp_path):
    state, lines = all_in_one
    [command] = [line.strip() for line in lines if 'credentials create' in line]
    argv = shlex.split(command)
    assert argv[0] == os.path.join(support.BIN, 'heat-watch-manage')
    assert argv[1:3] == ['--state_path', str(state)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, HOME=str(tmp_path)))
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    [endpoint] = [line.split(': ', 1)[1] for line in lines if 'CloudWatch API' in line]
    client = clients.boto3_client(endpoint, created['access'], created['secret'])
    client.put_metric_data(Namespace='Demo', MetricData=[{'MetricName': 'cpu', 'Value': 42.0}])
    assert [m['MetricName'] for m in client.list_metrics(Namespace='Demo')['Metrics']] == ['cpu']
