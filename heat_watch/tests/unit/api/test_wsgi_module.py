"""heat_watch.wsgi.api: the application uwsgi loads, configured like any
process (here through oslo.config's environment variables)."""

import os
import subprocess
import sys

SCRIPT = '''
import webtest
from heat_watch.wsgi import api
app = webtest.TestApp(api.application)
print('answer', app.get('/').json['versions']['values'][0]['id'],
      app.get('/v2/meters', expect_errors=True).status_int)
'''


def _run(**env) -> tuple[list[str], str]:
    """The script's answer line and everything it wrote (log included)."""
    environ = dict(os.environ, OS_DEFAULT__TRANSPORT_URL='inprocess://', **env)
    done = subprocess.run([sys.executable, '-c', SCRIPT], capture_output=True, text=True,
                          env=environ, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    answers = [line.split()[1:] for line in done.stdout.splitlines()
               if line.startswith('answer ')]
    return answers[0], output


def test_the_wsgi_application_serves_the_versions_and_authenticates():
    answer, _output = _run(
        OS_API__AUTH_STRATEGY='keystone',
        OS_KEYSTONE_AUTHTOKEN__WWW_AUTHENTICATE_URI='http://keystone.invalid/v3')
    # Without a token keystonemiddleware refuses /v2 before any engine call.
    assert answer == ['v2', '401']


def test_noauth_is_logged_as_unsafe():
    answer, output = _run(OS_API__AUTH_STRATEGY='noauth', OS_WATCH_ENGINE__RPC_TIMEOUT='1')
    assert 'unsafe for production' in output
    # No engine listens in this process: the request times out as a 503.
    assert answer == ['v2', '503']
