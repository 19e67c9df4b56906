"""The noauth identity and the OpenStack error body (heat_watch.api.middleware)."""

import json
import logging

import pytest
import webtest

from heat_watch.api import middleware


def _answering(status: str, body: bytes, content_type: str = 'text/plain'):
    def app(environ, start_response):
        start_response(status, [('Content-Type', content_type),
                                ('Content-Length', str(len(body))), ('X-Kept', 'yes')])
        return [body]
    return webtest.TestApp(middleware.ParsableErrorMiddleware(app))


@pytest.mark.parametrize('body,expected', [
    (json.dumps({'faultcode': 'Client', 'faultstring': 'Bad limit',
                 'debuginfo': None}), 'Bad limit'),
    (json.dumps({'error': {'code': 401, 'title': 'Unauthorized',
                           'message': 'The request you have made requires authentication.'}}),
     'The request you have made requires authentication.'),
    (json.dumps({'code': 400, 'title': 'Bad Request', 'description': 'The body is odd.'}),
     'The body is odd.'),
    ('<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1>'
     'The resource could not be found.<br /><br /></body></html>',
     'The resource could not be found.'),
    ('', 'Not Found'),
    ('<error><faultcode>Client</faultcode><faultstring>Bad &lt;limit&gt;</faultstring>'
     '<debuginfo /></error>', 'Bad <limit>'),
])
def test_every_error_body_becomes_the_openstack_document(body, expected):
    status = '401 Unauthorized' if 'authentication' in body else '404 Not Found'
    response = _answering(status, body.encode()).get('/', expect_errors=True)
    assert response.json['error_message']['faultstring'] == expected
    assert response.json['error_message']['faultcode'] == 'Client'
    assert response.headers['Content-Type'] == 'application/json'
    assert response.headers['X-Kept'] == 'yes'


def test_a_server_error_is_a_server_fault():
    response = _answering('503 Service Unavailable', b'down').get('/', expect_errors=True)
    assert response.status_int == 503
    assert response.json['error_message'] == {'faultstring': 'down', 'faultcode': 'Server',
                                              'debuginfo': None}


def test_an_error_already_in_the_format_is_left_alone():
    document = {'error_message': {'faultstring': 'x', 'faultcode': 'Client',
                                  'debuginfo': None}}
    response = _answering('409 Conflict', json.dumps(document).encode()).get(
        '/', expect_errors=True)
    assert response.json == document


def test_a_success_passes_through_untouched():
    response = _answering('200 OK', b'hello').get('/')
    assert response.body == b'hello' and response.headers['Content-Type'] == 'text/plain'


def _seen_identity(headers: dict) -> dict:
    seen = {}

    def app(environ, start_response):
        seen.update({key: environ.get(key) for key in (
            'HTTP_X_PROJECT_ID', 'HTTP_X_USER_ID', 'HTTP_X_ROLES')})
        start_response('200 OK', [])
        return [b'']
    webtest.TestApp(middleware.NoAuthMiddleware(app)).get('/', headers=headers)
    return seen


def test_noauth_defaults_to_the_admin_project_with_the_admin_role():
    assert _seen_identity({}) == {'HTTP_X_PROJECT_ID': 'admin', 'HTTP_X_USER_ID': None,
                                  'HTTP_X_ROLES': 'admin'}


def test_noauth_takes_the_callers_project_user_and_roles():
    assert _seen_identity({'X-Project-Id': 'p', 'X-User-Id': 'u'}) == {
        'HTTP_X_PROJECT_ID': 'p', 'HTTP_X_USER_ID': 'u', 'HTTP_X_ROLES': 'member'}
    assert _seen_identity({'X-Project-Id': 'p', 'X-Roles': 'admin,member'})[
        'HTTP_X_ROLES'] == 'admin,member'


@pytest.mark.parametrize('path, read', [
    ('/v2/meters', lambda doc: doc['error_message']['faultcode'] == 'Server'),
    ('/v1/p/stacks', lambda doc: doc['code'] == 500 and doc['error']['message']),
])
def test_a_layer_that_raises_still_answers_500_in_the_paths_format(path, read, caplog):
    def raising(environ, start_response):
        raise RuntimeError('auth_token: no auth plugin configured (secret=hunter2)')
    with caplog.at_level(logging.WARNING, logger='heat_watch.api.middleware'):
        response = webtest.TestApp(middleware.ParsableErrorMiddleware(raising)).get(
            path, expect_errors=True)
    assert response.status_int == 500
    assert read(response.json)
    assert 'hunter2' not in response.text  # the exception's text is logged, not sent
    logged = [r for r in caplog.records if r.name == 'heat_watch.api.middleware']
    assert len(logged) == 1 and logged[0].exc_info  # once, with its traceback
