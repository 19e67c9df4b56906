"""A real Keystone for the tests: the ``keystone`` package in a virtualenv
of its own, SQLite and fernet tokens, served on a free loopback port.

The virtualenv is made once, under ``.keystone-venv/`` at the top of the
repository (or where HEAT_WATCH_KEYSTONE_VENV points), and reused by every
later run; .ci/run makes it before the tests. Each test session then gets a
new Keystone of its own: a configuration and database under a temporary
directory, ``keystone-manage db_sync``, ``fernet_setup``,
``credential_setup`` and ``bootstrap``, and Keystone's WSGI application
(``keystone.wsgi.api``) served by a threading ``wsgiref`` server of that
virtualenv's Python. Projects, users, roles and EC2 credentials are made
through Keystone's REST API, as an operator's tools would.

When Keystone cannot be installed or started (no package index, for
example) :class:`KeystoneUnavailable` says why; the fixtures skip with that
reason, or fail under HEAT_WATCH_REQUIRE_SERVICES=1.
"""

import dataclasses
import grp
import os
import pwd
import subprocess
import sys
import textwrap
import time

import requests

from heat_watch.tests import services

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.environ.get('HEAT_WATCH_KEYSTONE_VENV') or os.path.join(REPO, '.keystone-venv')
PACKAGE = 'keystone'
INSTALL_TIMEOUT = 1200
COMMAND_TIMEOUT = 300
START_TIMEOUT = 60.0
ADMIN_PASSWORD = 'keystone-admin-secret'
REGION = 'RegionOne'

# Run by the virtualenv's Python: Keystone's own WSGI application, served by
# a threading wsgiref server (Keystone ships no server of its own).
_SERVER = textwrap.dedent('''
    import socketserver, sys
    from wsgiref import simple_server

    class Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
        daemon_threads = True

    class Handler(simple_server.WSGIRequestHandler):
        def log_message(self, *args):
            pass

    port = int(sys.argv[1])
    del sys.argv[1:]  # keystone parses the command line as its own
    from keystone.wsgi.api import application
    httpd = simple_server.make_server('127.0.0.1', port, application,
                                      server_class=Server, handler_class=Handler)
    print('keystone serving', flush=True)
    httpd.serve_forever()
''')


class KeystoneUnavailable(Exception):
    """Keystone could not be installed or started; the message says why."""


def _bin(name: str) -> str:
    return os.path.join(VENV, 'bin', name)


def ensure_venv(log=print) -> float:
    """Make the virtualenv with Keystone unless it exists; returns the seconds
    it took (0 when it already existed)."""
    if os.path.exists(_bin('keystone-manage')):
        return 0.0
    started = time.monotonic()
    log('making the Keystone virtualenv under %s (once)' % VENV)
    try:
        subprocess.run([sys.executable, '-m', 'venv', VENV], check=True,
                       capture_output=True, timeout=COMMAND_TIMEOUT)
        subprocess.run([_bin('pip'), 'install', '-q', PACKAGE], check=True,
                       capture_output=True, timeout=INSTALL_TIMEOUT)
    except subprocess.CalledProcessError as error:
        tail = (error.stderr or b'').decode(errors='replace')[-2000:]
        raise KeystoneUnavailable('pip could not install %s into %s: %s'
                                  % (PACKAGE, VENV, tail.strip()))
    except (OSError, subprocess.TimeoutExpired) as error:
        raise KeystoneUnavailable('the Keystone virtualenv could not be made: %s' % error)
    return time.monotonic() - started


@dataclasses.dataclass
class Account:
    """A Keystone user with a role on a project."""

    user_id: str
    user_name: str
    password: str
    project_id: str
    project_name: str
    role: str


class Keystone:
    """One running Keystone (see the module's docstring)."""

    def __init__(self, workdir: str):
        self.workdir = workdir
        self.port = services.free_port()
        self.url = 'http://127.0.0.1:%d/v3' % self.port
        self.config = os.path.join(workdir, 'keystone.conf')
        self._process: subprocess.Popen | None = None
        self._log_path = os.path.join(workdir, 'keystone.log')
        self._admin_token: str | None = None
        self._roles: dict[str, str] = {}
        self._tokens: dict[str, str] = {}

    # -- life cycle ----------------------------------------------------------

    def _write_config(self) -> None:
        for name in ('fernet-keys', 'credential-keys'):
            os.makedirs(os.path.join(self.workdir, name), mode=0o700, exist_ok=True)
        with open(self.config, 'w') as conf:
            conf.write(textwrap.dedent('''\
                [DEFAULT]
                log_file = {log}
                [database]
                connection = sqlite:///{db}
                [token]
                provider = fernet
                [fernet_tokens]
                key_repository = {fernet}
                [fernet_receipts]
                key_repository = {fernet}
                [credential]
                key_repository = {credential}
                [cache]
                enabled = false
                [identity]
                # bcrypt's fewest rounds: each user and token costs ms, not a second
                password_hash_rounds = 4
                ''').format(log=self._log_path, db=os.path.join(self.workdir, 'keystone.db'),
                            fernet=os.path.join(self.workdir, 'fernet-keys'),
                            credential=os.path.join(self.workdir, 'credential-keys')))

    def _manage(self, *args: str) -> None:
        command = [_bin('keystone-manage'), '--config-file', self.config, *args]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=COMMAND_TIMEOUT)
        except subprocess.CalledProcessError as error:
            raise KeystoneUnavailable('keystone-manage %s failed: %s' % (
                args[0], (error.stderr or b'').decode(errors='replace')[-2000:]))

    def start(self) -> 'Keystone':
        """Configure, bootstrap and serve Keystone; wait until it answers."""
        self._write_config()
        user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
        self._manage('db_sync')
        self._manage('fernet_setup', '--keystone-user', user, '--keystone-group', group)
        self._manage('credential_setup', '--keystone-user', user, '--keystone-group', group)
        self._manage('bootstrap', '--bootstrap-password', ADMIN_PASSWORD,
                     '--bootstrap-admin-url', self.url, '--bootstrap-public-url', self.url,
                     '--bootstrap-internal-url', self.url, '--bootstrap-region-id', REGION)
        env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=self.config)
        env.pop('OS_KEYSTONE_CONFIG_DIR', None)
        output = open(os.path.join(self.workdir, 'server.out'), 'wb')
        self._process = subprocess.Popen([_bin('python'), '-c', _SERVER, str(self.port)],
                                         env=env, stdout=output, stderr=subprocess.STDOUT)
        output.close()
        self._wait()
        return self

    def _wait(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise KeystoneUnavailable('keystone exited with %s: %s' % (
                    self._process.returncode, self.output()[-2000:]))
            try:
                if requests.get(self.url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise KeystoneUnavailable('keystone did not answer within %ds' % START_TIMEOUT)

    def output(self) -> str:
        """What the server and Keystone's log said (for failure reports)."""
        text = ''
        for name in ('server.out', 'keystone.log'):
            path = os.path.join(self.workdir, name)
            if os.path.exists(path):
                with open(path, errors='replace') as f:
                    text += f.read()[-6000:]
        return text

    def stop(self) -> None:
        """Stop the server process."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    # -- REST API ------------------------------------------------------------

    def token(self, user_name: str, password: str, project_name: str,
              domain: str = 'Default') -> tuple[str, dict]:
        """A project-scoped token by password: (token id, token body)."""
        body = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': user_name, 'domain': {'id': 'default' if domain == 'Default'
                                              else domain}, 'password': password}}},
            'scope': {'project': {'name': project_name, 'domain': {'id': 'default'}}}}}
        response = requests.post(self.url + '/auth/tokens', json=body, timeout=30)
        if response.status_code != 201:
            raise AssertionError('keystone refused a token: %d %s'
                                 % (response.status_code, response.text))
        return response.headers['X-Subject-Token'], response.json()['token']

    def system_token(self) -> str:
        """A system-scoped token of the bootstrap admin (no project)."""
        body = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': 'admin', 'domain': {'id': 'default'}, 'password': ADMIN_PASSWORD}}},
            'scope': {'system': {'all': True}}}}
        response = requests.post(self.url + '/auth/tokens', json=body, timeout=30)
        assert response.status_code == 201, response.text
        return response.headers['X-Subject-Token']

    def admin_token(self) -> str:
        """A token of the bootstrap admin on the admin project."""
        if self._admin_token is None:
            self._admin_token = self.token('admin', ADMIN_PASSWORD, 'admin')[0]
        return self._admin_token

    def _admin(self, method: str, path: str, **kwargs) -> dict:
        response = requests.request(method, self.url + path, timeout=30,
                                    headers={'X-Auth-Token': self.admin_token()}, **kwargs)
        if response.status_code >= 300:
            raise AssertionError('keystone %s %s: %d %s' % (
                method, path, response.status_code, response.text))
        return response.json() if response.content else {}

    def role_id(self, name: str) -> str:
        """The id of a role, made when it does not exist yet."""
        if name not in self._roles:
            found = self._admin('GET', '/roles', params={'name': name})['roles']
            if found:
                self._roles[name] = found[0]['id']
            else:
                self._roles[name] = self._admin('POST', '/roles',
                                                json={'role': {'name': name}})['role']['id']
        return self._roles[name]

    def project(self, name: str) -> str:
        """Make a project in the default domain; returns its id."""
        return self._admin('POST', '/projects', json={'project': {
            'name': name, 'domain_id': 'default'}})['project']['id']

    def account(self, user_name: str, project_name: str, role: str = 'member',
                project_id: str | None = None) -> Account:
        """Make a user with ``role`` on a project (made unless ``project_id``)."""
        project_id = project_id or self.project(project_name)
        password = 'pw-%s' % user_name
        user_id = self._admin('POST', '/users', json={'user': {
            'name': user_name, 'password': password, 'domain_id': 'default',
            'default_project_id': project_id}})['user']['id']
        self._admin('PUT', '/projects/%s/users/%s/roles/%s'
                    % (project_id, user_id, self.role_id(role)))
        return Account(user_id, user_name, password, project_id, project_name, role)

    def account_token(self, account: Account) -> str:
        """A token of ``account`` scoped to its project (one per account and
        session: tokens live an hour)."""
        if account.user_id not in self._tokens:
            self._tokens[account.user_id] = self.token(
                account.user_name, account.password, account.project_name)[0]
        return self._tokens[account.user_id]

    def register_endpoint(self, service_type: str, url: str) -> None:
        """Put ``url`` in the catalog as the public endpoint of a new service
        of ``service_type`` (as devstack registers an API), in place of any
        earlier one: the Keystone lives for the whole session, and a client
        takes the first endpoint of a type (another module's, long stopped)."""
        for old in self._admin('GET', '/services', params={'type': service_type})['services']:
            self._admin('DELETE', '/services/%s' % old['id'])  # its endpoints go with it
        # A token carries the catalog it was issued with: cached ones are stale now.
        self._tokens.clear()
        service = self._admin('POST', '/services', json={'service': {
            'type': service_type, 'name': 'heat-watch-%s' % service_type}})['service']
        self._admin('POST', '/endpoints', json={'endpoint': {
            'service_id': service['id'], 'interface': 'public', 'url': url,
            'region_id': REGION}})

    def ec2_credentials(self, account: Account) -> tuple[str, str]:
        """Make EC2 credentials of ``account`` for its project, with the
        user's own token: (access, secret)."""
        response = requests.post(
            '%s/users/%s/credentials/OS-EC2' % (self.url, account.user_id),
            json={'tenant_id': account.project_id}, timeout=30,
            headers={'X-Auth-Token': self.account_token(account)})
        if response.status_code != 201:
            raise AssertionError('keystone refused EC2 credentials: %d %s'
                                 % (response.status_code, response.text))
        credential = response.json()['credential']
        return credential['access'], credential['secret']

    def authtoken_config(self, service: Account) -> str:
        """The configuration of heat_watch's APIs using this Keystone as
        ``service``: [keystone_authtoken] validates tokens, [ec2authtoken]
        verifies EC2 signatures with the service user's token."""
        credentials = textwrap.dedent('''\
            auth_url = {url}
            auth_type = password
            username = {user}
            password = {password}
            project_name = {project}
            user_domain_id = default
            project_domain_id = default
            ''').format(url=self.url, user=service.user_name, password=service.password,
                       project=service.project_name)
        return ('[keystone_authtoken]\nwww_authenticate_uri = %s\nregion_name = %s\n%s\n'
                '[ec2authtoken]\nauth_uri = %s\n%s' % (self.url, REGION, credentials,
                                                      self.url, credentials))


def running(workdir: str):
    """Generator of a pytest fixture: a started Keystone, stopped after; skips
    (fails under HEAT_WATCH_REQUIRE_SERVICES=1) when Keystone is unavailable."""
    from heat_watch.tests.integration import base
    try:
        seconds = ensure_venv()
        if seconds:
            print('the Keystone virtualenv took %.0f s to make' % seconds)
        server = Keystone(workdir).start()
    except KeystoneUnavailable as error:
        base.unavailable('Keystone is not available: %s' % error)
    try:
        yield server
    finally:
        server.stop()
