"""Alarm benchmarks: sweep time of one evaluator, breach-to-webhook latency.

Part 1 (sweep): N metric alarms on N metrics (each metric with three
datapoints in the last three complete minutes) are evaluated by ONE
:class:`heat_watch.watch.evaluator.AlarmEvaluator` on SQLite (and, with
``--postgres``, PostgreSQL). The data is built through the storage layer:
datapoints with ``MetricStore.write`` (three time-ordered passes, so rows of a
metric are scattered as live ingestion scatters them), alarms with
``AlarmStore.put`` for the smallest size and, above that, bulk-inserted with
SQLAlchemy core: the very columns and ConfigurationUpdate history rows that
``AlarmStore.put`` writes, but one executemany per 5,000 alarms. The first
sweep moves every alarm out of INSUFFICIENT_DATA; the second is the steady
state. One first sweep of the largest size is profiled with cProfile.

Part 2 (latency): ``heat-watch-all`` runs as a subprocess; boto3 creates
alarms (Period 10, EvaluationPeriods 1, > 50, AlarmActions and OKActions
pointing at an HTTP receiver inside this process); each transition puts one
datapoint timestamped in the last *complete* 10-second period and measures
the time until the POST arrives. See :func:`run_latency` for the design.

Usage::

    .venv/bin/python tools/bench/bench_alarms.py [--quick] [--postgres]

Results are printed as tables and written as JSON to tools/bench/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import datetime
import http.server
import io
import json
import os
import platform
import pstats
import queue
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator

import calibrate
import sqlalchemy as sa
from oslo_config import cfg
from oslo_log import log as oslo_log

from heat_watch import opts
from heat_watch.cloudwatch.actions import alarm_shapes
from heat_watch.common import config, ids
from heat_watch.watch import evaluator as evaluator_mod
from heat_watch.watch import model
from heat_watch.watch.storage import alarms as alarm_storage
from heat_watch.watch.storage import connection, records
from heat_watch.watch.storage import metrics as metric_storage

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS_DIR = os.path.join(HERE, 'results')
BIN = os.path.dirname(sys.executable)
NAMESPACE = 'Bench/Alarms'
ALARMS_PER_PROJECT = 100
POINTS_PER_METRIC = 3
WRITE_CHUNK = 5_000
PUT_LIMIT = 1_000
PG_ADMIN_URL = 'postgresql+psycopg2://postgres@127.0.0.1:5432/postgres'
PROFILE_TOP = 20
SWEEP_TARGET_S = 60.0
LATENCY_TARGET_S = 1.0


# -- part 1: the data -------------------------------------------------------


def build_conf(state_path: str, db_url: str | None = None) -> cfg.ConfigOpts:
    """A fresh configuration with the watch engine's options (as make_conf does)."""
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    oslo_log.register_options(conf)
    conf([], project=config.PROJECT, default_config_files=[])
    conf.set_override('state_path', state_path)
    if db_url:
        conf.set_override('connection', db_url, group=connection.GROUP)
    return conf


def project_of(i: int) -> str:
    """The project of alarm/metric ``i`` (ALARMS_PER_PROJECT alarms each)."""
    return 'bench-%05d' % (i // ALARMS_PER_PROJECT)


def dimensions_of(i: int) -> list[list[str]]:
    """Canonical dimensions of metric ``i``."""
    return [['InstanceId', 'i-%08d' % i]]


def is_percentile(i: int) -> bool:
    """3% of the alarms read p90 (their metrics carry raw value arrays)."""
    return i % 100 in (7, 42, 77)


def _base_value(rng: random.Random, i: int) -> tuple[float, float]:
    """(centre, spread) of metric ``i``: most are steady on one side of the
    threshold (50); 0.5% flap across it."""
    if i % 200 == 13:
        return 50.0, 30.0
    return (75.0 if rng.random() < 0.3 else 25.0), 10.0


def datum_of(rng: random.Random, i: int, stamp_ms: int, centre: float,
             spread: float) -> dict:
    """One wire-format datum of metric ``i`` (a value, or values for p90)."""
    datum = {'n': 'CPUUtilization', 'd': dimensions_of(i), 't': stamp_ms}
    if is_percentile(i):
        datum['vs'] = [round(rng.uniform(centre - spread, centre + spread), 2)
                       for _ in range(5)]
    else:
        datum['v'] = round(rng.uniform(centre - spread, centre + spread), 2)
    return datum


def point_stamps_ms(now_s: float) -> list[int]:
    """Datapoint times: the middle of each of the last POINTS_PER_METRIC
    complete minutes, oldest first."""
    end = int(now_s // 60) * 60
    return [(end - 60 * k + 30) * 1000 for k in range(POINTS_PER_METRIC, 0, -1)]


class Workload:
    """The ``n`` metrics of one case: each metric's value shape, and the
    minutes written so far (one datapoint per metric per minute)."""

    def __init__(self, n: int):
        self.n = n
        self.rng = random.Random(1234)
        self.shape = [_base_value(self.rng, i) for i in range(n)]
        self.written_ms = -1

    def top_up(self, store: metric_storage.MetricStore, now_s: float) -> int:
        """Write the last POINTS_PER_METRIC complete minutes not written yet,
        one pass per minute (time-ordered, as live ingestion writes them),
        so that a sweep sees fresh data however long the previous one took."""
        written = 0
        for stamp in point_stamps_ms(now_s):
            if stamp > self.written_ms:
                written += self._write_minute(store, stamp)
                self.written_ms = stamp
        return written

    def _write_minute(self, store: metric_storage.MetricStore, stamp: int) -> int:
        written = 0
        for lo in range(0, self.n, WRITE_CHUNK):
            requests: dict[str, list[dict]] = {}
            for i in range(lo, min(self.n, lo + WRITE_CHUNK)):
                requests.setdefault(project_of(i), []).append(
                    datum_of(self.rng, i, stamp, *self.shape[i]))
            store.write([(p, NAMESPACE, d) for p, d in requests.items()])
            written += sum(len(d) for d in requests.values())
        return written


def alarm_definition(i: int) -> dict:
    """A realistic mix of PutMetricAlarm definitions, deterministic in ``i``.

    Period 60 (95%) or 300 (5%); EvaluationPeriods 1-3; Average (~60%),
    Maximum (~37%) or p90 (3%); DatapointsToAlarm M < N on every 8th alarm
    with N > 1; TreatMissingData mostly missing; actions on 80%.
    """
    n = 1 + i % 3
    definition = {
        'AlarmName': 'cpu-high-%07d' % i, 'Namespace': NAMESPACE,
        'MetricName': 'CPUUtilization',
        'Dimensions': [{'Name': k, 'Value': v} for k, v in dimensions_of(i)],
        'Period': 300 if i % 20 == 19 else 60, 'EvaluationPeriods': n,
        'Threshold': 50.0, 'ComparisonOperator': 'GreaterThanThreshold',
        'TreatMissingData': ('missing', 'missing', 'missing', 'notBreaching',
                             'breaching', 'ignore')[i % 6] if i % 4 == 0 else 'missing',
        'ActionsEnabled': True,
    }
    if is_percentile(i):
        definition['ExtendedStatistic'] = 'p90'
    else:
        definition['Statistic'] = 'Maximum' if i % 8 in (1, 4, 6) else 'Average'
    if n > 1 and i % 8 == 5:
        definition['DatapointsToAlarm'] = n - 1
    if i % 5:
        definition['AlarmActions'] = ['https://hooks.example.com/scale-up/%d' % i]
        definition['OKActions'] = ['https://hooks.example.com/scale-down/%d' % i]
    return definition


def metric_key_of(i: int) -> str:
    """metric_key of metric ``i`` (what AlarmStore.put is given)."""
    return metric_storage.metric_key(project_of(i), NAMESPACE, 'CPUUtilization',
                                     dimensions_of(i))


def engine_definition(i: int) -> model.AlarmDefinition:
    """Alarm ``i`` as the engine takes it (what the CloudWatch API sends)."""
    return dataclasses.replace(alarm_shapes.definition(alarm_definition(i)),
                               project_id=project_of(i))


def alarm_rows(i: int, stamp: int) -> tuple[dict, dict, dict]:
    """The alarms, alarm_states and ConfigurationUpdate history rows AlarmStore.put writes."""
    definition = engine_definition(i)
    alarm = dict(records.columns_of(definition, metric_key_of(i)), id=ids.time_ordered_uuid(),
                 project_id=project_of(i), created_at=stamp, configuration_updated_at=stamp)
    state = {'alarm_id': alarm['id'], 'state': 'INSUFFICIENT_DATA',
             'state_reason': alarm_storage.INITIAL_REASON,
             'state_reason_data': alarm_storage.INITIAL_REASON_DATA,
             'state_updated_at': stamp, 'state_transitioned_at': stamp,
             'actions_run_at': None, 'version': 1}
    history = alarm_storage.history_item(
        alarm, 'ConfigurationUpdate', 'Alarm "%s" created' % alarm['name'],
        {'version': '1.0', 'type': 'Create', 'definition': dataclasses.replace(
            definition, id=alarm['id'], created_at=stamp, updated_at=stamp).to_wire()}, stamp)
    return alarm, state, history


def bulk_insert_alarms(engine: sa.Engine, n: int) -> None:
    """Insert ``n`` alarms (and their creation history) with executemany."""
    stamp = metric_storage.now_ms()
    for lo in range(0, n, WRITE_CHUNK):
        rows = [alarm_rows(i, stamp) for i in range(lo, min(n, lo + WRITE_CHUNK))]
        with engine.begin() as conn:
            conn.execute(sa.insert(alarm_storage.ALARMS), [a for a, _, _ in rows])
            conn.execute(sa.insert(alarm_storage.STATES), [s for _, s, _ in rows])
            conn.execute(sa.insert(alarm_storage.HISTORY), [h for _, _, h in rows])


def put_alarms(store: alarm_storage.AlarmStore, n: int) -> None:
    """Create ``n`` alarms one by one through AlarmStore.put (the product path)."""
    for i in range(n):
        store.put(engine_definition(i), metric_key_of(i))


def _timed(func, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = func(*args)
    return time.perf_counter() - started, result


# -- part 1: the sweep ------------------------------------------------------------


class CountingSender:
    """Stands in for the notifier hand-off: counts payloads per new state."""

    def __init__(self) -> None:
        self.sent: Counter = Counter()
        self._lock = threading.Lock()

    def send(self, ctxt, payload: dict) -> None:
        with self._lock:
            self.sent[payload['current']] += 1

    def take(self) -> dict[str, int]:
        """The counts since the last take."""
        with self._lock:
            counts, self.sent = dict(self.sent), Counter()
        return counts


def state_updates(engine: sa.Engine) -> int:
    """Number of StateUpdate history items (one per recorded transition)."""
    history = alarm_storage.HISTORY
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(history).where(
            history.c.item_type == 'StateUpdate')).scalar_one()


def state_counts(engine: sa.Engine) -> dict[str, int]:
    """Alarms per state."""
    states = alarm_storage.STATES
    with engine.connect() as conn:
        return {row.state: row.n for row in conn.execute(
            sa.select(states.c.state, sa.func.count().label('n')).group_by(states.c.state))}


def reset_states(engine: sa.Engine) -> None:
    """Put every alarm back in INSUFFICIENT_DATA (to profile a first sweep)."""
    states = alarm_storage.STATES
    with engine.begin() as conn:
        conn.execute(sa.update(states).values(
            state='INSUFFICIENT_DATA', state_reason=alarm_storage.INITIAL_REASON,
            state_reason_data=alarm_storage.INITIAL_REASON_DATA, version=states.c.version + 1))


@dataclasses.dataclass
class SweepRun:
    """One timed sweep."""

    seconds: float
    cpu_seconds: float
    alarms: int
    transitions: int
    payloads: dict[str, int]
    states_after: dict[str, int]

    @property
    def rate(self) -> float:
        """Alarms evaluated per second."""
        return self.alarms / self.seconds if self.seconds else 0.0


def sweep_and_publish(evaluator: evaluator_mod.AlarmEvaluator) -> int:
    """One sweep, then the publishing of the actions it recorded in the outbox
    (the outbox's thread does that in the engine; here both are timed)."""
    count = evaluator.sweep()
    while evaluator.outbox.send_pending():
        pass
    return count


def timed_sweep(evaluator: evaluator_mod.AlarmEvaluator, sender: CountingSender,
                engine: sa.Engine) -> SweepRun:
    """Run one sweep; its time, alarm count, transitions and payloads."""
    before = state_updates(engine)
    cpu = time.process_time()
    seconds, count = _timed(sweep_and_publish, evaluator)
    cpu = time.process_time() - cpu
    return SweepRun(seconds, cpu, count, state_updates(engine) - before, sender.take(),
                    state_counts(engine))


def profile_sweep(evaluator: evaluator_mod.AlarmEvaluator, sender: CountingSender,
                  engine: sa.Engine, path: str) -> dict:
    """Profile one sweep; save the stats and return the top functions."""
    profiler = cProfile.Profile()
    before = state_updates(engine)
    started = time.perf_counter()
    profiler.runcall(sweep_and_publish, evaluator)
    seconds = time.perf_counter() - started
    sender.take()
    profiler.dump_stats(path)
    return {'seconds_under_profiler': round(seconds, 2), 'pstats_file': path,
            'transitions': state_updates(engine) - before,
            'cumulative': top_functions(profiler, 'cumulative'),
            'tottime': top_functions(profiler, 'tottime')}


def top_functions(profiler: cProfile.Profile, key: str) -> list[dict]:
    """The PROFILE_TOP functions by ``key`` as dicts."""
    stats = pstats.Stats(profiler, stream=io.StringIO())
    stats.sort_stats(key)
    rows = []
    for func in stats.fcn_list[:PROFILE_TOP]:
        calls, primitive, tottime, cumtime, _callers = stats.stats[func]
        rows.append({'function': pstats.func_std_string(func), 'ncalls': calls,
                     'primitive_calls': primitive, 'tottime': round(tottime, 3),
                     'cumtime': round(cumtime, 3)})
    return rows


@contextlib.contextmanager
def database(backend: str, workdir: str) -> Iterator[tuple[cfg.ConfigOpts, str]]:
    """A fresh, migrated watch database: yields (conf, description)."""
    state_path = tempfile.mkdtemp(prefix='db-', dir=workdir)
    url, drop = None, None
    if backend == 'postgresql':
        url, drop = create_pg_database()
    conf = build_conf(state_path, url)
    try:
        connection.db_sync(conf)
        engine = connection.get_engine(conf)
        yield conf, engine.url.render_as_string(hide_password=True)
    finally:
        connection.dispose_engines()
        if drop:
            drop()
        shutil.rmtree(state_path, ignore_errors=True)


def create_pg_database() -> tuple[str, object]:
    """Create a fresh PostgreSQL database; (its URL, a function dropping it)."""
    name = 'heat_watch_bench_%d_%d' % (os.getpid(), int(time.time()))
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level='AUTOCOMMIT')
    with admin.connect() as conn:
        conn.execute(sa.text('CREATE DATABASE %s' % name))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text('DROP DATABASE IF EXISTS %s' % name))
        admin.dispose()

    return PG_ADMIN_URL.rsplit('/', 1)[0] + '/' + name, drop


def build_data(conf: cfg.ConfigOpts, workload: Workload) -> dict:
    """Datapoints and alarms of ``workload``; timings of each step."""
    engine = connection.get_engine(conf)
    n = workload.n
    points_s, points = _timed(workload.top_up, metric_storage.MetricStore(engine), time.time())
    if n <= PUT_LIMIT:
        method = 'AlarmStore.put (one by one)'
        alarms_s, _ = _timed(put_alarms, alarm_storage.AlarmStore(engine), n)
    else:
        method = 'bulk insert (SQLAlchemy core executemany, same columns as put)'
        alarms_s, _ = _timed(bulk_insert_alarms, engine, n)
    _analyze(engine)
    return {'datapoints': points, 'datapoints_seconds': round(points_s, 2),
            'alarm_insert': method, 'alarms_seconds': round(alarms_s, 2),
            'alarms_per_second_inserted': round(n / alarms_s) if alarms_s else None}


def _analyze(engine: sa.Engine) -> None:
    """Refresh planner statistics, as a long-running database would have them."""
    with engine.begin() as conn:
        conn.execute(sa.text('ANALYZE'))


def run_sweep_case(backend: str, n: int, workdir: str, profiles: tuple[str, ...]) -> dict:
    """Build ``n`` alarms on ``backend``, sweep twice, then profile the
    sweeps named in ``profiles`` ('steady': a third sweep; 'first': a sweep
    after every alarm was put back in INSUFFICIENT_DATA). Before each sweep
    after the first, the metrics get the minutes that passed meanwhile."""
    load = os.getloadavg()
    workload = Workload(n)
    with database(backend, workdir) as (conf, url):
        engine = connection.get_engine(conf)
        store = metric_storage.MetricStore(engine)
        built = build_data(conf, workload)
        sender = CountingSender()
        evaluator = evaluator_mod.AlarmEvaluator(conf, alarm_storage.AlarmStore(engine),
                                                 sender)
        first = timed_sweep(evaluator, sender, engine)
        topped_up = workload.top_up(store, time.time())
        second = timed_sweep(evaluator, sender, engine)
        result = {'backend': backend, 'url': url, 'alarms': n, 'build': built,
                  'batch_size': conf.watch_engine.evaluation_batch_size,
                  'loadavg_before': [round(x, 2) for x in load],
                  'loadavg_after': [round(x, 2) for x in os.getloadavg()],
                  'first_sweep': _sweep_json(first),
                  'second_sweep': dict(_sweep_json(second), datapoints_added_before=topped_up),
                  'profiles': {}}
        for kind in profiles:
            workload.top_up(store, time.time())
            if kind == 'first':
                reset_states(engine)
            os.makedirs(RESULTS_DIR, exist_ok=True)
            path = os.path.join(RESULTS_DIR, 'bench_alarms-%s-sweep-%s-%d.pstats'
                                % (kind, backend, n))
            result['profiles'][kind] = profile_sweep(evaluator, sender, engine, path)
        return result


def _sweep_json(run: SweepRun) -> dict:
    return {'seconds': round(run.seconds, 3), 'cpu_seconds': round(run.cpu_seconds, 3),
            'alarms': run.alarms,
            'alarms_per_second': round(run.rate), 'transitions': run.transitions,
            'payloads_sent': run.payloads, 'states_after': run.states_after}


# -- part 2: breach-to-webhook latency ----------------------------------------------------


class Receiver:
    """An HTTP receiver in this process recording (arrival, JSON body) of POSTs."""

    def __init__(self) -> None:
        self.posts: queue.Queue = queue.Queue()
        received = self.posts

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                self.send_response(200)
                self.send_header('Content-Length', '0')
                self.end_headers()
                try:
                    received.put((arrived, self.path, json.loads(body)))
                except ValueError:
                    received.put((arrived, self.path, {'raw': body[:200].decode(errors='replace')}))

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return 'http://127.0.0.1:%d/hook' % self.server.server_address[1]

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, alarm: str, current: str, timeout: float) -> tuple[float | None, list]:
        """Arrival time of the POST for ``alarm`` entering ``current``; the other
        POSTs that arrived meanwhile."""
        deadline = time.monotonic() + timeout
        others = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                arrived, _path, body = self.posts.get(timeout=left)
            except queue.Empty:
                break
            if body.get('alarm_name') == alarm and body.get('current') == current:
                return arrived, others
            others.append(body)
        return None, others


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def tool(name: str) -> str:
    """A console script of this virtualenv."""
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else name


class HeatWatchAll:
    """heat-watch-all as a subprocess with its own state directory and config file."""

    def __init__(self, workdir: str):
        self.workdir = workdir
        self.port = free_port()
        self.config_path = os.path.join(workdir, 'heat_watch.conf')
        self.log_path = os.path.join(workdir, 'heat-watch-all.log')
        self.proc: subprocess.Popen | None = None
        with open(self.config_path, 'w') as conf:
            conf.write('[DEFAULT]\nstate_path = %s\n\n[cloudwatch_api]\n'
                       'bind_host = 127.0.0.1\nbind_port = %d\n\n[watch_engine]\n'
                       'expiry_interval = 0\n\n'
                       # the receiver is on loopback, which the notifier denies by default
                       '[notifier]\nallowed_networks = 127.0.0.1/32\n'
                       % (os.path.join(workdir, 'state'), self.port))

    @property
    def endpoint(self) -> str:
        return 'http://127.0.0.1:%d/v1' % self.port

    def start(self, timeout: float = 60.0) -> None:
        """Start and wait until the API port accepts connections."""
        with open(self.log_path, 'ab') as log:
            self.proc = subprocess.Popen(
                [tool('heat-watch-all'), '--config-file', self.config_path],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('heat-watch-all exited (see %s)' % self.log_path)
            with contextlib.suppress(OSError), socket.create_connection(
                    ('127.0.0.1', self.port), timeout=1):
                return
            time.sleep(0.2)
        raise RuntimeError('heat-watch-all did not listen (see %s)' % self.log_path)

    def credentials(self, project_id: str = 'bench') -> dict:
        """heat-watch-manage credentials create: {'access': ..., 'secret': ...}."""
        out = subprocess.run([tool('heat-watch-manage'), '--config-file', self.config_path,
                              'credentials', 'create', '--project-id', project_id],
                             check=True, capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log_problems(self, limit: int = 15) -> list[str]:
        """ERROR/Traceback lines of the server log."""
        with open(self.log_path, errors='replace') as log:
            lines = [line.rstrip()[:240] for line in log
                     if ' ERROR ' in line or 'Traceback' in line or ' CRITICAL ' in line]
        return lines[:limit]


def cloudwatch_client(endpoint: str, creds: dict):
    """A boto3 CloudWatch client of heat-watch-all."""
    import boto3
    import botocore.config
    return boto3.client('cloudwatch', endpoint_url=endpoint, region_name='RegionOne',
                        aws_access_key_id=creds['access'],
                        aws_secret_access_key=creds['secret'],
                        config=botocore.config.Config(retries={'max_attempts': 1}))


LATENCY_PERIOD = 10
LATENCY_ALARMS = 30


def create_latency_alarms(client, url: str, count: int) -> list[str]:
    """``count`` alarms (Period 10, N 1, Average > 50) on their own metrics."""
    names = []
    for k in range(count):
        name = 'latency-%02d' % k
        client.put_metric_alarm(
            AlarmName=name, Namespace=NAMESPACE, MetricName='Latency',
            Dimensions=[{'Name': 'Alarm', 'Value': name}], Statistic='Average',
            Period=LATENCY_PERIOD, EvaluationPeriods=1, Threshold=50.0,
            ComparisonOperator='GreaterThanThreshold',
            AlarmActions=[url + '/' + name], OKActions=[url + '/' + name])
        names.append(name)
    return names


def last_complete_period_start(now_s: float) -> int:
    """Start (epoch s) of the last complete LATENCY_PERIOD-second period."""
    return int(now_s // LATENCY_PERIOD) * LATENCY_PERIOD - LATENCY_PERIOD


@dataclasses.dataclass
class AlarmTrack:
    """What the bench last wrote to one alarm."""

    name: str
    period: int = -1
    breaching: bool = False


def pick_alarm(tracks: list[AlarmTrack], start: int, turn: int) -> AlarmTrack | None:
    """Round-robin from ``turn``: the first alarm not yet written in period ``start``."""
    for k in range(len(tracks)):
        track = tracks[(turn + k) % len(tracks)]
        if track.period < start:
            return track
    return None


def one_transition(client, receiver: Receiver, track: AlarmTrack,
                   timeout: float) -> tuple[float | None, int]:
    """Put one datapoint flipping ``track``'s alarm; (latency s or None, strays)."""
    t0 = time.monotonic()
    start = last_complete_period_start(time.time())
    breaching = not track.breaching
    client.put_metric_data(Namespace=NAMESPACE, MetricData=[{
        'MetricName': 'Latency', 'Dimensions': [{'Name': 'Alarm', 'Value': track.name}],
        'Timestamp': datetime.datetime.fromtimestamp(start + LATENCY_PERIOD / 2,
                                                     datetime.UTC),
        'Value': 90.0 if breaching else 10.0}])
    track.period, track.breaching = start, breaching
    arrived, strays = receiver.wait_for(track.name, 'alarm' if breaching else 'ok', timeout)
    return (arrived - t0 if arrived is not None else None), len(strays)


def percentile_of(values: list[float], p: float) -> float:
    """Nearest-rank percentile ``p`` (0..100) of ``values``."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def measure_transitions(client, receiver: Receiver, names: list[str],
                        transitions: int, timeout: float) -> dict:
    """Run ``transitions`` flips round-robin over the alarms; latency summary."""
    tracks = [AlarmTrack(name) for name in names]
    latencies: list[float] = []
    lost, strays, waits = 0, 0, 0
    for turn in range(transitions):
        track = pick_alarm(tracks, last_complete_period_start(time.time()), turn)
        while track is None:  # every alarm written this period: next boundary
            waits += 1
            time.sleep(LATENCY_PERIOD - time.time() % LATENCY_PERIOD + 0.01)
            track = pick_alarm(tracks, last_complete_period_start(time.time()), turn)
        latency, stray = one_transition(client, receiver, track, timeout)
        strays += stray
        if latency is None:
            lost += 1
            if not latencies and lost >= 2:
                break  # the webhook path does not work: stop early
        else:
            latencies.append(latency)
    return summarise_latencies(latencies, transitions, lost, strays, waits)


def summarise_latencies(latencies: list[float], wanted: int, lost: int, strays: int,
                        waits: int) -> dict:
    """p50/p95/max of the latencies (seconds) and the counts."""
    result = {'transitions_wanted': wanted, 'measured': len(latencies), 'lost': lost,
              'other_posts': strays, 'period_boundary_waits': waits}
    if latencies:
        result.update(p50=round(percentile_of(latencies, 50), 4),
                      p95=round(percentile_of(latencies, 95), 4),
                      max=round(max(latencies), 4), min=round(min(latencies), 4),
                      mean=round(statistics.fmean(latencies), 4))
    return result


def run_latency(workdir: str, transitions: int, timeout: float = 15.0) -> dict:
    """Breach-to-webhook latency in heat-watch-all.

    Design: CloudWatch evaluates complete periods only, so a datapoint
    timestamped *now* would be judged only after its period ends (up to 10 s
    later). Instead each datapoint is timestamped in the middle of the last
    complete period, which the fast path (evaluation of the alarms of the
    metrics an ingestion commit wrote) judges at once: that is the path a
    breach takes, and the figure measured. With EvaluationPeriods 1 the newest
    real datapoint decides, so an alarm must not be written twice in one
    period (its bucket would average both values); LATENCY_ALARMS alarms are
    used round-robin, each written at most once per period, flipping between
    breaching (90 -> ALARM) and not (10 -> OK). Transitions run one at a time;
    t0 is taken before PutMetricData is sent (boto3 signing and the HTTP round
    trip are included) and t1 when the POST reaches the receiver.
    """
    server = HeatWatchAll(tempfile.mkdtemp(prefix='hwall-', dir=workdir))
    receiver = Receiver().start()
    result: dict = {'transitions': transitions, 'alarms': LATENCY_ALARMS,
                    'period': LATENCY_PERIOD}
    try:
        server.start()
        client = cloudwatch_client(server.endpoint, server.credentials())
        try:
            names = create_latency_alarms(client, receiver.url, LATENCY_ALARMS)
        except Exception as exc:  # botocore ClientError: the operation is missing
            result['skipped'] = 'put_metric_alarm failed: %s' % exc
            return result
        result.update(measure_transitions(client, receiver, names, transitions, timeout))
        if not result['measured']:
            result['skipped'] = 'no webhook POST arrived within %.0f s' % timeout
    finally:
        receiver.stop()
        server.stop()
        result['server_log_problems'] = server.log_problems()
    return result


# -- reporting ----------------------------------------------------------------------


def print_sweep_table(cases: list[dict]) -> None:
    """The sweep results as a table (wall seconds; cpu = this process's CPU)."""
    head = ('%-10s %7s %7s | %8s %7s %8s %7s %8s | %8s %7s %8s %6s | %s'
            % ('backend', 'alarms', 'build s', 'sweep1 s', 'cpu s', 'alarms/s', 'trans.',
               'payloads', 'sweep2 s', 'cpu s', 'alarms/s', 'trans.', 'load avg'))
    print('\nAlarm sweep: one AlarmEvaluator.sweep(), evaluation_batch_size %s'
          % (cases[0]['batch_size'] if cases else '?'))
    print(head)
    print('-' * len(head))
    for case in cases:
        first, second = case['first_sweep'], case['second_sweep']
        build = case['build']['datapoints_seconds'] + case['build']['alarms_seconds']
        print('%-10s %7d %7.1f | %8.2f %7.2f %8d %7d %8d | %8.2f %7.2f %8d %6d | %.1f' % (
            case['backend'], case['alarms'], build, first['seconds'], first['cpu_seconds'],
            first['alarms_per_second'], first['transitions'],
            sum(first['payloads_sent'].values()), second['seconds'], second['cpu_seconds'],
            second['alarms_per_second'], second['transitions'], case['loadavg_before'][0]))
    for case in cases:
        print('  %s %d: states after sweep 1 %s; alarms inserted by %s' % (
            case['backend'], case['alarms'], case['first_sweep']['states_after'],
            case['build']['alarm_insert']))
        if case['alarms'] >= 100_000:
            for key in ('first_sweep', 'second_sweep'):
                verdict = 'MEETS' if case[key]['seconds'] < SWEEP_TARGET_S else 'MISSES'
                print('  target (100,000 alarms swept in < %.0f s), %s, %s: %s' % (
                    SWEEP_TARGET_S, case['backend'], key.replace('_', ' '), verdict))


def print_profile(kind: str, alarms: int, profile: dict) -> None:
    """The top functions of a profiled sweep."""
    print('\nProfile of one %s sweep of %d alarms (%d transitions, %.1f s under cProfile; %s)'
          % (kind, alarms, profile['transitions'], profile['seconds_under_profiler'],
             _short(profile['pstats_file'])))
    for key in ('cumulative', 'tottime'):
        print('\n  top %d by %s:' % (PROFILE_TOP, key))
        print('  %10s %9s %9s  %s' % ('ncalls', 'tottime', 'cumtime', 'function'))
        for row in profile[key]:
            print('  %10d %9.3f %9.3f  %s' % (row['ncalls'], row['tottime'], row['cumtime'],
                                            _short(row['function'])))


def _short(function: str) -> str:
    """A profile function name without the long site-packages prefix."""
    for marker in ('site-packages/', '/work/main/'):
        if marker in function:
            return function.split(marker, 1)[1]
    return function


def print_latency(result: dict) -> None:
    """The latency summary."""
    print('\nBreach-to-webhook latency in heat-watch-all (%d alarms, Period %d, fast path)'
          % (result['alarms'], result['period']))
    if result.get('skipped'):
        print('  SKIPPED: %s' % result['skipped'])
    if result.get('measured'):
        print('  transitions measured %d/%d, lost %d, p50 %.3f s, p95 %.3f s, '
              'min %.3f s, max %.3f s, mean %.3f s' % (
                  result['measured'], result['transitions_wanted'], result['lost'],
                  result['p50'], result['p95'], result['min'], result['max'],
                  result['mean']))
        verdict = 'MEETS' if result['p95'] < LATENCY_TARGET_S else 'MISSES'
        print('  target (p95 < %.1f s): %s' % (LATENCY_TARGET_S, verdict))
    for line in result.get('server_log_problems') or []:
        print('  server log: %s' % line)


def write_results(results: dict) -> str:
    """Write the JSON results; returns the path."""
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, 'bench_alarms-%s.json'
                        % time.strftime('%Y%m%d-%H%M%S'))
    with open(path, 'w') as out:
        json.dump(results, out, indent=2)
    return path


# -- main -----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='1,000 and 10,000 alarms and 20 transitions')
    parser.add_argument('--sizes', type=lambda s: [int(x) for x in s.split(',')],
                        help='comma-separated alarm counts (overrides --quick)')
    parser.add_argument('--postgres', action='store_true',
                        help='also sweep on PostgreSQL (%s)' % PG_ADMIN_URL)
    parser.add_argument('--transitions', type=int,
                        help='breach-to-webhook transitions (default 100, quick 20)')
    parser.add_argument('--skip-sweep', action='store_true')
    parser.add_argument('--skip-latency', action='store_true')
    parser.add_argument('--no-profile', action='store_true')
    parser.add_argument('--profile-first-size', type=int, default=10_000,
                        help='alarms of the case whose first sweep is profiled '
                             '(default 10,000: at 100,000 a profiled first sweep takes '
                             'as long as the measured one)')
    return parser.parse_args(argv)


def environment() -> dict:
    """Where the figures were measured (and which product files differed from HEAD)."""
    def git(*args: str) -> str:
        return subprocess.run(['git', *args], capture_output=True, text=True, cwd=HERE,
                              check=False).stdout.rstrip()

    return {'python': platform.python_version(), 'cpus': os.cpu_count(),
            'machine': platform.machine(), 'commit': git('rev-parse', '--short', 'HEAD'),
            'modified_product_files': git('status', '--porcelain', '--untracked-files=no',
                                          '--', '../../heat_watch').splitlines(),
            'sqlalchemy': sa.__version__, 'when': time.strftime('%Y-%m-%dT%H:%M:%S%z')}


def run_sweeps(args: argparse.Namespace, workdir: str) -> list[dict]:
    """Every sweep case; on SQLite, a steady sweep of the largest size and a
    first sweep of ``--profile-first-size`` alarms are profiled."""
    sizes = args.sizes or ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
    backends = ['sqlite'] + (['postgresql'] if args.postgres else [])
    cases = []
    for backend in backends:
        for n in sizes:
            print('sweeping %d alarms on %s ...' % (n, backend), flush=True)
            profiles = []
            if not args.no_profile and backend == 'sqlite':
                if n == max(sizes):
                    profiles.append('steady')
                if n == min(args.profile_first_size, max(sizes)):
                    profiles.append('first')
            cases.append(run_sweep_case(backend, n, workdir, tuple(profiles)))
    return cases


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print the tables, write the JSON."""
    args = parse_args(argv)
    transitions = args.transitions or (20 if args.quick else 100)
    results: dict = {'environment': environment(), 'quick': args.quick,
                     'machine_speed_before': calibrate.machine_speed()}
    print(calibrate.describe(results['machine_speed_before']), flush=True)
    workdir = tempfile.mkdtemp(prefix='bench-alarms-')
    try:
        if not args.skip_sweep:
            results['sweeps'] = run_sweeps(args, workdir)
        if not args.skip_latency:
            print('measuring breach-to-webhook latency (%d transitions) ...' % transitions,
                  flush=True)
            results['latency'] = run_latency(workdir, transitions)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results['machine_speed_after'] = calibrate.machine_speed()
    print(calibrate.describe(results['machine_speed_after']), flush=True)
    if results.get('sweeps'):
        print_sweep_table(results['sweeps'])
        for case in results['sweeps']:
            for kind, profile in case['profiles'].items():
                print_profile(kind, case['alarms'], profile)
    if 'latency' in results:
        print_latency(results['latency'])
    print('\nresults: %s' % write_results(results))
    return 0


if __name__ == '__main__':
    sys.exit(main())
