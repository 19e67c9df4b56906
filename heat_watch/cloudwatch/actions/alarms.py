"""Alarm actions that change alarms: PutMetricAlarm, PutCompositeAlarm,
DeleteAlarms, SetAlarmState, EnableAlarmActions, DisableAlarmActions.

Each action validates its input as AWS documents it, sends the watch engine
the validated input (see :class:`heat_watch.watch.rpcapi.WatchEngineClient`)
and answers as AWS does (these operations have no output). The read-side
actions live in :mod:`heat_watch.cloudwatch.actions.alarm_queries`;
:data:`ACTIONS` holds both.

Known differences from AWS:

* Alarm actions are URLs the notifier can deliver (``log://``, ``http://``,
  ``https://`` ...), not SNS/Auto Scaling/EC2 ARNs.
* Metric math (``Metrics``), anomaly detection (``ThresholdMetricId`` and the
  band operators), Metrics Insights/PromQL settings (``EvaluationCriteria``,
  ``EvaluationWindow``, ``EvaluationInterval``, ``WarmUpConfiguration``), tag
  propagation (``ActionConfiguration``) and composite action suppression
  (``ActionsSuppressor*``) are refused with InvalidParameterValue rather than
  accepted and ignored: an alarm that silently behaved differently from what
  its caller asked for (e.g. actions not suppressed) would be worse.
* AWS answers ValidationError for some cross-field rules (DatapointsToAlarm
  above EvaluationPeriods, too long an evaluation range); we answer
  InvalidParameterValue, the documented code for an out-of-range value.

Extensions (not in AWS): the engine stores ``RepeatActions`` (bool: repeat
the state's actions at every evaluation while the alarm stays in it) and
``Severity`` (``low`` | ``moderate`` | ``critical``) with every alarm. The
CloudWatch model has no such fields, so CloudWatch clients never send them:
they default to False and ``low``, and are validated if an in-process caller
passes them.
"""

import json

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch import validation as v
from heat_watch.cloudwatch.actions import alarm_queries, alarm_shapes
from heat_watch.common import alarms as hw_alarms
from heat_watch.common import exceptions
from heat_watch.watch import composite, evaluation

ACTION_LISTS = ('OKActions', 'AlarmActions', 'InsufficientDataActions')
MAX_ACTIONS = 5
MAX_ALARM_NAMES = 100
ALARM_PERIODS = (10, 20, 30)  # besides multiples of 60
ANOMALY_OPERATORS = ('LessThanLowerOrGreaterThanUpperThreshold', 'LessThanLowerThreshold',
                     'GreaterThanUpperThreshold')
STATES = hw_alarms.STATES
SEVERITIES = hw_alarms.SEVERITIES
UNSUPPORTED_METRIC_ALARM = (
    ('Metrics', 'Metric math alarms'),
    ('ThresholdMetricId', 'Anomaly detection alarms'),
    ('EvaluationCriteria', 'Metrics Insights and PromQL alarms'),
    ('EvaluationWindow', 'Evaluation windows'),
    ('EvaluationInterval', 'Evaluation intervals'),
    ('WarmUpConfiguration', 'Warm-up configurations'),
    ('ActionConfiguration', 'Action configurations'),
)
UNSUPPORTED_COMPOSITE_ALARM = (
    ('ActionsSuppressor', 'Action suppression'),
    ('ActionsSuppressorWaitPeriod', 'Action suppression'),
    ('ActionsSuppressorExtensionPeriod', 'Action suppression'),
    ('ActionConfiguration', 'Action configurations'),
)


def supported_schemes() -> frozenset[str]:
    """URL schemes the notifier can deliver alarm actions to."""
    return hw_alarms.supported_schemes()


# -- settings shared by metric and composite alarms ----------------------------


def _reject_unsupported(data: dict, unsupported: tuple) -> None:
    for key, feature in unsupported:
        if data.get(key) not in (None, [], {}):
            raise errors.InvalidParameterValue(
                'The parameter %s is not supported: %s are not supported by this service.'
                % (key, feature))


def _action_list(data: dict, key: str, schemes: frozenset[str]) -> list[str]:
    urls = v.string_list(data, key, key, MAX_ACTIONS, high=1024)
    for i, url in enumerate(urls):
        if hw_alarms.action_scheme(url) not in schemes:
            raise v.invalid(v.member(key, i), url, 'The action must be a URL with one of the '
                            'schemes %s.' % ', '.join(sorted(schemes)))
    return urls


def _extensions(data: dict) -> dict:
    return {'RepeatActions': v.boolean(data, 'RepeatActions', 'RepeatActions', False),
            'Severity': (v.choice(data, 'Severity', 'Severity', SEVERITIES)
                         or hw_alarms.DEFAULT_SEVERITY)}


def _common_settings(data: dict) -> dict:
    """The settings every alarm has: name, description, actions, tags, extensions."""
    schemes = supported_schemes()
    settings = {
        'AlarmName': v.string(data, 'AlarmName', 'AlarmName', required=True),
        'AlarmDescription': v.string(data, 'AlarmDescription', 'AlarmDescription', 0, 1024),
        'ActionsEnabled': v.boolean(data, 'ActionsEnabled', 'ActionsEnabled', True),
    }
    for key in ACTION_LISTS:
        settings[key] = _action_list(data, key, schemes)
    settings['Tags'] = v.tags(data.get('Tags'))
    settings.update(_extensions(data))
    return settings


# -- PutMetricAlarm --------------------------------------------------------------


def _metric(data: dict) -> dict:
    namespace = v.string(data, 'Namespace', 'Namespace', required=True)
    if namespace.startswith(':'):
        raise v.invalid('Namespace', namespace, 'It must not begin with ":".')
    dimensions = v.dimensions(data.get('Dimensions'), 'Dimensions')
    return {'MetricName': v.string(data, 'MetricName', 'MetricName', required=True),
            'Namespace': namespace,
            'Dimensions': [{'Name': d['Name'], 'Value': d['Value']} for d in dimensions],
            'Unit': v.unit(data, 'Unit', 'Unit')}


def _statistic(data: dict) -> dict:
    statistic, extended = data.get('Statistic'), data.get('ExtendedStatistic')
    if (statistic is None) == (extended is None):
        raise errors.InvalidParameterCombination(
            'Exactly one of the parameters Statistic and ExtendedStatistic must be specified.')
    if statistic is not None:
        v.choice(data, 'Statistic', 'Statistic', v.STATISTICS)
    else:
        v.extended_statistic(extended, 'ExtendedStatistic')
    low_sample = v.choice(data, 'EvaluateLowSampleCountPercentile',
                          'EvaluateLowSampleCountPercentile',
                          evaluation.LOW_SAMPLE_COUNT_PERCENTILE)
    if low_sample is not None and extended is None:
        raise errors.InvalidParameterCombination(
            'The parameter EvaluateLowSampleCountPercentile is only valid with a percentile '
            'ExtendedStatistic.')
    return {'Statistic': statistic, 'ExtendedStatistic': extended,
            'EvaluateLowSampleCountPercentile': low_sample}


def _alarm_period(data: dict) -> int:
    period = v.integer(data, 'Period', 'Period', 1, required=True)
    if period not in ALARM_PERIODS and period % 60:
        raise v.invalid('Period', period, 'The period must be 10, 20, 30, or a multiple of 60.')
    return period


def _evaluation(data: dict) -> dict:
    period = _alarm_period(data)
    periods = v.integer(data, 'EvaluationPeriods', 'EvaluationPeriods', 1, required=True)
    datapoints = v.integer(data, 'DatapointsToAlarm', 'DatapointsToAlarm', 1)
    if datapoints is not None and datapoints > periods:
        raise v.invalid('DatapointsToAlarm', datapoints,
                        'DatapointsToAlarm must be less than or equal to EvaluationPeriods.')
    limit = hw_alarms.max_evaluation_range(period)
    if period * periods > limit:
        raise v.invalid('EvaluationPeriods', periods,
                        'Period multiplied by EvaluationPeriods must not exceed %d seconds '
                        '(one day for periods under an hour, seven days otherwise).' % limit)
    return {'Period': period, 'EvaluationPeriods': periods, 'DatapointsToAlarm': datapoints}


def _comparison(data: dict) -> dict:
    operator = v.require(data, 'ComparisonOperator')
    if operator in ANOMALY_OPERATORS:
        raise v.invalid('ComparisonOperator', operator,
                        'Anomaly detection alarms are not supported by this service.')
    v.choice(data, 'ComparisonOperator', 'ComparisonOperator',
             evaluation.COMPARISON_OPERATORS)
    # Every operator left compares with a static threshold, which it needs.
    return {'ComparisonOperator': operator,
            'Threshold': v.finite(data, 'Threshold', 'Threshold', required=True),
            'TreatMissingData': v.choice(data, 'TreatMissingData', 'TreatMissingData',
                                         evaluation.TREAT_MISSING_DATA) or 'missing'}


# The engine names an alarm's actions by state; a CloudWatch client by field.
_ACTION_FIELDS = {'actions.%s' % state: field for state, field in (
    ('ALARM', 'AlarmActions'), ('OK', 'OKActions'),
    ('INSUFFICIENT_DATA', 'InsufficientDataActions'))}


def _put(ctxt, engine, alarm: dict) -> None:
    """Store an alarm; a refused action is named by its CloudWatch field."""
    try:
        engine.put_alarm(ctxt, alarm_shapes.definition(alarm))
    except exceptions.InvalidParameterValue as exc:
        message = str(exc)
        for engine_name, field in _ACTION_FIELDS.items():
            message = message.replace('parameter %s ' % engine_name, 'parameter %s ' % field)
        raise errors.InvalidParameterValue(message) from None


def put_metric_alarm(ctxt, engine, data: dict) -> dict:
    """PutMetricAlarm: create or replace a single-metric alarm."""
    _reject_unsupported(data, UNSUPPORTED_METRIC_ALARM)
    alarm = _common_settings(data)
    for part in (_metric, _statistic, _evaluation, _comparison):
        alarm.update(part(data))
    _put(ctxt, engine, alarm)
    return {}


# -- PutCompositeAlarm -----------------------------------------------------------


def _alarm_rule(data: dict) -> str:
    rule = v.string(data, 'AlarmRule', 'AlarmRule', high=composite.MAX_RULE_LENGTH,
                    required=True)
    try:
        composite.parse(rule)
    except exceptions.InvalidParameterValue as exc:
        raise errors.InvalidParameterValue(str(exc)) from None
    return rule


def put_composite_alarm(ctxt, engine, data: dict) -> dict:
    """PutCompositeAlarm: create or replace an alarm over other alarms' states."""
    _reject_unsupported(data, UNSUPPORTED_COMPOSITE_ALARM)
    alarm = _common_settings(data)
    alarm['AlarmRule'] = _alarm_rule(data)
    _put(ctxt, engine, alarm)
    return {}


# -- DeleteAlarms, SetAlarmState, Enable/DisableAlarmActions ----------------------


def alarm_names(data: dict) -> list[str]:
    """The required AlarmNames of DeleteAlarms and Enable/DisableAlarmActions."""
    return v.string_list(data, 'AlarmNames', 'AlarmNames', MAX_ALARM_NAMES, required=True)


def delete_alarms(ctxt, engine, data: dict) -> dict:
    """DeleteAlarms: all named alarms or none (the engine checks they exist)."""
    engine.delete_alarms(ctxt, alarm_names(data))
    return {}


def _state_reason(data: dict) -> str:
    # StateReason is required but may be empty, which require() would refuse.
    if data.get('StateReason') is None:
        raise errors.MissingParameter('The parameter StateReason is required.')
    return v.string(data, 'StateReason', 'StateReason', 0, 1023)


def _state_reason_data(data: dict):
    text = v.string(data, 'StateReasonData', 'StateReasonData', 0, 4000)
    if not text:  # absent, or empty: no data
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise errors.InvalidFormat('The parameter StateReasonData must be valid JSON.') from None


def set_alarm_state(ctxt, engine, data: dict) -> dict:
    """SetAlarmState: a real transition, with history and actions."""
    engine.set_alarm_state(ctxt, v.string(data, 'AlarmName', 'AlarmName', required=True),
                           v.choice(data, 'StateValue', 'StateValue', STATES, required=True),
                           _state_reason(data), _state_reason_data(data))
    return {}


def enable_alarm_actions(ctxt, engine, data: dict) -> dict:
    """EnableAlarmActions."""
    engine.set_alarm_actions(ctxt, alarm_names(data), True)
    return {}


def disable_alarm_actions(ctxt, engine, data: dict) -> dict:
    """DisableAlarmActions."""
    engine.set_alarm_actions(ctxt, alarm_names(data), False)
    return {}


ACTIONS = {
    'PutMetricAlarm': put_metric_alarm,
    'PutCompositeAlarm': put_composite_alarm,
    'DeleteAlarms': delete_alarms,
    'SetAlarmState': set_alarm_state,
    'EnableAlarmActions': enable_alarm_actions,
    'DisableAlarmActions': disable_alarm_actions,
    **alarm_queries.ACTIONS,
}
