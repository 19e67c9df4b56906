"""Conditions (CFN Conditions, HOT conditions): their functions, the
resources and outputs they leave out, and if / Fn::If."""

import pytest

from heat_watch.common import exceptions
from heat_watch.tests.unit.orchestration.template.helpers import Stack, bind, hot

HOT_BODY = hot('''
parameters:
  env: {type: string, default: dev}
  zones: {type: comma_delimited_list, default: "a,b"}
  debug: {type: boolean, default: false}
conditions:
  prod: {equals: [{get_param: env}, prod]}
  dev: {not: prod}
  zone_a: {contains: [a, {get_param: zones}]}
  prod_or_debug: {or: [prod, {get_param: debug}]}
  dev_in_a: {and: [dev, zone_a, true]}
resources:
  big:
    type: A
    condition: prod
  small:
    type: A
    condition: dev_in_a
    properties:
      size: {if: [prod, 8, 1]}
      inline_condition: {if: [{equals: [{get_param: env}, dev]}, up, down]}
outputs:
  big_id:
    condition: prod
    value: {get_resource: big}
  mode:
    value: {if: [prod_or_debug, loud, quiet]}
''', '2017-09-01')


def test_conditions_are_evaluated_from_parameters():
    bound = bind(HOT_BODY)
    assert bound.condition_values == {'prod': False, 'dev': True, 'zone_a': True,
                                      'prod_or_debug': False, 'dev_in_a': True}
    assert bind(HOT_BODY, {'env': 'prod', 'zones': 'c'}).condition_values == {
        'prod': True, 'dev': False, 'zone_a': False, 'prod_or_debug': True,
        'dev_in_a': False}


def test_resource_whose_condition_is_false_is_left_out():
    bound = bind(HOT_BODY)
    assert set(bound.resources()) == {'small'}
    assert bound.omitted == {'big'}
    assert bound.resources()['small'].condition == 'dev_in_a'
    assert bound.resources()['small'].resolved_properties(Stack()) == {
        'size': 1, 'inline_condition': 'up'}
    assert set(bind(HOT_BODY, {'env': 'prod'}).resources()) == {'big'}


def test_output_whose_condition_is_false_has_no_value():
    outputs = bind(HOT_BODY).outputs()
    assert outputs['big_id'].value is None
    assert outputs['mode'].resolve(Stack()) == 'quiet'
    prod = bind(HOT_BODY, {'env': 'prod'}).outputs()
    assert prod['big_id'].resolve(Stack()) == 'big-id'
    assert prod['mode'].resolve(Stack()) == 'loud'


def test_boolean_parameter_as_a_condition():
    body = hot('parameters:\n  enabled: {type: boolean}\nconditions:\n  c: {get_param: enabled}\n'
               'resources:\n  r: {type: A, condition: c}\n', '2016-10-14')
    assert set(bind(body, {'enabled': 'true'}).resources()) == {'r'}
    assert set(bind(body, {'enabled': 'false'}).resources()) == set()


def test_inline_condition_on_a_resource():
    body = hot('parameters:\n  n: {type: number, default: 2}\nresources:\n'
               '  r: {type: A, condition: {equals: [{get_param: n}, 2]}}\n'
               '  s: {type: A, condition: false}\n', '2016-10-14')
    assert set(bind(body).resources()) == {'r'}


@pytest.mark.parametrize('conditions,message', [
    ('c: {and: [true]}', 'conditions.c.and: Arguments to "and" must be a list of at least '
                         'two conditions'),
    ('c: {equals: [a]}', r'conditions.c.equals: Arguments to "equals" must be of the form'),
    ('c: {not: missing}', 'Invalid condition "missing"'),
    ('c: {not: d}\n  d: {not: c}', 'Circular definition of conditions: c -> d -> c'),
    ('c: {equals: [{get_resource: r}, x]}',
     r'conditions.c.equals\[0\].get_resource: The function "get_resource" is not allowed here'),
    ('c: {list_join: [",", [a]]}', 'The function "list_join" is not allowed here'),
    ('c: 42', 'Invalid condition 42'),
    ('c: {get_param: s}', "The condition is not a boolean: 'x'"),
    ('c: {yaql: {expression: "1"}}', 'The function "yaql" is not supported'),
])
def test_bad_condition_is_refused_with_its_place(conditions, message):
    body = hot(f'parameters:\n  s: {{type: string, default: x}}\nconditions:\n  {conditions}\n'
               'resources:\n  r: {type: A}\n', '2017-09-01')
    with pytest.raises(exceptions.InvalidTemplate, match=message):
        bind(body)


def test_contains_in_conditions_came_with_2017_09_01():
    body = hot('conditions:\n  c: {contains: [a, [a]]}\n', 'VERSION')
    bind(body.replace('VERSION', '2017-09-01'))
    with pytest.raises(exceptions.InvalidTemplate,
                       match='"contains" is not available in template version '
                             'heat_template_version.2017-02-24'):
        bind(body.replace('VERSION', '2017-02-24'))


def test_unknown_condition_on_a_resource_is_refused():
    body = hot('conditions:\n  c: true\nresources:\n  r: {type: A, condition: nope}\n',
               '2016-10-14')
    with pytest.raises(exceptions.InvalidTemplate,
                       match='resources.r.condition: Invalid condition "nope"'):
        bind(body)


CFN_BODY = {
    'AWSTemplateFormatVersion': '2010-09-09',
    'Parameters': {'Env': {'Type': 'String', 'Default': 'dev'}},
    'Mappings': {'Envs': {'prod': {'Big': 'yes'}, 'dev': {'Big': 'no'}}},
    'Conditions': {
        'IsProd': {'Fn::Equals': [{'Ref': 'Env'}, 'prod']},
        'IsDev': {'Fn::Not': [{'Condition': 'IsProd'}]},
        'Big': {'Fn::Equals': [{'Fn::FindInMap': ['Envs', {'Ref': 'Env'}, 'Big']}, 'yes']},
        'Either': {'Fn::Or': [{'Condition': 'IsProd'}, {'Condition': 'IsDev'}]},
        'Both': {'Fn::And': [{'Condition': 'IsProd'}, {'Condition': 'IsDev'}]},
    },
    'Resources': {
        'Db': {'Type': 'A', 'Condition': 'IsProd'},
        'App': {'Type': 'A', 'Properties': {
            'Size': {'Fn::If': ['Big', 'large', 'small']},
            'Db': {'Fn::If': ['IsProd', {'Ref': 'Db'}, 'none']}}},
    },
    'Outputs': {'DbId': {'Condition': 'IsProd', 'Value': {'Ref': 'Db'}}},
}


def test_cfn_conditions_and_fn_if():
    dev = bind(CFN_BODY)
    assert dev.condition_values == {'IsProd': False, 'IsDev': True, 'Big': False,
                                    'Either': True, 'Both': False}
    assert set(dev.resources()) == {'App'}
    assert dev.resources()['App'].depends_on == frozenset()
    assert dev.resources()['App'].resolved_properties(Stack()) == {
        'Size': 'small', 'Db': 'none'}
    assert dev.outputs()['DbId'].value is None
    dev.validate(lambda name: name == 'A')
    prod = bind(CFN_BODY, {'Env': 'prod'})
    assert set(prod.resources()) == {'App', 'Db'}
    assert prod.resources()['App'].depends_on == {'Db'}
    assert prod.resources()['App'].resolved_properties(Stack()) == {
        'Size': 'large', 'Db': 'Db-id'}


@pytest.mark.parametrize('conditions,message', [
    ({'C': {'Fn::Not': 'IsX'}}, r'Conditions.C.Fn::Not: Arguments to "Fn::Not" must be of '
                                r'the form \[condition\]'),
    ({'C': {'Fn::Equals': [{'Fn::GetAtt': ['R', 'x']}, 1]}}, 'is not allowed here'),
    ({'C': {'Fn::And': [{'Condition': 'Nope'}, True]}}, 'Invalid condition "Nope"'),
])
def test_bad_cfn_condition_is_refused_with_its_place(conditions, message):
    body = {'AWSTemplateFormatVersion': '2010-09-09', 'Conditions': conditions,
            'Resources': {'R': {'Type': 'A'}}}
    with pytest.raises(exceptions.InvalidTemplate, match=message):
        bind(body)


def test_cfn_fn_if_needs_a_condition_name():
    body = {'AWSTemplateFormatVersion': '2010-09-09', 'Conditions': {'C': True},
            'Resources': {'R': {'Type': 'A', 'Properties': {'x': {'Fn::If': [True, 1, 2]}}}}}
    with pytest.raises(exceptions.InvalidTemplate,
                       match='Resources.R.Properties.x.Fn::If: The condition of "Fn::If" '
                             'must be the name of a condition'):
        bind(body)
