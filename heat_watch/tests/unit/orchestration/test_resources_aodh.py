"""OS::Aodh::Alarm's rule in the watch engine's words: meters and metadata
map to metrics as the REST API stores samples; what cannot be a CloudWatch
alarm is refused with the place named."""

import pytest

from heat_watch.common import exceptions
from heat_watch.orchestration.resources import aodh


def test_matching_metadata_and_query_become_dimensions():
    rule = aodh.threshold_rule({
        'meter_name': 'cpu_util', 'statistic': 'max', 'period': 30,
        'evaluation_periods': 2, 'threshold': '80', 'comparison_operator': 'ge',
        'matching_metadata': {'metering.AutoScalingGroupName': 'g1'},
        'query': [{'field': 'metadata.user_metadata.role', 'op': 'eq', 'value': 'web'},
                  {'field': 'resource_id', 'value': 'i-1'}]}, 'here')
    assert rule.metric.namespace == 'openstack' and rule.metric.metric_name == 'cpu_util'
    assert dict(rule.metric.dimensions) == {'AutoScalingGroupName': 'g1', 'role': 'web',
                                            'ResourceId': 'i-1'}
    assert (rule.statistic, rule.comparison, rule.threshold, rule.period,
            rule.evaluation_periods) == ('Maximum', 'GreaterThanOrEqualToThreshold', 80.0,
                                         30, 2)


def test_heat_style_metadata_keys_select_the_same_dimension():
    keys = ('metadata.metering.stack', 'metadata.user_metadata.stack', 'metering.stack',
            'user_metadata.stack')
    for key in keys:
        rule = aodh.threshold_rule({'meter_name': 'm', 'threshold': 1,
                                    'matching_metadata': {key: 's'}}, 'here')
        assert rule.metric.dimensions == (('stack', 's'),), key
        assert rule.statistic == 'Average' and rule.comparison == 'GreaterThanThreshold'


@pytest.mark.parametrize('rule, words', [
    ({'meter_name': 'm', 'threshold': 1, 'comparison_operator': 'eq'}, 'no eq or ne'),
    ({'meter_name': 'm', 'threshold': 1, 'statistic': 'p99'}, 'statistic'),
    ({'meter_name': 'm', 'threshold': 1, 'matching_metadata': {'flavor': 'x'}},
     'flavor cannot select a metric'),
    ({'meter_name': 'm', 'threshold': 1, 'query': [{'field': 'resource_id', 'op': 'ne',
                                                    'value': 'x'}]}, 'only op eq'),
    ({'meter_name': 'm'}, 'threshold are required'),
    ({'meter_name': 'm', 'threshold': 'high'}, 'are numbers'),
])
def test_rules_a_cloudwatch_alarm_cannot_hold_are_refused(rule, words):
    with pytest.raises(exceptions.InvalidTemplate, match=words):
        aodh.threshold_rule(rule, 'resources.a.properties')


def test_composite_rules_become_an_expression_over_their_leaves():
    leaf = {'meter_name': 'm', 'threshold': 1}
    expression, leaves = aodh._leaves(
        {'or': [leaf, {'and': [leaf, dict(leaf, threshold=2)]}]}, 'here')
    assert expression.format('"a"', '"b"', '"c"') == \
        '(ALARM("a") OR (ALARM("b") AND ALARM("c")))'
    assert len(leaves) == 3
    heat_form, _ = aodh._leaves({'operator': 'and', 'rules': [leaf, leaf]}, 'here')
    assert heat_form == '(ALARM({0}) AND ALARM({1}))'
    with pytest.raises(exceptions.InvalidTemplate, match='only threshold'):
        aodh._leaves({'or': [{'type': 'event'}]}, 'here')


def test_an_unknown_alarm_backend_fails_the_alarm_naming_the_option(tmp_path):
    from heat_watch.common import db
    from heat_watch.tests.unit.orchestration.conftest import Engine, make_runtime_conf
    conf = make_runtime_conf(tmp_path)
    conf.set_override('alarm_backend', 'ceilometer-please', group='orchestration')
    engine = Engine(conf)
    try:
        engine.ops.create('p1', None, 'a', {
            'heat_template_version': '2021-04-16', 'resources': {'a': {
                'type': 'OS::Aodh::Alarm',
                'properties': {'meter_name': 'm', 'threshold': 1}}}},
            args={'disable_rollback': True})
        shown = engine.wait('a')
        assert shown['stack_status'] == 'CREATE_FAILED'
        assert "alarm_backend is \"watch\" or the http(s) URL of an Aodh, not " \
               "'ceilometer-please'" in shown['stack_status_reason']
    finally:
        engine.runtime.stop()
        db.dispose_engines()


def test_a_wrong_rule_is_a_400_before_anything_is_made(engine):
    body = {'heat_template_version': '2021-04-16', 'resources': {'a': {
        'type': 'OS::Aodh::Alarm', 'properties': {
            'meter_name': 'm', 'threshold': 1,
            'matching_metadata': {'flavor': 'small'}}}}}
    with pytest.raises(exceptions.InvalidTemplate,
                       match='resources.a.properties.matching_metadata: flavor'):
        engine.ops.create('p1', None, 'bad', body)
    composite = {'heat_template_version': '2021-04-16', 'resources': {'c': {
        'type': 'OS::Aodh::CompositeAlarm', 'properties': {
            'composite_rule': {'or': [{'type': 'event'}]}}}}}
    with pytest.raises(exceptions.InvalidTemplate, match='only threshold'):
        engine.ops.create('p1', None, 'bad2', composite)
    assert engine.runtime.stacks.list('p1') == []
