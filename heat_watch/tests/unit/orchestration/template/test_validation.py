"""Validation before anything is created: types, references, cycles, each
error naming its place in the template."""

import pytest

from heat_watch.common import exceptions
from heat_watch.tests.unit.orchestration.template.helpers import bind, hot

KNOWN = {'OS::Heat::None', 'OS::Heat::RandomString', 'AWS::EC2::Instance'}.__contains__


def validate(body: str, params: dict | None = None, env: dict | None = None,
             files: dict | None = None) -> None:
    bind(body, params, env, files).validate(KNOWN)


def test_a_valid_template_passes():
    validate(hot('''
resources:
  a: {type: OS::Heat::None, properties: {v: {get_attr: [b, value]}}}
  b: {type: OS::Heat::RandomString}
outputs:
  o: {value: {get_resource: a}}
'''))


@pytest.mark.parametrize('body,message', [
    ('resources:\n  a: {type: OS::Nova::Flavor}\n',
     r'resources.a.type: The Resource Type \(OS::Nova::Flavor\) could not be found.'),
    ('resources:\n  a: {type: OS::Heat::None, properties: {x: {get_resource: b}}}\n',
     r'resources.a.properties.x.get_resource: The specified reference "b" is incorrect'),
    ('resources:\n  a: {type: OS::Heat::None, properties: {x: [{get_attr: [b, v]}]}}\n',
     r'resources.a.properties.x\[0\].get_attr: The specified reference "b"'),
    ('resources:\n  a: {type: OS::Heat::None, depends_on: [c]}\n',
     r'resources.a.depends_on: The specified reference "c" is incorrect'),
    ('resources:\n  a: {type: OS::Heat::None, metadata: {m: {get_resource: z}}}\n',
     r'resources.a.metadata.m.get_resource: The specified reference "z"'),
    ('outputs:\n  o: {value: {get_attr: [nothing, x]}}\n',
     r'outputs.o.value.get_attr: The specified reference "nothing" is incorrect'),
    ('resources:\n  a: {type: OS::Heat::None, depends_on: b}\n'
     '  b: {type: OS::Heat::None, properties: {x: {get_resource: a}}}\n',
     'resources: Circular Dependency Found: a -> b -> a'),
    ('resources:\n  a: {type: OS::Heat::None, properties: {x: {get_attr: [a, v]}}}\n',
     'resources: Circular Dependency Found: a -> a'),
    ('resources:\n  a: {type: OS::Heat::None, depends_on: b}\n'
     '  b: {type: OS::Heat::None, depends_on: c}\n'
     '  c: {type: OS::Heat::None, depends_on: a}\n',
     'Circular Dependency Found: a -> b -> c -> a'),
])
def test_validation_errors_name_their_place(body, message):
    with pytest.raises(exceptions.InvalidTemplate, match=message):
        validate(hot(body))


def test_cfn_reference_to_a_missing_resource_names_its_place():
    body = {'AWSTemplateFormatVersion': '2010-09-09',
            'Resources': {'I': {'Type': 'AWS::EC2::Instance',
                                'Properties': {'KeyName': {'Ref': 'Key'}}}}}
    with pytest.raises(exceptions.InvalidTemplate,
                       match='Resources.I.Properties.KeyName.Ref: The specified reference '
                             '"Key" is incorrect'):
        validate(body)


def test_reference_to_a_resource_left_out_by_its_condition_is_refused():
    body = hot('''
conditions:
  never: false
resources:
  a: {type: OS::Heat::None, condition: never}
  b: {type: OS::Heat::None, properties: {x: {get_resource: a}}}
''')
    with pytest.raises(exceptions.InvalidTemplate, match='left out by its condition'):
        validate(body)


def test_reference_in_the_branch_not_taken_does_not_count():
    validate(hot('''
conditions:
  never: false
resources:
  a: {type: OS::Heat::None, condition: never}
  b:
    type: OS::Heat::None
    properties:
      x: {if: [never, {get_resource: a}, plain]}
'''))


def test_a_long_chain_of_dependencies_is_checked_without_recursion():
    lines = ['resources:'] + [f'  r{i}: {{type: OS::Heat::None, depends_on: r{i + 1}}}'
                              for i in range(3000)] + ['  r3000: {type: OS::Heat::None}']
    bound = bind(hot('\n'.join(lines) + '\n'))
    bound.validate(KNOWN)
    assert bound.creation_order()[0] == ['r3000']
    assert len(bound.creation_order()) == 3001


def test_type_mapped_by_the_environment_is_checked_after_mapping():
    body = hot('resources:\n  a: {type: My::Thing}\n')
    validate(body, env={'resource_registry': {'My::Thing': 'OS::Heat::None'}})
    with pytest.raises(exceptions.InvalidTemplate,
                       match=r'The Resource Type \(OS::Nova::Gone, mapped from My::Thing\)'):
        validate(body, env={'resource_registry': {'My::Thing': 'OS::Nova::Gone'}})


def test_provider_template_must_be_among_the_files():
    body = hot('resources:\n  a: {type: My::Thing}\n')
    env = {'resource_registry': {'My::Thing': 'thing.yaml'}}
    validate(body, env=env, files={'thing.yaml': 'heat_template_version: 2016-10-14\n'})
    with pytest.raises(exceptions.InvalidTemplate,
                       match='resources.a.type: Could not fetch remote template "thing.yaml"'):
        validate(body, env=env)


def test_a_template_file_named_as_the_type_is_a_provider_template():
    body = hot('resources:\n  a: {type: nested.yaml}\n')
    validate(body, files={'nested.yaml': 'heat_template_version: 2016-10-14\n'})


def test_registry_loop_is_a_validation_error_at_the_resource_type():
    body = hot('resources:\n  a: {type: X::A}\n')
    with pytest.raises(exceptions.InvalidTemplate,
                       match='resources.a.type: resource_registry: the mappings of "X::A" loop'):
        validate(body, env={'resource_registry': {'X::A': 'X::B', 'X::B': 'X::A'}})


def test_creation_order_refuses_a_cycle():
    body = hot('resources:\n  a: {type: OS::Heat::None, depends_on: b}\n'
               '  b: {type: OS::Heat::None, depends_on: a}\n  c: {type: OS::Heat::None}\n')
    with pytest.raises(exceptions.InvalidTemplate,
                       match='Circular Dependency Found among: a, b'):
        bind(body).creation_order()


PROVIDER = '''heat_template_version: 2016-10-14
parameters:
  size: {type: number}
  label: {type: string, default: x}
resources:
  inner: {type: OS::Heat::None}
outputs:
  name: {value: {get_resource: inner}}
'''


@pytest.mark.parametrize('properties,message', [
    ('{size: 2}', None),
    ('{size: 2, label: y}', None),
    ('{label: y}', r'resources.a.properties: Property size not assigned: the provider '
                   r'template "thing.yaml" needs it'),
    ('{size: 2, colour: red}', r'resources.a.properties.colour: Unknown Property colour'),
    ('{size: {get_attr: [b, n]}}', None),
])
def test_provider_template_properties_are_its_parameters(properties, message):
    body = hot(f'resources:\n  a: {{type: My::Thing, properties: {properties}}}\n'
               '  b: {type: OS::Heat::None}\n')
    env = {'resource_registry': {'My::Thing': 'thing.yaml'}}
    if message is None:
        validate(body, env=env, files={'thing.yaml': PROVIDER})
    else:
        with pytest.raises(exceptions.InvalidTemplate, match=message):
            validate(body, env=env, files={'thing.yaml': PROVIDER})


def test_parameter_default_of_the_environment_satisfies_a_provider_parameter():
    body = hot('resources:\n  a: {type: thing.yaml}\n')
    validate(body, env={'parameter_defaults': {'size': 3}}, files={'thing.yaml': PROVIDER})


def test_invalid_provider_template_is_refused_at_the_resource():
    body = hot('resources:\n  a: {type: thing.yaml}\n')
    with pytest.raises(exceptions.InvalidTemplate,
                       match='resources.a: The provider template "thing.yaml" is invalid: '
                             'Invalid template: Error parsing template as YAML'):
        validate(body, files={'thing.yaml': 'heat_template_version: [\n'})
