"""Server side of the watch engine's RPC API (see rpcapi for the contract)."""

import msgspec
import oslo_messaging as messaging
from oslo_log import log

from heat_watch.common import exceptions, rpc
from heat_watch.watch import ingest, meter_reads, points, queries, rpcapi
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
        ``items`` holds [project_id, namespace, metrics] each (2.3: or
        ``packed``, the same list as one JSON text). Answers once
        every item is committed or failed, with the failures only:
        [[index, exception class name, message], ...]; one item's error
        never fails another's."""
        if packed is not None:
            items = _unpacked(packed)
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

    def get_metric_statistics(self, ctxt, args: dict) -> dict:
        """GetMetricStatistics."""
        return queries.metric_statistics(self.store, rpc.project_of(ctxt), args)

    def get_metric_data(self, ctxt, args: dict) -> dict:
        """GetMetricData."""
        return queries.metric_data(self.store, rpc.project_of(ctxt), args)

    def list_metrics(self, ctxt, args: dict) -> dict:
        """ListMetrics."""
        return queries.list_metrics(self.store, rpc.project_of(ctxt), args, metric_storage.now_ms())

    def find_metrics(self, ctxt, project_id: str | None, namespace: str | None,
                     name: str | None, dimensions: list[list[str]], limit: int,
                     ids: list[int] | None = None) -> list[dict]:
        """Metrics matching filters (2.1); project_id None: every project (admin)."""
        meter_reads.check_scope(ctxt, project_id)
        return meter_reads.find_metrics(self.store, project_id, namespace, name,
                                        dimensions, limit, ids)

    def metric_datapoints(self, ctxt, project_id: str | None, metric_ids: list[int],
                          start: int | None, end: int | None, limit: int,
                          descending: bool = True) -> list[list]:
        """Datapoint rows of several metrics (2.1)."""
        meter_reads.check_scope(ctxt, project_id)
        return meter_reads.datapoints(self.store, project_id, metric_ids, start, end, limit,
                                      descending)

    def metric_buckets(self, ctxt, project_id: str | None, metric_ids: list[int],
                       start: int | None, end: int | None, period: int | None) -> dict:
        """Per-metric, per-period aggregates of several metrics (2.1)."""
        meter_reads.check_scope(ctxt, project_id)
        return meter_reads.buckets(self.store, project_id, metric_ids, start, end, period)


def _unpacked(packed: str) -> list:
    """The items of a 2.3 put_metric_batch's ``packed`` text, else Invalid."""
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
