"""Project A never sees project B's meters or samples, through any endpoint
or q filter; an admin sees other projects only when it asks to."""

import pytest

from heat_watch.tests.functional.api.conftest import query, unique

SAMPLE = {'counter_type': 'gauge', 'counter_unit': '%', 'counter_volume': 5.0}


@pytest.fixture
def b_meter(project_b) -> tuple[str, str]:
    """A meter with one sample in project B only: (meter, resource)."""
    meter, resource = unique('b-meter'), unique('b-vm')
    project_b.post_samples(meter, [dict(SAMPLE, resource_id=resource)])
    return meter, resource


def _everything_a_can_ask(meter: str, resource: str) -> list[tuple[str, dict]]:
    filters = [{}, query(meter=meter), query(resource_id=resource),
               query(source='openstack'), query(meter=meter, resource_id=resource)]
    asks = []
    for params in filters:
        asks += [('/v2/meters', params), ('/v2/samples', params),
                 ('/v2/resources', params), ('/v2/meters/%s' % meter, params),
                 ('/v2/meters/%s/statistics' % meter, params)]
    return asks


def test_project_a_sees_none_of_project_b_through_any_endpoint(project_a, b_meter):
    meter, resource = b_meter
    for path, params in _everything_a_can_ask(meter, resource):
        response = project_a.get(path, params=params)
        assert response.status_code == 200, (path, params, response.text)
        assert resource not in response.text, (path, params)
    assert project_a.get('/v2/resources/%s' % resource).status_code == 404


def test_project_a_cannot_read_b_by_naming_it(project_a, b_meter):
    meter, resource = b_meter
    for path in ('/v2/meters', '/v2/samples', '/v2/resources', '/v2/meters/%s' % meter,
                 '/v2/meters/%s/statistics' % meter):
        named = project_a.get(path, params=query(project_id='project-b'))
        assert named.status_code == 403, (path, named.text)
        everything = project_a.get(path, params={'all_projects': 'true'})
        assert everything.status_code == 403, (path, everything.text)
        assert resource not in named.text + everything.text


def test_project_a_cannot_read_a_sample_of_b_by_its_id(project_a, project_b, b_meter):
    meter, _resource = b_meter
    sample_id = project_b.get('/v2/samples', params=query(meter=meter)).json()[0]['id']
    assert project_b.get('/v2/samples/%s' % sample_id).status_code == 200
    assert project_a.get('/v2/samples/%s' % sample_id).status_code == 404


def test_project_a_cannot_write_into_b(project_a, project_b, b_meter):
    meter, resource = b_meter
    refused = project_a.post('/v2/meters/%s' % meter, json=[
        dict(SAMPLE, resource_id=resource, project_id='project-b')])
    assert refused.status_code == 403
    assert len(project_b.get('/v2/meters/%s' % meter).json()) == 1


def test_admin_sees_other_projects_only_when_asking(admin, b_meter):
    meter, resource = b_meter
    assert admin.get('/v2/meters/%s' % meter).json() == []
    named = admin.get('/v2/meters/%s' % meter, params=query(project_id='project-b')).json()
    assert [(s['project_id'], s['resource_id']) for s in named] == [('project-b', resource)]
    everything = admin.get('/v2/meters', params=dict(query(meter=meter),
                                                     all_projects='true')).json()
    assert [m['project_id'] for m in everything] == ['project-b']
    stats = admin.get('/v2/meters/%s/statistics' % meter,
                      params={'all_projects': 'true', 'groupby': 'project_id'}).json()
    assert [s['groupby'] for s in stats] == [{'project_id': 'project-b'}]


def test_admin_may_write_samples_for_another_project(admin, project_b):
    meter = unique('admin-written')
    admin.post_samples(meter, [dict(SAMPLE, resource_id='vm-1', project_id='project-b')])
    assert [s['counter_volume'] for s in project_b.get('/v2/meters/%s' % meter).json()] == [
        5.0]
    assert admin.get('/v2/meters/%s' % meter).json() == []
