"""boto 2's CloudWatchConnection, exactly as heat-cfntools' cfn-push-stats
drives it: Query protocol, SigV4, POST for puts and GET for reads."""

import datetime

from heat_watch.tests.functional import support

HOUR = datetime.timedelta(hours=1)


def test_cfn_push_stats_put_with_unit_and_dimensions_is_stored(tenant_a, namespace):
    # cfn-push-stats: cw.put_metric_data(namespace, name, value, unit=..., dimensions=...)
    assert tenant_a.boto2.put_metric_data(namespace, 'MemoryUtilization', 42.0,
                                          unit='Percent',
                                          dimensions={'AutoScalingGroupName': 'asg-1'})
    [metric] = tenant_a.json.list_metrics(Namespace=namespace)['Metrics']
    assert metric['MetricName'] == 'MemoryUtilization'
    assert metric['Dimensions'] == [{'Name': 'AutoScalingGroupName', 'Value': 'asg-1'}]
    start = support.now() - HOUR
    [point] = support.statistics(
        tenant_a.json, namespace, 'MemoryUtilization', start, support.now() + HOUR,
        period=3600, dimensions=metric['Dimensions'])
    assert (point['Sum'], point['SampleCount'], point['Unit']) == (42.0, 1.0, 'Percent')


def test_put_with_a_statistics_dict_is_a_statistic_set(tenant_a, namespace):
    base = support.hour_start()
    assert tenant_a.boto2.put_metric_data(
        namespace, 'Latency', timestamp=base.replace(tzinfo=None), unit='Milliseconds',
        statistics={'maximum': 30, 'minimum': 1, 'samplecount': 100, 'sum': 1000})
    [point] = support.statistics(tenant_a.json, namespace, 'Latency', base, base + HOUR,
                                 period=3600)
    assert (point['SampleCount'], point['Sum'], point['Minimum'], point['Maximum']) == (
        100.0, 1000.0, 1.0, 30.0)
    assert point['Unit'] == 'Milliseconds'


def test_several_values_in_one_boto2_put(tenant_a, namespace):
    base = support.hour_start().replace(tzinfo=None)
    stamps = [base + i * support.MINUTE for i in range(3)]
    assert tenant_a.boto2.put_metric_data(namespace, ['a', 'a', 'b'], [1.0, 2.0, 5.0],
                                          timestamp=stamps)
    names = sorted(m.name for m in tenant_a.boto2.list_metrics(namespace=namespace))
    assert names == ['a', 'b']


def test_boto2_get_metric_statistics_reads_the_datapoints(tenant_a, namespace):
    base = support.hour_start()
    tenant_a.json.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'cpu', 'Value': v, 'Unit': 'Percent', 'Timestamp': base + i * support.MINUTE,
         'Dimensions': [{'Name': 'host', 'Value': 'h1'}]} for i, v in enumerate([10.0, 30.0])])
    points = tenant_a.boto2.get_metric_statistics(
        60, base.replace(tzinfo=None), (base + HOUR).replace(tzinfo=None), 'cpu', namespace,
        ['Average', 'Maximum', 'SampleCount'], dimensions={'host': 'h1'}, unit='Percent')
    points = sorted(points, key=lambda p: p['Timestamp'])
    assert [(p['Timestamp'], p['Average'], p['Maximum'], p['SampleCount'], p['Unit'])
            for p in points] == [
        (base.replace(tzinfo=None), 10.0, 10.0, 1.0, 'Percent'),
        (base.replace(tzinfo=None) + support.MINUTE, 30.0, 30.0, 1.0, 'Percent')]


def test_boto2_get_metric_statistics_is_a_signed_get_the_api_answers(tenant_a, namespace):
    """The request boto 2 builds for get_metric_statistics: GET, SigV4, XML."""
    base = support.hour_start()
    tenant_a.json.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'cpu', 'Value': 7.0, 'Timestamp': base}])
    conn = tenant_a.boto2
    params = {'Period': 60, 'MetricName': 'cpu', 'Namespace': namespace,
              'StartTime': base.replace(tzinfo=None).isoformat(),
              'EndTime': (base + HOUR).replace(tzinfo=None).isoformat()}
    conn.build_list_params(params, ['Sum'], 'Statistics.member.%d')
    response = conn.make_request('GetMetricStatistics', params, '/', 'GET')
    body = response.read().decode()
    assert response.status == 200, body
    assert '<Sum>7.0</Sum>' in body
    assert 'xmlns="%s"' % support.XML_NAMESPACE in body


def test_boto2_list_metrics_with_a_dimension_filter(tenant_a, namespace):
    tenant_a.json.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'cpu', 'Value': 1.0, 'Dimensions': [{'Name': 'host', 'Value': h}]}
        for h in ('h1', 'h2')])
    metrics = tenant_a.boto2.list_metrics(namespace=namespace, dimensions={'host': 'h2'})
    assert [(m.name, m.namespace, dict(m.dimensions)) for m in metrics] == [
        ('cpu', namespace, {'host': ['h2']})]
    any_host = tenant_a.boto2.list_metrics(namespace=namespace, dimensions={'host': None})
    assert len(any_host) == 2


def test_boto2_list_metrics_pages_with_next_token(tenant_a, namespace):
    tenant_a.json.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm%03d' % i, 'Value': 1.0} for i in range(501)])
    first = tenant_a.boto2.list_metrics(namespace=namespace)
    assert len(first) == 500 and first.next_token
    second = tenant_a.boto2.list_metrics(namespace=namespace, next_token=first.next_token)
    assert len(second) == 1 and not second.next_token
    assert {m.name for m in first} | {m.name for m in second} == {
        'm%03d' % i for i in range(501)}


def test_boto2_error_carries_the_aws_code(tenant_a):
    from boto.exception import BotoServerError
    try:
        tenant_a.boto2.put_metric_data('AWS/EC2', 'm', 1.0)
    except BotoServerError as error:
        assert (error.status, error.error_code) == (400, 'InvalidParameterValue')
    else:
        raise AssertionError('a put to AWS/EC2 succeeded')
