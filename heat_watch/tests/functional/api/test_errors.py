"""Malformed input at every route: a 4xx in the OpenStack error format,
never a 500, never half-written data."""

import pytest

from heat_watch.tests.functional.api.conftest import unique

GOOD = {'counter_type': 'gauge', 'counter_unit': '%', 'counter_volume': 1.0,
        'resource_id': 'vm-1'}

GET_ROUTES = ['/v2/meters', '/v2/meters/m', '/v2/meters/m/statistics', '/v2/samples',
              '/v2/resources']
BAD_QUERIES = [
    {'q.field': 'no_such_field', 'q.value': 'x'},
    {'q.field': 'resource_id', 'q.op': 'like', 'q.value': 'x'},
    {'q.field': 'timestamp', 'q.op': 'ge', 'q.value': 'not-a-time'},
    {'q.field': 'user_id', 'q.value': 'u'},
    {'q.field': 'resource_id', 'q.op': 'gt', 'q.value': 'x'},
    {'q.field': 'resource_id'},
    {'q.value': 'x'},
    {'limit': 'abc'},
    {'limit': '-1'},
    {'limit': '0'},
    {'all_projects': 'perhaps'},
    {'no_such_parameter': '1'},
]
BAD_STATISTICS = [
    {'period': 'abc'}, {'period': '0'}, {'period': '-60'}, {'groupby': 'user_id'},
    {'groupby': 'no_such_field'}, {'aggregate.func': 'stddev'},
    {'aggregate.func': 'cardinality', 'aggregate.param': 'resource_id'},
    {'aggregate.param': 'x'},
]


def _bad_samples(meter: str) -> list:
    def good(**changes):
        body = dict(GOOD)
        body.update(changes)
        return body
    without_resource = dict(GOOD)
    del without_resource['resource_id']
    return [
        'not json at all', '{"counter_volume": 1}', '[]', '[1, 2]', '["sample"]',
        [good(counter_volume='abc')], [without_resource],
        [good(counter_volume=None)], [good(counter_type='cumulative')],
        [good(counter_unit='furlongs')], [good(counter_volume='NaN')],
        [good(counter_volume='Infinity')], [good(timestamp='yesterday')],
        [good(counter_name='another-meter')], [good(resource_metadata='flat')],
        [good(resource_metadata={'metering.ResourceId': 'x'})],
        [good(resource_id='x' * 1025)], [good(resource_id='')],
        [good(source='s' * 256)], [good(no_such_field=1)],
        [good(resource_metadata={'metering.%s' % i: 'v' for i in range(40)})],
        [good()] * 1001,
        [good(), good(counter_unit='furlongs')],
    ]


def _assert_client_error(response, statuses=(400,)):
    assert response.status_code in statuses, (response.status_code, response.text)
    fault = response.json()['error_message']
    assert fault['faultcode'] == 'Client' and fault['faultstring']


@pytest.mark.parametrize('path', GET_ROUTES)
@pytest.mark.parametrize('params', BAD_QUERIES, ids=lambda p: '&'.join(p))
def test_malformed_queries_are_refused(project_a, path, params):
    _assert_client_error(project_a.get(path, params=params))


@pytest.mark.parametrize('params', BAD_STATISTICS, ids=lambda p: '&'.join(p))
def test_malformed_statistics_arguments_are_refused(project_a, params):
    _assert_client_error(project_a.get('/v2/meters/m/statistics', params=params))


def test_malformed_samples_are_refused_and_nothing_is_written(project_a):
    meter = unique('bad')
    for body in _bad_samples(meter):
        kwargs = {'data': body, 'headers': {'Content-Type': 'application/json'}} \
            if isinstance(body, str) else {'json': body}
        response = project_a.post('/v2/meters/%s' % meter, **kwargs)
        _assert_client_error(response)
    assert project_a.get('/v2/meters/%s' % meter).json() == []
    assert project_a.get('/v2/meters', params={'q.field': 'meter',
                                               'q.value': meter}).json() == []


@pytest.mark.parametrize('method,path', [
    ('DELETE', '/v2/meters'), ('PUT', '/v2/meters'), ('POST', '/v2/meters'),
    ('DELETE', '/v2/meters/m'), ('PUT', '/v2/meters/m'),
    ('POST', '/v2/meters/m/statistics'), ('POST', '/v2/samples'),
    ('DELETE', '/v2/samples/1.1'), ('POST', '/v2/resources'), ('PUT', '/v2/capabilities'),
])
def test_unsupported_methods_answer_405(project_a, method, path):
    _assert_client_error(project_a.request(method, path), (405,))


@pytest.mark.parametrize('path', ['/v3', '/v2/nothing', '/v2/samples/not-an-id',
                                  '/v2/samples/1.2', '/v2/resources/no-such-resource'])
def test_unknown_paths_answer_404(project_a, path):
    _assert_client_error(project_a.get(path), (404,))


def test_an_unknown_path_under_a_meter_is_a_client_error(project_a):
    # pecan's REST routing answers 405 there (the meter's GET takes no path).
    _assert_client_error(project_a.get('/v2/meters/m/nothing'), (404, 405))
    _assert_client_error(project_a.post('/v2/meters/m/nothing', json=[]), (400, 404, 405))


def test_another_project_cannot_be_named_in_a_sample(project_a):
    meter = unique('foreign')
    response = project_a.post('/v2/meters/%s' % meter,
                              json=[dict(GOOD, project_id='project-b')])
    _assert_client_error(response, (403,))
    response = project_a.post('/v2/meters/%s' % meter, json=[dict(GOOD, user_id='other')])
    _assert_client_error(response, (403,))
