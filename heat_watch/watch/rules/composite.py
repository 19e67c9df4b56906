"""The ``composite`` rule type: a boolean expression over other alarms' states."""

from heat_watch.common import exceptions
from heat_watch.watch import composite, model
from heat_watch.watch.rules import base
from heat_watch.watch.storage import records


class CompositeRuleType(base.RuleType):
    """Composite alarms; evaluated from their children's current states."""

    name = 'composite'
    stored_type = records.COMPOSITE
    sweep_order = 10

    def validate(self, definition: model.AlarmDefinition) -> None:
        """The expression parses (cycles are checked against the stored alarms)."""
        if not isinstance(definition.rule, model.CompositeRule):
            raise exceptions.InvalidParameterValue(name='rule', reason='not a composite rule.')
        composite.parse(definition.rule.expression)

    def children(self, definition: model.AlarmDefinition) -> set[str]:
        """The alarms the expression names."""
        return composite.parse(definition.rule.expression).alarm_names()

    def evaluate(self, evaluator, alarms: list[dict]) -> None:
        """Each from its children's states."""
        evaluator.evaluate_composites(alarms)
