"""CloudWatch statistics over the datapoints of one period.

Pure functions: the storage layer builds :class:`StatSet` objects, the
query and alarm code read statistics and percentiles from them.

Percentiles are exact (CloudWatch approximates them); see :func:`percentiles`
for the rank rule.
"""

import bisect
import collections.abc
import dataclasses
import functools
import itertools
import math
import operator
import re
from collections.abc import Iterable, Sequence
from fractions import Fraction

from heat_watch.common import exceptions

STATISTICS = ('SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum')

# pNN.NN between p0 and p100, at most two decimals and no leading zero.
_PERCENTILE_RE = re.compile(r'p(100|[1-9]?[0-9])(\.[0-9]{1,2})?')
# Relative tolerance of "Sum equals Minimum times SampleCount" (float sums).
_SUM_TOLERANCE = 1e-9


class RawValues(collections.abc.Sequence):
    """The raw values of one bucket as the storage reads them.

    ``plain`` holds the values of count 1 (nearly every datum: one Value),
    ``weighted`` the (value, count) pairs of the others. A read of a busy
    metric's bucket carries thousands of values: kept as plain floats, they
    need no pair each, and their percentiles need no cumulative counts
    (see :func:`percentiles`).

    A sequence of (value, count) pairs, plain values first, like the lists
    :class:`StatSet` takes; equal to any such sequence holding the same pairs
    in any order.
    """

    __slots__ = ('plain', 'weighted', '_sorted')

    def __init__(self, plain: list[float] | None = None,
                 weighted: list[tuple[float, float]] | None = None, ordered: bool = False):
        """``ordered``: ``plain`` is sorted already (and may be shared: it
        is never modified then)."""
        self.plain = plain if plain is not None else []
        self.weighted = weighted if weighted is not None else []
        self._sorted = ordered

    def __len__(self) -> int:
        return len(self.plain) + len(self.weighted)

    def __getitem__(self, index):
        return list(self)[index]

    def __iter__(self):
        for value in self.plain:
            yield (value, 1.0)
        yield from self.weighted

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, collections.abc.Iterable) or isinstance(other, str):
            return NotImplemented
        return _pair_counts(self) == _pair_counts(other)

    __hash__ = None  # mutable, like the lists it stands for

    def __repr__(self) -> str:
        return 'RawValues(%r, %r)' % (self.plain, self.weighted)

    def sorted_plain(self) -> list[float]:
        """``plain`` in ascending order (sorted in place, once)."""
        if not self._sorted:
            self.plain.sort()
            self._sorted = True
        return self.plain


def _pair_counts(pairs: Iterable) -> collections.Counter:
    return collections.Counter((float(v), float(c)) for v, c in pairs)


@dataclasses.dataclass
class StatSet:
    """Aggregated datapoints of one bucket (one period), or one stored datum."""

    sample_count: float
    sum: float
    minimum: float
    maximum: float
    # Raw values for exact percentiles: list of (value, count) pairs, or None when
    # at least one contributing datum was a statistic set without raw values.
    values: list[tuple[float, float]] | None = None

    def merge(self, other: 'StatSet') -> 'StatSet':
        """A new StatSet aggregating both; raw values survive only if both have them."""
        return StatSet(sample_count=self.sample_count + other.sample_count,
                       sum=self.sum + other.sum,
                       minimum=min(self.minimum, other.minimum),
                       maximum=max(self.maximum, other.maximum),
                       values=_merged_values([self.values, other.values]))

    @property
    def average(self) -> float:
        """Sum / SampleCount."""
        return self.sum / self.sample_count


def merge_all(stats: Iterable[StatSet]) -> StatSet | None:
    """One StatSet aggregating all of ``stats`` (None if there are none).

    Linear in the number of raw values, unlike a chain of :meth:`StatSet.merge`.
    """
    stats = list(stats)
    if not stats:
        return None
    return StatSet(sample_count=math.fsum(s.sample_count for s in stats),
                   sum=math.fsum(s.sum for s in stats),
                   minimum=min(s.minimum for s in stats),
                   maximum=max(s.maximum for s in stats),
                   values=_merged_values([s.values for s in stats]))


def _merged_values(parts: list) -> list | RawValues | None:
    """The raw values of merged StatSets: None if any lacks them; a
    RawValues if all are (their plain values stay plain), else a list."""
    if any(part is None for part in parts):
        return None
    if all(isinstance(part, RawValues) for part in parts):
        return RawValues(list(itertools.chain.from_iterable(p.plain for p in parts)),
                         list(itertools.chain.from_iterable(p.weighted for p in parts)))
    return list(itertools.chain.from_iterable(parts))


def _check_finite(name: str, *numbers: float) -> None:
    if not all(math.isfinite(n) for n in numbers):
        raise exceptions.InvalidParameterValue(
            name=name, reason='NaN and infinite values are not accepted.')


def from_statistic_values(sample_count: float, sum: float, minimum: float,
                          maximum: float) -> StatSet:
    """The StatSet of a StatisticValues datum.

    Percentiles stay available only where AWS keeps them for statistic sets:
    SampleCount is 1 and Minimum == Maximum == Sum, or Minimum == Maximum and
    Sum == Minimum * SampleCount. Every sample then has the same value, so the
    raw values are known: ``[(minimum, sample_count)]``.
    """
    _check_finite('StatisticValues', sample_count, sum, minimum, maximum)
    if sample_count <= 0:
        raise exceptions.InvalidParameterValue(
            name='StatisticValues.SampleCount', reason='must be greater than 0.')
    if minimum > maximum:
        raise exceptions.InvalidParameterValue(
            name='StatisticValues.Minimum', reason='must not be greater than Maximum.')
    values = None
    # The first AWS condition (count 1, min == max == sum) is a case of the second.
    if minimum == maximum and math.isclose(sum, minimum * sample_count,
                                           rel_tol=_SUM_TOLERANCE, abs_tol=_SUM_TOLERANCE):
        values = [(minimum, sample_count)]
    return StatSet(sample_count=sample_count, sum=sum, minimum=minimum, maximum=maximum,
                   values=values)


def from_values(values: Sequence[float], counts: Sequence[float] | None = None) -> StatSet:
    """The StatSet of a Values/Counts datum (each count defaults to 1).

    Values with a count of 0 are dropped: they describe no sample.
    """
    if not values:
        raise exceptions.InvalidParameterValue(name='Values', reason='must not be empty.')
    if counts is None:
        counts = [1.0] * len(values)
    elif len(counts) != len(values):
        raise exceptions.InvalidParameterValue(
            name='Counts', reason='must have as many entries as Values.')
    _check_finite('Values', *values)
    _check_finite('Counts', *counts)
    if any(c < 0 for c in counts):
        raise exceptions.InvalidParameterValue(name='Counts', reason='must not be negative.')
    pairs = [(float(v), float(c)) for v, c in zip(values, counts, strict=True) if c > 0]
    if not pairs:
        raise exceptions.InvalidParameterValue(
            name='Counts', reason='at least one count must be greater than 0.')
    return StatSet(sample_count=math.fsum(c for _, c in pairs),
                   sum=math.fsum(v * c for v, c in pairs),
                   minimum=min(v for v, _ in pairs),
                   maximum=max(v for v, _ in pairs),
                   values=pairs)


def statistic(stat: StatSet, name: str) -> float:
    """The value of a simple statistic (one of :data:`STATISTICS`)."""
    if name == 'SampleCount':
        return stat.sample_count
    if name == 'Average':
        return stat.average
    if name == 'Sum':
        return stat.sum
    if name == 'Minimum':
        return stat.minimum
    if name == 'Maximum':
        return stat.maximum
    raise _unknown_statistic(name)


def check_statistic(name: str) -> None:
    """Raise InvalidParameterValue unless ``name`` is one of :data:`STATISTICS`."""
    if name not in STATISTICS:
        raise _unknown_statistic(name)


def _unknown_statistic(name: str) -> exceptions.InvalidParameterValue:
    return exceptions.InvalidParameterValue(
        name='Statistic', reason=f"{name!r} is not one of {', '.join(STATISTICS)}.")


def parse_extended_statistic(name: str) -> float:
    """The percentile (0..100) of an extended statistic such as 'p99' or 'p99.9'.

    Accepts 'p0' to 'p100' with at most two decimals ('p0.0', 'p99.99'). Other
    AWS extended statistics (tm, wm, tc, ts, pr, IQM) are not supported.
    """
    match = _PERCENTILE_RE.fullmatch(name) if isinstance(name, str) else None
    if match is None or float(name[1:]) > 100:
        raise exceptions.InvalidParameterValue(
            name='ExtendedStatistics',
            reason=f'{name!r} is not a percentile between p0.0 and p100 '
                   '(pNN or pNN.NN, at most two decimals).')
    return float(name[1:])


def _check_percentile(p: float) -> None:
    if not 0 <= p <= 100:
        raise exceptions.InvalidParameterValue(
            name='Percentile', reason=f'{p!r} is not between 0 and 100.')


def percentile(stat: StatSet, p: float) -> float | None:
    """The exact ``p`` percentile (0..100) of ``stat``, or None if unavailable.

    See :func:`percentiles` for the rank rule and when None is returned.
    """
    return percentiles(stat, [p])[p]


def percentiles(stat: StatSet, ps: Iterable[float]) -> dict[float, float | None]:
    """Several exact percentiles of ``stat`` from a single sort.

    Nearest-rank rule on the weighted samples: the ``p`` percentile is the
    smallest value v such that at least p% of the samples (counting each value
    ``count`` times) are <= v; p0 is therefore the minimum and p100 the maximum.
    The rank target p * total / 100 is computed exactly (decimal p), so p30 of
    10 samples is the 3rd smallest value, not the 4th.

    Every percentile is None when the raw values are unknown (``values`` is
    None, e.g. a statistic set was merged in) or when any value is negative
    (AWS: percentiles are not available for negative values).
    """
    ps = list(ps)
    for p in ps:
        _check_percentile(p)
    if isinstance(stat.values, RawValues) and not stat.values.weighted:
        return _plain_percentiles(stat.values.sorted_plain(), ps)
    pairs = sorted(((float(v), float(c)) for v, c in stat.values or () if c > 0),
                   key=operator.itemgetter(0))
    if not pairs or pairs[0][0] < 0:
        return dict.fromkeys(ps)
    ordered = [v for v, _ in pairs]
    cumulative = list(itertools.accumulate(c for _, c in pairs))
    total = Fraction(cumulative[-1])
    result: dict[float, float | None] = {}
    for p in ps:
        target = _decimal(p) * total / 100
        index = bisect.bisect_left(cumulative, float_at_least(target)) if target > 0 else 0
        result[p] = ordered[min(index, len(ordered) - 1)]
    return result


def _plain_percentiles(ordered: list[float], ps: list[float]) -> dict[float, float | None]:
    """:func:`percentiles` of values of count 1, ``ordered`` ascending.

    The cumulative count of the i-th value (from 0) is i + 1, so the
    smallest index whose count reaches the rank target is ceil(target) - 1:
    the same value the bisection of the general case finds, without the
    cumulative list.
    """
    if not ordered or ordered[0] < 0:
        return dict.fromkeys(ps)
    total = len(ordered)
    result: dict[float, float | None] = {}
    for p in ps:
        target = _decimal(p) * total / 100
        index = math.ceil(target) - 1 if target > 0 else 0
        result[p] = ordered[min(index, total - 1)]
    return result


@functools.lru_cache(maxsize=256)
def _decimal(p: float) -> Fraction:
    # Fraction(repr(p)) is the decimal the caller wrote (99.9, not its binary neighbour).
    return Fraction(repr(float(p)))


def float_at_least(x: Fraction) -> float:
    """The smallest float >= ``x``.

    For a float c, ``c >= x`` exactly when ``c >= float_at_least(x)``: the
    bisection then compares floats, not a float with a Fraction (~3 us each).
    """
    nearest = float(x)
    # A float between x and its nearest float would be nearer still.
    return nearest if nearest >= x else math.nextafter(nearest, math.inf)
