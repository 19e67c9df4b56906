"""Stored alarm rows <-> the engine's records (:mod:`heat_watch.watch.model`).

The one place that knows how a definition maps onto the typed columns of
``alarms`` and its state onto ``alarm_states``; storage hands the evaluator
flat row dicts (cheap to read in bulk) and the RPC methods these records.
"""

import json

import orjson

from heat_watch.common import alarms as hw_alarms
from heat_watch.watch import model

METRIC = hw_alarms.THRESHOLD
COMPOSITE = hw_alarms.COMPOSITE
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
_RULE_COLUMNS = ('namespace', 'metric_name', 'dimensions', 'unit', 'statistic', 'percentile',
                 'period', 'evaluation_periods', 'datapoints_to_alarm', 'comparison',
                 'threshold', 'missing_data', 'low_sample_count', 'rule')


def columns_of(definition: model.AlarmDefinition, metric_key: str | None) -> dict:
    """The typed columns of a definition (all but id, project and times)."""
    values = dict.fromkeys(_RULE_COLUMNS)
    values.update({
        'name': definition.name, 'user_id': definition.user_id,
        'alarm_type': definition.type, 'description': definition.description,
        'metric_key': metric_key, 'actions': json.dumps(definition.actions),
        'actions_enabled': definition.actions_enabled,
        'repeat_actions': definition.repeat_actions, 'severity': definition.severity,
        'tags': json.dumps(definition.tags) if definition.tags else None})
    rule = definition.rule
    if isinstance(rule, model.CompositeRule):
        values['rule'] = rule.expression
        return values
    values.update({
        'namespace': rule.metric.namespace, 'metric_name': rule.metric.metric_name,
        'dimensions': json.dumps([list(d) for d in rule.metric.dimensions]),
        'unit': rule.metric.unit, 'statistic': rule.statistic, 'percentile': rule.percentile,
        'period': rule.period, 'evaluation_periods': rule.evaluation_periods,
        'datapoints_to_alarm': rule.datapoints_to_alarm, 'comparison': rule.comparison,
        'threshold': rule.threshold, 'missing_data': rule.missing_data,
        'low_sample_count': rule.low_sample_count})
    return values


percentile_text = model.percentile_name


def rule_of(alarm: dict) -> model.ThresholdRule | model.CompositeRule:
    """The rule record of a stored alarm."""
    if alarm['alarm_type'] == COMPOSITE:
        return model.CompositeRule(alarm['rule'])
    return model.ThresholdRule(
        metric=model.MetricSelector(
            alarm['namespace'], alarm['metric_name'],
            tuple(tuple(d) for d in json.loads(alarm['dimensions'] or '[]')), alarm['unit']),
        period=alarm['period'], evaluation_periods=alarm['evaluation_periods'],
        comparison=alarm['comparison'], threshold=alarm['threshold'],
        statistic=alarm['statistic'], percentile=alarm['percentile'],
        datapoints_to_alarm=alarm['datapoints_to_alarm'],
        missing_data=alarm['missing_data'] or 'missing',
        low_sample_count=alarm['low_sample_count'])


def actions_of(alarm: dict) -> dict[str, list[str]]:
    """state -> action URLs of a stored alarm (enabled or not)."""
    return json.loads(alarm['actions'])


def definition_of(alarm: dict) -> model.AlarmDefinition:
    """The definition record of a stored alarm (as AlarmStore returns it)."""
    return model.AlarmDefinition(
        id=alarm['id'], project_id=alarm['project_id'], user_id=alarm['user_id'],
        name=alarm['name'], rule=rule_of(alarm), description=alarm['description'],
        actions=actions_of(alarm), actions_enabled=bool(alarm['actions_enabled']),
        repeat_actions=bool(alarm['repeat_actions']), severity=alarm['severity'],
        tags=json.loads(alarm['tags']) if alarm['tags'] else [],
        created_at=alarm['created_at'], updated_at=alarm['configuration_updated_at'])


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


def _loads(text: str):
    # orjson reads history details several times faster than json (a history
    # page is mostly this); json for what orjson refuses (NaN, Infinity).
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def history_of(row) -> model.HistoryItem:
    """The record of a stored history row."""
    detail = _loads(row.data)
    kind = _HISTORY_TYPES.get((row.item_type, detail.get('type')
                               if row.item_type == 'ConfigurationUpdate' else None), 'action')
    return model.HistoryItem(
        id=row.id, alarm_id=row.alarm_id, alarm_name=row.alarm_name,
        alarm_type=row.alarm_type, project_id=row.project_id,
        timestamp=row.timestamp, type=kind, summary=row.summary, detail=detail)


def history_kind(item_type: str, data: str) -> str:
    """The HistoryItem.type of a stored history row's item_type and data (a
    configuration item's data is read for it; the others' are not)."""
    if item_type != 'ConfigurationUpdate':
        return _HISTORY_TYPES.get((item_type, None), 'action')
    return _HISTORY_TYPES.get((item_type, _loads(data).get('type')), 'action')
