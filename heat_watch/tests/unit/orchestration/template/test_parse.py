"""Parsing CFN and HOT templates: formats, versions, sections, resources."""

import json

import pytest

from heat_watch.common import exceptions
from heat_watch.orchestration import template as tpl
from heat_watch.orchestration.template import loader
from heat_watch.tests.unit.orchestration.template.helpers import IDENTITY, Stack, bind, hot

CFN_JSON = json.dumps({
    'AWSTemplateFormatVersion': '2010-09-09',
    'Description': 'A CFN stack',
    'Parameters': {'ImageId': {'Type': 'String', 'Default': 'cirros'}},
    'Mappings': {'Sizes': {'small': {'flavor': 'm1.small'}}},
    'Resources': {
        'Server': {'Type': 'AWS::EC2::Instance',
                   'Properties': {'ImageId': {'Ref': 'ImageId'},
                                  'InstanceType': {'Fn::FindInMap':
                                                   ['Sizes', 'small', 'flavor']},
                                  'UserData': {'Fn::Base64': {'Fn::Join': [
                                      '', ['#!/bin/sh\necho ', {'Ref': 'AWS::StackName'}]]}},
                                  'SecurityGroups': [{'Ref': 'Group'}]}},
        'Group': {'Type': 'AWS::EC2::SecurityGroup', 'DeletionPolicy': 'Retain'},
    },
    'Outputs': {'Ip': {'Value': {'Fn::GetAtt': ['Server', 'PublicIp']},
                       'Description': 'the address'}},
})

HOT_YAML = hot('''
description: A HOT stack
parameters:
  image: {type: string, default: cirros}
resources:
  server:
    type: OS::Nova::Server
    properties:
      image: {get_param: image}
      networks: [{port: {get_resource: port}}]
  port:
    type: OS::Neutron::Port
    depends_on: [volume]
  volume: {type: OS::Cinder::Volume}
outputs:
  ip:
    description: the address
    value: {get_attr: [server, networks, private, 0]}
''')


def test_cfn_json_template_parses_with_its_version_and_description():
    template = tpl.parse(CFN_JSON)
    assert (template.kind, template.version, template.description) == (
        'cfn', '2010-09-09', 'A CFN stack')
    assert template.raw['Resources']['Group']['DeletionPolicy'] == 'Retain'


def test_cfn_template_as_yaml_text_parses_like_json():
    yaml_text = ('AWSTemplateFormatVersion: "2010-09-09"\n'
                 'Resources:\n  Group: {Type: AWS::EC2::SecurityGroup}\n')
    assert tpl.parse(yaml_text).kind == 'cfn'


def test_hot_yaml_version_date_stays_a_string():
    template = tpl.parse(HOT_YAML)
    assert (template.kind, template.version) == ('hot', '2021-04-16')


@pytest.mark.parametrize('name,date', [
    ('newton', '2016-10-14'), ('ocata', '2017-02-24'), ('pike', '2017-09-01'),
    ('queens', '2018-03-02'), ('rocky', '2018-08-31'), ('stein', '2018-08-31'),
    ('victoria', '2018-08-31'), ('wallaby', '2021-04-16'), ('2013-05-23', '2013-05-23'),
    ('2015-10-15', '2015-10-15'),
])
def test_hot_release_names_and_dates_are_accepted(name, date):
    assert tpl.parse(f'heat_template_version: {name}\n').version == date


@pytest.mark.parametrize('body,message', [
    ('heat_template_version: 2012-12-12\n', 'should be one of'),
    ('AWSTemplateFormatVersion: 2011-01-01\n', 'should be one of'),
    ('resources: {}\n', 'Template version was not provided'),
    ('{"heat_template_version": "2015-04-30", "AWSTemplateFormatVersion": "2010-09-09"}',
     'not heat_template_version and AWSTemplateFormatVersion'),
    ('HeatTemplateFormatVersion: 2010-09-09\n', 'should be one of: 2012-12-12'),
    ('heat_template_version: 2015-04-30\nfoo: {}\n', 'The template section is invalid: foo'),
    ('heat_template_version: 2015-04-30\nconditions: {}\n',
     'The template section is invalid: conditions'),
    ('heat_template_version: 2015-04-30\nMappings: {}\n',
     'The template section is invalid: Mappings'),
    ('[1, 2]', 'not a JSON or YAML mapping'),
    ('heat_template_version: [\n', 'Error parsing template as YAML'),
])
def test_bad_versions_and_sections_are_refused(body, message):
    with pytest.raises(exceptions.InvalidTemplate, match=message):
        tpl.parse(body)


@pytest.mark.parametrize('resources,message', [
    ('  r: {properties: {}}', 'resources.r: Resource r is missing "type"'),
    ('  r: {type: A, propertys: {}}', 'resources.r: "propertys" is not a valid keyword'),
    ('  r: [1]', 'resources.r: A resource must be a map'),
    ('  a/b: {type: A}', 'resources.a/b: Resource name may not contain "/"'),
    ('  r: {type: A, depends_on: {x: 1}}', 'resources.r.depends_on: depends_on must be'),
    ('  r: {type: A, deletion_policy: Keep}', 'resources.r.deletion_policy: Invalid '
                                              'deletion policy "Keep"'),
    ('  r: {type: A, properties: [1]}', 'resources.r.properties: properties must be a map'),
])
def test_bad_resource_definitions_name_their_place(resources, message):
    with pytest.raises(exceptions.InvalidTemplate, match=message):
        tpl.parse(hot(f'resources:\n{resources}\n'))


def test_output_without_value_is_refused():
    with pytest.raises(exceptions.InvalidTemplate,
                       match='outputs.o: Each output must contain a value key'):
        tpl.parse(hot('outputs:\n  o: {description: x}\n'))


def test_condition_key_on_a_resource_needs_a_version_with_conditions():
    with pytest.raises(exceptions.InvalidTemplate, match='"condition" is not a valid keyword'):
        tpl.parse(hot('resources:\n  r: {type: A, condition: c}\n', '2016-04-08'))


def test_hot_resources_with_references_and_explicit_dependencies():
    bound = tpl.parse(HOT_YAML).bind({}, tpl.parse_environment(None), IDENTITY)
    resources = bound.resources()
    assert resources['server'].depends_on == {'port'}
    assert resources['port'].depends_on == {'volume'}
    assert resources['port'].explicit_depends_on == ('volume',)
    assert bound.creation_order() == [['volume'], ['port'], ['server']]
    stack = Stack({'server': {'networks': {'private': ['10.0.0.5']}}})
    assert resources['server'].resolved_properties(stack) == {
        'image': 'cirros', 'networks': [{'port': 'port-id'}]}
    assert bound.outputs()['ip'].resolve(stack) == '10.0.0.5'
    assert bound.outputs()['ip'].description == 'the address'
    assert stack.asked[-1] == ('attr', 'server', 'networks', ('private', 0))


def test_cfn_resources_resolve_refs_mappings_joins_and_attributes():
    bound = bind(CFN_JSON)
    server = bound.resources()['Server']
    assert server.depends_on == {'Group'}
    assert bound.resources()['Group'].deletion_policy == 'Retain'
    stack = Stack({'Server': {'PublicIp': '192.0.2.1'}})
    assert server.resolved_properties(stack) == {
        'ImageId': 'cirros', 'InstanceType': 'm1.small',
        'UserData': '#!/bin/sh\necho teststack', 'SecurityGroups': ['Group-id']}
    assert bound.outputs()['Ip'].resolve(stack) == '192.0.2.1'


def test_static_values_are_folded_at_bind_time():
    bound = bind(HOT_YAML, {'image': 'fedora'})
    # get_param needs nothing from the stack: it is already a value
    assert bound.resources()['server'].properties['image'] == 'fedora'
    assert bound.parameters['image'] == 'fedora'
    assert bound.parameters['OS::stack_name'] == 'teststack'


def test_resource_definitions_compare_equal_when_the_snippets_are_equal():
    first = bind(HOT_YAML).resources()['server']
    second = bind(HOT_YAML).resources()['server']
    changed = bind(HOT_YAML, {'image': 'fedora'}).resources()['server']
    assert first == second
    assert first != changed


def test_a_dict_template_is_parsed_as_is():
    template = tpl.parse({'heat_template_version': '2016-10-14',
                          'resources': {'r': {'type': 'OS::Heat::None'}}})
    assert list(template.resource_snippets) == ['r']


def test_null_property_is_left_out_of_resolved_properties():
    body = hot('resources:\n  r:\n    type: A\n    properties: {a: null, b: 1}\n')
    assert bind(body).resources()['r'].resolved_properties(Stack()) == {'b': 1}


def test_yaml_alias_bomb_is_refused_quickly(monkeypatch):
    monkeypatch.setattr(loader, 'MAX_NODES', 10_000)
    lines = ['heat_template_version: 2021-04-16', 'description: x', 'a0: &a0 [x, x]']
    lines += [f'a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]' for i in range(1, 30)]
    with pytest.raises(exceptions.InvalidTemplate, match='The template is too large'):
        tpl.parse('\n'.join(lines) + '\n')


@pytest.mark.parametrize('text', [
    '{"heat_template_version": "2021-04-16", "description": ' + '[' * 5000 + ']' * 5000 + '}',
    'heat_template_version: 2021-04-16\ndescription: ' + '[' * 300 + ']' * 300 + '\n',
])
def test_deeply_nested_template_is_refused(text):
    with pytest.raises(exceptions.InvalidTemplate, match='nested deeper than 200 levels'):
        tpl.parse(text)


def test_deletion_policy_given_by_a_parameter_is_checked_when_bound():
    body = hot('parameters:\n  dp: {type: string}\n'
               'resources:\n  r: {type: A, deletion_policy: {get_param: dp}}\n')
    assert bind(body, {'dp': 'Snapshot'}).resources()['r'].deletion_policy == 'Snapshot'
    with pytest.raises(exceptions.InvalidTemplate,
                       match='resources.r.deletion_policy: Invalid deletion policy "Keep"'):
        bind(body, {'dp': 'Keep'})


@pytest.mark.parametrize('body', [
    b'heat_template_version: 2016-10-14\n',
    '{heat_template_version: 2016-10-14}',      # not JSON, but YAML flow style
])
def test_bytes_and_yaml_flow_style_are_read(body):
    assert tpl.parse(body).version == '2016-10-14'


@pytest.mark.parametrize('body,message', [
    (b'\xff\xfe', 'The template is not UTF-8 text'),
    (42, 'The template must be a JSON or YAML mapping, not int'),
    ('{"heat_template_version": ', 'Error parsing template as JSON'),
])
def test_unreadable_template_is_refused(body, message):
    with pytest.raises(exceptions.InvalidTemplate, match=message):
        tpl.parse(body)


def test_parameters_must_be_a_map():
    with pytest.raises(exceptions.InvalidParameter, match='Parameters must be a map'):
        tpl.parse(HOT_YAML).bind(['image'], None, IDENTITY)


def test_update_policy_and_output_dependencies_resolve():
    body = hot('''
parameters:
  batch: {type: number, default: 2}
resources:
  group:
    type: OS::Heat::ResourceGroup
    update_policy: {rolling_update: {max_batch_size: {get_param: batch}}}
outputs:
  o: {value: [{get_attr: [group, refs]}, {get_resource: group}]}
''')
    bound = bind(body)
    group = bound.resources()['group']
    assert group.resolved_update_policy(Stack()) == {'rolling_update': {'max_batch_size': 2}}
    assert bound.outputs()['o'].dependencies() == {'group'}


@pytest.mark.parametrize('body,message', [
    (hot('parameters:\n  p: {type: [string]}\n'), r'Invalid type \(\[\'string\'\]\)'),
    (hot('resources:\n  r: {type: A, 1: x, b: y}\n'), 'is not a valid keyword'),
    (hot('parameters:\n  p: {type: string, 1: x, b: y}\n'), r'Invalid key\(s\) 1, b'),
    (hot('parameters:\n  p: {type: string, constraints: [{1: x}]}\n'), 'not 1'),
])
def test_odd_keys_and_types_are_errors_not_crashes(body, message):
    with pytest.raises(exceptions.InvalidTemplate, match=message):
        tpl.parse(body)


def test_environment_with_odd_keys_is_an_error_not_a_crash():
    with pytest.raises(exceptions.InvalidEnvironment, match='unknown section'):
        tpl.parse_environment({1: 'x', 'b': 'y'})
    merged = tpl.parse_environment({'encrypted_param_names': [['a']]}).merged(
        tpl.parse_environment({'encrypted_param_names': [['a'], 'b']}))
    assert merged.encrypted_param_names == [['a'], 'b']
