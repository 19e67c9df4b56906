"""Project A never lists, reads, changes or deletes project B's alarms or
their history, through any endpoint or query filter; an admin reaches
another project's alarms only by naming it or by asking for every project."""

import json

import pytest

from heat_watch.tests.functional.api.conftest import query, unique
from heat_watch.tests.functional.api.test_alarms import create, threshold_alarm


@pytest.fixture
def b_alarm(project_b) -> dict:
    made = create(project_b, threshold_alarm(unique('b-secret')))
    project_b.request('PUT', '/v2/alarms/%s/state' % made['alarm_id'], json='alarm')
    return made


def test_a_lists_and_queries_none_of_b(project_a, b_alarm):
    name, alarm_id = b_alarm['name'], b_alarm['alarm_id']
    for params in ({}, query(name=name), query(alarm_id=alarm_id), query(state='alarm'),
                   query(meter='cpu_util')):
        listed = project_a.get('/v2/alarms', params=params)
        assert listed.status_code == 200, listed.text
        assert alarm_id not in listed.text and name not in listed.text
    for filter_ in ({'=': {'name': name}}, {'=': {'alarm_id': alarm_id}},
                    {'=~': {'name': '.*'}}, {'or': [{'=': {'name': name}},
                                                    {'!=': {'name': name}}]}):
        found = project_a.post('/v2/query/alarms', json={'filter': json.dumps(filter_)})
        assert found.status_code == 200, found.text
        assert alarm_id not in found.text
        history = project_a.post('/v2/query/alarms/history', json={
            'filter': json.dumps({'=': {'alarm_id': alarm_id}})})
        assert history.json() == []


def test_a_cannot_read_change_or_delete_b_by_id(project_a, project_b, b_alarm):
    alarm_id = b_alarm['alarm_id']
    path = '/v2/alarms/%s' % alarm_id
    assert project_a.get(path).status_code == 404
    assert project_a.get(path + '/state').status_code == 404
    assert project_a.get(path + '/history').json() == []
    assert project_a.request('PUT', path, json=dict(b_alarm, name='stolen')).status_code == 404
    assert project_a.request('PUT', path + '/state', json='ok').status_code == 404
    assert project_a.request('DELETE', path).status_code == 404
    assert project_b.get(path).json()['name'] == b_alarm['name']
    history = project_b.get(path + '/history').json()
    assert {h['type'] for h in history} <= {'creation', 'state transition'}
    assert 'ok' not in {json.loads(h['detail']).get('state') for h in history}


def test_a_cannot_combine_b_alarms_nor_name_b(project_a, b_alarm):
    refused = project_a.post('/v2/alarms', json={
        'name': unique('mine'), 'type': 'combination',
        'combination_rule': {'alarm_ids': [b_alarm['alarm_id']]}})
    assert refused.status_code == 400
    assert project_a.get('/v2/alarms', params=query(project_id='project-b')).status_code == 403
    named = project_a.post('/v2/query/alarms', json={
        'filter': json.dumps({'=': {'project_id': 'project-b'}})})
    assert named.status_code == 403
    named = project_a.post('/v2/query/alarms/history', json={
        'filter': json.dumps({'and': [{'=': {'project_id': 'project-b'}},
                                      {'=': {'type': 'creation'}}]})})
    assert named.status_code == 403


def test_admin_reads_b_only_when_naming_it(admin, b_alarm):
    assert b_alarm['alarm_id'] not in admin.get('/v2/alarms').text
    named = admin.get('/v2/alarms', params=query(project_id='project-b',
                                                 name=b_alarm['name'])).json()
    assert [(a['alarm_id'], a['project_id']) for a in named] == [
        (b_alarm['alarm_id'], 'project-b')]
    found = admin.post('/v2/query/alarms', json={'filter': json.dumps(
        {'and': [{'=': {'project_id': 'project-b'}}, {'=': {'name': b_alarm['name']}}]})})
    assert [a['alarm_id'] for a in found.json()] == [b_alarm['alarm_id']]


@pytest.mark.parametrize('params', [{'all_projects': 'true'},
                                    query(all_projects='true'),
                                    dict(query(name='x'), all_projects='1')])
def test_a_asking_for_every_project_is_403_and_sees_nothing(project_a, b_alarm, params):
    refused = project_a.get('/v2/alarms', params=params)
    assert refused.status_code == 403, refused.text
    assert b_alarm['alarm_id'] not in refused.text


def test_admin_lists_every_project_when_asking(admin, project_a, b_alarm):
    mine = create(project_a, threshold_alarm(unique('a-visible')))
    for params in ({'all_projects': 'true'}, query(all_projects='true')):
        listed = admin.get('/v2/alarms', params=params)
        assert listed.status_code == 200, listed.text
        found = {a['alarm_id']: a['project_id'] for a in listed.json()}
        assert (found[b_alarm['alarm_id']], found[mine['alarm_id']]) == (
            'project-b', 'project-a')
    named = admin.get('/v2/alarms', params=dict(query(name=b_alarm['name']),
                                                all_projects='true')).json()
    assert [(a['alarm_id'], a['state']) for a in named] == [(b_alarm['alarm_id'], 'alarm')]
    # A project named as well narrows the listing to it.
    only_a = admin.get('/v2/alarms', params=dict(query(project_id='project-a'),
                                                 all_projects='true')).json()
    assert {a['project_id'] for a in only_a} == {'project-a'}
    assert mine['alarm_id'] in {a['alarm_id'] for a in only_a}
    # all_projects=false is the admin's own project, as without it.
    own = admin.get('/v2/alarms', params={'all_projects': 'false'}).json()
    assert {a['project_id'] for a in own} <= {'admin'}
