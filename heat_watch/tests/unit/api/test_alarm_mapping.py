"""The Ceilometer/Aodh alarm <-> engine alarm mapping, both ways, and what
it refuses rather than change silently."""

import datetime
import json

import pytest

from heat_watch.api import alarm_mapping
from heat_watch.api import alarm_mapping_render as alarm_render
from heat_watch.common import exceptions
from heat_watch.watch import model

GROUP_QUERY = [{'field': 'metadata.user_metadata.AutoScalingGroupName', 'op': 'eq',
                'value': 'web'}]


def _threshold(**rule) -> dict:
    base_rule = {'meter_name': 'cpu_util', 'comparison_operator': 'gt', 'threshold': 70.0,
                 'statistic': 'avg', 'period': 60, 'evaluation_periods': 2,
                 'query': GROUP_QUERY}
    return {'name': 'high', 'type': 'threshold', 'threshold_rule': dict(base_rule, **rule)}


def _definition(body: dict, **kwargs) -> model.AlarmDefinition:
    return alarm_mapping.definition_of(body, 'p1', 'u1', **kwargs)


def test_group_query_becomes_the_group_dimension_of_the_openstack_namespace():
    rule = _definition(_threshold()).rule
    assert rule.metric == model.MetricSelector('openstack', 'cpu_util',
                                               (('AutoScalingGroupName', 'web'),))
    assert (rule.comparison, rule.statistic, rule.threshold, rule.period,
            rule.evaluation_periods) == ('GreaterThanThreshold', 'Average', 70.0, 60, 2)


@pytest.mark.parametrize('field', ['metadata.metering.AutoScalingGroupName',
                                   'resource_metadata.AutoScalingGroupName',
                                   'metadata.user_metadata.AutoScalingGroupName'])
def test_every_spelling_of_the_group_metadata_is_the_same_dimension(field):
    rule = _definition(_threshold(query=[{'field': field, 'value': 'web'}])).rule
    assert rule.metric.dimensions == (('AutoScalingGroupName', 'web'),)


def test_resource_and_source_pick_resource_id_and_namespace():
    rule = _definition(_threshold(query=[
        {'field': 'resource_id', 'op': 'eq', 'value': 'vm-1'},
        {'field': 'source', 'op': '', 'value': 'MyApp'},
        {'field': 'project_id', 'op': 'eq', 'value': 'p1'}])).rule
    assert rule.metric == model.MetricSelector('MyApp', 'cpu_util', (('ResourceId', 'vm-1'),))


@pytest.mark.parametrize('change, words', [
    ({'exclude_outliers': True}, 'exclude_outliers'),
    ({'comparison_operator': 'eq'}, 'comparison_operator'),
    ({'comparison_operator': 'ne'}, 'comparison_operator'),
    ({'statistic': 'median'}, 'statistic'),
    ({'query': [{'field': 'resource_id', 'op': 'ne', 'value': 'x'}]}, 'op eq'),
    ({'query': [{'field': 'project_id', 'op': 'eq', 'value': 'other'}]}, 'own project'),
    ({'query': [{'field': 'flavor', 'op': 'eq', 'value': 'x'}]}, 'not supported'),
    ({'period': 45}, 'period'),
    ({'threshold': 'high'}, 'threshold'),
    ({'evaluation_periods': 0}, 'evaluation_periods'),
    ({'evaluation_periods': 1441}, 'one day'),
    ({'period': 3600, 'evaluation_periods': 169}, 'seven days'),
    ({'evaluation_periods': 10 ** 9}, 'must not exceed'),
])
def test_what_the_engine_cannot_express_is_a_clear_400(change, words):
    with pytest.raises(exceptions.InvalidParameterValue) as raised:
        _definition(_threshold(**change))
    assert words in str(raised.value)


def test_time_constraints_are_refused_and_empty_ones_accepted():
    with pytest.raises(exceptions.InvalidParameterValue, match='time_constraints'):
        _definition(dict(_threshold(), time_constraints=[
            {'name': 'night', 'start': '0 23 * * *', 'duration': 3600}]))
    assert _definition(dict(_threshold(), time_constraints=[])).name == 'high'


def test_combination_is_a_composite_expression_and_reads_back():
    body = {'name': 'both', 'type': 'combination',
            'combination_rule': {'operator': 'or', 'alarm_ids': ['id-a', 'id-"b']}}
    definition = _definition(body, child_names=['a', 'b "quoted"'])
    assert definition.rule.expression == 'ALARM("a") OR ALARM("b \\"quoted\\"")'
    doc = alarm_render.definition_doc(definition, {'a': 'id-a', 'b "quoted"': 'id-b'})
    assert (doc['type'], doc['combination_rule']) == (
        'combination', {'operator': 'or', 'alarm_ids': ['id-a', 'id-b']})


def test_a_cloudwatch_composite_reads_as_composite_and_is_accepted_back():
    definition = model.AlarmDefinition('p1', 'c', model.CompositeRule(
        'ALARM(a) AND NOT OK("b")'))
    doc = alarm_render.definition_doc(definition, {})
    assert doc['composite_rule'] == {'expression': 'ALARM(a) AND NOT OK("b")'}
    again = _definition({'name': 'c', 'type': 'composite',
                         'composite_rule': doc['composite_rule']})
    assert again.rule == definition.rule


def test_aodh_inline_composite_rules_are_refused():
    with pytest.raises(exceptions.InvalidParameterValue, match='inline threshold'):
        _definition({'name': 'c', 'type': 'composite', 'composite_rule': {
            'or': [{'type': 'threshold', 'meter_name': 'cpu', 'threshold': 1}]}})


def test_every_field_get_returns_is_accepted_back_unchanged():
    definition = _definition(dict(_threshold(), alarm_actions=['log://a'], severity='critical',
                                  repeat_actions=True, enabled=False, description='d'))
    alarm = model.Alarm(definition, model.AlarmState('ALARM', 3, 1_000, 2_000, 'why'))
    doc = alarm_render.alarm_doc(alarm, {})
    assert (doc['state'], doc['severity'], doc['time_constraints']) == (
        'alarm', 'critical', [])
    again = _definition(json.loads(json.dumps(doc)), current=definition)
    assert again == definition


def test_a_put_keeps_what_only_cloudwatch_can_say():
    cloudwatch_rule = model.ThresholdRule(
        metric=model.MetricSelector('AWS/EC2', 'CPUUtilization', (('InstanceId', 'i-1'),),
                                    'Percent'),
        period=300, evaluation_periods=3, comparison='LessThanThreshold', threshold=5.0,
        percentile=99.0, datapoints_to_alarm=2, missing_data='breaching')
    current = model.AlarmDefinition('p1', 'low', cloudwatch_rule, id='x', tags=[
        {'Key': 'k', 'Value': 'v'}])
    doc = alarm_render.definition_doc(current, {})
    assert doc['threshold_rule']['statistic'] == 'p99'
    assert {'field': 'source', 'op': 'eq', 'value': 'AWS/EC2', 'type': 'string'} in \
        doc['threshold_rule']['query']
    doc['threshold_rule']['threshold'] = 10.0
    replaced = _definition(doc, current=current)
    assert replaced.rule == model.ThresholdRule(
        metric=cloudwatch_rule.metric, period=300, evaluation_periods=3,
        comparison='LessThanThreshold', threshold=10.0, percentile=99.0,
        datapoints_to_alarm=2, missing_data='breaching')
    assert replaced.tags == current.tags


def test_state_transition_and_deletion_history_details():
    definition = _definition(dict(_threshold(), severity='moderate'))
    transition = model.HistoryItem(1, 'a1', 'high', 'threshold', 'p1', 5_000,
                                   'state transition', 's', {'state': 'ALARM', 'reason': 'r'})
    assert json.loads(alarm_render.history_doc(transition, {})['detail']) == {
        'state': 'alarm', 'transition_reason': 'r'}
    deletion = model.HistoryItem(2, 'a1', 'high', 'threshold', 'p1', 6_000, 'deletion', 's',
                                 {'type': 'Delete', 'definition': definition.to_wire()})
    row = alarm_render.history_doc(deletion, {})
    detail = json.loads(row['detail'])
    assert (detail['severity'], detail['type'], detail['rule']['meter_name']) == (
        'moderate', 'threshold', 'cpu_util')
    assert (row['on_behalf_of'], row['user_id'], row['event_id']) == ('p1', 'u1', '2')


def test_rule_change_detail_holds_the_changed_fields():
    before = _definition(dict(_threshold(), description='d'))
    after = _definition(dict(_threshold(threshold=90.0), description='d'))
    change = model.HistoryItem(3, 'a1', 'high', 'threshold', 'p1', 7_000, 'rule change', 's',
                               {'definition': after.to_wire(), 'original': before.to_wire()})
    detail = json.loads(alarm_render.history_doc(change, {})['detail'])
    assert sorted(detail) == ['rule', 'threshold_rule']
    assert detail['threshold_rule']['threshold'] == detail['rule']['threshold'] == 90.0


@pytest.mark.parametrize('stamp_ms', [0, 1, 999, 1_000, 1_796_466_826_128, 1_796_466_826_000,
                                      4_102_444_799_999])
def test_iso_writes_the_time_fromtimestamp_does(stamp_ms):
    expected = datetime.datetime.fromtimestamp(stamp_ms / 1000, datetime.UTC).replace(
        tzinfo=None).isoformat()
    assert alarm_mapping.iso(stamp_ms) == expected
    assert alarm_mapping.iso(None) is None
