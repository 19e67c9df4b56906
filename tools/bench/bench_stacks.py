"""Stack create/delete benchmark: heat_watch beside the real OpenStack Heat.

Each line creates a stack of N resources (OS::Heat::TestResource; and, for
heat_watch, OS::Nova::Server with the fake compute driver), waits until it
is CREATE_COMPLETE, deletes it and waits until it is DELETE_COMPLETE; p50
and p95 of the seconds each took, over ``--runs`` runs, and of the CPU
seconds the side's server processes used meanwhile (psutil: steadier than
latency on a loaded machine). Both sides run at once and each line's runs
alternate between them, so that both see the same machine; the status is
polled after a pause of 1% of the time elapsed (2 ms to 0.5 s), the same
for both, so that the figure is the servers' time, not the polling's.

heat_watch runs as separate processes: heat-watch-orchestrator,
heat-watch-engine and heat-watch-api, over RabbitMQ (a vhost of the run's
own), on MariaDB (a database of the run's own) or SQLite. It is driven
through its RPC client (``--heat-watch-mode rpc``, the default) or through
python-heatclient over HTTP (``--heat-watch-mode http``, once heat-watch-api
serves /v1).

Heat runs as the ``openstack-heat`` package in a virtualenv of its own
(``.heat-venv``, made by this script on first use): heat-engine and heat's
WSGI API application (``heat.wsgi.api``, served by a threading wsgiref
server as Keystone is in the tests), with the real Keystone of the tests
(heat_watch/tests/keystone.py), RabbitMQ (another vhost of the run) and
MariaDB (or SQLite). It is driven with python-heatclient over HTTP with a
Keystone token.

Usage (from the repository root)::

    .venv/bin/python tools/bench/bench_stacks.py               # full run
    .venv/bin/python tools/bench/bench_stacks.py --quick       # 1 and 10 resources
    .venv/bin/python tools/bench/bench_stacks.py --only heat_watch

Figures of record: doc/source/orchestration_benchmarks.rst.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)

from heat_watch.tests import keystone as keystone_server  # noqa: E402
from heat_watch.tests.integration import base  # noqa: E402

HEAT_VENV = os.environ.get('HEAT_WATCH_HEAT_VENV') or os.path.join(REPO, '.heat-venv')
HEAT_PACKAGES = ['openstack-heat', 'PyMySQL']
BIN = os.path.dirname(sys.executable)
RESULTS = os.path.join(REPO, 'tools', 'bench', 'results')
# A status is polled after a pause of POLL_FRACTION of the time elapsed so
# far, between POLL_MIN and POLL_MAX: the polling adds at most about 1% (or
# POLL_MIN) to either side's figure, and a long create is not slowed by
# thousands of stack shows.
POLL_MIN = 0.002
POLL_FRACTION = 0.01
POLL_MAX = 0.5
RABBIT = ('guest', 'guest', '127.0.0.1', 5672)

# heat-api as Keystone is served in the tests: Heat's WSGI application on a
# threading wsgiref server of the Heat virtualenv's Python.
HEAT_API_SERVER = textwrap.dedent('''
    import socketserver, sys
    from wsgiref import simple_server

    class Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
        daemon_threads = True

    class Handler(simple_server.WSGIRequestHandler):
        def log_message(self, *args):
            pass

    port = int(sys.argv[1])
    del sys.argv[1]  # heat parses --config-file from the rest
    from heat.api.openstack import wsgi
    application = wsgi.init_application()
    httpd = simple_server.make_server('127.0.0.1', port, application,
                                      server_class=Server, handler_class=Handler)
    print('heat-api serving', flush=True)
    httpd.serve_forever()
''')


def log(message: str) -> None:
    print('[%s] %s' % (time.strftime('%H:%M:%S'), message), flush=True)


# -- templates -------------------------------------------------------------------


def template(kind: str, count: int) -> dict:
    """A HOT template of ``count`` independent resources of ``kind``."""
    if kind == 'test':
        resource = {'type': 'OS::Heat::TestResource', 'properties': {'value': 'v'}}
    else:
        resource = {'type': 'OS::Nova::Server',
                    'properties': {'image': 'cirros', 'flavor': 'm1.tiny'}}
    return {'heat_template_version': '2021-04-16',
            'resources': {'r%04d' % i: dict(resource) for i in range(count)}}


# -- services of the run ---------------------------------------------------------


def rabbit_vhost(name: str) -> str:
    """A RabbitMQ vhost of this run (guest may use it); its transport URL."""
    subprocess.run(['rabbitmqctl', 'add_vhost', name], check=True, capture_output=True)
    subprocess.run(['rabbitmqctl', 'set_permissions', '-p', name, RABBIT[0], '.*', '.*',
                    '.*'], check=True, capture_output=True)
    return 'rabbit://%s:%s@%s:%d/%s' % (RABBIT + (name,))


def drop_vhost(name: str) -> None:
    subprocess.run(['rabbitmqctl', 'delete_vhost', name], capture_output=True)


class Database:
    """A MariaDB database of this run, or a SQLite file."""

    def __init__(self, kind: str, name: str, workdir: str):
        self.kind, self.name, self.workdir = kind, name, workdir
        if kind == 'mariadb':
            base.BACKENDS['mariadb'].create(name)

    def url(self) -> str:
        if self.kind == 'mariadb':
            return base.BACKENDS['mariadb'].url(self.name)
        return 'sqlite:///%s' % os.path.join(self.workdir, self.name + '.sqlite')

    def drop(self) -> None:
        if self.kind == 'mariadb':
            base.BACKENDS['mariadb'].drop(self.name)


class Process:
    """A child process whose output goes to a file."""

    def __init__(self, name: str, argv: list[str], workdir: str, env: dict | None = None):
        self.name = name
        self.log_path = os.path.join(workdir, name + '.log')
        self._log = open(self.log_path, 'ab')
        self.popen = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL,
                                      env=dict(os.environ, PYTHONUNBUFFERED='1', **(env or {})))

    def output(self) -> str:
        with open(self.log_path, errors='replace') as out:
            return out.read()

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.popen.poll() is not None:
                raise RuntimeError('%s exited with %s:\n%s' % (
                    self.name, self.popen.returncode, self.output()[-4000:]))
            if time.monotonic() > deadline:
                raise RuntimeError('%s did not print %r in %ss:\n%s' % (
                    self.name, text, timeout, self.output()[-4000:]))
            time.sleep(0.1)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self._log.close()


# -- drivers: the same four calls on either side ---------------------------------


class Driver:
    """create(name, template) -> id; status(id) -> (status, reason) or None
    when gone; delete(id)."""

    name = ''
    # The side's server processes (with their children): their CPU time is
    # measured around each create and delete.
    pids: list[int] = []

    def create(self, stack_name: str, body: dict) -> str:
        raise NotImplementedError

    def status(self, stack_id: str) -> tuple[str, str] | None:
        raise NotImplementedError

    def delete(self, stack_id: str) -> None:
        raise NotImplementedError


class HeatClientDriver(Driver):
    """python-heatclient over HTTP (Heat's /v1, or heat-watch-api's)."""

    def __init__(self, name: str, endpoint: str, token: str | None = None,
                 headers: dict | None = None):
        from heatclient import client as heat_client
        from heatclient import exc
        from keystoneauth1 import session as ks_session
        self.name = name
        self._not_found = exc.HTTPNotFound
        session = ks_session.Session(additional_headers=dict(
            headers or {}, **({'X-Auth-Token': token} if token else {})))
        self._client = heat_client.Client('1', endpoint=endpoint, session=session)

    def create(self, stack_name: str, body: dict) -> str:
        return self._client.stacks.create(stack_name=stack_name, template=body)['stack']['id']

    def status(self, stack_id: str) -> tuple[str, str] | None:
        try:
            stack = self._client.stacks.get(stack_id, resolve_outputs=False)
        except self._not_found:
            return None
        return stack.stack_status, stack.stack_status_reason

    def delete(self, stack_id: str) -> None:
        self._client.stacks.delete(stack_id)


class RpcDriver(Driver):
    """heat_watch's orchestrator through its RPC client (what heat-watch-api
    calls for every /v1 request)."""

    name = 'heat_watch'

    def __init__(self, transport_url: str, topic: str):
        from oslo_config import cfg

        from heat_watch import opts
        from heat_watch.common import context, exceptions
        from heat_watch.orchestration import rpcapi
        conf = opts.register_all(cfg.ConfigOpts())
        conf([], default_config_files=[])
        conf.set_override('transport_url', transport_url)
        conf.set_override('topic', topic, group='orchestration')
        conf.set_override('rpc_timeout', 120, group='orchestration')
        self.conf = conf
        self._client = rpcapi.OrchestratorClient(conf)
        self._ctxt = context.RequestContext(project_id='bench-%s' % uuid.uuid4().hex[:8],
                                            user_id='bench')
        self._not_found = exceptions.StackNotFound

    def create(self, stack_name: str, body: dict) -> str:
        return self._client.create_stack(self._ctxt, stack_name, body)['stack_id']

    def status(self, stack_id: str) -> tuple[str, str] | None:
        try:
            shown = self._client.show_stack(self._ctxt, stack_id, resolve_outputs=False)
        except self._not_found:
            return None
        return shown['stack_status'], shown['stack_status_reason']

    def delete(self, stack_id: str) -> None:
        self._client.delete_stack(self._ctxt, stack_id)

    def close(self) -> None:
        from heat_watch.common import rpc
        rpc.cleanup(self.conf)


def poll_pause(elapsed: float) -> float:
    """Seconds to sleep before the next status poll, ``elapsed`` seconds in."""
    return min(POLL_MAX, max(POLL_MIN, POLL_FRACTION * elapsed))


def _wait(driver: Driver, stack_id: str, done: str, timeout: float, started: float) -> float:
    """Poll until the stack is ``done`` (DELETE_COMPLETE: or gone)."""
    deadline = started + timeout
    while True:
        status = driver.status(stack_id)
        if status is None and done == 'DELETE_COMPLETE':
            return time.monotonic()
        if status is not None:
            if status[0] == done:
                return time.monotonic()
            if status[0].endswith('_FAILED'):
                raise RuntimeError('%s: stack %s %s: %s' % (driver.name, stack_id, *status))
        if time.monotonic() > deadline:
            raise RuntimeError('%s: stack %s not %s within %ss (%s)' % (
                driver.name, stack_id, done, timeout, status))
        time.sleep(poll_pause(time.monotonic() - started))


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds so far of these processes and their children."""
    import psutil
    total = 0.0
    for pid in pids:
        try:
            parent = psutil.Process(pid)
            for proc in [parent, *parent.children(recursive=True)]:
                times = proc.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


def measure(driver: Driver, body: dict, runs: int, timeout: float) -> dict:
    """Seconds (and the servers' CPU seconds) of each create and each
    delete, over ``runs`` stacks."""
    found: dict[str, list[float]] = {'create': [], 'delete': [], 'create_cpu': [],
                                     'delete_cpu': []}
    for run in range(runs):
        name = 'bench-%s-%d' % (uuid.uuid4().hex[:6], run)
        cpu, started = cpu_seconds(driver.pids), time.monotonic()
        stack_id = driver.create(name, body)
        found['create'].append(_wait(driver, stack_id, 'CREATE_COMPLETE', timeout, started)
                               - started)
        found['create_cpu'].append(cpu_seconds(driver.pids) - cpu)
        cpu, started = cpu_seconds(driver.pids), time.monotonic()
        driver.delete(stack_id)
        found['delete'].append(_wait(driver, stack_id, 'DELETE_COMPLETE', timeout, started)
                               - started)
        found['delete_cpu'].append(cpu_seconds(driver.pids) - cpu)
    return found


def load_average() -> float:
    """The 1-minute load average (what ``uptime`` shows first)."""
    return os.getloadavg()[0]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# -- heat_watch ------------------------------------------------------------------


@contextlib.contextmanager
def heat_watch_side(args, workdir: str):
    """heat-watch-engine, -orchestrator and -api; yields the driver."""
    run = uuid.uuid4().hex[:8]
    vhost = '%s-hw-%s' % (args.prefix, run)
    url = rabbit_vhost(vhost)
    watch_db = Database(args.database, '%s_hw_watch_%s' % (args.prefix, run), workdir)
    orch_db = Database(args.database, '%s_hw_orch_%s' % (args.prefix, run), workdir)
    api_port = base.free_port()
    topic = 'bench-orchestrator-%s' % run
    conf_path = os.path.join(workdir, 'heat_watch.conf')
    with open(conf_path, 'w') as conf_file:
        conf_file.write(base.render_config({
            'DEFAULT': {'transport_url': url, 'state_path': os.path.join(workdir, 'state')},
            'watch_database': {'connection': watch_db.url()},
            'orchestration_database': {'connection': orch_db.url()},
            'orchestration': {'topic': topic, 'compute_driver': 'fake',
                              'max_resources_per_stack': 2000,
                              'api_endpoint': 'http://127.0.0.1:%d' % api_port},
            'watch_engine': {'topic': 'bench-watch-%s' % run, 'expiry_interval': 0},
            'notifier': {'topic': 'bench-actions-%s' % run},
            'api': {'bind_host': '127.0.0.1', 'bind_port': api_port,
                    'auth_strategy': 'noauth'},
            'credentials': {'encryption_key_file': os.path.join(workdir, 'credential.key')},
        }))
    processes: list[Process] = []
    driver = None
    try:
        argv = ['--config-file', conf_path]
        subprocess.run([os.path.join(BIN, 'heat-watch-manage'), *argv, 'db_sync'],
                       check=True, capture_output=True)
        subprocess.run([os.path.join(BIN, 'heat-watch-manage'), *argv, 'credentials',
                        'create', '--project-id', 'bench'], check=True, capture_output=True)
        for script in ('heat-watch-engine', 'heat-watch-orchestrator', 'heat-watch-api'):
            processes.append(Process(script, [os.path.join(BIN, script), *argv], workdir))
        processes[0].wait_for('listening on topic')
        processes[1].wait_for('listening on topic')
        processes[2].wait_for('serving on http://127.0.0.1:%d' % api_port)
        if args.heat_watch_mode == 'rpc':
            driver = RpcDriver(url, topic)
        else:
            driver = HeatClientDriver('heat_watch', 'http://127.0.0.1:%d/v1/bench' % api_port,
                                      headers={'X-Project-Id': 'bench', 'X-User-Id': 'bench'})
        driver.pids = [p.popen.pid for p in processes]
        yield driver
    finally:
        if isinstance(driver, RpcDriver):
            driver.close()
        for process in reversed(processes):
            process.stop()
        for database in (watch_db, orch_db):
            database.drop()
        drop_vhost(vhost)


# -- Heat ------------------------------------------------------------------------


def ensure_heat_venv() -> None:
    """Make .heat-venv with openstack-heat and PyMySQL unless it exists."""
    if os.path.exists(os.path.join(HEAT_VENV, 'bin', 'heat-engine')):
        return
    log('making the Heat virtualenv under %s (once)' % HEAT_VENV)
    subprocess.run([sys.executable, '-m', 'venv', HEAT_VENV], check=True)
    subprocess.run([os.path.join(HEAT_VENV, 'bin', 'pip'), 'install', '-q', *HEAT_PACKAGES],
                   check=True)


def heat_version() -> str:
    done = subprocess.run([os.path.join(HEAT_VENV, 'bin', 'python'), '-c',
                           'import importlib.metadata as m; print(m.version("openstack-heat"))'],
                          capture_output=True, text=True)
    return done.stdout.strip() or done.stderr.strip()[-200:]


@contextlib.contextmanager
def heat_side(args, workdir: str):
    """Keystone, heat-engine and heat-api; yields the heatclient driver."""
    ensure_heat_venv()
    keystone_server.ensure_venv(log)
    run = uuid.uuid4().hex[:8]
    vhost = '%s-heat-%s' % (args.prefix, run)
    url = rabbit_vhost(vhost)
    heat_db = Database(args.database, '%s_heat_%s' % (args.prefix, run), workdir)
    keystone = keystone_server.Keystone(os.path.join(workdir, 'keystone'))
    os.makedirs(keystone.workdir)
    keystone.start()
    processes: list[Process] = []
    try:
        service = keystone.account('heat-%s' % run, 'service-%s' % run, role='admin')
        user = keystone.account('bench-%s' % run, 'bench-%s' % run, role='member')
        api_port = base.free_port()
        endpoint = 'http://127.0.0.1:%d/v1' % api_port
        keystone.register_endpoint('orchestration', endpoint + '/%(tenant_id)s')
        auth = textwrap.dedent('''\
            auth_type = password
            auth_url = {url}
            username = {user}
            password = {password}
            user_domain_id = default
            ''').format(url=keystone.url, user=service.user_name, password=service.password)
        conf_path = os.path.join(workdir, 'heat.conf')
        with open(conf_path, 'w') as conf_file:
            conf_file.write(textwrap.dedent('''\
                [DEFAULT]
                transport_url = {transport}
                max_resources_per_stack = 2000
                region_name_for_services = {region}
                heat_metadata_server_url = http://127.0.0.1:{port}
                heat_waitcondition_server_url = http://127.0.0.1:{port}/v1/waitcondition
                default_log_levels = heat=WARN,amqp=WARN,oslo.messaging=WARN,keystonemiddleware=WARN
                [paste_deploy]
                api_paste_config = {paste}
                [database]
                connection = {db}
                [keystone_authtoken]
                www_authenticate_uri = {url}
                {auth}project_name = {project}
                project_domain_id = default
                [trustee]
                {auth}
                [clients_keystone]
                auth_uri = {keystone_root}
                [oslo_policy]
                enforce_new_defaults = true
                ''').format(transport=url, region=keystone_server.REGION, port=api_port,
                            db=heat_db.url(), url=keystone.url,
                            paste=os.path.join(HEAT_VENV, 'etc', 'heat', 'api-paste.ini'),
                            keystone_root=keystone.url[:-3],
                            auth=auth.replace('\n', '\n'), project=service.project_name))
        heat_bin = os.path.join(HEAT_VENV, 'bin')
        subprocess.run([os.path.join(heat_bin, 'heat-manage'), '--config-file', conf_path,
                        'db_sync'], check=True, capture_output=True)
        processes.append(Process('heat-engine', [os.path.join(heat_bin, 'heat-engine'),
                                                 '--config-file', conf_path], workdir))
        processes.append(Process('heat-api', [os.path.join(heat_bin, 'python'), '-c',
                                              HEAT_API_SERVER, str(api_port),
                                              '--config-file', conf_path], workdir))
        processes[1].wait_for('heat-api serving')
        time.sleep(3)  # heat-engine's workers join the topic
        token = keystone.account_token(user)
        driver = HeatClientDriver('heat', '%s/%s' % (endpoint, user.project_id), token=token)
        # heat-engine (and the workers it forks), heat-api and Keystone.
        driver.pids = [p.popen.pid for p in processes] + [keystone._process.pid]
        yield driver
    finally:
        for process in reversed(processes):
            process.stop()
        keystone.stop()
        heat_db.drop()
        drop_vhost(vhost)


# -- the run ---------------------------------------------------------------------


def lines(args) -> list[tuple[str, int, int]]:
    """(kind, resources, runs) of each line."""
    sizes = [int(s) for s in args.sizes.split(',')]
    found = [('test', n, args.runs if n < 1000 else args.large_runs) for n in sizes]
    if not args.no_servers:
        found += [('server', n, args.runs if n < 1000 else args.large_runs) for n in sizes]
    return found


SIDES = (('heat_watch', 'heat_watch_side'), ('heat', 'heat_side'))
NOT_RUN_SERVERS = ('Heat creates OS::Nova::Server through Nova and Glance; none runs here '
                   '(heat_watch uses its fake driver)')


def _add(into: dict, measured: dict) -> None:
    for key, values in measured.items():
        into.setdefault(key, []).extend(values)


# Before each run, the sides' server processes are given up to QUIET_MAX
# seconds to finish what the previous run left them (Heat's engine goes on
# after a stack reads DELETE_COMPLETE, e.g. deleting the stack's trust
# through Keystone): a run starts once they used under QUIET_CPU of a core
# over QUIET_WINDOW seconds (the
# CPU times tick in 10 ms steps), so that neither side is charged for the
# other's leftovers.
QUIET_WINDOW = 0.25
QUIET_CPU = 0.08
QUIET_MAX = 5.0


def wait_until_quiet(drivers: dict[str, Driver], longest: float = QUIET_MAX) -> float:
    """Wait until every side's servers are (nearly) idle, at most
    ``longest`` seconds (0: not at all); seconds waited."""
    pids = [pid for driver in drivers.values() for pid in driver.pids]
    started = time.monotonic()
    if longest <= 0:
        return 0.0
    while time.monotonic() - started < longest:
        before = cpu_seconds(pids)
        time.sleep(QUIET_WINDOW)
        if cpu_seconds(pids) - before < QUIET_CPU * QUIET_WINDOW:
            break
    else:
        log('the servers were still busy after %.0f s; running anyway' % longest)
    return time.monotonic() - started


def run_line(drivers: dict[str, Driver], kind: str, count: int, runs: int, args,
             results: dict) -> None:
    """One line, its runs alternating between the sides (A, B, A, B...), so
    that both see the same machine; each side's figures go to ``results``."""
    key = '%s/%d' % (kind, count)
    sides = [name for name in drivers if not (kind == 'server' and name == 'heat')]
    if kind == 'server' and 'heat' in drivers:
        results['heat'][key] = {'not_run': NOT_RUN_SERVERS}
    body = template(kind, count)
    for name in sides:
        results[name][key] = {'load_average': []}
    for run in range(runs):
        for name in sides:
            line = results[name][key]
            if 'error' in line:
                continue
            log('%s: %s, run %d of %d' % (name, key, run + 1, runs))
            line.setdefault('quiet_wait', []).append(wait_until_quiet(drivers, args.quiet_max))
            line['load_average'].append(load_average())
            try:
                _add(line, measure(drivers[name], body, 1, args.timeout))
            except Exception as error:  # recorded: the other lines still run
                log('%s: %s failed: %s' % (name, key, error))
                line['error'] = str(error)[:2000]
    for name in sides:
        line = results[name][key]
        if line.get('create'):
            log('%s: %s create p50 %.3f s (cpu %.3f s), delete p50 %.3f s (cpu %.3f s), '
                'load average %s' % (
                    name, key, percentile(line['create'], 0.5),
                    percentile(line['create_cpu'], 0.5), percentile(line['delete'], 0.5),
                    percentile(line['delete_cpu'], 0.5),
                    ' '.join('%.1f' % v for v in line['load_average'])))


def run_all(args, workdir: str, found: dict) -> None:
    """Start the sides asked for, warm each up, then run every line."""
    with contextlib.ExitStack() as stack:
        drivers: dict[str, Driver] = {}
        for name, side in SIDES:
            if args.only not in (None, name):
                continue
            found[name] = {}
            os.makedirs(os.path.join(workdir, name))
            try:
                drivers[name] = stack.enter_context(
                    globals()[side](args, os.path.join(workdir, name)))
                measure(drivers[name], template('test', 1), 1, args.timeout)  # warm-up
            except Exception as error:
                log('%s could not run: %s' % (name, error))
                found[name]['error'] = str(error)[-3000:]
                drivers.pop(name, None)
        for kind, count, runs in lines(args):
            run_line(drivers, kind, count, runs, args, found)


def _cells(values: list[float] | None, digits: int = 3) -> list[str]:
    if not values:
        return ['%9s' % '-'] * 2
    return ['%9.*f' % (digits, percentile(values, 0.5)),
            '%9.*f' % (digits, percentile(values, 0.95))]


def _ratio(hw: list[float] | None, heat: list[float] | None) -> str:
    if not hw or not heat or not percentile(hw, 0.5):
        return '%7s' % '-'
    return '%6.1fx' % (percentile(heat, 0.5) / percentile(hw, 0.5))


def report(found: dict, args) -> str:
    """The table: seconds and the servers' CPU seconds, p50 and p95."""
    rows = ['%-12s %-6s %9s %9s %9s %9s %7s %9s %9s %9s %9s %7s' % (
        'line', 'op', 'hw p50', 'hw p95', 'heat p50', 'heat p95', 'ratio', 'hw cpu50',
        'hw cpu95', 'heat cpu50', 'heat cpu95', 'cpu x')]
    for kind, count, _runs in lines(args):
        key = '%s/%d' % (kind, count)
        for op in ('create', 'delete'):
            hw = found.get('heat_watch', {}).get(key, {})
            heat = found.get('heat', {}).get(key, {})
            rows.append('%-12s %-6s %s %s %s %s %s %s' % (
                key, op, ' '.join(_cells(hw.get(op))), ' '.join(_cells(heat.get(op))),
                _ratio(hw.get(op), heat.get(op)), ' '.join(_cells(hw.get(op + '_cpu'), 3)),
                ' '.join(_cells(heat.get(op + '_cpu'), 3)),
                _ratio(hw.get(op + '_cpu'), heat.get(op + '_cpu'))))
    return '\n'.join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', default='1,10,100,1000')
    parser.add_argument('--runs', type=int, default=5, help='runs of lines under 1,000')
    parser.add_argument('--large-runs', type=int, default=2, help='runs of 1,000 lines')
    parser.add_argument('--quick', action='store_true', help='sizes 1,10, 3 runs')
    parser.add_argument('--only', choices=['heat_watch', 'heat'])
    parser.add_argument('--no-servers', action='store_true')
    parser.add_argument('--database', choices=['mariadb', 'sqlite'], default='mariadb')
    parser.add_argument('--heat-watch-mode', choices=['rpc', 'http'], default='rpc',
                        help='drive heat_watch through its RPC client or python-heatclient '
                             'against heat-watch-api /v1')
    parser.add_argument('--timeout', type=float, default=1800)
    parser.add_argument('--quiet-max', type=float, default=QUIET_MAX,
                        help='longest wait, before each run, for both sides\' servers to '
                             'be idle (0: runs back to back)')
    parser.add_argument('--keep', action='store_true', help='keep the work directory')
    parser.add_argument('--prefix', default='bench',
                        help="start of the run's database and vhost names (letters, digits, _)")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C: the finally blocks stop the processes and
    # drop the databases and vhosts.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.quick:
        args.sizes, args.runs = '1,10', 3
    workdir = tempfile.mkdtemp(prefix='bench-stacks-')
    found = {'setup': {'machine': platform.platform(), 'cpus': os.cpu_count(),
                       'python': platform.python_version(), 'database': args.database,
                       'heat_watch_mode': args.heat_watch_mode, 'workdir': workdir,
                       'started': datetime.datetime.now(datetime.UTC).isoformat()}}
    try:
        run_all(args, workdir, found)
        if args.only in (None, 'heat'):
            found['setup']['heat_version'] = heat_version()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, 'stacks-%s.json' % time.strftime('%Y%m%d-%H%M%S'))
    with open(path, 'w') as out:
        json.dump(found, out, indent=1)
    print(report(found, args))
    print('seconds per create/delete (create: until CREATE_COMPLETE; delete: until '
          'DELETE_COMPLETE) and CPU seconds of the side\'s server processes over the same '
          'time; ratios = heat p50 / heat_watch p50; all results (with load averages): '
          '%s' % path)
    failed = [k for side in ('heat_watch', 'heat') for k, v in found.get(side, {}).items()
              if k == 'error' or 'error' in v]
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
