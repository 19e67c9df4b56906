"""heat-watch-api-cloudwatch: the CloudWatch-compatible API."""

import sys

from oslo_config import cfg

from heat_watch.cloudwatch import app as cloudwatch_app
from heat_watch.cmd import startup
from heat_watch.common import config, rpc, service, wsgi

DESCRIPTION = (
    'The heat_watch CloudWatch API (2010-08-01): the Query protocol (boto 2, '
    "heat-cfntools' cfn-push-stats) and the JSON protocol (boto3, awscli), signature v2 "
    'and v4, served on http://BIND_HOST:BIND_PORT/v1. Main options, in the configuration '
    'file: [DEFAULT] transport_url (RabbitMQ); [cloudwatch_api] bind_host, bind_port '
    '(8003), threads, auth_backend (local or keystone); [credentials] '
    'encryption_key_file (local); [ec2authtoken] auth_uri (keystone).')
GROUP = 'cloudwatch_api'


def build_service(conf: cfg.ConfigOpts, engine_client=None) -> wsgi.WSGIService:
    """The CloudWatch API's HTTP service, configured from ``conf``."""
    application = cloudwatch_app.build_app(conf, engine_client=engine_client)
    group = conf[GROUP]
    return wsgi.WSGIService('heat-watch-api-cloudwatch', application, group.bind_host,
                            group.bind_port, threads=group.threads,
                            idle_timeout=group.idle_timeout,
                            header_timeout=group.header_timeout)


def run_launcher(conf: cfg.ConfigOpts, launcher: service.Launcher) -> int:
    """Run ``launcher``; a port that cannot be bound is a StartupError."""
    try:
        return launcher.run()
    except OSError as error:
        host, port, group = conf[GROUP].bind_host, conf[GROUP].bind_port, GROUP
        if getattr(error, 'listen_address', (None, None, None))[2] == 'heat-watch-api':
            host, port, group = conf.api.bind_host, conf.api.bind_port, 'api'
        raise startup.listen_error(error, host, port, group) from error


def _main(argv: list[str]) -> int:
    conf = config.prepare_service(argv, description=DESCRIPTION)
    launcher = service.Launcher()
    launcher.add(build_service(conf))
    try:
        return run_launcher(conf, launcher)
    finally:
        rpc.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Serve the CloudWatch API until SIGTERM or SIGINT."""
    return startup.run('heat-watch-api-cloudwatch',
                       lambda: _main(sys.argv[1:] if argv is None else argv))
