"""The engine's records cross the wire as plain JSON and read back equal."""

import json

import pytest

from heat_watch.watch import model, rules
from heat_watch.watch.storage import records


def _threshold(**extra) -> model.AlarmDefinition:
    rule = model.ThresholdRule(
        metric=model.MetricSelector('ns', 'cpu', (('az', 'a'), ('host', 'h1')), 'Percent'),
        period=60, evaluation_periods=3, comparison='LessThanThreshold', threshold=5.0,
        percentile=99.9, datapoints_to_alarm=2, missing_data='breaching',
        low_sample_count='ignore')
    return model.AlarmDefinition(**dict(dict(
        id='a1', project_id='p1', name='low', rule=rule, description='d',
        actions={'OK': ['log://ok'], 'ALARM': ['https://h/a']}, actions_enabled=False,
        repeat_actions=True, severity='critical', tags=[{'Key': 'k', 'Value': 'v'}],
        created_at=1, updated_at=2), **extra))


def _through_json(data: dict) -> dict:
    return json.loads(json.dumps(data))


@pytest.mark.parametrize('definition', [
    _threshold(),
    _threshold(rule=model.CompositeRule('ALARM("a") OR NOT OK("b")')),
], ids=['threshold', 'composite'])
def test_an_alarm_definition_survives_the_wire(definition):
    back = model.AlarmDefinition.from_wire(_through_json(definition.to_wire()))
    assert back == definition
    assert back.to_wire()['type'] == definition.type


def test_an_alarm_with_its_state_and_a_page_survive_the_wire():
    alarm = model.Alarm(_threshold(), model.AlarmState(
        'ALARM', 7, 100, 90, 'breached', {'threshold': 5.0, 'recentDatapoints': [1.0]}, 95))
    page = model.Page([alarm], marker='a1')
    assert model.Page.from_wire(_through_json(page.to_wire()), model.Alarm) == page


def test_dimensions_from_the_wire_are_canonical():
    selector = model.MetricSelector.from_wire(
        {'namespace': 'ns', 'metric_name': 'm', 'dimensions': [['b', '2'], ['a', '1']]})
    assert selector.dimensions == (('a', '1'), ('b', '2'))


def test_an_unknown_filter_is_refused():
    assert model.AlarmFilter.from_wire({'state': 'OK'}) == model.AlarmFilter(state='OK')
    with pytest.raises(TypeError):
        model.AlarmFilter.from_wire({'colour': 'red'})


@pytest.mark.parametrize('definition', [
    _threshold(),
    _threshold(rule=model.CompositeRule('ALARM("a")'), description=None, tags=[]),
], ids=['threshold', 'composite'])
def test_a_stored_definition_reads_back_as_the_same_record(definition):
    stored = {'id': 'a1', 'project_id': 'p1', 'name': 'low',
              'alarm_type': records.STORED_TYPES[definition.type],
              'definition': _through_json(records.stored_definition(definition)),
              'actions_enabled': definition.actions_enabled, 'configuration_updated_at': 2,
              'created_at': 1}
    back = records.definition_of(stored)
    assert back == definition


def test_threshold_and_composite_are_installed_rule_plugins_in_sweep_order():
    assert rules.names() == ['composite', 'threshold']
    assert [r.name for r in rules.in_sweep_order()] == ['threshold', 'composite']
    assert rules.get('composite').children(
        _threshold(rule=model.CompositeRule('ALARM("a") AND OK("b")'))) == {'a', 'b'}
    key = rules.get('threshold').metric_key(_threshold())
    assert key == rules.get('threshold').metric_key(_threshold(name='other'))
    assert len(key) == 64
