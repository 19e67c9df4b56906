"""heat-watch-orchestrator: the orchestration engine daemon."""

import sys

from heat_watch.cmd import startup
from heat_watch.common import config, rpc, service
from heat_watch.orchestration import service as orchestration_service

DESCRIPTION = (
    'The orchestration engine of heat_watch: owns the orchestration database, creates, '
    'updates and deletes stacks (CloudFormation and HOT templates) and their resources, '
    'runs autoscaling groups and policies, and serves its RPC API. Several may run. Main '
    'options: --config-file FILE; in the file, [orchestration_database] connection, '
    'transport_url, [orchestration] compute_driver and api_endpoint.')


def _main(argv: list[str]) -> int:
    conf = config.prepare_service(argv, description=DESCRIPTION)
    launcher = service.Launcher()
    launcher.add(orchestration_service.OrchestratorService(conf))
    try:
        return launcher.run()
    finally:
        rpc.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Run the orchestrator until SIGTERM or SIGINT."""
    return startup.run('heat-watch-orchestrator',
                       lambda: _main(sys.argv[1:] if argv is None else argv))
