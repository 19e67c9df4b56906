"""Client side of the watch engine's RPC API.

Every other process (the APIs, the notifier, later the orchestrator) talks
to the watch engine only through :class:`WatchEngineClient`.

API version history:

* 1.0 - metrics (put, statistics, data, list); get_credential has moved to
  the identity API (:mod:`heat_watch.identity.rpcapi`).
* 1.1 - alarms: put, describe, delete, state, history, actions, composite.
* 1.2 - put_metric_data takes ``metrics``, points grouped by metric
  (:mod:`heat_watch.watch.points`), instead of per-datum ``datums``.
"""

import oslo_messaging as messaging
from oslo_config import cfg

from heat_watch.common import context as hw_context
from heat_watch.common import rpc

TOPIC = 'heat-watch-engine'
RPC_API_VERSION = '1.2'

GROUP = 'watch_engine'
OPTS = [
    cfg.StrOpt('topic', default=TOPIC,
               help='RPC topic the watch engines listen on.'),
    cfg.IntOpt('rpc_timeout', default=60, min=1,
               help='Seconds an API waits for the watch engine to answer.'),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register the options the client reads."""
    conf.register_opts(OPTS, group=GROUP)


class WatchEngineClient:
    """Calls the watch engine over RPC.

    Times in arguments and results are epoch milliseconds. put_metric_data
    takes points grouped by metric, as :mod:`heat_watch.watch.points` says.
    """

    def __init__(self, conf: cfg.ConfigOpts = cfg.CONF):
        register_opts(conf)
        target = messaging.Target(topic=conf.watch_engine.topic, version=RPC_API_VERSION)
        self._client = rpc.get_client(target, conf, timeout=conf.watch_engine.rpc_timeout)

    def _call(self, ctxt: hw_context.RequestContext, method: str, **kwargs):
        return self._client.call(ctxt, method, **kwargs)

    def put_metric_data(self, ctxt, namespace: str, metrics: list[list]) -> int:
        """Store points of the caller's project; returns once committed."""
        return self._call(ctxt, 'put_metric_data', namespace=namespace, metrics=metrics)

    def get_metric_statistics(self, ctxt, args: dict) -> dict:
        """GetMetricStatistics of the caller's project."""
        return self._call(ctxt, 'get_metric_statistics', args=args)

    def get_metric_data(self, ctxt, args: dict) -> dict:
        """GetMetricData of the caller's project."""
        return self._call(ctxt, 'get_metric_data', args=args)

    def list_metrics(self, ctxt, args: dict) -> dict:
        """ListMetrics of the caller's project."""
        return self._call(ctxt, 'list_metrics', args=args)

    def put_metric_alarm(self, ctxt, alarm: dict) -> dict:
        """Create or replace a metric alarm by AlarmName (validated
        PutMetricAlarm input; plus the extension RepeatActions (bool) and
        Severity). Returns {'AlarmArn', 'AlarmId', 'Created': bool}."""
        return self._call(ctxt, 'put_metric_alarm', alarm=alarm)

    def put_composite_alarm(self, ctxt, alarm: dict) -> dict:
        """Create or replace a composite alarm (validated PutCompositeAlarm
        input; AlarmRule is parsed again by the engine). Returns as
        put_metric_alarm."""
        return self._call(ctxt, 'put_composite_alarm', alarm=alarm)

    def describe_alarms(self, ctxt, args: dict) -> dict:
        """DescribeAlarms: AlarmNames, AlarmNamePrefix, StateValue,
        ActionPrefix, AlarmTypes, MaxRecords, NextToken, ChildrenOfAlarmName,
        ParentsOfAlarmName. Returns MetricAlarms, CompositeAlarms, NextToken;
        times in epoch ms."""
        return self._call(ctxt, 'describe_alarms', args=args)

    def describe_alarms_for_metric(self, ctxt, args: dict) -> dict:
        """DescribeAlarmsForMetric: Namespace, MetricName, Dimensions,
        Statistic, ExtendedStatistic, Period, Unit. Returns MetricAlarms."""
        return self._call(ctxt, 'describe_alarms_for_metric', args=args)

    def delete_alarms(self, ctxt, names: list[str]) -> None:
        """DeleteAlarms: every name must exist, else nothing is deleted."""
        return self._call(ctxt, 'delete_alarms', names=names)

    def set_alarm_state(self, ctxt, name: str, state: str, reason: str,
                        reason_data: str | None) -> None:
        """SetAlarmState: a real transition (history, actions)."""
        return self._call(ctxt, 'set_alarm_state', name=name, state=state, reason=reason,
                          reason_data=reason_data)

    def set_alarm_actions(self, ctxt, names: list[str], enabled: bool) -> None:
        """EnableAlarmActions / DisableAlarmActions."""
        return self._call(ctxt, 'set_alarm_actions', names=names, enabled=enabled)

    def describe_alarm_history(self, ctxt, args: dict) -> dict:
        """DescribeAlarmHistory: AlarmName, AlarmTypes, HistoryItemType,
        StartDate, EndDate (epoch ms), MaxRecords, NextToken, ScanBy.
        Returns AlarmHistoryItems (Timestamp in epoch ms), NextToken."""
        return self._call(ctxt, 'describe_alarm_history', args=args)

    def record_action_result(self, ctxt, alarm_id: str, result: dict) -> None:
        """Cast by the notifier after each delivery attempt of an alarm
        action: ``result`` holds action_id, url (secrets redacted), attempt,
        outcome ('delivered' | 'retrying' | 'failed'), status and error."""
        self._client.prepare().cast(ctxt, 'record_action_result', alarm_id=alarm_id,
                                    result=result)
