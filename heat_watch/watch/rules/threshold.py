"""The ``threshold`` rule type: a metric compared with a static threshold."""

from heat_watch.common import alarms as hw_alarms
from heat_watch.common import exceptions
from heat_watch.watch import evaluation, model, statistics
from heat_watch.watch.rules import base
from heat_watch.watch.storage import metrics as metric_storage
from heat_watch.watch.storage import records


def evaluation_rule(rule: model.ThresholdRule) -> evaluation.AlarmRule:
    """The evaluation settings of a threshold rule."""
    return evaluation.AlarmRule(
        statistic=rule.statistic,
        extended_statistic=None if rule.percentile is None
        else model.percentile_name(rule.percentile),
        period=rule.period, evaluation_periods=rule.evaluation_periods,
        datapoints_to_alarm=rule.datapoints_to_alarm, threshold=rule.threshold,
        comparison_operator=rule.comparison, treat_missing_data=rule.missing_data,
        evaluate_low_sample_count_percentile=rule.low_sample_count)


class ThresholdRuleType(base.RuleType):
    """Threshold alarms; evaluated in batches by their metrics' statistics."""

    name = 'threshold'
    stored_type = records.METRIC

    def validate(self, definition: model.AlarmDefinition) -> None:
        """Every evaluation setting, the percentile and the metric's names."""
        rule = definition.rule
        if not isinstance(rule, model.ThresholdRule):
            raise exceptions.InvalidParameterValue(name='rule', reason='not a threshold rule.')
        if not rule.metric.namespace or not rule.metric.metric_name:
            raise exceptions.InvalidParameterValue(
                name='metric', reason='a namespace and a metric name are required.')
        if rule.percentile is not None and not 0 <= rule.percentile <= 100:
            raise exceptions.InvalidParameterValue(
                name='percentile', reason='must be between 0 and 100.')
        if rule.statistic is not None and rule.statistic not in statistics.STATISTICS:
            raise exceptions.InvalidParameterValue(
                name='statistic', reason='must be one of %s.' % ', '.join(statistics.STATISTICS))
        limit = hw_alarms.max_evaluation_range(rule.period)
        if rule.period * rule.evaluation_periods > limit:
            # Bounded here too: the engine reads every period of the window,
            # whichever API (or the orchestrator) sent the definition.
            raise exceptions.InvalidParameterValue(
                name='evaluation_periods', reason='period times evaluation periods must not '
                'exceed %d seconds.' % limit)
        evaluation_rule(rule).validate()

    def metric_key(self, definition: model.AlarmDefinition) -> str | None:
        """The digest of the metric the rule reads."""
        metric = definition.rule.metric
        return metric_storage.metric_key(definition.project_id, metric.namespace,
                                         metric.metric_name,
                                         [list(d) for d in metric.dimensions])

    def evaluate(self, evaluator, alarms: list[dict]) -> None:
        """Batch evaluation, one statistics query per window."""
        evaluator.evaluate_alarms(alarms)
