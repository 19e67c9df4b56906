"""The agents' pure parts: hook paths and triggers, signal bodies, metric
data and its Query encoding, session CPU, and the nova driver's user data."""

import argparse
import email
import os
import subprocess
import sys

import pytest
import yaml

from heat_watch.agents import client, config, hup, measure, push_stats, signal
from heat_watch.orchestration import compute
from heat_watch.orchestration.compute import nova

CREDENTIALS = {'access': 'AKEY', 'secret': 'SKEY', 'stack_id': 'sid', 'region': 'RegionOne',
               'cloudwatch_endpoint': 'http://cw:8003/v1',
               'metadata_url': 'http://api:8004/v1/p/stacks/s/sid/resources/lc/metadata',
               'autoscaling_group': 'grp'}


@pytest.mark.parametrize('path, expected', [
    ('Resources.LaunchConfig.Metadata', ('LaunchConfig', ())),
    ('Resources.LaunchConfig.Metadata.AWS::CloudFormation::Init',
     ('LaunchConfig', ('AWS::CloudFormation::Init',))),
    ('Resources.lc.Metadata.a.b', ('lc', ('a', 'b'))),
])
def test_hook_paths_name_a_resource_and_keys(path, expected):
    assert hup.parse_path(path) == expected


@pytest.mark.parametrize('path', ['Outputs.x', 'Resources.lc', 'Resources..Metadata'])
def test_a_hook_path_outside_resource_metadata_is_refused(path):
    with pytest.raises(config.AgentConfigError):
        hup.parse_path(path)


def test_select_matches_keys_with_dots_whole_first():
    metadata = {'metering.server_group': {'x': 1}, 'metering': {'server_group': 2}}
    assert hup.select(metadata, ('metering', 'server_group', 'x')) == 1
    assert hup.select(metadata, ('metering', 'missing')) is hup._ABSENT
    assert hup.select('text', ('a',)) is hup._ABSENT


@pytest.mark.parametrize('before, after, trigger', [
    (hup._ABSENT, 1, 'post.add'), (1, hup._ABSENT, 'post.remove'), (1, 2, 'post.update'),
    ({'a': 1}, {'a': 1}, None), (hup._ABSENT, hup._ABSENT, None)])
def test_triggers_follow_cfn_hup(before, after, trigger):
    assert hup.trigger_of(before, after) == trigger


def test_another_resource_of_the_stack_has_its_own_metadata_url():
    assert hup.resource_url(CREDENTIALS['metadata_url'], 'web') == \
        'http://api:8004/v1/p/stacks/s/sid/resources/web/metadata'


@pytest.mark.parametrize('argv, status, reason', [
    (['u'], 'SUCCESS', ''), (['-s', 'false', 'u'], 'FAILURE', ''),
    (['-e', '3', 'u'], 'FAILURE', 'exit code 3'),
    (['-e', '3', '-r', 'broke', 'u'], 'FAILURE', 'broke')])
def test_signal_bodies_are_cfn_signals(argv, status, reason):
    body = signal.body(signal.parser().parse_args(['-i', 'me', '-d', 'x'] + argv), 'host')
    assert body == {'Status': status, 'Reason': reason, 'UniqueId': 'me', 'Data': 'x'}
    assert signal.body(signal.parser().parse_args(argv), 'host')['UniqueId'] == 'host'


def test_every_metric_goes_once_per_dimension_set_in_one_request():
    sets = push_stats.dimension_sets('i-1', 'grp', None)
    data = push_stats.metric_data({'CPUUtilization': (50.0, 'Percent'),
                                   'Heartbeat': (1.0, 'Count')}, sets)
    assert [(d['MetricName'], d['Dimensions']) for d in data] == [
        ('CPUUtilization', [('InstanceId', 'i-1')]),
        ('CPUUtilization', [('AutoScalingGroupName', 'grp')]),
        ('Heartbeat', [('InstanceId', 'i-1')]), ('Heartbeat', [('AutoScalingGroupName', 'grp')])]
    params = client.metric_params('system/linux', data)
    assert params['Action'] == 'PutMetricData' and params['Namespace'] == 'system/linux'
    assert params['MetricData.member.4.Dimensions.member.1.Name'] == 'AutoScalingGroupName'
    assert params['MetricData.member.1.Value'] == '50.0'
    assert params['MetricData.member.1.Unit'] == 'Percent'
    assert push_stats.dimension_sets('i-1', None, 'w') == [[('InstanceId', 'i-1')],
                                                          [('AlarmName', 'w')]]


def test_push_stats_collects_what_the_options_ask_in_their_units(tmp_path):
    args = push_stats.parser().parse_args([
        '--mem-used', '--mem-util', '--disk-space-avail', '--disk-path', str(tmp_path),
        '--disk-units', 'kilobytes', '--metric', 'Queue', '--units', 'Count',
        '--value', '7', '--service-failure'])
    values = push_stats.collect(args, None)
    assert set(values) == {'MemoryUsed', 'MemoryUtilization', 'DiskSpaceAvailable', 'Queue',
                           'ServiceFailure'}
    assert values['DiskSpaceAvailable'][1] == 'Kilobytes' and values['MemoryUsed'][1] == \
        'Megabytes'
    assert 0 < values['MemoryUtilization'][0] <= 100
    assert values['Queue'] == (7.0, 'Count')


def test_session_cpu_sees_a_busy_process_of_the_session():
    meter = measure.CpuMeter('session', window=0.2)
    meter.read()
    busy = subprocess.Popen([sys.executable, '-c', 'import time\nend = time.time() + 1.5\n'
                             'while time.time() < end: pass'])
    try:
        busy.wait()
        assert meter.read() > 10.0
    finally:
        busy.kill()
    with pytest.raises(ValueError):
        measure.CpuMeter('host')


def test_credential_files_round_trip(tmp_path):
    files = config.render_files(CREDENTIALS, 'i-9', str(tmp_path), cpu_scope='session')
    for name, (text, _mode) in files.items():
        (tmp_path / name).write_text(text)
    assert files['cfn-credentials'][1] == 0o600
    assert config.read_credentials(str(tmp_path / 'cfn-credentials')) == ('AKEY', 'SKEY')
    loaded = config.load(str(tmp_path))
    assert (loaded.stack, loaded.instance_id, loaded.autoscaling_group, loaded.cpu_scope) == (
        'sid', 'i-9', 'grp', 'session')
    assert loaded.credential_file == os.path.join(str(tmp_path), 'cfn-credentials')
    (tmp_path / 'cfn-credentials').write_text('AWSAccessKeyId=only\n')
    with pytest.raises(config.AgentConfigError):
        config.read_credentials(str(tmp_path / 'cfn-credentials'))


def test_nova_user_data_writes_the_credential_before_the_template_script():
    spec = compute.ServerSpec('s', 'img', 'flv', user_data='#!/bin/sh\necho hi\n',
                              credentials=CREDENTIALS)
    message = email.message_from_string(nova.user_data(spec))
    parts = [p for p in message.walk() if not p.is_multipart()]
    assert [p.get_content_type() for p in parts] == ['text/cloud-config',
                                                     'text/x-shellscript']
    cloud = yaml.safe_load(parts[0].get_payload(decode=True).decode())
    files = {f['path']: f for f in cloud['write_files']}
    secret = files['/etc/cfn/cfn-credentials']
    assert secret['permissions'] == '0600'
    assert secret['content'] == 'AWSAccessKeyId=AKEY\nAWSSecretKey=SKEY\n'
    assert 'cloudwatch_endpoint = http://cw:8003/v1' in files['/etc/cfn/cfn-hup.conf'][
        'content']
    assert parts[1].get_payload(decode=True).decode() == '#!/bin/sh\necho hi\n'
    plain = compute.ServerSpec('s', 'img', 'flv', user_data='raw data')
    assert nova.user_data(plain) == 'raw data'


def test_push_stats_without_an_endpoint_says_so(tmp_path, capsys):
    (tmp_path / 'cfn-credentials').write_text('AWSAccessKeyId=a\nAWSSecretKey=b\n')
    code = push_stats.main(['--heartbeat', '--config-dir', str(tmp_path),
                            '--credential-file', str(tmp_path / 'cfn-credentials')])
    assert code == 1
    assert 'no CloudWatch endpoint' in capsys.readouterr().err
    assert isinstance(push_stats.parser().parse_args([]), argparse.Namespace)


def test_an_unreachable_signed_url_is_reported_without_its_signature():
    from heat_watch.identity import signing
    from heat_watch.tests import services
    url = signing.presign_url('POST', 'http://127.0.0.1:%d/v1/p/stacks/s/i/resources/h/signal'
                              % services.free_port(), 'AKID', 'secret')
    with pytest.raises(client.AgentError) as caught:
        client.post_signal(url, {'Status': 'SUCCESS'})
    message = str(caught.value)
    assert 'cannot reach the signal URL at http://127.0.0.1' in message
    assert 'Signature' not in message and 'AKID' not in message
