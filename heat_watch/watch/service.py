"""The watch engine service: RPC server, ingestion writer, alarm evaluation,
periodic expiry."""

from oslo_config import cfg
from oslo_log import log

from heat_watch.common import coordination, crypto, rpc, service
from heat_watch.identity import manager as identity_manager
from heat_watch.identity import storage as credential_storage
from heat_watch.notifier import client as notifier_client
from heat_watch.watch import alarm_manager, alarm_records, evaluator, ingest, manager
from heat_watch.watch.storage import alarms as alarm_storage
from heat_watch.watch.storage import connection
from heat_watch.watch.storage import metrics as metric_storage

LOG = log.getLogger(__name__)

GROUP = 'watch_engine'
OPTS = [
    cfg.IntOpt('datapoint_ttl', default=15 * 86400, min=3600,
               help='Seconds datapoints are kept; older ones are expired. '
                    'A metric is dropped when nothing was put to it for '
                    'this long.'),
    cfg.IntOpt('alarm_history_ttl', default=14 * 86400, min=3600,
               help='Seconds alarm history items are kept (AWS keeps two weeks).'),
    cfg.IntOpt('expiry_interval', default=3600, min=0,
               help='Seconds between the engine\'s expiry runs (0 disables '
                    'them; heat-watch-manage expire does the same).'),
]


def expire(conf: cfg.ConfigOpts, engine) -> dict:
    """Delete datapoints, metrics and alarm history older than their TTLs."""
    now = metric_storage.now_ms()
    cutoff = now - conf.watch_engine.datapoint_ttl * 1000
    points, metrics = metric_storage.MetricStore(engine).expire(cutoff, cutoff)
    history = alarm_storage.AlarmStore(engine).expire_history(
        now - conf.watch_engine.alarm_history_ttl * 1000)
    if points or metrics or history:
        LOG.info('Expired %d datapoints, %d metrics and %d alarm history items',
                 points, metrics, history)
    return {'datapoints_deleted': points, 'metrics_deleted': metrics,
            'history_deleted': history}


class WatchEngineService(service.Service):
    """heat-watch-engine: owns the watch database and serves its RPC API."""

    name = 'heat-watch-engine'

    def __init__(self, conf: cfg.ConfigOpts):
        self.conf = conf
        engine = connection.get_engine(conf)
        self.store = metric_storage.MetricStore(
            engine, buffer_rows=conf.watch_database.sqlite_ingest_buffer_rows,
            buffer_seconds=conf.watch_database.sqlite_ingest_buffer_seconds,
            checkpoint_seconds=conf.watch_database.sqlite_checkpoint_interval,
            checkpoint_wait_ms=conf.watch_database.sqlite_checkpoint_wait_ms)
        self.alarms = alarm_storage.AlarmStore(engine, host=conf.host)
        self.partitioner = coordination.Partitioner(
            conf.coordination.backend_url, 'heat-watch-engine-alarms', conf.host,
            conf.coordination.membership_refresh)
        self.evaluator = evaluator.AlarmEvaluator(
            conf, self.alarms, notifier_client.AlarmActionSender(conf),
            owns=self.partitioner.owns)
        # Actions a killed engine recorded and never sent: the owner of the
        # alarm sends them (an engine's own restart did, alone, before).
        self.evaluator.outbox.adopt_orphans(
            self.partitioner.members, self.partitioner.owns,
            grace=conf.coordination.membership_refresh + conf.watch_engine.outbox_poll_interval)
        self.writer = ingest.IngestWriter(
            self.store.write_metrics, on_committed=self.evaluator.metrics_written,
            max_batch_datapoints=conf.watch_engine.ingest_max_batch_datapoints,
            max_queued=conf.watch_engine.ingest_queue_requests,
            on_stop=self.store.finish_writes, maintain=self.store.maintain,
            maintenance_due=self.store.maintenance_due,
            idle_interval=conf.watch_database.sqlite_ingest_buffer_seconds)
        writes = alarm_records.AlarmWrites(self.alarms, self.evaluator)
        self.endpoints = [
            manager.WatchEngineManager(self.store, self.writer),
            alarm_manager.AlarmManager(writes), alarm_records.AlarmRecordManager(writes),
            identity_manager.IdentityManager(credential_storage.CredentialStore(
                engine, lambda: crypto.SecretBox(conf)))]
        tasks = [service.PeriodicTask('alarm-sweep', conf.watch_engine.evaluation_interval,
                                      self.evaluator.sweep, initial_delay=1)]
        if conf.watch_engine.expiry_interval:
            tasks.append(service.PeriodicTask(
                'expiry', conf.watch_engine.expiry_interval, lambda: expire(conf, engine)))
        self._serving = rpc.EngineServer(conf, conf.watch_engine.topic, self.endpoints, tasks)

    def start(self) -> None:
        self.partitioner.start()
        self.writer.start()
        self.evaluator.start()
        self._serving.start()
        LOG.info('Watch engine %s listening on topic %s', self.conf.host,
                 self.conf.watch_engine.topic)

    def stop(self) -> None:
        self._serving.stop()
        self.writer.stop()
        self.evaluator.stop()
        self.partitioner.stop()
