"""The local compute driver: a server is a process on this machine.

Single-machine only (the embedded default of heat-watch-all). Each server
has a working directory ``<state_path>/servers/<id>/`` holding
``metadata.json`` (its name, image, flavor, metadata), ``credentials.json``
(mode 0600; what the stack gives it to push metrics and signal) and
``console.log``; when the stack gives it a credential, also ``cfn-credentials``
(mode 0600) and ``cfn-hup.conf`` naming the endpoints, which the agents find
through ``HEAT_WATCH_CFN_DIR`` (see :mod:`heat_watch.agents.config`). When
the user data is a script (it starts with ``#!``) it is written to
``user_data`` and run in that directory, in a process group of its own,
output to ``console.log``; the server is ACTIVE while it runs and SHUTOFF
once it exited. Other user data is only written to the directory and
the server is ACTIVE. Deleting the server kills the process group and removes
the directory.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid

from oslo_log import log

from heat_watch.agents import config as agent_config
from heat_watch.orchestration import compute

LOG = log.getLogger(__name__)
KILL_GRACE = 5.0


def _started_at(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of
    /proc/<pid>/stat), which tells it from a later process given the same
    pid; None when there is no such process."""
    try:
        with open('/proc/%d/stat' % pid) as stat:
            text = stat.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: count from its closing ')'.
    return text[text.rindex(')') + 2:].split()[19]


def _alive(pid: int, started_at: str | None) -> bool:
    """Whether the process ``pid`` started at ``started_at`` still runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return started_at is None or _started_at(pid) == started_at


class LocalDriver(compute.ComputeDriver):
    """Runs each server's user-data script as a local process."""

    delivers_credentials = True

    def __init__(self, conf):
        super().__init__(conf)
        self._lock = threading.Lock()
        self._processes: dict[str, subprocess.Popen] = {}

    def _directory(self, server_id: str) -> str:
        return os.path.join(self.conf.state_path, 'servers', server_id)

    @staticmethod
    def _write(path: str, text: str, mode: int = 0o640) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, 'w') as out:
            out.write(text)

    def create_server(self, spec: compute.ServerSpec) -> str:
        server_id = str(uuid.uuid4())
        directory = self._directory(server_id)
        os.makedirs(directory, mode=0o750)
        self._write(os.path.join(directory, 'metadata.json'), json.dumps(
            {'id': server_id, 'name': spec.name, 'image': spec.image, 'flavor': spec.flavor,
             'key_name': spec.key_name, 'availability_zone': spec.availability_zone,
             'metadata': spec.metadata}, indent=2))
        self._write(os.path.join(directory, 'credentials.json'),
                    json.dumps(spec.credentials or {}), mode=0o600)
        if spec.credentials:
            # An instance's processes are its process group: its agents
            # report the CPU they use, not the whole machine's.
            files = agent_config.render_files(spec.credentials, server_id, directory,
                                              cpu_scope='session')
            for name, (text, mode) in files.items():
                self._write(os.path.join(directory, name), text, mode=mode)
        state = {'id': server_id, 'name': spec.name, 'pid': None}
        if spec.user_data and spec.user_data.startswith('#!'):
            script = os.path.join(directory, 'user_data')
            self._write(script, spec.user_data, mode=0o750)
            state['pid'] = self._start(server_id, directory, script)
            state['started_at'] = _started_at(state['pid'])
        self._write(os.path.join(directory, 'server.json'), json.dumps(state))
        return server_id

    def _start(self, server_id: str, directory: str, script: str) -> int:
        # A fresh environment: the orchestrator's own (its configuration,
        # any OS_* credentials) is none of the server's business.
        env = {'PATH': os.environ.get('PATH', '/usr/local/bin:/usr/bin:/bin'),
               'HOME': directory, 'LANG': 'C.UTF-8', 'HEAT_WATCH_SERVER_ID': server_id,
               'HEAT_WATCH_METADATA': os.path.join(directory, 'metadata.json'),
               'HEAT_WATCH_CREDENTIALS': os.path.join(directory, 'credentials.json'),
               agent_config.DIR_ENV: directory}
        with open(os.path.join(directory, 'console.log'), 'ab') as console:
            process = subprocess.Popen([script], cwd=directory, stdout=console,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env=env, start_new_session=True)
        with self._lock:
            self._processes[server_id] = process
        LOG.info('Server %s runs its user data as process %d', server_id, process.pid)
        return process.pid

    def _state(self, server_id: str) -> dict | None:
        try:
            with open(os.path.join(self._directory(server_id), 'server.json')) as state:
                return json.load(state)
        except (OSError, ValueError):
            return None

    def _running(self, server_id: str, state: dict) -> bool:
        with self._lock:
            process = self._processes.get(server_id)
        if process is not None:
            return process.poll() is None  # also reaps it
        # Started by an earlier run of the orchestrator: the pid alone could
        # be another process by now.
        return _alive(state['pid'], state.get('started_at'))

    def get_server(self, server_id: str) -> compute.ServerInfo | None:
        state = self._state(server_id)
        if state is None:
            return None
        status = compute.ACTIVE
        if state['pid'] is not None and not self._running(server_id, state):
            status = compute.SHUTOFF
        return compute.ServerInfo(server_id, state['name'], status,
                                  {'local': [{'addr': '127.0.0.1', 'version': 4}]})

    def set_metadata(self, server_id: str, metadata: dict) -> None:
        path = os.path.join(self._directory(server_id), 'metadata.json')
        try:
            with open(path) as current:
                document = json.load(current)
        except (OSError, ValueError):
            return  # the server is gone
        document['metadata'] = metadata
        # Replaced whole: a script reading it never sees half a file.
        self._write(path + '.new', json.dumps(document, indent=2))
        os.replace(path + '.new', path)

    def delete_server(self, server_id: str) -> None:
        state = self._state(server_id)
        if state is None:
            return
        if state['pid'] is not None:
            self._kill(server_id, state)
        shutil.rmtree(self._directory(server_id), ignore_errors=True)

    def _kill(self, server_id: str, state: dict) -> None:
        """SIGTERM to the server's process group, SIGKILL after a grace
        period. The group is signalled even when the script itself ended
        (what it started in the background lives on in its group), but not
        when its pid now belongs to another process."""
        pid = state['pid']
        started_at = state.get('started_at')
        current = _started_at(pid)
        if current is not None and started_at is not None and current != started_at:
            LOG.warning('Server %s: process %d is not its script any more', server_id, pid)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + KILL_GRACE
            while self._running(server_id, state) and time.monotonic() < deadline:
                time.sleep(0.05)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        with self._lock:
            process = self._processes.pop(server_id, None)
        if process is not None:
            process.wait()
