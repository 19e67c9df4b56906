"""GetMetricData with MetricStat queries: several at once, ordering, labels,
and MaxDatapoints/NextToken paging, in both protocols."""

import datetime

import pytest

from heat_watch.tests.functional import support

MINUTE = support.MINUTE
HOUR = datetime.timedelta(hours=1)


def _query(query_id, namespace, name, stat, period=60, dimensions=None, **extra):
    return dict({'Id': query_id, 'MetricStat': {
        'Metric': {'Namespace': namespace, 'MetricName': name,
                   'Dimensions': dimensions or []},
        'Period': period, 'Stat': stat}}, **extra)


def _put_minutes(client, namespace, name, values, dimensions=None):
    """One value per minute from the base; returns the base."""
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': name, 'Value': value, 'Timestamp': base + i * MINUTE,
         'Dimensions': dimensions or []} for i, value in enumerate(values)])
    return base


def _results(answer):
    return {r['Id']: r for r in answer['MetricDataResults']}


def test_several_metric_stat_queries_are_answered_together(client, namespace):
    host = [{'Name': 'host', 'Value': 'h1'}]
    base = _put_minutes(client, namespace, 'cpu', [1.0, 2.0, 3.0, 4.0, 5.0])
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'cpu', 'Value': 10.0, 'Timestamp': base + 2 * MINUTE}])
    _put_minutes(client, namespace, 'disk', [2.0, 4.0, 9.0], dimensions=host)
    answer = client.get_metric_data(
        StartTime=base, EndTime=base + HOUR, ScanBy='TimestampAscending',
        MetricDataQueries=[
            _query('sums', namespace, 'cpu', 'Sum'),
            _query('disk', namespace, 'disk', 'Average', period=300, dimensions=host,
                   Label='Disk average'),
            _query('median', namespace, 'cpu', 'p50', period=3600),
            _query('nothing', namespace, 'cpu', 'Sum', dimensions=host)])
    results = _results(answer)
    assert list(results) == ['sums', 'disk', 'median', 'nothing']
    assert results['sums']['Timestamps'] == [base + i * MINUTE for i in range(5)]
    assert results['sums']['Values'] == [1.0, 2.0, 13.0, 4.0, 5.0]
    assert results['sums']['Label'] == 'cpu'
    assert (results['disk']['Label'], results['disk']['Values']) == ('Disk average', [5.0])
    assert (results['median']['Timestamps'], results['median']['Values']) == ([base], [3.0])
    assert results['nothing']['Values'] == []
    assert all(r['StatusCode'] == 'Complete' for r in results.values())
    assert 'NextToken' not in answer


def test_scan_by_orders_the_timestamps(client, namespace):
    base = _put_minutes(client, namespace, 'm', [1.0, 2.0, 3.0])
    queries = [_query('q', namespace, 'm', 'Maximum')]
    ascending = _results(client.get_metric_data(
        MetricDataQueries=queries, StartTime=base, EndTime=base + HOUR,
        ScanBy='TimestampAscending'))['q']
    descending = _results(client.get_metric_data(
        MetricDataQueries=queries, StartTime=base, EndTime=base + HOUR,
        ScanBy='TimestampDescending'))['q']
    default = _results(client.get_metric_data(
        MetricDataQueries=queries, StartTime=base, EndTime=base + HOUR))['q']
    assert ascending['Timestamps'] == [base, base + MINUTE, base + 2 * MINUTE]
    assert ascending['Values'] == [1.0, 2.0, 3.0]
    assert descending['Timestamps'] == ascending['Timestamps'][::-1]
    assert descending['Values'] == [3.0, 2.0, 1.0]
    assert default == descending


@pytest.mark.parametrize('scan_by', ['TimestampAscending', 'TimestampDescending'])
def test_max_datapoints_pages_give_every_datapoint_exactly_once(client, namespace, scan_by):
    base = _put_minutes(client, namespace, 'a', [float(i) for i in range(7)])
    _put_minutes(client, namespace, 'b', [100.0 + i for i in range(5)])
    queries = [_query('qa', namespace, 'a', 'Sum'), _query('qb', namespace, 'b', 'Sum')]
    seen, pages, token = {'qa': [], 'qb': []}, 0, None
    while True:
        args = dict(MetricDataQueries=queries, StartTime=base, EndTime=base + HOUR,
                    ScanBy=scan_by, MaxDatapoints=3)
        if token:
            args['NextToken'] = token
        answer = client.get_metric_data(**args)
        pages += 1
        returned = 0
        for result in answer['MetricDataResults']:
            seen[result['Id']] += list(zip(result['Timestamps'], result['Values'],
                                           strict=True))
            returned += len(result['Values'])
        assert returned <= 3
        token = answer.get('NextToken')
        if not token:
            break
        assert returned == 3
        assert pages < 10
    assert pages == 4
    reverse = scan_by == 'TimestampDescending'
    assert seen['qa'] == sorted(((base + i * MINUTE, float(i)) for i in range(7)),
                                reverse=reverse)
    assert seen['qb'] == sorted(((base + i * MINUTE, 100.0 + i) for i in range(5)),
                                reverse=reverse)


def test_series_cut_by_max_datapoints_is_partial_data(client, namespace):
    base = _put_minutes(client, namespace, 'm', [1.0, 2.0, 3.0])
    answer = client.get_metric_data(MetricDataQueries=[_query('q', namespace, 'm', 'Sum')],
                                    StartTime=base, EndTime=base + HOUR, MaxDatapoints=2)
    [result] = answer['MetricDataResults']
    assert (result['StatusCode'], len(result['Values'])) == ('PartialData', 2)
    assert answer['NextToken']


def test_return_data_false_leaves_the_query_out(client, namespace):
    base = _put_minutes(client, namespace, 'm', [1.0])
    answer = client.get_metric_data(
        MetricDataQueries=[_query('shown', namespace, 'm', 'Sum'),
                           _query('hidden', namespace, 'm', 'Sum', ReturnData=False)],
        StartTime=base, EndTime=base + HOUR)
    assert [r['Id'] for r in answer['MetricDataResults']] == ['shown']


def test_start_time_inside_a_period_keeps_earlier_data_out(client, namespace):
    base = _put_minutes(client, namespace, 'm', [float(i) for i in range(10)])
    answer = client.get_metric_data(
        MetricDataQueries=[_query('q', namespace, 'm', 'SampleCount', period=300)],
        StartTime=base + 3 * MINUTE, EndTime=base + HOUR, ScanBy='TimestampAscending')
    [result] = answer['MetricDataResults']
    assert result['Timestamps'] == [base + 3 * MINUTE, base + 8 * MINUTE]
    assert result['Values'] == [5.0, 2.0]


def test_garbage_next_token_is_invalid_next_token(lenient, namespace):
    base = support.hour_start()
    for token in ('garbage', 'eyJub3QiOiJvdXJzIn0=', '!!!'):
        code, status, _ = support.aws_error(
            lenient.get_metric_data, MetricDataQueries=[_query('q', namespace, 'm', 'Sum')],
            StartTime=base, EndTime=base + HOUR, NextToken=token)
        assert (code, status) == ('InvalidNextToken', 400), token


def test_expression_is_rejected_with_a_clear_message(lenient, namespace):
    base = support.hour_start()
    code, status, message = support.aws_error(
        lenient.get_metric_data, StartTime=base, EndTime=base + HOUR,
        MetricDataQueries=[_query('q', namespace, 'm', 'Sum', ReturnData=False),
                           {'Id': 'e', 'Expression': 'q * 2'}])
    assert (code, status) == ('InvalidParameterValue', 400)
    assert 'Expression' in message and 'not supported' in message


def test_duplicate_ids_are_rejected(lenient, namespace):
    base = support.hour_start()
    code, status, message = support.aws_error(
        lenient.get_metric_data, StartTime=base, EndTime=base + HOUR,
        MetricDataQueries=[_query('q', namespace, 'm', 'Sum'),
                           _query('q', namespace, 'n', 'Sum')])
    assert (code, status) == ('InvalidParameterValue', 400)
    assert 'unique' in message


def test_id_must_start_with_a_lower_case_letter(lenient, namespace):
    base = support.hour_start()
    code, status, _ = support.aws_error(
        lenient.get_metric_data, StartTime=base, EndTime=base + HOUR,
        MetricDataQueries=[_query('Q1', namespace, 'm', 'Sum')])
    assert (code, status) == ('InvalidParameterValue', 400)


@pytest.mark.parametrize('period', [7, 90])
def test_period_that_is_not_allowed_is_rejected(lenient, namespace, period):
    base = support.hour_start()
    code, status, _ = support.aws_error(
        lenient.get_metric_data, StartTime=base, EndTime=base + HOUR,
        MetricDataQueries=[_query('q', namespace, 'm', 'Sum', period=period)])
    assert (code, status) == ('InvalidParameterValue', 400)


def test_start_time_not_before_end_time_is_rejected(lenient, namespace):
    base = support.hour_start()
    code, status, _ = support.aws_error(
        lenient.get_metric_data, StartTime=base, EndTime=base,
        MetricDataQueries=[_query('q', namespace, 'm', 'Sum')])
    assert (code, status) == ('InvalidParameterValue', 400)


def test_missing_metric_data_queries_is_a_missing_parameter(lenient):
    base = support.hour_start()
    code, status, _ = support.aws_error(lenient.get_metric_data, StartTime=base,
                                        EndTime=base + HOUR)
    assert (code, status) == ('MissingParameter', 400)
