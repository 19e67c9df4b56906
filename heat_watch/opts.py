"""Every heat_watch option: the one list oslo-config-generator reads
(namespace heat_watch) and the one place options are registered.

Modules declare their options next to the code that reads them and never
register them; ``register_all`` registers the whole list on a
configuration before anything reads it (the commands, the WSGI modules and
the tests call it).
"""

import itertools

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from heat_watch import api
from heat_watch.cloudwatch import app as cloudwatch_app
from heat_watch.cloudwatch.auth import backends
from heat_watch.common import config, coordination, crypto, inprocess, rpc, wsgi
from heat_watch.notifier import client as notifier_client
from heat_watch.notifier import netpolicy as notifier_netpolicy
from heat_watch.notifier import rest as notifier_rest
from heat_watch.notifier import retry as notifier_retry
from heat_watch.notifier import service as notifier_service
from heat_watch.orchestration import clients as orchestration_clients
from heat_watch.orchestration import compute as orchestration_compute
from heat_watch.orchestration import credentials as orchestration_credentials
from heat_watch.orchestration import rpcapi as orchestration_rpcapi
from heat_watch.orchestration import runtime as orchestration_runtime
from heat_watch.orchestration.compute import nova as orchestration_nova
from heat_watch.orchestration.resources import alarm_backends as orchestration_alarms
from heat_watch.orchestration.storage import database as orchestration_database
from heat_watch.watch import evaluator, ingest, rpcapi
from heat_watch.watch import service as watch_service
from heat_watch.watch.storage import connection


def list_opts():
    """(group, options) pairs; oslo.db's own options are listed by oslo.db."""
    return [(group, itertools.chain(options, _keystone_plugin_opts())
             if group == backends.KEYSTONE_GROUP else options)
            for group, options in _own_opts()]


def _keystone_plugin_opts():
    """What the service user's keystoneauth plugin reads, for the sample
    configuration only: loading the plugin writes stevedore's entry-point
    cache under HOME, which register_all must not do."""
    return itertools.chain(ks_loading.get_auth_common_conf_options(),
                           ks_loading.get_auth_plugin_conf_options('password'))


def _own_opts():
    """(group, options) of heat_watch's own lists, oslo.db's included."""
    return [
        ('DEFAULT', config.OPTS),
        (api.GROUP, api.OPTS),
        ('cloudwatch_api', itertools.chain(cloudwatch_app.OPTS, backends.LOCAL_OPTS,
                                           wsgi.OPTS)),
        (backends.KEYSTONE_GROUP, backends.KEYSTONE_OPTS),
        (crypto.GROUP, crypto.OPTS),
        ('watch_engine', itertools.chain(watch_service.OPTS, ingest.OPTS, rpcapi.OPTS,
                                         evaluator.OPTS)),
        (coordination.GROUP, coordination.OPTS),
        (inprocess.GROUP, inprocess.OPTS),
        (notifier_client.GROUP, itertools.chain(notifier_client.OPTS, notifier_retry.OPTS,
                                                notifier_rest.OPTS, notifier_service.OPTS,
                                                notifier_netpolicy.OPTS)),
        connection.DATABASE.list_opts(),
        (orchestration_runtime.GROUP, itertools.chain(
            orchestration_runtime.OPTS, orchestration_compute.OPTS, orchestration_rpcapi.OPTS,
            orchestration_clients.OPTS, orchestration_alarms.OPTS,
            orchestration_credentials.OPTS)),
        orchestration_database.DATABASE.list_opts(),
        (orchestration_nova.GROUP, orchestration_nova.OPTS),
    ]


def register_all(conf: cfg.ConfigOpts) -> cfg.ConfigOpts:
    """Register every option heat_watch reads on ``conf`` (again is harmless).

    The Keystone group takes keystoneauth's loader options rather than the
    password plugin's listed for the generator: the plugin named by
    auth_type registers its own when it is loaded.
    """
    # state_path is also a command-line option, so that heat-watch-all and
    # heat-watch-manage can share a state directory without a config file.
    # (oslo.config refuses a CLI option once parsed, even one it has.)
    conf.register_cli_opts([opt for opt in config.CLI_OPTS if opt.dest not in conf])
    for group, options in _own_opts():
        options = [opt for opt in options if opt not in config.CLI_OPTS]
        conf.register_opts(options, group=None if group == 'DEFAULT' else group)
    ks_loading.register_auth_conf_options(conf, backends.KEYSTONE_GROUP)
    rpc.register_library_opts(conf)
    return conf
