"""heat-cfntools 2.0's real ``cfn-push-stats`` against the CloudWatch API.

The unmodified script runs in a private network namespace where its
hard-coded 127.0.0.1:8003 leads to the test's deployment (see cfn_agent).
Its ``--heartbeat``, ``--service-failure`` and ``--haproxy`` send the unit
``Counter``, which AWS does not know: heat_watch stores such a datum as
``Count``. Its memory and swap options call psutil functions removed in
psutil 3 (``phymem_usage``, ``virtmem_usage``) and crash inside the agent on
any current psutil; the other options run.
"""

import datetime
import os
import shutil
import subprocess
import sys
import uuid

import pytest

from heat_watch.tests.functional import cfn_agent, support
from heat_watch.tests.integration import base

HOUR = datetime.timedelta(hours=1)
# What Heat writes to /var/lib/heat-cfntools/cfn-boto-cfg on an instance.
BOTO_CFG = """[Boto]
debug = 0
is_secure = 0
https_validate_certificates = 1
cfn_region_name = heat
cfn_region_endpoint = 127.0.0.1
cloudwatch_region_name = heat
cloudwatch_region_endpoint = 127.0.0.1
"""


def _namespaces_usable() -> str | None:
    if shutil.which('unshare') is None:
        return 'unshare (util-linux) is not installed'
    done = subprocess.run(['unshare', '-rn', 'true'], capture_output=True, text=True)
    if done.returncode:
        return 'cannot make a network namespace: %s' % done.stderr.strip()
    return None


@pytest.fixture(scope='module')
def agent(deployment, tmp_path_factory):
    """Runs cfn-push-stats with the credentials of a project of its own."""
    reason = _namespaces_usable()
    if reason:
        base.unavailable('cfn-push-stats needs port 8003 in a network namespace: ' + reason)
    script = shutil.which('cfn-push-stats', path=os.path.dirname(sys.executable))
    assert script, 'heat-cfntools is a test requirement: pip install -e .[test]'
    workdir = tmp_path_factory.mktemp('cfn-push-stats')
    creds = deployment.credentials('project-cfn-%s' % uuid.uuid4().hex[:8])
    credential_file = workdir / 'cfn-credentials'
    credential_file.write_text('AWSAccessKeyId=%s\nAWSSecretKey=%s\n' % (
        creds['access'], creds['secret']))
    boto_cfg = workdir / 'cfn-boto-cfg'
    boto_cfg.write_text(BOTO_CFG)
    bridge = cfn_agent.UnixToTcp(str(workdir / 'cloudwatch.sock'), deployment.api.port)

    def run(*args: str) -> subprocess.CompletedProcess:
        argv = ['unshare', '-rn', sys.executable, '-m', 'heat_watch.tests.functional.cfn_agent',
                bridge.server_address, str(boto_cfg), script,
                '--credential-file', str(credential_file), *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)

    run.client = support.lenient_json_client(deployment.endpoint, creds['access'],
                                             creds['secret'])
    try:
        yield run
    finally:
        bridge.close()


def _only_point(client, namespace: str, name: str, watch: str, **extra) -> dict:
    [point] = support.statistics(
        client, namespace, name, support.now() - HOUR, support.now() + HOUR, period=7200,
        dimensions=[{'Name': 'AlarmName', 'Value': watch}], **extra)
    return point


def _ran(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, done.stderr
    assert 'Traceback' not in done.stderr, done.stderr


def test_heartbeat_and_service_failure_counters_are_stored_as_count(agent):
    watch = 'web-%s' % uuid.uuid4().hex[:8]
    _ran(agent('--heartbeat', '--service-failure', '--watch', watch))

    for name in ('Heartbeat', 'ServiceFailure'):
        point = _only_point(agent.client, 'system/linux', name, watch)
        assert (point['SampleCount'], point['Sum'], point['Unit']) == (1.0, 1.0, 'Count')
        # A filter on heat-cfntools' name reads the same datapoints.
        assert _only_point(agent.client, 'system/linux', name, watch,
                           Unit='Counter')['Sum'] == 1.0


def test_haproxy_counts_and_latency_are_stored(agent):
    if shutil.which('socat') is None:
        base.unavailable('cfn-push-stats --haproxy runs socat, which is not installed')
    watch = 'lb-%s' % uuid.uuid4().hex[:8]
    # No HAProxy answers on its stats socket here: the agent reports zero
    # hosts and zero latency, with the units it always sends.
    _ran(agent('--haproxy', '--watch', watch))

    for name, unit in (('HealthyHostCount', 'Count'), ('UnHealthyHostCount', 'Count'),
                       ('Latency', 'Seconds')):
        point = _only_point(agent.client, 'AWS/ELB', name, watch)
        assert (point['SampleCount'], point['Sum'], point['Unit']) == (1.0, 0.0, unit)


def test_cpu_and_disk_options_are_stored_with_aws_units(agent):
    watch = 'host-%s' % uuid.uuid4().hex[:8]
    _ran(agent('--cpu-util', '--disk-space-util', '--disk-space-used', '--watch', watch))

    for name in ('CPUUtilization', 'DiskSpaceUtilization'):
        point = _only_point(agent.client, 'system/linux', name, watch)
        assert point['Unit'] == 'Percent' and 0.0 <= point['Maximum'] <= 100.0
    # --disk-units defaults to 'megabytes', lower case.
    used = _only_point(agent.client, 'system/linux', 'DiskSpaceUsed', watch)
    assert used['Unit'] == 'Megabytes' and used['Maximum'] > 0.0


def test_user_metric_with_counter_unit_is_stored_as_count(agent):
    watch = 'app-%s' % uuid.uuid4().hex[:8]
    _ran(agent('--metric', 'Requests', '--units', 'Counter', '--value', '7',
               '--watch', watch))

    point = _only_point(agent.client, 'system/linux', 'Requests', watch, Unit='Count')
    assert (point['Sum'], point['Unit']) == (7.0, 'Count')


@pytest.mark.parametrize('option,function', [('--mem-util', 'phymem_usage'),
                                             ('--swap-util', 'virtmem_usage')])
def test_memory_options_crash_in_the_agent_on_current_psutil(agent, option, function):
    # Not heat_watch's doing: the agent calls a psutil function removed in
    # psutil 3, before it sends anything. The day a heat-cfntools release
    # fixes it, this fails and the option joins the tests above.
    watch = 'mem-%s' % uuid.uuid4().hex[:8]
    done = agent(option, '--watch', watch)
    assert done.returncode != 0
    assert "has no attribute '%s'" % function in done.stderr
    listed = agent.client.list_metrics(
        Namespace='system/linux', Dimensions=[{'Name': 'AlarmName', 'Value': watch}])
    assert listed['Metrics'] == []
