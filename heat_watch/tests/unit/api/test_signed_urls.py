"""Pre-signed signal URLs when the services behind them do not answer: a
503 in the OpenStack error format, never a 500."""

import webtest
from cryptography import fernet

from heat_watch.api import signed_urls
from heat_watch.identity import signing
from heat_watch.tests import services

PATH = '/v1/p1/stacks/s/id1/resources/policy/signal'


def _never_reached(environ, start_response):
    raise AssertionError('a pre-signed request went on to token auth')


def test_a_signal_while_no_engine_answers_is_a_503(tmp_path):
    conf = services.make_conf(str(tmp_path), **{'watch_engine.rpc_timeout': 1,
                                                'credentials.encryption_key':
                                                    fernet.Fernet.generate_key().decode()})
    # Nothing listens on the in-process transport: the identity call times out.
    app = webtest.TestApp(signed_urls.SignedURLMiddleware(_never_reached, conf))
    url = signing.presign_url('POST', 'http://localhost' + PATH, 'AKID', 'secret')
    answer = app.post(url.replace('http://localhost', ''), '{}', expect_errors=True)
    assert answer.status_int == 503
    assert answer.json['error_message']['faultcode'] == 'Server'


def test_an_unsigned_request_goes_on_and_a_signed_one_elsewhere_is_refused(tmp_path):
    conf = services.make_conf(str(tmp_path))
    seen = []

    def downstream(environ, start_response):
        seen.append(environ['PATH_INFO'])
        start_response('204 No Content', [])
        return [b'']
    app = webtest.TestApp(signed_urls.SignedURLMiddleware(downstream, conf))
    assert app.post(PATH, '{}').status_int == 204 and seen == [PATH]
    url = signing.presign_url('POST', 'http://localhost/v1/p1/stacks', 'AKID', 'secret')
    assert app.post(url.replace('http://localhost', ''), '{}',
                    expect_errors=True).status_int == 403
