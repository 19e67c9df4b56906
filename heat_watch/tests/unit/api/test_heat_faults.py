"""The error middleware writes Heat's body under /v1 and Ceilometer's
elsewhere, whichever layer wrote the error."""

import json

import pytest
import webob

from heat_watch.api import heat_faults, middleware


def _app(status: int, body: bytes, content_type: str = 'text/html'):
    def application(environ, start_response):
        start_response('%d Whatever' % status, [('Content-Type', content_type)])
        return [body]
    return middleware.ParsableErrorMiddleware(application)


def _call(app, path: str) -> webob.Response:
    return webob.Request.blank(path).get_response(app)


@pytest.mark.parametrize('body', [
    b'<html><title>401</title><body>Authentication required</body></html>',
    json.dumps({'error': {'message': 'Authentication required', 'code': 401}}).encode(),
])
def test_an_error_of_another_layer_under_v1_is_heats_body(body):
    answer = _call(_app(401, body), '/v1/p/stacks')
    document = json.loads(answer.body)
    assert answer.status_int == 401
    assert document['code'] == 401 and document['title'] == 'Unauthorized'
    assert 'Authentication required' in document['error']['message']
    assert document['error']['type'] == 'HTTPUnauthorized'


def test_a_heat_body_under_v1_is_kept():
    mine = heat_faults.fault(404, 'The Stack (x) could not be found.', 'EntityNotFound')
    answer = _call(_app(404, json.dumps(mine).encode(), 'application/json'), '/v1/p/stacks/x')
    assert json.loads(answer.body) == mine


def test_errors_elsewhere_keep_the_ceilometer_body():
    answer = _call(_app(404, b'<p>no such meter</p>'), '/v2/meters/x')
    assert json.loads(answer.body)['error_message']['faultstring'] == 'no such meter'
    assert not heat_faults.is_heat_path('/v2/meters') and not heat_faults.is_heat_path('/v10')
    assert heat_faults.is_heat_path('/v1') and heat_faults.is_heat_path('/v1/p/stacks')
