"""GetMetricStatistics in the watch engine: datapoints read off the
aggregate rows of the metric store, as the StatSet path would give them."""

import random

import pytest

from heat_watch.common import exceptions
from heat_watch.watch import queries, statistics
from heat_watch.watch.storage import metrics as metric_storage

MINUTE = 60_000
DIMS = [{'Name': 'Host', 'Value': 'h1'}]


@pytest.fixture
def store(watch_engine):
    return metric_storage.MetricStore(watch_engine)


def _put(store, name: str, datums: list[dict]) -> int:
    """Store wire-format datums of metric ``name`` (dimension Host=h1); its id."""
    dims = [['Host', 'h1']]
    store.write([('p', 'ns', [dict(d, n=name, d=dims) for d in datums])])
    return store.find_metric_id('p', 'ns', name, dims)


def _args(**extra) -> dict:
    return dict({'Namespace': 'ns', 'MetricName': 'm', 'Dimensions': DIMS,
                 'StartTime': 0, 'EndTime': 10 * MINUTE, 'Period': 60}, **extra)


def test_simple_datapoints_by_bucket_and_unit_with_the_wanted_statistics():
    rows = [(7, 2 * MINUTE, 'Count', 2.0, 5.0, 1.0, 4.0, None),
            (7, 0, 'Percent', 1.0, 3.0, 3.0, 3.0, None),
            (7, 0, 'Count', 4.0, 10.0, 1.0, 4.0, None)]
    points = queries.simple_datapoints(rows, ['Sum', 'Average'])
    assert points == [
        {'Timestamp': 0, 'Unit': 'Count', 'Sum': 10.0, 'Average': 2.5},
        {'Timestamp': 0, 'Unit': 'Percent', 'Sum': 3.0, 'Average': 3.0},
        {'Timestamp': 2 * MINUTE, 'Unit': 'Count', 'Sum': 5.0, 'Average': 2.5},
    ]


def test_simple_datapoints_equal_the_statistics_of_stat_sets():
    rng = random.Random(3)
    rows = []
    for bucket in rng.sample(range(1440), 200):
        low, high = sorted(rng.uniform(-50, 50) for _ in range(2))
        rows.append((1, bucket * MINUTE, 'None', float(rng.randint(1, 9)),
                     rng.uniform(-500, 500), low, high, 0))
    [point] = queries.simple_datapoints(rows[:1], [])
    assert point == {'Timestamp': rows[0][1], 'Unit': 'None'}
    points = queries.simple_datapoints(rows, list(statistics.STATISTICS))
    expected = []
    for _id, bucket, unit, count, total, low, high, _no_raw in sorted(rows):
        stat = statistics.StatSet(count, total, low, high)
        expected.append(dict({'Timestamp': bucket, 'Unit': unit},
                             **{n: statistics.statistic(stat, n) for n in statistics.STATISTICS}))
    assert points == expected


def test_simple_datapoints_reject_an_unknown_statistic():
    with pytest.raises(exceptions.InvalidParameterValue, match='Statistic'):
        queries.simple_datapoints([], ['Sum', 'p99'])


def test_bucket_aggregates_of_one_metric_equal_those_of_several(store):
    first = _put(store, 'm', [{'t': 10, 'v': 1.0}, {'t': 20, 'v': 3.0, 'u': 'Count'},
                              {'t': MINUTE + 5, 's': [2.0, 4.0, 1.0, 3.0]}])
    second = _put(store, 'other', [{'t': 30, 'v': 8.0}])
    alone = store.bucket_aggregates([first], 0, 10 * MINUTE, MINUTE)
    both = store.bucket_aggregates([first, second], 0, 10 * MINUTE, MINUTE)
    assert sorted(tuple(r) for r in alone) == sorted(tuple(r) for r in both
                                                      if r.metric_id == first)
    assert sorted((r.metric_id, r.bucket, r.unit, r.sample_count, r.no_raw) for r in alone) == [
        (first, 0, 'Count', 1.0, 0), (first, 0, 'None', 1.0, 0),
        (first, MINUTE, 'None', 2.0, 1)]


def test_bucket_aggregates_count_rows_without_raw_values_only_when_asked(store):
    metric_id = _put(store, 'm', [{'t': 10, 's': [2.0, 4.0, 1.0, 3.0]}])
    [counted] = store.bucket_aggregates([metric_id], 0, MINUTE, MINUTE)
    [uncounted] = store.bucket_aggregates([metric_id], 0, MINUTE, MINUTE, count_raw=False)
    assert (counted.no_raw, uncounted.no_raw) == (1, None)
    assert tuple(counted)[:-1] == tuple(uncounted)[:-1]


def test_raw_values_by_metric_bucket_and_unit(store):
    metric_id = _put(store, 'm', [{'t': 10, 'v': 1.5}, {'t': 70_000, 'vs': [1.0, 2.0],
                                                        'cs': [3.0, 1.0]},
                                  {'t': 80_000, 's': [2.0, 4.0, 1.0, 3.0]}])
    assert store.raw_values([metric_id], 5, 10 * MINUTE, MINUTE) == {
        (metric_id, 5, 'None'): [(1.5, 1.0)],
        (metric_id, 60_005, 'None'): [[1.0, 3.0], [2.0, 1.0]],
    }


def test_metric_statistics_answers_as_the_stat_set_path(store):
    rng = random.Random(5)
    datums = [{'t': rng.randrange(10 * MINUTE), 'v': rng.uniform(0, 100),
               'u': rng.choice(['Count', 'Percent'])} for _ in range(300)]
    metric_id = _put(store, 'm', datums)
    wanted = ['Maximum', 'SampleCount', 'Average']
    answer = queries.metric_statistics(store, 'p', _args(Statistics=wanted))
    sets = queries._stat_sets(store, metric_id, 0, 10 * MINUTE, MINUTE, None, need_raw=False)
    assert answer['Label'] == 'm'
    assert answer['Datapoints'] == [
        dict({'Timestamp': bucket, 'Unit': unit},
             **{n: statistics.statistic(stat, n) for n in wanted})
        for (bucket, unit), stat in sorted(sets.items())]
    counted = queries.metric_statistics(store, 'p', _args(Statistics=['SampleCount'],
                                                          Unit='Count'))
    assert sum(p['SampleCount'] for p in counted['Datapoints']) == sum(
        d['u'] == 'Count' for d in datums)


def test_metric_statistics_with_percentiles(store):
    _put(store, 'm', [{'t': 10, 'vs': [1.0, 2.0, 3.0, 4.0]}, {'t': MINUTE, 'v': 5.0},
                      {'t': 2 * MINUTE, 's': [2.0, 4.0, 1.0, 3.0]}])
    answer = queries.metric_statistics(store, 'p', _args(ExtendedStatistics=['p50', 'p100']))
    assert answer['Datapoints'] == [
        {'Timestamp': 0, 'Unit': 'None', 'ExtendedStatistics': {'p50': 2.0, 'p100': 4.0}},
        {'Timestamp': MINUTE, 'Unit': 'None', 'ExtendedStatistics': {'p50': 5.0, 'p100': 5.0}},
        {'Timestamp': 2 * MINUTE, 'Unit': 'None', 'ExtendedStatistics': {}},
    ]


def test_metric_statistics_of_an_unknown_metric(store):
    assert queries.metric_statistics(store, 'p', _args(Statistics=['Sum'])) == {
        'Label': 'm', 'Datapoints': []}


def test_metric_data_reads_queries_alike_together_and_answers_as_one_by_one(store):
    rng = random.Random(9)
    names = ['a', 'b', 'c']
    for name in names:
        _put(store, name, [{'t': rng.randrange(10 * MINUTE), 'v': rng.uniform(0, 100)}
                           for _ in range(200)])
    reads = []
    for method in ('bucket_aggregates', 'raw_values'):
        original = getattr(store, method)

        def counted(*args, _original=original, _method=method, **kwargs):
            reads.append((_method, tuple(args[0])))
            return _original(*args, **kwargs)
        setattr(store, method, counted)

    def query(qid: str, name: str, stat: str, period: int = 60) -> dict:
        return {'Id': qid, 'MetricStat': {
            'Metric': {'Namespace': 'ns', 'MetricName': name, 'Dimensions': DIMS},
            'Period': period, 'Stat': stat}}
    asked = [query('qa', 'a', 'p90'), query('qb', 'b', 'p90'), query('qc', 'c', 'Sum'),
             query('qa5', 'a', 'Maximum', period=300), query('qx', 'missing', 'Sum')]
    answer = queries.metric_data(store, 'p', {'MetricDataQueries': asked, 'StartTime': 0,
                                              'EndTime': 10 * MINUTE})
    # p90 of a and b: one aggregate read and one raw read for both metrics.
    assert sorted(reads) == sorted([('bucket_aggregates', (1, 2)), ('raw_values', (1, 2)),
                                    ('bucket_aggregates', (3,)), ('bucket_aggregates', (1,))])
    got = {r['Id']: list(zip(r['Timestamps'], r['Values'], strict=True))
           for r in answer['MetricDataResults']}
    for q in asked[:4]:
        stat, period_ms = q['MetricStat']['Stat'], q['MetricStat']['Period'] * 1000
        metric_id = store.find_metric_id('p', 'ns', q['MetricStat']['Metric']['MetricName'],
                                         [['Host', 'h1']])
        alone = queries._series(queries._stat_sets(
            store, metric_id, 0, 10 * MINUTE, period_ms, None,
            need_raw=stat not in statistics.STATISTICS), stat)
        assert got[q['Id']] == list(reversed(alone)) and alone
    assert got['qx'] == []
