"""heat-watch-orchestrator as a service: the RPC server (threading
executor), the heartbeat, and the takeover of stacks left locked by
orchestrators that are gone (at start and then periodically)."""

from oslo_config import cfg
from oslo_log import log

from heat_watch.common import rpc, service
from heat_watch.orchestration import manager, operations, runtime

LOG = log.getLogger(__name__)


class OrchestratorService(service.Service):
    """heat-watch-orchestrator: owns the orchestration database."""

    name = 'heat-watch-orchestrator'

    def __init__(self, conf: cfg.ConfigOpts):
        self.conf = conf
        self.runtime = runtime.Runtime(conf)
        self.orchestrator = operations.Orchestrator(self.runtime)
        self.endpoints = [manager.OrchestratorManager(self.orchestrator)]
        options = conf.orchestration
        self._serving = rpc.EngineServer(conf, options.topic, self.endpoints, [
            service.PeriodicTask('orchestrator-heartbeat', options.heartbeat_interval,
                                 self.runtime.heartbeat),
            service.PeriodicTask('orchestrator-takeover', options.engine_stale_seconds,
                                 self._take_over),
        ])

    def _take_over(self) -> None:
        self.runtime.forget_gone_engines()
        taken = self.runtime.take_over_stale()
        if taken:
            LOG.warning('Took over %d stacks of orchestrators that are gone: %s',
                        len(taken), ', '.join(taken))

    def start(self) -> None:
        self.runtime.liveness.start()
        self.runtime.heartbeat()
        self.runtime.forget_previous_lives()
        self._take_over()
        self._serving.start()
        LOG.info('Orchestrator %s listening on topic %s', self.runtime.engine_id,
                 self.conf.orchestration.topic)

    def stop(self) -> None:
        self._serving.stop()
        self.runtime.stop()
