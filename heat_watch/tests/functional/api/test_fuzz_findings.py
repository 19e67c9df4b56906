"""What schemathesis found in the meters part, each now a 400 in the
OpenStack error format (they were 500s), and nothing written."""

import pytest

from heat_watch.tests.functional.api.conftest import unique


def _client_error(answer) -> str:
    assert answer.status_code == 400, (answer.status_code, answer.text)
    fault = answer.json()['error_message']
    assert fault['faultcode'] == 'Client'
    return fault['faultstring']


@pytest.mark.parametrize('path', ['/v2/meters', '/v2/samples', '/v2/resources',
                                  '/v2/meters/cpu', '/v2/meters/cpu/statistics'])
def test_q_attributes_given_a_different_number_of_times_are_refused(project_a, path):
    # WSME raised IndexError building the Query list (q.type twice, q.field once).
    answer = project_a.get(path, params=[('q.field', ''), ('q.op', ''), ('q.value', ''),
                                         ('q.type', 'x'), ('q.type', 'y')])
    assert 'q.field' in _client_error(answer)


def test_a_sample_timestamp_of_the_wrong_json_type_is_refused_and_nothing_written(
        project_a):
    meter = unique('meter')
    good = {'counter_name': meter, 'counter_type': 'gauge', 'counter_unit': '%',
            'counter_volume': 1.0, 'resource_id': 'r1'}
    answer = project_a.post('/v2/meters/%s' % meter, json=[good, dict(good, timestamp={})])
    _client_error(answer)
    assert project_a.get('/v2/meters/%s' % meter).json() == []


def test_a_form_body_without_a_boundary_is_refused(project_a):
    # pecan's routing parsed it for _method and webob raised ValueError.
    answer = project_a.post('/v2/meters/%s' % unique('meter'), data=b'[{}]',
                            headers={'Content-Type': 'multipart/form-data'})
    assert 'cannot be parsed' in _client_error(answer)
