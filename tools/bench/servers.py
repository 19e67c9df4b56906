"""The servers under test, run as subprocesses: heat-watch-all and moto.

Each server knows its endpoint and credentials, waits until it answers a
signed ListMetrics, reports the CPU time of its process tree (psutil,
user + system of the process and every descendant), and stops with SIGTERM
and then SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import leanclient
import psutil

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
READY_TIMEOUT = 60.0
# Every server started and not yet stopped (the generator's CPU excludes them).
RUNNING: list[Server] = []


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and all its descendants."""
    try:
        root = psutil.Process(pid)
        procs = [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _tool(name: str) -> str:
    """A console script of the virtualenv this interpreter runs in."""
    path = os.path.join(BIN, name)
    return path if os.path.exists(path) else name


class Server:
    """A server subprocess; subclasses say how to start it."""

    name = 'server'

    def __init__(self, workdir: str):
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.access = 'AKIDBENCH'
        self.secret = 'bench-secret'
        self.log_path = os.path.join(workdir, '%s.log' % self.name)

    @property
    def endpoint(self) -> str:
        raise NotImplementedError

    def command(self) -> list[str]:
        """The command line that starts the server."""
        raise NotImplementedError

    def signer(self) -> leanclient.SigV4Signer:
        """A signer holding this server's credentials."""
        return leanclient.SigV4Signer(self.access, self.secret)

    def client(self, timeout: float = 60.0) -> leanclient.LeanClient:
        """A new kept-alive client of this server."""
        return leanclient.LeanClient(self.endpoint, self.signer(), timeout=timeout)

    def start(self) -> None:
        """Start the process and wait until it serves signed requests."""
        os.makedirs(self.workdir, exist_ok=True)
        with open(self.log_path, 'ab') as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.workdir)
        RUNNING.append(self)
        if not leanclient.wait_for_port('127.0.0.1', self.port, READY_TIMEOUT):
            self.stop()
            raise RuntimeError('%s did not listen on port %d (see %s)'
                               % (self.name, self.port, self.log_path))
        self.after_listen()
        self._wait_ready()

    def after_listen(self) -> None:
        """Work to do once the port is open (e.g. create credentials)."""

    def _wait_ready(self) -> None:
        probe = leanclient.prepare('ListMetrics', {})
        client = self.client(timeout=10.0)
        deadline = time.monotonic() + READY_TIMEOUT
        status, body = 0, b''
        while time.monotonic() < deadline:
            status, body = client.call(probe)
            if status == 200:
                client.close()
                return
            time.sleep(0.2)
        client.close()
        self.stop()
        raise RuntimeError('%s is not ready: %s %r' % (self.name, status, body[:300]))

    def cpu_seconds(self) -> float:
        """CPU seconds the server's process tree has used so far."""
        return tree_cpu_seconds(self.proc.pid) if self.proc else 0.0

    def rss_mb(self) -> float:
        """Resident memory of the server's process tree, in MiB."""
        try:
            root = psutil.Process(self.proc.pid)
            return sum(p.memory_info().rss for p in [root] + root.children(True)) / 2**20
        except (psutil.NoSuchProcess, AttributeError):
            return 0.0

    def stop(self, grace: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL after ``grace`` seconds; the exit status."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if self in RUNNING:
            RUNNING.remove(self)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def log_problems(self, limit: int = 20) -> list[str]:
        """ERROR/WARNING/Traceback lines of the server's log (at most ``limit``)."""
        found = []
        try:
            with open(self.log_path, errors='replace') as log:
                for line in log:
                    if any(word in line for word in (' ERROR ', ' WARNING ', 'Traceback',
                                                     ' CRITICAL ')):
                        found.append(line.rstrip()[:300])
        except OSError:
            return []
        return found[:limit] + (['... %d more' % (len(found) - limit)]
                                if len(found) > limit else [])


class HeatWatchServer(Server):
    """heat-watch-all on SQLite under its own state directory."""

    name = 'heat_watch'

    def __init__(self, workdir: str, profile_out: str | None = None):
        super().__init__(workdir)
        self.state_path = os.path.join(workdir, 'state')
        self.config_path = os.path.join(workdir, 'heat_watch.conf')
        self.profile_out = profile_out

    @property
    def endpoint(self) -> str:
        return 'http://127.0.0.1:%d/v1' % self.port

    def command(self) -> list[str]:
        with open(self.config_path, 'w') as conf:
            conf.write('[cloudwatch_api]\nbind_host = 127.0.0.1\nbind_port = %d\n\n'
                       '[watch_engine]\nexpiry_interval = 0\n\n'
                       '[api]\nbind_port = 0\n' % self.port)
        args = ['--state_path', self.state_path, '--config-file', self.config_path]
        if self.profile_out:
            profiler = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    'profile_server.py')
            return [sys.executable, profiler, self.profile_out] + args
        return [_tool('heat-watch-all')] + args

    def after_listen(self) -> None:
        out = subprocess.run(
            [_tool('heat-watch-manage'), '--state_path', self.state_path,
             '--config-file', self.config_path, 'credentials', 'create',
             '--project-id', 'bench'],
            check=True, capture_output=True, text=True, cwd=self.workdir)
        created = json.loads(out.stdout.strip().splitlines()[-1])
        self.access, self.secret = created['access'], created['secret']


class MotoServer(Server):
    """moto's standalone server (werkzeug, threaded), any credentials."""

    name = 'moto'

    @property
    def endpoint(self) -> str:
        return 'http://127.0.0.1:%d' % self.port

    def command(self) -> list[str]:
        return [sys.executable, '-m', 'moto.server', '-H', '127.0.0.1', '-p', str(self.port)]

    def log_problems(self, limit: int = 20) -> list[str]:
        """moto logs every request; keep only tracebacks and non-200 answers."""
        found = []
        try:
            with open(self.log_path, errors='replace') as log:
                for line in log:
                    if 'Traceback' in line or ('HTTP/1.1" ' in line
                                               and 'HTTP/1.1" 200' not in line):
                        found.append(line.rstrip()[:300])
        except OSError:
            return []
        return found[:limit]
