"""The engine's alarm records in CloudWatch's shapes, and back.

The watch engine knows nothing of AWS: this module turns validated
PutMetricAlarm / PutCompositeAlarm input into an engine AlarmDefinition, and
the engine's Alarm and HistoryItem records into the DescribeAlarms and
DescribeAlarmHistory members (ARNs, field names, HistoryData), with times in
epoch milliseconds (the actions turn them into datetimes).
"""

import json

from heat_watch.cloudwatch.actions import alarm_reasons
from heat_watch.common import alarms as hw_alarms
from heat_watch.watch import model

METRIC_ALARM = 'MetricAlarm'
COMPOSITE_ALARM = 'CompositeAlarm'
AWS_TYPES = {hw_alarms.THRESHOLD: METRIC_ALARM, hw_alarms.COMPOSITE: COMPOSITE_ALARM}
ENGINE_TYPES = {aws: engine for engine, aws in AWS_TYPES.items()}
ACTION_FIELDS = {hw_alarms.OK: 'OKActions', hw_alarms.ALARM: 'AlarmActions',
                 hw_alarms.INSUFFICIENT_DATA: 'InsufficientDataActions'}
ACTION_STATES = {'delivered': 'Succeeded', 'failed': 'Failed'}
HISTORY_ITEM_TYPES = {'creation': 'ConfigurationUpdate', 'rule change': 'ConfigurationUpdate',
                      'deletion': 'ConfigurationUpdate', 'state transition': 'StateUpdate',
                      'action': 'Action'}
ENGINE_HISTORY_TYPES = {'ConfigurationUpdate': ['creation', 'rule change', 'deletion'],
                        'StateUpdate': ['state transition'], 'Action': ['action']}


def alarm_arn(region: str, project_id: str, name: str) -> str:
    """arn:openstack:cloudwatch:<region>:<project>:alarm:<name>."""
    return 'arn:openstack:cloudwatch:%s:%s:alarm:%s' % (region, project_id, name)


# -- input -----------------------------------------------------------------------


def _percentile(extended: str | None) -> float | None:
    return float(extended[1:]) if extended else None


def definition(settings: dict) -> model.AlarmDefinition:
    """An engine definition from validated PutMetricAlarm/PutCompositeAlarm
    settings (the project is the caller's, set by the engine)."""
    if 'AlarmRule' in settings:
        rule = model.CompositeRule(settings['AlarmRule'])
    else:
        rule = model.ThresholdRule(
            metric=model.MetricSelector(
                settings['Namespace'], settings['MetricName'],
                tuple(tuple(d) for d in hw_alarms.canonical_dimensions(
                    (d['Name'], d['Value']) for d in settings.get('Dimensions') or [])),
                settings.get('Unit')),
            period=settings['Period'], evaluation_periods=settings['EvaluationPeriods'],
            comparison=settings['ComparisonOperator'], threshold=float(settings['Threshold']),
            statistic=settings.get('Statistic'),
            percentile=_percentile(settings.get('ExtendedStatistic')),
            datapoints_to_alarm=settings.get('DatapointsToAlarm'),
            missing_data=settings.get('TreatMissingData') or 'missing',
            low_sample_count=settings.get('EvaluateLowSampleCountPercentile'))
    return model.AlarmDefinition(
        project_id='', name=settings['AlarmName'], rule=rule,
        description=settings.get('AlarmDescription'),
        actions={state: list(settings.get(field) or []) for state, field in
                 ACTION_FIELDS.items()},
        actions_enabled=settings.get('ActionsEnabled', True),
        repeat_actions=bool(settings.get('RepeatActions')),
        severity=settings.get('Severity') or hw_alarms.DEFAULT_SEVERITY,
        tags=list(settings.get('Tags') or []))


# -- output ------------------------------------------------------------------------


def settings(alarm: model.AlarmDefinition) -> dict:
    """The configuration members of an alarm (as PutMetricAlarm/PutCompositeAlarm
    name them), absent ones left out."""
    described = {'AlarmName': alarm.name, 'AlarmDescription': alarm.description,
                 'ActionsEnabled': alarm.actions_enabled}
    for state, field in ACTION_FIELDS.items():
        described[field] = list(alarm.actions.get(state) or [])
    rule = alarm.rule
    if isinstance(rule, model.CompositeRule):
        described['AlarmRule'] = rule.expression
    else:
        described.update({
            'MetricName': rule.metric.metric_name, 'Namespace': rule.metric.namespace,
            'Statistic': rule.statistic,
            'ExtendedStatistic': None if rule.percentile is None
            else model.percentile_name(rule.percentile),
            'Dimensions': [{'Name': n, 'Value': v} for n, v in rule.metric.dimensions],
            'Period': rule.period, 'Unit': rule.metric.unit,
            'EvaluationPeriods': rule.evaluation_periods,
            'DatapointsToAlarm': rule.datapoints_to_alarm, 'Threshold': rule.threshold,
            'ComparisonOperator': rule.comparison, 'TreatMissingData': rule.missing_data,
            'EvaluateLowSampleCountPercentile': rule.low_sample_count})
    return {k: v for k, v in described.items() if v is not None}


def described(alarm: model.Alarm, region: str) -> dict:
    """A MetricAlarms/CompositeAlarms member of DescribeAlarms (times epoch ms)."""
    definition, state = alarm.definition, alarm.state
    member = settings(definition)
    reason, reason_data = alarm_reasons.render(state.reason, state.reason_data,
                                               definition.project_id, region)
    member.update({
        'AlarmArn': alarm_arn(region, definition.project_id, definition.name),
        'AlarmConfigurationUpdatedTimestamp': definition.updated_at,
        'StateValue': state.state, 'StateReason': reason,
        'StateUpdatedTimestamp': state.updated_at,
        'StateTransitionedTimestamp': state.transitioned_at})
    if reason_data is not None:
        member['StateReasonData'] = reason_data
    return member


def _history_data(item: model.HistoryItem, region: str) -> dict:
    detail = item.detail
    if item.type == 'creation' and 'definition' in detail:
        return {'version': '1.0', 'type': 'Create',
                'createdAlarm': settings(model.AlarmDefinition.from_wire(detail['definition']))}
    if item.type == 'rule change' and 'definition' in detail:
        return {'version': '1.0', 'type': 'Update',
                'updatedAlarm': settings(model.AlarmDefinition.from_wire(detail['definition'])),
                'originalAlarm': settings(model.AlarmDefinition.from_wire(detail['original']))}
    if item.type == 'state transition' and 'state' in detail:
        old_reason, _ = alarm_reasons.render(detail['previous_reason'],
                                             detail.get('previous_reason_data'),
                                             item.project_id, region)
        new_reason, new_data = alarm_reasons.render(detail['reason'], detail.get('reason_data'),
                                                    item.project_id, region)
        data = {'version': '1.0',
                'oldState': {'stateValue': detail['previous'], 'stateReason': old_reason},
                'newState': {'stateValue': detail['state'], 'stateReason': new_reason}}
        if new_data is not None:
            data['newState']['stateReasonData'] = json.loads(new_data)
        return data
    if item.type == 'action' and 'outcome' in detail:
        data = {'actionState': ACTION_STATES.get(detail['outcome'], 'InProgress'),
                'notificationResource': detail.get('url'), 'actionId': detail.get('action_id'),
                'attempt': detail.get('attempt'), 'status': detail.get('status'),
                'error': detail.get('error')}
        return {k: v for k, v in data.items() if v is not None}
    if item.type == 'deletion':  # AWS's HistoryData of a deletion names no settings
        return {k: v for k, v in detail.items() if k != 'definition'}
    return detail  # the items stored before revision 005


def history_item(item: model.HistoryItem, region: str) -> dict:
    """An AlarmHistoryItems member of DescribeAlarmHistory (Timestamp epoch ms)."""
    return {'AlarmName': item.alarm_name,
            'AlarmType': AWS_TYPES.get(item.alarm_type, item.alarm_type),
            'Timestamp': item.timestamp, 'HistoryItemType': HISTORY_ITEM_TYPES[item.type],
            'HistorySummary': item.summary,
            'HistoryData': json.dumps(_history_data(item, region))}
