"""python-ceilometerclient 2.9, library and ``ceilometer`` CLI, against the
REST API of heat-watch-all (noauth: the client's project is "admin")."""

import os
import subprocess
import sys

import pytest
from ceilometerclient import client as ceilometer_client
from ceilometerclient.apiclient import exceptions as ceilometer_exc

from heat_watch.tests.functional.api.conftest import unique

CLI = os.path.join(os.path.dirname(sys.executable), 'ceilometer')


@pytest.fixture
def ceilometer(rest_endpoint):
    return ceilometer_client.get_client('2', os_endpoint=rest_endpoint, os_token='noauth')


def cli(endpoint: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    done = subprocess.run([CLI, '--os-endpoint', endpoint, '--os-token', 'noauth', *args],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _rows(table: str) -> list[list[str]]:
    """The cells of a prettytable (header first)."""
    return [[cell.strip() for cell in line.strip('|').split('|')]
            for line in table.splitlines() if line.startswith('|')]


def test_library_creates_lists_and_computes_statistics(ceilometer):
    meter, resource = unique('cpu_util'), unique('vm')
    created = ceilometer.samples.create(
        counter_name=meter, counter_type='gauge', counter_unit='%', counter_volume=10,
        resource_id=resource, resource_metadata={'metering.AutoScalingGroupName': 'g'})
    assert created[0].counter_volume == 10.0
    ceilometer.samples.create(counter_name=meter, counter_type='gauge', counter_unit='%',
                              counter_volume=30, resource_id=resource)
    meters = ceilometer.meters.list(q=[{'field': 'meter', 'op': 'eq', 'value': meter}])
    assert sorted(m.resource_id for m in meters) == [resource, resource]
    samples = ceilometer.samples.list(meter_name=meter, limit=10)
    assert sorted(s.counter_volume for s in samples) == [10.0, 30.0]
    new_samples = ceilometer.new_samples.list(q=[{'field': 'meter', 'value': meter}])
    assert {s.meter for s in new_samples} == {meter}
    stats = ceilometer.statistics.list(meter, groupby=['resource_id'])
    assert [(s.groupby['resource_id'], s.count, s.avg) for s in stats] == [
        (resource, 2, 20.0)]
    chosen = ceilometer.statistics.list(meter, aggregates=[{'func': 'max'}])
    assert chosen[0].aggregate == {'max': 30.0}
    resources = ceilometer.resources.list(q=[{'field': 'resource_id', 'value': resource}])
    assert [r.resource_id for r in resources] == [resource]
    assert ceilometer.capabilities.get().api['statistics:groupby'] is True


def test_library_reports_the_api_error(ceilometer):
    with pytest.raises(ceilometer_exc.BadRequest) as raised:
        ceilometer.statistics.list('m', period=-1)
    assert 'Period must be positive' in str(raised.value)
    with pytest.raises(ceilometer_exc.BadRequest) as raised:
        ceilometer.samples.create(counter_name='m', counter_type='cumulative',
                                  counter_unit='%', counter_volume=1, resource_id='vm')
    assert 'gauge' in str(raised.value)


def test_cli_sample_create_sample_list_meter_list_statistics(rest_endpoint):
    meter, resource = unique('mem'), unique('vm')
    for volume in ('512', '1024'):
        created = cli(rest_endpoint, 'sample-create', '-r', resource, '-m', meter,
                      '--meter-type', 'gauge', '--meter-unit', 'MB',
                      '--sample-volume', volume)
        assert dict(_rows(created)[1:])['volume'] == volume + '.0'
    listed = _rows(cli(rest_endpoint, 'sample-list', '-m', meter))
    assert listed[0][:5] == ['Resource ID', 'Name', 'Type', 'Volume', 'Unit']
    assert sorted(row[3] for row in listed[1:]) == ['1024.0', '512.0']
    meters = _rows(cli(rest_endpoint, 'meter-list', '-q', 'resource_id=%s' % resource))
    assert [(row[0], row[2], row[3]) for row in meters[1:]] == [(meter, 'MB', resource)]
    stats = _rows(cli(rest_endpoint, 'statistics', '-m', meter))
    header, values = stats[0], stats[1]
    assert dict(zip(header, values, strict=True))['Avg'] == '768.0'
    assert dict(zip(header, values, strict=True))['Count'] == '2'
