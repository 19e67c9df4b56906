"""Server side of the watch engine's RPC API (see rpcapi for the contract)."""

import oslo_messaging as messaging
from oslo_log import log

from heat_watch.common import rpc
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
