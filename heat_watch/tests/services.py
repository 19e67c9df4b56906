"""Running heat_watch inside a test process (in-process transport, SQLite)."""

import contextlib
import socket

from oslo_config import cfg
from oslo_log import log

from heat_watch import opts
from heat_watch.cmd import all as all_in_one
from heat_watch.common import config, crypto, rpc, wsgi
from heat_watch.identity import model as identity_model
from heat_watch.identity import storage as credential_storage
from heat_watch.watch.storage import connection


def make_conf(state_path: str, config_files: list[str] | None = None,
              **overrides) -> cfg.ConfigOpts:
    """A fresh configuration for one in-process deployment.

    ``overrides`` maps 'group.option' (or 'option' for DEFAULT) to a value;
    ``config_files`` are read too (for options registered later, such as
    keystonemiddleware's).
    """
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    log.register_options(conf)
    conf([], project=config.PROJECT, default_config_files=config_files or [])
    conf.set_override('state_path', state_path)
    conf.set_override('transport_url', rpc.IN_PROCESS_URL)
    # Every message through the JSON a broker would carry (see inprocess.py).
    conf.set_override('json_round_trip', True, group='inprocess_transport')
    conf.set_override('bind_host', '127.0.0.1', group='cloudwatch_api')
    conf.set_override('bind_port', 0, group='cloudwatch_api')
    conf.set_override('expiry_interval', 0, group='watch_engine')
    conf.set_override('bind_host', '127.0.0.1', group='api')
    conf.set_override('bind_port', 0, group='api')
    conf.set_override('auth_strategy', 'noauth', group='api')
    # The tests' webhook receivers listen on loopback, which the notifier's
    # network policy denies by default: allow it here, explicitly.
    conf.set_override('allowed_networks', ['127.0.0.1/32'], group='notifier')
    for name, value in overrides.items():
        group, _, option = name.rpartition('.')
        conf.set_override(option, value, group=group or None)
    return conf


class Deployment:
    """heat-watch-all's services started in this process."""

    def __init__(self, conf: cfg.ConfigOpts):
        self.conf = conf
        self.services = all_in_one.build_services(conf)
        self.engine = self.services[0]
        self.api = self.services[-1]

    def orchestrator_client(self):
        """An RPC client of the deployment's orchestrator."""
        from heat_watch.orchestration import rpcapi
        return rpcapi.OrchestratorClient(self.conf)

    @property
    def endpoint(self) -> str:
        return 'http://127.0.0.1:%d/v1' % self.api.port

    @property
    def rest_endpoint(self) -> str:
        """The REST API's root URL (heat-watch-api)."""
        rest = next(s for s in self.services if s.name == 'heat-watch-api')
        return 'http://127.0.0.1:%d' % rest.port

    def start(self) -> 'Deployment':
        for service in self.services:
            service.start()
        all_in_one.link_services(self.conf, self.services)
        return self

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
        rpc.cleanup(self.conf)
        connection.dispose_engines()

    def credentials(self, project_id: str, user_id: str | None = None,
                    scope: identity_model.Scope = identity_model.UNRESTRICTED) -> dict:
        """A new access/secret key pair for ``project_id``."""
        store = credential_storage.CredentialStore(connection.get_engine(self.conf),
                                                   crypto.SecretBox(self.conf))
        credential, secret = store.create(project_id, user_id, scope=scope)
        return {'access': credential.access, 'secret': secret, 'project_id': project_id,
                'user_id': user_id}


@contextlib.contextmanager
def deployment(state_path: str, config_files: list[str] | None = None, **overrides):
    """A started :class:`Deployment`, stopped on exit."""
    running = Deployment(make_conf(state_path, config_files, **overrides)).start()
    try:
        yield running
    finally:
        running.stop()


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(app, threads: int = 2):
    """A started WSGIService of ``app`` on a free loopback port, stopped on exit."""
    service = wsgi.WSGIService('test-api', app, '127.0.0.1', 0, threads=threads)
    service.start()
    try:
        yield service
    finally:
        service.stop()
