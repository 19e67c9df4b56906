"""heat-watch-api: the REST API (Ceilometer v2 dialect of the watch engine)."""

import sys

from oslo_config import cfg

from heat_watch.api import app as api_app
from heat_watch.common import config, rpc, service, wsgi


def build_service(conf: cfg.ConfigOpts, engine_client=None) -> wsgi.WSGIService:
    """The REST API's HTTP service, configured from ``conf``."""
    application = api_app.setup_app(conf, engine_client=engine_client)
    group = conf.api
    return wsgi.WSGIService('heat-watch-api', application, group.bind_host, group.bind_port,
                            threads=group.threads)


def main(argv: list[str] | None = None) -> int:
    api_app.register_opts(config.CONF)
    rpc.set_defaults()
    conf = config.prepare_service(sys.argv[1:] if argv is None else argv)
    launcher = service.Launcher()
    launcher.add(build_service(conf))
    try:
        return launcher.run()
    finally:
        rpc.cleanup()
