"""heat-watch-api: the REST API (Ceilometer v2 dialect of the watch engine)."""

import sys

from oslo_config import cfg

from heat_watch.api import app as api_app
from heat_watch.cmd import startup
from heat_watch.common import config, rpc, service, wsgi


def build_service(conf: cfg.ConfigOpts, engine_client=None) -> wsgi.WSGIService:
    """The REST API's HTTP service, configured from ``conf``."""
    application = api_app.setup_app(conf, engine_client=engine_client)
    group = conf.api
    return wsgi.WSGIService('heat-watch-api', application, group.bind_host, group.bind_port,
                            threads=group.threads)


DESCRIPTION = (
    'The REST API of heat_watch: the watch engine in the Ceilometer v2 dialect (meters, '
    'samples, statistics, resources), the orchestrator in Heat\'s v1 dialect (stacks, '
    'resources, events) and pre-signed scaling webhooks. Main options: '
    '--config-file FILE; in the file, [api] bind_host and bind_port (8004) and '
    'auth_strategy (keystone, configured in [keystone_authtoken], or noauth).')


def _main(argv: list[str]) -> int:
    conf = config.prepare_service(argv, description=DESCRIPTION)
    launcher = service.Launcher()
    launcher.add(build_service(conf))
    try:
        return launcher.run()
    except OSError as error:
        raise startup.listen_error(error, conf.api.bind_host, conf.api.bind_port,
                                   api_app.GROUP) from error
    finally:
        rpc.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Serve the REST API until SIGTERM or SIGINT."""
    return startup.run('heat-watch-api', lambda: _main(sys.argv[1:] if argv is None else argv))
