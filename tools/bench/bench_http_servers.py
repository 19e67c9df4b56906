#!/usr/bin/env python3
"""HTTP servers side by side: heat_watch's tuned cheroot path against uwsgi,
gunicorn and granian serving the same WSGI application.

Usage (from the repository root; RabbitMQ on 127.0.0.1:5672 for ``multi``)::

    .venv/bin/python tools/bench/bench_http_servers.py                  # both modes, ~2 min
    .venv/bin/python tools/bench/bench_http_servers.py --mode embedded  # ~1 min
    .venv/bin/python tools/bench/bench_http_servers.py --servers cheroot,granian

Two deployments, each with every server:

``embedded``
    heat-watch-all's shape: one process holding the HTTP server, the
    CloudWatch API, the watch engine and the notifier (SQLite, in-process
    transport). cheroot is ``heat-watch-all`` itself; the others run
    ``embedded_app.py`` with one worker process.
(``cheroot-stock`` is cheroot's own WSGI server without heat_watch's
hand-written request path, ``stock_cheroot.py``, in both.)
``multi``
    The production shape: the API's workers talk over RabbitMQ to one
    ``heat-watch-engine`` (SQLite). cheroot is ``heat-watch-api-cloudwatch``
    (one process, threads); the others serve ``heat_watch.wsgi.api_cloudwatch``
    with ``--workers`` processes.

For each, PutMetricData at each ``--batches`` size from ``--clients``
closed-loop lean clients (see loadgen.py, leanclient.py) over a
``--duration`` window; psutil measures the CPU of the server's process tree
(and of the engine in ``multi``) over the same window. The figure to compare
is server CPU per request and per datapoint: throughput moves with whatever
else the machine runs. Results are printed and written as JSON to
tools/bench/results/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

import calibrate
import loadgen
import psutil
import servers
import workloads

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS_DIR = os.path.join(HERE, 'results')
RABBIT_URL = os.environ.get('HEAT_WATCH_BENCH_RABBIT_URL',
                            'rabbit://guest:guest@127.0.0.1:5672/')
# Fixed names: a rerun reuses the queues instead of leaving new ones behind.
ENGINE_TOPIC = 'bench_http_servers_engine'
NOTIFIER_TOPIC = 'bench_http_servers_actions'
ALL_SERVERS = ('cheroot', 'cheroot-stock', 'uwsgi', 'gunicorn', 'granian')
THREADS = 32  # per process, as [cloudwatch_api] threads


def _write_config(path: str, state: str, port: int, multi: bool) -> None:
    sections = {
        'DEFAULT': {'state_path': state,
                    'transport_url': RABBIT_URL if multi else 'inprocess://'},
        'cloudwatch_api': {'bind_host': '127.0.0.1', 'bind_port': port, 'threads': THREADS},
        'watch_engine': {'expiry_interval': 0, 'topic': ENGINE_TOPIC},
        'notifier': {'topic': NOTIFIER_TOPIC},
    }
    with open(path, 'w') as conf:
        for name, options in sections.items():
            conf.write('[%s]\n' % name)
            conf.writelines('%s = %s\n' % item for item in options.items())
            conf.write('\n')


def _manage(config: str, *args: str) -> str:
    done = subprocess.run([servers._tool('heat-watch-manage'), '--config-file', config, *args],
                          check=True, capture_output=True, text=True)
    return done.stdout


class Deployment:
    """A state directory and configuration, migrated, with one key pair."""

    def __init__(self, workdir: str, multi: bool):
        os.makedirs(workdir, exist_ok=True)
        self.workdir = workdir
        self.multi = multi
        self.port = servers.free_port()
        self.config = os.path.join(workdir, 'heat_watch.conf')
        _write_config(self.config, os.path.join(workdir, 'state'), self.port, multi)
        _manage(self.config, 'db_sync')
        created = json.loads(_manage(self.config, 'credentials', 'create', '--project-id',
                                     'bench').strip().splitlines()[-1])
        self.access, self.secret = created['access'], created['secret']


class HTTPServer(servers.Server):
    """One server of the comparison, on a prepared :class:`Deployment`."""

    def __init__(self, kind: str, deployment: Deployment, workers: int):
        super().__init__(os.path.join(deployment.workdir, kind))
        self.name = kind
        self.kind = kind
        self.deployment = deployment
        self.port = deployment.port
        # heat_watch's cheroot path and stock cheroot: one process, threads.
        self.workers = workers if deployment.multi and 'cheroot' not in kind else 1
        self.access, self.secret = deployment.access, deployment.secret
        self.log_path = os.path.join(self.workdir, '%s.log' % kind)

    @property
    def endpoint(self) -> str:
        return 'http://127.0.0.1:%d/v1' % self.port

    def start(self) -> None:
        os.environ['HEAT_WATCH_CONFIG_FILES'] = self.deployment.config
        # HEAT_WATCH_BENCH_PYTHONPATH: measure another checkout's heat_watch
        # (e.g. the commit before a change) with this virtualenv.
        os.environ['PYTHONPATH'] = os.pathsep.join(
            filter(None, (os.environ.get('HEAT_WATCH_BENCH_PYTHONPATH'), HERE)))
        super().start()

    def stop(self, grace: float = 30.0) -> int | None:
        """Stop the server, then any worker that outlived it."""
        try:
            workers = psutil.Process(self.proc.pid).children(recursive=True) if self.proc else []
        except psutil.NoSuchProcess:
            workers = []
        status = super().stop(grace)
        _, alive = psutil.wait_procs(workers, timeout=5)
        for worker in alive:
            worker.kill()
        return status

    def command(self) -> list[str]:
        config = self.deployment.config
        if self.kind == 'cheroot':
            script = 'heat-watch-api-cloudwatch' if self.deployment.multi else 'heat-watch-all'
            return [servers._tool(script), '--config-file', config]
        module = ('heat_watch.wsgi.api_cloudwatch' if self.deployment.multi
                  else 'embedded_app') + ':application'
        bind = '127.0.0.1:%d' % self.port
        threads = str(THREADS // self.workers)
        if self.kind == 'cheroot-stock':
            return [sys.executable, os.path.join(HERE, 'stock_cheroot.py'), module,
                    str(self.port), threads]
        if self.kind == 'uwsgi':
            return [servers._tool('uwsgi'), '--http11-socket', bind, '--master', '--processes',
                    str(self.workers), '--threads', threads, '--die-on-term', '--need-app',
                    '--disable-logging', '--module', module]
        if self.kind == 'gunicorn':
            return [servers._tool('gunicorn'), '--bind', bind, '--workers', str(self.workers),
                    '--threads', threads, '--worker-class', 'gthread', module]
        return [servers._tool('granian'), '--interface', 'wsgi', '--host', '127.0.0.1',
                '--port', str(self.port), '--workers', str(self.workers),
                '--blocking-threads', threads, module]


class Engine(servers.Server):
    """heat-watch-engine of the ``multi`` deployment (its CPU is reported apart)."""

    name = 'engine'

    def __init__(self, deployment: Deployment):
        super().__init__(os.path.join(deployment.workdir, 'engine'))
        self.deployment = deployment

    def command(self) -> list[str]:
        return [servers._tool('heat-watch-engine'), '--config-file', self.deployment.config]

    def start(self) -> None:
        os.makedirs(self.workdir, exist_ok=True)
        with open(self.log_path, 'ab') as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.workdir)
        servers.RUNNING.append(self)
        deadline = time.monotonic() + servers.READY_TIMEOUT
        while time.monotonic() < deadline:
            with open(self.log_path, errors='replace') as log:
                if 'listening on topic' in log.read():
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError('heat-watch-engine did not start (see %s)' % self.log_path)


def put_run(server: HTTPServer, engine: Engine | None, batch: int, args) -> dict:
    """Closed-loop PutMetricData for one window; that window's figures."""
    bodies = workloads.put_bodies(batch, time.time())
    start = time.monotonic() + args.warmup
    window = loadgen.Window(start, start + args.duration)
    join = loadgen.start_clients('thread', lambda: server.client(30.0), bodies, args.clients,
                                 window)
    loadgen.sleep_until(window.t0)
    before = (server.cpu_seconds(), engine.cpu_seconds() if engine else 0.0, _busy())
    loadgen.sleep_until(window.t1)
    after = (server.cpu_seconds(), engine.cpu_seconds() if engine else 0.0, _busy())
    total = loadgen.ClientResult()
    for result in join(40.0):
        total.merge(result)
    server_cpu, engine_cpu, busy = (a - b for a, b in zip(after, before, strict=True))
    per_request = 1e3 / total.ok if total.ok else float('nan')
    return {
        'server': server.kind, 'mode': 'multi' if engine else 'embedded',
        'workers': server.workers, 'batch': batch, 'clients': args.clients,
        'window_s': args.duration, 'requests_ok': total.ok, 'errors': total.errors,
        'error_samples': total.error_samples,
        'requests_per_s': total.ok / args.duration,
        'datapoints_per_s': total.datums / args.duration,
        'latency_p50_ms': loadgen.percentile(total.latencies, 50) * 1e3,
        'server_cpu_ms_per_request': server_cpu * per_request,
        'server_cpu_us_per_datapoint': (server_cpu * 1e6 / total.datums
                                        if total.datums else float('nan')),
        'engine_cpu_ms_per_request': engine_cpu * per_request if engine else None,
        'machine_busy_cores': busy / args.duration,
    }


def _busy() -> float:
    times = psutil.cpu_times()
    return times.user + times.system + getattr(times, 'softirq', 0.0)


def run_mode(mode: str, args, workdir: str) -> list[dict]:
    """Every server of ``args.servers`` in one deployment shape."""
    multi = mode == 'multi'
    figures = []
    for kind in args.servers:
        deployment = Deployment(os.path.join(workdir, '%s-%s' % (mode, kind)), multi)
        engine = Engine(deployment) if multi else None
        server = HTTPServer(kind, deployment, args.workers)
        try:
            if engine:
                engine.start()
            server.start()
            for batch in args.batches:
                figures.append(put_run(server, engine, batch, args))
                print(_line(figures[-1]), flush=True)
        finally:
            server.stop()
            if engine:
                engine.stop()
    return figures


def _line(fig: dict) -> str:
    engine = ('  engine %6.2f ms/req' % fig['engine_cpu_ms_per_request']
              if fig['engine_cpu_ms_per_request'] is not None else '')
    return ('%-8s %-13s w%d batch %4d: %8.0f dp/s %7.0f req/s  server %6.3f ms/req '
            '%7.2f us/dp  p50 %6.1f ms%s  errors %d  machine %.2f cores' % (
                fig['mode'], fig['server'], fig['workers'], fig['batch'],
                fig['datapoints_per_s'], fig['requests_per_s'],
                fig['server_cpu_ms_per_request'], fig['server_cpu_us_per_datapoint'],
                fig['latency_p50_ms'], engine, fig['errors'], fig['machine_busy_cores']))


def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--mode', choices=('embedded', 'multi', 'both'), default='both')
    parser.add_argument('--servers', default=','.join(ALL_SERVERS),
                        help='comma-separated, of %s' % ', '.join(ALL_SERVERS))
    parser.add_argument('--batches', default='1,1000')
    parser.add_argument('--clients', type=int, default=4)
    parser.add_argument('--workers', type=int, default=2,
                        help='worker processes of uwsgi/gunicorn/granian in multi mode')
    parser.add_argument('--duration', type=float, default=5.0)
    parser.add_argument('--warmup', type=float, default=1.5)
    args = parser.parse_args(argv)
    args.servers = [name for name in args.servers.split(',') if name]
    unknown = set(args.servers) - set(ALL_SERVERS)
    if unknown:
        parser.error('unknown servers: %s' % ', '.join(sorted(unknown)))
    args.batches = [int(value) for value in args.batches.split(',')]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    modes = ['embedded', 'multi'] if args.mode == 'both' else [args.mode]
    speed_before = calibrate.machine_speed()
    print(calibrate.describe(speed_before), flush=True)
    figures = []
    with tempfile.TemporaryDirectory(prefix='bench-http-') as workdir:
        for mode in modes:
            figures += run_mode(mode, args, workdir)
    speed_after = calibrate.machine_speed()
    print(calibrate.describe(speed_after), flush=True)
    os.makedirs(RESULTS_DIR, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime('%Y%m%dT%H%M%SZ')
    path = os.path.join(RESULTS_DIR, 'http-servers-%s.json' % stamp)
    with open(path, 'w') as out:
        json.dump({'settings': {k: v for k, v in vars(args).items()},
                   'machine_speed': [speed_before, speed_after],
                   'load_average': os.getloadavg(), 'figures': figures}, out, indent=2)
    print('written to %s' % path)
    return 1 if any(fig['errors'] for fig in figures) else 0


if __name__ == '__main__':
    sys.exit(main())
