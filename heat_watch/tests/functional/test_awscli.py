"""awscli version 1, run as the docs show it, against the CloudWatch API.

awscli 1 fetches parameter values that start with http:// unless
``cli_follow_urlparam = false``: with the configuration of
doc/source/cloudwatch.rst an alarm keeps its webhook URL; without it, the
alarm silently gets what the URL answered.
"""

import http.server
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import uuid

import pytest

from heat_watch.tests import doc_snippets

DOC_ENDPOINT = 'http://127.0.0.1:8003/v1'
DOC_ACTION = 'https://hooks.example.com/scale-up'


@pytest.fixture(scope='module')
def aws(deployment, tmp_path_factory):
    """Runs the aws command of this environment with a project of its own;
    ``aws(config_text, *commands)`` runs each command line, returns outputs."""
    script = shutil.which('aws', path=os.path.dirname(sys.executable))
    assert script, 'awscli is a test requirement: pip install -e .[test]'
    creds = deployment.credentials('project-awscli-%s' % uuid.uuid4().hex[:8])
    home = tmp_path_factory.mktemp('awscli-home')

    def run(config_text: str, *lines: str) -> list[subprocess.CompletedProcess]:
        config_file = home / ('config-%s' % uuid.uuid4().hex[:8])
        config_file.write_text(config_text)
        env = dict(os.environ, HOME=str(home), AWS_CONFIG_FILE=str(config_file),
                   AWS_SHARED_CREDENTIALS_FILE=str(home / 'none'),
                   AWS_ACCESS_KEY_ID=creds['access'], AWS_SECRET_ACCESS_KEY=creds['secret'])
        env.pop('AWS_PROFILE', None)
        results = []
        for line in lines:
            argv = shlex.split(line.replace(DOC_ENDPOINT, deployment.endpoint))
            assert argv[0] == 'aws'
            results.append(subprocess.run([script, *argv[1:]], capture_output=True,
                                          text=True, timeout=120, env=env,
                                          stdin=subprocess.DEVNULL))
        return results

    return run


def _alarm_commands(name: str, action: str | None = None) -> list[str]:
    lines = doc_snippets.by_name('awscli-alarm').text.strip().splitlines()
    lines = [line.replace('cpu-high', name) for line in lines]
    if action:
        lines = [line.replace(DOC_ACTION, action) for line in lines]
    return lines


def test_with_the_documented_config_the_alarm_keeps_its_webhook_url(aws):
    config = doc_snippets.by_name('awscli-config').text
    assert 'cli_follow_urlparam = false' in config
    name = 'cpu-high-%s' % uuid.uuid4().hex[:8]
    put, describe = aws(config, *_alarm_commands(name))
    assert put.returncode == 0, put.stderr
    assert describe.returncode == 0, describe.stderr
    [alarm] = json.loads(describe.stdout)['MetricAlarms']
    assert alarm['AlarmName'] == name
    assert alarm['AlarmActions'] == [DOC_ACTION]


class _Webhook(http.server.BaseHTTPRequestHandler):
    # awscli parses the fetched text as it would the value itself: a JSON list.
    answer = b'["https://hooks.example.com/what-the-receiver-answered"]'
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header('Content-Length', str(len(self.answer)))
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, *args):
        pass


def test_without_it_awscli_1_stores_what_the_url_answered(aws):
    # Why the docs say so: awscli's default, shown on a receiver of this test.
    config = doc_snippets.by_name('awscli-config').text.replace(
        'cli_follow_urlparam = false\n', '')
    server = http.server.HTTPServer(('127.0.0.1', 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = 'http://127.0.0.1:%d/hook' % server.server_port
        name = 'cpu-high-%s' % uuid.uuid4().hex[:8]
        put, describe = aws(config, *_alarm_commands(name, action=url))
    finally:
        server.shutdown()
        server.server_close()
    assert put.returncode == 0, put.stderr
    assert _Webhook.requests == ['/hook']
    [alarm] = json.loads(describe.stdout)['MetricAlarms']
    assert alarm['AlarmActions'] == json.loads(_Webhook.answer)
