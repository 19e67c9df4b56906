"""Environments: sections, resource_registry mappings (types, provider
templates, per-resource, wildcards), merging for PATCH."""

import pytest

from heat_watch.common import exceptions
from heat_watch.orchestration import template as tpl

ENV_YAML = '''
parameters:
  flavor: m1.small
parameter_defaults:
  image: cirros
resource_registry:
  My::Server: OS::Nova::Server
  My::Stack: templates/web.yaml
  My::Remote: https://example.com/t.template
  My::Chain: My::Server
  "OS::Networking::*": "OS::Neutron::*"
  "Old::*": OS::Heat::None
  resources:
    special:
      My::Server: OS::Heat::TestResource
      hooks: pre-create
event_sinks: []
encrypted_param_names: []
'''


def test_environment_sections_are_read():
    env = tpl.parse_environment(ENV_YAML)
    assert env.parameters == {'flavor': 'm1.small'}
    assert env.parameter_defaults == {'image': 'cirros'}
    assert env.resource_registry['My::Server'] == 'OS::Nova::Server'


@pytest.mark.parametrize('type_name,resource,expected', [
    ('My::Server', 'web', 'OS::Nova::Server'),
    ('My::Server', 'special', 'OS::Heat::TestResource'),
    ('My::Chain', 'web', 'OS::Nova::Server'),
    ('My::Stack', 'web', 'templates/web.yaml'),
    ('My::Remote', 'web', 'https://example.com/t.template'),
    ('OS::Networking::Port', 'web', 'OS::Neutron::Port'),
    ('Old::Anything', 'web', 'OS::Heat::None'),
    ('OS::Heat::None', 'web', 'OS::Heat::None'),
])
def test_resolve_type_follows_the_registry(type_name, resource, expected):
    assert tpl.parse_environment(ENV_YAML).resolve_type(type_name, resource) == expected


def test_provider_template_names_are_recognised():
    assert tpl.is_template_name('a/b.yaml')
    assert tpl.is_template_name('x.template')
    assert tpl.is_template_name('http://h/x')
    assert not tpl.is_template_name('OS::Heat::None')
    assert sorted(tpl.parse_environment(ENV_YAML).provider_files()) == [
        'https://example.com/t.template', 'templates/web.yaml']


@pytest.mark.parametrize('registry,type_name', [
    ({'A::B': 'C::D', 'C::D': 'A::B'}, 'A::B'),
    ({'My::*': 'My::Impl::*'}, 'My::Server'),
])
def test_registry_loop_is_refused(registry, type_name):
    env = tpl.parse_environment({'resource_registry': registry})
    with pytest.raises(exceptions.InvalidEnvironment,
                       match=f'the mappings of "{type_name}" loop'):
        env.resolve_type(type_name, 'r')


@pytest.mark.parametrize('env,message', [
    ('colours: {}', r'unknown section\(s\) colours'),
    ('parameters: [a]', 'The environment section parameters must be a map'),
    ('resource_registry: {A::B: [x]}', 'resource_registry.A::B must map to a type name'),
    ('resource_registry: {resources: {r: x}}', 'resource_registry.resources.r must be a map'),
    ('event_sinks: {}', 'The environment section event_sinks must be a list'),
    ('[1]', 'not a JSON or YAML mapping'),
    ('parameters: {', 'Error parsing environment'),
])
def test_bad_environment_is_refused(env, message):
    with pytest.raises(exceptions.InvalidEnvironment, match=message):
        tpl.parse_environment(env)


def test_empty_environment():
    for empty in (None, '', {}):
        env = tpl.parse_environment(empty)
        assert env.to_dict() == {'parameters': {}, 'parameter_defaults': {},
                                 'resource_registry': {}, 'event_sinks': [],
                                 'encrypted_param_names': []}


def test_merged_environment_lets_the_newer_values_win():
    old = tpl.parse_environment({'parameters': {'a': 1, 'b': 1},
                                 'parameter_defaults': {'d': 1},
                                 'resource_registry': {'X::Y': 'OS::Heat::None',
                                                       'resources': {'r': {'X::Y': 'p.yaml'}}}})
    new = tpl.parse_environment({'parameters': {'b': 2},
                                 'resource_registry': {'Z::Z': 'z.yaml',
                                                       'resources': {'s': {'X::Y': 'q.yaml'}}}})
    merged = old.merged(new)
    assert merged.parameters == {'a': 1, 'b': 2}
    assert merged.parameter_defaults == {'d': 1}
    assert merged.resolve_type('X::Y', 'r') == 'p.yaml'
    assert merged.resolve_type('X::Y', 's') == 'q.yaml'
    assert merged.resolve_type('X::Y', 't') == 'OS::Heat::None'
    assert merged.resolve_type('Z::Z', 't') == 'z.yaml'
    assert old.parameters == {'a': 1, 'b': 1}   # the old one is untouched


def test_to_dict_round_trips():
    env = tpl.parse_environment(ENV_YAML)
    assert tpl.parse_environment(env.to_dict()) == env


def test_child_environment_keeps_the_registry_and_defaults_not_the_parameters():
    child = tpl.parse_environment(ENV_YAML).for_child()
    assert child.parameters == {}
    assert child.parameter_defaults == {'image': 'cirros'}
    assert child.resolve_type('My::Server', 'web') == 'OS::Nova::Server'
