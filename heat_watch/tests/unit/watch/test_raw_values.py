"""Raw values for percentiles, read straight off the DBAPI cursor: the same
samples, bucket by bucket, whichever table holds them and whatever kind of
datum brought them, and the same percentiles as the samples give."""

import random

import pytest

from heat_watch.watch import queries, statistics
from heat_watch.watch.storage import metrics as metric_storage

MINUTE = 60_000
DIMS = [['Host', 'h1']]
PERCENTILES = [0, 1, 10, 33.33, 50, 90, 99, 99.9, 100]


@pytest.fixture
def store(watch_engine):
    return metric_storage.MetricStore(watch_engine, buffer_rows=1_000_000, buffer_seconds=3600)


def _datums(rng: random.Random, count: int) -> tuple[list[dict], dict]:
    """Datums of every kind over ten minutes, and the samples each bucket
    (from 0) should hold as (value, count) pairs: None where a statistic
    set without raw values makes them unknown."""
    datums, samples = [], {}
    for _ in range(count):
        stamp = rng.randrange(10 * MINUTE)
        bucket = stamp - stamp % MINUTE
        kind = rng.random()
        if kind < 0.9:
            value = round(rng.uniform(0, 100), rng.choice([0, 2]))
            datums.append({'t': stamp, 'v': value})
            pairs = [(value, 1.0)]
        elif kind < 0.95:
            values, counts = [rng.uniform(0, 9), 50.0], [rng.choice([1.0, 2.5]), 3.0]
            datums.append({'t': stamp, 'vs': values, 'cs': counts})
            pairs = list(zip(values, counts, strict=True))
        elif kind < 0.99:
            value = float(rng.randrange(5))
            datums.append({'t': stamp, 's': [4.0, value * 4, value, value]})
            pairs = [(value, 4.0)]
        else:
            datums.append({'t': stamp, 's': [2.0, 3.0, 1.0, 2.0]})
            pairs = None
        if bucket not in samples or samples[bucket] is not None:
            samples[bucket] = None if pairs is None else samples.get(bucket, []) + pairs
    return datums, samples


def _write(store, name: str, datums: list[dict]) -> int:
    store.write([('p', 'ns', [dict(d, n=name, d=DIMS) for d in datums])])
    return store.find_metric_id('p', 'ns', name, DIMS)


@pytest.mark.parametrize('move', [False, True])
def test_raw_values_hold_every_sample_of_each_bucket_in_either_table(store, move):
    rng = random.Random(11)
    datums, samples = _datums(rng, 3000)
    half = len(datums) // 2
    metric_id = _write(store, 'm', datums[:half])
    if move:
        store.move_buffer()  # one bucket's rows then in both tables
    _write(store, 'm', datums[half:])
    raws = store.raw_values([metric_id], 0, 10 * MINUTE, MINUTE)
    for bucket, pairs in samples.items():
        key = (metric_id, bucket, 'None')
        known = [p for p in pairs if p] if pairs is not None else None
        if known is None:
            continue  # the set without raw values is left out of this read
        assert isinstance(raws[key], statistics.RawValues)
        assert raws[key] == known


def test_percentiles_read_equal_the_nearest_rank_of_the_samples(store):
    rng = random.Random(12)
    datums, samples = _datums(rng, 4000)
    _write(store, 'm', datums[:2000])
    store.move_buffer()
    _write(store, 'm', datums[2000:])
    args = {'Namespace': 'ns', 'MetricName': 'm', 'Dimensions': [{'Name': 'Host', 'Value': 'h1'}],
            'StartTime': 0, 'EndTime': 10 * MINUTE, 'Period': 60,
            'ExtendedStatistics': ['p%s' % p for p in PERCENTILES]}
    answer = queries.metric_statistics(store, 'p', args)
    for point in answer['Datapoints']:
        pairs = samples[point['Timestamp']]
        if pairs is None:
            assert point['ExtendedStatistics'] == {}
            continue
        expected = statistics.percentiles(statistics.StatSet(1, 1, 1, 1, pairs), PERCENTILES)
        assert point['ExtendedStatistics'] == {'p%s' % p: v for p, v in expected.items()}
    assert len(answer['Datapoints']) == len(samples)


def test_raw_values_of_several_metrics_and_a_unit(store):
    first = _write(store, 'a', [{'t': 5, 'v': 3.0, 'u': 'Count'}, {'t': 6, 'v': 1.0},
                                {'t': 61_000, 'v': 2.0, 'u': 'Count'}])
    second = _write(store, 'b', [{'t': 7, 'v': 9.0, 'u': 'Count'}])
    everything = store.raw_values([first, second], 0, 2 * MINUTE, MINUTE)
    assert everything == {(first, 0, 'Count'): [(3.0, 1.0)], (first, 0, 'None'): [(1.0, 1.0)],
                          (first, MINUTE, 'Count'): [(2.0, 1.0)],
                          (second, 0, 'Count'): [(9.0, 1.0)]}
    counted = store.raw_values([first, second], 0, 2 * MINUTE, MINUTE, unit='Count')
    assert set(counted) == {(first, 0, 'Count'), (first, MINUTE, 'Count'), (second, 0, 'Count')}
