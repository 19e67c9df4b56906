"""What each template version allows: functions, sections, keys, and the
version listing of the API."""

import pytest

from heat_watch.common import exceptions
from heat_watch.orchestration import template as tpl
from heat_watch.tests.unit.orchestration.template.helpers import bind, value

# (snippet, the first version that has it, the version before)
GATES = [
    ('{repeat: {for_each: {X: [a]}, template: X}}', '2015-04-30', '2014-10-16'),
    ('{digest: [md5, a]}', '2015-04-30', '2014-10-16'),
    ("{str_split: [',', a]}", '2015-10-15', '2015-04-30'),
    ('{map_merge: [{a: 1}]}', '2016-04-08', '2015-10-15'),
    ('{map_replace: [{a: 1}, {keys: {a: b}}]}', '2016-10-14', '2016-04-08'),
    ('{if: [true, a, b]}', '2016-10-14', '2016-04-08'),
    ('{filter: [[a], [a, b]]}', '2017-02-24', '2016-10-14'),
    ('{str_replace_strict: {template: a, params: {a: b}}}', '2017-02-24', '2016-10-14'),
    ('{make_url: {host: h}}', '2017-09-01', '2017-02-24'),
    ('{list_concat: [[a]]}', '2017-09-01', '2017-02-24'),
    ('{list_concat_unique: [[a]]}', '2017-09-01', '2017-02-24'),
    ('{str_replace_vstrict: {template: a, params: {a: b}}}', '2017-09-01', '2017-02-24'),
    ('{contains: [a, [a]]}', '2017-09-01', '2017-02-24'),
]


@pytest.mark.parametrize('snippet,first,before', GATES)
def test_function_is_available_from_its_version_on(snippet, first, before):
    value(snippet, first)
    with pytest.raises(exceptions.InvalidTemplate,
                       match=f'The function "{snippet[1:].split(":")[0]}" is not available '
                             f'in template version heat_template_version.{before}'):
        value(snippet, before)


# (snippet, the last version that has it, the version after)
REMOVALS = [
    ("{'Fn::Join': [',', [a]]}", '2013-05-23', '2014-10-16'),
    ("{'Fn::Split': [',', a]}", '2013-05-23', '2014-10-16'),
    ("{'Fn::Replace': [{a: b}, a]}", '2013-05-23', '2014-10-16'),
    ("{'Fn::Base64': a}", '2013-05-23', '2014-10-16'),
    ("{'Fn::Select': [0, [a]]}", '2015-04-30', '2015-10-15'),
]


@pytest.mark.parametrize('snippet,last,after', REMOVALS)
def test_function_removed_after_its_last_version_is_refused(snippet, last, after):
    value(snippet, last)
    with pytest.raises(exceptions.InvalidTemplate, match='is not available in template '
                                                         f'version heat_template_version.{after}'):
        value(snippet, after)


def test_ref_and_getazs_exist_in_hot_2013_05_23_only():
    body = ('heat_template_version: {v}\nresources:\n  r: {{type: A}}\noutputs:\n'
            '  o: {{value: {{Ref: r}}}}\n  z: {{value: {{"Fn::GetAZs": ""}}}}\n')
    bind(body.format(v='2013-05-23'))
    with pytest.raises(exceptions.InvalidTemplate, match='"Ref" is not available'):
        bind(body.format(v='2014-10-16'))


def test_list_join_of_several_lists_came_with_2015_10_15():
    assert value("{list_join: [',', [a], [b]]}", '2015-10-15') == 'a,b'
    with pytest.raises(exceptions.InvalidTemplate, match=r'\[delimiter, list\]'):
        value("{list_join: [',', [a], [b]]}", '2015-04-30')


def test_list_join_before_2015_10_15_refuses_maps_in_the_list():
    with pytest.raises(exceptions.InvalidTemplate, match='must be strings or numbers'):
        value("{list_join: [',', [{a: b}]]}", '2015-04-30')


def test_str_replace_before_2015_10_15_refuses_a_map_value():
    with pytest.raises(exceptions.InvalidTemplate, match='must be strings or numbers'):
        value('{str_replace: {template: X, params: {X: {a: b}}}}', '2015-04-30')


def test_if_without_a_false_value_came_with_2021_04_16():
    assert value('[a, {if: [false, b]}]', '2021-04-16') == ['a']
    assert value('{if: [false, b]}', '2021-04-16') is None
    with pytest.raises(exceptions.InvalidTemplate, match='Arguments to "if" must be'):
        value('[a, {if: [false, b]}]', '2018-08-31')


def test_repeat_permutations_came_with_2017_09_01():
    snippet = '{repeat: {for_each: {X: [a]}, template: X, permutations: false}}'
    assert value(snippet, '2017-09-01') == ['a']
    with pytest.raises(exceptions.InvalidTemplate, match='Unknown keys of "repeat"'):
        value(snippet, '2017-02-24')


def test_lowercase_deletion_policies_came_with_2016_10_14():
    body = 'heat_template_version: {v}\nresources:\n  r: {{type: A, deletion_policy: retain}}\n'
    assert bind(body.format(v='2016-10-14')).resources()['r'].deletion_policy == 'Retain'
    with pytest.raises(exceptions.InvalidTemplate, match='Invalid deletion policy "retain"'):
        tpl.parse(body.format(v='2016-04-08'))


def test_parameter_tags_came_with_2018_03_02():
    body = 'heat_template_version: {v}\nparameters:\n  p: {{type: string, tags: [a]}}\n'
    assert tpl.parse(body.format(v='2018-03-02')).parameter_schemas()['p']['Tags'] == ['a']
    with pytest.raises(exceptions.InvalidTemplate, match=r'Invalid key\(s\) tags'):
        tpl.parse(body.format(v='2017-09-01'))


def test_a_function_name_is_checked_when_the_template_is_parsed():
    body = ('heat_template_version: 2014-10-16\nresources:\n  r:\n    type: A\n'
            '    properties: {x: {repeat: {for_each: {X: [a]}, template: X}}}\n')
    with pytest.raises(exceptions.InvalidTemplate,
                       match='resources.r.properties.x.repeat: The function "repeat"'):
        tpl.parse(body)


def test_versions_list_has_heat_shape_with_aliases():
    listed = {v['version']: v for v in tpl.versions()}
    assert listed['AWSTemplateFormatVersion.2010-09-09'] == {
        'version': 'AWSTemplateFormatVersion.2010-09-09', 'type': 'cfn', 'aliases': []}
    assert listed['heat_template_version.2021-04-16'] == {
        'version': 'heat_template_version.2021-04-16', 'type': 'hot',
        'aliases': ['heat_template_version.wallaby']}
    assert 'heat_template_version.rocky' in listed['heat_template_version.2018-08-31'][
        'aliases']
    assert listed['HeatTemplateFormatVersion.2012-12-12']['type'] == 'cfn'
    assert len(listed) == 13


def test_functions_of_a_version_are_listed_with_descriptions():
    names = [f['functions'] for f in tpl.functions('heat_template_version.2013-05-23')]
    assert 'Fn::Join' in names and 'get_param' in names and 'repeat' not in names
    newest = tpl.functions('heat_template_version.wallaby')
    assert {'functions': 'if', 'description': newest[[f['functions'] for f in newest]
                                                       .index('if')]['description']} in newest
    assert all(f['description'] for f in newest)
    assert 'Fn::Join' not in [f['functions'] for f in newest]


def test_condition_functions_are_listed_on_request():
    plain = {f['functions'] for f in tpl.functions('heat_template_version.2017-09-01')}
    with_conditions = {f['functions'] for f in tpl.functions(
        'heat_template_version.2017-09-01', with_condition_functions=True)}
    assert {'equals', 'not', 'and', 'or'} <= with_conditions - plain
    cfn = {f['functions'] for f in tpl.functions('AWSTemplateFormatVersion.2010-09-09', True)}
    assert {'Fn::Equals', 'Fn::If', 'Fn::FindInMap', 'Ref'} <= cfn


def test_functions_of_an_unknown_version_is_not_found():
    with pytest.raises(exceptions.NotFound, match='heat_template_version.2000-01-01'):
        tpl.functions('heat_template_version.2000-01-01')


def test_heat_cfn_dialect_2012_12_12_has_no_conditions():
    body = {'HeatTemplateFormatVersion': '2012-12-12',
            'Parameters': {'P': {'Type': 'String', 'Default': 'v'}},
            'Resources': {'R': {'Type': 'A', 'Properties': {'x': {'Ref': 'P'}}}}}
    template = tpl.parse(body)
    assert (template.kind, template.version) == ('cfn', '2012-12-12')
    assert bind(body).resources()['R'].properties == {'x': 'v'}
    with pytest.raises(exceptions.InvalidTemplate,
                       match='The template section is invalid: Conditions'):
        tpl.parse(dict(body, Conditions={}))
    with pytest.raises(exceptions.InvalidTemplate, match='"Fn::If" is not available in '
                                                         'template version '
                                                         'HeatTemplateFormatVersion.2012-12-12'):
        tpl.parse(dict(body, Outputs={'O': {'Value': {'Fn::If': ['c', 1, 2]}}}))
    names = {f['functions'] for f in tpl.functions('HeatTemplateFormatVersion.2012-12-12')}
    assert 'Fn::Join' in names and 'Fn::If' not in names
