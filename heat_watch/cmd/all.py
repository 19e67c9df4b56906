"""heat-watch-all: every heat_watch service in one process.

The embedded default: SQLite files under state_path, the in-process
message transport, schemas migrated at start-up.
"""

import os
import shutil
import sys
import sysconfig

from oslo_config import cfg

from heat_watch import opts
from heat_watch.api import app as api_app
from heat_watch.cmd import api, api_cloudwatch, databases, startup
from heat_watch.common import config, crypto, rpc, service
from heat_watch.notifier import netpolicy
from heat_watch.notifier import service as notifier_service
from heat_watch.orchestration import service as orchestration_service
from heat_watch.watch import service as watch_service

DESCRIPTION = (
    'Every heat_watch service in one process: the CloudWatch API, the REST API, the '
    'watch engine, the orchestrator and the notifier, on SQLite files under --state_path '
    '(created with their schemas and the credential key on first start) and the '
    'in-process message transport. It prints its endpoints and the heat-watch-manage '
    'command that creates credentials. Main options: --state_path DIR (default '
    '~/.local/share/heat_watch, /var/lib/heat_watch for root), --config-file FILE; in the '
    'file, [cloudwatch_api] bind_host and bind_port (8003), [api] bind_port (8004).')


def build_services(conf: cfg.ConfigOpts) -> list[service.Service]:
    """Migrate the databases and build every service, engines first."""
    databases.db_sync(conf)
    crypto.ensure_key_file(conf)
    return [watch_service.WatchEngineService(conf),
            orchestration_service.OrchestratorService(conf),
            notifier_service.NotifierService(conf), api.build_service(conf),
            api_cloudwatch.build_service(conf)]


def manage_command() -> str:
    """Full path of the heat-watch-manage installed beside this interpreter's
    scripts (the bare name when it is not there: then it is on PATH or nowhere)."""
    beside = os.path.join(sysconfig.get_path('scripts'), 'heat-watch-manage')
    if os.access(beside, os.X_OK):
        return beside
    return shutil.which('heat-watch-manage') or 'heat-watch-manage'


def link_services(conf: cfg.ConfigOpts, services: list[service.Service]) -> str:
    """Once the services listen: the REST API this process serves is where
    its orchestrator's pre-signed webhooks point (unless [orchestration]
    api_endpoint says otherwise), and where its notifier may deliver them
    (the network policy denies loopback otherwise). Returns that URL."""
    rest = next(s for s in services if s.name == 'heat-watch-api')
    host = '127.0.0.1' if rest.host in ('0.0.0.0', '::', '') else rest.host
    url = 'http://%s:%d' % (host, rest.port)
    if not conf.orchestration.api_endpoint:
        conf.set_override('api_endpoint', url, group='orchestration')
    netpolicy.allow_service_endpoint(conf, conf.orchestration.api_endpoint)
    # Instances' agents push to the CloudWatch API this process serves.
    cloudwatch = services[-1]
    cloudwatch_host = '127.0.0.1' if cloudwatch.host in ('0.0.0.0', '::', '') \
        else cloudwatch.host
    if not conf.orchestration.cloudwatch_endpoint:
        conf.set_override('cloudwatch_endpoint', 'http://%s:%d/v1' % (
            cloudwatch_host, cloudwatch.port), group='orchestration')
    return url


def _banner(conf: cfg.ConfigOpts, services: list[service.Service]) -> str:
    api = services[-1]
    rest = services[-2]
    config_args = ''.join(' --config-file %s' % os.path.abspath(f) for f in conf.config_file)
    if not config_args:
        config_args = ' --state_path %s' % os.path.abspath(conf.state_path)
    return '\n'.join([
        'heat-watch-all is running (state under %s).' % conf.state_path,
        '  CloudWatch API (Query and JSON protocols): http://%s:%d/v1'
        % (api.host, api.port),
        '  REST API (Ceilometer v2 dialect, auth_strategy %s): http://%s:%d/'
        % (conf.api.auth_strategy, rest.host, rest.port),
        '  Heat v1 orchestration API (python-heatclient, openstack stack): '
        'http://%s:%d/v1/{project}' % (rest.host, rest.port),
        'Create credentials for a project:',
        '  %s%s credentials create --project-id demo' % (manage_command(), config_args),
        'then, for example:',
        '  aws --endpoint-url http://127.0.0.1:%d/v1 --region RegionOne cloudwatch '
        'list-metrics' % api.port,
        'Stop with Ctrl-C or SIGTERM.'])


def _main(argv: list[str]) -> int:
    opts.register_all(config.CONF)
    config.CONF.set_default('transport_url', rpc.IN_PROCESS_URL)
    # Standalone: no Keystone to ask, so the REST API trusts X-Project-Id
    # and therefore listens on loopback only unless configured otherwise.
    config.CONF.set_default('auth_strategy', 'noauth', group=api_app.GROUP)
    config.CONF.set_default('bind_host', '127.0.0.1', group=api_app.GROUP)
    conf = config.prepare_service(argv, description=DESCRIPTION)
    launcher = service.Launcher()
    services = build_services(conf)
    for each in services:
        launcher.add(each)

    def started() -> None:
        link_services(conf, services)
        print(_banner(conf, services), flush=True)
    launcher.on_started = started
    try:
        return api_cloudwatch.run_launcher(conf, launcher)
    finally:
        rpc.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Run every service until SIGTERM or SIGINT."""
    return startup.run('heat-watch-all', lambda: _main(sys.argv[1:] if argv is None else argv))
