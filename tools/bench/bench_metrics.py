#!/usr/bin/env python3
"""Benchmark of the metric path: heat-watch-all against moto's server, same run.

Usage (from the repository root):

    .venv/bin/python tools/bench/bench_metrics.py            # full run (~7 min)
    .venv/bin/python tools/bench/bench_metrics.py --quick    # smoke test (~1 min)
    .venv/bin/python tools/bench/bench_metrics.py --profile  # + cProfile of batch 1000

Both servers run as subprocesses on loopback, started and stopped here. The
load comes from a lean client (see leanclient.py): bodies serialised once by
botocore's JSON serializer, a fresh SigV4 signature per request, kept-alive
connections. Every line runs against heat_watch and then against moto.
Results are printed as a table and written as JSON to tools/bench/results/.
See README.rst for what is measured and how to read it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import calibrate
import leanclient
import loadgen
import psutil
import report
import servers
import workloads

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS_DIR = os.path.join(HERE, 'results')


@dataclasses.dataclass
class Settings:
    """What one invocation measures."""

    batches: list[int]
    clients: list[int]
    duration: float
    warmup: float
    query_calls: int
    list_calls: int
    query_budget: float
    client_mode: str
    timeout: float
    profile: bool
    profile_duration: float
    profile_clients: int
    profile_batch: int
    keep_state: bool
    backends: list[str]
    reads: bool


def parse_args(argv: list[str] | None = None) -> Settings:
    """Command line -> :class:`Settings` (``--quick`` changes the defaults)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='smoke test: batches 1 and 1000, 4 clients, 2 s runs')
    parser.add_argument('--batches', type=_int_list, help='datums per request (1,20,1000)')
    parser.add_argument('--clients', type=_int_list, help='concurrent clients (1,4,16)')
    parser.add_argument('--duration', type=float, help='measured seconds per run (8)')
    parser.add_argument('--warmup', type=float, help='unmeasured seconds before each run (1)')
    parser.add_argument('--query-calls', type=int, help='GetMetricStatistics calls (200)')
    parser.add_argument('--list-calls', type=int, help='ListMetrics calls (100)')
    parser.add_argument('--query-budget', type=float,
                        help='seconds one query may take in all, per server (30)')
    parser.add_argument('--client-mode', choices=('thread', 'process'), default='thread',
                        help='clients as threads of this process, or one process each')
    parser.add_argument('--timeout', type=float, default=60.0,
                        help='socket timeout of one request, seconds (60)')
    parser.add_argument('--profile', action='store_true',
                        help='then profile heat-watch-all (cProfile, all threads)')
    parser.add_argument('--profile-batch', type=int, default=1000,
                        help='datums per request of the profiled run (1000)')
    parser.add_argument('--profile-duration', type=float, default=10.0)
    parser.add_argument('--profile-clients', type=int, default=16)
    parser.add_argument('--only', choices=('heat_watch', 'moto'),
                        help='measure one server only (no ratios)')
    parser.add_argument('--no-reads', action='store_true',
                        help='skip the GetMetricStatistics/ListMetrics latency part')
    parser.add_argument('--keep-state', action='store_true',
                        help='keep the servers\' state directory and logs')
    args = parser.parse_args(argv)
    quick = args.quick
    return Settings(
        batches=args.batches or ([1, 1000] if quick else [1, 20, 1000]),
        clients=args.clients or ([4] if quick else [1, 4, 16]),
        duration=args.duration or (2.0 if quick else 8.0),
        warmup=args.warmup if args.warmup is not None else (0.5 if quick else 1.0),
        query_calls=args.query_calls or (20 if quick else 200),
        list_calls=args.list_calls or (20 if quick else 100),
        query_budget=args.query_budget or (5.0 if quick else 30.0),
        client_mode=args.client_mode, timeout=args.timeout, profile=args.profile,
        profile_duration=args.profile_duration, profile_clients=args.profile_clients,
        profile_batch=args.profile_batch,
        keep_state=args.keep_state,
        backends=[args.only] if args.only else ['heat_watch', 'moto'],
        reads=not args.no_reads)


def _int_list(text: str) -> list[int]:
    return [int(part) for part in text.split(',') if part.strip()]


# -- one throughput run ---------------------------------------------------------


def _busy_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine (all cores, all processes)."""
    times = psutil.cpu_times()
    return times.user + times.system + getattr(times, 'nice', 0.0) + \
        getattr(times, 'irq', 0.0) + getattr(times, 'softirq', 0.0)


def _cpu_snapshot(server: servers.Server) -> tuple[float, float, float]:
    """(server, generator, whole machine) busy CPU seconds so far.

    The generator is this process and its client processes: this process's
    tree minus the servers, which are its children too.
    """
    server_cpu = server.cpu_seconds()
    ours = servers.tree_cpu_seconds(os.getpid()) - sum(
        s.cpu_seconds() for s in servers.RUNNING)
    return server_cpu, ours, _busy_cpu_seconds()


def put_run(server: servers.Server, bodies: list[leanclient.Prepared], batch: int,
            clients: int, settings: Settings) -> dict:
    """Closed-loop PutMetricData load for a fixed window; the figures of that window."""
    start = time.monotonic() + settings.warmup + (0.5 if settings.client_mode == 'process'
                                                  else 0.05)
    window = loadgen.Window(start, start + settings.duration)
    join = loadgen.start_clients(
        settings.client_mode, lambda: server.client(settings.timeout), bodies, clients, window)
    loadgen.sleep_until(window.t0)
    before = _cpu_snapshot(server)
    loadgen.sleep_until(window.t1)
    after = _cpu_snapshot(server)
    total = loadgen.ClientResult()
    for result in join(settings.timeout + 10.0):
        total.merge(result)
    return _put_figures(server.name, batch, clients, settings.duration, total, before, after)


def _put_figures(backend: str, batch: int, clients: int, seconds: float,
                 total: loadgen.ClientResult, before: tuple, after: tuple) -> dict:
    server_cpu, gen_cpu, busy = (a - b for a, b in zip(after, before, strict=True))
    return {
        'backend': backend, 'batch': batch, 'clients': clients, 'window_s': seconds,
        'requests_ok': total.ok, 'errors': total.errors, 'error_samples': total.error_samples,
        'datapoints': total.datums,
        'datapoints_per_s': total.datums / seconds,
        'requests_per_s': total.ok / seconds,
        'latency_p50_ms': loadgen.percentile(total.latencies, 50) * 1e3,
        'latency_p95_ms': loadgen.percentile(total.latencies, 95) * 1e3,
        'server_cpu_s': server_cpu,
        'server_cores': server_cpu / seconds,
        'server_cpu_us_per_datapoint': _per(server_cpu * 1e6, total.datums),
        'server_cpu_ms_per_request': _per(server_cpu * 1e3, total.ok),
        'generator_cores': gen_cpu / seconds,
        'other_cores': max(0.0, busy - server_cpu - gen_cpu) / seconds,
        'requests_sent_total': total.sent_total, 'reconnects': total.reconnects,
    }


def _per(amount: float, count: int) -> float | None:
    return amount / count if count else None


# -- read latency ---------------------------------------------------------------


def load(server: servers.Server, bodies: list[leanclient.Prepared]) -> int:
    """Send ``bodies`` once each; the number of non-200 answers."""
    client = server.client()
    failures = 0
    for prepared in bodies:
        status, _ = client.call(prepared)
        failures += status != 200
    client.close()
    return failures


def latency_run(server: servers.Server, query: workloads.Query, calls: int,
                stamps: list[float], settings: Settings) -> dict:
    """Up to ``calls`` sequential calls of one query on one kept-alive connection.

    Bounded by time as well: no new call starts once ``settings.query_budget``
    seconds have passed (moto needs tens of seconds per GetMetricStatistics
    call). Every call is timed; the first answer is also checked.
    """
    client = server.client(settings.timeout)
    latencies, errors, summary, correct = [], 0, '', False
    cpu_before, deadline = server.cpu_seconds(), time.monotonic() + settings.query_budget
    while len(latencies) < calls and (not latencies or time.monotonic() < deadline):
        started = time.perf_counter()
        status, body = client.call(query.prepared)
        latencies.append(time.perf_counter() - started)
        errors += status != 200
        if len(latencies) == 1:
            summary, correct = _check_answer(query, status, body, stamps)
    cpu = server.cpu_seconds() - cpu_before
    client.close()
    return {'backend': server.name, 'query': query.name, 'calls': len(latencies),
            'calls_wanted': calls, 'errors': errors,
            'p50_ms': loadgen.percentile(latencies, 50) * 1e3,
            'p95_ms': loadgen.percentile(latencies, 95) * 1e3,
            'mean_ms': sum(latencies) / len(latencies) * 1e3,
            'server_cpu_ms_per_call': cpu / len(latencies) * 1e3,
            'answer': summary, 'answer_correct': correct}


def _check_answer(query: workloads.Query, status: int, body: bytes,
                  stamps: list[float]) -> tuple[str, bool]:
    if status != 200:
        return '%d %s' % (status, body[:200].decode('utf-8', 'replace')), False
    try:
        answer = json.loads(body)
    except ValueError:
        return 'not JSON: %r' % body[:100], False
    return workloads.describe_answer(query, answer, stamps)


# -- the whole benchmark ----------------------------------------------------------


def machine() -> dict:
    """The machine, the software and the checkout measured."""
    model = ''
    try:
        with open('/proc/cpuinfo') as info:
            model = next((line.split(':', 1)[1].strip() for line in info
                          if line.startswith('model name')), '')
    except OSError:
        pass
    return {'cpu_model': model, 'logical_cpus': psutil.cpu_count(),
            'memory_gb': round(psutil.virtual_memory().total / 2**30, 1),
            'kernel': platform.release(), 'python': platform.python_version(),
            'packages': _versions(), 'git': _git(),
            'load_average_at_start': os.getloadavg()}


def _versions() -> dict:
    from importlib import metadata
    found = {}
    for name in ('moto', 'botocore', 'boto3', 'cheroot', 'SQLAlchemy', 'oslo.messaging'):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _git() -> dict:
    def run(*args: str) -> str:
        try:
            return subprocess.run(['git', *args], cwd=servers.REPO, capture_output=True,
                                  text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ''
    return {'commit': run('rev-parse', '--short', 'HEAD'),
            'modified_files': len(run('status', '--porcelain').splitlines())}


def start_servers(settings: Settings, workdir: str) -> list[servers.Server]:
    """Start the servers under test (heat_watch first)."""
    started = []
    for name in settings.backends:
        server = (servers.HeatWatchServer if name == 'heat_watch' else servers.MotoServer)(
            os.path.join(workdir, name))
        server.start()
        leanclient.check_signer_against_botocore(leanclient.prepare('ListMetrics', {}),
                                                 server.endpoint)
        started.append(server)
        print('%s ready at %s (pid %d)' % (server.name, server.endpoint, server.proc.pid),
              flush=True)
    return started


def idle_cpu(running: list[servers.Server], seconds: float = 3.0) -> dict:
    """Cores each server burns while nobody talks to it."""
    before = {s.name: s.cpu_seconds() for s in running}
    time.sleep(seconds)
    return {s.name: (s.cpu_seconds() - before[s.name]) / seconds for s in running}


def read_phase(running: list[servers.Server], settings: Settings) -> dict:
    """Load the query data into every server, then time the read queries."""
    now = time.time()
    load_failures = {}
    for server in running:
        load_failures[server.name] = load(server, workloads.query_load_bodies(now)) + \
            load(server, workloads.list_load_bodies(now))
    stamps = workloads.query_timestamps(now)
    rows = []
    plan = [(q, settings.query_calls) for q in workloads.statistics_queries(time.time())] + \
        [(q, settings.list_calls) for q in workloads.list_queries()]
    for query, calls in plan:
        for server in running:
            rows.append(latency_run(server, query, calls, stamps, settings))
            print('  %-32s %-10s p50 %8.2f ms  p95 %8.2f ms  %s' % (
                query.name, server.name, rows[-1]['p50_ms'], rows[-1]['p95_ms'],
                rows[-1]['answer']), flush=True)
    return {'load_failures': load_failures, 'rows': rows}


def write_phase(running: list[servers.Server], settings: Settings) -> list[dict]:
    """Every (batch, clients) run, each against every server in turn."""
    rows = []
    for batch in settings.batches:
        for clients in settings.clients:
            bodies = workloads.put_bodies(batch, time.time())
            for server in running:
                rows.append(put_run(server, bodies, batch, clients, settings))
                print('  ' + report.put_progress(rows[-1]), flush=True)
    return rows


def profile_phase(settings: Settings, workdir: str) -> dict:
    """One run against a heat-watch-all profiled on every thread."""
    batch = settings.profile_batch
    pstats_path = os.path.join(RESULTS_DIR, 'profile-batch%d-%s.pstats' % (batch, _stamp()))
    server = servers.HeatWatchServer(os.path.join(workdir, 'profiled'), pstats_path)
    server.start()
    print('profiling heat-watch-all (pid %d)...' % server.proc.pid, flush=True)
    try:
        run = put_run(server, workloads.put_bodies(batch, time.time()), batch,
                      settings.profile_clients,
                      dataclasses.replace(settings, duration=settings.profile_duration))
    finally:
        server.stop(grace=120.0)
    text = report.profile_summary(pstats_path, 25)
    with open(pstats_path.replace('.pstats', '.txt'), 'w') as out:
        out.write(text)
    return {'run_under_profiler': run, 'pstats': pstats_path, 'summary': text}


def _stamp() -> str:
    return datetime.datetime.now().strftime('%Y%m%dT%H%M%S')


def run(settings: Settings) -> dict:
    """The whole benchmark; returns everything measured."""
    workdir = tempfile.mkdtemp(prefix='heat-watch-bench-')
    os.makedirs(RESULTS_DIR, exist_ok=True)
    results = {'started': datetime.datetime.now().isoformat(timespec='seconds'),
               'machine': machine(), 'settings': dataclasses.asdict(settings),
               'workdir': workdir, 'machine_speed_before': calibrate.machine_speed()}
    print(calibrate.describe(results['machine_speed_before']), flush=True)
    running = start_servers(settings, workdir)
    try:
        results['idle_server_cores'] = idle_cpu(running)
        if settings.reads:
            print('read latency (sequential, one kept-alive connection):', flush=True)
            results['reads'] = read_phase(running, settings)
        print('PutMetricData throughput (%s clients, %.0f s windows):'
              % (settings.client_mode, settings.duration), flush=True)
        results['puts'] = write_phase(running, settings)
        results['server_rss_mb'] = {s.name: round(s.rss_mb(), 1) for s in running}
    finally:
        results['exit_status'] = {s.name: s.stop() for s in running}
        results['server_log_problems'] = {s.name: s.log_problems() for s in running}
    results['machine_speed_after'] = calibrate.machine_speed()
    print(calibrate.describe(results['machine_speed_after']), flush=True)
    if settings.profile:
        results['profile'] = profile_phase(settings, workdir)
    if not settings.keep_state:
        subprocess.run(['rm', '-rf', workdir], check=False)
    return results


def main(argv: list[str] | None = None) -> int:
    """Run, print the tables, save the JSON; exit 1 when any request failed."""
    settings = parse_args(argv)
    results = run(settings)
    path = os.path.join(RESULTS_DIR, 'bench-metrics-%s.json' % _stamp())
    with open(path, 'w') as out:
        json.dump(results, out, indent=2, default=str)
    print()
    print(report.render(results))
    print('\nJSON results: %s' % os.path.relpath(path))
    return 1 if report.had_errors(results) else 0


if __name__ == '__main__':
    sys.exit(main())
