"""Run schemathesis against a fresh heat-watch-all (REST API, noauth, SQLite)
with heat_watch/api/openapi.yaml: ``tox -e schemathesis [-- extra args]``.

Starts heat-watch-all in a temporary state directory on free loopback
ports, waits for GET / to answer, runs ``schemathesis run`` with the checks
not_a_server_error and response_schema_conformance (extra arguments go to
schemathesis), stops the server and exits with schemathesis's status. The
server's log is printed when schemathesis failed.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time

import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(REPO, 'heat_watch', 'api', 'openapi.yaml')
BIN = os.path.dirname(sys.executable)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def start(workdir: str) -> tuple[subprocess.Popen, str, str]:
    port = free_port()
    config = os.path.join(workdir, 'heat_watch.conf')
    with open(config, 'w') as out:
        out.write('[cloudwatch_api]\nbind_host = 127.0.0.1\nbind_port = %d\n\n'
                  '[api]\nbind_host = 127.0.0.1\nbind_port = %d\nauth_strategy = noauth\n'
                  % (free_port(), port))
    log = os.path.join(workdir, 'heat-watch-all.log')
    with open(log, 'wb') as out:
        server = subprocess.Popen(
            [os.path.join(BIN, 'heat-watch-all'), '--config-file', config,
             '--state_path', os.path.join(workdir, 'state')],
            stdout=out, stderr=subprocess.STDOUT, cwd=workdir)
    url = 'http://127.0.0.1:%d' % port
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(url + '/', timeout=5).status_code == 200:
                return server, url, log
        except requests.ConnectionError:
            if server.poll() is not None:
                break
        time.sleep(0.3)
    server.kill()
    sys.exit('heat-watch-all did not start; its log:\n' + open(log).read())


def main(argv: list[str]) -> int:
    workdir = tempfile.mkdtemp(prefix='schemathesis-heat-watch-')
    server, url, log = start(workdir)
    try:
        command = [os.path.join(BIN, 'schemathesis'), 'run', SPEC, '--url', url,
                   '--checks', 'not_a_server_error,response_schema_conformance',
                   '--max-examples', '50'] + argv
        print(' '.join(command), flush=True)
        status = subprocess.call(command)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    if status:
        print('--- heat-watch-all log (%s) ---' % log)
        print(open(log).read()[-20000:])
    return status


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
