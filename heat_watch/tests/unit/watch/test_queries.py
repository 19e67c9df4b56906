"""Metric reads in the watch engine: statistics points read off the
aggregate rows of the metric store, as the StatSet path would give them,
and series of several queries read together; answers are the engine's
records."""

import json
import random

import pytest

from heat_watch.common import exceptions
from heat_watch.watch import model, queries, statistics
from heat_watch.watch.storage import metrics as metric_storage

MINUTE = 60_000
METRIC = model.MetricSelector('ns', 'm', (('Host', 'h1'),))


@pytest.fixture
def store(watch_engine):
    return metric_storage.MetricStore(watch_engine)


def _put(store, name: str, datums: list[dict]) -> int:
    """Store wire-format datums of metric ``name`` (dimension Host=h1); its id."""
    dims = [['Host', 'h1']]
    store.write([('p', 'ns', [dict(d, n=name, d=dims) for d in datums])])
    return store.find_metric_id('p', 'ns', name, dims)


def _point(bucket: int, unit: str, stat: statistics.StatSet,
           percentiles: list | None = None) -> model.StatisticsPoint:
    return model.StatisticsPoint(bucket, unit, stat.sample_count, stat.sum, stat.minimum,
                                 stat.maximum, stat.average, percentiles or ())


def test_simple_points_by_bucket_and_unit():
    rows = [(7, 2 * MINUTE, 'Count', 2.0, 5.0, 1.0, 4.0, None),
            (7, 0, 'Percent', 1.0, 3.0, 3.0, 3.0, None),
            (7, 0, 'Count', 4.0, 10.0, 1.0, 4.0, None)]
    assert queries.simple_points(rows) == [
        model.StatisticsPoint(0, 'Count', 4.0, 10.0, 1.0, 4.0, 2.5, ()),
        model.StatisticsPoint(0, 'Percent', 1.0, 3.0, 3.0, 3.0, 3.0, ()),
        model.StatisticsPoint(2 * MINUTE, 'Count', 2.0, 5.0, 1.0, 4.0, 2.5, ()),
    ]


def test_simple_points_equal_the_statistics_of_stat_sets():
    rng = random.Random(3)
    rows = []
    for bucket in rng.sample(range(1440), 200):
        low, high = sorted(rng.uniform(-50, 50) for _ in range(2))
        rows.append((1, bucket * MINUTE, 'None', float(rng.randint(1, 9)),
                     rng.uniform(-500, 500), low, high, 0))
    points = queries.simple_points(rows)
    expected = [_point(bucket, unit, statistics.StatSet(count, total, low, high))
                for _id, bucket, unit, count, total, low, high, _no_raw in sorted(rows)]
    assert points == expected


def test_metric_data_refuses_an_unknown_statistic(store):
    query = model.MetricQuery('q', METRIC, 60, 0, statistic='p99')
    with pytest.raises(exceptions.InvalidParameterValue, match='Statistic'):
        queries.metric_data(store, 'p', [query], 10 * MINUTE)


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
    answer = queries.metric_statistics(store, 'p', METRIC, 0, 10 * MINUTE, 60)
    sets = queries._stat_sets(store, metric_id, 0, 10 * MINUTE, MINUTE, None, need_raw=False)
    assert answer == model.StatisticsResult(
        [], [_point(bucket, unit, stat) for (bucket, unit), stat in sorted(sets.items())])
    counted = queries.metric_statistics(
        store, 'p', model.MetricSelector('ns', 'm', (('Host', 'h1'),), 'Count'),
        0, 10 * MINUTE, 60)
    assert sum(p.sample_count for p in counted.points) == sum(
        d['u'] == 'Count' for d in datums)


def test_metric_statistics_with_percentiles_in_the_order_asked(store):
    _put(store, 'm', [{'t': 10, 'vs': [1.0, 2.0, 3.0, 4.0]}, {'t': MINUTE, 'v': 5.0},
                      {'t': 2 * MINUTE, 's': [2.0, 4.0, 1.0, 3.0]}])
    answer = queries.metric_statistics(store, 'p', METRIC, 0, 10 * MINUTE, 60, [100, 50])
    assert answer.percentiles == [100, 50]
    assert [(p.timestamp, p.sample_count, p.percentiles) for p in answer.points] == [
        (0, 4.0, [4.0, 2.0]), (MINUTE, 1.0, [5.0, 5.0]), (2 * MINUTE, 2.0, [None, None])]


def test_metric_statistics_of_an_unknown_metric(store):
    assert queries.metric_statistics(store, 'p', METRIC, 0, 10 * MINUTE, 60) == \
        model.StatisticsResult([], [])


def test_statistics_result_crosses_the_wire_as_json(store):
    _put(store, 'm', [{'t': 10, 'vs': [1.0, 2.0]}, {'t': MINUTE, 'v': 5.0, 'u': 'Count'}])
    answer = queries.metric_statistics(store, 'p', METRIC, 0, 10 * MINUTE, 60, [99.9])
    wire = json.loads(json.dumps(answer.to_wire()))
    assert model.StatisticsResult.from_wire(wire) == answer
    # Handed over by reference (the in-process transport), the points are kept.
    simple = queries.metric_statistics(store, 'p', METRIC, 0, 10 * MINUTE, 60)
    kept = model.StatisticsResult.from_wire(simple.to_wire())
    assert kept == simple and all(type(p) is model.StatisticsPoint for p in kept.points)
    made = model.StatisticsResult.from_wire(json.loads(json.dumps(simple.to_wire())))
    assert [p.sum for p in made.points] == [p.sum for p in simple.points]
    assert all(type(p) is model.StatisticsPoint for p in made.points)


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

    def query(qid: str, name: str, stat: str, period: int = 60) -> model.MetricQuery:
        metric = model.MetricSelector('ns', name, (('Host', 'h1'),))
        if stat.startswith('p'):
            return model.MetricQuery(qid, metric, period, 0, percentile=float(stat[1:]))
        return model.MetricQuery(qid, metric, period, 0, statistic=stat)
    asked = [query('qa', 'a', 'p90'), query('qb', 'b', 'p90'), query('qc', 'c', 'Sum'),
             query('qa5', 'a', 'Maximum', period=300), query('qx', 'missing', 'Sum')]
    answer = queries.metric_data(store, 'p', asked, 10 * MINUTE)
    # p90 of a and b: one aggregate read and one raw read for both metrics.
    assert sorted(reads) == sorted([('bucket_aggregates', (1, 2)), ('raw_values', (1, 2)),
                                    ('bucket_aggregates', (3,)), ('bucket_aggregates', (1,))])
    got = {r.id: list(zip(r.timestamps, r.values, strict=True)) for r in answer.results}
    assert answer.marker is None and all(r.complete for r in answer.results)
    for q in asked[:4]:
        metric_id = store.find_metric_id('p', 'ns', q.metric.metric_name, [['Host', 'h1']])
        alone = queries._series(queries._stat_sets(
            store, metric_id, 0, 10 * MINUTE, q.period * 1000, None,
            need_raw=q.percentile is not None), q)
        assert got[q.id] == list(reversed(alone)) and alone
    assert got['qx'] == []


def test_list_metrics_pages_of_500_with_a_marker(store):
    store.write([('p', 'ns', [{'n': 'm%03d' % i, 'd': [['Host', 'h%d' % (i % 2)]], 't': 10,
                               'v': 1.0} for i in range(501)])])
    first = queries.list_metrics(store, 'p', 'ns', None, [], False, None, 1000)
    assert len(first.metrics) == 500 and first.marker
    assert first.metrics[0] == model.ListedMetric('ns', 'm000', [['Host', 'h0']])
    second = queries.list_metrics(store, 'p', 'ns', None, [['Host', None]], False,
                                  first.marker, 1000)
    assert second == model.MetricListing([model.ListedMetric('ns', 'm500', [['Host', 'h0']])])
    assert model.MetricListing.from_wire(json.loads(json.dumps(first.to_wire()))) == first
