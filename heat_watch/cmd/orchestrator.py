"""heat-watch-orchestrator: the orchestration engine daemon."""

import sys

from heat_watch.common import config, rpc, service
from heat_watch.orchestration import service as orchestration_service


def main(argv: list[str] | None = None) -> int:
    orchestration_service.register_opts(config.CONF)
    rpc.set_defaults()
    conf = config.prepare_service(sys.argv[1:] if argv is None else argv)
    launcher = service.Launcher()
    launcher.add(orchestration_service.OrchestratorService(conf))
    try:
        return launcher.run()
    finally:
        rpc.cleanup()
