"""The engine's alarms rendered as Ceilometer v2 / Aodh documents: alarms and
their history rows (the reverse of :mod:`heat_watch.api.alarm_mapping`,
whose module docstring describes the mapping both ways)."""

import json
from typing import Any

from heat_watch.api import alarm_mapping
from heat_watch.common import alarms as hw_alarms
from heat_watch.common import meter_mapping
from heat_watch.watch import model


def query_of_metric(metric: model.MetricSelector, project_id: str) -> list[dict]:
    """The threshold_rule query of a metric (the reverse of metric_of_query)."""
    return query_of(metric.namespace, metric.dimensions, project_id)


def query_of(namespace: str, dimensions, project_id: str) -> list[dict]:
    """The threshold_rule query of a metric's namespace and canonical
    dimensions ([name, value] pairs)."""
    query = []
    for name, value in dimensions:
        field = 'resource_id' if name == meter_mapping.RESOURCE_DIMENSION \
            else 'metadata.user_metadata.%s' % name
        query.append({'field': field, 'op': 'eq', 'value': value, 'type': 'string'})
    if namespace != meter_mapping.DEFAULT_SOURCE:
        query.append({'field': 'source', 'op': 'eq', 'value': namespace,
                      'type': 'string'})
    query.append({'field': 'project_id', 'op': 'eq', 'value': project_id, 'type': 'string'})
    return query


def threshold_rule_doc(rule: model.ThresholdRule, project_id: str) -> dict:
    """The REST threshold_rule of an engine rule."""
    statistic = alarm_mapping.REST_STATISTICS.get(rule.statistic or '') or \
        model.percentile_name(rule.percentile or 0)
    return {'meter_name': rule.metric.metric_name,
            'comparison_operator': alarm_mapping.REST_COMPARISONS[rule.comparison],
            'threshold': rule.threshold, 'statistic': statistic, 'period': rule.period,
            'evaluation_periods': rule.evaluation_periods,
            'query': query_of_metric(rule.metric, project_id), 'exclude_outliers': False}


def definition_doc(definition: model.AlarmDefinition, ids_of: dict[str, str]) -> dict:
    """The REST fields of a definition (no state); ``ids_of`` maps the child
    alarm names of a composite rule to their ids."""
    doc: dict[str, Any] = {
        'alarm_id': definition.id, 'name': definition.name,
        'description': definition.description or '', 'enabled': definition.actions_enabled,
        'severity': definition.severity, 'repeat_actions': definition.repeat_actions,
        'time_constraints': [], 'project_id': definition.project_id,
        'user_id': definition.user_id,
        'timestamp': alarm_mapping.iso(definition.updated_at or definition.created_at)}
    for field, state in alarm_mapping.ACTION_FIELDS.items():
        doc[field] = list(definition.actions.get(state) or [])
    rule = definition.rule
    if isinstance(rule, model.ThresholdRule):
        doc['type'] = 'threshold'
        doc['threshold_rule'] = threshold_rule_doc(rule, definition.project_id)
    else:
        composite_rule_doc(doc, rule.expression, ids_of)
    return doc


def composite_rule_doc(doc: dict, expression: str, ids_of: dict[str, str]) -> None:
    """Set ``doc``'s type and rule for a composite expression: Ceilometer's
    combination when it is one over alarms named in ``ids_of`` (name -> id),
    else Aodh's composite."""
    combination = alarm_mapping.combination_of_expression(expression)
    if combination is not None and all(n in ids_of for n in combination[1]):
        doc['type'] = 'combination'
        doc['combination_rule'] = {'operator': combination[0],
                                   'alarm_ids': [ids_of[n] for n in combination[1]]}
    else:
        doc['type'] = 'composite'
        doc['composite_rule'] = {'expression': expression}


def alarm_doc(alarm: model.Alarm, ids_of: dict[str, str]) -> dict:
    """The REST document of an alarm (definition and state)."""
    doc = definition_doc(alarm.definition, ids_of)
    doc.update(state=alarm_mapping.STATES[alarm.state.state],
               state_timestamp=alarm_mapping.iso(alarm.state.transitioned_at),
               state_reason=alarm.state.reason)
    return doc


def child_names(definition: model.AlarmDefinition) -> list[str]:
    """The child alarm names of a combination-shaped composite rule."""
    if isinstance(definition.rule, model.CompositeRule):
        combination = alarm_mapping.combination_of_expression(definition.rule.expression)
        if combination is not None:
            return combination[1]
    return []


def history_detail(item: model.HistoryItem, ids_of: dict[str, str]) -> dict:
    """The REST detail of a history item (Aodh's shapes: the alarm for a
    creation or deletion, the changed fields for a rule change, {state,
    transition_reason} for a state transition)."""
    detail = item.detail or {}
    if item.type == 'state transition':
        return {'state': alarm_mapping.STATES.get(detail.get('state'), detail.get('state')),
                'transition_reason': detail.get('reason')}
    definition = _wire_definition(detail.get('definition'))
    if definition is None:
        # Written before definitions were kept in history: what is known.
        return {'name': item.alarm_name, 'alarm_id': item.alarm_id,
                'severity': hw_alarms.DEFAULT_SEVERITY}
    doc = definition_doc(definition, ids_of)
    rule_field = '%s_rule' % doc['type']
    # Both clients read the rule of a history detail as "rule" (Aodh's
    # storage name), beside "type".
    doc['rule'] = doc[rule_field]
    if item.type == 'rule change':
        original = _wire_definition(detail.get('original'))
        if original is not None:
            before = definition_doc(original, ids_of)
            before['rule'] = before.get(rule_field)
            changed = {k: v for k, v in doc.items() if before.get(k) != v
                       and k != 'timestamp'}
            return changed or {'severity': doc['severity']}
    return doc


def _wire_definition(data: Any) -> model.AlarmDefinition | None:
    if not isinstance(data, dict):
        return None
    try:
        return model.AlarmDefinition.from_wire(data)
    except (KeyError, TypeError, ValueError):
        return None


def history_doc(item: model.HistoryItem, ids_of: dict[str, str]) -> dict:
    """The REST history row of an item."""
    detail = history_detail(item, ids_of)
    user_id = None
    definition = _wire_definition((item.detail or {}).get('definition'))
    if definition is not None:
        user_id = definition.user_id
    return {'event_id': str(item.id), 'alarm_id': item.alarm_id, 'type': item.type,
            'detail': json.dumps(detail), 'project_id': item.project_id, 'user_id': user_id,
            'on_behalf_of': item.project_id, 'timestamp': alarm_mapping.iso(item.timestamp)}
