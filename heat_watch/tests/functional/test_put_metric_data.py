"""PutMetricData through boto3 (JSON) and botocore (Query), read back with
GetMetricStatistics; every rejection checked with its AWS code and status."""

import datetime
import gzip
import json

import pytest

from heat_watch.tests.functional import support

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def _one_hour(client, namespace, name='m', base=None, **extra):
    base = base or support.hour_start()
    return support.statistics(client, namespace, name, base, base + HOUR, period=3600,
                              **extra)


def test_single_value_is_counted_once(client, namespace):
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Value': 42.5, 'Timestamp': base + 5 * support.MINUTE}])
    [point] = _one_hour(client, namespace)
    assert point['SampleCount'] == 1.0
    assert point['Sum'] == point['Minimum'] == point['Maximum'] == point['Average'] == 42.5


def test_values_and_counts_weight_each_value(client, namespace):
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Values': [1.0, 2.0, 3.0], 'Counts': [1.0, 2.0, 3.0],
         'Timestamp': base}])
    [point] = _one_hour(client, namespace)
    assert point['SampleCount'] == 6.0
    assert point['Sum'] == 14.0
    assert (point['Minimum'], point['Maximum']) == (1.0, 3.0)
    assert support.close(point['Average'], 14.0 / 6.0)


def test_values_without_counts_count_one_each(client, namespace):
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Values': [4.0, 4.0, 10.0], 'Timestamp': base}])
    [point] = _one_hour(client, namespace)
    assert (point['SampleCount'], point['Sum']) == (3.0, 18.0)


def test_statistic_values_are_aggregated_as_given(client, namespace):
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Timestamp': base,
         'StatisticValues': {'SampleCount': 10, 'Sum': 55, 'Minimum': 1, 'Maximum': 10}},
        {'MetricName': 'm', 'Timestamp': base + support.MINUTE, 'Value': 20.0}])
    [point] = _one_hour(client, namespace)
    assert (point['SampleCount'], point['Sum']) == (11.0, 75.0)
    assert (point['Minimum'], point['Maximum']) == (1.0, 20.0)
    assert support.close(point['Average'], 75.0 / 11.0)


def test_thirty_dimensions_are_accepted(client, namespace):
    dims = [{'Name': 'd%02d' % i, 'Value': 'v%d' % i} for i in range(30)]
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Dimensions': dims, 'Value': 1.0,
         'Timestamp': support.hour_start()}])
    [point] = _one_hour(client, namespace, dimensions=list(reversed(dims)))
    assert point['SampleCount'] == 1.0
    [metric] = client.list_metrics(Namespace=namespace)['Metrics']
    assert sorted(d['Name'] for d in metric['Dimensions']) == [d['Name'] for d in dims]


def test_thirty_one_dimensions_are_rejected(lenient, namespace):
    dims = [{'Name': 'd%02d' % i, 'Value': 'v'} for i in range(31)]
    code, status, _ = support.aws_error(lenient.put_metric_data, Namespace=namespace,
                                        MetricData=[{'MetricName': 'm', 'Value': 1.0,
                                                     'Dimensions': dims}])
    assert (code, status) == ('InvalidParameterValue', 400)
    assert lenient.list_metrics(Namespace=namespace)['Metrics'] == []


def test_duplicate_dimension_names_are_rejected(lenient, namespace):
    dims = [{'Name': 'host', 'Value': 'a'}, {'Name': 'host', 'Value': 'b'}]
    code, status, _ = support.aws_error(lenient.put_metric_data, Namespace=namespace,
                                        MetricData=[{'MetricName': 'm', 'Value': 1.0,
                                                     'Dimensions': dims}])
    assert (code, status) == ('InvalidParameterValue', 400)


def test_unit_is_stored_with_the_datapoint(client, namespace):
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Value': 512.0, 'Unit': 'Bytes',
         'Timestamp': support.hour_start()}])
    [point] = _one_hour(client, namespace)
    assert point['Unit'] == 'Bytes'


def test_unknown_unit_is_rejected(lenient, namespace):
    code, status, _ = support.aws_error(lenient.put_metric_data, Namespace=namespace,
                                        MetricData=[{'MetricName': 'm', 'Value': 1.0,
                                                     'Unit': 'Furlongs'}])
    assert (code, status) == ('InvalidParameterValue', 400)


def test_timestamp_nearly_two_weeks_back_is_accepted(client, namespace):
    stamp = (support.now() - 14 * DAY + HOUR).replace(second=0, microsecond=0)
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Value': 7.0, 'Timestamp': stamp}])
    [point] = support.statistics(client, namespace, 'm', stamp, stamp + support.MINUTE)
    assert (point['SampleCount'], point['Sum']) == (1.0, 7.0)


def test_timestamp_older_than_two_weeks_is_rejected(lenient, namespace):
    stamp = support.now() - 14 * DAY - HOUR
    code, status, _ = support.aws_error(lenient.put_metric_data, Namespace=namespace,
                                        MetricData=[{'MetricName': 'm', 'Value': 1.0,
                                                     'Timestamp': stamp}])
    assert (code, status) == ('InvalidParameterValue', 400)


def test_timestamp_more_than_two_hours_ahead_is_rejected(lenient, namespace):
    stamp = support.now() + 2 * HOUR + 5 * support.MINUTE
    code, status, _ = support.aws_error(lenient.put_metric_data, Namespace=namespace,
                                        MetricData=[{'MetricName': 'm', 'Value': 1.0,
                                                     'Timestamp': stamp}])
    assert (code, status) == ('InvalidParameterValue', 400)


def test_timestamp_less_than_two_hours_ahead_is_accepted(client, namespace):
    stamp = (support.now() + HOUR + 50 * support.MINUTE).replace(second=0, microsecond=0)
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Value': 3.0, 'Timestamp': stamp}])
    [point] = support.statistics(client, namespace, 'm', stamp, stamp + support.MINUTE)
    assert point['Sum'] == 3.0


def test_datum_without_timestamp_is_stamped_on_receipt(client, namespace):
    before = support.now().replace(second=0, microsecond=0)
    client.put_metric_data(Namespace=namespace, MetricData=[{'MetricName': 'm', 'Value': 9.0}])
    points = support.statistics(client, namespace, 'm', before - support.MINUTE,
                                support.now() + support.MINUTE)
    assert [p['Sum'] for p in points] == [9.0]


@pytest.mark.parametrize('resolution', [1, 60])
def test_storage_resolution_one_and_sixty_are_accepted(client, namespace, resolution):
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Value': 1.0, 'StorageResolution': resolution,
         'Timestamp': base + 3 * support.SECOND}])
    [point] = _one_hour(client, namespace)
    assert point['SampleCount'] == 1.0


def test_storage_resolution_five_is_rejected(lenient, namespace):
    code, status, _ = support.aws_error(lenient.put_metric_data, Namespace=namespace,
                                        MetricData=[{'MetricName': 'm', 'Value': 1.0,
                                                     'StorageResolution': 5}])
    assert (code, status) == ('InvalidParameterValue', 400)


def test_thousand_data_in_one_gzipped_request_are_all_stored(tenant_a, namespace):
    """botocore compresses large PutMetricData bodies; the API inflates them."""
    client = tenant_a.json
    sent = []

    def record(request, **_):
        encoding = request.headers.get('Content-Encoding') or b''
        sent.append((encoding.decode() if isinstance(encoding, bytes) else encoding,
                     request.body))

    client.meta.events.register('before-send.cloudwatch.PutMetricData', record)
    base = support.hour_start()
    data = [{'MetricName': 'm%d' % (i % 4), 'Value': float(i),
             'Dimensions': [{'Name': 'shard', 'Value': 'shard-%d' % (i % 4)}],
             'Timestamp': base + (i % 60) * support.MINUTE} for i in range(1000)]
    try:
        client.put_metric_data(Namespace=namespace, MetricData=data)
    finally:
        client.meta.events.unregister('before-send.cloudwatch.PutMetricData', record)
    [(encoding, body)] = sent
    assert encoding == 'gzip'
    assert len(json.loads(gzip.decompress(body))['MetricData']) == 1000
    for shard in range(4):
        [point] = _one_hour(client, namespace, 'm%d' % shard,
                            dimensions=[{'Name': 'shard', 'Value': 'shard-%d' % shard}])
        assert point['SampleCount'] == 250.0
        assert point['Sum'] == float(sum(range(shard, 1000, 4)))


def test_thousand_data_through_the_query_protocol_are_all_stored(tenant_a, namespace):
    base = support.hour_start()
    data = [{'MetricName': 'm', 'Value': 2.0, 'Timestamp': base + (i % 60) * support.MINUTE}
            for i in range(1000)]
    tenant_a.query.put_metric_data(Namespace=namespace, MetricData=data)
    [point] = _one_hour(tenant_a.query, namespace)
    assert (point['SampleCount'], point['Sum']) == (1000.0, 2000.0)


def test_thousand_and_one_data_are_rejected(lenient, namespace):
    data = [{'MetricName': 'm', 'Value': 1.0}] * 1001
    code, status, _ = support.aws_error(lenient.put_metric_data, Namespace=namespace,
                                        MetricData=data)
    assert (code, status) == ('InvalidParameterValue', 400)
    assert lenient.list_metrics(Namespace=namespace)['Metrics'] == []


def test_value_with_statistic_values_is_an_invalid_combination(lenient, namespace):
    datum = {'MetricName': 'm', 'Value': 1.0,
             'StatisticValues': {'SampleCount': 1, 'Sum': 1, 'Minimum': 1, 'Maximum': 1}}
    code, status, _ = support.aws_error(lenient.put_metric_data, Namespace=namespace,
                                        MetricData=[datum])
    assert (code, status) == ('InvalidParameterCombination', 400)


def test_value_with_values_is_an_invalid_combination(lenient, namespace):
    datum = {'MetricName': 'm', 'Value': 1.0, 'Values': [1.0, 2.0]}
    code, status, _ = support.aws_error(lenient.put_metric_data, Namespace=namespace,
                                        MetricData=[datum])
    assert (code, status) == ('InvalidParameterCombination', 400)


def test_counts_of_another_length_than_values_are_rejected(lenient, namespace):
    datum = {'MetricName': 'm', 'Values': [1.0, 2.0], 'Counts': [1.0]}
    code, status, _ = support.aws_error(lenient.put_metric_data, Namespace=namespace,
                                        MetricData=[datum])
    assert status == 400
    assert code in ('InvalidParameterValue', 'InvalidParameterCombination')


@pytest.mark.parametrize('value', [float('nan'), float('inf'), float('-inf'), 1e300, -1e300],
                         ids=['nan', 'inf', '-inf', 'huge', '-huge'])
def test_value_that_cannot_be_stored_is_rejected(lenient, namespace, value):
    code, status, _ = support.aws_error(lenient.put_metric_data, Namespace=namespace,
                                        MetricData=[{'MetricName': 'm', 'Value': value}])
    assert (code, status) == ('InvalidParameterValue', 400)
    assert lenient.list_metrics(Namespace=namespace)['Metrics'] == []


@pytest.mark.parametrize('field', ['Values', 'StatisticValues'])
def test_non_finite_value_inside_a_datum_is_rejected(lenient, namespace, field):
    nan = float('nan')
    datum = {'MetricName': 'm'}
    if field == 'Values':
        datum['Values'] = [1.0, nan]
    else:
        datum['StatisticValues'] = {'SampleCount': 2, 'Sum': nan, 'Minimum': 1, 'Maximum': 2}
    code, status, _ = support.aws_error(lenient.put_metric_data, Namespace=namespace,
                                        MetricData=[datum])
    assert (code, status) == ('InvalidParameterValue', 400)


def test_aws_namespace_is_reserved(lenient):
    code, status, _ = support.aws_error(lenient.put_metric_data, Namespace='AWS/EC2',
                                        MetricData=[{'MetricName': 'm', 'Value': 1.0}])
    assert (code, status) == ('InvalidParameterValue', 400)


def test_namespace_may_hold_a_colon_but_not_begin_with_one(lenient, namespace):
    lenient.put_metric_data(Namespace=namespace + ':app',
                            MetricData=[{'MetricName': 'm', 'Value': 1.0}])
    assert len(lenient.list_metrics(Namespace=namespace + ':app')['Metrics']) == 1
    code, status, _ = support.aws_error(lenient.put_metric_data, Namespace=':' + namespace,
                                        MetricData=[{'MetricName': 'm', 'Value': 1.0}])
    assert (code, status) == ('InvalidParameterValue', 400)


def test_missing_namespace_is_a_missing_parameter(lenient):
    code, status, message = support.aws_error(
        lenient.put_metric_data, MetricData=[{'MetricName': 'm', 'Value': 1.0}])
    assert (code, status) == ('MissingParameter', 400)
    assert 'Namespace' in message


def test_missing_metric_name_is_a_missing_parameter(lenient, namespace):
    code, status, message = support.aws_error(
        lenient.put_metric_data, Namespace=namespace, MetricData=[{'Value': 1.0}])
    assert (code, status) == ('MissingParameter', 400)
    assert 'MetricName' in message


def test_one_bad_datum_rejects_the_whole_request(lenient, namespace):
    data = [{'MetricName': 'good', 'Value': 1.0}, {'MetricName': 'bad', 'Value': 1.0,
                                                    'Unit': 'Parsecs'}]
    code, status, message = support.aws_error(lenient.put_metric_data, Namespace=namespace,
                                              MetricData=data)
    assert (code, status) == ('InvalidParameterValue', 400)
    assert 'MetricData.member.2.Unit' in message
    assert lenient.list_metrics(Namespace=namespace)['Metrics'] == []
