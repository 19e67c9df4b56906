"""The same data through both APIs: a sample posted here is a CloudWatch
metric (boto3 ListMetrics, GetMetricStatistics), a datum put through
CloudWatch is a sample here (see heat_watch.common.meter_mapping)."""

import datetime

from heat_watch.tests.functional.api.conftest import RestClient, query, unique

UTC = datetime.UTC


def _minute_ago() -> datetime.datetime:
    return datetime.datetime.now(UTC).replace(second=0, microsecond=0) - datetime.timedelta(
        minutes=1)


def test_a_posted_sample_is_a_cloudwatch_metric(tenant_a, rest_endpoint):
    rest = RestClient(rest_endpoint, tenant_a.project_id)
    meter, group = unique('cpu'), unique('asg')
    stamp = _minute_ago()
    rest.post_samples(meter, [
        {'counter_type': 'gauge', 'counter_unit': '%', 'counter_volume': volume,
         'resource_id': resource, 'timestamp': stamp.replace(tzinfo=None).isoformat(),
         'resource_metadata': {'metering.AutoScalingGroupName': group,
                               'display_name': 'not kept'}}
        for resource, volume in (('vm-1', 20.0), ('vm-2', 40.0))])
    metrics = tenant_a.json.list_metrics(Namespace='openstack', MetricName=meter)['Metrics']
    assert sorted(tuple((d['Name'], d['Value']) for d in m['Dimensions'])
                  for m in metrics) == [
        (('AutoScalingGroupName', group),),
        (('AutoScalingGroupName', group), ('ResourceId', 'vm-1')),
        (('AutoScalingGroupName', group), ('ResourceId', 'vm-2'))]
    # One CloudWatch alarm on the group's dimension sees every instance.
    group_stats = tenant_a.json.get_metric_statistics(
        Namespace='openstack', MetricName=meter,
        Dimensions=[{'Name': 'AutoScalingGroupName', 'Value': group}],
        StartTime=stamp, EndTime=stamp + datetime.timedelta(minutes=1), Period=60,
        Statistics=['Average', 'SampleCount'])['Datapoints']
    assert [(p['Average'], p['SampleCount'], p['Unit']) for p in group_stats] == [
        (30.0, 2.0, 'Percent')]
    one = tenant_a.json.get_metric_statistics(
        Namespace='openstack', MetricName=meter,
        Dimensions=[{'Name': 'ResourceId', 'Value': 'vm-2'},
                    {'Name': 'AutoScalingGroupName', 'Value': group}],
        StartTime=stamp, EndTime=stamp + datetime.timedelta(minutes=1), Period=60,
        Statistics=['Maximum'])['Datapoints']
    assert [p['Maximum'] for p in one] == [40.0]


def test_a_cloudwatch_datum_is_a_sample(tenant_a, rest_endpoint):
    rest = RestClient(rest_endpoint, tenant_a.project_id)
    namespace, name = unique('App'), unique('Latency')
    stamp = _minute_ago()
    tenant_a.json.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': name, 'Dimensions': [{'Name': 'ResourceId', 'Value': 'web-1'}],
         'Timestamp': stamp, 'Value': 12.5, 'Unit': 'Milliseconds'},
        {'MetricName': name, 'Dimensions': [{'Name': 'Host', 'Value': 'db-1'}],
         'Timestamp': stamp, 'StatisticValues': {'SampleCount': 4, 'Sum': 40.0,
                                                 'Minimum': 5.0, 'Maximum': 15.0},
         'Unit': 'Milliseconds'}])
    samples = rest.get('/v2/meters/%s' % name, params=query(source=namespace)).json()
    assert sorted((s['resource_id'], s['counter_volume'], s['counter_unit'], s['source'])
                  for s in samples) == [('Host=db-1', 10.0, 'ms', namespace),
                                        ('web-1', 12.5, 'ms', namespace)]
    by_host = [s for s in samples if s['resource_id'] == 'Host=db-1'][0]
    assert by_host['resource_metadata'] == {'metering.Host': 'db-1'}
    stats = rest.get('/v2/meters/%s/statistics' % name, params=query(source=namespace)).json()
    assert (stats[0]['count'], stats[0]['sum'], stats[0]['min'], stats[0]['max']) == (
        5, 52.5, 5.0, 15.0)


def test_the_other_project_sees_neither(tenant_a, tenant_b, rest_endpoint):
    meter = unique('private')
    RestClient(rest_endpoint, tenant_a.project_id).post_samples(meter, [
        {'counter_type': 'gauge', 'counter_unit': 'B', 'counter_volume': 1.0,
         'resource_id': 'vm-1'}])
    assert tenant_b.json.list_metrics(MetricName=meter)['Metrics'] == []
    assert RestClient(rest_endpoint, tenant_b.project_id).get(
        '/v2/meters', params=query(meter=meter)).json() == []
