"""OS::Aodh::Alarm, OS::Ceilometer::Alarm and OS::Aodh::CompositeAlarm:
alarms in Aodh's words, made in the watch engine over its RPC client (or in
an external Aodh, see :mod:`alarm_backends`) and deleted with the stack.

A threshold alarm watches a meter the way the REST API stores samples
(:mod:`heat_watch.common.meter_mapping`): namespace ``openstack``, name = the
meter, a dimension X for each ``metering.X`` of the samples' metadata. So
``matching_metadata: {metering.AutoScalingGroupName: G}`` (or HOT's usual
``metadata.user_metadata.AutoScalingGroupName``, or a ``query`` with the same
fields and ``op: eq``) watches dimension AutoScalingGroupName=G: every
member of the group. ``resource_id`` selects ResourceId.

A composite alarm's rules ({"and"|"or": [rules]} or Heat's {operator,
rules}) become one hidden threshold alarm per leaf and a composite alarm of
the watch engine over their states.
"""

from __future__ import annotations

from typing import Any

from heat_watch.common import alarms as hw_alarms
from heat_watch.common import context as hw_context
from heat_watch.common import exceptions, meter_mapping
from heat_watch.orchestration import properties as props
from heat_watch.orchestration import resource
from heat_watch.orchestration.resources import alarm_backends
from heat_watch.watch import model

STATISTICS = {'avg': 'Average', 'sum': 'Sum', 'min': 'Minimum', 'max': 'Maximum',
              'count': 'SampleCount'}
COMPARISONS = {'gt': 'GreaterThanThreshold', 'ge': 'GreaterThanOrEqualToThreshold',
               'lt': 'LessThanThreshold', 'le': 'LessThanOrEqualToThreshold'}
_METADATA_PREFIXES = ('metadata.metering.', 'metadata.user_metadata.', 'metering.',
                      'user_metadata.')


def _dimension_of(field: str, where: str) -> str:
    """The metric dimension a sample-metadata field selects."""
    if field in ('resource_id', 'resource'):
        return meter_mapping.RESOURCE_DIMENSION
    for prefix in _METADATA_PREFIXES:
        if field.startswith(prefix) and len(field) > len(prefix):
            return field[len(prefix):]
    raise exceptions.InvalidTemplate(
        '%s: %s cannot select a metric: only resource_id and metering.X / '
        'metadata.user_metadata.X fields (dimension X) can' % (where, field))


def dimensions(matching_metadata: dict | None, query: list | None,
               where: str) -> tuple[tuple[str, str], ...]:
    """Canonical dimensions of matching_metadata and query (op eq only)."""
    pairs = []
    for field, value in (matching_metadata or {}).items():
        pairs.append([_dimension_of(str(field), where + '.matching_metadata'), str(value)])
    for item in query or []:
        if not isinstance(item, dict) or 'field' not in item or 'value' not in item:
            raise exceptions.InvalidTemplate('%s.query: each item is a map of field, op '
                                             'and value' % where)
        if item.get('op', 'eq') != 'eq':
            raise exceptions.InvalidTemplate('%s.query: only op eq selects a metric, not %s'
                                             % (where, item.get('op')))
        pairs.append([_dimension_of(str(item['field']), where + '.query'),
                      str(item['value'])])
    return tuple(tuple(p) for p in hw_alarms.canonical_dimensions(pairs))


def threshold_rule(rule: dict, where: str) -> model.ThresholdRule:
    """The watch engine's rule of Aodh's threshold properties."""
    statistic = rule.get('statistic') or 'avg'
    if statistic not in STATISTICS:
        raise exceptions.InvalidTemplate('%s.statistic: one of %s, not %s'
                                         % (where, ', '.join(STATISTICS), statistic))
    comparison = rule.get('comparison_operator') or 'gt'
    if comparison not in COMPARISONS:
        raise exceptions.InvalidTemplate(
            '%s.comparison_operator: one of %s (CloudWatch alarms have no eq or ne), '
            'not %s' % (where, ', '.join(COMPARISONS), comparison))
    if not rule.get('meter_name') or rule.get('threshold') is None:
        raise exceptions.InvalidTemplate('%s: meter_name and threshold are required'
                                         % where)
    try:
        period = int(rule.get('period') or 60)
        evaluations = int(rule.get('evaluation_periods') or 1)
        threshold = float(rule['threshold'])
    except (TypeError, ValueError):
        raise exceptions.InvalidTemplate('%s: period, evaluation_periods and threshold '
                                         'are numbers' % where)
    if period < 1 or evaluations < 1:
        raise exceptions.InvalidTemplate('%s: period and evaluation_periods are at least 1'
                                         % where)
    metric = model.MetricSelector(
        meter_mapping.DEFAULT_SOURCE, str(rule['meter_name']),
        dimensions(rule.get('matching_metadata'), rule.get('query'), where))
    return model.ThresholdRule(metric=metric, period=period, evaluation_periods=evaluations,
                               comparison=COMPARISONS[comparison], threshold=threshold,
                               statistic=STATISTICS[statistic])


_COMMON = {
    'description': props.Property(props.STRING, 'Description.', update_allowed=True),
    'enabled': props.Property(props.BOOLEAN, 'Whether actions run.', default=True,
                              update_allowed=True),
    'alarm_actions': props.Property(props.LIST, 'URLs run on alarm.', default=[],
                                    update_allowed=True),
    'ok_actions': props.Property(props.LIST, 'URLs run on ok.', default=[],
                                 update_allowed=True),
    'insufficient_data_actions': props.Property(props.LIST, 'URLs run on insufficient '
                                                'data.', default=[], update_allowed=True),
    'repeat_actions': props.Property(props.BOOLEAN, 'Repeat the actions every period '
                                     'while the state lasts.', default=True,
                                     update_allowed=True),
    'severity': props.Property(props.STRING, 'Severity.', default='low',
                               allowed_values=hw_alarms.SEVERITIES, update_allowed=True),
    'time_constraints': props.Property(props.LIST, 'Accepted; not applied (the watch '
                                       'engine evaluates at all times).', default=[],
                                       update_allowed=True),
}


class AodhAlarm(resource.Resource):
    """OS::Aodh::Alarm (threshold): a metric alarm of the watch engine."""

    description = 'A threshold alarm on a meter, in the watch engine.'
    properties_schema = dict(_COMMON, **{
        'meter_name': props.Property(props.STRING, 'The meter.', required=True,
                                     update_allowed=True),
        'statistic': props.Property(props.STRING, 'Statistic compared.', default='avg',
                                    allowed_values=tuple(STATISTICS), update_allowed=True),
        'period': props.Property(props.INTEGER, 'Seconds per period.', default=60,
                                 min_value=1, update_allowed=True),
        'evaluation_periods': props.Property(props.INTEGER, 'Periods compared.', default=1,
                                             min_value=1, update_allowed=True),
        'threshold': props.Property(props.NUMBER, 'Threshold.', required=True,
                                    update_allowed=True),
        'comparison_operator': props.Property(props.STRING, 'Comparison.', default='gt',
                                              allowed_values=tuple(COMPARISONS),
                                              update_allowed=True),
        'matching_metadata': props.Property(props.MAP, 'Sample metadata that selects the '
                                            'metric (metering.X -> dimension X).',
                                            default={}, update_allowed=True),
        'query': props.Property(props.LIST, 'Aodh query (field, op eq, value) that '
                                'selects the metric.', default=[], update_allowed=True),
    })
    attributes_schema = {'alarm_id': 'The id of the alarm in the watch engine.'}

    def _context(self) -> hw_context.RequestContext:
        return hw_context.RequestContext(project_id=self.stack.record.project_id,
                                         user_id=self.stack.record.user_id)

    def _where(self) -> str:
        return self.stack.properties_path(self.name)

    def check_literal_properties(self, where: str, values: dict) -> None:
        """A 400 before anything is made for a rule the watch engine cannot
        hold (eq/ne, a metadata field that selects no dimension, ...)."""
        threshold_rule(dict(values, meter_name=values.get('meter_name') or 'm',
                            threshold=values.get('threshold', 0)), where)

    def rule(self) -> model.ThresholdRule | model.CompositeRule:
        return threshold_rule(self.properties, self._where())

    def definition(self, name: str | None = None,
                   rule: Any = None) -> model.AlarmDefinition:
        """The watch engine's definition of this alarm."""
        p = self.properties
        actions = {hw_alarms.ALARM: [str(u) for u in p.get('alarm_actions') or []],
                   hw_alarms.OK: [str(u) for u in p.get('ok_actions') or []],
                   hw_alarms.INSUFFICIENT_DATA: [str(u) for u in
                                                 p.get('insufficient_data_actions') or []]}
        return model.AlarmDefinition(
            project_id=self.stack.record.project_id, user_id=self.stack.record.user_id,
            name=name or self.physical_id or self.stack.physical_name(self.name),
            rule=rule or self.rule(), description=p.get('description') or None,
            actions=actions, actions_enabled=p.get('enabled', True),
            repeat_actions=bool(p.get('repeat_actions')),
            severity=p.get('severity') or hw_alarms.DEFAULT_SEVERITY)

    def _backend(self) -> alarm_backends.AlarmBackend:
        return alarm_backends.get(self.stack.runtime, self._context())

    def aodh_body(self) -> dict:
        """The alarm as Aodh's API takes it (for an external Aodh)."""
        p = self.properties
        rule = {k: p[k] for k in ('meter_name', 'statistic', 'period', 'evaluation_periods',
                                  'threshold', 'comparison_operator') if k in p}
        rule['query'] = [{'field': 'metadata.%s' % k if not k.startswith('metadata.')
                          else k, 'op': 'eq', 'value': str(v)}
                         for k, v in (p.get('matching_metadata') or {}).items()]
        rule['query'] += list(p.get('query') or [])
        return dict(self._common_body(), type='threshold', threshold_rule=rule)

    def _common_body(self) -> dict:
        p = self.properties
        return {'description': p.get('description') or '', 'enabled': p.get('enabled', True),
                'alarm_actions': p.get('alarm_actions') or [],
                'ok_actions': p.get('ok_actions') or [],
                'insufficient_data_actions': p.get('insufficient_data_actions') or [],
                'repeat_actions': bool(p.get('repeat_actions')),
                'severity': p.get('severity') or 'low',
                'time_constraints': p.get('time_constraints') or []}

    def handle_create(self) -> None:
        self.rule()  # a wrong rule fails before anything is made
        self.physical_id = self.stack.physical_name(self.name)
        self.data['alarm_id'] = self._backend().create(self.definition(), self.aodh_body())

    def handle_update(self, new_properties: dict, changed: set[str]) -> None:
        self.properties = new_properties
        self._backend().update(self.data['alarm_id'], self.definition(), self.aodh_body())

    def handle_delete(self) -> None:
        alarm_id = self.data.pop('alarm_id', None)
        if alarm_id:
            self._backend().delete(alarm_id)

    def needs_replacement(self, changed: set[str]) -> bool:
        return False

    def get_reference_id(self) -> str:
        return self.data.get('alarm_id') or self.physical_id or self.name

    def resolve_attribute(self, name: str) -> Any:
        return self.data.get('alarm_id')


class CeilometerAlarm(AodhAlarm):
    """OS::Ceilometer::Alarm: the same alarm under its older name."""

    description = 'A threshold alarm on a meter (Ceilometer\'s name for OS::Aodh::Alarm).'


def _leaves(rule: Any, where: str) -> tuple[str, list[dict]]:
    """(expression template, leaf rules) of an Aodh composite rule; the
    template has ``{n}`` where the n-th leaf's alarm goes."""
    leaves: list[dict] = []

    def walk(node: Any, depth: int) -> str:
        if depth > 10:
            raise exceptions.InvalidTemplate('%s: composite_rule nests too deep' % where)
        if not isinstance(node, dict):
            raise exceptions.InvalidTemplate('%s: each rule of composite_rule is a map'
                                             % where)
        if 'operator' in node and 'rules' in node:  # Heat's form
            node = {str(node['operator']).lower(): node['rules']}
        for operator in ('and', 'or'):
            if operator in node:
                children = node[operator]
                if not isinstance(children, list) or not children:
                    raise exceptions.InvalidTemplate('%s: composite_rule "%s" takes a list '
                                                     'of rules' % (where, operator))
                inner = (' %s ' % operator.upper()).join(walk(c, depth + 1) for c in children)
                return '(%s)' % inner
        if node.get('type', 'threshold') != 'threshold':
            raise exceptions.InvalidTemplate('%s: only threshold rules are supported in a '
                                             'composite_rule, not %s' % (where, node['type']))
        threshold_rule(node, where + '.composite_rule')
        leaves.append(node)
        return 'ALARM({%d})' % (len(leaves) - 1)

    return walk(rule, 0), leaves


class AodhCompositeAlarm(AodhAlarm):
    """OS::Aodh::CompositeAlarm: threshold rules combined with and/or."""

    description = 'Threshold rules combined with and / or.'
    properties_schema = dict(_COMMON, **{
        'composite_rule': props.Property(props.MAP, 'The rules: {"and"|"or": [rules]} or '
                                         '{operator, rules}.', required=True,
                                         update_allowed=True),
    })

    def check_literal_properties(self, where: str, values: dict) -> None:
        if 'composite_rule' in values:
            _leaves(values['composite_rule'], where)

    def aodh_body(self) -> dict:
        return dict(self._common_body(), type='composite',
                    composite_rule=self.properties['composite_rule'])

    def _composite_rule(self) -> model.CompositeRule:
        """Make the hidden alarm of each leaf; the rule over their states."""
        expression, leaves = _leaves(self.properties['composite_rule'], self._where())
        backend = self._backend()
        children = self.data.setdefault('children', [])
        names = []
        for index, leaf in enumerate(leaves):
            name = '%s-rule-%d' % (self.physical_id, index)
            child = model.AlarmDefinition(
                project_id=self.stack.record.project_id, user_id=self.stack.record.user_id,
                name=name, rule=threshold_rule(leaf, self._where()),
                description='Rule %d of %s' % (index, self.physical_id), actions={})
            children.append(backend.create(child, {}))
            names.append('"%s"' % name)
        return model.CompositeRule(expression.format(*names))

    def handle_create(self) -> None:
        _leaves(self.properties['composite_rule'], self._where())  # fail before making
        self.physical_id = self.stack.physical_name(self.name)
        backend = self._backend()
        if isinstance(backend, alarm_backends.WatchBackend):
            rule = self._composite_rule()
        else:  # Aodh evaluates its composite rules itself
            rule = model.CompositeRule('FALSE')
        self.data['alarm_id'] = backend.create(self.definition(rule=rule), self.aodh_body())

    def handle_update(self, new_properties: dict, changed: set[str]) -> None:
        # The leaves' alarms are made again: simplest, and the composite's
        # state follows from them within one period.
        self.handle_delete()
        self.properties = new_properties
        self.handle_create()

    def handle_delete(self) -> None:
        super().handle_delete()
        backend = self._backend()
        for child in self.data.pop('children', []) or []:
            backend.delete(child)
