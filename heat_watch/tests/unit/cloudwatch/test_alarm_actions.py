"""The CloudWatch alarm actions: AWS validation rules with AWS error codes,
the watch engine calls they make, and the answers they shape.

The engine is a recording fake with the methods of the real RPC client (a
test below keeps their signatures in step).
"""

import copy
import datetime
import inspect
import json

import pytest

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch.actions import alarm_queries, alarm_shapes, alarms
from heat_watch.cloudwatch.protocol import json_protocol, model, query
from heat_watch.common import context as hw_context
from heat_watch.tests.unit.cloudwatch.protocol import botocore_helpers as bh
from heat_watch.watch import model as engine_model
from heat_watch.watch import rpcapi

UTC = datetime.UTC
CTXT = hw_context.RequestContext(project_id='p1', request_id='req-1')
T0 = datetime.datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
T0_MS = 1795428000000
T1 = T0 + datetime.timedelta(hours=1)
WEBHOOK = 'https://orchestrator.example/v1/signal/scale-up?sig=abc'


class FakeEngine:
    """Records the alarm calls of WatchEngineClient; answers canned results."""

    region_name = 'RegionOne'

    def __init__(self, **answers):
        self.calls: list[tuple] = []
        self.answers = answers

    def _record(self, method: str, *args):
        self.calls.append((method, *args))
        return copy.deepcopy(self.answers.get(method))

    def put_alarm(self, ctxt, definition: engine_model.AlarmDefinition
                  ) -> tuple[engine_model.Alarm, bool]:
        return self._record('put_alarm', definition)

    def list_alarms(self, ctxt, filters: engine_model.AlarmFilter | None = None,
                    marker: str | None = None, limit: int = 100, sort_key: str = 'name',
                    sort_dir: str = 'asc') -> engine_model.Page:
        return self._record('list_alarms', filters, marker, limit)

    def delete_alarms(self, ctxt, names: list[str]) -> None:
        return self._record('delete_alarms', names)

    def set_alarm_state(self, ctxt, name: str, state: str, reason: str,
                        reason_data: dict | None = None) -> engine_model.AlarmState:
        return self._record('set_alarm_state', name, state, reason, reason_data)

    def set_alarm_actions(self, ctxt, names: list[str], enabled: bool) -> None:
        return self._record('set_alarm_actions', names, enabled)

    def get_alarm_history(self, ctxt, alarm_id: str | None = None,
                          types: list[str] | None = None, start: int | None = None,
                          end: int | None = None, marker: str | None = None,
                          limit: int = 100, ascending: bool = False,
                          alarm_name: str | None = None,
                          alarm_types: list[str] | None = None) -> engine_model.Page:
        return self._record('get_alarm_history', {
            'alarm_name': alarm_name, 'alarm_types': alarm_types, 'types': types,
            'start': start, 'end': end, 'marker': marker, 'limit': limit,
            'ascending': ascending})


def _without_none(data: dict) -> dict:
    return {key: value for key, value in data.items() if value is not None}


def aws_view(definition: engine_model.AlarmDefinition) -> dict:
    """What a definition sent to the engine says, in PutMetricAlarm's names."""
    return dict(alarm_shapes.settings(definition), Tags=definition.tags,
                RepeatActions=definition.repeat_actions, Severity=definition.severity)


def sent_views(engine: FakeEngine) -> list[tuple]:
    return [(call[0], aws_view(call[1])) if call[0] == 'put_alarm' else call
            for call in engine.calls]


def metric_alarm(**changes) -> dict:
    """A valid PutMetricAlarm input, with ``changes`` (None removes a key)."""
    data = {'AlarmName': 'cpu-high', 'MetricName': 'CPUUtilization', 'Namespace': 'system/linux',
            'Statistic': 'Average', 'Period': 60, 'EvaluationPeriods': 3, 'Threshold': 80.0,
            'ComparisonOperator': 'GreaterThanThreshold'}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def composite_alarm(**changes) -> dict:
    data = {'AlarmName': 'service-down', 'AlarmRule': 'ALARM(cpu-high) AND NOT OK("disk full")'}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def run(action, data: dict, engine: FakeEngine | None = None) -> tuple[dict, FakeEngine]:
    engine = engine or FakeEngine()
    return action(CTXT, engine, data), engine


def rejection(action, data: dict) -> errors.AWSError:
    """The AWS error ``action`` raises for ``data``; the engine must not be called."""
    engine = FakeEngine()
    with pytest.raises(errors.AWSError) as info:
        action(CTXT, engine, data)
    assert engine.calls == []
    return info.value


def sent_alarm(data: dict) -> dict:
    _, engine = run(alarms.put_metric_alarm, data)
    [(method, alarm)] = engine.calls
    assert method == 'put_alarm'
    return aws_view(alarm)


# -- the action table and the fake ----------------------------------------------


def test_actions_cover_every_alarm_operation_of_the_model():
    assert sorted(alarms.ACTIONS) == [
        'DeleteAlarms', 'DescribeAlarmHistory', 'DescribeAlarms', 'DescribeAlarmsForMetric',
        'DisableAlarmActions', 'EnableAlarmActions', 'PutCompositeAlarm', 'PutMetricAlarm',
        'SetAlarmState']
    for operation in alarms.ACTIONS:
        model.input_shape(operation)  # raises KeyError for an unknown operation


@pytest.mark.parametrize('method', [name for name, value in vars(FakeEngine).items()
                                    if not name.startswith('_') and callable(value)])
def test_fake_engine_has_the_signatures_of_the_rpc_client(method):
    assert (inspect.signature(getattr(FakeEngine, method))
            == inspect.signature(getattr(rpcapi.WatchEngineClient, method)))


# -- PutMetricAlarm ------------------------------------------------------------------


def test_minimal_metric_alarm_is_sent_with_aws_defaults_and_extension_defaults():
    result, engine = run(alarms.put_metric_alarm, metric_alarm())
    assert result == {}
    assert sent_views(engine) == [('put_alarm', _without_none({
        'AlarmName': 'cpu-high', 'AlarmDescription': None, 'ActionsEnabled': True,
        'OKActions': [], 'AlarmActions': [], 'InsufficientDataActions': [], 'Tags': [],
        'RepeatActions': False, 'Severity': 'low',
        'MetricName': 'CPUUtilization', 'Namespace': 'system/linux', 'Dimensions': [],
        'Unit': None, 'Statistic': 'Average', 'ExtendedStatistic': None,
        'EvaluateLowSampleCountPercentile': None, 'Period': 60, 'EvaluationPeriods': 3,
        'DatapointsToAlarm': None, 'ComparisonOperator': 'GreaterThanThreshold',
        'Threshold': 80.0, 'TreatMissingData': 'missing'}))]


def test_full_metric_alarm_is_sent_as_validated():
    alarm = sent_alarm(metric_alarm(
        AlarmDescription='', ActionsEnabled=False, OKActions=['log://ok'],
        AlarmActions=[WEBHOOK, 'http://h/x'], InsufficientDataActions=['log://no-data'],
        Dimensions=[{'Name': 'InstanceId', 'Value': 'i-1'}], Unit='Percent',
        Statistic=None, ExtendedStatistic='p99.5', EvaluateLowSampleCountPercentile='ignore',
        DatapointsToAlarm=3, Threshold=80, TreatMissingData='notBreaching',
        Tags=[{'Key': 'stack', 'Value': ''}], RepeatActions=True, Severity='critical'))
    assert alarm == _without_none({
        'AlarmName': 'cpu-high', 'AlarmDescription': '', 'ActionsEnabled': False,
        'OKActions': ['log://ok'], 'AlarmActions': [WEBHOOK, 'http://h/x'],
        'InsufficientDataActions': ['log://no-data'], 'Tags': [{'Key': 'stack', 'Value': ''}],
        'RepeatActions': True, 'Severity': 'critical',
        'MetricName': 'CPUUtilization', 'Namespace': 'system/linux',
        'Dimensions': [{'Name': 'InstanceId', 'Value': 'i-1'}], 'Unit': 'Percent',
        'Statistic': None, 'ExtendedStatistic': 'p99.5',
        'EvaluateLowSampleCountPercentile': 'ignore', 'Period': 60, 'EvaluationPeriods': 3,
        'DatapointsToAlarm': 3, 'ComparisonOperator': 'GreaterThanThreshold',
        'Threshold': 80.0, 'TreatMissingData': 'notBreaching'})


def test_threshold_given_as_an_integer_is_sent_as_a_float():
    assert isinstance(sent_alarm(metric_alarm(Threshold=5))['Threshold'], float)


MISSING = 'MissingParameter'
INVALID = 'InvalidParameterValue'
COMBINATION = 'InvalidParameterCombination'


@pytest.mark.parametrize('changes, code', [
    pytest.param({'AlarmName': None}, MISSING, id='alarm name missing'),
    pytest.param({'AlarmName': 'a' * 256}, INVALID, id='alarm name too long'),
    pytest.param({'AlarmDescription': 'd' * 1025}, INVALID, id='description too long'),
    pytest.param({'ActionsEnabled': 'yes'}, INVALID, id='actions enabled not boolean'),
    pytest.param({'AlarmActions': ['log://a'] * 6}, INVALID, id='six alarm actions'),
    pytest.param({'OKActions': ['http://h/' + 'x' * 1016]}, INVALID, id='action too long'),
    pytest.param({'InsufficientDataActions': ['']}, INVALID, id='empty action'),
    pytest.param({'MetricName': None}, MISSING, id='metric name missing'),
    pytest.param({'Namespace': None}, MISSING, id='namespace missing'),
    pytest.param({'Namespace': ':x'}, INVALID, id='namespace beginning with colon'),
    pytest.param({'Metrics': [{'Id': 'e1', 'Expression': 'm1*2'}]}, INVALID,
                 id='metric math not supported'),
    pytest.param({'ThresholdMetricId': 'ad1'}, INVALID, id='anomaly detection not supported'),
    pytest.param({'EvaluationInterval': 60}, INVALID, id='evaluation interval not supported'),
    pytest.param({'ExtendedStatistic': 'p90'}, COMBINATION, id='statistic and extended'),
    pytest.param({'Statistic': None}, COMBINATION, id='no statistic at all'),
    pytest.param({'Statistic': 'Median'}, INVALID, id='unknown statistic'),
    pytest.param({'Statistic': None, 'ExtendedStatistic': 'p101'}, INVALID,
                 id='percentile above 100'),
    pytest.param({'Dimensions': [{'Name': 'd%d' % i, 'Value': 'v'} for i in range(31)]},
                 INVALID, id='31 dimensions'),
    pytest.param({'Dimensions': [{'Name': 'd'}]}, MISSING, id='dimension without value'),
    pytest.param({'Period': None}, MISSING, id='period missing'),
    pytest.param({'Unit': 'Parsecs'}, INVALID, id='unknown unit'),
    pytest.param({'EvaluationPeriods': None}, MISSING, id='evaluation periods missing'),
    pytest.param({'EvaluationPeriods': 0}, INVALID, id='zero evaluation periods'),
    pytest.param({'DatapointsToAlarm': 0}, INVALID, id='zero datapoints to alarm'),
    pytest.param({'Threshold': None}, MISSING, id='threshold missing'),
    pytest.param({'Threshold': float('nan')}, INVALID, id='threshold not a number'),
    pytest.param({'Threshold': float('inf')}, INVALID, id='threshold infinite'),
    pytest.param({'ComparisonOperator': None}, MISSING, id='operator missing'),
    pytest.param({'ComparisonOperator': 'Bigger'}, INVALID, id='unknown operator'),
    pytest.param({'TreatMissingData': 'zero'}, INVALID, id='unknown treat missing data'),
    pytest.param({'Statistic': None, 'ExtendedStatistic': 'p90',
                  'EvaluateLowSampleCountPercentile': 'maybe'}, INVALID,
                 id='unknown low sample count choice'),
    pytest.param({'EvaluateLowSampleCountPercentile': 'ignore'}, COMBINATION,
                 id='low sample count without percentile'),
    pytest.param({'Tags': [{'Key': 'k%d' % i, 'Value': 'v'} for i in range(51)]}, INVALID,
                 id='51 tags'),
    pytest.param({'Tags': [{'Key': 'k' * 129, 'Value': 'v'}]}, INVALID, id='tag key too long'),
    pytest.param({'Tags': [{'Key': '', 'Value': 'v'}]}, MISSING, id='tag key empty'),
    pytest.param({'Tags': [{'Key': 'k', 'Value': 'v' * 257}]}, INVALID,
                 id='tag value too long'),
    pytest.param({'Tags': [{'Key': 'k'}]}, MISSING, id='tag without value'),
    pytest.param({'Tags': [{'Key': 'k', 'Value': '1'}, {'Key': 'k', 'Value': '2'}]}, INVALID,
                 id='duplicate tag keys'),
    pytest.param({'RepeatActions': 'always'}, INVALID, id='repeat actions not boolean'),
    pytest.param({'Severity': 'urgent'}, INVALID, id='unknown severity'),
])
def test_invalid_metric_alarm_is_rejected_with_the_aws_error_code(changes, code):
    assert rejection(alarms.put_metric_alarm, metric_alarm(**changes)).code == code


@pytest.mark.parametrize('operator', alarms.ANOMALY_OPERATORS)
def test_anomaly_detection_operators_are_rejected_as_not_supported(operator):
    error = rejection(alarms.put_metric_alarm, metric_alarm(ComparisonOperator=operator))
    assert error.code == INVALID and 'not supported' in error.message


def test_metric_math_is_rejected_as_a_known_difference():
    error = rejection(alarms.put_metric_alarm, metric_alarm(Metrics=[{'Id': 'm1'}]))
    assert 'Metrics' in error.message and 'not supported' in error.message


@pytest.mark.parametrize('period', [10, 20, 30, 60, 120, 300, 3600, 86400])
def test_alarm_periods_of_10_20_30_or_a_multiple_of_60_are_accepted(period):
    assert sent_alarm(metric_alarm(Period=period, EvaluationPeriods=1))['Period'] == period


@pytest.mark.parametrize('period', [0, 1, 5, 15, 45, 90, 61])
def test_other_alarm_periods_are_rejected(period):
    assert rejection(alarms.put_metric_alarm, metric_alarm(Period=period)).code == INVALID


def test_datapoints_to_alarm_equal_to_evaluation_periods_is_accepted():
    assert sent_alarm(metric_alarm(DatapointsToAlarm=3))['DatapointsToAlarm'] == 3


def test_datapoints_to_alarm_above_evaluation_periods_is_rejected():
    error = rejection(alarms.put_metric_alarm, metric_alarm(DatapointsToAlarm=4))
    assert error.code == INVALID and 'DatapointsToAlarm' in error.message


@pytest.mark.parametrize('period, periods, accepted', [
    (60, 1440, True),     # exactly one day
    (60, 1441, False),
    (1800, 48, True),
    (1800, 49, False),    # periods under an hour: one day at most
    (3600, 168, True),    # an hour or more: seven days at most
    (3600, 169, False),
    (86400, 7, True),
    (86400, 8, False),
])
def test_evaluation_range_is_limited_to_one_day_or_seven_for_hourly_periods(
        period, periods, accepted):
    data = metric_alarm(Period=period, EvaluationPeriods=periods)
    if accepted:
        assert sent_alarm(data)['EvaluationPeriods'] == periods
    else:
        assert rejection(alarms.put_metric_alarm, data).code == INVALID


def test_action_with_a_scheme_the_notifier_lacks_is_rejected_naming_the_action():
    error = rejection(alarms.put_metric_alarm, metric_alarm(
        AlarmActions=[WEBHOOK, 'arn:aws:sns:us-east-1:123:topic']))
    assert error.code == INVALID
    assert 'AlarmActions.member.2' in error.message and 'arn:aws:sns' in error.message


def test_action_schemes_come_from_the_notifier_plugins_when_they_list_them(monkeypatch):
    monkeypatch.setattr(alarms.hw_alarms, 'supported_schemes', lambda: {'log', 'mailto'})
    assert sent_alarm(metric_alarm(OKActions=['mailto:ops@example.org']))['OKActions']
    assert rejection(alarms.put_metric_alarm, metric_alarm(OKActions=[WEBHOOK])).code == INVALID


# -- PutCompositeAlarm ---------------------------------------------------------------


def test_composite_alarm_is_sent_with_its_rule_text_and_defaults():
    result, engine = run(alarms.put_composite_alarm, composite_alarm(
        AlarmActions=[WEBHOOK], Tags=[{'Key': 'team', 'Value': 'ops'}]))
    assert result == {}
    assert sent_views(engine) == [('put_alarm', _without_none({
        'AlarmName': 'service-down', 'AlarmDescription': None, 'ActionsEnabled': True,
        'OKActions': [], 'AlarmActions': [WEBHOOK], 'InsufficientDataActions': [],
        'Tags': [{'Key': 'team', 'Value': 'ops'}], 'RepeatActions': False, 'Severity': 'low',
        'AlarmRule': 'ALARM(cpu-high) AND NOT OK("disk full")'}))]


@pytest.mark.parametrize('changes, code', [
    pytest.param({'AlarmName': None}, MISSING, id='alarm name missing'),
    pytest.param({'AlarmRule': None}, MISSING, id='rule missing'),
    pytest.param({'AlarmRule': 'TRUE OR ' * 1280 + 'TRUE'}, INVALID, id='rule too long'),
    pytest.param({'AlarmRule': 'ALARM(a) AND'}, INVALID, id='rule syntax error'),
    pytest.param({'AlarmRule': 'alarm(a)'}, INVALID, id='rule keyword in lower case'),
    pytest.param({'ActionsSuppressor': 'maintenance'}, INVALID, id='suppressor not supported'),
    pytest.param({'ActionsSuppressorWaitPeriod': 60}, INVALID, id='wait period not supported'),
    pytest.param({'OKActions': ['ftp://h/x']}, INVALID, id='unsupported action scheme'),
    pytest.param({'AlarmDescription': 'd' * 1025}, INVALID, id='description too long'),
])
def test_invalid_composite_alarm_is_rejected_with_the_aws_error_code(changes, code):
    assert rejection(alarms.put_composite_alarm, composite_alarm(**changes)).code == code


def test_alarm_rule_syntax_error_names_the_alarm_rule():
    error = rejection(alarms.put_composite_alarm, composite_alarm(AlarmRule='ALARM(a) OR'))
    assert 'AlarmRule' in error.message


# -- DeleteAlarms, Enable/DisableAlarmActions ------------------------------------------


@pytest.mark.parametrize('action, call', [
    (alarms.delete_alarms, ('delete_alarms', ['a', 'b'])),
    (alarms.enable_alarm_actions, ('set_alarm_actions', ['a', 'b'], True)),
    (alarms.disable_alarm_actions, ('set_alarm_actions', ['a', 'b'], False)),
])
def test_alarm_name_operations_pass_the_names_to_the_engine(action, call):
    result, engine = run(action, {'AlarmNames': ['a', 'b']})
    assert result == {} and engine.calls == [call]


@pytest.mark.parametrize('action', [alarms.delete_alarms, alarms.enable_alarm_actions,
                                    alarms.disable_alarm_actions])
@pytest.mark.parametrize('data, code', [
    ({}, MISSING),
    ({'AlarmNames': []}, MISSING),
    ({'AlarmNames': ['a%d' % i for i in range(101)]}, INVALID),
    ({'AlarmNames': ['a' * 256]}, INVALID),
    ({'AlarmNames': ['']}, INVALID),
])
def test_alarm_names_must_be_one_to_a_hundred_valid_names(action, data, code):
    assert rejection(action, data).code == code


# -- SetAlarmState -------------------------------------------------------------------


def test_set_alarm_state_sends_name_state_reason_and_data():
    result, engine = run(alarms.set_alarm_state, {
        'AlarmName': 'cpu-high', 'StateValue': 'ALARM', 'StateReason': 'testing',
        'StateReasonData': '{"version": "1.0"}'})
    assert result == {}
    assert engine.calls == [('set_alarm_state', 'cpu-high', 'ALARM', 'testing',
                             {'version': '1.0'})]


def test_set_alarm_state_accepts_an_empty_reason_and_no_data():
    _, engine = run(alarms.set_alarm_state,
                    {'AlarmName': 'a', 'StateValue': 'OK', 'StateReason': ''})
    assert engine.calls == [('set_alarm_state', 'a', 'OK', '', None)]


@pytest.mark.parametrize('changes, code', [
    pytest.param({'AlarmName': None}, MISSING, id='alarm name missing'),
    pytest.param({'StateValue': None}, MISSING, id='state missing'),
    pytest.param({'StateValue': 'BROKEN'}, INVALID, id='unknown state'),
    pytest.param({'StateReason': None}, MISSING, id='reason missing'),
    pytest.param({'StateReason': 'r' * 1024}, INVALID, id='reason too long'),
    pytest.param({'StateReasonData': '{"a": ' + '1' * 3994 + '}'}, INVALID,
                 id='reason data too long'),
    pytest.param({'StateReasonData': '{not json'}, 'InvalidFormat', id='reason data not json'),
])
def test_invalid_set_alarm_state_is_rejected_with_the_aws_error_code(changes, code):
    data = {'AlarmName': 'a', 'StateValue': 'OK', 'StateReason': 'r', **changes}
    data = {key: value for key, value in data.items() if value is not None}
    assert rejection(alarms.set_alarm_state, data).code == code


# -- DescribeAlarms ------------------------------------------------------------------

ALARM_TIMES_MS = {'StateUpdatedTimestamp': T0_MS, 'AlarmConfigurationUpdatedTimestamp': T0_MS,
                  'StateTransitionedTimestamp': T0_MS + 1500}
ALARM_TIMES = {'StateUpdatedTimestamp': T0, 'AlarmConfigurationUpdatedTimestamp': T0,
               'StateTransitionedTimestamp': T0 + datetime.timedelta(milliseconds=1500)}


def _alarm(name: str, rule=None, **state) -> engine_model.Alarm:
    rule = rule or engine_model.ThresholdRule(
        metric=engine_model.MetricSelector('system/linux', 'CPU', (('InstanceId', 'i-1'),),
                                           'Percent'),
        period=300, evaluation_periods=2, comparison='GreaterThanThreshold', threshold=80.0,
        statistic='Maximum')
    definition = engine_model.AlarmDefinition(
        project_id='p1', name=name, id='id-' + name, rule=rule,
        actions={'ALARM': [WEBHOOK]}, updated_at=T0_MS)
    values = {'state': 'ALARM', 'version': 3, 'updated_at': T0_MS,
              'transitioned_at': T0_MS + 1500, 'reason': 'Threshold Crossed',
              'reason_data': {'threshold': 80.0}, **state}
    return engine_model.Alarm(definition, engine_model.AlarmState(**values))


def test_describe_alarms_without_filters_asks_for_fifty_metric_alarms():
    _, engine = run(alarms.ACTIONS['DescribeAlarms'], {},
                    FakeEngine(list_alarms=engine_model.Page([])))
    assert engine.calls == [('list_alarms', engine_model.AlarmFilter(type='threshold'),
                             None, 50)]


def test_describe_alarms_passes_its_filters():
    _, engine = run(alarm_queries.describe_alarms, {
        'AlarmNamePrefix': 'cpu', 'StateValue': 'ALARM', 'ActionPrefix': 'https://o/',
        'AlarmTypes': ['CompositeAlarm', 'MetricAlarm'], 'MaxRecords': 100, 'NextToken': 't'},
        FakeEngine(list_alarms=engine_model.Page([])))
    assert engine.calls == [('list_alarms', engine_model.AlarmFilter(
        name_prefix='cpu', state='ALARM', action_prefix='https://o/'), 't', 100)]


def test_describe_alarms_renders_both_alarm_kinds_with_arns_and_datetimes():
    page = engine_model.Page([_alarm('m'), _alarm(
        'c', engine_model.CompositeRule('ALARM(m)'), reason_data=None)], marker='id-c')
    result, _ = run(alarm_queries.describe_alarms,
                    {'AlarmTypes': ['CompositeAlarm', 'MetricAlarm']},
                    FakeEngine(list_alarms=page))
    [metric], [composite] = result['MetricAlarms'], result['CompositeAlarms']
    assert metric == {
        'AlarmName': 'm', 'AlarmArn': 'arn:openstack:cloudwatch:RegionOne:p1:alarm:m',
        'ActionsEnabled': True, 'OKActions': [], 'AlarmActions': [WEBHOOK],
        'InsufficientDataActions': [], 'MetricName': 'CPU', 'Namespace': 'system/linux',
        'Statistic': 'Maximum', 'Dimensions': [{'Name': 'InstanceId', 'Value': 'i-1'}],
        'Period': 300, 'Unit': 'Percent', 'EvaluationPeriods': 2, 'Threshold': 80.0,
        'ComparisonOperator': 'GreaterThanThreshold', 'TreatMissingData': 'missing',
        'StateValue': 'ALARM', 'StateReason': 'Threshold Crossed',
        'StateReasonData': '{"threshold": 80.0}', **ALARM_TIMES}
    assert composite['AlarmRule'] == 'ALARM(m)' and 'StateReasonData' not in composite
    assert composite['StateTransitionedTimestamp'] == ALARM_TIMES['StateTransitionedTimestamp']
    assert result['NextToken'] == 'id-c'


def test_describe_alarms_for_log_alarms_only_answers_nothing_without_the_engine():
    result, engine = run(alarm_queries.describe_alarms, {'AlarmTypes': ['LogAlarm']})
    assert result == {'MetricAlarms': [], 'CompositeAlarms': []} and engine.calls == []


def test_describe_children_of_a_composite_alarm_asks_for_both_alarm_kinds():
    _, engine = run(alarm_queries.describe_alarms,
                    {'ChildrenOfAlarmName': 'service-down', 'MaxRecords': 10},
                    FakeEngine(list_alarms=engine_model.Page([])))
    assert engine.calls == [('list_alarms', engine_model.AlarmFilter(
        children_of='service-down'), None, 10)]


@pytest.mark.parametrize('data, code', [
    pytest.param({'AlarmNames': ['a'], 'AlarmNamePrefix': 'a'}, COMBINATION,
                 id='names and prefix'),
    pytest.param({'AlarmNames': ['a%d' % i for i in range(101)]}, INVALID, id='101 names'),
    pytest.param({'AlarmNamePrefix': 'a' * 256}, INVALID, id='prefix too long'),
    pytest.param({'StateValue': 'FIRING'}, INVALID, id='unknown state'),
    pytest.param({'ActionPrefix': 'h' * 1025}, INVALID, id='action prefix too long'),
    pytest.param({'AlarmTypes': ['MetricAlarms']}, INVALID, id='unknown alarm type'),
    pytest.param({'MaxRecords': 0}, INVALID, id='zero max records'),
    pytest.param({'MaxRecords': 101}, INVALID, id='101 max records'),
    pytest.param({'ChildrenOfAlarmName': 'c', 'StateValue': 'OK'}, COMBINATION,
                 id='children with a filter'),
    pytest.param({'ParentsOfAlarmName': 'c', 'AlarmTypes': ['CompositeAlarm']}, COMBINATION,
                 id='parents with alarm types'),
    pytest.param({'ChildrenOfAlarmName': 'c', 'ParentsOfAlarmName': 'p'}, COMBINATION,
                 id='children and parents'),
])
def test_invalid_describe_alarms_is_rejected_with_the_aws_error_code(data, code):
    assert rejection(alarm_queries.describe_alarms, data).code == code


# -- DescribeAlarmsForMetric -----------------------------------------------------------


def test_describe_alarms_for_metric_asks_for_the_metric_and_keeps_matching_alarms():
    other_period = _alarm('slow')
    other_period = engine_model.Alarm(engine_model.AlarmDefinition(**{
        **other_period.definition.__dict__, 'rule': engine_model.ThresholdRule(**{
            **other_period.definition.rule.__dict__, 'period': 60})}), other_period.state)
    result, engine = run(alarm_queries.describe_alarms_for_metric, {
        'Namespace': 'system/linux', 'MetricName': 'CPU', 'Statistic': 'Maximum',
        'Dimensions': [{'Name': 'InstanceId', 'Value': 'i-1'}], 'Period': 300,
        'Unit': 'Percent'}, FakeEngine(list_alarms=engine_model.Page([_alarm('m'),
                                                                       other_period])))
    assert engine.calls == [('list_alarms', engine_model.AlarmFilter(
        type='threshold', namespace='system/linux', metric_name='CPU',
        dimensions=[['InstanceId', 'i-1']]), None, alarm_queries.MAX_PAGE)]
    [alarm] = result['MetricAlarms']
    assert alarm['AlarmName'] == 'm' and alarm['StateUpdatedTimestamp'] == T0


@pytest.mark.parametrize('changes, code', [
    pytest.param({'Namespace': None}, MISSING, id='namespace missing'),
    pytest.param({'MetricName': None}, MISSING, id='metric name missing'),
    pytest.param({'Statistic': 'Median'}, INVALID, id='unknown statistic'),
    pytest.param({'ExtendedStatistic': 'q99'}, INVALID, id='not a percentile'),
    pytest.param({'Period': 0}, INVALID, id='zero period'),
    pytest.param({'Unit': 'Parsecs'}, INVALID, id='unknown unit'),
])
def test_invalid_describe_alarms_for_metric_is_rejected(changes, code):
    data = {'Namespace': 'n', 'MetricName': 'm', **changes}
    data = {key: value for key, value in data.items() if value is not None}
    assert rejection(alarm_queries.describe_alarms_for_metric, data).code == code


# -- DescribeAlarmHistory --------------------------------------------------------------


def test_describe_alarm_history_defaults_to_metric_alarms_newest_first():
    _, engine = run(alarm_queries.describe_alarm_history, {},
                    FakeEngine(get_alarm_history=engine_model.Page([])))
    assert engine.calls == [('get_alarm_history', {
        'alarm_name': None, 'alarm_types': ['threshold'], 'types': None, 'start': None,
        'end': None, 'marker': None, 'limit': 50, 'ascending': False})]


def test_describe_alarm_history_sends_dates_as_epoch_ms_and_renders_items():
    item = engine_model.HistoryItem(
        id=7, alarm_id='id-a', alarm_name='a', alarm_type='composite', project_id='p1',
        timestamp=T0_MS + 250, type='state transition',
        summary='Alarm updated from OK to ALARM',
        detail={'previous': 'OK', 'previous_reason': 'fine', 'state': 'ALARM',
                'reason': 'breached', 'reason_data': {'threshold': 1.0}})
    result, engine = run(alarm_queries.describe_alarm_history, {
        'AlarmName': 'a', 'AlarmTypes': ['CompositeAlarm'], 'HistoryItemType': 'StateUpdate',
        'StartDate': T0, 'EndDate': T1, 'MaxRecords': 7, 'NextToken': '9',
        'ScanBy': 'TimestampAscending'},
        FakeEngine(get_alarm_history=engine_model.Page([item], marker='7')))
    assert engine.calls == [('get_alarm_history', {
        'alarm_name': 'a', 'alarm_types': ['composite'], 'types': ['state transition'],
        'start': T0_MS, 'end': T0_MS + 3600000, 'marker': '9', 'limit': 7,
        'ascending': True})]
    assert result == {'AlarmHistoryItems': [{
        'AlarmName': 'a', 'AlarmType': 'CompositeAlarm',
        'Timestamp': T0 + datetime.timedelta(milliseconds=250),
        'HistoryItemType': 'StateUpdate', 'HistorySummary': 'Alarm updated from OK to ALARM',
        'HistoryData': json.dumps({
            'version': '1.0', 'oldState': {'stateValue': 'OK', 'stateReason': 'fine'},
            'newState': {'stateValue': 'ALARM', 'stateReason': 'breached',
                         'stateReasonData': {'threshold': 1.0}}})}],
        'NextToken': '7'}


def test_configuration_history_is_rendered_with_aws_field_names():
    definition = _alarm('a').definition
    item = engine_model.HistoryItem(
        id=1, alarm_id='id-a', alarm_name='a', alarm_type='threshold', project_id='p1',
        timestamp=T0_MS, type='creation', summary='Alarm "a" created',
        detail={'version': '1.0', 'type': 'Create', 'definition': definition.to_wire()})
    result, _ = run(alarm_queries.describe_alarm_history, {},
                    FakeEngine(get_alarm_history=engine_model.Page([item])))
    data = json.loads(result['AlarmHistoryItems'][0]['HistoryData'])
    assert data['type'] == 'Create' and data['createdAlarm']['Threshold'] == 80.0
    assert data['createdAlarm']['AlarmActions'] == [WEBHOOK]


def test_action_outcomes_are_rendered_as_aws_action_history_data():
    item = engine_model.HistoryItem(
        id=2, alarm_id='id-a', alarm_name='a', alarm_type='threshold', project_id='p1',
        timestamp=T0_MS, type='action', summary='Successfully executed action https://h/x',
        detail={'outcome': 'delivered', 'url': 'https://h/x', 'action_id': 'act-1',
                'attempt': 1, 'status': 200, 'error': None})
    result, _ = run(alarm_queries.describe_alarm_history, {},
                    FakeEngine(get_alarm_history=engine_model.Page([item])))
    assert json.loads(result['AlarmHistoryItems'][0]['HistoryData']) == {
        'actionState': 'Succeeded', 'notificationResource': 'https://h/x',
        'actionId': 'act-1', 'attempt': 1, 'status': 200}


def test_contributor_history_items_are_answered_empty_without_the_engine():
    result, engine = run(alarm_queries.describe_alarm_history,
                         {'HistoryItemType': 'AlarmContributorStateUpdate'})
    assert result == {'AlarmHistoryItems': []} and engine.calls == []


@pytest.mark.parametrize('data, code', [
    pytest.param({'StartDate': T1, 'EndDate': T0}, INVALID, id='start after end'),
    pytest.param({'StartDate': T0, 'EndDate': T0}, INVALID, id='start equal to end'),
    pytest.param({'HistoryItemType': 'Everything'}, INVALID, id='unknown item type'),
    pytest.param({'ScanBy': 'Random'}, INVALID, id='unknown scan order'),
    pytest.param({'MaxRecords': 101}, INVALID, id='101 max records'),
    pytest.param({'AlarmName': 'a' * 256}, INVALID, id='alarm name too long'),
    pytest.param({'AlarmTypes': ['Alarm']}, INVALID, id='unknown alarm type'),
    pytest.param({'AlarmContributorId': 'abc'}, INVALID, id='contributors not supported'),
])
def test_invalid_describe_alarm_history_is_rejected(data, code):
    assert rejection(alarm_queries.describe_alarm_history, data).code == code


# -- requests as real clients serialise them ---------------------------------------------

BOTO_ALARM = {
    'AlarmName': 'cpu-high', 'AlarmDescription': 'Scale up', 'ActionsEnabled': False,
    'OKActions': ['log://ok'], 'AlarmActions': [WEBHOOK], 'InsufficientDataActions': [],
    'MetricName': 'CPUUtilization',
    'Namespace': 'system/linux', 'ExtendedStatistic': 'p90',
    'Dimensions': [{'Name': 'AutoScalingGroupName', 'Value': 'web & <db>'}],
    'Period': 300, 'Unit': 'Percent', 'EvaluationPeriods': 3, 'DatapointsToAlarm': 2,
    'Threshold': 72.5, 'ComparisonOperator': 'GreaterThanOrEqualToThreshold',
    'TreatMissingData': 'breaching', 'EvaluateLowSampleCountPercentile': 'evaluate',
    'Tags': [{'Key': 'stack', 'Value': 'web'}]}
EXPECTED_ALARM = {**BOTO_ALARM, 'RepeatActions': False, 'Severity': 'low'}


def test_query_request_serialised_by_botocore_creates_the_alarm_it_describes():
    params = bh.query_params('PutMetricAlarm', BOTO_ALARM)
    assert sent_alarm(query.parse_params('PutMetricAlarm', params)) == EXPECTED_ALARM


def test_json_request_serialised_by_botocore_creates_the_alarm_it_describes():
    body, _ = bh.json_request('PutMetricAlarm', BOTO_ALARM)
    assert sent_alarm(json_protocol.parse_body('PutMetricAlarm', body)) == EXPECTED_ALARM


# -- reasons: the engine's reason data worded as AWS does -------------------------------


def test_an_operator_state_shows_the_reason_data_as_given():
    alarm = _alarm('m', reason='manual test', reason_data={'kind': 'manual',
                                                           'data': {'why': 'testing'}})
    result, _ = run(alarm_queries.describe_alarms, {},
                    FakeEngine(list_alarms=engine_model.Page([alarm])))
    [member] = result['MetricAlarms']
    assert member['StateReason'] == 'manual test'
    assert json.loads(member['StateReasonData']) == {'why': 'testing'}


def test_an_evaluated_state_is_worded_as_aws_words_it():
    data = {'kind': 'threshold', 'state': 'ALARM', 'query_time': T0_MS + 5,
            'period': 60, 'statistic': 'Maximum', 'extended_statistic': None,
            'comparison': 'GreaterThanThreshold', 'threshold': 80.0,
            'evaluation_periods': 1, 'datapoints_to_alarm': 1, 'missing_data': 'missing',
            'fills': 0, 'datapoints': [[T0_MS // 1000 - 60, 95.0, 1.0, True, False]],
            'missing': []}
    result, _ = run(alarm_queries.describe_alarms, {}, FakeEngine(
        list_alarms=engine_model.Page([_alarm('m', reason='1 of 1', reason_data=data)])))
    [member] = result['MetricAlarms']
    assert member['StateReason'] == (
        'Threshold Crossed: 1 out of the last 1 datapoints [95.0 (23/11/26 09:59:00)] was '
        'greater than the threshold (80.0) (minimum 1 datapoint for OK -> ALARM transition).')
    assert json.loads(member['StateReasonData']) == {
        'version': '1.0', 'queryDate': '2026-11-23T10:00:00.005+0000',
        'startDate': '2026-11-23T09:59:00.000+0000', 'statistic': 'Maximum', 'period': 60,
        'recentDatapoints': [95.0], 'threshold': 80.0, 'evaluatedDatapoints': [
            {'timestamp': '2026-11-23T09:59:00.000+0000', 'sampleCount': 1.0, 'value': 95.0}]}


def test_a_new_alarm_is_unchecked_as_aws_says():
    alarm = _alarm('m', state='INSUFFICIENT_DATA', reason='Created; not evaluated yet.',
                   reason_data={'kind': 'created'})
    result, _ = run(alarm_queries.describe_alarms, {},
                    FakeEngine(list_alarms=engine_model.Page([alarm])))
    [member] = result['MetricAlarms']
    assert member['StateReason'] == 'Unchecked: Initial alarm creation'
    assert 'StateReasonData' not in member
