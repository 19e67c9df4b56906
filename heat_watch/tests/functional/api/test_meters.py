"""/v2 meters, samples, statistics and resources through plain HTTP."""

import datetime

import requests
import webtest
from oslo_middleware import cors

from heat_watch.api import app as api_app
from heat_watch.tests.functional.api.conftest import query, unique
from heat_watch.watch import rpcapi

BASE = datetime.datetime.now(datetime.UTC).replace(
    minute=0, second=0, microsecond=0, tzinfo=None) - datetime.timedelta(hours=1)


def at(minutes: float) -> str:
    return (BASE + datetime.timedelta(minutes=minutes)).isoformat()


def sample(resource: str, value: float, minutes: float, **extra) -> dict:
    body = {'counter_type': 'gauge', 'counter_unit': '%', 'counter_volume': value,
            'resource_id': resource, 'timestamp': at(minutes)}
    body.update(extra)
    return body


def test_root_answers_the_versions_document(project_a):
    response = project_a.get('/')
    assert response.status_code == 200
    version = response.json()['versions']['values'][0]
    assert version['id'] == 'v2' and version['status'] == 'stable'
    assert version['links'][0]['href'].endswith('/v2')


def test_healthcheck_answers_without_identity(rest_endpoint):
    response = requests.get(rest_endpoint + '/healthcheck', timeout=10)
    assert response.status_code == 200


def test_every_answer_carries_a_request_id(project_a):
    for path in ('/', '/v2/meters', '/v2/no-such-thing'):
        assert project_a.get(path).headers['X-OpenStack-Request-ID'].startswith('req-')


def test_cors_preflight_is_answered_for_a_configured_origin(deployment):
    conf = deployment.conf
    conf.register_opts(cors.OPTS, 'cors')
    conf.set_override('allowed_origin', ['http://dashboard.example'], 'cors')
    try:
        app = webtest.TestApp(api_app.setup_app(conf, rpcapi.WatchEngineClient(conf)))
        allowed = app.options('/v2/meters', headers={
            'Origin': 'http://dashboard.example', 'Access-Control-Request-Method': 'GET'})
        other = app.options('/v2/meters', expect_errors=True, headers={
            'Origin': 'http://elsewhere.example', 'Access-Control-Request-Method': 'GET'})
    finally:
        conf.clear_override('allowed_origin', 'cors')
    assert allowed.headers['Access-Control-Allow-Origin'] == 'http://dashboard.example'
    assert 'Access-Control-Allow-Origin' not in other.headers


def test_posted_samples_are_listed_newest_first_with_their_fields(project_a, meter):
    posted = project_a.post_samples(meter, [sample('vm-1', 10.0, 1), sample('vm-1', 30.0, 2)])
    assert [s['counter_volume'] for s in posted] == [10.0, 30.0]
    assert posted[0]['project_id'] == 'project-a' and posted[0]['source'] == 'openstack'
    listed = project_a.get('/v2/meters/%s' % meter).json()
    assert [(s['counter_volume'], s['timestamp']) for s in listed] == [
        (30.0, at(2)), (10.0, at(1))]
    assert listed[0]['counter_unit'] == '%' and listed[0]['resource_id'] == 'vm-1'
    assert listed[0]['counter_name'] == meter and listed[0]['counter_type'] == 'gauge'


def test_sample_limit_and_time_filters(project_a, meter):
    project_a.post_samples(meter, [sample('vm-1', float(i), i) for i in range(5)])
    assert len(project_a.get('/v2/meters/%s' % meter, params={'limit': 2}).json()) == 2
    params = query(timestamp=('ge', at(1)))
    params['q.field'].append('timestamp')
    params['q.op'].append('lt')
    params['q.value'].append(at(3))
    values = [s['counter_volume'] for s in project_a.get('/v2/meters/%s' % meter,
                                                         params=params).json()]
    assert values == [2.0, 1.0]


def test_an_empty_operator_means_eq(project_a, meter):
    project_a.post_samples(meter, [sample('vm-1', 1.0, 1), sample('vm-2', 2.0, 1)])
    found = project_a.get('/v2/meters/%s' % meter, params={
        'q.field': 'resource_id', 'q.op': '', 'q.value': 'vm-2', 'q.type': ''}).json()
    assert [s['resource_id'] for s in found] == ['vm-2']


def test_meters_list_one_meter_per_resource_with_filters(project_a, meter):
    project_a.post_samples(meter, [sample('vm-1', 1.0, 1), sample('vm-2', 2.0, 1)])
    meters = project_a.get('/v2/meters', params=query(meter=meter)).json()
    assert sorted(m['resource_id'] for m in meters) == ['vm-1', 'vm-2']
    assert all(m['unit'] == '%' and m['type'] == 'gauge' for m in meters)
    only = project_a.get('/v2/meters', params=query(meter=meter, resource_id='vm-2')).json()
    assert [m['resource_id'] for m in only] == ['vm-2']
    unique_names = project_a.get('/v2/meters', params=dict(query(meter=meter),
                                                           unique='true')).json()
    assert len(unique_names) == 1


def test_statistics_over_the_whole_range_and_per_period(project_a, meter):
    project_a.post_samples(meter, [sample('vm-1', 10.0, 0.5), sample('vm-1', 20.0, 1.5),
                                   sample('vm-2', 60.0, 1.7)])
    whole = project_a.get('/v2/meters/%s/statistics' % meter).json()
    assert len(whole) == 1
    assert (whole[0]['count'], whole[0]['sum'], whole[0]['min'], whole[0]['max']) == (
        3, 90.0, 10.0, 60.0)
    assert whole[0]['avg'] == 30.0 and whole[0]['unit'] == '%'
    params = dict(query(timestamp=('ge', at(0))), period=60)
    periods = project_a.get('/v2/meters/%s/statistics' % meter, params=params).json()
    assert [(p['period_start'], p['count'], p['avg']) for p in periods] == [
        (at(0), 1, 10.0), (at(1), 2, 40.0)]
    assert periods[1]['period_end'] == at(2) and periods[1]['period'] == 60
    assert periods[1]['duration_start'] == at(1.5) and periods[1]['duration_end'] == at(1.7)


def test_statistics_grouped_by_resource_and_with_selected_aggregates(project_a, meter):
    project_a.post_samples(meter, [sample('vm-1', 10.0, 1), sample('vm-2', 50.0, 1),
                                   sample('vm-2', 70.0, 2)])
    groups = project_a.get('/v2/meters/%s/statistics' % meter,
                           params={'groupby': 'resource_id'}).json()
    assert {g['groupby']['resource_id']: g['avg'] for g in groups} == {'vm-1': 10.0,
                                                                        'vm-2': 60.0}
    chosen = project_a.get('/v2/meters/%s/statistics' % meter, params={
        'aggregate.func': ['max', 'count']}).json()
    assert chosen[0]['aggregate'] == {'max': 70.0, 'count': 3.0}


def test_metering_metadata_groups_the_resources_of_an_autoscaling_group(project_a, meter):
    group = unique('asg')
    project_a.post_samples(meter, [
        sample('vm-1', 10.0, 1, resource_metadata={'metering.AutoScalingGroupName': group}),
        sample('vm-2', 30.0, 1, resource_metadata={'metering.AutoScalingGroupName': group}),
        sample('vm-3', 99.0, 1)])
    params = query(resource_metadata__AutoScalingGroupName=group)
    stats = project_a.get('/v2/meters/%s/statistics' % meter, params=params).json()
    # The group's two instances, counted once each (the per-group metric is hidden here).
    assert (stats[0]['count'], stats[0]['avg']) == (2, 20.0)
    for field in ('metadata.user_metadata.AutoScalingGroupName',
                  'resource_metadata.metering.AutoScalingGroupName'):
        found = project_a.get('/v2/meters/%s' % meter, params={
            'q.field': field, 'q.value': group}).json()
        assert sorted(s['resource_id'] for s in found) == ['vm-1', 'vm-2']
    assert found[0]['resource_metadata'] == {'metering.AutoScalingGroupName': group}


def test_v2_samples_and_one_sample_by_id(project_a, meter):
    project_a.post_samples(meter, [sample('vm-9', 4.0, 3)])
    listed = project_a.get('/v2/samples', params=query(meter=meter)).json()
    assert [(s['meter'], s['volume'], s['resource_id']) for s in listed] == [
        (meter, 4.0, 'vm-9')]
    one = project_a.get('/v2/samples/%s' % listed[0]['id'])
    assert one.status_code == 200 and one.json() == listed[0]


def test_resources_show_the_range_of_their_samples(project_a, meter):
    resource = unique('vm')
    project_a.post_samples(meter, [sample(resource, 1.0, 1), sample(resource, 2.0, 4)])
    found = project_a.get('/v2/resources', params=query(resource_id=resource)).json()
    assert len(found) == 1
    assert found[0]['first_sample_timestamp'] == at(1)
    assert found[0]['last_sample_timestamp'] == at(4)
    assert found[0]['links'][0]['rel'] == meter
    one = project_a.get('/v2/resources/%s' % resource)
    assert one.status_code == 200 and one.json()['resource_id'] == resource


def test_capabilities_say_what_is_supported(project_a):
    api = project_a.get('/v2/capabilities').json()['api']
    assert api['statistics:groupby'] is True
    assert api['statistics:aggregation:selectable:stddev'] is False


def test_units_read_back_in_ceilometer_spelling(project_a, meter):
    project_a.post_samples(meter, [sample('vm-1', 1.0, 1, counter_unit='B/s')])
    assert project_a.get('/v2/meters/%s' % meter).json()[0]['counter_unit'] == 'B/s'
