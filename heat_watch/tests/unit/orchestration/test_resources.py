"""Resource types: property schemas, each Heat resource, servers through the
fake driver (HOT and CFN)."""

import pytest

from heat_watch.common import exceptions
from heat_watch.orchestration import properties as props
from heat_watch.orchestration import resources
from heat_watch.orchestration.resources import heat, nested, server


def test_property_values_are_coerced_as_heat_does_and_wrong_ones_named():
    schema = {'n': props.Property(props.INTEGER), 'f': props.Property(props.NUMBER),
              'b': props.Property(props.BOOLEAN), 'l': props.Property(props.LIST),
              's': props.Property(props.STRING, default='d'),
              'm': props.Property(props.MAP, required=True)}
    got = props.validate(schema, {'n': '3', 'f': '1.5', 'b': 'yes', 'l': 'a, b', 'm': {}},
                         'Resources.r.Properties')
    assert got == {'n': 3, 'f': 1.5, 'b': True, 'l': ['a', 'b'], 's': 'd', 'm': {}}
    for bad, where in (({'n': 'x', 'm': {}}, '.n'), ({'m': []}, '.m'), ({}, '.m'),
                       ({'m': {}, 'zz': 1}, 'Unknown Property zz')):
        with pytest.raises(exceptions.InvalidTemplate) as raised:
            props.validate(schema, bad, 'Resources.r.Properties')
        assert where in str(raised.value)
    ranged = {'len': props.Property(props.INTEGER, min_value=1, max_value=5)}
    with pytest.raises(exceptions.InvalidTemplate):
        props.validate(ranged, {'len': 9}, 'here')


def test_every_type_of_the_issue_is_registered():
    assert {'OS::Heat::None', 'OS::Heat::RandomString', 'OS::Heat::TestResource',
            'OS::Heat::Stack', 'OS::Nova::Server', 'AWS::EC2::Instance'} <= set(
        resources.types())
    assert resources.get('OS::Heat::Stack') is nested.NestedStack
    assert resources.get('AWS::EC2::Instance') is server.Instance
    with pytest.raises(exceptions.InvalidTemplate):
        resources.get('OS::Nope')


def test_test_resource_replaces_only_when_asked():
    rsrc = heat.TestResource('t', 'OS::Heat::TestResource', stack=None,
                             properties=heat.TestResource.validate_properties('t', {}))
    assert not rsrc.needs_replacement({'value'})
    assert rsrc.needs_replacement({'update_replace_value'})
    rsrc.properties['update_replace'] = True
    assert rsrc.needs_replacement({'value'})
    schema = heat.TestResource.schema('OS::Heat::TestResource')
    assert schema['properties']['value']['update_allowed'] is True
    assert schema['attributes'] == {'output': {'description': 'The value of the value '
                                                              'property.'}}


def test_random_string_length_below_the_minimums_is_refused():
    with pytest.raises(exceptions.InvalidTemplate):
        heat.random_string(2, [('abc', 3)], 'x')
    assert len(heat.random_string(8, [], 'xy')) == 8


def test_hot_servers_and_cfn_instances_boot_through_the_driver(engine):
    engine.ops.create('p1', None, 'servers', {
        'heat_template_version': '2021-04-16',
        'resources': {'vm': {'type': 'OS::Nova::Server', 'metadata': {'k': 'v'},
                             'properties': {'image': 'cirros', 'flavor': 'm1.tiny',
                                            'user_data': 'hello'}}},
        'outputs': {'ip': {'value': {'get_attr': ['vm', 'first_address']}}}})
    shown = engine.wait('servers')
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    driver = engine.runtime.compute
    [(spec, info)] = driver.servers.values()
    assert (spec.image, spec.flavor, spec.user_data) == ('cirros', 'm1.tiny', 'hello')
    assert spec.metadata['resource_metadata'] == {'k': 'v'}
    assert shown['outputs'][0]['output_value'] == info.first_address
    assert engine.queries.resource_metadata('p1', 'servers', 'vm') == {'k': 'v'}

    engine.ops.create('p1', None, 'cfn', {
        'AWSTemplateFormatVersion': '2010-09-09',
        'Parameters': {'Flavor': {'Type': 'String', 'Default': 'm1.small'}},
        'Resources': {'Web': {'Type': 'AWS::EC2::Instance', 'Properties': {
            'ImageId': 'fedora', 'InstanceType': {'Ref': 'Flavor'},
            'Tags': [{'Key': 'tier', 'Value': 'web'}]}}},
        'Outputs': {'Ip': {'Value': {'Fn::GetAtt': ['Web', 'PrivateIp']}},
                    'Id': {'Value': {'Ref': 'Web'}}}})
    shown = engine.wait('cfn')
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    outputs = {o['output_key']: o['output_value'] for o in shown['outputs']}
    assert driver.get_server(outputs['Id']).first_address == outputs['Ip']
    assert driver.servers[outputs['Id']][0].metadata['tier'] == 'web'
    engine.ops.delete('p1', 'cfn')
    engine.wait(shown['id'])
    assert outputs['Id'] not in driver.servers


def test_a_server_that_goes_to_error_fails_with_the_fault(engine, monkeypatch):
    from heat_watch.orchestration import compute
    driver = engine.runtime.compute
    original = driver.create_server

    def broken(spec):
        server_id = original(spec)
        driver.servers[server_id][1].status = compute.ERROR
        driver.servers[server_id][1].fault = 'No valid host was found'
        return server_id

    monkeypatch.setattr(driver, 'create_server', broken)
    engine.ops.create('p1', None, 'err', {
        'heat_template_version': '2021-04-16', 'resources': {'vm': {
            'type': 'OS::Nova::Server', 'properties': {'image': 'i', 'flavor': 'f'}}}},
        args={'disable_rollback': True})
    shown = engine.wait('err')
    assert shown['stack_status'] == 'CREATE_FAILED'
    assert 'No valid host was found' in shown['stack_status_reason']


def test_server_metadata_changes_reach_the_server_in_place(engine):
    def body(tier, note):
        return {'heat_template_version': '2021-04-16', 'resources': {'vm': {
            'type': 'OS::Nova::Server', 'metadata': {'note': note},
            'properties': {'image': 'cirros', 'flavor': 'm1.tiny',
                           'metadata': {'tier': tier}}}}}

    engine.ops.create('p1', None, 'meta', body('web', 'one'))
    engine.wait('meta')
    [server_id] = engine.runtime.compute.servers
    engine.ops.update('p1', 'meta', body('db', 'two'))
    shown = engine.wait('meta')
    assert shown['stack_status'] == 'UPDATE_COMPLETE', shown['stack_status_reason']
    assert list(engine.runtime.compute.servers) == [server_id]
    metadata = engine.runtime.compute.servers[server_id][0].metadata
    assert metadata['tier'] == 'db'
    assert metadata['resource_metadata'] == {'note': 'two'}
    assert engine.queries.resource_metadata('p1', 'meta', 'vm') == {'note': 'two'}
