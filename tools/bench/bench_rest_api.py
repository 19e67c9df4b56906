"""The REST API side by side with the real Aodh API, in one run.

Servers (each a subprocess on a free loopback port, CPU measured with psutil
over its process tree):

* heat_watch: ``heat-watch-all`` on SQLite, REST API with auth_strategy =
  noauth (the project from X-Project-Id);
* Aodh: the ``aodh`` package in a virtualenv of its own (``--aodh-venv``,
  made with ``pip install aodh uwsgi`` when missing), SQLite, auth_mode =
  noauth, served by uwsgi (one process, 8 threads, as heat-watch-all serves
  with one process and a thread pool).

Alarm lines (both servers, same requests but the rule: Aodh 23 has no
Ceilometer threshold alarms any more, so it gets a ``prometheus`` alarm (a
query, a threshold and an operator: the nearest type it creates without
Gnocchi); heat_watch a ``threshold`` alarm):

* alarm create/s in an empty project, and once the project holds
  ``--alarms`` alarms (heat_watch filled through its API, ``--fill-clients``
  at once; Aodh, whose API creates ~3 alarms/s, by copying one alarm row its
  API made into its SQLite database, ``--aodh-fill sql``, the default);
* GET /v2/alarms p95 with ``--alarms`` alarms;
* GET /v2/alarms/{id}/history p95 with ``--history`` rows (state changes
  made through PUT /v2/alarms/{id}/state);
* query by name p95 (POST /v2/query/alarms, as aodhclient does).

Meter lines (heat_watch only: Aodh has no meters, Ceilometer's API is gone):
POST /v2/meters/{name} samples/s with batches of 1 and 100 and 1, 4, 16
clients, and GET /v2/meters/{name}/statistics p95.

The load generator is lean: one requests.Session (kept-alive) per client,
every body serialised once before the clock starts. A server that does not
serve a line (heat_watch before its /v2/alarms exists) is reported as such.

Usage::

    .venv/bin/python tools/bench/bench_rest_api.py            # full run
    .venv/bin/python tools/bench/bench_rest_api.py --quick    # ~3 minutes

Results: a table on stdout and JSON in tools/bench/results/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import calibrate
import requests
import servers
from loadgen import percentile

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, 'results')
DEFAULT_AODH_VENV = os.path.join(servers.REPO, '.aodh-venv')
PROJECT = 'bench-project'
USER = 'bench-user'
JSON = {'Content-Type': 'application/json'}


class RestServer(servers.Server):
    """A REST API subprocess ready when GET / answers."""

    @property
    def endpoint(self) -> str:
        return 'http://127.0.0.1:%d' % self.port

    def headers(self) -> dict:
        return {'X-Project-Id': PROJECT, 'X-User-Id': USER, 'X-Roles': 'admin', **JSON}

    def session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update(self.headers())
        return session

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + servers.READY_TIMEOUT
        answer = None
        while time.monotonic() < deadline:
            try:
                answer = requests.get(self.endpoint + '/', timeout=30)
                if answer.status_code < 300:
                    return
            except requests.RequestException:
                if self.proc is None or self.proc.poll() is not None:
                    break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError('%s is not ready: %s' % (self.name, answer and answer.text[:300]))

    def alarm_body(self, name: str) -> dict:
        raise NotImplementedError


class HeatWatchRest(RestServer):
    """heat-watch-all with its REST API on this server's port (noauth)."""

    name = 'heat_watch'

    def __init__(self, workdir: str):
        super().__init__(workdir)
        self.state_path = os.path.join(workdir, 'state')
        self.config_path = os.path.join(workdir, 'heat_watch.conf')

    def command(self) -> list[str]:
        with open(self.config_path, 'w') as conf:
            conf.write('[cloudwatch_api]\nbind_host = 127.0.0.1\nbind_port = %d\n\n'
                       '[watch_engine]\nexpiry_interval = 0\n\n'
                       '[api]\nbind_host = 127.0.0.1\nbind_port = %d\n'
                       'auth_strategy = noauth\n' % (servers.free_port(), self.port))
        return [servers._tool('heat-watch-all'), '--state_path', self.state_path,
                '--config-file', self.config_path]

    def alarm_body(self, name: str) -> dict:
        return {'name': name, 'type': 'threshold', 'severity': 'low',
                'alarm_actions': ['log://'],
                'threshold_rule': {'meter_name': 'cpu_util', 'threshold': 70.0,
                                   'comparison_operator': 'gt', 'statistic': 'avg',
                                   'period': 60, 'evaluation_periods': 1}}


class AodhRest(RestServer):
    """The real Aodh API: aodh's WSGI application under uwsgi, SQLite, noauth."""

    name = 'aodh'

    def __init__(self, workdir: str, venv: str):
        super().__init__(workdir)
        self.venv = venv
        self.config_path = os.path.join(workdir, 'aodh.conf')

    def command(self) -> list[str]:
        ensure_aodh(self.venv)
        os.makedirs(self.workdir, exist_ok=True)
        with open(self.config_path, 'w') as conf:
            conf.write('[api]\nauth_mode = noauth\n\n'
                       '[database]\nconnection = sqlite:///%s\n'
                       % os.path.join(self.workdir, 'aodh.sqlite'))
        subprocess.run([os.path.join(self.venv, 'bin', 'aodh-dbsync'),
                        '--config-file', self.config_path], check=True,
                       capture_output=True, cwd=self.workdir)
        return [os.path.join(self.venv, 'bin', 'uwsgi'),
                '--http11-socket', '127.0.0.1:%d' % self.port,
                '--wsgi-file', os.path.join(self.venv, 'bin', 'aodh-api'),
                '--processes', '1', '--threads', '8', '--enable-threads', '--master',
                '--die-on-term', '--need-app', '--buffer-size', '65535',
                '--pyargv', '--config-file %s' % self.config_path,
                '--env', 'AODH_CONFIG_FILE=%s' % self.config_path]

    @property
    def database(self) -> str:
        return os.path.join(self.workdir, 'aodh.sqlite')

    def fill_direct(self, model_id: str, names: list[str]) -> int:
        """Copies of one alarm row made through the API, inserted into Aodh's SQLite.

        Filling through Aodh's API runs at ~3 creates/s here (10,000 alarms would
        take about an hour), so the fill copies the row Aodh itself wrote for
        ``model_id`` in its own schema, changing only alarm_id and name. No
        history rows are copied: none of the measured lines reads them.
        """
        db = sqlite3.connect(self.database, timeout=60)
        try:
            db.row_factory = sqlite3.Row
            row = db.execute('SELECT * FROM alarm WHERE alarm_id = ?', (model_id,)).fetchone()
            if row is None:
                raise RuntimeError('alarm %s is not in %s' % (model_id, self.database))
            columns = list(row.keys())
            values = []
            for name in names:
                copy = dict(row)
                copy['alarm_id'], copy['name'] = str(uuid.uuid4()), name
                values.append(tuple(copy[c] for c in columns))
            with db:
                db.executemany('INSERT INTO alarm (%s) VALUES (%s)' % (
                    ', '.join(columns), ', '.join('?' * len(columns))), values)
            return len(values)
        finally:
            db.close()

    def alarm_body(self, name: str) -> dict:
        return {'name': name, 'type': 'prometheus', 'severity': 'low',
                'alarm_actions': ['log://'],
                'prometheus_rule': {'query': 'avg(cpu_util{server_group="g1"})',
                                    'threshold': 70.0, 'comparison_operator': 'gt'}}


def ensure_aodh(venv: str) -> None:
    """A virtualenv with aodh and uwsgi (made once; pip from the index)."""
    if os.path.exists(os.path.join(venv, 'bin', 'aodh-api')) and \
            os.path.exists(os.path.join(venv, 'bin', 'uwsgi')):
        return
    subprocess.run([sys.executable, '-m', 'venv', venv], check=True)
    subprocess.run([os.path.join(venv, 'bin', 'pip'), 'install', '-q', 'aodh', 'uwsgi'],
                   check=True)


# ---- measuring -----------------------------------------------------------

class Counted:
    """Latencies and failures of one measured line."""

    def __init__(self):
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def add(self, seconds: float, answer: requests.Response, ok: tuple) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if answer.status_code not in ok:
                self.failures.append('%d %s' % (answer.status_code, answer.text[:200]))


def _timed(session: requests.Session, method: str, url: str, body: bytes | None,
           counted: Counted, ok: tuple) -> requests.Response:
    start = time.perf_counter()
    answer = session.request(method, url, data=body, timeout=300)
    counted.add(time.perf_counter() - start, answer, ok)
    return answer


def run_clients(server: RestServer, clients: int, work: list[tuple[str, str, bytes | None]],
                ok: tuple) -> dict:
    """``work`` split over ``clients`` threads (a Session each); wall, CPU, rates."""
    counted = Counted()
    wall, cpu = _run(server, clients, work, ok, counted)
    return _summary(counted, wall, cpu)


def _run(server: RestServer, clients: int, work: list[tuple[str, str, bytes | None]],
         ok: tuple, counted: Counted) -> tuple[float, float]:
    """(wall, server CPU) seconds of ``work`` split over ``clients`` threads."""
    shares = [work[i::clients] for i in range(clients)]
    sessions = [server.session() for _ in range(clients)]
    # One kept-alive connection each before the clock starts.
    for session in sessions:
        session.get(server.endpoint + '/', timeout=30)

    def client(i: int) -> None:
        for method, path, body in shares[i]:
            _timed(sessions[i], method, server.endpoint + path, body, counted, ok)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    cpu0, wall0 = server.cpu_seconds(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall, cpu = time.perf_counter() - wall0, server.cpu_seconds() - cpu0
    for session in sessions:
        session.close()
    return wall, cpu


def _summary(counted: Counted, wall: float, cpu: float) -> dict:
    done = len(counted.latencies)
    return {'requests': done, 'seconds': round(wall, 3),
            'per_second': round(done / wall, 1) if wall else None,
            'cpu_ms_per_request': round(1000 * cpu / done, 2) if done else None,
            'p50_ms': round(1000 * percentile(counted.latencies, 50), 2) if done else None,
            'p95_ms': round(1000 * percentile(counted.latencies, 95), 2) if done else None,
            'failures': len(counted.failures), 'first_failure': counted.failures[:1]}


def _body(data) -> bytes:
    return json.dumps(data).encode()


def serves_alarms(server: RestServer) -> bool:
    answer = requests.get(server.endpoint + '/v2/alarms', headers=server.headers(),
                          params={'limit': 1}, timeout=30)
    return answer.status_code == 200


def alarm_lines(server: RestServer, args) -> dict:
    """Alarm create/s (empty, full), list p95, history p95, query by name p95."""
    prepared = prepare_alarms(server, args)
    if 'not_served' in prepared:
        return prepared
    interleaved([(server, prepared)], rounds=1)
    return prepared['lines']


def prepare_alarms(server: RestServer, args) -> dict:
    """The create lines measured, the project filled, the history made:
    {'lines': the lines so far, 'reads': the work of each read line}."""
    if not serves_alarms(server):
        return {'not_served': 'GET /v2/alarms is not served by this build'}
    lines = {}
    tag = uuid.uuid4().hex[:6]
    creates = [('POST', '/v2/alarms', _body(server.alarm_body('e-%s-%d' % (tag, i))))
               for i in range(args.creates)]
    lines['create_empty'] = run_clients(server, 1, creates, (201,))
    fill = args.alarms - args.creates
    print('  %s: filling to %d alarms ...' % (server.name, args.alarms), flush=True)
    started = time.perf_counter()
    names = ['f-%s-%d' % (tag, i) for i in range(fill)]
    if args.aodh_fill == 'sql' and hasattr(server, 'fill_direct'):
        model = server.session().post(server.endpoint + '/v2/alarms', timeout=60,
                                      data=_body(server.alarm_body(names[0]))).json()
        inserted = 1 + server.fill_direct(model['alarm_id'], names[1:])
        filled = {'requests': inserted, 'failures': 0, 'method': 'sql insert'}
    else:
        filled = run_clients(server, args.fill_clients,
                             [('POST', '/v2/alarms', _body(server.alarm_body(n)))
                              for n in names], (201,))
        filled['method'] = 'api'
    lines['fill'] = dict(filled, wall_s=round(time.perf_counter() - started, 1))
    creates = [('POST', '/v2/alarms', _body(server.alarm_body('g-%s-%d' % (tag, i))))
               for i in range(args.creates)]
    lines['create_full'] = run_clients(server, 1, creates, (201,))
    # Alarms the project holds now (a failed fill request made none).
    held = 2 * args.creates + filled['requests'] - filled['failures']
    session = server.session()
    alarm = session.post(server.endpoint + '/v2/alarms',
                         data=_body(server.alarm_body('h-%s' % tag)), timeout=60).json()
    path = '/v2/alarms/%s' % alarm['alarm_id']
    states = ['alarm', 'ok']
    for i in range(args.history - 1):
        session.put(server.endpoint + path + '/state', data=_body(states[i % 2]), timeout=60)
    rows = session.get(server.endpoint + path + '/history', timeout=60,
                       params={'limit': args.history * 2}).json()
    session.close()
    # The history alarm is listed too.
    lines['list'] = {'alarms': held + 1}
    lines['history'] = {'rows': len(rows) if isinstance(rows, list) else rows}
    lines['query_by_name'] = {}
    reads = {
        'list': [('GET', '/v2/alarms', None)] * args.list_calls,
        'query_by_name': [
            ('POST', '/v2/query/alarms',
             _body({'filter': json.dumps({'=': {'name': 'f-%s-%d' % (tag, i * 7 % fill)}})}))
            for i in range(args.calls)],
        'history': [('GET', path + '/history', None)] * args.calls}
    return {'lines': lines, 'reads': reads}


def interleaved(prepared: list[tuple[RestServer, dict]], rounds: int) -> None:
    """The read lines of every server, in ``rounds`` rounds: each round runs
    a share of every line on one server, then on the next (the order turns
    each round), so that the servers meet the same load on the machine.
    Each line's figures go into its server's lines."""
    tallies = {(server.name, line): [Counted(), 0.0, 0.0]
               for server, p in prepared for line in p['reads']}
    for index in range(rounds):
        order = prepared if index % 2 == 0 else prepared[::-1]
        for server, p in order:
            for line, work in p['reads'].items():
                share = work[index * len(work) // rounds:(index + 1) * len(work) // rounds]
                if share:
                    tally = tallies[(server.name, line)]
                    wall, cpu = _run(server, 1, share, (200,), tally[0])
                    tally[1] += wall
                    tally[2] += cpu
    for server, p in prepared:
        for line in p['reads']:
            counted, wall, cpu = tallies[(server.name, line)]
            p['lines'][line].update(_summary(counted, wall, cpu))
        p['lines']['read_rounds'] = rounds


def _samples(meter: str, batch: int, index: int) -> bytes:
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return _body([{'counter_name': meter, 'counter_type': 'gauge', 'counter_unit': '%',
                   'counter_volume': float((index * batch + j) % 100),
                   'resource_id': 'server-%d' % ((index * batch + j) % 50),
                   'timestamp': (now - datetime.timedelta(
                       milliseconds=index * batch + j)).isoformat()}
                  for j in range(batch)])


def meter_lines(server: RestServer, args) -> dict:
    """POST samples/s over the batch x clients grid; statistics p95."""
    lines = {}
    for batch in args.batches:
        for clients in args.clients:
            meter = 'm-%d-%d-%s' % (batch, clients, uuid.uuid4().hex[:4])
            requests_count = max(clients * 4, int(args.samples / batch))
            work = [('POST', '/v2/meters/%s' % meter, _samples(meter, batch, i))
                    for i in range(requests_count)]
            line = run_clients(server, clients, work, (201,))
            line['samples_per_second'] = round(line['per_second'] * batch, 1) \
                if line['per_second'] else None
            lines['post_b%d_c%d' % (batch, clients)] = line
            print('  %s: POST batch %d, %d clients: %s samples/s' % (
                server.name, batch, clients, line['samples_per_second']), flush=True)
    meter = 'm-stats-%s' % uuid.uuid4().hex[:4]
    run_clients(server, 4, [('POST', '/v2/meters/%s' % meter, _samples(meter, 100, i))
                            for i in range(20)], (201,))
    lines['statistics'] = run_clients(server, 1, [
        ('GET', '/v2/meters/%s/statistics?period=60&groupby=resource_id' % meter, None)]
        * args.calls, (200,))
    lines['statistics']['samples'] = 2000
    return lines


# ---- report --------------------------------------------------------------

def _cell(line: dict | None, key: str) -> str:
    if not line or line.get(key) is None:
        return '-'
    return str(line[key])


def render(results: dict) -> str:
    out = ['%s (before), %s (after)' % (results['machine']['speed'],
                                        results['machine']['speed_after']), '']
    names = [n for n in ('heat_watch', 'aodh') if n in results['servers']]
    out.append('%-36s ' % 'line' + ' '.join('%28s' % n for n in names) + '  ratio')
    rows = [('alarm create/s, empty project', 'alarms', 'create_empty', 'per_second'),
            ('alarm create/s, full project', 'alarms', 'create_full', 'per_second'),
            ('alarm create CPU ms (full)', 'alarms', 'create_full', 'cpu_ms_per_request'),
            ('GET /v2/alarms p95 ms', 'alarms', 'list', 'p95_ms'),
            ('GET /v2/alarms CPU ms', 'alarms', 'list', 'cpu_ms_per_request'),
            ('history p95 ms', 'alarms', 'history', 'p95_ms'),
            ('history CPU ms', 'alarms', 'history', 'cpu_ms_per_request'),
            ('query by name p95 ms', 'alarms', 'query_by_name', 'p95_ms'),
            ('query by name CPU ms', 'alarms', 'query_by_name', 'cpu_ms_per_request')]
    for label, part, line, key in rows:
        values = [results['servers'][n].get(part, {}).get(line) for n in names]
        cells = [_cell(v, key) for v in values]
        ratio = ''
        try:
            ours, theirs = (float(c) for c in cells)
            ratio = '%.1fx' % ((ours / theirs) if key == 'per_second' else (theirs / ours))
        except (ValueError, ZeroDivisionError):
            pass
        out.append('%-36s ' % label + ' '.join('%28s' % c for c in cells) + '  ' + ratio)
    for name in names:
        out.append('%s: load average (1, 5, 15 min) filling %s -> %s, reading %s -> %s' % (
            name, results['servers'][name].get('loadavg_prepare', [])[:3],
            results['servers'][name].get('loadavg_prepare', [])[3:],
            results['servers'][name].get('loadavg', [])[:3],
            results['servers'][name].get('loadavg', [])[3:]))
        alarms = results['servers'][name].get('alarms', {})
        if 'not_served' in alarms:
            out.append('%s: alarm lines not run: %s' % (name, alarms['not_served']))
    meters = results['servers'].get('heat_watch', {}).get('meters', {})
    if meters:
        out += ['', 'heat_watch meters: samples/s, p95 ms, server CPU ms per request']
        for key, line in sorted(meters.items()):
            out.append('  %-14s %10s/s  p95 %8s ms  cpu %7s ms  failures %s' % (
                key, _cell(line, 'samples_per_second') if key != 'statistics'
                else _cell(line, 'per_second'), _cell(line, 'p95_ms'),
                _cell(line, 'cpu_ms_per_request'), _cell(line, 'failures')))
    return '\n'.join(out)


def had_failures(results: dict) -> bool:
    for server in results['servers'].values():
        for part in server.values():
            if isinstance(part, dict):
                for line in part.values():
                    if isinstance(line, dict) and line.get('failures'):
                        return True
    return False


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='1,000 alarms, 100 history rows, 50 calls per line')
    parser.add_argument('--alarms', type=int, default=10_000)
    parser.add_argument('--history', type=int, default=1_000)
    parser.add_argument('--creates', type=int, default=200,
                        help='creates measured in the empty and in the full project')
    parser.add_argument('--fill-clients', type=int, default=8)
    parser.add_argument('--calls', type=int, default=200, help='calls per p95 line')
    parser.add_argument('--list-calls', type=int, default=20)
    parser.add_argument('--rounds', type=int, default=10,
                        help='the read lines (list, history, query by name) of both '
                             'servers run interleaved, in this many rounds')
    parser.add_argument('--samples', type=int, default=20_000,
                        help='samples per POST line')
    parser.add_argument('--batches', default='1,100')
    parser.add_argument('--clients', default='1,4,16')
    parser.add_argument('--only', choices=('heat_watch', 'aodh'))
    parser.add_argument('--no-meters', action='store_true')
    parser.add_argument('--aodh-venv', default=DEFAULT_AODH_VENV)
    parser.add_argument('--aodh-fill', choices=('sql', 'api'), default='sql',
                        help="fill Aodh by copying one API-made row in its SQLite (sql) "
                             "or through its API (api, ~3 creates/s)")
    args = parser.parse_args(argv)
    if args.quick:
        args.alarms, args.history, args.creates = 1_000, 100, 50
        args.calls, args.list_calls, args.samples = 50, 10, 2_000
    args.batches = [int(b) for b in args.batches.split(',')]
    args.clients = [int(c) for c in args.clients.split(',')]
    return args


def measure(started: list[RestServer], args, results: dict) -> None:
    """Every line of the started servers: each prepares its alarms (create
    lines, filling, history), then the read lines of all run interleaved,
    then heat_watch's meter lines."""
    prepared = []
    for server in started:
        load_before = os.getloadavg()
        lines = prepare_alarms(server, args)
        results['servers'][server.name] = {
            'alarms': lines.get('lines', lines),
            'loadavg_prepare': [round(x, 2) for x in load_before + os.getloadavg()]}
        if 'reads' in lines:
            prepared.append((server, lines))
    load_before = os.getloadavg()
    print('  reading: %d rounds over %s' % (args.rounds, ', '.join(
        server.name for server, _lines in prepared)), flush=True)
    interleaved(prepared, args.rounds)
    load_after = os.getloadavg()
    for server in started:
        measured = results['servers'][server.name]
        measured['loadavg'] = [round(x, 2) for x in load_before + load_after]
        if isinstance(server, HeatWatchRest) and not args.no_meters:
            measured['meters'] = meter_lines(server, args)
        measured['rss_mb'] = round(server.rss_mb(), 1)
        measured['log_problems'] = server.log_problems()


def main(argv=None) -> int:
    args = parse_args(argv)
    speed = calibrate.machine_speed()
    results = {'machine': {'speed': calibrate.describe(speed), 'python': sys.version.split()[0],
                           'platform': platform.platform(), 'cpus': os.cpu_count()},
               'args': {k: v for k, v in vars(args).items()}, 'servers': {}}
    workdir = tempfile.mkdtemp(prefix='bench-rest-api-')
    chosen = []
    if args.only in (None, 'heat_watch'):
        chosen.append(HeatWatchRest(os.path.join(workdir, 'heat_watch')))
    if args.only in (None, 'aodh'):
        chosen.append(AodhRest(os.path.join(workdir, 'aodh'), args.aodh_venv))
    started = []
    try:
        for server in chosen:
            print('%s: starting' % server.name, flush=True)
            try:
                server.start()
            except (RuntimeError, subprocess.CalledProcessError, OSError) as error:
                results['servers'][server.name] = {'error': str(error)[:2000],
                                                   'log': server.log_problems()}
                print('%s: could not start: %s' % (server.name, error), flush=True)
                continue
            started.append(server)
        measure(started, args, results)
    finally:
        for server in started:
            server.stop()
    results['machine']['speed_after'] = calibrate.describe(calibrate.machine_speed())
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, 'rest_api-%s.json' % time.strftime('%Y%m%dT%H%M%S'))
    with open(path, 'w') as out:
        json.dump(results, out, indent=1)
    print(render(results))
    print('\nresults: %s' % path)
    return 1 if had_failures(results) or any('error' in s for s in
                                             results['servers'].values()) else 0


if __name__ == '__main__':
    sys.exit(main())
