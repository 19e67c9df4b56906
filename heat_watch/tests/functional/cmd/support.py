"""Running heat_watch's console scripts as a user or an operator would."""

import os
import socket
import subprocess
import sys

BIN = os.path.dirname(sys.executable)
DAEMONS = ('heat-watch-engine', 'heat-watch-api-cloudwatch', 'heat-watch-notifier',
           'heat-watch-all')
SCRIPTS = DAEMONS + ('heat-watch-manage', 'heat-watch-api', 'heat-watch-orchestrator')


def run(script: str, *args: str, home: str, timeout: float = 90) -> subprocess.CompletedProcess:
    """Run a console script to its end, with ``home`` as HOME (so that no
    configuration file of the machine's user is found)."""
    env = dict(os.environ, HOME=home)
    return subprocess.run([os.path.join(BIN, script), *args], capture_output=True,
                          text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def write(path, text: str) -> str:
    path.write_text(text)
    return str(path)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def one_line_failure(done: subprocess.CompletedProcess, script: str) -> str:
    """The failure line of a script that refused to start; asserts there is
    exactly one, last on stderr, and no traceback anywhere."""
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    output = done.stdout + done.stderr
    assert 'Traceback' not in output, output
    # heat-watch-manage first says which database it acts on.
    ours = [line for line in done.stderr.splitlines() if line.startswith(script + ': ')
            and not line.startswith(script + ': watch database ')]
    assert len(ours) == 1, done.stderr
    assert done.stderr.rstrip().splitlines()[-1] == ours[0], done.stderr
    return ours[0]
