"""The interface of an alarm rule type plugin."""

import abc

from heat_watch.watch import model


class RuleType(metaclass=abc.ABCMeta):
    """One alarm type: validation, watched metrics, evaluation."""

    #: The alarm type this plugin serves (its entry point name).
    name: str
    #: The stored alarm_type of its alarms (the sweep pages by it).
    stored_type: str
    #: Sweeps evaluate lower orders first (composites read their children's
    #: states, so they come after the types they may name).
    sweep_order: int = 0

    @abc.abstractmethod
    def validate(self, definition: model.AlarmDefinition) -> None:
        """Raise an InvalidParameterValue-like HeatWatchError if unusable."""

    def metric_key(self, definition: model.AlarmDefinition) -> str | None:
        """The metric the alarm watches (None: it watches no metric)."""
        return None

    def children(self, definition: model.AlarmDefinition) -> set[str]:
        """Names of the alarms whose states the rule reads."""
        return set()

    @abc.abstractmethod
    def evaluate(self, evaluator, alarms: list[dict]) -> None:
        """Evaluate a batch of stored alarms of this type with ``evaluator``
        (an :class:`heat_watch.watch.evaluator.AlarmEvaluator`)."""
