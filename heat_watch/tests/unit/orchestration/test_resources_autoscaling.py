"""AWS::AutoScaling::AutoScalingGroup: tags and group name on every member,
accepted properties, rolling replacement on a launch configuration change."""

import pytest

from heat_watch.common import exceptions


def _template(update_policy: dict | None = None, extra: dict | None = None) -> dict:
    group = {'Type': 'AWS::AutoScaling::AutoScalingGroup', 'Properties': dict({
        'LaunchConfigurationName': {'Ref': 'config'}, 'MinSize': 2, 'MaxSize': 4,
        'AvailabilityZones': {'Fn::GetAZs': ''}, 'VPCZoneIdentifier': ['subnet-1'],
        'Tags': [{'Key': 'tier', 'Value': 'web'}]}, **(extra or {}))}
    if update_policy is not None:
        group['UpdatePolicy'] = update_policy
    return {'AWSTemplateFormatVersion': '2010-09-09',
            'Parameters': {'Image': {'Type': 'String', 'Default': 'cirros'}},
            'Resources': {
                'config': {'Type': 'AWS::AutoScaling::LaunchConfiguration',
                           'Properties': {'ImageId': {'Ref': 'Image'},
                                          'InstanceType': 'm1.tiny'}},
                'group': group},
            'Outputs': {'name': {'Value': {'Ref': 'group'}}}}


def _members(engine, stack: str) -> list[str]:
    group = engine.runtime.resources.get(engine.ops.find('p1', stack).id, 'group', stack)
    return list(group.data['members'])


def test_every_member_carries_the_tags_and_the_group_name(engine):
    engine.ops.create('p1', None, 'tags', _template())
    shown = engine.wait('tags')
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    name = shown['outputs'][0]['output_value']
    members = _members(engine, 'tags')
    assert len(members) == 2
    for server_id in members:
        metadata = engine.runtime.compute.servers[server_id][0].metadata
        assert metadata['AutoScalingGroupName'] == name
        assert metadata['tier'] == 'web'


def test_a_new_launch_configuration_rolls_through_the_members_in_batches(engine):
    policy = {'AutoScalingRollingUpdate': {'MaxBatchSize': 1, 'MinInstancesInService': 2,
                                           'PauseTime': 'PT0S'}}
    engine.ops.create('p1', None, 'roll', _template(policy))
    assert engine.wait('roll')['stack_status'] == 'CREATE_COMPLETE'
    before = _members(engine, 'roll')
    engine.ops.update('p1', 'roll', _template(policy), params={'Image': 'fedora'})
    shown = engine.wait('roll')
    assert shown['stack_status'] == 'UPDATE_COMPLETE', shown['stack_status_reason']
    after = _members(engine, 'roll')
    servers = engine.runtime.compute.servers
    assert len(after) == 2 and not set(after) & set(before)
    assert all(servers[s][0].image == 'fedora' for s in after)
    assert not any(s in servers for s in before)


def test_without_an_update_policy_running_members_keep_their_configuration(engine):
    engine.ops.create('p1', None, 'keep', _template())
    assert engine.wait('keep')['stack_status'] == 'CREATE_COMPLETE'
    before = _members(engine, 'keep')
    engine.ops.update('p1', 'keep', _template(), params={'Image': 'fedora'})
    assert engine.wait('keep')['stack_status'] == 'UPDATE_COMPLETE'
    assert _members(engine, 'keep') == before


def test_load_balancer_names_without_a_load_balancer_resource_is_refused(engine):
    with pytest.raises(exceptions.InvalidTemplate, match='LoadBalancerNames'):
        engine.ops.create('p1', None, 'lb', _template(extra={'LoadBalancerNames': ['x']}))


def test_without_the_local_driver_a_load_balancer_is_refused_naming_the_cause(engine):
    body = {'AWSTemplateFormatVersion': '2010-09-09', 'Resources': {'lb': {
        'Type': 'AWS::ElasticLoadBalancing::LoadBalancer', 'Properties': {
            'Listeners': [{'LoadBalancerPort': 8080, 'InstancePort': 80}]}}}}
    with pytest.raises(exceptions.InvalidTemplate, match='needs the local compute driver'):
        engine.ops.create('p1', None, 'lb', body)
    assert engine.runtime.stacks.list('p1') == []
