"""heat-watch-api as its own process: console script -> RabbitMQ ->
heat-watch-engine -> MariaDB / PostgreSQL (every test on both), noauth."""

import datetime

import pytest

from heat_watch.tests.functional.api.conftest import RestClient, query, unique
from heat_watch.tests.integration import base

# The start of the previous hour: inside the window samples are accepted in.
BASE = datetime.datetime.now(datetime.UTC).replace(
    minute=0, second=0, microsecond=0, tzinfo=None) - datetime.timedelta(hours=1)


@pytest.fixture(scope='module')
def deployment(backend, rabbit_url, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp('rest-%s' % backend.name))
    with base.running(backend, workdir, 'rest', engines=1, notifier=False) as running:
        yield running


@pytest.fixture(scope='module')
def rest(deployment) -> str:
    port = base.free_port()
    daemon = deployment.spawn('rest-api', 'heat-watch-api', {'api': {
        'bind_host': '127.0.0.1', 'bind_port': port, 'auth_strategy': 'noauth'}})
    url = 'http://127.0.0.1:%d' % port
    base.wait_rest_api(daemon, port)
    return url


def _sample(resource: str, value: float, minute: float, **extra) -> dict:
    stamp = BASE + datetime.timedelta(minutes=minute)
    return dict({'counter_type': 'gauge', 'counter_unit': 'B', 'counter_volume': value,
                 'resource_id': resource, 'timestamp': stamp.isoformat()}, **extra)


def test_the_process_warns_that_noauth_is_unsafe(deployment, rest):
    assert 'unsafe for production' in deployment.daemon('rest-api').output()


def test_samples_statistics_and_resources_on_the_database(rest):
    client = RestClient(rest, unique('project'))
    meter, group = unique('disk.read.bytes'), unique('asg')
    metadata = {'metering.AutoScalingGroupName': group}
    client.post_samples(meter, [_sample('vm-1', 100.0, 0.5, resource_metadata=metadata),
                                _sample('vm-1', 300.0, 1.5, resource_metadata=metadata),
                                _sample('vm-2', 500.0, 1.2, resource_metadata=metadata)])
    samples = client.get('/v2/meters/%s' % meter, params={'limit': 2}).json()
    assert [s['counter_volume'] for s in samples] == [300.0, 500.0]
    stats = client.get('/v2/meters/%s/statistics' % meter, params=dict(
        query(timestamp=('ge', BASE.isoformat())), period=60, groupby='resource_id')).json()
    minute = [(BASE + datetime.timedelta(minutes=n)).isoformat() for n in (0, 1)]
    assert [(s['period_start'], s['groupby']['resource_id'], s['sum']) for s in stats] == [
        (minute[0], 'vm-1', 100.0), (minute[1], 'vm-1', 300.0), (minute[1], 'vm-2', 500.0)]
    by_group = client.get('/v2/meters/%s/statistics' % meter, params=query(
        resource_metadata__AutoScalingGroupName=group)).json()
    assert (by_group[0]['count'], by_group[0]['max']) == (3, 500.0)
    resources = client.get('/v2/resources', params=query(meter=meter)).json()
    assert sorted(r['resource_id'] for r in resources) == ['vm-1', 'vm-2']
    newest = client.get('/v2/samples', params=dict(query(meter=meter), limit=1)).json()
    assert client.get('/v2/samples/%s' % newest[0]['id']).json() == newest[0]
    meters = client.get('/v2/meters', params=query(meter=meter)).json()
    assert sorted((m['resource_id'], m['unit']) for m in meters) == [('vm-1', 'B'),
                                                                      ('vm-2', 'B')]


def test_projects_stay_apart_across_processes(rest):
    mine, other = RestClient(rest, unique('mine')), RestClient(rest, unique('other'))
    meter = unique('secret')
    mine.post_samples(meter, [_sample('vm-1', 1.0, 1)])
    assert other.get('/v2/meters', params=query(meter=meter)).json() == []
    assert other.get('/v2/meters/%s/statistics' % meter).json() == []
    assert other.get('/v2/meters/%s' % meter,
                     params=query(project_id=mine.project_id)).status_code == 403
