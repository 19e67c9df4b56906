"""The CloudWatch alarm actions: AWS validation rules with AWS error codes,
the watch engine calls they make, and the answers they shape.

The engine is a recording fake with the methods of the real RPC client (a
test below keeps their signatures in step).
"""

import copy
import datetime
import inspect

import pytest

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch.actions import alarm_queries, alarms
from heat_watch.cloudwatch.protocol import json_protocol, model, query
from heat_watch.common import context as hw_context
from heat_watch.tests.unit.cloudwatch.protocol import botocore_helpers as bh
from heat_watch.watch import rpcapi

UTC = datetime.UTC
CTXT = hw_context.RequestContext(project_id='p1', request_id='req-1')
T0 = datetime.datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
T0_MS = 1795428000000
T1 = T0 + datetime.timedelta(hours=1)
WEBHOOK = 'https://orchestrator.example/v1/signal/scale-up?sig=abc'


class FakeEngine:
    """Records the alarm calls of WatchEngineClient; answers canned results."""

    def __init__(self, **answers):
        self.calls: list[tuple] = []
        self.answers = answers

    def _record(self, method: str, *args):
        self.calls.append((method, *args))
        return copy.deepcopy(self.answers.get(method))

    def put_metric_alarm(self, ctxt, alarm: dict) -> dict:
        return self._record('put_metric_alarm', alarm)

    def put_composite_alarm(self, ctxt, alarm: dict) -> dict:
        return self._record('put_composite_alarm', alarm)

    def describe_alarms(self, ctxt, args: dict) -> dict:
        return self._record('describe_alarms', args)

    def describe_alarms_for_metric(self, ctxt, args: dict) -> dict:
        return self._record('describe_alarms_for_metric', args)

    def delete_alarms(self, ctxt, names: list[str]) -> None:
        return self._record('delete_alarms', names)

    def set_alarm_state(self, ctxt, name: str, state: str, reason: str,
                        reason_data: str | None) -> None:
        return self._record('set_alarm_state', name, state, reason, reason_data)

    def set_alarm_actions(self, ctxt, names: list[str], enabled: bool) -> None:
        return self._record('set_alarm_actions', names, enabled)

    def describe_alarm_history(self, ctxt, args: dict) -> dict:
        return self._record('describe_alarm_history', args)


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
    assert method == 'put_metric_alarm'
    return alarm


# -- the action table and the fake ----------------------------------------------


def test_actions_cover_every_alarm_operation_of_the_model():
    assert sorted(alarms.ACTIONS) == [
        'DeleteAlarms', 'DescribeAlarmHistory', 'DescribeAlarms', 'DescribeAlarmsForMetric',
        'DisableAlarmActions', 'EnableAlarmActions', 'PutCompositeAlarm', 'PutMetricAlarm',
        'SetAlarmState']
    for operation in alarms.ACTIONS:
        model.input_shape(operation)  # raises KeyError for an unknown operation


@pytest.mark.parametrize('method', [name for name in vars(FakeEngine) if not name.startswith('_')])
def test_fake_engine_has_the_signatures_of_the_rpc_client(method):
    assert (inspect.signature(getattr(FakeEngine, method))
            == inspect.signature(getattr(rpcapi.WatchEngineClient, method)))


# -- PutMetricAlarm ------------------------------------------------------------------


def test_minimal_metric_alarm_is_sent_with_aws_defaults_and_extension_defaults():
    result, engine = run(alarms.put_metric_alarm, metric_alarm())
    assert result == {}
    assert engine.calls == [('put_metric_alarm', {
        'AlarmName': 'cpu-high', 'AlarmDescription': None, 'ActionsEnabled': True,
        'OKActions': [], 'AlarmActions': [], 'InsufficientDataActions': [], 'Tags': [],
        'RepeatActions': False, 'Severity': 'low',
        'MetricName': 'CPUUtilization', 'Namespace': 'system/linux', 'Dimensions': [],
        'Unit': None, 'Statistic': 'Average', 'ExtendedStatistic': None,
        'EvaluateLowSampleCountPercentile': None, 'Period': 60, 'EvaluationPeriods': 3,
        'DatapointsToAlarm': None, 'ComparisonOperator': 'GreaterThanThreshold',
        'Threshold': 80.0, 'TreatMissingData': 'missing'})]


def test_full_metric_alarm_is_sent_as_validated():
    alarm = sent_alarm(metric_alarm(
        AlarmDescription='', ActionsEnabled=False, OKActions=['log://ok'],
        AlarmActions=[WEBHOOK, 'http://h/x'], InsufficientDataActions=['log://no-data'],
        Dimensions=[{'Name': 'InstanceId', 'Value': 'i-1'}], Unit='Percent',
        Statistic=None, ExtendedStatistic='p99.5', EvaluateLowSampleCountPercentile='ignore',
        DatapointsToAlarm=3, Threshold=80, TreatMissingData='notBreaching',
        Tags=[{'Key': 'stack', 'Value': ''}], RepeatActions=True, Severity='critical'))
    assert alarm == {
        'AlarmName': 'cpu-high', 'AlarmDescription': '', 'ActionsEnabled': False,
        'OKActions': ['log://ok'], 'AlarmActions': [WEBHOOK, 'http://h/x'],
        'InsufficientDataActions': ['log://no-data'], 'Tags': [{'Key': 'stack', 'Value': ''}],
        'RepeatActions': True, 'Severity': 'critical',
        'MetricName': 'CPUUtilization', 'Namespace': 'system/linux',
        'Dimensions': [{'Name': 'InstanceId', 'Value': 'i-1'}], 'Unit': 'Percent',
        'Statistic': None, 'ExtendedStatistic': 'p99.5',
        'EvaluateLowSampleCountPercentile': 'ignore', 'Period': 60, 'EvaluationPeriods': 3,
        'DatapointsToAlarm': 3, 'ComparisonOperator': 'GreaterThanThreshold',
        'Threshold': 80.0, 'TreatMissingData': 'notBreaching'}


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
    assert engine.calls == [('put_composite_alarm', {
        'AlarmName': 'service-down', 'AlarmDescription': None, 'ActionsEnabled': True,
        'OKActions': [], 'AlarmActions': [WEBHOOK], 'InsufficientDataActions': [],
        'Tags': [{'Key': 'team', 'Value': 'ops'}], 'RepeatActions': False, 'Severity': 'low',
        'AlarmRule': 'ALARM(cpu-high) AND NOT OK("disk full")'})]


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
                             '{"version": "1.0"}')]


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


def test_describe_alarms_without_filters_asks_for_fifty_metric_alarms():
    _, engine = run(alarms.ACTIONS['DescribeAlarms'], {},
                    FakeEngine(describe_alarms={'MetricAlarms': [], 'CompositeAlarms': []}))
    assert engine.calls == [('describe_alarms', {
        'AlarmNames': None, 'AlarmNamePrefix': None, 'StateValue': None, 'ActionPrefix': None,
        'AlarmTypes': ['MetricAlarm'], 'MaxRecords': 50, 'NextToken': None,
        'ChildrenOfAlarmName': None, 'ParentsOfAlarmName': None})]


def test_describe_alarms_passes_its_filters():
    _, engine = run(alarm_queries.describe_alarms, {
        'AlarmNamePrefix': 'cpu', 'StateValue': 'ALARM', 'ActionPrefix': 'https://o/',
        'AlarmTypes': ['CompositeAlarm', 'MetricAlarm'], 'MaxRecords': 100, 'NextToken': 't'},
        FakeEngine(describe_alarms={}))
    [(_, args)] = engine.calls
    assert args['AlarmNamePrefix'] == 'cpu' and args['StateValue'] == 'ALARM'
    assert args['ActionPrefix'] == 'https://o/' and args['NextToken'] == 't'
    assert args['AlarmTypes'] == ['MetricAlarm', 'CompositeAlarm']
    assert args['MaxRecords'] == 100


def test_describe_alarms_converts_times_of_both_alarm_kinds_to_datetimes():
    answer = {'MetricAlarms': [{'AlarmName': 'm', **ALARM_TIMES_MS}],
              'CompositeAlarms': [{'AlarmName': 'c', **ALARM_TIMES_MS,
                                   'StateTransitionedTimestamp': None}],
              'NextToken': 'next'}
    result, _ = run(alarm_queries.describe_alarms, {'AlarmTypes': ['CompositeAlarm']},
                    FakeEngine(describe_alarms=answer))
    assert result == {
        'MetricAlarms': [{'AlarmName': 'm', **ALARM_TIMES}],
        'CompositeAlarms': [{'AlarmName': 'c', **ALARM_TIMES,
                             'StateTransitionedTimestamp': None}],
        'NextToken': 'next'}


def test_describe_alarms_for_log_alarms_only_answers_nothing_without_the_engine():
    result, engine = run(alarm_queries.describe_alarms, {'AlarmTypes': ['LogAlarm']})
    assert result == {'MetricAlarms': [], 'CompositeAlarms': []} and engine.calls == []


def test_describe_children_of_a_composite_alarm_asks_for_both_alarm_kinds():
    _, engine = run(alarm_queries.describe_alarms,
                    {'ChildrenOfAlarmName': 'service-down', 'MaxRecords': 10},
                    FakeEngine(describe_alarms={}))
    [(_, args)] = engine.calls
    assert args['ChildrenOfAlarmName'] == 'service-down' and args['MaxRecords'] == 10
    assert args['AlarmTypes'] == ['MetricAlarm', 'CompositeAlarm']


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


def test_describe_alarms_for_metric_passes_the_metric_and_converts_times():
    answer = {'MetricAlarms': [{'AlarmName': 'm', **ALARM_TIMES_MS}]}
    result, engine = run(alarm_queries.describe_alarms_for_metric, {
        'Namespace': 'system/linux', 'MetricName': 'CPU', 'Statistic': 'Maximum',
        'Dimensions': [{'Name': 'InstanceId', 'Value': 'i-1'}], 'Period': 300,
        'Unit': 'Percent'}, FakeEngine(describe_alarms_for_metric=answer))
    assert engine.calls == [('describe_alarms_for_metric', {
        'Namespace': 'system/linux', 'MetricName': 'CPU', 'Statistic': 'Maximum',
        'ExtendedStatistic': None, 'Dimensions': [{'Name': 'InstanceId', 'Value': 'i-1'}],
        'Period': 300, 'Unit': 'Percent'})]
    assert result == {'MetricAlarms': [{'AlarmName': 'm', **ALARM_TIMES}]}


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
                    FakeEngine(describe_alarm_history={'AlarmHistoryItems': []}))
    assert engine.calls == [('describe_alarm_history', {
        'AlarmName': None, 'AlarmTypes': ['MetricAlarm'], 'HistoryItemType': None,
        'StartDate': None, 'EndDate': None, 'MaxRecords': 50, 'NextToken': None,
        'ScanBy': 'TimestampDescending'})]


def test_describe_alarm_history_sends_dates_as_epoch_ms_and_answers_datetimes():
    answer = {'AlarmHistoryItems': [{'AlarmName': 'a', 'Timestamp': T0_MS + 250,
                                     'HistoryItemType': 'StateUpdate'}], 'NextToken': 'n'}
    result, engine = run(alarm_queries.describe_alarm_history, {
        'AlarmName': 'a', 'AlarmTypes': ['CompositeAlarm'], 'HistoryItemType': 'Action',
        'StartDate': T0, 'EndDate': T1, 'MaxRecords': 7, 'NextToken': 't',
        'ScanBy': 'TimestampAscending'}, FakeEngine(describe_alarm_history=answer))
    assert engine.calls == [('describe_alarm_history', {
        'AlarmName': 'a', 'AlarmTypes': ['CompositeAlarm'], 'HistoryItemType': 'Action',
        'StartDate': T0_MS, 'EndDate': T0_MS + 3600000, 'MaxRecords': 7, 'NextToken': 't',
        'ScanBy': 'TimestampAscending'})]
    assert result == {'AlarmHistoryItems': [{
        'AlarmName': 'a', 'Timestamp': T0 + datetime.timedelta(milliseconds=250),
        'HistoryItemType': 'StateUpdate'}], 'NextToken': 'n'}


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
EXPECTED_ALARM = {**BOTO_ALARM, 'Statistic': None, 'RepeatActions': False, 'Severity': 'low'}


def test_query_request_serialised_by_botocore_creates_the_alarm_it_describes():
    params = bh.query_params('PutMetricAlarm', BOTO_ALARM)
    assert sent_alarm(query.parse_params('PutMetricAlarm', params)) == EXPECTED_ALARM


def test_json_request_serialised_by_botocore_creates_the_alarm_it_describes():
    body, _ = bh.json_request('PutMetricAlarm', BOTO_ALARM)
    assert sent_alarm(json_protocol.parse_body('PutMetricAlarm', body)) == EXPECTED_ALARM
