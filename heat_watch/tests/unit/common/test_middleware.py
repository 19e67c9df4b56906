"""The common WSGI middleware, called as a WSGI server would call it."""

import io

import pytest
from oslo_config import cfg

from heat_watch.common import exceptions, middleware


class Recorder:
    """A WSGI application remembering the environ it saw, reading the body."""

    def __init__(self):
        self.environ = None

    def __call__(self, environ, start_response):
        self.environ = environ
        body = environ['wsgi.input'].read()
        start_response('200 OK', [('Content-Length', str(len(body)))])
        return [body]


def refuse(environ, start_response, limit):
    start_response('400 Bad Request', [('X-Limit', str(limit))])
    return [b'refused']


def call(app, path='/v1', body=b'', headers=None):
    environ = {'REQUEST_METHOD': 'POST', 'PATH_INFO': path, 'SERVER_NAME': 'x',
               'SERVER_PORT': '80', 'wsgi.url_scheme': 'http', 'wsgi.input': io.BytesIO(body),
               'CONTENT_LENGTH': str(len(body))}
    environ.update(headers or {})
    started = []
    result = b''.join(app(environ, lambda status, hdrs, exc_info=None: started.extend(
        [status, dict(hdrs)])))
    return started[0], started[1], result


@pytest.fixture
def stack():
    conf = cfg.ConfigOpts()
    conf([], default_config_files=[])
    app = Recorder()
    return app, middleware.wrap(app, conf, 16, refuse)


def test_the_application_sees_the_id_the_answer_carries(stack):
    app, wrapped = stack
    _, headers, _ = call(wrapped)

    assert headers['x-openstack-request-id'] == app.environ['openstack.request_id']
    assert headers['x-openstack-request-id'].startswith('req-')


def test_a_valid_inbound_id_becomes_the_global_request_id_and_a_bogus_one_is_ignored(stack):
    app, wrapped = stack
    inbound = 'req-12345678-1234-1234-1234-123456789abc'

    call(wrapped, headers={'HTTP_X_OPENSTACK_REQUEST_ID': inbound})
    assert app.environ['openstack.global_request_id'] == inbound
    assert app.environ['openstack.request_id'] != inbound

    call(wrapped, headers={'HTTP_X_OPENSTACK_REQUEST_ID': 'req-<script>'})
    assert 'openstack.global_request_id' not in app.environ


def test_an_id_the_application_set_itself_is_not_repeated():
    def app(environ, start_response):
        start_response('200 OK', [('X-OpenStack-Request-Id', 'own')])
        return [b'']

    _, headers, _ = call(middleware.RequestId(app))

    assert headers == {'X-OpenStack-Request-Id': 'own'}


def test_a_declared_body_over_the_limit_gets_the_apis_refusal_unread(stack):
    app, wrapped = stack

    status, headers, body = call(wrapped, body=b'x' * 17)

    assert (status, body, headers['X-Limit']) == ('400 Bad Request', b'refused', '16')
    assert app.environ is None
    assert headers['x-openstack-request-id'].startswith('req-')


def test_a_body_at_the_limit_passes(stack):
    app, wrapped = stack

    status, _, body = call(wrapped, body=b'x' * 16)

    assert (status, body) == ('200 OK', b'x' * 16)
    assert app.environ is not None


def test_a_chunked_body_is_cut_off_past_the_limit():
    stream = middleware.LimitedInput(io.BytesIO(b'y' * 40), 16)

    assert stream.read(10) == b'y' * 10
    with pytest.raises(exceptions.RequestTooLarge, match='larger than 16 bytes'):
        stream.read()


def test_a_chunked_body_within_the_limit_reads_whole(stack):
    app, wrapped = stack

    status, _, body = call(wrapped, body=b'z' * 12,
                           headers={'CONTENT_LENGTH': '', 'HTTP_TRANSFER_ENCODING': 'chunked'})

    assert (status, body) == ('200 OK', b'z' * 12)
    assert isinstance(app.environ['wsgi.input'], middleware.LimitedInput)


def test_the_healthcheck_path_is_answered_before_the_application(stack):
    app, wrapped = stack

    status, headers, _ = call(wrapped, path='/healthcheck')

    assert status == '200 OK'
    assert app.environ is None
    assert headers['x-openstack-request-id'].startswith('req-')
