"""examples/autoscaling-cpu.json on heat-watch-all with the LOCAL compute
driver, nothing faked: each instance is a process whose user data runs
heat-watch-push-stats in loop mode with the stack's own key, reporting the
CPU its session really uses. Loading one instance fires the high-CPU alarm,
whose webhook grows the group to its maximum and never past it; removing the
load fires the low-CPU alarm, which shrinks it back. The stack's events and
the alarms' histories tell the story."""

import datetime
import json
import os
import time
import uuid

import pytest
import yaml

from heat_watch.common import context
from heat_watch.tests import clients
from heat_watch.tests.functional.agents import support as agents
from heat_watch.tests.functional.orchestration import support

EXAMPLES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'examples')
# Short periods: 10 s alarms (a high-resolution period the engine takes
# that still holds several 2 s reports). Low thresholds: on a machine shared
# with other work a busy loop gets only part of a CPU (25-30 % seen on a
# 2-core machine running 8 test suites), while an idle instance's session
# (a sleeping shell and the agent itself) stays near 1 %.
PARAMS = {'AlarmPeriod': 10, 'PushPeriod': 2, 'Cooldown': 0, 'AlarmStatistic': 'Maximum',
          'CpuHighThreshold': 10, 'CpuLowThreshold': 5}


def _example(name: str) -> dict:
    with open(os.path.join(EXAMPLES, name)) as source:
        return json.load(source) if name.endswith('.json') else yaml.safe_load(source)


def test_the_json_and_yaml_examples_are_the_same_template():
    assert _example('autoscaling-cpu.json') == _example('autoscaling-cpu.yaml')


@pytest.fixture(scope='module')
def running(tmp_path_factory):
    with agents.local_deployment(str(tmp_path_factory.mktemp('example-state'))) as dep:
        yield dep


def _reasons(client, ctxt, stack_id: str, resource: str) -> list[str]:
    return [e['resource_status_reason'] for e in client.list_events(ctxt, stack_id, resource)
            if e['resource_action'] == 'SIGNAL']


def _story(cloudwatch, group: str, servers: str) -> str:
    """What the group reported and what its first instance said, for a failure."""
    now = datetime.datetime.now(datetime.UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace='system/linux', MetricName='CPUUtilization', StartTime=now -
        datetime.timedelta(minutes=3), EndTime=now, Period=10, Statistics=['Maximum'],
        Dimensions=[{'Name': 'AutoScalingGroupName', 'Value': group}])['Datapoints']
    lines = ['%s %.1f' % (p['Timestamp'], p['Maximum'])
             for p in sorted(points, key=lambda p: p['Timestamp'])]
    for server in os.listdir(servers):
        with open(os.path.join(servers, server, 'console.log')) as console:
            lines.append('%s: %s' % (server, console.read()[-600:]))
    return '\n'.join(lines)


def _wait_or_tell(predicate, story, timeout: float = 90) -> None:
    try:
        support.wait_for(predicate, timeout=timeout, interval=0.5)
    except AssertionError:
        raise AssertionError(story())


def test_the_example_scales_out_under_load_and_back_in_without(running):
    project = 'example-%s' % uuid.uuid4().hex[:8]
    ctxt = context.RequestContext(project_id=project, user_id='u')
    client = running.orchestrator_client()
    identity = client.create_stack(ctxt, 'cpu', _example('autoscaling-cpu.json'),
                                   params=PARAMS)
    stack_id = identity['stack_id']
    try:
        _scale_out_and_in(running, client, ctxt, project, stack_id)
    finally:
        # Deleting the stack ends its instances (local processes outlive
        # heat-watch-all, as servers outlive Heat).
        client.delete_stack(ctxt, stack_id)
        support.wait_for(lambda: client.show_stack(ctxt, stack_id)['status'] != 'IN_PROGRESS',
                         timeout=60)
    assert client.show_stack(ctxt, stack_id)['stack_status'] == 'DELETE_COMPLETE'
    servers = os.path.join(running.conf.state_path, 'servers')
    assert not os.path.exists(servers) or os.listdir(servers) == []


def _scale_out_and_in(running, client, ctxt, project: str, stack_id: str) -> None:
    support.wait_for(lambda: client.show_stack(ctxt, stack_id)['status'] != 'IN_PROGRESS',
                     timeout=60)
    shown = client.show_stack(ctxt, stack_id)
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']

    def size() -> int:
        return client.show_output(ctxt, stack_id, 'GroupSize')['output_value']

    group = client.show_output(ctxt, stack_id, 'GroupName')['output_value']
    creds = running.credentials(project)
    cloudwatch = clients.boto3_client(running.endpoint, creds['access'], creds['secret'])
    assert size() == 1
    servers = os.path.join(running.conf.state_path, 'servers')
    [first] = os.listdir(servers)
    # The instance reports by itself, with the group's dimension.
    support.wait_for(lambda: cloudwatch.list_metrics(
        Namespace='system/linux', MetricName='CPUUtilization',
        Dimensions=[{'Name': 'AutoScalingGroupName', 'Value': group}])['Metrics'], timeout=30)

    with open(os.path.join(servers, first, 'load'), 'w'):
        pass
    _wait_or_tell(lambda: size() == 3, lambda: _story(cloudwatch, group, servers))
    # Still loaded: the alarm stays in ALARM and repeats, but never past MaxSize.
    time.sleep(12)
    assert size() == 3
    assert len(os.listdir(servers)) == 3

    os.remove(os.path.join(servers, first, 'load'))
    _wait_or_tell(lambda: size() == 1, lambda: _story(cloudwatch, group, servers))
    # The newest went first: the loaded instance is the one left.
    assert os.listdir(servers) == [first]

    ups = _reasons(client, ctxt, stack_id, 'ScaleUpPolicy')
    downs = _reasons(client, ctxt, stack_id, 'ScaleDownPolicy')
    assert any('from 1 to 2' in r for r in ups) and any('from 2 to 3' in r for r in ups), ups
    assert not any('to 4' in r for r in ups), ups
    assert any('from 3 to 2' in r for r in downs) and any('from 2 to 1' in r for r in downs)
    for resource, state in (('CPUAlarmHigh', 'ALARM'), ('CPUAlarmLow', 'ALARM')):
        name = client.show_resource(ctxt, stack_id, resource)['physical_resource_id']
        history = cloudwatch.describe_alarm_history(AlarmName=name)['AlarmHistoryItems']
        updates = [json.loads(h['HistoryData'])['newState']['stateValue'] for h in history
                   if h['HistoryItemType'] == 'StateUpdate']
        assert state in updates, history
        actions = [h for h in history if h['HistoryItemType'] == 'Action']
        assert any('Success' in h['HistorySummary'] for h in actions), history
