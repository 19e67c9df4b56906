"""Each intrinsic function, with good and bad arguments (HOT snippets are
evaluated as the value of an output)."""

import hashlib

import pytest

from heat_watch.common import exceptions
from heat_watch.orchestration import template as tpl
from heat_watch.tests.unit.orchestration.template.helpers import Stack, bind, value

PARAMS = '''parameters:
  name: {type: string, default: web}
  count: {type: number, default: 3}
  items: {type: comma_delimited_list, default: "a,b,c"}
  conf: {type: json, default: {"db": {"hosts": ["h1", "h2"]}}}
  flag: {type: boolean, default: true}
''' + '  big: {type: json, default: [%s]}\n' % ', '.join(['1'] * 1000)

GOOD = [
    # get_param, with and without a path
    ('{get_param: name}', 'web'),
    ('{get_param: count}', 3),
    ('{get_param: items}', ['a', 'b', 'c']),
    ('{get_param: [conf, db, hosts, 1]}', 'h2'),
    ('{get_param: [items, 0]}', 'a'),
    ('{get_param: [conf, missing]}', ''),
    ('{get_param: [name, 0]}', ''),
    ('{get_param: [items, x]}', ''),
    ('{get_param: [items, 9]}', ''),
    ('{get_param: flag}', True),
    ('{get_param: OS::stack_name}', 'teststack'),
    ('{get_param: OS::stack_id}', '5a5b-1d'),
    ('{get_param: OS::project_id}', 'proj1'),
    # list_join: one list, several lists, maps as JSON, numbers as text
    ("{list_join: [',', [a, b]]}", 'a,b'),
    ("{list_join: ['-', [a], [b, c]]}", 'a-b-c'),
    ("{list_join: [',', [{k: v}, [1]]]}", '{"k": "v"},[1]'),
    ("{list_join: [',', [1, 2.5, null]]}", '1,2.5,'),
    ("{list_join: [' ', {get_param: items}]}", 'a b c'),
    # str_replace and its strict variants
    ("{str_replace: {template: 'hi $n, $nn', params: {$n: you, $nn: all}}}", 'hi you, all'),
    ("{str_replace: {template: 'c=$c', params: {$c: {get_param: conf}}}}",
     'c={"db": {"hosts": ["h1", "h2"]}}'),
    ("{str_replace: {template: 'n=N', params: {N: {get_param: count}}}}", 'n=3'),
    ("{str_replace_strict: {template: 'a-X', params: {X: b}}}", 'a-b'),
    ("{str_replace_vstrict: {template: 'a-X', params: {X: b}}}", 'a-b'),
    # str_split
    ("{str_split: [',', 'a,b,c']}", ['a', 'b', 'c']),
    ("{str_split: [',', 'a,b,c', 1]}", 'b'),
    # repeat
    ('{repeat: {for_each: {<%p%>: [80, 443]}, template: {port: <%p%>}}}',
     [{'port': 80}, {'port': 443}]),
    ('{repeat: {for_each: {X: [a, b], Y: [1, 2]}, template: X-Y}}',
     ['a-1', 'a-2', 'b-1', 'b-2']),
    ('{repeat: {for_each: {X: [a, b], Y: [1, 2]}, template: X-Y, permutations: false}}',
     ['a-1', 'b-2']),
    ('{repeat: {for_each: {K: [a, b]}, template: {K: v}}}', [{'a': 'v'}, {'b': 'v'}]),
    # maps and lists
    ('{map_merge: [{a: 1, b: 1}, {b: 2}]}', {'a': 1, 'b': 2}),
    ('{map_replace: [{k1: v1, k2: v2}, {keys: {k1: K1}, values: {v2: V2}}]}',
     {'K1': 'v1', 'k2': 'V2'}),
    ('{list_concat: [[a], [b, a]]}', ['a', 'b', 'a']),
    ('{list_concat_unique: [[a], [b, a]]}', ['a', 'b']),
    ('{filter: [[a], [a, b, a, c]]}', ['b', 'c']),
    ('{filter: [null, [a]]}', ['a']),
    ('{contains: [b, {get_param: items}]}', True),
    ('{contains: [z, [a]]}', False),
    # make_url, digest, get_file
    ('{make_url: {scheme: https, host: example.com, port: 8443, path: /a b, '
     'query: {x: "1"}, fragment: top}}', 'https://example.com:8443/a%20b?x=1#top'),
    ('{make_url: {scheme: http, host: "::1", username: u, password: p}}', 'http://u:p@[::1]'),
    ("{digest: [sha256, abc]}", hashlib.sha256(b'abc').hexdigest()),
    ('{get_file: "script.sh"}', '#!/bin/sh\n'),
    # if
    ('{if: [true, one, two]}', 'one'),
    ('{if: [{equals: [{get_param: name}, db]}, one, two]}', 'two'),
    ('[a, {if: [false, b]}, c]', ['a', 'c']),
]


@pytest.mark.parametrize('snippet,expected', GOOD)
def test_hot_function_gives_its_value(snippet, expected):
    assert value(snippet, params=PARAMS, files={'script.sh': '#!/bin/sh\n'}) == expected


BAD = [
    ('{get_param: nope}', r'outputs.out.value.get_param: The Parameter \(nope\) was not '
                          'provided.'),
    ('{get_param: [1]}', 'must be the name of a parameter'),
    ('{get_param: [items, {a: b}]}', 'Path components in "get_param" must be strings or '
                                     'integers'),
    ("{list_join: [',', a]}", r'outputs.out.value.list_join: "list_join" joins lists'),
    ('{list_join: [1, [a]]}', 'The delimiter of "list_join" must be a string'),
    ("{list_join: [',']}", r'must be of the form \[delimiter, list, list...\]'),
    ("{list_join: [',', [{get_param: flag}, []]]}", None),
    ('{str_replace: {template: x}}', 'must be a map with the keys "template" and "params"'),
    ('{str_replace: {template: [x], params: {}}}', 'The template of "str_replace" must be'),
    ('{str_replace: {template: x, params: [a]}}', 'The params of "str_replace" must be a map'),
    ("{str_replace_strict: {template: 'a', params: {X: b}}}",
     'The following params were not found in the template: X'),
    ("{str_replace_vstrict: {template: 'aX', params: {X: ''}}}",
     'The following params have empty values: X'),
    ("{str_split: [',', 'a,b', 5]}", r'Incorrect index to "str_split": it should be between '
                                     '0 and 1'),
    ("{str_split: [',']}", 'must be of the form'),
    ("{str_split: [',', [a]]}", 'must be strings'),
    ('{repeat: {template: x}}', 'must be a map with the keys "for_each" and "template"'),
    ('{repeat: {for_each: {X: a}, template: X}}', 'The values of "X" in "repeat" must be'),
    ('{repeat: {for_each: {X: [a], Y: [1, 2]}, template: X, permutations: false}}',
     'must be of the same length'),
    ('{repeat: {for_each: {X: {get_param: big}, Y: {get_param: big}}, template: X}}',
     r'"repeat" would make 1000000 items; at most 100000 are allowed'),
    ('{map_merge: [{a: 1}, [b]]}', 'Items to merge with "map_merge" must be maps'),
    ('{map_merge: {a: 1}}', 'must be a list of maps'),
    ('{map_replace: [{a: 1}, {keys: {a: b}, colours: {}}]}', 'Unknown keys of "map_replace"'),
    ('{map_replace: [{a: 1, b: 2}, {keys: {a: b}}]}', 'would make the key "b" twice'),
    ('{list_concat: [[a], b]}', 'Items to concatenate with "list_concat" must be lists'),
    ('{filter: [[a]]}', r'must be of the form \[values_to_remove, list\]'),
    ('{contains: [a, 1]}', 'The second argument of "contains" must be'),
    ('{make_url: {scheme: http}}', '"make_url" needs a "host"'),
    ('{make_url: {host: h, port: 99999}}', 'Invalid port "99999"'),
    ('{make_url: {host: h, colour: red}}', 'Unknown keys of "make_url": colour'),
    ('{digest: [rot13, abc]}', 'Algorithm "rot13" of "digest" is not supported'),
    ('{get_file: missing.sh}', 'No content found in the "files" section for get_file '
                               'path: missing.sh'),
    ('{if: [true, a, b, c]}', r'Arguments to "if" must be of the form'),
    ('{if: [nope, a, b]}', 'Invalid condition "nope"'),
    ('{yaql: {expression: "1"}}', 'The function "yaql" is not supported: YAQL'),
    ('{resource_facade: metadata}', 'The function "resource_facade" is not supported'),
]


@pytest.mark.parametrize('snippet,message', BAD)
def test_hot_function_with_bad_arguments_is_refused_with_its_place(snippet, message):
    if message is None:   # a boolean is joined as text: not an error
        assert value(snippet, params=PARAMS) == 'true,[]'
        return
    with pytest.raises(exceptions.InvalidTemplate, match=message):
        value(snippet, params=PARAMS)


def test_get_attr_with_a_path_and_all_attributes():
    stack = Stack({'srv': {'addresses': {'net': [{'addr': '10.0.0.3'}]}, 'name': 'n'}})
    body = '''heat_template_version: 2021-04-16
resources:
  srv: {type: OS::Nova::Server}
outputs:
  ip: {value: {get_attr: [srv, addresses, net, 0, addr]}}
  all: {value: {get_attr: [srv]}}
'''
    outputs = bind(body).outputs()
    assert outputs['ip'].resolve(stack) == '10.0.0.3'
    assert outputs['all'].resolve(stack) == stack.attributes['srv']
    assert ('attr', 'srv', None, ()) in stack.asked


def test_get_attr_needs_an_attribute_before_2015_10_15():
    body = ('heat_template_version: 2015-04-30\nresources:\n  s: {type: A}\n'
            'outputs:\n  o: {value: {get_attr: [s]}}\n')
    with pytest.raises(exceptions.InvalidTemplate,
                       match=r'outputs.o.value.get_attr: Arguments to "get_attr"'):
        bind(body)


def test_function_around_an_attribute_is_resolved_when_the_stack_is_there():
    stack = Stack({'a': {'names': ['x', 'y']}})
    body = '''heat_template_version: 2021-04-16
resources:
  a: {type: A}
  b:
    type: B
    properties:
      joined: {list_join: ['+', {get_attr: [a, names]}]}
      url: {str_replace: {template: 'http://H/', params: {H: {get_resource: a}}}}
'''
    definition = bind(body).resources()['b']
    assert definition.depends_on == {'a'}
    assert definition.resolved_properties(stack) == {'joined': 'x+y', 'url': 'http://a-id/'}


def test_a_function_whose_attribute_turns_out_wrong_fails_at_resolve_with_its_place():
    stack = Stack({'a': {'names': 'not-a-list'}})
    body = '''heat_template_version: 2021-04-16
resources:
  a: {type: A}
  b: {type: B, properties: {joined: {list_join: ['+', {get_attr: [a, names]}]}}}
'''
    definition = bind(body).resources()['b']
    with pytest.raises(exceptions.InvalidTemplate,
                       match=r'resources.b.properties.joined.list_join: "list_join" joins'):
        definition.resolved_properties(stack)


CFN = {'AWSTemplateFormatVersion': '2010-09-09',
       'Parameters': {'Env': {'Type': 'String', 'Default': 'prod'},
                      'Zones': {'Type': 'CommaDelimitedList', 'Default': 'a,b'}},
       'Mappings': {'Sizes': {'prod': {'n': 3}}}}


def cfn_value(snippet, stack=None):
    body = dict(CFN, Resources={'R': {'Type': 'A'}}, Outputs={'O': {'Value': snippet}})
    return bind(body).outputs()['O'].resolve(stack or Stack())


CFN_GOOD = [
    ({'Ref': 'Env'}, 'prod'),
    ({'Ref': 'R'}, 'R-id'),
    ({'Ref': 'AWS::StackName'}, 'teststack'),
    ({'Ref': 'AWS::Region'}, 'RegionOne'),
    ({'Ref': 'AWS::AccountId'}, 'proj1'),
    ({'Ref': 'AWS::StackId'}, 'arn:openstack:heat::proj1:stacks/teststack/5a5b-1d'),
    ({'Fn::Join': [':', ['a', {'Ref': 'Env'}]]}, 'a:prod'),
    ({'Fn::Select': ['1', ['x', 'y']]}, 'y'),
    ({'Fn::Select': [5, ['x', 'y']]}, ''),
    ({'Fn::Select': ['k', {'k': 'v'}]}, 'v'),
    ({'Fn::Select': [0, {'Ref': 'Zones'}]}, 'a'),
    ({'Fn::Select': [1, '["j", "k"]']}, 'k'),
    ({'Fn::Select': [1, {'Fn::GetAtt': ['R', 'Missing']}]}, ''),
    ({'Fn::Split': [',', 'a,b']}, ['a', 'b']),
    ({'Fn::Base64': 'plain'}, 'plain'),
    ({'Fn::GetAZs': ''}, ['nova', 'az2']),
    ({'Fn::Replace': [{'%x%': 'y'}, 'a%x%']}, 'ay'),
    ({'Fn::FindInMap': ['Sizes', {'Ref': 'Env'}, 'n']}, 3),
    ({'Fn::GetAtt': ['R', 'Ip']}, '192.0.2.9'),
    ({'Fn::MemberListToMap': ['Name', 'Value', ['.member.0.Name=key',
                                                 '.member.0.Value=door']]}, {'key': 'door'}),
]


@pytest.mark.parametrize('snippet,expected', CFN_GOOD)
def test_cfn_function_gives_its_value(snippet, expected):
    assert cfn_value(snippet, Stack({'R': {'Ip': '192.0.2.9'}})) == expected


CFN_BAD = [
    ({'Fn::Join': [',', 'ab']}, r'Outputs.O.Value.Fn::Join: "Fn::Join" joins lists'),
    ({'Fn::Join': [',', ['a'], ['b']]}, r'must be of the form \[delimiter, list\]'),
    ({'Fn::Select': ['x', ['a']]}, 'must be an integer to select from a list'),
    ({'Fn::Select': [1, {'k': 'v'}]}, 'must be a string to select from a map'),
    ({'Fn::Select': [1, 'not json']}, 'the collection is not a list or a map'),
    ({'Fn::Select': [1, 'true']}, 'the collection must be a list or a map'),
    ({'Fn::FindInMap': ['Sizes', 'dev', 'n']}, r'has no value for \[dev\]\[n\]'),
    ({'Fn::FindInMap': ['Nope', 'a', 'b']}, 'The mapping "Nope" does not exist'),
    ({'Fn::FindInMap': ['Sizes', 'prod']}, 'must be of the form'),
    ({'Fn::GetAtt': ['R']}, r'must be of the form \[resource_name, attribute_name\]'),
    ({'Fn::Base64': ['a']}, 'The argument of "Fn::Base64" must be a string'),
    ({'Fn::Split': [',']}, 'must be of the form'),
    ({'Fn::Replace': ['a']}, 'must be of the form'),
    ({'Fn::ResourceFacade': 'Metadata'}, 'is not supported'),
    ({'get_param': 'Env'}, None),
    ({'Fn::Sub': 'x-${Env}'}, r'Outputs.O.Value.Fn::Sub: The function "Fn::Sub" is not '
                              r'supported \(it is in no template version\)'),
]


@pytest.mark.parametrize('snippet,message', CFN_BAD)
def test_cfn_function_with_bad_arguments_is_refused_with_its_place(snippet, message):
    if message is None:   # HOT's names are plain data in a CFN template
        assert cfn_value(snippet) == snippet
        return
    with pytest.raises(exceptions.InvalidTemplate, match=message):
        cfn_value(snippet)


def test_ref_to_no_value_leaves_the_property_out():
    body = dict(CFN, Resources={'R': {'Type': 'A', 'Properties': {
        'Key': {'Ref': 'AWS::NoValue'}, 'Other': 1}}})
    assert bind(body).resources()['R'].resolved_properties(Stack()) == {'Other': 1}


def test_resolve_evaluates_a_free_snippet():
    definition = bind('heat_template_version: 2021-04-16\nresources:\n  a: {type: A}\n'
                      '  b: {type: B, properties: {x: [{get_resource: a}]}}\n'
                      ).resources()['b']
    assert tpl.resolve(definition.properties, Stack()) == {'x': ['a-id']}


NULL_ATTRIBUTE = [
    ("{list_join: [',', {get_attr: [a, x]}]}", ''),
    ("{list_join: [',', [p], {get_attr: [a, x]}]}", 'p'),
    ('{str_replace: {template: {get_attr: [a, x]}, params: {a: b}}}', ''),
    ("{str_split: [',', {get_attr: [a, x]}]}", ['']),
    ('{map_merge: [{k: v}, {get_attr: [a, x]}]}', {'k': 'v'}),
    ('{map_replace: [{get_attr: [a, x]}, {keys: {k: K}}]}', {}),
    ('{list_concat: [[1], {get_attr: [a, x]}]}', [1]),
    ('{filter: [[1], {get_attr: [a, x]}]}', []),
    ('{contains: [1, {get_attr: [a, x]}]}', False),
    ('{repeat: {for_each: {X: {get_attr: [a, x]}}, template: X}}', []),
    ('{digest: [md5, {get_attr: [a, x]}]}', hashlib.md5(b'').hexdigest()),
]


@pytest.mark.parametrize('snippet,expected', NULL_ATTRIBUTE)
def test_function_of_an_attribute_without_value_yet_gives_an_empty_value(snippet, expected):
    # before a resource exists (or when validating), its attributes are null
    body = f'heat_template_version: 2021-04-16\nresources:\n  a: {{type: A}}\n' \
           f'outputs:\n  out:\n    value: {snippet}\n'
    assert bind(body).outputs()['out'].resolve(Stack()) == expected


@pytest.mark.parametrize('snippet,message', [
    ('{repeat: {for_each: {K: [[1]]}, template: {K: v}}}', 'would make a map key of'),
    ("{'Fn::MemberListToMap': [[a], b, []]}", 'must be strings'),
])
def test_values_that_cannot_be_keys_are_refused_not_crashed_on(snippet, message):
    with pytest.raises(exceptions.InvalidTemplate, match=message):
        value(snippet, '2013-05-23' if 'Member' in snippet else '2021-04-16')


def test_contains_of_a_list_in_a_map_is_false():
    assert value('{contains: [[a], {a: 1}]}') is False
