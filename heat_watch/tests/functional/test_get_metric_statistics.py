"""GetMetricStatistics against hand-computed statistics and brute-force
percentiles, in both protocols."""

import datetime
import random

import pytest

from heat_watch.tests.functional import support

MINUTE = support.MINUTE
SECOND = support.SECOND
HOUR = datetime.timedelta(hours=1)
ALL = ('SampleCount', 'Sum', 'Minimum', 'Maximum', 'Average')


def _put(client, namespace, points, name='m', **extra):
    """Put (offset from the base, value) pairs; returns the base."""
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        dict({'MetricName': name, 'Value': value, 'Timestamp': base + offset}, **extra)
        for offset, value in points])
    return base


def test_five_statistics_match_hand_computed_values(client, namespace):
    base = _put(client, namespace, [
        (0 * MINUTE, 3.0), (0 * MINUTE + 10 * SECOND, 7.0), (0 * MINUTE + 59 * SECOND, 2.0),
        (1 * MINUTE, 10.0),
        (3 * MINUTE + 30 * SECOND, -4.0), (3 * MINUTE + 31 * SECOND, 4.5)])
    points = support.statistics(client, namespace, 'm', base, base + 5 * MINUTE)
    assert [p['Timestamp'] for p in points] == [base, base + MINUTE, base + 3 * MINUTE]
    expected = [(3.0, 12.0, 2.0, 7.0, 4.0), (1.0, 10.0, 10.0, 10.0, 10.0),
                (2.0, 0.5, -4.0, 4.5, 0.25)]
    for point, values in zip(points, expected, strict=True):
        assert tuple(point[name] for name in ALL) == pytest.approx(values)
        assert point['Unit'] == 'None'


def test_only_the_requested_statistics_are_answered(client, namespace):
    base = _put(client, namespace, [(0 * MINUTE, 1.0), (MINUTE, 5.0)])
    [point] = support.statistics(client, namespace, 'm', base, base + HOUR, period=3600,
                                 stats=['Maximum', 'SampleCount'])
    assert (point['Maximum'], point['SampleCount']) == (5.0, 2.0)
    assert not {'Sum', 'Minimum', 'Average'} & set(point)


def test_an_hour_period_aggregates_every_minute_of_the_hour(client, namespace):
    base = _put(client, namespace, [(i * MINUTE, float(i)) for i in range(60)])
    [point] = support.statistics(client, namespace, 'm', base, base + HOUR, period=3600)
    assert point['Timestamp'] == base
    assert (point['SampleCount'], point['Sum']) == (60.0, float(sum(range(60))))
    assert (point['Minimum'], point['Maximum']) == (0.0, 59.0)


def test_start_time_is_inclusive_and_end_time_exclusive(client, namespace):
    base = _put(client, namespace, [(MINUTE, 1.0), (2 * MINUTE, 2.0), (3 * MINUTE, 4.0)])
    points = support.statistics(client, namespace, 'm', base + MINUTE, base + 3 * MINUTE)
    assert [p['Sum'] for p in points] == [1.0, 2.0]


def test_start_time_inside_a_period_is_not_rounded_down_to_the_period(client, namespace):
    """AWS rounds a recent StartTime down to the minute, not to the period:
    data before StartTime stays out, and periods begin at StartTime."""
    base = _put(client, namespace, [(10 * MINUTE, 1.0), (40 * MINUTE, 2.0),
                                    (80 * MINUTE, 4.0)])
    start = base + 30 * MINUTE + 25 * SECOND
    points = support.statistics(client, namespace, 'm', start, start + 40 * MINUTE,
                                period=3600)
    assert [(p['Timestamp'], p['Sum']) for p in points] == [(base + 30 * MINUTE, 2.0)]


def test_datapoints_of_other_dimensions_are_not_counted(client, namespace):
    base = support.hour_start()
    web = [{'Name': 'role', 'Value': 'web'}, {'Name': 'zone', 'Value': 'a'}]
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Value': 1.0, 'Timestamp': base, 'Dimensions': web},
        {'MetricName': 'm', 'Value': 10.0, 'Timestamp': base, 'Dimensions': web[:1]},
        {'MetricName': 'm', 'Value': 100.0, 'Timestamp': base}])
    sums = [support.statistics(client, namespace, 'm', base, base + HOUR, period=3600,
                               dimensions=dims)[0]['Sum'] for dims in (web, web[:1], [])]
    assert sums == [1.0, 10.0, 100.0]
    assert support.statistics(client, namespace, 'm', base, base + HOUR, period=3600,
                              dimensions=web[1:]) == []


def test_unknown_metric_has_no_datapoints(client, namespace):
    base = support.hour_start()
    answer = client.get_metric_statistics(Namespace=namespace, MetricName='nothing',
                                          StartTime=base, EndTime=base + HOUR, Period=60,
                                          Statistics=['Sum'])
    assert answer['Datapoints'] == []
    assert answer['Label'] == 'nothing'


def test_label_is_the_metric_name(client, namespace):
    base = _put(client, namespace, [(0 * MINUTE, 1.0)], name='CPUUtilization')
    answer = client.get_metric_statistics(Namespace=namespace, MetricName='CPUUtilization',
                                          StartTime=base, EndTime=base + HOUR, Period=60,
                                          Statistics=['Sum'])
    assert answer['Label'] == 'CPUUtilization'
    assert len(answer['Datapoints']) == 1


def test_unit_filter_keeps_only_datapoints_of_that_unit(client, namespace):
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Value': 1.0, 'Unit': 'Bytes', 'Timestamp': base},
        {'MetricName': 'm', 'Value': 2.0, 'Unit': 'Bytes', 'Timestamp': base + MINUTE},
        {'MetricName': 'm', 'Value': 50.0, 'Unit': 'Percent', 'Timestamp': base}])
    [bytes_point] = support.statistics(client, namespace, 'm', base, base + HOUR,
                                       period=3600, Unit='Bytes')
    assert (bytes_point['Unit'], bytes_point['Sum'], bytes_point['SampleCount']) == (
        'Bytes', 3.0, 2.0)
    [percent] = support.statistics(client, namespace, 'm', base, base + HOUR, period=3600,
                                   Unit='Percent')
    assert (percent['Unit'], percent['Sum']) == ('Percent', 50.0)
    assert support.statistics(client, namespace, 'm', base, base + HOUR, period=3600,
                              Unit='Seconds') == []


@pytest.mark.parametrize('period', [1, 5, 10, 20, 30, 60])
def test_high_resolution_data_aggregate_per_period(client, namespace, period):
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Value': float(s), 'StorageResolution': 1,
         'Timestamp': base + s * SECOND} for s in range(60)])
    points = support.statistics(client, namespace, 'm', base, base + MINUTE, period=period)
    assert [p['Timestamp'] for p in points] == [base + s * SECOND
                                                for s in range(0, 60, period)]
    for point in points:
        first = int((point['Timestamp'] - base).total_seconds())
        assert point['SampleCount'] == float(period)
        assert point['Sum'] == float(sum(range(first, first + period)))
        assert (point['Minimum'], point['Maximum']) == (first, first + period - 1)


def test_sub_minute_start_rounds_down_to_the_period(client, namespace):
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Value': float(s), 'StorageResolution': 1,
         'Timestamp': base + s * SECOND} for s in range(30)])
    points = support.statistics(client, namespace, 'm', base + 13 * SECOND,
                                base + 30 * SECOND, period=10)
    assert [(p['Timestamp'], p['SampleCount']) for p in points] == [
        (base + 10 * SECOND, 10.0), (base + 20 * SECOND, 10.0)]


@pytest.mark.parametrize('period', [7, 90, 0])
def test_period_that_is_not_allowed_is_rejected(lenient, namespace, period):
    base = support.hour_start()
    code, status, _ = support.aws_error(
        lenient.get_metric_statistics, Namespace=namespace, MetricName='m', StartTime=base,
        EndTime=base + HOUR, Period=period, Statistics=['Sum'])
    assert (code, status) == ('InvalidParameterValue', 400)


def test_1440_datapoints_are_allowed(client, namespace):
    end = support.hour_start()
    points = support.statistics(client, namespace, 'm', end - 1440 * MINUTE, end)
    assert points == []


def test_more_than_1440_datapoints_is_an_invalid_combination(lenient, namespace):
    end = support.hour_start()
    code, status, message = support.aws_error(
        lenient.get_metric_statistics, Namespace=namespace, MetricName='m',
        StartTime=end - 1441 * MINUTE, EndTime=end, Period=60, Statistics=['Sum'])
    assert (code, status) == ('InvalidParameterCombination', 400)
    assert '1,440' in message


def test_statistics_with_extended_statistics_is_an_invalid_combination(lenient, namespace):
    base = support.hour_start()
    code, status, _ = support.aws_error(
        lenient.get_metric_statistics, Namespace=namespace, MetricName='m', StartTime=base,
        EndTime=base + HOUR, Period=60, Statistics=['Sum'], ExtendedStatistics=['p90'])
    assert (code, status) == ('InvalidParameterCombination', 400)


def test_neither_statistics_nor_extended_statistics_is_a_missing_parameter(lenient, namespace):
    base = support.hour_start()
    code, status, _ = support.aws_error(
        lenient.get_metric_statistics, Namespace=namespace, MetricName='m', StartTime=base,
        EndTime=base + HOUR, Period=60)
    assert (code, status) == ('MissingParameter', 400)


@pytest.mark.parametrize('bad', [{'Statistics': ['Median']},
                                 {'ExtendedStatistics': ['p101']},
                                 {'ExtendedStatistics': ['q50']}],
                         ids=['statistic', 'percentile-range', 'percentile-form'])
def test_unknown_statistic_is_rejected(lenient, namespace, bad):
    base = support.hour_start()
    code, status, _ = support.aws_error(
        lenient.get_metric_statistics, Namespace=namespace, MetricName='m', StartTime=base,
        EndTime=base + HOUR, Period=60, **bad)
    assert (code, status) == ('InvalidParameterValue', 400)


@pytest.mark.parametrize('percentile', ['p05', 'p99.999', 'p100.5', 'p50\n'])
def test_malformed_percentile_is_rejected_by_the_api(lenient, namespace, percentile):
    base = support.hour_start()
    code, status, message = support.aws_error(
        lenient.get_metric_statistics, Namespace=namespace, MetricName='m', StartTime=base,
        EndTime=base + HOUR, Period=60, ExtendedStatistics=['p50', percentile])
    assert (code, status) == ('InvalidParameterValue', 400)
    assert 'ExtendedStatistics.member.2' in message


@pytest.mark.parametrize('gap', [datetime.timedelta(0), -MINUTE], ids=['equal', 'reversed'])
def test_start_time_not_before_end_time_is_rejected(lenient, namespace, gap):
    base = support.hour_start()
    code, status, _ = support.aws_error(
        lenient.get_metric_statistics, Namespace=namespace, MetricName='m', StartTime=base,
        EndTime=base + gap, Period=60, Statistics=['Sum'])
    assert (code, status) == ('InvalidParameterValue', 400)


def test_aws_namespace_can_be_queried(client):
    """AWS/ namespaces are reserved for puts, not for reads."""
    base = support.hour_start()
    answer = client.get_metric_statistics(Namespace='AWS/EC2', MetricName='CPUUtilization',
                                          StartTime=base, EndTime=base + HOUR, Period=60,
                                          Statistics=['Average'])
    assert answer['Datapoints'] == []


# -- percentiles ------------------------------------------------------------------

PERCENTILES = ['p0', 'p1', 'p10', 'p33.33', 'p50', 'p90', 'p99', 'p99.9', 'p100', 'p25.5']


def test_extended_statistics_are_exact_nearest_rank_percentiles(client, namespace):
    rng = random.Random(20100801)
    samples = [round(rng.uniform(0, 1000), 3) for _ in range(997)]
    base = support.hour_start()
    # Single values and Values lists, spread over several minutes of the hour.
    data = [{'MetricName': 'm', 'Value': v, 'Timestamp': base + (i % 50) * MINUTE}
            for i, v in enumerate(samples[:400])]
    rest = samples[400:]
    data += [{'MetricName': 'm', 'Values': rest[i:i + 150], 'Timestamp': base + 7 * MINUTE}
             for i in range(0, len(rest), 150)]
    client.put_metric_data(Namespace=namespace, MetricData=data)
    [point] = support.statistics(client, namespace, 'm', base, base + HOUR, period=3600,
                                 stats=None, ExtendedStatistics=PERCENTILES)
    expected = {name: support.nearest_rank(samples, float(name[1:])) for name in PERCENTILES}
    assert point['ExtendedStatistics'] == expected
    assert 'Sum' not in point


def test_values_and_counts_give_exact_percentiles(client, namespace):
    values, counts = [5.0, 1.0, 3.0, 2.0, 4.0], [1.0, 10.0, 0.0, 3.0, 6.0]
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Values': values, 'Counts': counts, 'Timestamp': base}])
    samples = [v for v, c in zip(values, counts, strict=True) for _ in range(int(c))]
    [point] = support.statistics(client, namespace, 'm', base, base + HOUR, period=3600,
                                 stats=None, ExtendedStatistics=PERCENTILES)
    assert point['ExtendedStatistics'] == {
        name: support.nearest_rank(samples, float(name[1:])) for name in PERCENTILES}


def test_percentiles_of_each_period_use_that_period_only(client, namespace):
    base = _put(client, namespace, [(0 * MINUTE, 1.0), (0 * MINUTE, 2.0), (MINUTE, 100.0),
                                    (MINUTE + SECOND, 300.0), (MINUTE + 2 * SECOND, 200.0)])
    points = support.statistics(client, namespace, 'm', base, base + 2 * MINUTE, stats=None,
                                ExtendedStatistics=['p50', 'p100'])
    assert [p['ExtendedStatistics'] for p in points] == [{'p50': 1.0, 'p100': 2.0},
                                                         {'p50': 200.0, 'p100': 300.0}]


def test_percentiles_are_absent_when_a_value_is_negative(client, namespace):
    base = _put(client, namespace, [(0 * MINUTE, -1.0), (MINUTE, 5.0)])
    [point] = support.statistics(client, namespace, 'm', base, base + HOUR, period=3600,
                                 stats=None, ExtendedStatistics=['p50'])
    assert not point.get('ExtendedStatistics')


def test_statistic_set_with_equal_minimum_and_maximum_gives_percentiles(client, namespace):
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Timestamp': base,
         'StatisticValues': {'SampleCount': 4, 'Sum': 28, 'Minimum': 7, 'Maximum': 7}},
        {'MetricName': 'm', 'Timestamp': base + MINUTE, 'Values': [1.0, 2.0]}])
    [point] = support.statistics(client, namespace, 'm', base, base + HOUR, period=3600,
                                 stats=None, ExtendedStatistics=['p10', 'p50', 'p100'])
    samples = [7.0] * 4 + [1.0, 2.0]
    assert point['ExtendedStatistics'] == {
        name: support.nearest_rank(samples, float(name[1:])) for name in ('p10', 'p50', 'p100')}


def test_statistic_set_with_equal_minimum_and_maximum_gives_percentiles_whatever_its_sum(
        client, namespace):
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Timestamp': base,
         'StatisticValues': {'SampleCount': 4, 'Sum': 30, 'Minimum': 7, 'Maximum': 7}}])
    [point] = support.statistics(client, namespace, 'm', base, base + HOUR, period=3600,
                                 stats=None, ExtendedStatistics=['p90'])
    assert point['ExtendedStatistics'] == {'p90': 7.0}


def test_statistic_set_of_one_sample_gives_percentiles(client, namespace):
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Timestamp': base,
         'StatisticValues': {'SampleCount': 1, 'Sum': 3, 'Minimum': 3, 'Maximum': 3}}])
    [point] = support.statistics(client, namespace, 'm', base, base + HOUR, period=3600,
                                 stats=None, ExtendedStatistics=['p99'])
    assert point['ExtendedStatistics'] == {'p99': 3.0}


def test_statistic_set_with_a_spread_has_no_percentiles(client, namespace):
    base = support.hour_start()
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm', 'Timestamp': base,
         'StatisticValues': {'SampleCount': 3, 'Sum': 6, 'Minimum': 1, 'Maximum': 3}},
        {'MetricName': 'm', 'Timestamp': base + MINUTE, 'Value': 2.0}])
    [point] = support.statistics(client, namespace, 'm', base, base + HOUR, period=3600,
                                 stats=None, ExtendedStatistics=['p50'])
    assert not point.get('ExtendedStatistics')
    # The simple statistics still count the statistic set.
    [simple] = support.statistics(client, namespace, 'm', base, base + HOUR, period=3600)
    assert (simple['SampleCount'], simple['Sum']) == (4.0, 8.0)
