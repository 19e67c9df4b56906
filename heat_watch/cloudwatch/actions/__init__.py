"""The CloudWatch actions this API serves, by operation name."""

from heat_watch.cloudwatch.actions import alarms, metrics

ACTIONS = {}
ACTIONS.update(metrics.ACTIONS)
ACTIONS.update(alarms.ACTIONS)
