"""Alarm actions that read alarms: DescribeAlarms, DescribeAlarmsForMetric,
DescribeAlarmHistory.

Each action validates its filters as AWS documents them, turns times into
epoch milliseconds for the watch engine, and turns the engine's epoch
milliseconds back into datetimes for the protocol codecs.

Known differences from AWS: log alarms do not exist here, so AlarmTypes
``LogAlarm`` is accepted and matches nothing; ``AlarmContributorId`` (alarms
with contributors, i.e. Metrics Insights) is refused as not supported.
"""

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch import validation as v
from heat_watch.common import alarms as hw_alarms

METRIC_ALARM = 'MetricAlarm'
COMPOSITE_ALARM = 'CompositeAlarm'
LOG_ALARM = 'LogAlarm'
ALARM_TYPES = (METRIC_ALARM, COMPOSITE_ALARM, LOG_ALARM)
# AWS: without AlarmTypes only metric alarms are returned.
DEFAULT_ALARM_TYPES = (METRIC_ALARM,)
STATES = hw_alarms.STATES
HISTORY_ITEM_TYPES = ('ConfigurationUpdate', 'StateUpdate', 'Action',
                      'AlarmContributorStateUpdate', 'AlarmContributorAction')
SCAN_BY = ('TimestampDescending', 'TimestampAscending')
MAX_ALARM_NAMES = 100
MAX_RECORDS = 100
DEFAULT_MAX_RECORDS = 50
ALARM_TIMES = ('StateUpdatedTimestamp', 'AlarmConfigurationUpdatedTimestamp',
               'StateTransitionedTimestamp')
# With one of these, AWS takes no other parameter but MaxRecords and NextToken.
RELATIONSHIPS = ('ChildrenOfAlarmName', 'ParentsOfAlarmName')
PAGING = ('MaxRecords', 'NextToken')


def _alarm_types(data: dict) -> list[str]:
    """AlarmTypes for the engine: the default when absent, log alarms dropped."""
    given = data.get('AlarmTypes') or []
    if not isinstance(given, list):
        raise v.invalid('AlarmTypes', given)
    for i, alarm_type in enumerate(given):
        if alarm_type not in ALARM_TYPES:
            raise v.invalid(v.member('AlarmTypes', i), alarm_type,
                            'Valid values: %s.' % ', '.join(ALARM_TYPES))
    kinds = given or DEFAULT_ALARM_TYPES
    return [kind for kind in (METRIC_ALARM, COMPOSITE_ALARM) if kind in kinds]


def _max_records(data: dict) -> int:
    max_records = v.integer(data, 'MaxRecords', 'MaxRecords', 1, MAX_RECORDS)
    return DEFAULT_MAX_RECORDS if max_records is None else max_records


def _shape_alarms(alarms: list[dict]) -> list[dict]:
    for alarm in alarms:
        for key in ALARM_TIMES:
            if alarm.get(key) is not None:
                alarm[key] = v.from_ms(alarm[key])
    return alarms


def _relationship(data: dict) -> dict:
    """ChildrenOfAlarmName / ParentsOfAlarmName, alone with paging."""
    given = [key for key in RELATIONSHIPS if data.get(key) is not None]
    if not given:
        return {key: None for key in RELATIONSHIPS}
    others = [key for key, value in data.items()
              if value not in (None, []) and key not in given[:1] + list(PAGING)]
    if others:
        raise errors.InvalidParameterCombination(
            'With %s only MaxRecords and NextToken may be specified, not %s.'
            % (given[0], ', '.join(others)))
    return {key: v.string(data, key, key) for key in RELATIONSHIPS}


def _name_filters(data: dict) -> dict:
    names = v.string_list(data, 'AlarmNames', 'AlarmNames', MAX_ALARM_NAMES)
    prefix = v.string(data, 'AlarmNamePrefix', 'AlarmNamePrefix')
    if names and prefix is not None:
        raise errors.InvalidParameterCombination(
            'The parameters AlarmNames and AlarmNamePrefix are mutually exclusive.')
    return {'AlarmNames': names or None, 'AlarmNamePrefix': prefix}


def describe_alarms(ctxt, engine, data: dict) -> dict:
    """DescribeAlarms: pages of metric and/or composite alarms."""
    args = _relationship(data)
    related = any(args.values())
    args.update(_name_filters(data))
    args.update({
        'StateValue': v.choice(data, 'StateValue', 'StateValue', STATES),
        'ActionPrefix': v.string(data, 'ActionPrefix', 'ActionPrefix', high=1024),
        # Children may be of either kind, parents are composite alarms.
        'AlarmTypes': [METRIC_ALARM, COMPOSITE_ALARM] if related else _alarm_types(data),
        'MaxRecords': _max_records(data),
        'NextToken': data.get('NextToken'),
    })
    if not args['AlarmTypes']:  # only LogAlarm asked for
        return {'MetricAlarms': [], 'CompositeAlarms': []}
    result = engine.describe_alarms(ctxt, args)
    result['MetricAlarms'] = _shape_alarms(result.get('MetricAlarms') or [])
    result['CompositeAlarms'] = _shape_alarms(result.get('CompositeAlarms') or [])
    return result


def describe_alarms_for_metric(ctxt, engine, data: dict) -> dict:
    """DescribeAlarmsForMetric: the metric alarms watching one metric."""
    extended = data.get('ExtendedStatistic')
    if extended is not None:
        v.extended_statistic(extended, 'ExtendedStatistic')
    args = {'Namespace': v.string(data, 'Namespace', 'Namespace', required=True),
            'MetricName': v.string(data, 'MetricName', 'MetricName', required=True),
            'Dimensions': [{'Name': d['Name'], 'Value': d['Value']}
                           for d in v.dimensions(data.get('Dimensions'), 'Dimensions')],
            'Statistic': v.choice(data, 'Statistic', 'Statistic', v.STATISTICS),
            'ExtendedStatistic': extended,
            'Period': v.integer(data, 'Period', 'Period', 1),
            'Unit': v.choice(data, 'Unit', 'Unit', v.UNITS)}
    result = engine.describe_alarms_for_metric(ctxt, args)
    result['MetricAlarms'] = _shape_alarms(result.get('MetricAlarms') or [])
    return result


def _history_range(data: dict) -> tuple[int | None, int | None]:
    start = v.timestamp(data, 'StartDate', 'StartDate', required=False)
    end = v.timestamp(data, 'EndDate', 'EndDate', required=False)
    if start is not None and end is not None and start >= end:
        raise errors.InvalidParameterValue(
            'The parameter StartDate must be less than the parameter EndDate.')
    return start, end


def describe_alarm_history(ctxt, engine, data: dict) -> dict:
    """DescribeAlarmHistory: pages of history items, newest first by default."""
    if data.get('AlarmContributorId') is not None:
        raise errors.InvalidParameterValue(
            'The parameter AlarmContributorId is not supported: alarms with contributors '
            'are not supported by this service.')
    start, end = _history_range(data)
    args = {'AlarmName': v.string(data, 'AlarmName', 'AlarmName'),
            'AlarmTypes': _alarm_types(data),
            'HistoryItemType': v.choice(data, 'HistoryItemType', 'HistoryItemType',
                                        HISTORY_ITEM_TYPES),
            'StartDate': start, 'EndDate': end,
            'MaxRecords': _max_records(data),
            'NextToken': data.get('NextToken'),
            'ScanBy': v.choice(data, 'ScanBy', 'ScanBy', SCAN_BY) or SCAN_BY[0]}
    if not args['AlarmTypes']:  # only LogAlarm asked for
        return {'AlarmHistoryItems': []}
    result = engine.describe_alarm_history(ctxt, args)
    items = result.get('AlarmHistoryItems') or []
    for item in items:
        item['Timestamp'] = v.from_ms(item['Timestamp'])
    result['AlarmHistoryItems'] = items
    return result


ACTIONS = {
    'DescribeAlarms': describe_alarms,
    'DescribeAlarmsForMetric': describe_alarms_for_metric,
    'DescribeAlarmHistory': describe_alarm_history,
}
