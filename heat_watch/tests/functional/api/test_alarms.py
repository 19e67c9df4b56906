"""/v2/alarms over HTTP against the session's heat-watch-api (noauth): the
Ceilometer/Aodh alarm dialect on the engine's alarms."""

import json

import pytest

from heat_watch.tests.functional.api.conftest import RestClient, query, unique

GROUP_FIELD = 'metadata.user_metadata.AutoScalingGroupName'


def threshold_alarm(name: str, **rule) -> dict:
    return {'name': name, 'type': 'threshold', 'severity': 'moderate',
            'alarm_actions': ['log://alarm'],
            'threshold_rule': dict({'meter_name': 'cpu_util', 'comparison_operator': 'gt',
                                    'threshold': 70.0, 'statistic': 'avg', 'period': 60,
                                    'evaluation_periods': 1,
                                    'query': [{'field': GROUP_FIELD, 'op': 'eq',
                                               'value': 'web'}]}, **rule)}


def reason_of(item: dict) -> str:
    """The transition reason of a history item (to compare the rest)."""
    return json.loads(item['detail']).get('transition_reason')


def create(client, body: dict) -> dict:
    response = client.post('/v2/alarms', json=body)
    assert response.status_code == 201, response.text
    return response.json()


def fault(response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()['error_message']['faultstring']


def test_create_get_list_update_delete(project_a):
    name = unique('high-cpu')
    made = create(project_a, threshold_alarm(name))
    assert (made['name'], made['type'], made['severity'], made['state'],
            made['project_id'], made['user_id']) == (
        name, 'threshold', 'moderate', 'insufficient data', 'project-a', 'user-a')
    assert made['threshold_rule']['query'][0] == {
        'field': GROUP_FIELD, 'op': 'eq', 'value': 'web', 'type': 'string'}
    alarm_id = made['alarm_id']
    assert project_a.get('/v2/alarms/%s' % alarm_id).json() == made
    listed = project_a.get('/v2/alarms', params=query(name=name)).json()
    assert [a['alarm_id'] for a in listed] == [alarm_id]
    # Clients update by GET, merge, PUT: every field comes back.
    changed = dict(made, description='raised')
    changed['threshold_rule'] = dict(made['threshold_rule'], threshold=90.0)
    put = project_a.request('PUT', '/v2/alarms/%s' % alarm_id, json=changed)
    assert put.status_code == 200, put.text
    assert (put.json()['threshold_rule']['threshold'], put.json()['description']) == (
        90.0, 'raised')
    deleted = project_a.request('DELETE', '/v2/alarms/%s' % alarm_id)
    assert deleted.status_code == 204
    fault(project_a.get('/v2/alarms/%s' % alarm_id), 404)
    history = project_a.get('/v2/alarms/%s/history' % alarm_id).json()
    assert [h['type'] for h in history] == ['deletion', 'rule change', 'creation']
    # The engine keeps the deleted definition: the clients read its severity.
    deleted = json.loads(history[0]['detail'])
    assert (deleted['severity'], deleted['name'], deleted['rule']['threshold']) == (
        'moderate', made['name'], 90.0)


def test_a_history_marker_out_of_range_is_a_400(project_a):
    made = create(project_a, threshold_alarm(unique('marker')))
    for marker in ('99999999999999999999999', '-5', 'x'):
        fault(project_a.get('/v2/alarms/%s/history' % made['alarm_id'],
                            params={'marker': marker}), 400)


def test_state_get_set_and_history(project_a):
    made = create(project_a, threshold_alarm(unique('state')))
    path = '/v2/alarms/%s/state' % made['alarm_id']
    assert project_a.get(path).json() == 'insufficient data'
    put = project_a.request('PUT', path, data=json.dumps('alarm'),
                            headers={'Content-Type': 'application/json'})
    assert (put.status_code, put.json()) == (200, 'alarm')
    got = project_a.get(path).json()
    fault(project_a.request('PUT', path, json='bad'), 400)
    history = project_a.get('/v2/alarms/%s/history' % made['alarm_id']).json()
    # The engine's next evaluation (every 10 s) restores the true state, as a
    # transition of its own: alarm until then.
    restored = json.loads(history[0]['detail']) == {
        'state': 'insufficient data', 'transition_reason': reason_of(history[0])}
    assert got == 'alarm' or (got == 'insufficient data' and restored)
    history = history[1:] if restored else history
    assert [h['type'] for h in history] == ['state transition', 'creation']
    transition = json.loads(history[0]['detail'])
    assert transition == {'state': 'alarm',
                          'transition_reason': 'State set through the REST API'}
    creation = json.loads(history[1]['detail'])
    assert creation['severity'] == 'moderate'
    assert set(history[0]) == {'event_id', 'alarm_id', 'type', 'detail', 'project_id',
                               'user_id', 'on_behalf_of', 'timestamp'}
    only = project_a.get('/v2/alarms/%s/history' % made['alarm_id'],
                         params=query(type='creation')).json()
    assert [h['type'] for h in only] == ['creation']
    later = project_a.get('/v2/alarms/%s/history' % made['alarm_id'], params=query(
        timestamp=('gt', history[1]['timestamp']))).json()
    # (the engine's evaluation may have added a restoring transition since)
    assert history[0]['event_id'] in [h['event_id'] for h in later]
    assert history[1]['event_id'] not in [h['event_id'] for h in later]
    assert all(h['timestamp'] > history[1]['timestamp'] for h in later)


def test_q_filters_limit_sort_and_empty_op(project_a):
    prefix = unique('q')
    for letter, severity in (('a', 'low'), ('b', 'critical'), ('c', 'critical')):
        create(project_a, dict(threshold_alarm('%s-%s' % (prefix, letter)), severity=severity))
    params = {'q.field': ['severity'], 'q.op': [''], 'q.value': ['critical'],
              'sort': 'name:desc', 'limit': '10'}
    names = [a['name'] for a in project_a.get('/v2/alarms', params=params).json()
             if a['name'].startswith(prefix)]
    assert names == ['%s-c' % prefix, '%s-b' % prefix]
    one = project_a.get('/v2/alarms', params=dict(query(name='%s-a' % prefix), limit=1))
    assert [a['severity'] for a in one.json()] == ['low']
    assert project_a.get('/v2/alarms', params={
        'q.field': 'state', 'q.value': 'insufficient data'}).status_code == 200


def test_combination_alarm_names_its_children_by_id(project_a):
    first = create(project_a, threshold_alarm(unique('child')))
    second = create(project_a, threshold_alarm(unique('child')))
    combined = create(project_a, {'name': unique('both'), 'type': 'combination',
                                  'combination_rule': {'operator': 'and', 'alarm_ids': [
                                      first['alarm_id'], second['alarm_id']]}})
    assert combined['combination_rule'] == {
        'operator': 'and', 'alarm_ids': [first['alarm_id'], second['alarm_id']]}
    # Listing by type: the engine tells threshold from the others, the API
    # combination from composite; a limit holds either way.
    for kind, wanted in (('threshold', first), ('combination', combined)):
        listed = project_a.get('/v2/alarms', params=dict(query(type=kind), limit=1000)).json()
        assert {a['type'] for a in listed} == {kind}
        assert wanted['alarm_id'] in [a['alarm_id'] for a in listed]
        assert len(project_a.get('/v2/alarms', params=dict(query(type=kind), limit=1)).json()) == 1
    fault(project_a.post('/v2/alarms', json={
        'name': unique('bad'), 'type': 'combination',
        'combination_rule': {'alarm_ids': ['no-such-alarm']}}), 400)


@pytest.mark.parametrize('change, words', [
    ({'threshold_rule': {'meter_name': 'm', 'threshold': 1, 'exclude_outliers': True}},
     'exclude_outliers'),
    ({'time_constraints': [{'name': 'n', 'start': '* * * * *', 'duration': 10}]},
     'time_constraints'),
    ({'threshold_rule': {'meter_name': 'm', 'threshold': 1, 'comparison_operator': 'eq'}},
     'comparison_operator'),
    ({'type': 'gnocchi_resources_threshold'}, 'type'),
    ({'severity': 'urgent'}, 'severity'),
    ({'state': 'broken'}, 'state'),
    ({'alarm_actions': ['ftp://x']}, 'scheme'),
    ({'alarm_actions': 'log://x'}, 'alarm_actions'),
    ({'bogus': 1}, 'bogus'),
    # (10**9 periods would have the engine read 10**9 periods at each evaluation)
    ({'threshold_rule': {'meter_name': 'm', 'threshold': 1, 'comparison_operator': 'gt',
                         'evaluation_periods': 10 ** 9}}, 'must not exceed'),
])
def test_what_cannot_be_expressed_is_a_clear_400_and_nothing_is_written(
        project_a, change, words):
    name = unique('refused')
    message = fault(project_a.post('/v2/alarms', json=dict(threshold_alarm(name), **change)),
                    400)
    assert words in message
    assert project_a.get('/v2/alarms', params=query(name=name)).json() == []


@pytest.mark.parametrize('body', ['not json', '[1, 2]', '"text"', '{"name": 5}'])
def test_malformed_bodies_are_400(project_a, body):
    response = project_a.post('/v2/alarms', data=body,
                              headers={'Content-Type': 'application/json'})
    fault(response, 400)


def test_a_taken_name_is_409(project_a):
    name = unique('taken')
    create(project_a, threshold_alarm(name))
    fault(project_a.post('/v2/alarms', json=threshold_alarm(name)), 409)


def test_unknown_alarm_is_404_and_wrong_method_405(project_a):
    fault(project_a.get('/v2/alarms/nope'), 404)
    fault(project_a.get('/v2/alarms/nope/state'), 404)
    assert project_a.request('DELETE', '/v2/alarms').status_code == 405


def test_bad_q_filters_are_400(project_a):
    for params in (query(name=('lt', 'x')), query(flavor='x'), query(state='on fire'),
                   {'sort': 'colour:asc'}, {'limit': '0'}, {'all_projects': 'maybe'},
                   query(all_projects=('ne', 'true'))):
        fault(project_a.get('/v2/alarms', params=params), 400)


def test_complex_query_on_alarms_and_history(project_a):
    prefix = unique('cq')
    for letter, threshold in (('a', 10.0), ('b', 20.0), ('c', 30.0)):
        create(project_a, threshold_alarm('%s-%s' % (prefix, letter), threshold=threshold))
    response = project_a.post('/v2/query/alarms', json={
        'filter': json.dumps({'and': [{'=~': {'name': '^%s-' % prefix}},
                                      {'or': [{'in': {'name': ['%s-a' % prefix,
                                                               '%s-c' % prefix]}},
                                              {'>': {'threshold_rule.threshold': 25}}]},
                                      {'not': {'=': {'state': 'alarm'}}}]}),
        'orderby': json.dumps([{'name': 'desc'}]), 'limit': 5})
    assert response.status_code == 200, response.text
    assert [a['name'] for a in response.json()] == ['%s-c' % prefix, '%s-a' % prefix]
    first = project_a.post('/v2/query/alarms', json={
        'filter': json.dumps({'=': {'name': '%s-b' % prefix}})}).json()[0]
    history = project_a.post('/v2/query/alarms/history', json={
        'filter': json.dumps({'and': [{'=': {'alarm_id': first['alarm_id']}},
                                      {'=': {'type': 'creation'}}]})})
    assert [(h['alarm_id'], h['type']) for h in history.json()] == [
        (first['alarm_id'], 'creation')]


@pytest.mark.parametrize('body', [
    {'filter': '{"=": {"name": "x"'},
    {'filter': json.dumps({'~~': {'name': 'x'}})},
    {'filter': json.dumps({'=': {'colour': 'x'}})},
    {'filter': json.dumps({'and': [{'=': {'name': 'x'}}]})},
    {'filter': json.dumps({'=~': {'name': '('}})},
    {'orderby': json.dumps([{'name': 'sideways'}])},
    {'limit': 0},
    {'unexpected': 1},
])
def test_malformed_complex_queries_are_400(project_a, body):
    fault(project_a.post('/v2/query/alarms', json=body), 400)


def test_capabilities_say_what_alarms_support(project_a):
    api = project_a.get('/v2/capabilities').json()['api']
    assert api['alarms:query:simple'] and api['alarms:query:complex']
    assert api['alarms:history:query:complex']


def test_listing_renders_every_alarm_as_reading_it_does(rest_endpoint):
    # The listing renders the engine's rows, reading one alarm its records:
    # every kind of alarm must come out the same both ways.
    client = RestClient(rest_endpoint, unique('render'), 'user-r')
    first = create(client, threshold_alarm('a-' + unique('plain')))
    second = create(client, threshold_alarm('b-' + unique('other'), statistic='max', query=[
        {'field': 'resource_id', 'op': 'eq', 'value': 'vm-1'},
        {'field': 'source', 'op': 'eq', 'value': 'MyApp'}], comparison_operator='le'))
    create(client, dict(threshold_alarm('c-' + unique('quiet')), enabled=False,
                        description='says something \u00e9', repeat_actions=True,
                        severity='critical', ok_actions=['log://ok'],
                        insufficient_data_actions=['log://none']))
    create(client, {'name': 'd-' + unique('both'), 'type': 'combination',
                    'combination_rule': {'operator': 'or', 'alarm_ids': [
                        first['alarm_id'], second['alarm_id']]}})
    create(client, {'name': 'e-' + unique('expr'), 'type': 'composite',
                    'composite_rule': {'expression': 'ALARM("%s") AND NOT ALARM("gone")'
                                       % first['name']}})
    client.request('PUT', '/v2/alarms/%s/state' % second['alarm_id'], json='alarm')
    listed = client.get('/v2/alarms')
    assert listed.status_code == 200, listed.text
    assert listed.headers['Content-Type'].startswith('application/json')
    read = [client.get('/v2/alarms/%s' % a['alarm_id']).json() for a in listed.json()]
    assert listed.json() == read
    assert [a['type'] for a in read] == ['threshold', 'threshold', 'threshold',
                                         'combination', 'composite']


def test_history_renders_every_item_as_the_complex_query_does(project_a):
    # GET .../history renders the engine's rows, the complex query its records.
    made = create(project_a, threshold_alarm(unique('hist')))
    path = '/v2/alarms/%s' % made['alarm_id']
    for state in ('alarm', 'ok', 'alarm'):
        project_a.request('PUT', path + '/state', json=state)
    project_a.request('PUT', path, json=dict(made, description='changed'))
    project_a.request('DELETE', path)
    got = project_a.get(path + '/history').json()
    queried = project_a.post('/v2/query/alarms/history', json={
        'filter': json.dumps({'=': {'alarm_id': made['alarm_id']}}),
        'orderby': json.dumps([{'timestamp': 'desc'}])}).json()
    assert len(got) >= 6
    assert [dict(h, detail=json.loads(h['detail'])) for h in got] == [
        dict(h, detail=json.loads(h['detail'])) for h in queried]
