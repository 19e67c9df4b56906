"""heat-watch-engine: the watch engine daemon."""

import sys

from heat_watch.common import config, rpc, service
from heat_watch.watch import service as watch_service


def main(argv: list[str] | None = None) -> int:
    watch_service.register_opts(config.CONF)
    rpc.set_defaults()
    conf = config.prepare_service(sys.argv[1:] if argv is None else argv)
    launcher = service.Launcher()
    launcher.add(watch_service.WatchEngineService(conf))
    try:
        return launcher.run()
    finally:
        rpc.cleanup()
