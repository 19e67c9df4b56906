"""OS::Heat::ResourceGroup and OS::Heat::AutoScalingGroup: a nested stack
per group, members from one definition, Heat's attributes."""

import pytest

from heat_watch.common import exceptions
from heat_watch.orchestration.resources import groups


def hot(resources: dict, outputs: dict | None = None) -> dict:
    return {'heat_template_version': '2021-04-16', 'resources': resources,
            'outputs': outputs or {}}


def _outputs(shown: dict) -> dict:
    return {o['output_key']: o.get('output_value') for o in shown['outputs']}


def test_index_variable_is_replaced_in_every_string():
    definition = {'type': 'T', 'properties': {'name': 'web-%index%', 'tags': ['%index%'],
                                              'n': 3}}
    assert groups._substitute(definition, '%index%', 4) == {
        'type': 'T', 'properties': {'name': 'web-4', 'tags': ['4'], 'n': 3}}


def test_resource_group_makes_count_members_in_a_nested_stack(engine):
    body = hot({'group': {'type': 'OS::Heat::ResourceGroup', 'properties': {
        'count': 3, 'removal_policies': [{'resource_list': ['1']}],
        'resource_def': {'type': 'OS::Heat::TestResource',
                         'properties': {'value': 'member-%index%'}}}}},
        {'refs': {'value': {'get_attr': ['group', 'refs']}},
         'values': {'value': {'get_attr': ['group', 'output']}},
         'by_name': {'value': {'get_attr': ['group', 'attributes', 'output']}},
         'second': {'value': {'get_attr': ['group', 'resource.1', 'output']}},
         'second_ref': {'value': {'get_attr': ['group', 'resource.1']}}})
    engine.ops.create('p1', None, 'rg', body)
    shown = engine.wait('rg')
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    out = _outputs(shown)
    assert out['values'] == ['member-0', 'member-1', 'member-2']
    assert out['by_name'] == {'0': 'member-0', '1': 'member-1', '2': 'member-2'}
    assert out['second'] == 'member-1'
    assert len(out['refs']) == 3 and out['second_ref'] == out['refs'][1]
    nested_id = engine.resources('rg')['group']['physical_resource_id']
    assert set(engine.resources(nested_id)) == {'0', '1', '2'}

    body['resources']['group']['properties']['count'] = 1
    engine.ops.update('p1', 'rg', body)
    shown = engine.wait('rg')
    assert shown['stack_status'] == 'UPDATE_COMPLETE', shown['stack_status_reason']
    assert _outputs(shown)['values'] == ['member-0']
    assert set(engine.resources(nested_id)) == {'0'}


def test_resource_group_without_a_type_fails_with_the_cause(engine):
    body = hot({'group': {'type': 'OS::Heat::ResourceGroup', 'properties': {
        'count': 1, 'resource_def': {'properties': {}}}}})
    with pytest.raises(exceptions.InvalidTemplate, match='resource_def.*"type"'):
        engine.ops.create('p1', None, 'notype', body)
    assert engine.runtime.stacks.list('p1') == []


def test_heat_autoscaling_group_clamps_desired_capacity_and_resizes(engine):
    body = hot({'asg': {'type': 'OS::Heat::AutoScalingGroup', 'properties': {
        'min_size': 1, 'max_size': 3, 'desired_capacity': 2,
        'rolling_updates': {'min_in_service': 1},
        'resource': {'type': 'OS::Heat::TestResource', 'properties': {'value': 'v1'}}}}},
        {'size': {'value': {'get_attr': ['asg', 'current_size']}},
         'refs': {'value': {'get_attr': ['asg', 'refs']}},
         'refs_map': {'value': {'get_attr': ['asg', 'refs_map']}},
         'outputs': {'value': {'get_attr': ['asg', 'outputs', 'output']}},
         'outputs_list': {'value': {'get_attr': ['asg', 'outputs_list', 'output']}}})
    engine.ops.create('p1', None, 'asg', body)
    shown = engine.wait('asg')
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    out = _outputs(shown)
    assert out['size'] == 2
    assert out['outputs'] == {'member-0': 'v1', 'member-1': 'v1'}
    assert out['outputs_list'] == ['v1', 'v1']
    assert sorted(out['refs_map']) == ['member-0', 'member-1']
    assert out['refs'] == [out['refs_map']['member-0'], out['refs_map']['member-1']]

    # Past max_size: clamped; a new definition reaches every member.
    props = body['resources']['asg']['properties']
    props['desired_capacity'] = 9
    props['resource']['properties']['value'] = 'v2'
    engine.ops.update('p1', 'asg', body)
    shown = engine.wait('asg')
    assert shown['stack_status'] == 'UPDATE_COMPLETE', shown['stack_status_reason']
    out = _outputs(shown)
    assert out['size'] == 3 and out['outputs_list'] == ['v2', 'v2', 'v2']

    # Shrinking removes the oldest members first, as Heat does.
    props['desired_capacity'] = 1
    engine.ops.update('p1', 'asg', body)
    shown = engine.wait('asg')
    assert list(_outputs(shown)['outputs']) == ['member-2']


def test_heat_autoscaling_group_with_min_above_max_fails(engine):
    body = hot({'asg': {'type': 'OS::Heat::AutoScalingGroup', 'properties': {
        'min_size': 3, 'max_size': 1,
        'resource': {'type': 'OS::Heat::None'}}}})
    with pytest.raises(exceptions.InvalidTemplate,
                       match=r'min_size \(3\) is larger than max_size \(1\)'):
        engine.ops.create('p1', None, 'bad', body)


def test_deleting_the_stack_deletes_the_group_stack(engine):
    body = hot({'group': {'type': 'OS::Heat::ResourceGroup', 'properties': {
        'count': 2, 'resource_def': {'type': 'OS::Heat::None'}}}})
    identity = engine.ops.create('p1', None, 'del', body)
    engine.wait('del')
    nested_id = engine.resources('del')['group']['physical_resource_id']
    engine.ops.delete('p1', 'del')
    assert engine.wait(identity['stack_id'])['stack_status'] == 'DELETE_COMPLETE'
    assert engine.runtime.stacks.get(nested_id).deleted_at


def test_every_type_of_this_part_is_a_plugin():
    from heat_watch.orchestration import resources
    from heat_watch.orchestration.resources import aodh, iam, loadbalancer, wait_condition
    expected = {
        'OS::Heat::AutoScalingGroup': groups.HeatAutoScalingGroup,
        'OS::Heat::ResourceGroup': groups.ResourceGroup,
        'OS::Aodh::Alarm': aodh.AodhAlarm, 'OS::Ceilometer::Alarm': aodh.CeilometerAlarm,
        'OS::Aodh::CompositeAlarm': aodh.AodhCompositeAlarm,
        'AWS::CloudFormation::WaitCondition': wait_condition.WaitCondition,
        'AWS::CloudFormation::WaitConditionHandle': wait_condition.WaitConditionHandle,
        'OS::Heat::WaitCondition': wait_condition.HeatWaitCondition,
        'OS::Heat::WaitConditionHandle': wait_condition.HeatWaitConditionHandle,
        'AWS::IAM::User': iam.User, 'AWS::IAM::AccessKey': iam.AccessKey,
        'AWS::ElasticLoadBalancing::LoadBalancer': loadbalancer.LoadBalancer}
    for name, cls in expected.items():
        assert resources.get(name) is cls, name
    assert resources.get('OS::Heat::ScalingPolicy').__name__ == 'HeatScalingPolicy'
