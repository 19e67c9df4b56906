"""Client side of the watch engine's RPC API.

Every other process (the APIs, the notifier, later the orchestrator) talks
to the watch engine only through :class:`WatchEngineClient`.

API version history:

* 1.0 - metrics (put, statistics, data, list); get_credential has moved to
  the identity API (:mod:`heat_watch.identity.rpcapi`).
* 1.1 - alarms: put, describe, delete, state, history, actions, composite.
* 1.2 - put_metric_data takes ``metrics``, points grouped by metric
  (:mod:`heat_watch.watch.points`), instead of per-datum ``datums``.
* 2.0 - alarms in the engine's own records (:mod:`heat_watch.watch.model`)
  instead of CloudWatch shapes: put_alarm (create or replace by name),
  delete_alarms, set_alarm_actions, set_alarm_state (reason data a dict) by
  name; create_alarm, get_alarm, list_alarms, update_alarm, delete_alarm,
  set_alarm_state_by_id, get_alarm_history by id. put_metric_alarm,
  put_composite_alarm, describe_alarms, describe_alarms_for_metric and
  describe_alarm_history are gone: each API renders the records itself.
* 2.1 - find_metrics, metric_datapoints, metric_buckets: reads across
  several metrics by filters (the REST API's meters, samples, statistics).
* 2.2 - put_metric_batch: the points of several requests (each with its
  project) in one call, failures answered per item. Over a broker the
  client coalesces concurrent put_metric_data calls into it
  (:mod:`heat_watch.common.coalescing`).
* 3.0 - metric reads answer the engine's records (:mod:`heat_watch.watch.model`)
  instead of CloudWatch result shapes, and take records and plain
  arguments instead of CloudWatch requests: metric_statistics (a
  StatisticsResult), metric_data (MetricQuery records in, a MetricData out)
  and list_metrics (a MetricListing, its marker opaque) replace
  get_metric_statistics, get_metric_data and list_metrics(args).
  find_metrics, metric_datapoints and metric_buckets take the same
  arguments as in 2.1 and answer the same JSON, read by the client as
  records (MetricInfo, Datapoint, Buckets). Every other method is as in
  2.2, asked for at 3.0.
* 3.1 - list_alarm_rows, alarm_history_rows: alarms and history items as
  compact rows (:mod:`heat_watch.watch.rows`) for the REST API's large
  listings, of one project or (admin contexts) of every project.
* 3.2 - put_metric_batch takes ``packed``: the same items as one JSON text
  (msgspec-encoded), which oslo.messaging's JSON serializer copies as a
  string instead of walking nine fields per point (47% of the API's CPU at
  batch 1000, and the engine's decode, were that walk).

Versions are per method, as Heat does it: each client method asks (with
``prepare(version=...)``) for the lowest version that has the method in the
form it sends, so a newer client keeps working with an older engine for
every method the older one has; an engine at 3.x serves every 3.y <= x
(a new major version, as 2.0 and 3.0, is a break: APIs and engines upgrade
together).
Records cross the wire as plain JSON (their ``to_wire``/``from_wire``);
this module, :mod:`heat_watch.watch.model` and :mod:`heat_watch.watch.rows`
are the whole contract.
"""

import functools

import msgspec
import oslo_messaging as messaging
from oslo_config import cfg

from heat_watch.common import coalescing, exceptions, rpc
from heat_watch.common import context as hw_context
from heat_watch.watch import model, points, rows

TOPIC = 'heat-watch-engine'
RPC_API_VERSION = '3.2'

GROUP = 'watch_engine'
OPTS = [
    cfg.StrOpt('topic', default=TOPIC,
               help='RPC topic the watch engines listen on.'),
    cfg.IntOpt('rpc_timeout', default=60, min=1,
               help='Seconds an API waits for the watch engine to answer.'),
    cfg.StrOpt('region_name', default='RegionOne',
               help='Region of the watch engine, written into alarm ARNs.'),
    cfg.BoolOpt('coalesce_puts', default=True,
                help='Over a message broker, send the PutMetricData requests an '
                     'API process serves concurrently in one RPC (each request is '
                     'still answered only once its own datapoints are committed). '
                     'Without effect on the in-process transport.'),
    cfg.IntOpt('coalesce_max_in_flight', default=1, min=1,
               help='Coalesced put RPCs one API process keeps under way at once; '
                    'requests arriving meanwhile ride the next one. One gives the '
                    'fewest RPCs per request; raise it with several engines.'),
    cfg.IntOpt('coalesce_max_datapoints', default=20000, min=1,
               help='Most datapoints one coalesced put RPC carries (a single '
                    'larger request still goes alone).'),
    cfg.FloatOpt('coalesce_linger', default=0.002, min=0.0, max=0.1,
                 help='Seconds (at most) a coalesced put RPC waits to be sent '
                      'while fewer requests are queued than were lately under way '
                      'at once, so that a client answered a moment ago rides it '
                      'too. A lone client never waits; 0 sends at once.'),
]


class WatchEngineClient:
    """Calls the watch engine over RPC.

    Times in arguments and results are epoch milliseconds. put_metric_data
    takes points grouped by metric, as :mod:`heat_watch.watch.points` says.
    """

    def __init__(self, conf: cfg.ConfigOpts = cfg.CONF):
        target = messaging.Target(topic=conf.watch_engine.topic, version=RPC_API_VERSION)
        self._client = rpc.get_client(target, conf, timeout=conf.watch_engine.rpc_timeout)
        self._prepared: dict = {}
        self.region_name = conf.watch_engine.region_name
        self._puts: coalescing.Coalescer | None = None
        in_process = (rpc._url(conf) or '').startswith(rpc._IN_PROCESS_SCHEMES)
        if conf.watch_engine.coalesce_puts and not in_process:
            self._puts = coalescing.Coalescer(
                functools.partial(_put_batch, self),
                max_in_flight=conf.watch_engine.coalesce_max_in_flight,
                max_size=conf.watch_engine.coalesce_max_datapoints,
                size=lambda item: points.count(item[2]), timed_out=_put_timed_out,
                linger=conf.watch_engine.coalesce_linger)
        self._put_timeout = conf.watch_engine.rpc_timeout

    def _call(self, ctxt: hw_context.RequestContext, method: str, version: str,
              **kwargs):
        """Call ``method`` asking for the lowest API version that has it."""
        return self._for(version).call(ctxt, method, **kwargs)

    def _for(self, version: str):
        # One prepared client per version: preparing one per call costs the
        # hot path (put_metric_data) an object and a copy of the target.
        prepared = self._prepared.get(version)
        if prepared is None:
            prepared = self._prepared[version] = self._client.prepare(version=version)
        return prepared

    def put_metric_data(self, ctxt, namespace: str, metrics: list[list]) -> int:
        """Store points of the caller's project; returns, once committed, how
        many were stored. Over a broker, concurrent calls share one
        put_metric_batch."""
        if self._puts is None:
            return self._call(ctxt, 'put_metric_data', '3.0', namespace=namespace,
                              metrics=metrics)
        self._puts.submit([rpc.project_of(ctxt), namespace, metrics], self._put_timeout)
        return points.count(metrics)

    def put_metric_batch(self, ctxt, items: list[list],
                         timeout: float | None = None) -> list[Exception | None]:
        """Store [project_id, namespace, metrics] items in one call (within
        ``timeout`` seconds when given); per item, None once committed or
        the error that item alone met."""
        outcomes: list[Exception | None] = [None] * len(items)
        client = self._for('3.2') if timeout is None else \
            self._client.prepare(version='3.2', timeout=timeout)
        packed = _ENCODER.encode(items).decode('utf-8')
        for index, name, message in client.call(ctxt, 'put_metric_batch', packed=packed):
            outcomes[index] = _rebuilt(name, message)
        return outcomes

    def metric_statistics(self, ctxt, metric: model.MetricSelector, start: int, end: int,
                          period: int, percentiles: list[float] | None = None
                          ) -> model.StatisticsResult:
        """The statistics of one metric of the caller's project per ``period``
        seconds (and unit) with data in [start, end), with the percentiles
        (0..100) asked for; the selector's unit, when set, filters."""
        return model.StatisticsResult.from_wire(self._call(
            ctxt, 'metric_statistics', '3.0', metric=metric.to_wire(), start=start, end=end,
            period=period, percentiles=list(percentiles or [])))

    def metric_data(self, ctxt, queries: list[model.MetricQuery], end: int,
                    ascending: bool = False, max_datapoints: int | None = None,
                    marker: str | None = None) -> model.MetricData:
        """The series of each query up to ``end``, newest first unless
        ``ascending``, at most ``max_datapoints`` values across them;
        ``marker`` is the previous answer's."""
        return model.MetricData.from_wire(self._call(
            ctxt, 'metric_data', '3.0', metric_queries=[q.to_wire() for q in queries], end=end,
            ascending=ascending, max_datapoints=max_datapoints, marker=marker))

    def list_metrics(self, ctxt, namespace: str | None = None, metric_name: str | None = None,
                     dimensions: list[list] | None = None, recently_active: bool = False,
                     marker: str | None = None) -> model.MetricListing:
        """A page of the caller's metrics in creation order; a dimension
        filter [name, None] matches any value of that name."""
        return model.MetricListing.from_wire(self._call(
            ctxt, 'list_metrics', '3.0', namespace=namespace, metric_name=metric_name,
            dimensions=dimensions or [], recently_active=recently_active, marker=marker))

    def put_alarm(self, ctxt, definition: model.AlarmDefinition) -> tuple[model.Alarm, bool]:
        """Create or replace an alarm by name (replacing keeps its state);
        evaluated at once. Returns (alarm, created)."""
        answer = self._call(ctxt, 'put_alarm', '3.0', definition=definition.to_wire())
        return model.Alarm.from_wire(answer['alarm']), answer['created']

    def delete_alarms(self, ctxt, names: list[str]) -> None:
        """Delete alarms by name: every name must exist, else none is deleted."""
        return self._call(ctxt, 'delete_alarms', '3.0', names=names)

    def set_alarm_state(self, ctxt, name: str, state: str, reason: str,
                        reason_data: dict | None = None) -> model.AlarmState:
        """A real transition of the named alarm (history, actions)."""
        return model.AlarmState.from_wire(self._call(
            ctxt, 'set_alarm_state', '3.0', name=name, state=state, reason=reason,
            reason_data=reason_data))

    def set_alarm_actions(self, ctxt, names: list[str], enabled: bool) -> None:
        """Enable or disable the actions of named alarms (unknown names ignored)."""
        return self._call(ctxt, 'set_alarm_actions', '3.0', names=names, enabled=enabled)

    def record_action_result(self, ctxt, alarm_id: str, result: dict) -> None:
        """Cast by the notifier after each delivery attempt of an alarm
        action: ``result`` holds action_id, url (secrets redacted), attempt,
        outcome ('delivered' | 'retrying' | 'failed'), status and error."""
        self._for('3.0').cast(ctxt, 'record_action_result', alarm_id=alarm_id, result=result)

    # -- alarms by id -------------------------------------------------------------------

    def create_alarm(self, ctxt, definition: model.AlarmDefinition) -> model.Alarm:
        """Create an alarm (a taken name is a Conflict); evaluated at once."""
        return model.Alarm.from_wire(self._call(ctxt, 'create_alarm', '3.0',
                                                definition=definition.to_wire()))

    def get_alarm(self, ctxt, alarm_id: str) -> model.Alarm:
        """One alarm of the caller's project (AlarmNotFound otherwise)."""
        return model.Alarm.from_wire(self._call(ctxt, 'get_alarm', '3.0', alarm_id=alarm_id))

    def list_alarms(self, ctxt, filters: model.AlarmFilter | None = None,
                    marker: str | None = None, limit: int = 100, sort_key: str = 'name',
                    sort_dir: str = 'asc') -> model.Page:
        """A page of alarms; ``marker`` is the last alarm id of the previous page."""
        return model.Page.from_wire(self._call(
            ctxt, 'list_alarms', '3.0', filters=(filters or model.AlarmFilter()).to_wire(),
            marker=marker, limit=limit, sort_key=sort_key, sort_dir=sort_dir), model.Alarm)

    def update_alarm(self, ctxt, alarm_id: str,
                     definition: model.AlarmDefinition) -> model.Alarm:
        """Replace an alarm's whole definition (its state stays)."""
        return model.Alarm.from_wire(self._call(ctxt, 'update_alarm', '3.0', alarm_id=alarm_id,
                                                definition=definition.to_wire()))

    def delete_alarm(self, ctxt, alarm_id: str) -> None:
        """Delete one alarm."""
        self._call(ctxt, 'delete_alarm', '3.0', alarm_id=alarm_id)

    def set_alarm_state_by_id(self, ctxt, alarm_id: str, state: str, reason: str,
                              reason_data: dict | None = None) -> model.AlarmState:
        """A real transition (history, actions); returns the new state."""
        return model.AlarmState.from_wire(self._call(
            ctxt, 'set_alarm_state_by_id', '3.0', alarm_id=alarm_id, state=state,
            reason=reason, reason_data=reason_data))

    def get_alarm_history(self, ctxt, alarm_id: str | None = None,
                          types: list[str] | None = None, start: int | None = None,
                          end: int | None = None, marker: str | None = None,
                          limit: int = 100, ascending: bool = False,
                          alarm_name: str | None = None,
                          alarm_types: list[str] | None = None) -> model.Page:
        """A page of history items of the project, or of one alarm by id or
        name (types among model.HISTORY_TYPES; times epoch ms, inclusive)."""
        return model.Page.from_wire(self._call(
            ctxt, 'get_alarm_history', '3.0', alarm_id=alarm_id, types=types, start=start,
            end=end, marker=marker, limit=limit, ascending=ascending, alarm_name=alarm_name,
            alarm_types=alarm_types), model.HistoryItem)

    # -- 3.1: large alarm listings as rows (the REST API) --------------------------------

    def list_alarm_rows(self, ctxt, project_id: str | None,
                        filters: model.AlarmFilter | None = None, marker: str | None = None,
                        limit: int = 1000, sort_key: str = 'name',
                        sort_dir: str = 'asc') -> rows.RowPage:
        """A page of alarms as rows.ALARM_COLUMNS rows, as list_alarms sorts
        and filters them (column filters only); ``project_id`` None: every
        project (admin contexts only, as another project)."""
        return rows.RowPage.from_wire(self._call(
            ctxt, 'list_alarm_rows', '3.1', project_id=project_id,
            filters=(filters or model.AlarmFilter()).to_wire(), marker=marker, limit=limit,
            sort_key=sort_key, sort_dir=sort_dir))

    def alarm_history_rows(self, ctxt, project_id: str | None, alarm_id: str | None = None,
                           types: list[str] | None = None, start: int | None = None,
                           end: int | None = None, marker: str | None = None,
                           limit: int = 1000, ascending: bool = False) -> rows.RowPage:
        """A page of history items as rows.HISTORY_COLUMNS rows (details as
        stored JSON texts), as get_alarm_history selects them; ``project_id``
        None: every project (admin contexts only, as another project)."""
        return rows.RowPage.from_wire(self._call(
            ctxt, 'alarm_history_rows', '3.1', project_id=project_id, alarm_id=alarm_id,
            types=types, start=start, end=end, marker=marker, limit=limit,
            ascending=ascending))

    # -- 2.1: reads across metrics (the REST API) --------------------------------------

    def find_metrics(self, ctxt, project_id: str | None, namespace: str | None,
                     name: str | None, dimensions: list[list[str]], limit: int,
                     ids: list[int] | None = None) -> list[model.MetricInfo]:
        """Metrics matching every filter (and among ``ids`` when given), each
        with its latest unit, in creation order. ``project_id`` None reads
        every project (admin contexts only)."""
        info = model.MetricInfo.from_wire
        return [info(m) for m in self._call(
            ctxt, 'find_metrics', '3.0', project_id=project_id, namespace=namespace, name=name,
            dimensions=dimensions, limit=limit, ids=ids)]

    def metric_datapoints(self, ctxt, project_id: str | None, metric_ids: list[int],
                          start: int | None, end: int | None, limit: int,
                          descending: bool = True) -> list[model.Datapoint]:
        """Datapoints of metrics found by find_metrics, newest first unless
        ``descending`` is false."""
        point = model.Datapoint._make
        return [point(row) for row in self._call(
            ctxt, 'metric_datapoints', '3.0', project_id=project_id, metric_ids=metric_ids,
            start=start, end=end, limit=limit, descending=descending)]

    def metric_buckets(self, ctxt, project_id: str | None, metric_ids: list[int],
                       start: int | None, end: int | None,
                       period: int | None) -> model.Buckets:
        """Aggregates per metric and period (ms); None bounds: those of the
        data; no period: the whole range is one."""
        return model.Buckets.from_wire(self._call(
            ctxt, 'metric_buckets', '3.0', project_id=project_id, metric_ids=metric_ids,
            start=start, end=end, period=period))


_ENCODER = msgspec.json.Encoder()


def _put_batch(client: WatchEngineClient, items: list[list],
               timeout: float | None) -> list[Exception | None]:
    """A coalesced send: the items carry their projects, the call acts for none."""
    return client.put_metric_batch(hw_context.RequestContext(), items, timeout)


def _put_timed_out() -> Exception:
    """A put that waited its whole timeout in the queue, never sent: the
    same error as a call the engine did not answer (503 at the API)."""
    return messaging.MessagingTimeout('No answer to put_metric_data within its timeout')


def _rebuilt(name: str, message: str) -> Exception:
    """The project's exception of class ``name`` (ServiceUnavailable for
    anything else), as oslo.messaging rebuilds a call's error."""
    error_class = getattr(exceptions, name, None)
    if isinstance(error_class, type) and issubclass(error_class, exceptions.HeatWatchError):
        return error_class(message)
    return exceptions.ServiceUnavailable(message)
