"""heat-watch-manage: schema migrations, expiry, credentials."""

import json
import sys

from oslo_config import cfg
from oslo_log import log

from heat_watch.cmd import databases
from heat_watch.common import config, crypto, exceptions
from heat_watch.identity import model as identity_model
from heat_watch.identity import storage as credential_storage
from heat_watch.watch import service as watch_service
from heat_watch.watch.storage import connection

CONF = config.CONF


def do_db_sync(conf: cfg.ConfigOpts) -> None:
    for label, revision in databases.db_sync(conf).items():
        print('%s database at revision %s' % (label, revision))


def do_db_version(conf: cfg.ConfigOpts) -> None:
    for label, revision in databases.db_versions(conf).items():
        print('%s database: %s' % (label, revision or 'empty'))


def do_expire(conf: cfg.ConfigOpts) -> None:
    print(json.dumps(watch_service.expire(conf, connection.get_engine(conf))))


def _credential_json(credential: identity_model.Credential) -> dict:
    scope = credential.scope
    return {'access': credential.access, 'project_id': credential.project_id,
            'user_id': credential.user_id, 'description': credential.description,
            'created_at': credential.created_at,
            'operations': list(scope.operations) if scope.operations is not None else None,
            'stack_id': scope.stack_id}


def do_credentials(conf: cfg.ConfigOpts) -> None:
    store = credential_storage.CredentialStore(connection.get_engine(conf),
                                               lambda: crypto.SecretBox(conf))
    action = conf.command.action
    if action == 'create':
        crypto.ensure_key_file(conf)
        operations = conf.command.operation
        scope = identity_model.Scope(operations=tuple(operations) if operations else None,
                                     stack_id=conf.command.stack_id)
        credential, secret = store.create(conf.command.project_id, conf.command.user_id,
                                          conf.command.description, scope)
        print(json.dumps(dict(_credential_json(credential), secret=secret)))
    elif action == 'list':
        print(json.dumps([_credential_json(c) for c in store.list(conf.command.project_id)],
                         indent=2))
    else:
        store.delete(conf.command.access)
        print(json.dumps({'deleted': conf.command.access}))


def add_command_parsers(subparsers) -> None:
    parser = subparsers.add_parser('db_sync', help='Migrate every database.')
    parser.set_defaults(func=do_db_sync)
    parser = subparsers.add_parser('db_version', help='Print every database\'s revision.')
    parser.set_defaults(func=do_db_version)
    parser = subparsers.add_parser('expire', help='Delete datapoints older than '
                                   '[watch_engine] datapoint_ttl and alarm history older than '
                                   'alarm_history_ttl.')
    parser.set_defaults(func=do_expire)
    parser = subparsers.add_parser('credentials', help='Manage EC2-style access keys.')
    parser.set_defaults(func=do_credentials)
    actions = parser.add_subparsers(dest='action', required=True)
    create = actions.add_parser('create', help='Create a key pair; prints it as JSON.')
    create.add_argument('--project-id', required=True)
    create.add_argument('--user-id')
    create.add_argument('--description')
    create.add_argument('--operation', action='append', metavar='OPERATION',
                        help='Confine the key to this operation (repeatable), e.g. '
                             'cloudwatch:PutMetricData; default: every operation.')
    create.add_argument('--stack-id', help='Confine its stack operations to this stack.')
    listing = actions.add_parser('list', help='List key pairs (never their secrets).')
    listing.add_argument('--project-id')
    delete = actions.add_parser('delete', help='Delete a key pair.')
    delete.add_argument('access')


def main(argv: list[str] | None = None) -> int:
    watch_service.register_opts(CONF)
    databases.register_opts(CONF)
    crypto.register_opts(CONF)
    CONF.register_cli_opt(cfg.SubCommandOpt('command', title='Commands',
                                            handler=add_command_parsers))
    # Logs go to stderr, so that stdout holds only the JSON a script reads.
    log.register_options(CONF)
    CONF.set_default('use_stderr', True)
    conf = config.prepare_service(sys.argv[1:] if argv is None else argv)
    try:
        conf.command.func(conf)
    except exceptions.HeatWatchError as error:
        print('heat-watch-manage: %s' % error, file=sys.stderr)
        return 1
    return 0
