"""Parameters: types, defaults, hidden values, constraints, groups, and the
environment's parameters and parameter_defaults."""

import pytest

from heat_watch.common import exceptions
from heat_watch.orchestration import template as tpl
from heat_watch.orchestration.template import constraints
from heat_watch.tests.unit.orchestration.template.helpers import IDENTITY, Stack, bind, hot


def hot_param(declaration: str, version: str = '2021-04-16') -> str:
    return hot(f'parameters:\n  p: {declaration}\n', version)


@pytest.mark.parametrize('ptype,given,expected', [
    ('string', 'abc', 'abc'),
    ('string', 42, '42'),
    ('number', '42', 42),
    ('number', '4.5', 4.5),
    ('number', 7, 7),
    ('comma_delimited_list', 'a, b,c', ['a', 'b', 'c']),
    ('comma_delimited_list', ['a', 1], ['a', '1']),
    ('comma_delimited_list', '', []),
    ('json', '{"a": [1]}', {'a': [1]}),
    ('json', {'a': 1}, {'a': 1}),
    ('json', '[1, 2]', [1, 2]),
    ('boolean', 'yes', True),
    ('boolean', 'False', False),
    ('boolean', '1', True),
    ('boolean', False, False),
])
def test_parameter_value_gets_its_type(ptype, given, expected):
    bound = bind(hot_param(f'{{type: {ptype}}}'), {'p': given})
    assert bound.parameters['p'] == expected


@pytest.mark.parametrize('ptype,given,message', [
    ('number', 'abc', 'Value "abc" is not a number'),
    ('number', True, 'Value "True" is not a number'),
    ('json', 'not json', 'Value must be valid JSON'),
    ('json', '"text"', 'Value must be a JSON map or list'),
    ('boolean', 'maybe', 'Unrecognized value "maybe"'),
    ('string', {'a': 1}, 'Value must be a string'),
    ('comma_delimited_list', {'a': 1}, 'Value must be a comma-delimited list'),
])
def test_wrongly_typed_value_is_refused_naming_the_parameter(ptype, given, message):
    with pytest.raises(exceptions.InvalidParameter,
                       match=f"parameters.p: Parameter 'p' is invalid: {message}"):
        bind(hot_param(f'{{type: {ptype}}}'), {'p': given})


CONSTRAINTS = [
    # (type, constraints, good value, bad value, message)
    ('string', '[{allowed_values: [a, b]}]', 'a', 'c', r'"c" is not an allowed value \[a, b\]'),
    ('number', '[{allowed_values: [1, 2]}]', '2', '3', r'"3" is not an allowed value'),
    ('comma_delimited_list', '[{allowed_values: [a, b]}]', 'a,b', 'a,z',
     '"z" is not an allowed value'),
    ('string', '[{allowed_pattern: "[a-z]+"}]', 'abc', 'ab1', 'does not match pattern'),
    ('string', '[{length: {min: 2, max: 3}}]', 'ab', 'abcd', r'length \(4\) is out of range'),
    ('comma_delimited_list', '[{length: {min: 2}}]', 'a,b', 'a', r'length \(1\) is out of'),
    ('json', '[{length: {max: 1}}]', '{"a": 1}', '{"a": 1, "b": 2}', r'length \(2\)'),
    ('number', '[{range: {min: 1, max: 10}}]', '10', '11', r'11 is out of range'),
    ('number', '[{range: {min: 1}}]', '1', '0.5', r'0.5 is out of range'),
    ('number', '[{modulo: {step: 2, offset: 1}}]', '3', '4',
     'is not a multiple of 2 with an offset of 1'),
    ('string', '[{allowed_values: [a], description: "Pick a"}]', 'a', 'b', 'Pick a'),
]


@pytest.mark.parametrize('ptype,constraints,good,bad,message', CONSTRAINTS)
def test_hot_constraint_accepts_good_and_refuses_bad_values(ptype, constraints, good, bad,
                                                            message):
    body = hot_param(f'{{type: {ptype}, constraints: {constraints}}}')
    bind(body, {'p': good})
    with pytest.raises(exceptions.InvalidParameter, match=message):
        bind(body, {'p': bad})


def test_custom_constraint_is_accepted_and_not_run():
    body = hot_param('{type: string, constraints: [{custom_constraint: nova.flavor}]}')
    assert bind(body, {'p': 'anything'}).parameters['p'] == 'anything'
    assert tpl.parse(body).parameter_schemas()['p']['CustomConstraint'] == 'nova.flavor'


CFN_CONSTRAINTS = [
    ({'Type': 'String', 'AllowedValues': ['a']}, 'a', 'b', 'not an allowed value'),
    ({'Type': 'String', 'AllowedPattern': '[0-9]+'}, '12', '1a', 'does not match pattern'),
    ({'Type': 'String', 'MinLength': '2', 'MaxLength': 3}, 'ab', 'a', 'length'),
    ({'Type': 'Number', 'MinValue': 1, 'MaxValue': '5'}, '5', '6', 'out of range'),
    ({'Type': 'Number', 'MinValue': 1, 'ConstraintDescription': 'At least one'}, '1', '0',
     'At least one'),
]


@pytest.mark.parametrize('declaration,good,bad,message', CFN_CONSTRAINTS)
def test_cfn_constraint_accepts_good_and_refuses_bad_values(declaration, good, bad, message):
    body = {'AWSTemplateFormatVersion': '2010-09-09', 'Parameters': {'P': declaration}}
    bind(body, {'P': good})
    with pytest.raises(exceptions.InvalidParameter, match=f"Parameters.P: .*{message}"):
        bind(body, {'P': bad})


@pytest.mark.parametrize('declaration,message', [
    ('{type: text}', r'parameters.p: Invalid type \(text\)'),
    ('{default: 1}', 'Missing parameter type for parameter: p'),
    ('{type: string, colour: red}', r'Invalid key\(s\) colour for parameter \(p\)'),
    ('{type: number, constraints: [{length: {min: 1}}]}',
     'Invalid Length constraint for a parameter of type Number'),
    ('{type: string, constraints: [{range: {min: 1}}]}', 'Invalid Range constraint'),
    ('{type: string, constraints: [{allowed_pattern: "["}]}', 'Invalid pattern'),
    ('{type: string, constraints: [{between: [1, 2]}]}', 'A constraint has one of'),
    ('{type: number, constraints: [{modulo: {step: 2, offset: 2}}]}',
     'modulo needs a positive "step"'),
    ('{type: string, default: c, constraints: [{allowed_values: [a]}]}',
     r'parameters.p.default: The default of parameter \(p\) is invalid'),
    ('{type: number, default: abc}', 'The default of parameter'),
])
def test_bad_parameter_declaration_is_a_template_error(declaration, message):
    with pytest.raises(exceptions.InvalidTemplate, match=message):
        tpl.parse(hot_param(declaration))


def test_modulo_constraint_needs_2017_02_24():
    body = hot_param('{type: number, constraints: [{modulo: {step: 2, offset: 0}}]}',
                     '2016-10-14')
    with pytest.raises(exceptions.InvalidTemplate,
                       match='modulo constraint is not available in template version '
                             'heat_template_version.2016-10-14'):
        tpl.parse(body)


def test_missing_value_without_default_is_refused():
    with pytest.raises(exceptions.InvalidParameter,
                       match=r'parameters.p: The Parameter \(p\) was not provided.'):
        bind(hot_param('{type: string}'))


def test_missing_value_binds_to_none_when_values_are_not_required():
    template = tpl.parse(hot_param('{type: string}'))
    bound = template.bind({}, None, IDENTITY, require_values=False)
    assert bound.parameters['p'] is None


def test_unknown_parameter_is_refused():
    with pytest.raises(exceptions.InvalidParameter,
                       match=r'The Parameter \(q\) was not defined in template.'):
        bind(hot_param('{type: string, default: x}'), {'q': 1})


def test_precedence_user_over_environment_over_parameter_defaults_over_default():
    body = hot_param('{type: string, default: from-template}')
    assert bind(body).parameters['p'] == 'from-template'
    env = {'parameter_defaults': {'p': 'from-defaults', 'unused': 1}}
    assert bind(body, env=env).parameters['p'] == 'from-defaults'
    env['parameters'] = {'p': 'from-env'}
    assert bind(body, env=env).parameters['p'] == 'from-env'
    assert bind(body, {'p': 'from-user'}, env=env).parameters['p'] == 'from-user'


def test_parameter_defaults_make_a_required_parameter_optional():
    bound = bind(hot_param('{type: number}'), env={'parameter_defaults': {'p': '5'}})
    assert bound.parameters['p'] == 5


def test_hidden_value_is_masked_in_errors_and_in_shown_parameters():
    body = hot_param('{type: string, hidden: true, constraints: [{length: {min: 8}}]}')
    bound = bind(body, {'p': 'longsecret'})
    assert bound.shown_parameters()['p'] == '******'
    assert bound.parameters['p'] == 'longsecret'
    assert bound.hidden_parameters == {'p'}
    body = hot_param('{type: string, hidden: true, constraints: [{allowed_values: [x]}]}')
    with pytest.raises(exceptions.InvalidParameter) as error:
        bind(body, {'p': 'hunter2'})
    assert 'hunter2' not in str(error.value)


def test_parameter_schemas_have_heat_validate_shape():
    body = hot('''
parameters:
  flavor:
    type: string
    label: Flavor
    description: the size
    default: m1.small
    constraints:
      - allowed_values: [m1.small, m1.large]
        description: a known flavor
  count:
    type: number
    hidden: true
    constraints: [{range: {min: 1, max: 5}}]
''')
    schemas = tpl.parse(body).parameter_schemas()
    assert schemas['flavor'] == {
        'Type': 'String', 'Description': 'the size', 'NoEcho': 'false', 'Label': 'Flavor',
        'Default': 'm1.small', 'AllowedValues': ['m1.small', 'm1.large'],
        'ConstraintDescription': 'a known flavor'}
    assert schemas['count'] == {'Type': 'Number', 'Description': '', 'NoEcho': 'true',
                                'Label': 'count', 'MinValue': 1, 'MaxValue': 5}


def test_cfn_parameter_schema_and_no_echo():
    body = {'AWSTemplateFormatVersion': '2010-09-09',
            'Parameters': {'Pw': {'Type': 'String', 'NoEcho': 'true', 'MinLength': 4}}}
    assert tpl.parse(body).parameter_schemas()['Pw'] == {
        'Type': 'String', 'Description': '', 'NoEcho': 'true', 'Label': 'Pw', 'MinLength': 4}


def test_parameter_groups_are_returned_and_checked():
    body = hot('''
parameter_groups:
  - label: Server
    parameters: [image, flavor]
parameters:
  image: {type: string}
  flavor: {type: string}
''')
    assert tpl.parse(body).parameter_groups() == [
        {'label': 'Server', 'parameters': ['image', 'flavor']}]


@pytest.mark.parametrize('groups,message', [
    ('[{parameters: [nope]}]', 'The grouped parameter nope does not reference a valid'),
    ('[{parameters: [a]}, {parameters: [a]}]', 'The a parameter must be assigned to one '
                                               'parameter group only'),
    ('[{label: x}]', 'Parameters must be provided for each Parameter Group'),
    ('{a: 1}', 'parameter_groups must be a list'),
])
def test_bad_parameter_groups_are_refused(groups, message):
    body = hot(f'parameter_groups: {groups}\nparameters:\n  a: {{type: string}}\n')
    with pytest.raises(exceptions.InvalidTemplate, match=message):
        tpl.parse(body)


def test_pseudo_parameters_are_in_the_bound_parameters():
    params = bind(hot('')).parameters
    assert params['OS::stack_id'] == '5a5b-1d'
    assert params['AWS::StackName'] == 'teststack'
    assert params['AWS::Region'] == 'RegionOne'


def test_functions_of_a_parameter_without_value_stay_unresolved_when_values_are_not_required():
    body = hot('''
parameters:
  names: {type: comma_delimited_list}
  env: {type: string}
conditions:
  prod: {equals: [{get_param: env}, prod]}
resources:
  r:
    type: A
    properties:
      joined: {list_join: [',', {get_param: names}]}
      first: {get_param: [names, 0]}
      mode: {if: [prod, big, small]}
''')
    bound = tpl.parse(body).bind({}, None, IDENTITY, require_values=False)
    assert bound.condition_values == {'prod': False}
    definition = bound.resources()['r']
    assert definition.properties['mode'] == 'small'
    assert definition.depends_on == frozenset()
    bound.validate(lambda name: True)
    # resolving without values: the parameter reads as null
    assert definition.resolved_properties(Stack()) == {'mode': 'small', 'joined': ''}


def test_cfn_ref_to_a_parameter_without_value_when_values_are_not_required():
    body = {'AWSTemplateFormatVersion': '2010-09-09',
            'Parameters': {'Key': {'Type': 'String'}},
            'Conditions': {'HasKey': {'Fn::Not': [{'Fn::Equals': [{'Ref': 'Key'}, '']}]}},
            'Resources': {'I': {'Type': 'A', 'Properties': {
                'KeyName': {'Fn::Join': ['-', [{'Ref': 'Key'}, 'x']]}}}}}
    bound = tpl.parse(body).bind({}, None, IDENTITY, require_values=False)
    assert bound.condition_values == {'HasKey': True}
    assert bound.resources()['I'].depends_on == frozenset()
    bound.validate(lambda name: True)


def test_shown_parameters_carry_the_pseudo_parameters_of_the_format():
    hot_shown = bind(hot_param('{type: string, default: x}')).shown_parameters()
    assert hot_shown == {'p': 'x', 'OS::stack_name': 'teststack', 'OS::stack_id': '5a5b-1d',
                         'OS::project_id': 'proj1'}
    cfn = {'AWSTemplateFormatVersion': '2010-09-09',
           'Parameters': {'P': {'Type': 'Number', 'Default': 1}}}
    assert bind(cfn).shown_parameters() == {
        'P': 1, 'AWS::StackName': 'teststack', 'AWS::Region': 'RegionOne',
        'AWS::StackId': 'arn:openstack:heat::proj1:stacks/teststack/5a5b-1d'}


def test_a_pattern_that_backtracks_forever_fails_within_its_time_limit(monkeypatch):
    monkeypatch.setattr(constraints, 'PATTERN_TIMEOUT', 0.1)
    body = hot_param('{type: string, constraints: [{allowed_pattern: "(a|aa)+"}]}')
    bind(body, {'p': 'aaaa'})
    with pytest.raises(exceptions.InvalidParameter,
                       match=r'could not be matched against pattern "\(a\|aa\)\+" within '
                             r'0.1 s'):
        bind(body, {'p': 'a' * 60 + 'b'})


def test_an_empty_default_is_no_default():
    body = hot('parameters:\n  p:\n    type: string\n    default:\n')
    assert 'Default' not in tpl.parse(body).parameter_schemas()['p']
    with pytest.raises(exceptions.InvalidParameter, match=r'The Parameter \(p\) was not'):
        bind(body)
