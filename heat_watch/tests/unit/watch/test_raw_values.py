"""Raw values for percentiles, read straight off the DBAPI cursor: the same
samples, bucket by bucket, whichever table holds them and whatever kind of
datum brought them, and the same percentiles as the samples give."""

import math
import random
import struct

import pytest

from heat_watch.watch import model, queries, statistics
from heat_watch.watch.storage import bucket_cache
from heat_watch.watch.storage import metrics as metric_storage
from heat_watch.watch.storage import raw_values as raw_reads

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
    metric = model.MetricSelector('ns', 'm', (('Host', 'h1'),))
    answer = queries.metric_statistics(store, 'p', metric, 0, 10 * MINUTE, 60, PERCENTILES)
    for point in answer.points:
        pairs = samples[point.timestamp]
        if pairs is None:
            assert set(point.percentiles) == {None}
            continue
        expected = statistics.percentiles(statistics.StatSet(1, 1, 1, 1, pairs), PERCENTILES)
        assert list(point.percentiles) == [expected[p] for p in PERCENTILES]
    assert len(answer.points) == len(samples)


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


def _awkward_doubles(rng: random.Random, count: int) -> list[float]:
    """Non-negative doubles from the whole range (random bit patterns) and
    decimals that print awkwardly."""
    values = [0.0, 0.1 + 0.2, 1 / 3, 5e-324, 1.7976931348623157e308, 8.515920e-109]
    while len(values) < count:
        value = struct.unpack('<d', struct.pack('<Q', rng.getrandbits(63)))[0]
        if math.isfinite(value):
            values.append(value)
            values.append(round(rng.uniform(0, 100), rng.randrange(6)))
    return values


def test_grouped_text_and_row_by_row_reads_give_the_very_same_values(store):
    """Where SQLite's text of a double is exact (checked at first use), the
    values grouped as text are the doubles the rows hold, to the last bit."""
    rng = random.Random(14)
    values = _awkward_doubles(rng, 6000)
    datums = [{'t': rng.randrange(5 * MINUTE), 'v': v} for v in values]
    datums += [{'t': rng.randrange(5 * MINUTE), 'vs': [1.5, 7.25], 'cs': [2.0, 1.0]}
               for _ in range(20)]
    metric_id = _write(store, 'm', datums[:3000])
    store.move_buffer()
    _write(store, 'm', datums[3000:])
    assert raw_reads.text_is_exact(store.engine)
    args = (store.engine, store.datapoint_tables(), [metric_id], 0, 5 * MINUTE, MINUTE, None)
    rows = raw_reads.raw_values(*args, how=raw_reads.ROWS)
    for how in (raw_reads.GROUPED, raw_reads.PER_BUCKET):
        _assert_same_values(raw_reads.raw_values(*args, how=how), rows, weighted=True)
    grouped = raw_reads.raw_values(*args, how=raw_reads.GROUPED)
    assert sorted(v for found in grouped.values() for v in found.plain) == sorted(values)


def _assert_same_values(grouped: dict, rows: dict, weighted: bool) -> None:
    assert set(grouped) == set(rows) and len(grouped) == 5
    for key, found in grouped.items():
        assert sorted(found.plain) == sorted(rows[key].plain)
        assert [struct.pack('<d', v) for v in sorted(found.plain)] == [
            struct.pack('<d', v) for v in sorted(rows[key].plain)]
        assert sorted(found.weighted) == sorted(rows[key].weighted)
        assert bool(found.weighted) == weighted
        assert statistics.percentiles(statistics.StatSet(1, 1, 1, 1, found), PERCENTILES) == \
            statistics.percentiles(statistics.StatSet(1, 1, 1, 1, rows[key]), PERCENTILES)


@pytest.mark.parametrize('unit', [None, 'Count'])
def test_values_read_per_bucket_equal_those_read_row_by_row_in_both_tables(store, unit):
    """The read of the index per bucket (plain values of one unit in both
    tables, a bucket split between them) gives every value once."""
    rng = random.Random(15)
    values = _awkward_doubles(rng, 3000)
    datums = [{'t': rng.randrange(5 * MINUTE), 'v': v, 'u': 'Count'} for v in values]
    metric_id = _write(store, 'm', datums[:2000])
    other = _write(store, 'o', datums[:10])
    store.move_buffer()
    _write(store, 'm', datums[2000:])
    args = (store.engine, store.datapoint_tables(), [metric_id, other], 0, 5 * MINUTE,
            MINUTE, unit)
    per_bucket = raw_reads.raw_values(*args, how=raw_reads.PER_BUCKET)
    assert per_bucket == raw_reads.raw_values(*args)  # the default here
    rows = raw_reads.raw_values(*args, how=raw_reads.ROWS)
    assert set(per_bucket) == set(rows)
    assert sum(len(found) for found in per_bucket.values()) == 3010
    for key, found in per_bucket.items():
        assert sorted(found.plain) == sorted(rows[key].plain) and not found.weighted


def test_a_bucket_of_mixed_units_or_weighted_rows_is_read_the_general_way(store):
    metric_id = _write(store, 'm', [{'t': 1, 'v': 2.0, 'u': 'Count'}, {'t': 2, 'v': 1.0},
                                    {'t': MINUTE, 'v': 4.0}, {'t': MINUTE + 1, 'v': 3.0}])
    store.move_buffer()
    args = (store.engine, store.datapoint_tables(), [metric_id], 0, 2 * MINUTE, MINUTE, None)
    expected = {(metric_id, 0, 'Count'): [(2.0, 1.0)], (metric_id, 0, 'None'): [(1.0, 1.0)],
                (metric_id, MINUTE, 'None'): [(4.0, 1.0), (3.0, 1.0)]}
    assert raw_reads.raw_values(*args, how=raw_reads.PER_BUCKET) == expected
    _write(store, 'm', [{'t': MINUTE + 2, 's': [2.0, 10.0, 5.0, 5.0]}])
    store.move_buffer()
    expected[(metric_id, MINUTE, 'None')] = [(4.0, 1.0), (3.0, 1.0), (5.0, 2.0)]
    assert raw_reads.raw_values(*args, how=raw_reads.PER_BUCKET) == expected


def test_the_text_check_tries_the_edges_of_the_doubles():
    values = raw_reads.check_values()
    assert len(values) >= raw_reads.CHECK_VALUES
    assert {5e-324, 1.7976931348623157e308, 8.515920e-109, 1.174271e+108} <= set(values)
    assert all(math.isfinite(v) for v in values)


def _group_by_aggregates(store, metric_ids, unit, count_raw) -> list[tuple]:
    """bucket_aggregates as the GROUP BY of each table gives them."""
    query = metric_storage._aggregate_statement(store.datapoint_tables(),
                                                len(metric_ids) == 1, bool(unit), count_raw)
    with store.engine.connect() as conn:
        rows = conn.execute(query, {'ids': metric_ids, 'start': 0, 'end': 10 * MINUTE,
                                    'period': MINUTE, 'unit': unit,
                                    'metric': metric_ids[0]}).all()
    return sorted(tuple(row) for row in metric_storage._merge_buckets(rows))


@pytest.mark.parametrize('unit, count_raw', [(None, True), (None, False), ('Count', True)])
def test_aggregates_per_bucket_equal_those_of_the_group_by_to_the_last_bit(store, unit,
                                                                          count_raw):
    rng = random.Random(16)
    datums = []
    for _ in range(4000):
        value = rng.uniform(0, 1e6) * 10 ** rng.randrange(-6, 6)
        datums.append({'t': rng.randrange(10 * MINUTE), 'v': value, 'u': 'Count'})
    datums += [{'t': rng.randrange(10 * MINUTE), 's': [3.0, 7.5, 0.5, 4.0], 'u': 'Count'}
               for _ in range(40)]
    first = _write(store, 'a', datums[:2500])
    second = _write(store, 'b', datums[:300])
    store.move_buffer()
    _write(store, 'a', datums[2500:])
    ids = [first, second]
    args = (store.engine, store.datapoint_tables(), ids, 0, 10 * MINUTE, MINUTE, unit, count_raw)
    per_bucket = raw_reads.bucket_aggregates(*args)
    assert per_bucket is not None
    found = sorted(tuple(row) for row in metric_storage._merge_buckets(per_bucket))
    assert found == _group_by_aggregates(store, ids, unit, count_raw)
    assert len(found) == 20
    assert sorted(tuple(row) for row in store.bucket_aggregates(ids, 0, 10 * MINUTE, MINUTE,
                                                                unit, count_raw)) == found
    if count_raw:
        assert sum(row[7] for row in found) == 40  # the statistic sets, no raw values


def test_aggregates_of_a_bucket_of_mixed_units_or_too_many_buckets_use_the_group_by(store):
    metric_id = _write(store, 'm', [{'t': 1, 'v': 2.0, 'u': 'Count'}, {'t': 2, 'v': 1.0}])
    store.move_buffer()
    args = (store.engine, store.datapoint_tables(), [metric_id])
    assert raw_reads.bucket_aggregates(*args, 0, MINUTE, MINUTE, None, True) is None
    assert raw_reads.bucket_aggregates(*args, 0, MINUTE, MINUTE, 'Count', True) == [
        (metric_id, 0, 'Count', 1.0, 2.0, 2.0, 2.0, 0)]
    many = (raw_reads.MAX_BUCKET_SCANS + 1) * 1000
    assert raw_reads.bucket_aggregates(*args, 0, many, 1000, None, True) is None
    rows = store.bucket_aggregates([metric_id], 0, MINUTE, MINUTE)
    assert sorted(tuple(row) for row in rows) == [(metric_id, 0, 'Count', 1.0, 2.0, 2.0, 2.0, 0),
                                                  (metric_id, 0, 'None', 1.0, 1.0, 1.0, 1.0, 0)]
    assert rows[0].metric_id == metric_id  # read by name too (the evaluator does)


def _plain_by_key(found: dict) -> dict:
    return {key: (sorted(values.plain), sorted(values.weighted)) for key, values in found.items()}


def test_cached_buckets_read_only_new_rows_and_stay_exact_through_late_data_and_expiry(store):
    """Rounds of writes (late ones into cached buckets, some beyond the
    window's end), buffer moves and an expiry, each followed by a read
    through the cache and one row by row: always the same values."""
    cache = bucket_cache.BucketCache()
    rng = random.Random(17)
    first = _write(store, 'a', [{'t': 0, 'v': 1.0}])
    second = _write(store, 'b', [{'t': 0, 'v': 2.0}])
    tables = store.datapoint_tables()
    reads = 0
    for round_ in range(12):
        end = (round_ + 3) * 20_000 + rng.randrange(1000)
        datums = [{'t': rng.randrange(end + 30_000), 'v': float(rng.randrange(1000)) / 8}
                  for _ in range(rng.randrange(1, 200))]
        _write(store, rng.choice('ab'), datums)
        if round_ % 3 == 1:
            store.move_buffer()
        if round_ == 7:
            store.expire(30_000, 0)  # rows of cached buckets deleted
        args = (store.engine, tables, [first, second], 0, end, 20_000, None)
        rows = raw_reads.raw_values(*args, how=raw_reads.ROWS)
        read = raw_reads._per_bucket(*args[:-1], None, cache=cache)
        if read is None:  # the expiry: read the general way, the entries dropped
            assert round_ == 7
            read = raw_reads.raw_values(*args, how=raw_reads.GROUPED)
        else:
            reads += 1
        assert _plain_by_key(read) == _plain_by_key(rows)
        for key, values in read.items():
            assert statistics.percentiles(statistics.StatSet(1, 1, 1, 1, values),
                                          PERCENTILES) == statistics.percentiles(
                statistics.StatSet(1, 1, 1, 1, rows[key]), PERCENTILES)
    assert reads == 11 and len(cache) > 0


def test_a_cached_bucket_is_read_again_whole_when_its_unit_changes(store):
    cache = bucket_cache.BucketCache()
    metric_id = _write(store, 'm', [{'t': 1, 'v': 2.0, 'u': 'Count'}])
    store.move_buffer()
    args = (store.engine, store.datapoint_tables(), [metric_id], 0, MINUTE, MINUTE)
    assert raw_reads._per_bucket(*args, None, cache=cache) == {
        (metric_id, 0, 'Count'): [(2.0, 1.0)]}
    _write(store, 'm', [{'t': 2, 'v': 1.0}])
    store.move_buffer()
    assert raw_reads._per_bucket(*args, None, cache=cache) is None
    assert raw_reads.raw_values(*args, None) == {(metric_id, 0, 'Count'): [(2.0, 1.0)],
                                                 (metric_id, 0, 'None'): [(1.0, 1.0)]}
    assert raw_reads._per_bucket(*args, 'Count', cache=cache) == {
        (metric_id, 0, 'Count'): [(2.0, 1.0)]}


def test_the_bucket_cache_keeps_at_most_its_number_of_values_least_recently_used_out():
    cache = bucket_cache.BucketCache(max_values=5)
    entry = bucket_cache._Entry(1, 1, 10, 'None', [1.0, 2.0])
    cache.put('a', entry)
    cache.put('b', entry)
    assert cache.get('a') is entry  # now the most recently used
    cache.put('c', entry)
    assert (cache.get('a'), cache.get('b'), cache.get('c')) == (entry, None, entry)
    cache.put('d', bucket_cache._Entry(1, 1, 10, 'None', [0.0] * 6))  # too big to keep
    assert cache.get('d') is None and len(cache) == 2


def test_cached_aggregates_equal_a_full_read_bit_for_bit_through_late_data_and_expiry(store):
    """Rounds of writes (late ones into kept buckets), buffer moves and an
    expiry: the aggregates kept per bucket and checked by fingerprint are
    always those of the GROUP BY of every row, to the last bit."""
    cache = bucket_cache.LruCache(1000)
    rng = random.Random(18)
    first = _write(store, 'a', [{'t': 0, 'v': 1.0}])
    second = _write(store, 'b', [{'t': 0, 'v': 2.0}])
    tables = store.datapoint_tables()
    for round_ in range(12):
        end = (round_ + 3) * MINUTE + rng.randrange(1000)
        datums = [{'t': rng.randrange(end + 30_000), 'v': rng.uniform(0, 1e6) / 7}
                  for _ in range(rng.randrange(1, 300))]
        if round_ % 4 == 2:  # a statistic set without raw values
            datums.append({'t': rng.randrange(end), 's': [2.0, 3.0, 1.0, 2.0]})
        _write(store, rng.choice('ab'), datums)
        if round_ % 3 == 1:
            store.move_buffer()
        if round_ == 7:
            store.expire(90_000, 0)
        kept = raw_reads.bucket_aggregates(store.engine, tables, [first, second], 0, end,
                                           MINUTE, None, True, cache=cache)
        found = sorted(tuple(row) for row in metric_storage._merge_buckets(kept))
        query = metric_storage._aggregate_statement(tables, False, False, True)
        with store.engine.connect() as conn:
            rows = conn.execute(query, {'ids': [first, second], 'start': 0, 'end': end,
                                        'period': MINUTE, 'unit': None, 'metric': None}).all()
        assert found == sorted(tuple(row) for row in metric_storage._merge_buckets(rows))
    assert len(cache) > 0


def test_a_metric_named_twice_is_read_once(store):
    metric = _write(store, 'twice', [{'t': 5, 'v': 3.0, 'u': 'Count'}])
    assert store.raw_values([metric, metric], 0, MINUTE, MINUTE) == \
        store.raw_values([metric], 0, MINUTE, MINUTE)
    [row] = store.bucket_aggregates([metric, metric], 0, MINUTE, MINUTE)
    assert (row[3], row[4]) == (1.0, 3.0)  # sample count and sum, not doubled
