"""heat-watch-engine: the watch engine daemon."""

import sys

from heat_watch.cmd import startup
from heat_watch.common import config, rpc, service
from heat_watch.watch import service as watch_service

DESCRIPTION = (
    'The heat_watch watch engine: owns the watch database (metrics, datapoints, '
    'alarms, alarm history), ingests datapoints, answers statistics and evaluates '
    'alarms; several may run. Main options, in the configuration file: [DEFAULT] '
    'transport_url (RabbitMQ) and host (unique per engine); [watch_database] connection; '
    '[watch_engine] evaluation_interval, datapoint_ttl, alarm_history_ttl; '
    '[coordination] backend_url (when several engines run).')


def _main(argv: list[str]) -> int:
    conf = config.prepare_service(argv, description=DESCRIPTION)
    launcher = service.Launcher()
    launcher.add(watch_service.WatchEngineService(conf))
    try:
        return launcher.run()
    finally:
        rpc.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Run the watch engine until SIGTERM or SIGINT."""
    return startup.run('heat-watch-engine',
                       lambda: _main(sys.argv[1:] if argv is None else argv))
