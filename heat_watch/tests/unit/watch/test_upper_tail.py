"""High percentiles from the upper tail of each bucket's raw values: the same
answers as a read of every value (exact, no error bound), from a bounded read."""

import random

import pytest

from heat_watch.watch import queries, statistics
from heat_watch.watch.storage import metrics as metric_storage
from heat_watch.watch.storage import upper_tail

MINUTE = 60_000
DIMS = [['Host', 'h1']]
PERCENTILES = ['p75', 'p90', 'p95', 'p99', 'p99.9', 'p100', 'p87.65']


@pytest.fixture
def store(watch_engine):
    return metric_storage.MetricStore(watch_engine)


def _put(store, name: str, datums: list[dict]) -> int:
    store.write([('p', 'ns', [dict(d, n=name, d=DIMS) for d in datums])])
    return store.find_metric_id('p', 'ns', name, DIMS)


def _full_read(store, metric_id: int, period_ms: int, names: list[str]) -> list[dict]:
    """Every value read: the reference answer."""
    sets = queries._stat_sets(store, metric_id, 0, 10 * MINUTE, period_ms, None, True)
    points = []
    for (bucket, unit), stat in sorted(sets.items()):
        wanted = {n: statistics.parse_extended_statistic(n) for n in names}
        values = statistics.percentiles(stat, sorted(set(wanted.values())))
        points.append({'Timestamp': bucket, 'Unit': unit, 'ExtendedStatistics': {
            n: values[p] for n, p in wanted.items() if values[p] is not None}})
    return points


def _statistics(store, name: str, names: list[str], period: int = 60) -> list[dict]:
    args = {'Namespace': 'ns', 'MetricName': name, 'Dimensions': [
        {'Name': 'Host', 'Value': 'h1'}], 'StartTime': 0, 'EndTime': 10 * MINUTE,
        'Period': period, 'ExtendedStatistics': names}
    return queries.metric_statistics(store, 'p', args)['Datapoints']


def _random_datums(rng: random.Random, count: int, ties: bool) -> list[dict]:
    datums = []
    for _ in range(count):
        stamp, kind = rng.randrange(10 * MINUTE), rng.random()
        value = float(rng.randrange(20)) if ties else rng.uniform(0, 1000)
        if kind < 0.8:
            datums.append({'t': stamp, 'v': value})
        elif kind < 0.9:  # Values/Counts arrays, stored as JSON pairs
            n = rng.randrange(1, 6)
            datums.append({'t': stamp, 'vs': [value + rng.randrange(5) for _ in range(n)],
                           'cs': [float(rng.randrange(1, 4)) for _ in range(n)]})
        else:  # a statistic set of equal samples: one value, a count
            datums.append({'t': stamp, 's': [3.0, 3 * value, value, value]})
    return datums


@pytest.mark.parametrize('ties', [False, True])
@pytest.mark.parametrize('seed', range(6))
def test_upper_tail_percentiles_equal_those_of_every_value(store, seed, ties):
    rng = random.Random(seed)
    metric_id = _put(store, 'm', _random_datums(rng, rng.choice([5, 60, 600, 2000]), ties))
    for period in (60, 300):
        assert _statistics(store, 'm', PERCENTILES, period) == _full_read(
            store, metric_id, period * 1000, PERCENTILES)


def test_negative_values_and_statistic_sets_leave_percentiles_out(store):
    _put(store, 'm', [{'t': 1, 'v': 5.0}, {'t': 2, 'v': -1.0},
                      {'t': MINUTE, 'v': 5.0}, {'t': MINUTE + 1, 's': [2.0, 3.0, 1.0, 2.0]},
                      {'t': 2 * MINUTE, 'v': 7.0}])
    points = _statistics(store, 'm', ['p90'])
    assert [p['ExtendedStatistics'] for p in points] == [{}, {}, {'p90': 7.0}]


def test_the_read_is_bounded_by_the_share_a_percentile_needs(store):
    metric_id = _put(store, 'busy', [{'t': i * 50, 'v': float(i % 997)} for i in range(1000)])
    tails = upper_tail.read(store.engine, store.datapoint_tables(), [metric_id], 0, MINUTE,
                            MINUTE, None, 90.0)
    tail = tails[(metric_id, 0, 'None')]
    # 10% of 1,000 samples, plus the 1% margin and the row that crosses it.
    assert 100 < len(tail.pairs) <= 112
    assert all(value >= tail.cut for value, _ in tail.pairs)
    assert _statistics(store, 'busy', ['p90']) == _full_read(store, metric_id, MINUTE, ['p90'])


def test_equal_values_at_the_cut_fall_back_to_a_full_read(store):
    # 95% of the samples are 1.0: the p90 lies at the cut, below what the tail holds.
    metric_id = _put(store, 'flat', [{'t': i, 'v': 1.0 if i < 950 else 2.0}
                                      for i in range(1000)])
    stat = queries._stat_sets_of(store, [metric_id], 0, MINUTE, MINUTE, None, True,
                                 90.0)[metric_id][(0, 'None')]
    assert stat.cut == 1.0
    with pytest.raises(statistics.Undetermined):
        statistics.percentiles(stat, [90.0])
    assert statistics.percentiles(stat, [99.0]) == {99.0: 2.0}
    assert _statistics(store, 'flat', ['p90', 'p99']) == [
        {'Timestamp': 0, 'Unit': 'None', 'ExtendedStatistics': {'p90': 1.0, 'p99': 2.0}}]


def test_low_percentiles_still_read_every_value(store, monkeypatch):
    _put(store, 'm', [{'t': i, 'v': float(i)} for i in range(10)])
    monkeypatch.setattr(upper_tail, 'read', lambda *a: pytest.fail('tail read for p50'))
    assert _statistics(store, 'm', ['p50', 'p90'])[0]['ExtendedStatistics'] == {
        'p50': 4.0, 'p90': 8.0}


# N = 10 samples, those not listed are <= the cut (7.0); nearest rank.
@pytest.mark.parametrize(('values', 'p', 'expected'), [
    ([(9.0, 1.0), (8.0, 1.0)], 90.0, 8.0),     # the 9th of 10
    ([(9.0, 1.0), (8.0, 1.0)], 95.0, 9.0),     # rank 9.5: the 10th
    ([(9.0, 2.0)], 85.0, 9.0),
    ([(9.0, 1.0), (8.0, 1.0)], 80.0, statistics.Undetermined),  # the 8th is <= the cut
    ([(9.0, 1.0), (7.0, 3.0)], 80.0, statistics.Undetermined),  # at the cut itself
    ([], 99.0, statistics.Undetermined),
])
def test_upper_percentile_rule(values, p, expected):
    stat = statistics.StatSet(10.0, 50.0, 0.0, 9.0, values, 7.0)
    if expected is statistics.Undetermined:
        with pytest.raises(statistics.Undetermined):
            statistics.percentiles(stat, [p])
    else:
        assert statistics.percentiles(stat, [p]) == {p: expected}
