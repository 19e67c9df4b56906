"""The sample <-> CloudWatch metric mapping (heat_watch.common.meter_mapping)."""

import pytest

from heat_watch.common import exceptions
from heat_watch.common import meter_mapping as mapping
from heat_watch.watch import model


@pytest.mark.parametrize('ceilometer,cloudwatch', [
    ('%', 'Percent'), ('B', 'Bytes'), ('B/s', 'Bytes/Second'), ('ms', 'Milliseconds'),
    ('MB', 'Megabytes'), ('count', 'Count'), ('', 'None'), ('Percent', 'Percent'),
    ('Count/Second', 'Count/Second')])
def test_units_map_to_cloudwatch_and_back(ceilometer, cloudwatch):
    assert mapping.cloudwatch_unit(ceilometer) == cloudwatch
    assert mapping.cloudwatch_unit(mapping.ceilometer_unit(cloudwatch)) == cloudwatch


def test_an_unknown_unit_is_refused_naming_the_accepted_ones():
    with pytest.raises(exceptions.InvalidParameterValue) as raised:
        mapping.cloudwatch_unit('furlongs')
    assert 'furlongs' in str(raised.value) and 'B/s' in str(raised.value)


def test_a_sample_without_metering_metadata_is_one_metric_per_resource():
    assert mapping.sample_metrics('vm-1', {'display_name': 'web'}) == [
        [['ResourceId', 'vm-1']]]


def test_metering_metadata_adds_dimensions_and_the_group_metric():
    metrics = mapping.sample_metrics('vm-1', {'metering.AutoScalingGroupName': 'g',
                                              'metering.Stack': 's', 'other': 'x'})
    assert metrics == [
        [['AutoScalingGroupName', 'g'], ['ResourceId', 'vm-1'], ['Stack', 's']],
        [['AutoScalingGroupName', 'g'], ['Stack', 's']]]


@pytest.mark.parametrize('resource,metadata', [
    ('', None), ('x' * 1025, None), ('vm', {'metering.ResourceId': 'y'}),
    ('vm', {'metering.': 'empty name'}), ('vm', {'metering.k': 'v' * 1025}),
    ('vm', {'metering.k%d' % i: 'v' for i in range(30)})])
def test_impossible_dimensions_are_refused(resource, metadata):
    with pytest.raises(exceptions.InvalidParameterValue):
        mapping.sample_metrics(resource, metadata)


def test_resource_and_metadata_read_back_from_dimensions():
    dims = [['AutoScalingGroupName', 'g'], ['ResourceId', 'vm-1']]
    assert mapping.resource_of(dims) == 'vm-1'
    assert mapping.metadata_of(dims) == {'metering.AutoScalingGroupName': 'g'}
    assert mapping.resource_of([['Host', 'a'], ['Port', '80']]) == 'Host=a,Port=80'
    assert mapping.resource_of([]) == 'none'


def _metric(dims, project='p', name='cpu'):
    return model.MetricInfo(1, project, 'openstack', name, dims)


def test_the_group_metric_written_beside_a_resource_is_hidden():
    per_resource = _metric([['AutoScalingGroupName', 'g'], ['ResourceId', 'vm-1']])
    group = _metric([['AutoScalingGroupName', 'g']])
    cloudwatch_only = _metric([['AutoScalingGroupName', 'other']])
    other_project = _metric([['AutoScalingGroupName', 'g']], project='q')
    assert mapping.visible([per_resource, group, cloudwatch_only, other_project]) == [
        per_resource, cloudwatch_only, other_project]
