"""heat-watch-notifier: the daemon that executes alarm actions."""

import sys

from oslo_config import cfg

from heat_watch.cmd import startup
from heat_watch.common import config, rpc, service
from heat_watch.notifier import service as notifier_service

DESCRIPTION = (
    'The heat_watch notifier: executes alarm actions (log://, http://, https:// POSTs, '
    'the scaling-policy webhooks among them) with retries; a message is acknowledged '
    'only after delivery. Main options, in the configuration file: [DEFAULT] '
    'transport_url (RabbitMQ); [notifier] delivery_threads and the delivery options.')


def _bound_prefetch(conf: cfg.ConfigOpts) -> None:
    # oslo.messaging's default prefetch (0) is unlimited: one notifier would
    # take the whole backlog, unacknowledged, into an in-memory queue and
    # leave nothing to the other notifiers. A value in the file still wins.
    conf.set_default('rabbit_qos_prefetch_count', conf.notifier.delivery_threads,
                     group='oslo_messaging_rabbit')


def _main(argv: list[str]) -> int:
    conf = config.prepare_service(argv, description=DESCRIPTION)
    _bound_prefetch(conf)
    launcher = service.Launcher()
    launcher.add(notifier_service.NotifierService(conf))
    try:
        return launcher.run()
    finally:
        rpc.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Run the notifier until SIGTERM or SIGINT."""
    return startup.run('heat-watch-notifier',
                       lambda: _main(sys.argv[1:] if argv is None else argv))
