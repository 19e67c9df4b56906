"""Stored alarm rows <-> the engine's records (:mod:`heat_watch.watch.model`).

The one place that knows how an alarm definition is laid out in the
``alarms.definition`` column (the layout the evaluator reads) and which
stored ``alarm_type`` and ``item_type`` values mean which record type.
"""

import json

from heat_watch.common import alarms as hw_alarms
from heat_watch.watch import model

# Stored alarm_type values (columns alarms.alarm_type, alarm_history.alarm_type).
METRIC = 'MetricAlarm'
COMPOSITE = 'CompositeAlarm'
STORED_TYPES = {hw_alarms.THRESHOLD: METRIC, hw_alarms.COMPOSITE: COMPOSITE}
TYPES = {stored: neutral for neutral, stored in STORED_TYPES.items()}
_ACTION_KEYS = {hw_alarms.OK: 'OKActions', hw_alarms.ALARM: 'AlarmActions',
                hw_alarms.INSUFFICIENT_DATA: 'InsufficientDataActions'}
# Stored history item_type (and, for configuration items, data['type'])
# -> HistoryItem.type.
_HISTORY_TYPES = {('ConfigurationUpdate', 'Create'): 'creation',
                  ('ConfigurationUpdate', 'Update'): 'rule change',
                  ('ConfigurationUpdate', 'Delete'): 'deletion',
                  ('StateUpdate', None): 'state transition',
                  ('Action', None): 'action'}
STORED_HISTORY_TYPES = {'creation': 'ConfigurationUpdate', 'rule change': 'ConfigurationUpdate',
                        'deletion': 'ConfigurationUpdate', 'state transition': 'StateUpdate',
                        'action': 'Action'}


def stored_definition_percentile(p: float) -> str:
    """The stored (extended statistic) form of a percentile: 90.0 -> 'p90'."""
    return 'p%d' % p if float(p).is_integer() else 'p%s' % repr(float(p))


def stored_definition(definition: model.AlarmDefinition) -> dict:
    """The ``definition`` column's content for a definition."""
    stored = {'AlarmName': definition.name, 'ActionsEnabled': definition.actions_enabled,
              'RepeatActions': definition.repeat_actions, 'Severity': definition.severity}
    if definition.description is not None:
        stored['AlarmDescription'] = definition.description
    for state, key in _ACTION_KEYS.items():
        stored[key] = list(definition.actions.get(state) or [])
    if definition.tags:
        stored['Tags'] = definition.tags
    rule = definition.rule
    if isinstance(rule, model.CompositeRule):
        stored['AlarmRule'] = rule.expression
        return stored
    stored.update({
        'Namespace': rule.metric.namespace, 'MetricName': rule.metric.metric_name,
        'Dimensions': [{'Name': n, 'Value': v} for n, v in rule.metric.dimensions],
        'Unit': rule.metric.unit, 'Statistic': rule.statistic,
        'ExtendedStatistic': None if rule.percentile is None
        else stored_definition_percentile(rule.percentile),
        'Period': rule.period, 'EvaluationPeriods': rule.evaluation_periods,
        'DatapointsToAlarm': rule.datapoints_to_alarm, 'Threshold': rule.threshold,
        'ComparisonOperator': rule.comparison, 'TreatMissingData': rule.missing_data,
        'EvaluateLowSampleCountPercentile': rule.low_sample_count})
    return stored


def _rule(alarm_type: str, stored: dict) -> model.ThresholdRule | model.CompositeRule:
    if alarm_type == COMPOSITE:
        return model.CompositeRule(stored['AlarmRule'])
    extended = stored.get('ExtendedStatistic')
    return model.ThresholdRule(
        metric=model.MetricSelector(
            stored['Namespace'], stored['MetricName'],
            tuple(tuple(d) for d in hw_alarms.canonical_dimensions(
                (d['Name'], d['Value']) for d in stored.get('Dimensions') or [])),
            stored.get('Unit')),
        period=stored['Period'], evaluation_periods=stored['EvaluationPeriods'],
        comparison=stored['ComparisonOperator'], threshold=float(stored['Threshold']),
        statistic=stored.get('Statistic'),
        percentile=float(extended[1:]) if extended else None,
        datapoints_to_alarm=stored.get('DatapointsToAlarm'),
        missing_data=stored.get('TreatMissingData') or 'missing',
        low_sample_count=stored.get('EvaluateLowSampleCountPercentile'))


def definition_of(alarm: dict) -> model.AlarmDefinition:
    """The definition record of a stored alarm (as AlarmStore returns it)."""
    stored = alarm['definition']
    return model.AlarmDefinition(
        id=alarm['id'], project_id=alarm['project_id'], name=alarm['name'],
        rule=_rule(alarm['alarm_type'], stored), description=stored.get('AlarmDescription'),
        actions={state: list(stored.get(key) or []) for state, key in _ACTION_KEYS.items()},
        actions_enabled=bool(alarm['actions_enabled']),
        repeat_actions=bool(stored.get('RepeatActions')),
        severity=stored.get('Severity') or hw_alarms.DEFAULT_SEVERITY,
        tags=list(stored.get('Tags') or []), created_at=alarm.get('created_at'),
        updated_at=alarm['configuration_updated_at'])


def state_of(alarm: dict) -> model.AlarmState:
    """The state record of a stored alarm."""
    data = alarm['state_reason_data']
    return model.AlarmState(
        state=alarm['state'], version=alarm['version'], updated_at=alarm['state_updated_at'],
        transitioned_at=alarm['state_transitioned_at'], reason=alarm['state_reason'],
        reason_data=json.loads(data) if data else None, actions_run_at=alarm['actions_run_at'])


def alarm_of(alarm: dict) -> model.Alarm:
    """The record of a stored alarm."""
    return model.Alarm(definition_of(alarm), state_of(alarm))


def history_of(row) -> model.HistoryItem:
    """The record of a stored history row."""
    detail = json.loads(row.data)
    kind = _HISTORY_TYPES.get((row.item_type, detail.get('type')
                               if row.item_type == 'ConfigurationUpdate' else None), 'action')
    return model.HistoryItem(
        id=row.id, alarm_id=row.alarm_id, alarm_name=row.alarm_name,
        alarm_type=TYPES.get(row.alarm_type, row.alarm_type), project_id=row.project_id,
        timestamp=row.timestamp, type=kind, summary=row.summary, detail=detail)
