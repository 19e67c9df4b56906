"""Instance credentials on heat-watch-all with the local compute driver: the
stack's key reaches each instance with its endpoints, pushes that project's
metrics and reads and signals that stack only, and dies with the stack."""

import configparser
import os
import stat
import time
import urllib.parse
import uuid

import botocore.exceptions
import pytest
import requests

from heat_watch.agents import client as agent_client
from heat_watch.agents import config as agent_config
from heat_watch.common import context
from heat_watch.identity import signing
from heat_watch.tests import clients
from heat_watch.tests.functional.agents import support as agents
from heat_watch.tests.functional.orchestration import support

SLEEPER = '#!/bin/sh\nexec sleep 600\n'


def _template(version: str = '1') -> dict:
    return {
        'AWSTemplateFormatVersion': '2010-09-09',
        'Resources': {
            'server': {'Type': 'AWS::EC2::Instance',
                       'Metadata': {'app': {'version': version}, 'other': 'same'},
                       'Properties': {'ImageId': 'cirros', 'InstanceType': 'm1.tiny',
                                      'UserData': SLEEPER}},
            'config': {'Type': 'AWS::AutoScaling::LaunchConfiguration',
                       'Properties': {'ImageId': 'cirros', 'InstanceType': 'm1.tiny',
                                      'UserData': SLEEPER}},
            'group': {'Type': 'AWS::AutoScaling::AutoScalingGroup',
                      'Properties': {'LaunchConfigurationName': {'Ref': 'config'},
                                     'MinSize': 1, 'MaxSize': 2, 'Cooldown': 0}},
            'up': {'Type': 'AWS::AutoScaling::ScalingPolicy',
                   'Properties': {'AutoScalingGroupName': {'Ref': 'group'},
                                  'AdjustmentType': 'ChangeInCapacity',
                                  'ScalingAdjustment': 1}}},
        'Outputs': {'size': {'Value': {'Fn::GetAtt': ['group', 'CurrentSize']}},
                    'group_name': {'Value': {'Ref': 'group'}},
                    'up_url': {'Value': {'Fn::GetAtt': ['up', 'AlarmUrl']}}}}


@pytest.fixture(scope='module')
def running(tmp_path_factory):
    with agents.local_deployment(str(tmp_path_factory.mktemp('agents-state'))) as dep:
        yield dep


class _Stack:
    def __init__(self, running, name: str = 'creds'):
        self.running = running
        self.project = 'agents-%s' % uuid.uuid4().hex[:8]
        self.ctxt = context.RequestContext(project_id=self.project, user_id='u')
        self.client = running.orchestrator_client()
        self.name = name
        self.id = support.created_stack(self.client, self.ctxt, name, _template())['id']

    def physical(self, resource: str) -> str:
        return self.client.show_resource(self.ctxt, self.id,
                                         resource)['physical_resource_id']

    def output(self, key: str):
        return self.client.show_output(self.ctxt, self.id, key)['output_value']

    def server_dir(self) -> str:
        return agents.server_dir(self.running, self.physical('server'))

    def keys(self) -> tuple[str, str]:
        return agent_config.read_credentials(os.path.join(self.server_dir(),
                                                          'cfn-credentials'))

    def settings(self) -> agent_config.AgentConfig:
        return agent_config.load(self.server_dir())

    def delete(self) -> None:
        self.client.delete_stack(self.ctxt, self.id)
        support.wait_for(lambda: self.client.show_stack(
            self.ctxt, self.id)['stack_status'] in ('DELETE_COMPLETE', 'DELETE_FAILED'))
        shown = self.client.show_stack(self.ctxt, self.id)
        assert shown['stack_status'] == 'DELETE_COMPLETE', shown['stack_status_reason']


@pytest.fixture(scope='module')
def stack(running):
    return _Stack(running)


def test_each_instance_gets_the_stack_key_and_its_endpoints(running, stack):
    directory = stack.server_dir()
    secret_file = os.path.join(directory, 'cfn-credentials')
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    access, secret = stack.keys()
    assert len(access) >= 16 and len(secret) >= 16
    settings = stack.settings()
    assert settings.stack == stack.id
    assert settings.credential_file == secret_file
    assert settings.cloudwatch_endpoint == running.endpoint
    assert settings.instance_id == stack.physical('server')
    assert settings.cpu_scope == 'session'
    assert settings.metadata_url == '%s/v1/%s/stacks/creds/%s/resources/server/metadata' % (
        running.rest_endpoint, stack.project, stack.id)
    # The group's members get the same key, and their group's name.
    group = stack.client.show_resource(stack.ctxt, stack.id, 'group')
    member_dirs = [d for d in os.listdir(os.path.join(running.conf.state_path, 'servers'))
                   if d != stack.physical('server') and group['physical_resource_id'] in
                   open(os.path.join(running.conf.state_path, 'servers', d,
                                     'metadata.json')).read()]
    assert len(member_dirs) == 1
    member = agent_config.load(agents.server_dir(running, member_dirs[0]))
    assert member.autoscaling_group == group['physical_resource_id']
    assert agent_config.read_credentials(member.credential_file) == (access, secret)


def test_the_instance_key_pushes_metrics_of_its_project_and_nothing_else(running, stack):
    result = agents.run_agent('push-stats', '--mem-util', '--heartbeat', '--cpu-util',
                              cfn_dir=stack.server_dir())
    assert result.returncode == 0, result.stderr
    project = running.credentials(stack.project)
    cloudwatch = clients.boto3_client(running.endpoint, project['access'], project['secret'])
    metrics = cloudwatch.list_metrics(Namespace='system/linux')['Metrics']
    names = {m['MetricName'] for m in metrics}
    assert {'MemoryUtilization', 'Heartbeat', 'CPUUtilization'} <= names
    dims = {tuple((d['Name'], d['Value']) for d in m['Dimensions']) for m in metrics}
    assert (('InstanceId', stack.physical('server')),) in dims
    access, secret = stack.keys()
    instance = clients.boto3_client(running.endpoint, access, secret)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        instance.describe_alarms()
    assert raised.value.response['Error']['Code'] == 'AccessDenied'


def _signed_get(url: str, access: str, secret: str) -> requests.Response:
    return requests.get(signing.presign_url('GET', url, access, secret), timeout=10)


def test_metadata_reads_with_the_key_and_updates_are_seen(running):
    stack = _Stack(running, 'metadata')
    access, secret = stack.keys()
    url = stack.settings().metadata_url
    assert agent_client.get_metadata(url, access, secret) == {'app': {'version': '1'},
                                                              'other': 'same'}
    stack.client.update_stack(stack.ctxt, stack.id, template=_template(version='2'))
    support.wait_for(lambda: agent_client.get_metadata(url, access, secret)['app'] ==
                     {'version': '2'}, timeout=60)


def test_metadata_of_another_stack_unsigned_or_stale_is_refused(running, stack):
    other = _Stack(running, 'other')
    access, secret = stack.keys()
    own = stack.settings().metadata_url
    foreign = other.settings().metadata_url
    assert _signed_get(own, access, secret).status_code == 200
    assert _signed_get(foreign, access, secret).status_code == 403
    assert requests.get(own + '?AWSAccessKeyId=%s&Signature=x&SignatureVersion=2' % access,
                        timeout=10).status_code == 403
    # A signed GET is good for the clock skew only: a replay later is refused.
    import datetime
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    stale = signing.presign_url('GET', own, access, secret, now=old)
    assert requests.get(stale, timeout=10).status_code == 403
    # Reading is not signalling: the same key cannot POST the metadata route.
    posted = requests.post(signing.presign_url('POST', own, access, secret), timeout=10)
    assert posted.status_code == 405


def test_the_instance_key_signals_its_own_stack_only(running, stack):
    access, secret = stack.keys()
    policy_url = urllib.parse.urlsplit(stack.output('up_url'))
    unsigned = urllib.parse.urlunsplit(policy_url._replace(query=''))
    other = _Stack(running, 'foreign')
    foreign = urllib.parse.urlunsplit(urllib.parse.urlsplit(other.output('up_url'))
                                      ._replace(query=''))
    refused = requests.post(signing.presign_url('POST', foreign, access, secret), json={},
                            timeout=10)
    assert refused.status_code == 403
    assert other.output('size') == 1
    result = agents.run_agent('signal', '-r', 'from the instance',
                              signing.presign_url('POST', unsigned, access, secret))
    assert result.returncode == 0, result.stderr
    support.wait_for(lambda: stack.output('size') == 2, timeout=60)


def test_after_delete_the_instance_key_no_longer_authenticates(running):
    stack = _Stack(running, 'doomed')
    directory = stack.server_dir()
    access, secret = stack.keys()
    url = stack.settings().metadata_url
    kept = str(directory) + '.kept'
    os.makedirs(kept)
    for name in ('cfn-credentials', 'cfn-hup.conf'):
        with open(os.path.join(directory, name)) as source, \
                open(os.path.join(kept, name), 'w') as copy:
            copy.write(source.read().replace(directory, kept))
    assert agents.run_agent('push-stats', '--heartbeat', cfn_dir=kept).returncode == 0
    stack.delete()
    assert not os.path.exists(directory)
    assert _signed_get(url, access, secret).status_code == 403
    time.sleep(1.5)  # the CloudWatch API's credential cache (1 s here)
    result = agents.run_agent('push-stats', '--heartbeat', cfn_dir=kept)
    assert result.returncode == 1
    assert 'InvalidClientTokenId' in result.stderr
    parser = configparser.ConfigParser()
    parser.read(os.path.join(kept, 'cfn-hup.conf'))
    assert parser['main']['stack'] == stack.id


def test_hup_runs_its_hook_when_the_metadata_it_watches_changes(running):
    stack = _Stack(running, 'hup')
    directory = stack.server_dir()
    log = os.path.join(directory, 'hook.log')
    with open(os.path.join(directory, 'hooks.conf'), 'w') as hooks:
        hooks.write('[app-changed]\ntriggers=post.update\n'
                    'path=Resources.server.Metadata.app\n'
                    'action=echo "$(date +%%s) app" >> %s\n\n'
                    '[other-changed]\ntriggers=post.add,post.update,post.remove\n'
                    'path=Resources.server.Metadata.other\naction=echo other >> %s\n'
                    % (log, log))
    # The first poll records what it sees and fires nothing.
    first = agents.run_agent('hup', '--once', cfn_dir=directory)
    assert first.returncode == 0, first.stderr
    assert not os.path.exists(log)
    again = agents.run_agent('hup', '--once', cfn_dir=directory)
    assert again.returncode == 0 and not os.path.exists(log)
    stack.client.update_stack(stack.ctxt, stack.id, template=_template(version='2'))
    access, secret = stack.keys()
    support.wait_for(lambda: agent_client.get_metadata(
        stack.settings().metadata_url, access, secret)['app'] == {'version': '2'}, timeout=60)
    changed = agents.run_agent('hup', '--once', cfn_dir=directory)
    assert changed.returncode == 0, changed.stderr
    with open(log) as fired:
        lines = fired.read().splitlines()
    # Only the hook whose path changed ran, once.
    assert len(lines) == 1 and lines[0].endswith(' app'), lines


def test_hup_with_a_bad_hook_or_a_revoked_key_says_why(running):
    stack = _Stack(running, 'hup-bad')
    directory = stack.server_dir()
    with open(os.path.join(directory, 'hooks.conf'), 'w') as hooks:
        hooks.write('[bad]\npath=Outputs.x\naction=true\n')
    result = agents.run_agent('hup', '--once', cfn_dir=directory)
    assert result.returncode == 1 and 'Resources.<name>.Metadata' in result.stderr
    with open(os.path.join(directory, 'hooks.conf'), 'w') as hooks:
        hooks.write('[ok]\npath=Resources.server.Metadata\naction=true\n')
    kept = directory + '.kept'
    os.makedirs(kept)
    for name in ('cfn-credentials', 'cfn-hup.conf', 'hooks.conf'):
        with open(os.path.join(directory, name)) as source, \
                open(os.path.join(kept, name), 'w') as copy:
            copy.write(source.read().replace(directory, kept))
    stack.delete()
    result = agents.run_agent('hup', '--once', cfn_dir=kept)
    assert result.returncode == 1 and 'HTTP 403' in result.stderr, result.stderr


def test_the_real_cfn_push_stats_pushes_with_the_instance_key_file(running, stack,
                                                                   tmp_path):
    """heat-cfntools' own agent reads the cfn-credentials file the instance
    was given, unchanged (its network namespace: see cfn_agent)."""
    import shutil
    import subprocess
    import sys

    from heat_watch.tests.functional import cfn_agent, test_cfn_push_stats
    from heat_watch.tests.integration import base
    reason = test_cfn_push_stats._namespaces_usable()
    if reason:
        base.unavailable('cfn-push-stats needs port 8003 in a network namespace: ' + reason)
    script = shutil.which('cfn-push-stats', path=os.path.dirname(sys.executable))
    assert script, 'heat-cfntools is a test requirement: pip install -e .[test]'
    boto_cfg = tmp_path / 'cfn-boto-cfg'
    boto_cfg.write_text(test_cfn_push_stats.BOTO_CFG)
    bridge = cfn_agent.UnixToTcp(str(tmp_path / 'cw.sock'), running.api.port)
    watch = 'instance-%s' % uuid.uuid4().hex[:8]
    try:
        done = subprocess.run(
            ['unshare', '-rn', sys.executable, '-m', 'heat_watch.tests.functional.cfn_agent',
             bridge.server_address, str(boto_cfg), script, '--credential-file',
             os.path.join(stack.server_dir(), 'cfn-credentials'), '--heartbeat',
             '--watch', watch], capture_output=True, text=True, timeout=60,
            stdin=subprocess.DEVNULL)
    finally:
        bridge.close()
    assert done.returncode == 0 and 'Traceback' not in done.stderr, done.stderr
    project = running.credentials(stack.project)
    cloudwatch = clients.boto3_client(running.endpoint, project['access'], project['secret'])
    metrics = cloudwatch.list_metrics(Namespace='system/linux', MetricName='Heartbeat',
                                      Dimensions=[{'Name': 'AlarmName', 'Value': watch}])
    assert len(metrics['Metrics']) == 1
