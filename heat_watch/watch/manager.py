"""Server side of the watch engine's RPC API (see rpcapi for the contract)."""

import msgspec
import oslo_messaging as messaging
from oslo_log import log

from heat_watch.common import exceptions, rpc
from heat_watch.watch import ingest, meter_reads, model, points, queries, rpcapi
from heat_watch.watch.storage import metrics as metric_storage

LOG = log.getLogger(__name__)


@rpc.answers_project_errors
class WatchEngineManager:
    """RPC endpoint of the watch engine: metrics."""

    target = messaging.Target(version=rpcapi.RPC_API_VERSION)

    def __init__(self, store: metric_storage.MetricStore, writer: ingest.IngestWriter):
        self.store = store
        self.writer = writer

    def put_metric_data(self, ctxt, namespace: str, datums: list[dict] | None = None,
                        metrics: list[list] | None = None) -> int:
        """Store points (1.2: ``metrics``; 1.0: per-datum ``datums``); answer
        only after their transaction committed."""
        if metrics is None:
            metrics = points.group(datums or [])
        self.writer.submit(rpc.project_of(ctxt), namespace, metrics)
        return points.count(metrics)

    def put_metric_batch(self, ctxt, items: list[list] | None = None,
                         packed: str | None = None) -> list[list]:
        """Store the points of several requests, coalesced by an API (2.2):
        ``items`` holds [project_id, namespace, metrics] each (3.2: or
        ``packed``, the same list as one JSON text). Answers once
        every item is committed or failed, with the failures only:
        [[index, exception class name, message], ...]; one item's error
        never fails another's."""
        if packed is not None:
            items = _unpacked(packed)
        _check(isinstance(items, list), 'items', 'a list of items')
        failures: list[list] = []
        good, positions = [], []
        for index, item in enumerate(items):
            try:
                good.append(_batch_item(item))
            except exceptions.HeatWatchError as error:
                failures.append(_failure(index, error))
            else:
                positions.append(index)
        errors = self.writer.submit_many(good)
        outage = next((e for e in errors if isinstance(e, exceptions.DatabaseUnavailable)),
                      None)
        if outage is not None and all(errors):
            # Nothing stored: the call fails as a whole, so that the outage
            # is not taken for the database's return (logged once per outage).
            raise outage
        for index, error in zip(positions, errors, strict=True):
            if error is not None:
                failures.append(_failure(index, error))
        return failures

    def metric_statistics(self, ctxt, metric: dict, start: int, end: int, period: int,
                          percentiles: list[float] | None = None) -> dict:
        """The statistics of one metric (MetricSelector wire form) per period:
        a StatisticsResult (3.0)."""
        selector = _record(model.MetricSelector, metric, 'metric')
        _check(all(isinstance(n, int) for n in (start, end, period)) and period > 0,
               'start, end, period', 'integers, the period positive')
        percentiles = percentiles or []
        _check(isinstance(percentiles, list) and all(
            isinstance(p, int | float) and 0 <= p <= 100 for p in percentiles),
            'percentiles', 'numbers between 0 and 100')
        return queries.metric_statistics(self.store, rpc.project_of(ctxt), selector, start,
                                         end, period, percentiles).to_wire()

    def metric_data(self, ctxt, metric_queries: list[dict], end: int, ascending: bool = False,
                    max_datapoints: int | None = None, marker: str | None = None) -> dict:
        """The series of several MetricQuery (wire forms), paged: a MetricData (3.0)."""
        _check(isinstance(metric_queries, list), 'metric_queries', 'a list of metric queries')
        wanted = [_query(q) for q in metric_queries]
        _check(isinstance(end, int) and (max_datapoints is None or isinstance(
            max_datapoints, int) and max_datapoints > 0), 'end, max_datapoints',
            'integers, max_datapoints positive')
        return queries.metric_data(self.store, rpc.project_of(ctxt), wanted, end,
                                   ascending, max_datapoints, marker).to_wire()

    def list_metrics(self, ctxt, namespace: str | None = None, metric_name: str | None = None,
                     dimensions: list[list] | None = None, recently_active: bool = False,
                     marker: str | None = None) -> dict:
        """A MetricListing of the caller's project (3.0); a dimension filter
        [name, None] matches any value of that name."""
        dimensions = dimensions or []
        _check(isinstance(dimensions, list) and all(
            isinstance(d, list) and len(d) == 2 and isinstance(d[0], str) for d in dimensions),
            'dimensions', '[name, value or null] pairs')
        return queries.list_metrics(self.store, rpc.project_of(ctxt), namespace, metric_name,
                                    dimensions, bool(recently_active), marker,
                                    metric_storage.now_ms()).to_wire()

    def find_metrics(self, ctxt, project_id: str | None, namespace: str | None,
                     name: str | None, dimensions: list[list[str]], limit: int,
                     ids: list[int] | None = None) -> list[dict]:
        """MetricInfos matching filters (2.1; records since 3.0); project_id
        None: every project (admin)."""
        meter_reads.check_scope(ctxt, project_id)
        return [m.to_wire() for m in meter_reads.find_metrics(
            self.store, project_id, namespace, name, dimensions, limit, ids)]

    def metric_datapoints(self, ctxt, project_id: str | None, metric_ids: list[int],
                          start: int | None, end: int | None, limit: int,
                          descending: bool = True) -> list[list]:
        """Datapoints of several metrics (2.1), arrays in their fields' order."""
        meter_reads.check_scope(ctxt, project_id)
        return meter_reads.datapoints(self.store, project_id, metric_ids, start, end, limit,
                                      descending)

    def metric_buckets(self, ctxt, project_id: str | None, metric_ids: list[int],
                       start: int | None, end: int | None, period: int | None) -> dict:
        """Per-metric, per-period aggregates of several metrics (2.1): Buckets."""
        meter_reads.check_scope(ctxt, project_id)
        return meter_reads.buckets(self.store, project_id, metric_ids, start, end,
                                   period).to_wire()


def _query(data) -> model.MetricQuery:
    """A MetricQuery from the wire whose numbers are right, else Invalid."""
    query = _record(model.MetricQuery, data, 'metric_queries')
    _check(isinstance(query.id, str) and isinstance(query.start, int)
           and isinstance(query.period, int) and query.period > 0,
           'metric_queries', 'queries with a string id, an integer start and period')
    _check(query.percentile is None or isinstance(query.percentile, int | float)
           and 0 <= query.percentile <= 100, 'percentile', 'a number between 0 and 100')
    return query


def _record(record_type: type, data, name: str):
    """A record from its wire form, else InvalidParameterValue (never a 500)."""
    try:
        return record_type.from_wire(data)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise exceptions.InvalidParameterValue(
            name=name, reason='malformed %s (%s).' % (record_type.__name__, exc)) from None


def _check(good: bool, name: str, reason: str) -> None:
    if not good:
        raise exceptions.InvalidParameterValue(name=name, reason='must be ' + reason + '.')


def _unpacked(packed: str) -> list:
    """The items of a 3.2 put_metric_batch's ``packed`` text, else Invalid."""
    try:
        items = msgspec.json.decode(packed)
    except (msgspec.DecodeError, TypeError) as error:
        raise exceptions.InvalidParameterValue(name='packed', reason=str(error))
    if not isinstance(items, list):
        raise exceptions.InvalidParameterValue(name='packed', reason='not a list of items')
    return items


def _batch_item(item) -> tuple[str, str, list[list]]:
    """(project_id, namespace, metrics) of a put_metric_batch item whose
    shape is right (the values are the API's to check), else Invalid."""
    if not (isinstance(item, list | tuple) and len(item) == 3):
        raise exceptions.InvalidParameterValue(name='items', reason='not [project, namespace, '
                                               'metrics]')
    project_id, namespace, metrics = item
    if not (isinstance(project_id, str) and project_id):
        raise exceptions.AuthenticationFailed(reason='the request carries no project')
    if not (isinstance(namespace, str) and isinstance(metrics, list) and all(
            isinstance(metric, list) and len(metric) == 3 and isinstance(metric[0], str)
            and isinstance(metric[1], list) and isinstance(metric[2], list)
            and all(isinstance(point, list | tuple) and len(point) == 9
                    for point in metric[2]) for metric in metrics)):
        raise exceptions.InvalidParameterValue(name='metrics',
                                               reason='not points grouped by metric')
    return project_id, namespace, metrics


def _failure(index: int, error: Exception) -> list:
    """How one item's error crosses the wire (rebuilt by the client)."""
    if not isinstance(error, exceptions.HeatWatchError):
        error = exceptions.ServiceUnavailable(reason='the watch database failed to store them')
    return [index, type(error).__name__, str(error)]
