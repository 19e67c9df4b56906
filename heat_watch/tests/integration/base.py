"""Helpers of the integration tests: heat_watch's daemons as separate
processes, talking over the machine's RabbitMQ, on a MariaDB or PostgreSQL
database created for the test module.

The machine's services (override with the environment variables in brackets):

* RabbitMQ ``rabbit://guest:guest@127.0.0.1:5672/`` (HEAT_WATCH_TEST_RABBIT_URL)
* MariaDB ``root@127.0.0.1:3306`` (HEAT_WATCH_TEST_MARIADB_HOST/_PORT/_USER)
* PostgreSQL ``postgres@127.0.0.1:5432`` (HEAT_WATCH_TEST_POSTGRESQL_HOST/_PORT/_USER)

A service that cannot be reached skips the tests that need it, unless
``HEAT_WATCH_REQUIRE_SERVICES=1`` (CI): then they fail.
"""

import concurrent.futures
import contextlib
import dataclasses
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable

import pytest
import requests

from heat_watch import opts

REQUIRE_ENV = 'HEAT_WATCH_REQUIRE_SERVICES'
RABBIT_URL = os.environ.get('HEAT_WATCH_TEST_RABBIT_URL', 'rabbit://guest:guest@127.0.0.1:5672/')
BIN = os.path.dirname(sys.executable)
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
RPC_TIMEOUT = 20
LOG_TAIL = 6000


# -- services of the machine -------------------------------------------------


def _amqp_url() -> str:
    return RABBIT_URL.replace('rabbit://', 'amqp://', 1)


def queue_depths(names: list[str]) -> dict[str, int]:
    """Messages ready in each of these RabbitMQ queues (absent ones left out)."""
    import amqp.exceptions
    import kombu
    depths = {}
    with kombu.Connection(_amqp_url(), connect_timeout=3) as conn:
        for name in names:
            channel = conn.channel()
            try:
                depths[name] = channel.queue_declare(name, passive=True).message_count
            except amqp.exceptions.NotFound:
                pass  # the broker closed this channel
            else:
                channel.close()
    return depths


def delete_queues(names: list[str]) -> None:
    """Delete RabbitMQ queues the daemons declared: oslo.messaging's topic
    queues outlive their consumers, and every run uses new names."""
    import kombu
    with kombu.Connection(_amqp_url(), connect_timeout=3) as conn:
        channel = conn.channel()
        for name in names:
            channel.queue_delete(name)
        channel.close()


def unavailable(reason: str):
    """Skip, or fail when the environment requires the services (CI)."""
    if os.environ.get(REQUIRE_ENV) == '1':
        pytest.fail('%s (%s=1: the integration tests must not be skipped)'
                    % (reason, REQUIRE_ENV), pytrace=False)
    pytest.skip(reason)


_checked: dict[str, str | None] = {}


def _check(name: str, probe: Callable[[], None], where: str) -> None:
    """Run ``probe`` once per session; skip/fail every time it failed."""
    if name not in _checked:
        try:
            probe()
        except Exception as exc:  # any failure to connect means not usable
            detail = (str(exc).strip().splitlines() or [''])[0][:200]
            _checked[name] = '%s not reachable at %s (%s: %s)' % (
                name, where, type(exc).__name__, detail)
        else:
            _checked[name] = None
    if _checked[name]:
        unavailable(_checked[name])


def require_rabbitmq() -> str:
    """The RabbitMQ transport URL; skips (or fails) when it is not usable."""
    url = urllib.parse.urlsplit(RABBIT_URL)
    where = '%s:%s' % (url.hostname, url.port or 5672)

    def probe():
        import kombu
        with kombu.Connection(_amqp_url(), connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)

    _check('RabbitMQ', probe, where)
    return RABBIT_URL


class Backend:
    """A database server on which each test module gets a database of its own."""

    name = ''
    label = ''

    def __init__(self):
        prefix = 'HEAT_WATCH_TEST_%s_' % self.name.upper()
        self.host = os.environ.get(prefix + 'HOST', '127.0.0.1')
        self.port = int(os.environ.get(prefix + 'PORT', self.default_port))
        self.user = os.environ.get(prefix + 'USER', self.default_user)

    default_port = 0
    default_user = ''

    def require(self) -> None:
        _check(self.label, lambda: self.admin(lambda cursor: cursor.execute('SELECT 1')),
               '%s:%d' % (self.host, self.port))

    def admin(self, work: Callable) -> None:
        raise NotImplementedError

    def url(self, database: str) -> str:
        raise NotImplementedError

    def create(self, database: str) -> None:
        raise NotImplementedError

    def drop(self, database: str) -> None:
        raise NotImplementedError

    def tables(self, database: str) -> set[str]:
        raise NotImplementedError


class MariaDB(Backend):
    name = 'mariadb'
    label = 'MariaDB'
    default_port = 3306
    default_user = 'root'

    def _connect(self, database: str | None = None):
        import pymysql
        return pymysql.connect(host=self.host, port=self.port, user=self.user,
                               password=os.environ.get('HEAT_WATCH_TEST_MARIADB_PASSWORD', ''),
                               database=database, connect_timeout=3, autocommit=True)

    def admin(self, work: Callable, database: str | None = None):
        conn = self._connect(database)
        try:
            with conn.cursor() as cursor:
                return work(cursor)
        finally:
            conn.close()

    def url(self, database: str) -> str:
        return 'mysql+pymysql://%s@%s:%d/%s?charset=utf8mb4' % (
            self.user, self.host, self.port, database)

    def create(self, database: str) -> None:
        self.admin(lambda c: c.execute('CREATE DATABASE `%s` CHARACTER SET utf8mb4 '
                                       'COLLATE utf8mb4_bin' % database))

    def drop(self, database: str) -> None:
        self.admin(lambda c: c.execute('DROP DATABASE IF EXISTS `%s`' % database))

    def tables(self, database: str) -> set[str]:
        def work(cursor):
            cursor.execute('SHOW TABLES')
            return {row[0] for row in cursor.fetchall()}
        return self.admin(work, database)


class PostgreSQL(Backend):
    name = 'postgresql'
    label = 'PostgreSQL'
    default_port = 5432
    default_user = 'postgres'

    def admin(self, work: Callable, database: str = 'postgres'):
        import psycopg2
        conn = psycopg2.connect(host=self.host, port=self.port, user=self.user,
                                dbname=database, connect_timeout=3)
        try:
            conn.autocommit = True  # CREATE/DROP DATABASE refuse transactions
            with conn.cursor() as cursor:
                return work(cursor)
        finally:
            conn.close()

    def url(self, database: str) -> str:
        return 'postgresql+psycopg2://%s@%s:%d/%s' % (self.user, self.host, self.port, database)

    def create(self, database: str) -> None:
        self.admin(lambda c: c.execute('CREATE DATABASE "%s"' % database))

    def drop(self, database: str) -> None:
        # FORCE: a daemon killed after a failure may leave connections behind.
        self.admin(lambda c: c.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % database))

    def tables(self, database: str) -> set[str]:
        def work(cursor):
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return {row[0] for row in cursor.fetchall()}
        return self.admin(work, database)


BACKENDS = {backend.name: backend for backend in (MariaDB(), PostgreSQL())}


def unique_name(label: str) -> str:
    """A name (database, topic, host) no other test run uses."""
    label = re.sub(r'[^a-z0-9]+', '_', label.lower()).strip('_')[:24]
    return 'hwit_%s_%s' % (label, uuid.uuid4().hex[:10])


@contextlib.contextmanager
def watch_database(backend: Backend, label: str):
    """The SQLAlchemy engine of a fresh, migrated watch database on
    ``backend``, dropped afterwards."""
    from oslo_config import cfg

    from heat_watch.watch.storage import connection

    database = unique_name(label)
    backend.create(database)
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf.set_default('state_path', '/nonexistent')
    conf([])
    conf.set_override('connection', backend.url(database), group=connection.GROUP)
    try:
        connection.db_sync(conf)
        yield connection.get_engine(conf)
    finally:
        connection.dispose_engines()
        backend.drop(database)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


# -- configuration -------------------------------------------------------------------


def render_config(sections: dict[str, dict]) -> str:
    lines = []
    for section, options in sections.items():
        lines.append('[%s]' % section)
        for key, value in options.items():
            if isinstance(value, bool):
                value = 'true' if value else 'false'
            elif isinstance(value, list | tuple):
                value = ','.join(value)
            lines.append('%s = %s' % (key, value))
        lines.append('')
    return '\n'.join(lines)


def engine_log_levels(*extra: str) -> list[str]:
    """oslo.log's and heat_watch's default log levels, plus ``extra``."""
    from oslo_log import log

    from heat_watch.common import config
    return log.get_default_log_levels() + config._LOG_LEVELS + list(extra)


# -- processes ---------------------------------------------------------------------


class Daemon:
    """One heat_watch console script running as a child process; its stdout
    and stderr go to a file."""

    def __init__(self, name: str, script: str, config_files: list[str], log_path: str):
        self.name = name
        self.script = script
        self.config_files = config_files
        self.log_path = log_path
        self.returncode: int | None = None
        argv = [os.path.join(BIN, script)]
        for path in config_files:
            argv += ['--config-file', path]
        self._log = open(log_path, 'ab')
        env = dict(os.environ, PYTHONUNBUFFERED='1')
        self.process = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        with open(self.log_path, encoding='utf-8', errors='replace') as log_file:
            return log_file.read()

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_for_output(self, pattern: str, timeout: float = START_TIMEOUT) -> re.Match:
        """Wait until the output matches ``pattern``; fails if the process exits."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            found = regex.search(self.output())
            if found:
                return found
            if not self.alive():
                raise AssertionError('%s exited with %s before printing %r:\n%s' % (
                    self.name, self.process.returncode, pattern, self.tail()))
            if time.monotonic() > deadline:
                raise AssertionError('%s did not print %r within %ss:\n%s' % (
                    self.name, pattern, timeout, self.tail()))
            time.sleep(0.1)

    def signal(self, signum: int = signal.SIGTERM) -> None:
        if self.alive():
            self.process.send_signal(signum)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """The exit status, or None when still running after ``timeout``."""
        try:
            self.returncode = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait(10)
        self._log.close()

    def tail(self, size: int = LOG_TAIL) -> str:
        text = self.output()
        return text if len(text) <= size else '...' + text[-size:]

    def problems(self, expected_rc: int | None = 0) -> list[str]:
        """What is wrong with the way this (stopped) process ended."""
        found = []
        if self.returncode is None:
            found.append('%s did not exit within %ss of the signal' % (self.name, STOP_TIMEOUT))
        elif expected_rc is not None and self.returncode != expected_rc:
            found.append('%s exited with %s' % (self.name, self.returncode))
        text = self.output()
        if 'Traceback' in text:
            found.append('%s printed a traceback' % self.name)
        return found


def stop_all(daemons: list[Daemon], signum: int = signal.SIGTERM) -> list[str]:
    """Signal every daemon at once, wait for each; returns the problems."""
    for daemon in daemons:
        daemon.signal(signum)
    problems = []
    deadline = time.monotonic() + STOP_TIMEOUT
    for daemon in daemons:
        daemon.wait(max(0.1, deadline - time.monotonic()))
        for problem in daemon.problems():
            problems.append('%s\n--- output of %s ---\n%s' % (problem, daemon.name,
                                                             daemon.tail()))
    for daemon in daemons:
        daemon.kill()
    return problems


# -- a deployment --------------------------------------------------------------------


@dataclasses.dataclass
class Credentials:
    access: str
    secret: str
    project_id: str


class Deployment:
    """A database, a configuration and the daemons of one test module.

    Files live under ``workdir``: ``heat_watch.conf`` (shared by every
    process), one ``<process>.conf`` per process (its ``host``), one
    ``<process>.log`` per process.
    """

    def __init__(self, backend: Backend, workdir: str, label: str, *,
                 api: dict | None = None, engine: dict | None = None,
                 extra: dict | None = None):
        self.backend = backend
        self.workdir = workdir
        self.label = label
        self.database = unique_name(label + '_' + backend.name)
        self.hostname = self.database.replace('_', '-')  # a valid host name
        self.topic = unique_name(label + '_engine')
        self.notifier_topic = unique_name(label + '_actions')
        self.port = free_port()
        self.daemons: list[Daemon] = []
        self.config_path = os.path.join(workdir, 'heat_watch.conf')
        self._api = api or {}
        self._engine = engine or {}
        self._extra = extra or {}
        self._created = False
        self.credentials: list[Credentials] = []

    # -- setup --

    def sections(self) -> dict[str, dict]:
        sections = {
            'DEFAULT': {'transport_url': RABBIT_URL,
                        'state_path': os.path.join(self.workdir, 'state'),
                        'host': '%s-manage' % self.hostname},
            'watch_database': {'connection': self.backend.url(self.database)},
            'cloudwatch_api': dict({'bind_host': '127.0.0.1', 'bind_port': self.port,
                                    'threads': 64}, **self._api),
            'watch_engine': dict({'topic': self.topic, 'evaluation_interval': 1,
                                  'rpc_timeout': RPC_TIMEOUT, 'expiry_interval': 0},
                                 **self._engine),
            # The receivers listen on loopback, denied by default.
            'notifier': {'topic': self.notifier_topic, 'allowed_networks': '127.0.0.1/32'},
            'credentials': {'encryption_key_file': os.path.join(self.workdir,
                                                                'credential.key')},
        }
        for section, options in self._extra.items():
            sections.setdefault(section, {}).update(options)
        return sections

    def write_config(self) -> None:
        with open(self.config_path, 'w') as conf_file:
            conf_file.write(render_config(self.sections()))

    def create_database(self) -> None:
        self.backend.create(self.database)
        self._created = True

    def drop_database(self) -> None:
        if self._created:
            self.backend.drop(self.database)
            self._created = False

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run heat-watch-manage with this deployment's configuration."""
        argv = [os.path.join(BIN, 'heat-watch-manage'), '--config-file', self.config_path,
                *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        if check and done.returncode != 0:
            raise AssertionError('heat-watch-manage %s exited with %d:\n%s\n%s' % (
                ' '.join(args), done.returncode, done.stdout, done.stderr))
        return done

    def create_credentials(self, project_id: str) -> Credentials:
        done = self.manage('credentials', 'create', '--project-id', project_id)
        created = json.loads(done.stdout.strip().splitlines()[-1])
        assert created['project_id'] == project_id
        return Credentials(created['access'], created['secret'], project_id)

    def delete_credentials(self, access: str) -> None:
        done = self.manage('credentials', 'delete', access)
        assert json.loads(done.stdout.strip().splitlines()[-1]) == {'deleted': access}

    # -- daemons --

    def _host_config(self, name: str, extra: dict | None = None) -> str:
        path = os.path.join(self.workdir, '%s.conf' % name)
        sections = {'DEFAULT': {'host': '%s-%s' % (self.hostname, name)}}
        for section, options in (extra or {}).items():
            sections.setdefault(section, {}).update(options)
        with open(path, 'w') as conf_file:
            conf_file.write(render_config(sections))
        return path

    def spawn(self, name: str, script: str, extra: dict | None = None) -> Daemon:
        """Start ``script`` with the shared configuration plus its own file."""
        daemon = Daemon(name, script, [self.config_path, self._host_config(name, extra)],
                        os.path.join(self.workdir, '%s.log' % name))
        self.daemons.append(daemon)
        return daemon

    def start_engine(self, name: str = 'engine', extra: dict | None = None) -> Daemon:
        return self.spawn(name, 'heat-watch-engine', extra)

    def start_notifier(self, name: str = 'notifier', extra: dict | None = None) -> Daemon:
        return self.spawn(name, 'heat-watch-notifier', extra)

    def start_api(self, name: str = 'api', extra: dict | None = None) -> Daemon:
        return self.spawn(name, 'heat-watch-api-cloudwatch', extra)

    @staticmethod
    def wait_engine(daemon: Daemon) -> None:
        daemon.wait_for_output(r'Watch engine \S+ listening on topic')

    @staticmethod
    def wait_notifier(daemon: Daemon) -> None:
        daemon.wait_for_output(r'Notifier \S+ listening for alarm actions')

    def wait_api(self, daemon: Daemon, port: int | None = None,
                 timeout: float = START_TIMEOUT) -> None:
        """Poll until the API answers on its port (any CloudWatch answer)."""
        port = port or self.port
        deadline = time.monotonic() + timeout
        while True:
            if not daemon.alive():
                raise AssertionError('%s exited with %s:\n%s' % (
                    daemon.name, daemon.process.returncode, daemon.tail()))
            try:
                answer = requests.get('http://127.0.0.1:%d/v1' % port, timeout=2)
            except requests.RequestException:
                answer = None
            # Another process might hold the port: the answer must be ours.
            if answer is not None and 'MissingAuthenticationToken' in answer.text \
                    and 'serving on http://127.0.0.1:%d' % port in daemon.output():
                return
            if time.monotonic() > deadline:
                raise AssertionError('%s did not answer on port %d within %ss:\n%s' % (
                    daemon.name, port, timeout, daemon.tail()))
            time.sleep(0.1)

    @property
    def endpoint(self) -> str:
        return 'http://127.0.0.1:%d/v1' % self.port

    def start_api_and_wait(self, name: str = 'api', extra: dict | None = None) -> Daemon:
        """Start the API on a free port and wait until it answers; picks
        another port if something else took the chosen one meanwhile."""
        for attempt in range(3):
            api = self.start_api(name, extra)
            try:
                self.wait_api(api)
                return api
            except AssertionError:
                if attempt == 2 or 'Address already in use' not in api.output():
                    raise
                api.wait(5)
                self.daemons.remove(api)
                api.kill()
                os.rename(api.log_path, api.log_path + '.%d' % attempt)
                self.port = free_port()
                self.write_config()
        raise AssertionError('unreachable')

    def setup(self, engines: int = 1, notifier: bool = True,
              engine_extra: dict | None = None, projects: int = 1) -> None:
        """Database, schema, ``projects`` key pairs (``self.credentials``),
        daemons; returns once they all serve."""
        self.create_database()
        self.write_config()
        self.manage('db_sync')
        # The first key pair also creates the encryption key the API reads.
        self.credentials = [self.create_credentials('project-%s' % uuid.uuid4().hex[:8])]
        engine_daemons = [self.start_engine('engine-%d' % (i + 1), engine_extra)
                          for i in range(engines)]
        notifier_daemon = self.start_notifier() if notifier else None
        # The other key pairs while the daemons start.
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            more = [pool.submit(self.create_credentials, 'project-%s' % uuid.uuid4().hex[:8])
                    for _ in range(projects - 1)]
            self.start_api_and_wait()
            for daemon in engine_daemons:
                self.wait_engine(daemon)
            if notifier_daemon is not None:
                self.wait_notifier(notifier_daemon)
            self.credentials += [future.result() for future in more]

    def daemon(self, name: str) -> Daemon:
        return next(d for d in self.daemons if d.name == name)

    def queues(self) -> list[str]:
        """The RabbitMQ queues this deployment's daemons declare."""
        names = [self.topic, self.notifier_topic + '.info']
        names += ['%s.%s-%s' % (self.topic, self.hostname, d.name) for d in self.daemons
                  if d.script == 'heat-watch-engine']
        return names

    def teardown(self) -> list[str]:
        """Stop the daemons (SIGTERM), drop the database and the queues;
        returns the problems."""
        try:
            running = [d for d in self.daemons if d.returncode is None]
            return stop_all(running)
        finally:
            for daemon in self.daemons:
                daemon.kill()
            with contextlib.suppress(Exception):
                self.drop_database()
            if self.daemons:
                with contextlib.suppress(Exception):
                    delete_queues(self.queues())

    def logs(self) -> dict[str, str]:
        return {d.name: d.tail() for d in self.daemons}


@contextlib.contextmanager
def running(backend: Backend, workdir: str, label: str, *, engines: int = 1,
            notifier: bool = True, engine_extra: dict | None = None, projects: int = 1,
            **kwargs):
    """A deployment set up for the block; afterwards every daemon must stop
    on SIGTERM with status 0 and no traceback (else AssertionError)."""
    deployment = Deployment(backend, workdir, label, **kwargs)
    try:
        deployment.setup(engines=engines, notifier=notifier, engine_extra=engine_extra,
                         projects=projects)
    except BaseException:
        deployment.teardown()
        raise
    try:
        yield deployment
    finally:
        problems = deployment.teardown()
    if problems:
        raise AssertionError('daemons did not stop cleanly:\n' + '\n'.join(problems))


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.2,
               message: str = 'condition'):
    """Poll ``predicate`` until it returns something true; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('%s not met within %ss' % (message, timeout))
        time.sleep(interval)


def wait_rest_api(daemon: Daemon, port: int, timeout: float = START_TIMEOUT) -> None:
    """Poll until heat-watch-api answers GET / on ``port`` and says it serves
    there (another process might hold the port: the answer must be ours)."""
    def answering():
        assert daemon.alive(), daemon.tail()
        try:
            ok = requests.get('http://127.0.0.1:%d/' % port, timeout=2).status_code == 200
        except requests.RequestException:
            return False
        return ok and 'serving on http://127.0.0.1:%d' % port in daemon.output()
    wait_until(answering, timeout, 0.1, 'heat-watch-api answering on port %d' % port)


def orchestrator_conf(rabbit_url: str, topic: str):
    """A configuration for an OrchestratorClient of the test to the
    orchestrators listening on ``topic`` over RabbitMQ."""
    from oslo_config import cfg
    conf = opts.register_all(cfg.ConfigOpts())
    conf([], default_config_files=[])
    conf.set_override('transport_url', rabbit_url)
    conf.set_override('topic', topic, group='orchestration')
    conf.set_override('rpc_timeout', RPC_TIMEOUT, group='orchestration')
    return conf


def head_revision() -> str:
    """The newest revision of the watch database's migrations."""
    import alembic.config
    import alembic.script
    config = alembic.config.Config()
    config.set_main_option('script_location', 'heat_watch.watch.storage:migrations')
    return alembic.script.ScriptDirectory.from_config(config).get_current_head()
