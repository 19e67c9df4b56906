"""CloudWatch metric-alarm evaluation rules (pure: no storage, no I/O).

The engine fetches the buckets of :func:`evaluation_window` for an alarm and
calls :func:`evaluate`, which applies the AWS rules:

* A datapoint is breaching when ``value <op> threshold``.
* The evaluation range is a few more periods than EvaluationPeriods (N), ending
  with the latest complete period (AWS does not publish its exact size; we use
  ``N + max(2, N // 3)``, i.e. 5 periods for N=3 as in the AWS examples).
* If the range holds at least N real datapoints, the N most recent are
  evaluated and TreatMissingData plays no part: ALARM when at least M
  (DatapointsToAlarm) breach, else OK.
* Otherwise every real datapoint is evaluated and the missing ones are filled
  as the alarm says: ``breaching`` / ``notBreaching`` count them as such;
  ``missing`` and ``ignore`` use the real ones only: ALARM when at least M
  breach, OK when one of them is within the threshold. When all of them breach
  but fewer than M, ``missing`` still goes to ALARM if the oldest breaching
  datapoint is at least M periods old (AWS "avoiding premature transitions to
  alarm state"), else to INSUFFICIENT_DATA; ``ignore`` keeps the current state.
* With no real datapoint at all: ``missing`` -> INSUFFICIENT_DATA, ``ignore``
  keeps the state, ``breaching`` -> ALARM, ``notBreaching`` -> OK.

This reproduces every row of the two tables of "Configuring how CloudWatch
alarms treat missing data".

Percentile alarms: a period whose percentile is unavailable (statistic sets or
negative values) counts as missing. A datapoint has a low sample count when it
aggregates fewer than 10/(1-p) samples for 0.5 <= p < 1, or fewer than 10/p for
0 < p < 0.5 (p0 and p100 are exact and never low). With
EvaluateLowSampleCountPercentile ``ignore``, an evaluation whose evaluated
datapoints include a low-sample one keeps the current state; ``evaluate`` (the
default) evaluates regardless.
"""

import dataclasses
import datetime
import functools
import itertools
import math
import operator
from collections.abc import Mapping
from fractions import Fraction

from heat_watch.common import alarms as hw_alarms
from heat_watch.common import exceptions
from heat_watch.watch import statistics

OK, ALARM, INSUFFICIENT_DATA = hw_alarms.OK, hw_alarms.ALARM, hw_alarms.INSUFFICIENT_DATA
STATES = hw_alarms.STATES

# Operator -> (test, wording in StateReason).
_OPERATORS = {
    'GreaterThanOrEqualToThreshold': (operator.ge, 'greater than or equal to'),
    'GreaterThanThreshold': (operator.gt, 'greater than'),
    'LessThanThreshold': (operator.lt, 'less than'),
    'LessThanOrEqualToThreshold': (operator.le, 'less than or equal to'),
}
COMPARISON_OPERATORS = tuple(_OPERATORS)
TREAT_MISSING_DATA = ('breaching', 'notBreaching', 'ignore', 'missing')
LOW_SAMPLE_COUNT_PERCENTILE = ('evaluate', 'ignore')
_TREATED_AS = {'breaching': 'Breaching', 'notBreaching': 'NonBreaching',
               'missing': 'Missing', 'ignore': 'Ignore'}
MIN_EXTRA_PERIODS = 2


def compare(operator: str, value: float, threshold: float) -> bool:
    """Whether ``value`` breaches ``threshold`` under a ComparisonOperator."""
    try:
        test = _OPERATORS[operator][0]
    except KeyError:
        raise exceptions.InvalidParameterValue(
            name='ComparisonOperator',
            reason=f"{operator!r} is not one of {', '.join(COMPARISON_OPERATORS)}.") from None
    return test(value, threshold)


@dataclasses.dataclass
class AlarmRule:
    """What a metric alarm compares, and how (the PutMetricAlarm settings)."""

    statistic: str | None
    extended_statistic: str | None
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int | None
    threshold: float
    comparison_operator: str
    treat_missing_data: str = 'missing'
    evaluate_low_sample_count_percentile: str | None = None

    @property
    def m(self) -> int:
        """DatapointsToAlarm, defaulting to EvaluationPeriods."""
        return self.datapoints_to_alarm or self.evaluation_periods

    def validate(self) -> None:
        """Raise InvalidParameterValue/InvalidParameterCombination if unusable."""
        def bad(name: str, reason: str) -> exceptions.InvalidParameterValue:
            return exceptions.InvalidParameterValue(name=name, reason=reason)

        if (self.statistic is None) == (self.extended_statistic is None):
            raise exceptions.InvalidParameterCombination(
                reason='Exactly one of Statistic and ExtendedStatistic must be given.')
        if self.statistic is not None and self.statistic not in statistics.STATISTICS:
            raise bad('Statistic', f"must be one of {', '.join(statistics.STATISTICS)}.")
        if self.extended_statistic is not None:
            statistics.parse_extended_statistic(self.extended_statistic)
        if not isinstance(self.period, int) or self.period <= 0:
            raise bad('Period', 'must be a positive number of seconds.')
        if not isinstance(self.evaluation_periods, int) or self.evaluation_periods < 1:
            raise bad('EvaluationPeriods', 'must be at least 1.')
        if self.datapoints_to_alarm is not None and not (
                1 <= self.datapoints_to_alarm <= self.evaluation_periods):
            raise bad('DatapointsToAlarm', 'must be between 1 and EvaluationPeriods.')
        if not math.isfinite(self.threshold):
            raise bad('Threshold', 'must be a finite number.')
        if self.comparison_operator not in _OPERATORS:
            raise bad('ComparisonOperator',
                      f"must be one of {', '.join(COMPARISON_OPERATORS)}.")
        if self.treat_missing_data not in TREAT_MISSING_DATA:
            raise bad('TreatMissingData', f"must be one of {', '.join(TREAT_MISSING_DATA)}.")
        if self.evaluate_low_sample_count_percentile not in (None, *LOW_SAMPLE_COUNT_PERCENTILE):
            raise bad('EvaluateLowSampleCountPercentile', 'must be evaluate or ignore.')


@dataclasses.dataclass
class Evaluation:
    """The outcome of one evaluation of a metric alarm."""

    state: str
    reason: str
    reason_data: dict
    # True when the alarm must keep its current state (``state`` is that state).
    keep_current: bool = False


@dataclasses.dataclass(frozen=True)
class _Point:
    start: int  # epoch seconds of the period start
    value: float
    sample_count: float
    breaching: bool
    low_sample: bool


def _min_samples(p: float) -> Fraction:
    fraction = Fraction(repr(float(p))) / 100
    if fraction <= 0 or fraction >= 1:
        return Fraction(0)
    return 10 / (1 - fraction) if fraction >= Fraction(1, 2) else 10 / fraction


def minimum_samples(p: float) -> float:
    """Samples a period needs for percentile ``p`` (0..100) to be significant."""
    return float(_min_samples(p))


def _epoch(moment: datetime.datetime) -> float:
    if moment.tzinfo is None:  # naive datetimes are UTC throughout heat_watch
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def evaluation_window(rule: AlarmRule, now: datetime.datetime,
                      lookback_periods: int | None = None) -> tuple[int, int]:
    """[start, end) epoch seconds of the buckets to fetch for ``rule`` at ``now``.

    ``end`` is ``now`` rounded down to a multiple of the period (so only
    complete periods count); the range covers ``lookback_periods`` periods,
    by default N + max(2, N // 3) (the extra look-back for missing data).
    """
    n = rule.evaluation_periods
    periods = n + max(MIN_EXTRA_PERIODS, n // 3) if lookback_periods is None \
        else lookback_periods
    if periods < n:
        raise exceptions.Invalid(reason='the look-back must cover EvaluationPeriods.')
    end = int(_epoch(now) // rule.period) * rule.period
    return end - periods * rule.period, end


def _collect(rule: AlarmRule, buckets: Mapping[int, statistics.StatSet],
             start: int, end: int) -> list[_Point]:
    """Real datapoints of the range, newest first (unavailable percentiles skipped)."""
    p = None if rule.statistic else statistics.parse_extended_statistic(rule.extended_statistic)
    points = []
    for bucket in range(end - rule.period, start - 1, -rule.period):
        stat = buckets.get(bucket)
        if stat is None:
            continue
        if p is None:
            value, low = statistics.statistic(stat, rule.statistic), False
        else:
            value = statistics.percentile(stat, p)
            low = Fraction(stat.sample_count) < _min_samples(p)
        if value is not None:
            points.append(_Point(bucket, value, stat.sample_count,
                                 compare(rule.comparison_operator, value, rule.threshold), low))
    return points


# The alarms of one sweep batch share their period starts, so the
# formatted times repeat: strftime was a tenth of a mass transition's cost.
@functools.lru_cache(maxsize=4096)
def _iso(epoch: float) -> str:
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.') + f'{moment.microsecond // 1000:03d}+0000'


@functools.lru_cache(maxsize=4096)
def _short_time(epoch: int) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime('%d/%m/%y %H:%M:%S')


def _point_text(point: _Point) -> str:
    return f'{float(point.value)!r} ({_short_time(point.start)})'


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _was(n: int) -> str:
    return 'was' if n == 1 else 'were'


def _number(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f'{float(x):.3f}'


def _threshold_reason(rule: AlarmRule, state: str, points: list[_Point], fills: int,
                      premature_age: int | None = None) -> str:
    n = rule.evaluation_periods
    wording = _OPERATORS[rule.comparison_operator][1]
    if state == ALARM:
        listed, negation, minimum, transition = (
            [p for p in points if p.breaching], '', rule.m, 'OK -> ALARM')
    else:
        listed, negation, minimum, transition = (
            [p for p in points if not p.breaching], 'not ', n - rule.m + 1, 'ALARM -> OK')
    parts = []
    if listed:
        texts = ', '.join(_point_text(p) for p in listed)
        parts.append(f'{len(listed)} out of the last {n} datapoints [{texts}] '
                     f'{_was(len(listed))} {negation}{wording} the threshold '
                     f'({float(rule.threshold)!r})')
    if fills:
        parts.append(f"{_count(fills, 'missing datapoint')} {_was(fills)} treated as "
                     f'[{_TREATED_AS[rule.treat_missing_data]}]')
    text = 'Threshold Crossed: ' + ' and '.join(parts)
    if premature_age is not None:
        text += ('; no datapoint has been within the threshold since the breaching one '
                 f"{_count(premature_age, 'period')} ago")
    return text + f" (minimum {_count(minimum, 'datapoint')} for {transition} transition)."


def _reason_data(rule: AlarmRule, now: datetime.datetime, points: list[_Point],
                 missing: list[int]) -> dict:
    data = {'version': '1.0', 'queryDate': _iso(_epoch(now)),
            'startDate': _iso(min([p.start for p in points] + missing))}
    if rule.statistic:
        data['statistic'] = rule.statistic
    else:
        data['extendedStatistic'] = rule.extended_statistic
    entries = [(p.start, {'timestamp': _iso(p.start), 'sampleCount': float(p.sample_count),
                          'value': p.value}) for p in points]
    entries += [(start, {'timestamp': _iso(start)}) for start in missing]
    data.update(period=rule.period,
                recentDatapoints=[p.value for p in reversed(points)],
                threshold=float(rule.threshold),
                evaluatedDatapoints=[e for _, e in sorted(entries, key=lambda e: -e[0])])
    return data


def _missing_starts(rule: AlarmRule, start: int, end: int, points: list[_Point],
                    fills: int) -> list[int]:
    """The ``fills`` most recent periods of the range without a real datapoint."""
    present = {p.start for p in points}
    empty = (b for b in range(end - rule.period, start - 1, -rule.period) if b not in present)
    return list(itertools.islice(empty, fills))


def _decide(rule: AlarmRule, points: list[_Point], fills: int,
            end: int) -> tuple[str | None, str]:
    """(state or None to keep the current one, reason) for at least one real datapoint."""
    breaching = sum(p.breaching for p in points)
    within = len(points) - breaching
    mode = rule.treat_missing_data if fills else None
    if mode == 'breaching':
        state = ALARM if breaching + fills >= rule.m else OK
    elif mode in (None, 'notBreaching') or breaching >= rule.m or within:
        state = ALARM if breaching >= rule.m else OK
    else:  # missing/ignore, every real datapoint breaching but fewer than M
        age = (end - points[-1].start) // rule.period
        if mode == 'missing' and age >= rule.m:
            return ALARM, _threshold_reason(rule, ALARM, points, fills, premature_age=age)
        return _unknown(mode, fills)
    return state, _threshold_reason(rule, state, points, fills)


def _all_missing(rule: AlarmRule) -> tuple[str | None, str]:
    n = rule.evaluation_periods
    mode = rule.treat_missing_data
    if mode in ('breaching', 'notBreaching'):
        return (ALARM if mode == 'breaching' else OK), (
            f"Threshold Crossed: no datapoints were received for {_count(n, 'period')} and "
            f"{_count(n, 'missing datapoint')} {_was(n)} treated as [{_TREATED_AS[mode]}].")
    return _unknown(mode, n)


def _unknown(mode: str, count: int) -> tuple[str | None, str]:
    """INSUFFICIENT_DATA for ``missing``, keep the state (None) for ``ignore``."""
    text = f"Insufficient Data: {_count(count, 'datapoint')} {_was(count)} unknown"
    if mode == 'missing':
        return INSUFFICIENT_DATA, text + '.'
    return None, text + '; missing data are ignored, so the alarm keeps its current state.'


def _low_sample_reason(rule: AlarmRule, low: list[_Point]) -> str:
    needed = _min_samples(statistics.parse_extended_statistic(rule.extended_statistic))
    texts = ', '.join(_point_text(p) for p in low)
    return (f"Low Sample Count: {_count(len(low), 'datapoint')} [{texts}] {_was(len(low))} "
            f'computed from fewer than {_number(needed)} samples, too few for a significant '
            f'{rule.extended_statistic}; the alarm keeps its current state.')


def evaluate(rule: AlarmRule, buckets: Mapping[int, statistics.StatSet],
             now: datetime.datetime, current_state: str, *,
             lookback_periods: int | None = None) -> Evaluation:
    """Evaluate a metric alarm at ``now`` (the AWS rules in the module docstring).

    ``buckets`` maps the start (epoch seconds, a multiple of ``rule.period``)
    of each period with data to its StatSet; buckets outside
    :func:`evaluation_window` are not looked at. When the alarm must keep its
    state, the result has ``keep_current`` set and ``state == current_state``.
    """
    rule.validate()
    start, end = evaluation_window(rule, now, lookback_periods)
    points = _collect(rule, buckets, start, end)[:rule.evaluation_periods]
    fills = rule.evaluation_periods - len(points)
    missing = _missing_starts(rule, start, end, points, fills)
    data = _reason_data(rule, now, points, missing)
    low = [p for p in points if p.low_sample]
    if low and rule.evaluate_low_sample_count_percentile == 'ignore':
        return Evaluation(current_state, _low_sample_reason(rule, low), data, keep_current=True)
    state, reason = _decide(rule, points, fills, end) if points else _all_missing(rule)
    if state is None:
        return Evaluation(current_state, reason, data, keep_current=True)
    return Evaluation(state, reason, data)
