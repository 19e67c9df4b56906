"""heat-watch-manage: schema migrations, expiry, credentials."""

import datetime
import json
import os
import sys

import sqlalchemy
from oslo_config import cfg
from oslo_log import log

from heat_watch import opts
from heat_watch.cmd import databases, startup
from heat_watch.common import config, crypto
from heat_watch.identity import model as identity_model
from heat_watch.identity import storage as credential_storage
from heat_watch.watch import service as watch_service
from heat_watch.watch.storage import connection

CONF = config.CONF
PROGRAM = 'heat-watch-manage'
DESCRIPTION = (
    'Administration of heat_watch: db_sync, db_version, expire, and the local credential '
    'store (credentials key-create|create|list|delete). It acts on the watch database of '
    'the configuration file (--config-file FILE, or the first of '
    '~/.heat_watch/heat_watch.conf, ~/heat_watch.conf, /etc/heat_watch/heat_watch.conf, '
    '/etc/heat_watch.conf) and says which on stderr; without a configuration file it '
    "refuses, unless --state_path DIR names heat-watch-all's embedded state. "
    'Results go to stdout (JSON for expire and credentials), logs to stderr.')


def do_db_sync(conf: cfg.ConfigOpts) -> None:
    for label, revision in databases.db_sync(conf).items():
        print('%s database at revision %s' % (label, revision))


def do_db_version(conf: cfg.ConfigOpts) -> None:
    for label, revision in databases.db_versions(conf).items():
        print('%s database: %s' % (label, revision or 'empty'))


def do_expire(conf: cfg.ConfigOpts) -> None:
    print(json.dumps(watch_service.expire(conf, connection.get_engine(conf))))


def iso_time(epoch_ms: int) -> str:
    """ISO 8601 in UTC with a 'Z', to the millisecond: 2026-12-05T06:12:03.250Z."""
    stamp = datetime.datetime.fromtimestamp(epoch_ms / 1000, datetime.UTC)
    return stamp.isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def _ensure_key_file(conf: cfg.ConfigOpts) -> dict:
    if conf.credentials.encryption_key:
        print('%s: [credentials] encryption_key is set: no key file is used' % PROGRAM,
              file=sys.stderr)
        return {'key_file': None, 'created': False}
    path = crypto.key_file_path(conf)
    existed = os.path.exists(path)
    crypto.ensure_key_file(conf)
    if not existed:
        print('%s: created the credential key file %s: every node of the API and the '
              'engine needs this same file' % (PROGRAM, path), file=sys.stderr)
    return {'key_file': path, 'created': not existed}


def _credential_json(credential: identity_model.Credential) -> dict:
    scope = credential.scope
    return {'access': credential.access, 'project_id': credential.project_id,
            'user_id': credential.user_id, 'description': credential.description,
            'created_at': iso_time(credential.created_at),
            'operations': list(scope.operations) if scope.operations is not None else None,
            'stack_id': scope.stack_id}


def do_credentials(conf: cfg.ConfigOpts) -> None:
    action = conf.command.action
    if action == 'key-create':
        print(json.dumps(_ensure_key_file(conf)))
        return
    store = credential_storage.CredentialStore(connection.get_engine(conf),
                                               lambda: crypto.SecretBox(conf))
    if action == 'create':
        _ensure_key_file(conf)
        operations = conf.command.operation
        scope = identity_model.Scope(operations=tuple(operations) if operations else None,
                                     stack_id=conf.command.stack_id)
        credential, secret = store.create(conf.command.project_id, conf.command.user_id,
                                          conf.command.description, scope)
        created = _credential_json(credential)
        del created['created_at']
        print(json.dumps(dict(created, secret=secret)))
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
    actions.add_parser('key-create', help='Create the credential encryption key file '
                       '([credentials] encryption_key_file) unless it exists; prints its '
                       'path as JSON.')
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


def _state_path_given(conf: cfg.ConfigOpts) -> bool:
    where = conf.get_location('state_path')
    return where is not None and where.location == cfg.Locations.command_line


def check_store_chosen(conf: cfg.ConfigOpts) -> None:
    """Refuse to guess: act on a configuration file's database, or on the
    embedded state a --state_path names, never on a default nobody chose."""
    if conf.config_file or _state_path_given(conf):
        return
    raise startup.StartupError(
        'no configuration file found (looked for heat_watch.conf in ~/.heat_watch, ~, '
        '/etc/heat_watch and /etc): give --config-file FILE, or --state_path DIR to act on '
        "the embedded state heat-watch-all keeps in DIR")


def database_description(conf: cfg.ConfigOpts) -> str:
    """The database this run acts on, password hidden, and where that came from."""
    url = sqlalchemy.engine.make_url(connection.connection_url(conf))
    source = ', '.join(conf.config_file) or '--state_path %s' % conf.state_path
    return 'watch database %s (from %s)' % (url.render_as_string(hide_password=True), source)


def _main(argv: list[str]) -> int:
    opts.register_all(CONF)
    CONF.register_cli_opt(cfg.SubCommandOpt('command', title='Commands',
                                            handler=add_command_parsers))
    # Logs go to stderr, so that stdout holds only the JSON a script reads.
    log.register_options(CONF)
    CONF.set_default('use_stderr', True)
    conf = config.prepare_service(argv, description=DESCRIPTION)
    check_store_chosen(conf)
    if not (conf.command.name == 'credentials' and conf.command.action == 'key-create'):
        print('%s: %s' % (PROGRAM, database_description(conf)), file=sys.stderr, flush=True)
    conf.command.func(conf)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one heat-watch-manage command."""
    return startup.run(PROGRAM, lambda: _main(sys.argv[1:] if argv is None else argv))
