"""Statistics of a period: StatSet, simple statistics and exact percentiles."""

import bisect
import itertools
import math
import random
import time
from decimal import Decimal
from fractions import Fraction

import pytest

from heat_watch.common import exceptions
from heat_watch.watch import statistics


def nearest_rank(samples: list[float], p: float) -> float:
    """Brute-force reference: smallest v with at least p% of samples <= v."""
    ordered = sorted(samples)
    for value in ordered:
        if sum(1 for s in ordered if s <= value) * 100 >= Decimal(str(p)) * len(ordered):
            return value
    raise AssertionError('unreachable')


@pytest.mark.parametrize('name, expected', [
    ('SampleCount', 4.0),
    ('Sum', 10.0),
    ('Average', 2.5),
    ('Minimum', 1.0),
    ('Maximum', 4.0),
])
def test_simple_statistics_of_values(name, expected):
    assert statistics.statistic(statistics.from_values([1.0, 2.0, 3.0, 4.0]), name) == expected


@pytest.mark.parametrize('name', ['average', 'p99', 'Median', ''])
def test_unknown_statistic_is_rejected(name):
    with pytest.raises(exceptions.InvalidParameterValue, match='Statistic'):
        statistics.statistic(statistics.from_values([1.0]), name)


@pytest.mark.parametrize('values, counts, expected', [
    ([5.0], None, (1.0, 5.0, 5.0, 5.0, [(5.0, 1.0)])),
    ([1.0, 3.0], [2, 3], (5.0, 11.0, 1.0, 3.0, [(1.0, 2.0), (3.0, 3.0)])),
    ([1.0, 7.0, 3.0], [1, 0, 1], (2.0, 4.0, 1.0, 3.0, [(1.0, 1.0), (3.0, 1.0)])),
])
def test_values_and_counts_give_weighted_aggregates(values, counts, expected):
    stat = statistics.from_values(values, counts)
    assert (stat.sample_count, stat.sum, stat.minimum, stat.maximum, stat.values) == expected


@pytest.mark.parametrize('values, counts, name', [
    ([], None, 'Values'),
    ([1.0, 2.0], [1], 'Counts'),
    ([1.0], [-1], 'Counts'),
    ([1.0], [0], 'Counts'),
    ([math.nan], None, 'Values'),
    ([math.inf], None, 'Values'),
])
def test_invalid_values_or_counts_are_rejected(values, counts, name):
    with pytest.raises(exceptions.InvalidParameterValue, match=name):
        statistics.from_values(values, counts)


@pytest.mark.parametrize('sample_count, total, minimum, maximum, has_percentiles', [
    (1, 5.0, 5.0, 5.0, True),          # one sample, Min == Max == Sum
    (4, 20.0, 5.0, 5.0, True),         # Min == Max and Sum == Min * SampleCount
    (3, 0.30000000000000004, 0.1, 0.1, True),
    (3, 0.3, 0.1, 0.1, True),          # float rounding of the publisher is tolerated
    (4, 21.0, 5.0, 5.0, False),        # Sum does not match
    (2, 6.0, 2.0, 4.0, False),         # Min != Max
    (1, 4.0, 3.0, 3.0, False),         # one sample but Sum != Min
])
def test_statistic_set_keeps_percentiles_only_when_aws_does(sample_count, total, minimum,
                                                             maximum, has_percentiles):
    stat = statistics.from_statistic_values(sample_count, total, minimum, maximum)
    assert (stat.values is not None) is has_percentiles
    assert (statistics.percentile(stat, 50) is not None) is has_percentiles
    if has_percentiles:
        assert stat.values == [(minimum, sample_count)]


@pytest.mark.parametrize('args, name', [
    ((0, 0.0, 0.0, 0.0), 'SampleCount'),
    ((2, 4.0, 3.0, 1.0), 'Minimum'),
    ((1, math.nan, 1.0, 1.0), 'StatisticValues'),
])
def test_invalid_statistic_set_is_rejected(args, name):
    with pytest.raises(exceptions.InvalidParameterValue, match=name):
        statistics.from_statistic_values(*args)


def test_merge_adds_aggregates_and_concatenates_raw_values():
    merged = statistics.from_values([1.0, 9.0]).merge(statistics.from_values([4.0], [2]))
    assert (merged.sample_count, merged.sum, merged.minimum, merged.maximum) == (
        4.0, 18.0, 1.0, 9.0)
    assert merged.average == 4.5
    assert sorted(merged.values) == [(1.0, 1.0), (4.0, 2.0), (9.0, 1.0)]


@pytest.mark.parametrize('merge', [
    lambda a, b: a.merge(b),
    lambda a, b: b.merge(a),
    lambda a, b: statistics.merge_all([a, b]),
])
def test_merging_a_statistic_set_without_raw_values_drops_percentiles(merge):
    raw = statistics.from_values([1.0, 2.0])
    summary = statistics.from_statistic_values(2, 6.0, 2.0, 4.0)
    merged = merge(raw, summary)
    assert merged.values is None
    assert merged.sample_count == 4.0
    assert statistics.percentile(merged, 50) is None


def test_merge_does_not_modify_its_operands():
    a, b = statistics.from_values([1.0]), statistics.from_values([2.0])
    a.merge(b)
    assert a.values == [(1.0, 1.0)] and b.values == [(2.0, 1.0)]


def test_merge_all_of_nothing_is_none():
    assert statistics.merge_all([]) is None


def test_merge_all_equals_chained_merge():
    parts = [statistics.from_values([float(i), float(i * 2)]) for i in range(1, 6)]
    chained = parts[0]
    for part in parts[1:]:
        chained = chained.merge(part)
    assert statistics.merge_all(parts) == chained


@pytest.mark.parametrize('name, expected', [
    ('p0', 0.0), ('p0.0', 0.0), ('p9', 9.0), ('p50', 50.0), ('p99', 99.0),
    ('p99.9', 99.9), ('p99.99', 99.99), ('p100', 100.0), ('p100.0', 100.0),
    ('p10.5', 10.5),
])
def test_percentile_names_are_parsed(name, expected):
    assert statistics.parse_extended_statistic(name) == expected


@pytest.mark.parametrize('name', [
    'p', 'p101', 'p100.01', 'p99.999', 'P99', 'p-1', 'p99.', 'p.5', 'p050', 'p 99',
    'tm99', 'wm99', 'IQM', '99', '', None,
])
def test_invalid_or_unsupported_extended_statistics_are_rejected(name):
    with pytest.raises(exceptions.InvalidParameterValue, match='ExtendedStatistics'):
        statistics.parse_extended_statistic(name)


@pytest.mark.parametrize('p, expected', [
    (0, 1.0),      # p0 is the minimum
    (10, 1.0),     # 1 sample of 10 needed: the smallest
    (10.01, 2.0),
    (30, 3.0),     # exactly 3 of 10 samples: not rounded up to the 4th
    (50, 5.0),
    (50.5, 6.0),
    (90, 9.0),
    (99, 10.0),
    (100, 10.0),   # p100 is the maximum
])
def test_percentile_uses_nearest_rank(p, expected):
    stat = statistics.from_values([float(v) for v in range(10, 0, -1)])
    assert statistics.percentile(stat, p) == expected


@pytest.mark.parametrize('values, counts, p, expected', [
    ([1.0, 100.0], [99, 1], 99, 1.0),
    ([1.0, 100.0], [99, 1], 99.5, 100.0),
    ([1.0, 2.0], [0.5, 1.5], 25, 1.0),
    ([1.0, 2.0], [0.5, 1.5], 26, 2.0),
    ([3.0, 1.0, 2.0], [1, 1, 1], 66.67, 3.0),
])
def test_percentile_weights_values_by_their_counts(values, counts, p, expected):
    assert statistics.percentile(statistics.from_values(values, counts), p) == expected


@pytest.mark.parametrize('stat', [
    statistics.StatSet(2, 1.0, -1.0, 2.0, [(-1.0, 1.0), (2.0, 1.0)]),
    statistics.StatSet(2, 3.0, 1.0, 2.0, None),
    statistics.StatSet(2, 3.0, 1.0, 2.0, []),
])
def test_percentile_is_unavailable_for_negative_or_unknown_values(stat):
    assert statistics.percentile(stat, 50) is None
    assert statistics.percentiles(stat, [0, 100]) == {0: None, 100: None}


@pytest.mark.parametrize('p', [-0.1, 100.1])
def test_percentile_outside_0_to_100_is_rejected(p):
    with pytest.raises(exceptions.InvalidParameterValue):
        statistics.percentile(statistics.from_values([1.0]), p)


@pytest.mark.parametrize('seed', [1, 2, 3])
def test_percentiles_match_brute_force_nearest_rank(seed):
    rng = random.Random(seed)
    samples = [round(rng.uniform(0, 1000), rng.choice([0, 2])) for _ in range(rng.randint(1, 300))]
    # Group duplicates into (value, count) pairs, as Values/Counts would.
    pairs: dict[float, int] = {}
    for sample in samples:
        pairs[sample] = pairs.get(sample, 0) + 1
    stat = statistics.from_values(list(pairs), list(pairs.values()))
    ps = [0, 0.01, 1, 10, 25, 33.33, 50, 66.67, 75, 90, 95, 99, 99.9, 99.99, 100]
    assert statistics.percentiles(stat, ps) == {p: nearest_rank(samples, p) for p in ps}


def test_percentiles_of_merged_sets_equal_those_of_all_samples():
    rng = random.Random(7)
    chunks = [[rng.expovariate(0.1) for _ in range(50)] for _ in range(8)]
    merged = statistics.merge_all(statistics.from_values(c) for c in chunks)
    samples = [s for chunk in chunks for s in chunk]
    for p in (5, 50, 95, 99):
        assert statistics.percentile(merged, p) == nearest_rank(samples, p)


def test_many_percentiles_of_ten_thousand_pairs_are_fast():
    rng = random.Random(42)
    values = [rng.uniform(0, 1e6) for _ in range(10_000)]
    counts = [rng.randint(1, 5) for _ in range(10_000)]
    stat = statistics.from_values(values, counts)
    ps = [p / 10 for p in range(1001)]
    began = time.perf_counter()
    result = statistics.percentiles(stat, ps)
    assert time.perf_counter() - began < 1.0
    assert result[0] == min(values) and result[100] == max(values)
    assert [result[p] for p in ps] == sorted(result[p] for p in ps)


def test_check_statistic():
    for name in statistics.STATISTICS:
        statistics.check_statistic(name)
    with pytest.raises(exceptions.InvalidParameterValue, match='Statistic'):
        statistics.check_statistic('p99')


@pytest.mark.parametrize('x', [
    Fraction(0), Fraction(1, 3), Fraction(-1, 3), Fraction(5, 2), Fraction(2, 3) * 10**20,
    Fraction(1, 10**30), Fraction(0.1), Fraction(0.1) + Fraction(1, 10**40),
    Fraction(0.1) - Fraction(1, 10**40),
])
def test_float_at_least_is_the_smallest_float_not_below(x):
    found = statistics.float_at_least(x)
    assert found >= x
    assert math.nextafter(found, -math.inf) < x


def _fraction_bisect_percentile(stat: statistics.StatSet, p: float) -> float:
    """The rank search as it was: bisection of the floats against a Fraction."""
    pairs = sorted((v, c) for v, c in stat.values if c > 0)
    cumulative = list(itertools.accumulate(c for _, c in pairs))
    target = Fraction(repr(float(p))) * Fraction(cumulative[-1]) / 100
    index = bisect.bisect_left(cumulative, target) if target > 0 else 0
    return pairs[min(index, len(pairs) - 1)][0]


@pytest.mark.parametrize('seed', [4, 5, 6])
def test_percentiles_with_inexact_counts_match_a_fraction_bisection(seed):
    # Counts such as 0.1 make every cumulative sum and rank target inexact.
    rng = random.Random(seed)
    values = [rng.uniform(0, 100) for _ in range(rng.randint(1, 200))]
    counts = [rng.choice([0.1, 0.2, 0.3, 1 / 3, 0.7, 1.0, 2.5]) for _ in values]
    stat = statistics.from_values(values, counts)
    ps = [0, 0.01, 1, 10, 25, 33.33, 50, 66.67, 75, 90, 95, 99, 99.9, 99.99, 100]
    assert statistics.percentiles(stat, ps) == {
        p: _fraction_bisect_percentile(stat, p) for p in ps}


PERCENTILES = [0, 0.01, 1, 10, 25, 30, 33.33, 50, 66.67, 75, 90, 95, 99, 99.9, 99.99, 100]


def _raw_and_pairs(rng: random.Random, plain: int, weighted: int):
    """The same samples as the storage reads them (RawValues) and as pairs."""
    values = [round(rng.uniform(0, 1000), rng.choice([0, 1, 3])) for _ in range(plain)]
    pairs = [(round(rng.uniform(0, 1000), 1), rng.choice([0.5, 1.0, 2.0, 3.0]))
             for _ in range(weighted)]
    rng.shuffle(values)
    raw = statistics.RawValues(list(values), list(pairs))
    return raw, [(v, 1.0) for v in values] + pairs


@pytest.mark.parametrize('seed, plain, weighted', [
    (1, 1, 0), (2, 10, 0), (3, 999, 0), (4, 4321, 0), (5, 200, 3), (6, 0, 50), (7, 1, 1)])
def test_percentiles_of_raw_values_equal_those_of_the_same_pairs(seed, plain, weighted):
    raw, pairs = _raw_and_pairs(random.Random(seed), plain, weighted)
    fast = statistics.percentiles(statistics.StatSet(1, 1, 1, 1, raw), PERCENTILES)
    general = statistics.percentiles(statistics.StatSet(1, 1, 1, 1, pairs), PERCENTILES)
    assert fast == general
    if not weighted:
        samples = [v for v, _ in pairs]
        assert fast == {p: nearest_rank(samples, p) for p in PERCENTILES}


def test_percentiles_of_raw_values_are_unavailable_with_a_negative_value_or_none():
    for raw in (statistics.RawValues([3.0, -1.0, 2.0]), statistics.RawValues([]),
                statistics.RawValues([1.0], [(-2.0, 2.0)])):
        assert statistics.percentiles(statistics.StatSet(1, 1, 1, 1, raw), [0, 50]) == {
            0: None, 50: None}


def test_raw_values_read_as_pairs_and_equal_the_same_pairs_in_any_order():
    raw = statistics.RawValues([2.0, 1.0], [(5.0, 3.0)])
    assert list(raw) == [(2.0, 1.0), (1.0, 1.0), (5.0, 3.0)]
    assert len(raw) == 3 and raw[2] == (5.0, 3.0)
    assert raw == [[5.0, 3.0], (1.0, 1.0), (2.0, 1.0)]
    assert raw != [(5.0, 3.0), (1.0, 1.0)]
    assert raw != [(5.0, 3.0), (1.0, 1.0), (2.0, 1.0), (2.0, 1.0)]


def test_merging_raw_values_keeps_plain_values_plain_and_all_samples():
    rng = random.Random(8)
    parts = [_raw_and_pairs(rng, 300, weighted) for weighted in (0, 0, 4)]
    stats = [statistics.StatSet(1, 1, 1, 1, raw) for raw, _ in parts]
    merged = statistics.merge_all(stats)
    chained = stats[0].merge(stats[1])
    assert isinstance(merged.values, statistics.RawValues)
    assert isinstance(chained.values, statistics.RawValues) and not chained.values.weighted
    samples = [pair for _, pairs in parts for pair in pairs]
    assert merged.values == samples
    assert statistics.percentiles(merged, PERCENTILES) == statistics.percentiles(
        statistics.StatSet(1, 1, 1, 1, samples), PERCENTILES)
    # A merge with a list of pairs gives the pairs of both.
    mixed = stats[0].merge(statistics.from_values([7.0, 8.0]))
    assert mixed.values == list(parts[0][1]) + [(7.0, 1.0), (8.0, 1.0)]
