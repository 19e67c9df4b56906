"""heat-watch-api-cloudwatch: the CloudWatch-compatible API."""

import sys

from oslo_config import cfg

from heat_watch.cloudwatch import app as cloudwatch_app
from heat_watch.common import config, rpc, service, wsgi


def build_service(conf: cfg.ConfigOpts, engine_client=None) -> wsgi.WSGIService:
    """The CloudWatch API's HTTP service, configured from ``conf``."""
    application = cloudwatch_app.build_app(conf, engine_client=engine_client)
    group = conf.cloudwatch_api
    return wsgi.WSGIService('heat-watch-api-cloudwatch', application, group.bind_host,
                            group.bind_port, threads=group.threads,
                            idle_timeout=group.idle_timeout,
                            header_timeout=group.header_timeout)


def main(argv: list[str] | None = None) -> int:
    cloudwatch_app.register_opts(config.CONF)
    rpc.set_defaults()
    conf = config.prepare_service(sys.argv[1:] if argv is None else argv)
    launcher = service.Launcher()
    launcher.add(build_service(conf))
    try:
        return launcher.run()
    finally:
        rpc.cleanup()
