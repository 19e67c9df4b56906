"""Every heat_watch option, for oslo-config-generator (namespace heat_watch)."""

import itertools

from keystoneauth1 import loading as ks_loading

from heat_watch.api import app as api_app
from heat_watch.cloudwatch import app as cloudwatch_app
from heat_watch.cloudwatch.auth import backends
from heat_watch.common import config, coordination, crypto, inprocess, wsgi
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
from heat_watch.orchestration.storage import database as orchestration_database
from heat_watch.watch import evaluator, ingest, rpcapi
from heat_watch.watch import service as watch_service
from heat_watch.watch.storage import connection


def list_opts():
    """(group, options) pairs; oslo.db's own options are listed by oslo.db."""
    return [
        ('DEFAULT', config.OPTS),
        (api_app.GROUP, api_app.OPTS),
        ('cloudwatch_api', itertools.chain(cloudwatch_app.OPTS, backends.LOCAL_OPTS,
                                           wsgi.OPTS)),
        (backends.KEYSTONE_GROUP, itertools.chain(
            backends.KEYSTONE_OPTS, ks_loading.get_auth_common_conf_options(),
            ks_loading.get_auth_plugin_conf_options('password'))),
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
            orchestration_clients.OPTS, orchestration_credentials.OPTS)),
        orchestration_database.DATABASE.list_opts(),
        (orchestration_nova.GROUP, orchestration_nova.OPTS),
    ]
