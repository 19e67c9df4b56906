#!/usr/bin/env python3
"""Benchmark of the deployments side by side: heat-watch-all, the daemons
over RabbitMQ on SQLite, PostgreSQL and MariaDB, and moto as the anchor.

Usage (from the repository root; RabbitMQ, PostgreSQL and MariaDB of the
machine, as the integration tests use them):

    .venv/bin/python tools/bench/bench_deployments.py           # every line (~15 min)
    .venv/bin/python tools/bench/bench_deployments.py --quick   # short runs, no scale curve

Each deployment is started here and stopped after its lines: the
multi-process ones get a RabbitMQ vhost and a database of their own,
``heat-watch-engine`` (1 or 2), ``heat-watch-notifier`` and the CloudWatch
API (the built-in server for 1 worker, uwsgi for more). The load comes from
the lean generator (leanclient.py: pre-serialised JSON PutMetricData, SigV4
per request, kept-alive connections).

CPU counts every process a request touches: the API workers, the engines,
the notifier, and the whole RabbitMQ (beam.smp and its children) and
database server (every postgres backend / mariadbd) of the machine, as the
delta over the measured window. The broker and database servers are shared
with whatever else runs on the machine, so their share is printed apart
(``broker``, ``db``); on a busy machine it includes other work.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import leanclient
import loadgen
import psutil
import report
import servers
import threadcpu
import workloads

sys.path.insert(0, servers.REPO)
from heat_watch.tests.integration import base  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS_DIR = os.path.join(HERE, 'results')
START_TIMEOUT = 120.0
EXTERNAL = {'broker': ('beam.smp', 'erl_child_setup', 'epmd', 'inet_gethost'),
            'db': ('postgres', 'mariadbd', 'mysqld')}


def _server_cpu(names: tuple[str, ...]) -> float:
    """CPU seconds so far of every process of the machine named in ``names``."""
    total = 0.0
    for proc in psutil.process_iter(['name']):
        if proc.info['name'] in names:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
    return total


class _SQLite(base.Backend):
    """The engines' database as a SQLite file of the deployment."""

    name = label = 'sqlite'

    def __init__(self, workdir: str):
        super().__init__()
        self.workdir = workdir

    def url(self, database: str) -> str:
        return 'sqlite:///%s' % os.path.join(self.workdir, database + '.sqlite')

    def create(self, database: str) -> None:
        """Nothing to create: the file comes with db_sync."""

    def drop(self, database: str) -> None:
        path = os.path.join(self.workdir, database + '.sqlite')
        for suffix in ('', '-wal', '-shm'):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)


class Embedded:
    """heat-watch-all or moto: one process (tools/bench/servers.py)."""

    def __init__(self, server: servers.Server, label: str):
        self.server = server
        self.label = label

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def start(self) -> None:
        self.server.start()

    def client(self, timeout: float) -> leanclient.LeanClient:
        return self.server.client(timeout)

    def cpu(self) -> dict[str, float]:
        return {'service': self.server.cpu_seconds(), 'broker': 0.0, 'db': 0.0}

    def processes(self) -> dict[str, list[int]]:
        """The server processes whose threads the per-stage split counts."""
        return {self.label: [self.server.proc.pid]} if self.server.proc else {}

    def stop(self) -> None:
        self.server.stop()


class MultiProcess:
    """API workers + engines + notifier over RabbitMQ (own vhost) on a
    database of its own."""

    def __init__(self, workdir: str, database: str, api_workers: int = 1, engines: int = 1,
                 profile: bool = False):
        self.label = 'mp-%s api=%d eng=%d' % (database, api_workers, engines)
        self.database = database
        self.api_workers = api_workers
        self.engines = engines
        self.vhost = 'hwbench_%s' % uuid.uuid4().hex[:10]
        backend = _SQLite(workdir) if database == 'sqlite' else base.BACKENDS[database]
        url = base.RABBIT_URL.rstrip('/') + '/' + self.vhost
        # With several engines, each API process keeps one coalesced RPC
        # under way per engine, as doc/source/benchmarks.rst advises.
        self.deployment = base.Deployment(
            backend, workdir, 'bench_%s' % database,
            extra={'DEFAULT': {'transport_url': url},
                   'watch_engine': {'coalesce_max_in_flight': engines}})
        self.uwsgi: subprocess.Popen | None = None
        self.access = self.secret = ''
        # cProfile of the API and the engine (profile_server.py), one file each.
        self.profiles = {name: os.path.join(workdir, '%s.pstats' % name)
                         for name in ('api', 'engine-1')} if profile else {}
        if profile:
            self.label += ' (profiled)'

    def _script(self, name: str, script: str, entry: str) -> str:
        """``script``, or a wrapper running it under profile_server.py."""
        if name not in self.profiles:
            return script
        path = os.path.join(self.deployment.workdir, 'profiled-%s' % name)
        with open(path, 'w') as wrapper:
            wrapper.write('#!/bin/sh\nexec %s %s %s --entry=%s "$@"\n' % (
                sys.executable, os.path.join(HERE, 'profile_server.py'), self.profiles[name],
                entry))
        os.chmod(path, 0o755)
        return path

    @property
    def endpoint(self) -> str:
        return self.deployment.endpoint

    def start(self) -> None:
        subprocess.run(['rabbitmqctl', '-q', 'add_vhost', self.vhost], check=True)
        subprocess.run(['rabbitmqctl', '-q', 'set_permissions', '-p', self.vhost, 'guest',
                        '.*', '.*', '.*'], check=True)
        dep = self.deployment
        dep.create_database()
        dep.write_config()
        dep.manage('db_sync')
        creds = dep.create_credentials('bench')
        self.access, self.secret = creds.access, creds.secret
        engines = [dep.spawn('engine-%d' % (i + 1), self._script(
            'engine-%d' % (i + 1), 'heat-watch-engine', 'heat_watch.cmd.engine:main'))
            for i in range(self.engines)]
        notifier = dep.start_notifier()
        if self.api_workers == 1:
            api = dep.spawn('api', self._script('api', 'heat-watch-api-cloudwatch',
                                                'heat_watch.cmd.api_cloudwatch:main'))
            dep.wait_api(api)
        else:
            self._start_uwsgi()
        # Several daemons importing at once on a busy machine take longer
        # than the tests' 30 s.
        for engine in engines:
            engine.wait_for_output(r'Watch engine \S+ listening on topic', START_TIMEOUT)
        notifier.wait_for_output(r'Notifier \S+ listening for alarm actions', START_TIMEOUT)

    def _start_uwsgi(self) -> None:
        dep = self.deployment
        env = dict(os.environ, HEAT_WATCH_CONFIG_FILES=dep.config_path)
        log = open(os.path.join(dep.workdir, 'uwsgi.log'), 'ab')
        self.uwsgi = subprocess.Popen(
            [os.path.join(base.BIN, 'uwsgi'), '--http11-socket', '127.0.0.1:%d' % dep.port,
             '--master', '--processes', str(self.api_workers), '--threads', '16',
             '--die-on-term', '--need-app', '--disable-logging', '--lazy-apps',
             '--module', 'heat_watch.wsgi.api_cloudwatch:application'],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        if not leanclient.wait_for_port('127.0.0.1', dep.port, 60):
            raise RuntimeError('uwsgi did not listen (see %s/uwsgi.log)' % dep.workdir)

    def client(self, timeout: float) -> leanclient.LeanClient:
        return leanclient.LeanClient(self.endpoint, leanclient.SigV4Signer(
            self.access, self.secret), timeout=timeout)

    def cpu(self) -> dict[str, float]:
        pids = [d.pid for d in self.deployment.daemons if d.alive()]
        if self.uwsgi is not None:
            pids.append(self.uwsgi.pid)
        # SQLite is a file of the engines: no database server to count.
        db = _server_cpu(EXTERNAL['db']) if self.database != 'sqlite' else 0.0
        return {'service': sum(servers.tree_cpu_seconds(pid) for pid in pids),
                'broker': _server_cpu(EXTERNAL['broker']), 'db': db}

    def processes(self) -> dict[str, list[int]]:
        """The API (every uwsgi worker), engine and notifier processes."""
        named: dict[str, list[int]] = {}
        for daemon in self.deployment.daemons:
            if daemon.alive():
                named.setdefault(daemon.name, []).append(daemon.pid)
        if self.uwsgi is not None:
            try:
                workers = psutil.Process(self.uwsgi.pid).children()
            except psutil.Error:
                workers = []
            named['api'] = [worker.pid for worker in workers]
        return named

    def stop(self) -> None:
        if self.uwsgi is not None:
            self.uwsgi.terminate()
            try:
                self.uwsgi.wait(30)
            except subprocess.TimeoutExpired:
                self.uwsgi.kill()
        self.deployment.teardown()
        subprocess.run(['rabbitmqctl', '-q', 'delete_vhost', self.vhost], check=False)


# -- the lines ----------------------------------------------------------------------


def put_line(target, bodies: list[leanclient.Prepared], batch: int, clients: int,
             settings: argparse.Namespace) -> dict:
    """Closed-loop PutMetricData for a fixed window: throughput and CPU split."""
    start = time.monotonic() + settings.warmup + 0.05
    window = loadgen.Window(start, start + settings.duration)
    join = loadgen.start_clients('thread', lambda: target.client(60.0), bodies, clients,
                                 window)
    loadgen.sleep_until(window.t0)
    processes = target.processes() if settings.stages else {}
    threads_before = {pid: threadcpu.snapshot(pid) for pids in processes.values()
                      for pid in pids}
    before = target.cpu()
    loadgen.sleep_until(window.t1)
    after = target.cpu()
    threads_after = {pid: threadcpu.snapshot(pid) for pid in threads_before}
    total = loadgen.ClientResult()
    for result in join(70.0):
        total.merge(result)
    cpu = {part: after[part] - before[part] for part in after}
    all_cpu = sum(cpu.values())
    return {'deployment': target.label, 'line': 'put', 'batch': batch, 'clients': clients,
            'requests_ok': total.ok, 'errors': total.errors,
            'error_samples': total.error_samples,
            'datapoints_per_s': total.datums / settings.duration,
            'window_s': settings.duration,
            'requests_per_s': total.ok / settings.duration,
            'cpu_s': cpu, 'cpu_all_s': all_cpu,
            'us_per_datapoint': all_cpu * 1e6 / total.datums if total.datums else None,
            'us_per_request': all_cpu * 1e6 / total.ok if total.ok else None,
            'latency_p95_ms': loadgen.percentile(total.latencies, 95) * 1e3,
            'stages': _stages(processes, threads_before, threads_after),
            # Other work on the machine moves every figure: kept beside each line.
            'loadavg_1m': round(os.getloadavg()[0], 2)}


def _stages(processes: dict[str, list[int]], before: dict[int, dict],
            after: dict[int, dict]) -> dict[str, list]:
    """CPU seconds per thread role of each process over the window."""
    stages = {}
    for name, pids in processes.items():
        roles: dict[str, float] = {}
        for pid in pids:
            names = threadcpu.thread_names(pid)
            for role, cpu in threadcpu.split(before.get(pid, {}), after.get(pid, {}), names):
                roles[role] = roles.get(role, 0.0) + cpu
        stages[name] = sorted(roles.items(), key=lambda item: -item[1])
    return stages


def _stages_text(row: dict) -> list[str]:
    batch = row['batch']
    per, unit = ((row['datapoints_per_s'] * row['window_s'], 'us/dp') if batch > 1
                 else (row['requests_ok'], 'us/req'))
    if not per or not row['stages']:  # --no-stages
        return []
    lines = [threadcpu.text(name, parts, per, unit) for name, parts in row['stages'].items()
             if name != 'notifier']
    lines.append('broker %.1f, db %.1f %s' % (row['cpu_s']['broker'] * 1e6 / per,
                                              row['cpu_s']['db'] * 1e6 / per, unit))
    return lines


def _read_bodies(now: float) -> dict[str, leanclient.Prepared]:
    end = datetime.datetime.fromtimestamp(now, datetime.UTC)
    return {
        'GetMetricStatistics': leanclient.prepare('GetMetricStatistics', {
            'Namespace': workloads.PUT_NAMESPACE, 'MetricName': workloads.METRIC_NAMES[0],
            'Dimensions': [{'Name': 'AutoScalingGroupName', 'Value': 'asg-0'},
                           {'Name': 'InstanceId', 'Value': 'i-0000be00'}],
            'StartTime': end - datetime.timedelta(minutes=10), 'EndTime': end,
            'Period': 60, 'Statistics': ['Average', 'Maximum', 'SampleCount']}),
        'ListMetrics': leanclient.prepare('ListMetrics', {
            'Namespace': workloads.PUT_NAMESPACE, 'MetricName': workloads.METRIC_NAMES[0]}),
        'DescribeAlarms': leanclient.prepare('DescribeAlarms', {'MaxRecords': 50}),
    }


def _call(client: leanclient.LeanClient, prepared: leanclient.Prepared) -> tuple[int, bytes]:
    """One call, retried on a dropped connection (status 0) twice."""
    for _ in range(3):
        status, body = client.call(prepared)
        if status != 0:
            break
        time.sleep(0.5)
    return status, body


def read_lines(target, calls: int) -> list[dict]:
    """p95 of ``calls`` sequential calls of each read, one kept-alive connection."""
    client = target.client(60.0)
    alarms = [leanclient.prepare('PutMetricAlarm', {
        'AlarmName': 'bench-%02d' % index, 'Namespace': workloads.PUT_NAMESPACE,
        'MetricName': workloads.METRIC_NAMES[index % len(workloads.METRIC_NAMES)],
        'Statistic': 'Average', 'Period': 60, 'EvaluationPeriods': 1, 'Threshold': 50.0,
        'ComparisonOperator': 'GreaterThanThreshold'}) for index in range(20)]
    for prepared in alarms:  # a few alarms to describe
        status, body = _call(client, prepared)
        if status != 200:
            raise RuntimeError('PutMetricAlarm: %s %r' % (status, body[:200]))
    reads = _read_bodies(time.time())
    rows = []
    for operation, prepared in reads.items():
        latencies, failures = [], 0
        for _ in range(calls):
            began = time.perf_counter()
            status, _body = _call(client, prepared)
            latencies.append(time.perf_counter() - began)
            failures += status != 200
        rows.append({'deployment': target.label, 'line': 'read', 'operation': operation,
                     'calls': calls, 'errors': failures,
                     'p50_ms': loadgen.percentile(latencies, 50) * 1e3,
                     'p95_ms': loadgen.percentile(latencies, 95) * 1e3})
    client.close()
    return rows


def measure(target, settings: argparse.Namespace, bodies: dict[int, list],
            scale_only: bool = False, read_calls: int | None = None) -> list[dict]:
    """Every line of one deployment, started and stopped here."""
    print('== %s' % target.label, flush=True)
    rows = []
    try:
        target.start()
    except (AssertionError, RuntimeError, subprocess.SubprocessError) as error:
        # On a loaded machine a daemon can miss its start timeout: the run
        # goes on with the other deployments and says which line is missing.
        print('   NOT MEASURED: %s did not start: %s' % (target.label,
                                                         str(error).splitlines()[0]),
              flush=True)
        target.stop()
        return [{'deployment': target.label, 'line': 'start', 'errors': 1,
                 'error': str(error)[:2000]}]
    try:
        lines = [(1000, 4), (1, 4), (1, 16)] if not scale_only else [(1000, 4), (1, 16)]
        for batch, clients in lines:
            row = put_line(target, bodies[batch], batch, clients, settings)
            print('   ' + _put_text(row), flush=True)
            for line in _stages_text(row):
                print('      ' + line, flush=True)
            rows.append(row)
        if settings.reads and not scale_only:
            for row in read_lines(target, read_calls or settings.read_calls):
                row['loadavg_1m'] = round(os.getloadavg()[0], 2)
                print('   %-20s p95 %7.2f ms (p50 %.2f, %d calls)  load %.2f' % (
                    row['operation'], row['p95_ms'], row['p50_ms'], row['calls'],
                    row['loadavg_1m']), flush=True)
                rows.append(row)
    finally:
        target.stop()
    return rows


def _put_text(row: dict) -> str:
    cpu = row['cpu_s']
    per = ('%6.2f us/dp' % row['us_per_datapoint'] if row['batch'] > 1 and
           row['us_per_datapoint'] else '%7.0f us/req' % (row['us_per_request'] or 0))
    return ('batch %4d x %2d clients: %9.0f dp/s %7.0f req/s  %s  (service %.2f, broker '
            '%.2f, db %.2f CPU s)  errors %d  load %.2f' % (
                row['batch'], row['clients'], row['datapoints_per_s'], row['requests_per_s'],
                per, cpu['service'], cpu['broker'], cpu['db'], row['errors'],
                row.get('loadavg_1m', 0.0)))


def summary(rows: list[dict]) -> list[str]:
    """Each multi-process line against heat-watch-all's, with the targets."""
    reference = {}
    for row in rows:
        if row['deployment'] == 'heat-watch-all':
            reference[_key(row)] = row
    out = ['', 'Against heat-watch-all (targets: put CPU <= 2.0x, reads p95 <= 1.5x):']
    for row in rows:
        ref = reference.get(_key(row))
        if row['line'] == 'start':
            out.append('  %-28s NOT MEASURED (did not start)' % row['deployment'])
            continue
        if ref is None or row is ref:
            continue
        if row['line'] == 'put':
            unit = 'us_per_datapoint' if row['batch'] > 1 else 'us_per_request'
            if not (row[unit] and ref[unit]):
                continue
            ratio = row[unit] / ref[unit]
            out.append('  %-28s batch %4d x %2d: %8.1f vs %8.1f %s = %.2fx %s' % (
                row['deployment'], row['batch'], row['clients'], row[unit], ref[unit],
                unit.replace('_', ' '), ratio, 'ok' if ratio <= 2.0 else 'MISSED'))
        else:
            ratio = row['p95_ms'] / ref['p95_ms'] if ref['p95_ms'] else 0.0
            out.append('  %-28s %-20s p95 %6.2f vs %6.2f ms = %.2fx %s' % (
                row['deployment'], row['operation'], row['p95_ms'], ref['p95_ms'], ratio,
                'ok' if ratio <= 1.5 else 'MISSED'))
    return out


def _key(row: dict) -> tuple:
    if row['line'] == 'start':
        return ('start',)
    if row['line'] == 'put':
        return ('put', row['batch'], row['clients'])
    return ('read', row['operation'])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true', help='2 s runs, no scale curve')
    parser.add_argument('--duration', type=float, help='measured seconds per line (6)')
    parser.add_argument('--warmup', type=float, default=1.0)
    parser.add_argument('--read-calls', type=int, default=100)
    # moto's ListMetrics scans every datapoint stored (about 20 s a call after
    # the put lines): 100 calls would take the run ~40 minutes.
    parser.add_argument('--moto-read-calls', type=int, default=5,
                        help="calls per read line for moto (5: its ListMetrics takes ~20 s)")
    parser.add_argument('--no-reads', dest='reads', action='store_false')
    parser.add_argument('--no-stages', dest='stages', action='store_false',
                        help="skip each put line's CPU per thread role of every process "
                             '(threadcpu.py; thread names need py-spy)')
    parser.add_argument('--no-scale', dest='scale', action='store_false')
    parser.add_argument('--profile', action='store_true',
                        help='then profile the API and engine of PostgreSQL (cProfile, '
                             'batch 1 x 16 and batch 1000 x 4) and print where CPU goes')
    parser.add_argument('--only', help='comma-separated labels among all, moto, sqlite, '
                                       'postgresql, mariadb')
    settings = parser.parse_args(argv)
    settings.duration = settings.duration or (2.0 if settings.quick else 6.0)
    if settings.quick:
        settings.scale, settings.read_calls = False, min(settings.read_calls, 30)
    return settings


def _stop_on_sigterm(signum, frame) -> None:
    raise SystemExit('stopped by signal %d' % signum)  # runs every stop() on the way out


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    settings = parse_args(argv)
    wanted = set((settings.only or 'all,moto,sqlite,postgresql,mariadb').split(','))
    now = time.time()
    bodies = {batch: workloads.put_bodies(batch, now) for batch in (1, 1000)}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix='hw-deployments-') as workdir:
        def place(name: str) -> str:
            path = os.path.join(workdir, name)
            os.makedirs(path)
            return path

        targets = []
        if 'all' in wanted:
            targets.append(Embedded(servers.HeatWatchServer(place('all')), 'heat-watch-all'))
        for database in ('sqlite', 'postgresql', 'mariadb'):
            if database in wanted:
                targets.append(MultiProcess(place('mp-' + database), database))
        for target in targets:
            rows += measure(target, settings, bodies)
        if settings.scale:
            for workers, engines in ((2, 1), (4, 1), (1, 2), (2, 2), (4, 2)):
                target = MultiProcess(place('scale-%d-%d' % (workers, engines)), 'postgresql',
                                      api_workers=workers, engines=engines)
                rows += measure(target, settings, bodies, scale_only=True)
        if settings.profile:
            target = MultiProcess(place('profiled'), 'postgresql', profile=True)
            rows += measure(target, settings, bodies, scale_only=True)
            for name, path in target.profiles.items():
                print('\n-- cProfile of %s (CPU time of every thread)' % name)
                print(report.profile_summary(path, top=18))
        if 'moto' in wanted:
            moto = Embedded(servers.MotoServer(place('moto')), 'moto')
            rows += measure(moto, settings, {1: bodies[1], 1000: bodies[1000][:4]},
                            read_calls=min(settings.moto_read_calls, settings.read_calls))
    lines = summary(rows)
    print('\n'.join(lines))
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, 'deployments-%s.json' % time.strftime('%Y%m%dT%H%M%S'))
    with open(path, 'w') as out:
        json.dump({'settings': vars(settings), 'rows': rows, 'cpus': os.cpu_count()}, out,
                  indent=1, default=str)
    print('results: %s' % path)
    return 1 if any(row.get('errors') for row in rows) else 0


if __name__ == '__main__':
    sys.exit(main())

