"""AWS::CloudWatch::Alarm: an alarm of the watch engine, made over its RPC
API in the stack's project, deleted with the stack.

Its AlarmActions usually name scaling policies (their Ref is their
pre-signed URL). An alarm whose actions signal this orchestrator's resources
repeats them every period while it stays in ALARM: AWS's rule for Auto
Scaling actions (Heat fixed the same need in bug 1193970), so a sustained
breach scales one step per period, each step subject to the cooldown.
"""

from __future__ import annotations

from typing import Any

from heat_watch.common import alarms as hw_alarms
from heat_watch.common import context as hw_context
from heat_watch.common import exceptions
from heat_watch.orchestration import clients, resource
from heat_watch.orchestration import properties as props
from heat_watch.watch import model

COMPARISONS = ('GreaterThanOrEqualToThreshold', 'GreaterThanThreshold',
               'LessThanThreshold', 'LessThanOrEqualToThreshold')
STATISTICS = ('SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum')


class CloudWatchAlarm(resource.Resource):
    """AWS::CloudWatch::Alarm."""

    description = 'A metric alarm of the watch engine.'
    properties_schema = {
        'AlarmDescription': props.Property(props.STRING, 'Description.', default=''),
        'MetricName': props.Property(props.STRING, 'Metric name.', required=True),
        'Namespace': props.Property(props.STRING, 'Metric namespace.', required=True),
        'Statistic': props.Property(props.STRING, 'Statistic compared.', required=True,
                                    allowed_values=STATISTICS),
        'Period': props.Property(props.INTEGER, 'Seconds per period.', required=True,
                                 min_value=1),
        'EvaluationPeriods': props.Property(props.INTEGER, 'Periods compared.',
                                            required=True, min_value=1),
        'Threshold': props.Property(props.NUMBER, 'Threshold.', required=True),
        'ComparisonOperator': props.Property(props.STRING, 'Comparison.', required=True,
                                             allowed_values=COMPARISONS),
        'Dimensions': props.Property(props.LIST, 'Dimensions (Name, Value).', default=[]),
        'Units': props.Property(props.STRING, 'Unit of the metric.'),
        'AlarmActions': props.Property(props.LIST, 'URLs run on ALARM.', default=[]),
        'OKActions': props.Property(props.LIST, 'URLs run on OK.', default=[]),
        'InsufficientDataActions': props.Property(props.LIST, 'URLs run on '
                                                  'INSUFFICIENT_DATA.', default=[]),
        'ActionsEnabled': props.Property(props.BOOLEAN, 'Whether actions run.',
                                         default=True),
    }

    def _context(self) -> hw_context.RequestContext:
        return hw_context.RequestContext(project_id=self.stack.record.project_id,
                                         user_id=self.stack.record.user_id)

    def _dimensions(self) -> tuple[tuple[str, str], ...]:
        pairs = []
        for item in self.properties.get('Dimensions') or []:
            if not isinstance(item, dict) or 'Name' not in item or 'Value' not in item:
                raise exceptions.ResourceFailure(
                    reason='Dimensions must be a list of {Name, Value} maps')
            pairs.append([str(item['Name']), str(item['Value'])])
        return tuple(tuple(pair) for pair in hw_alarms.canonical_dimensions(pairs))

    def definition(self) -> model.AlarmDefinition:
        """The watch engine's definition of this alarm."""
        p = self.properties
        actions = {hw_alarms.ALARM: [str(u) for u in p.get('AlarmActions') or []],
                   hw_alarms.OK: [str(u) for u in p.get('OKActions') or []],
                   hw_alarms.INSUFFICIENT_DATA: [str(u) for u in
                                                 p.get('InsufficientDataActions') or []]}
        rule = model.ThresholdRule(
            metric=model.MetricSelector(p['Namespace'], p['MetricName'], self._dimensions(),
                                        p.get('Units')),
            period=p['Period'], evaluation_periods=p['EvaluationPeriods'],
            comparison=p['ComparisonOperator'], threshold=float(p['Threshold']),
            statistic=p['Statistic'])
        return model.AlarmDefinition(
            project_id=self.stack.record.project_id, user_id=self.stack.record.user_id,
            name=self.physical_id or self.stack.physical_name(self.name), rule=rule,
            description=p.get('AlarmDescription') or None, actions=actions,
            actions_enabled=p.get('ActionsEnabled', True),
            repeat_actions=any(clients.is_signal_url(self.stack.runtime, url)
                               for urls in actions.values() for url in urls))

    def handle_create(self) -> None:
        self.physical_id = self.stack.physical_name(self.name)
        created = clients.watch(self.stack.runtime).create_alarm(self._context(),
                                                                 self.definition())
        self.data['alarm_id'] = created.definition.id

    def handle_update(self, new_properties: dict, changed: set[str]) -> None:
        self.properties = new_properties
        clients.watch(self.stack.runtime).update_alarm(self._context(), self.data['alarm_id'],
                                                       self.definition())

    def handle_delete(self) -> None:
        alarm_id = self.data.pop('alarm_id', None)
        if alarm_id:
            try:
                clients.watch(self.stack.runtime).delete_alarm(self._context(), alarm_id)
            except exceptions.NotFound:
                pass

    def needs_replacement(self, changed: set[str]) -> bool:
        return False  # every property can change in place

    def resolve_attribute(self, name: str) -> Any:
        return None
