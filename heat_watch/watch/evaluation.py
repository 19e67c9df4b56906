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

The open period (heat_watch's addition, see doc/source/alarms.rst): the period
``now`` falls in is still gathering data and normally does not count. It
counts, as the newest datapoint of a range shifted one period later, when its
statistic already breaches and can only move further past the threshold as
more data arrives: Maximum with GreaterThan[OrEqualTo], Minimum with
LessThan[OrEqualTo], SampleCount with GreaterThan[OrEqualTo], and Sum with
GreaterThan[OrEqualTo] when every value seen in the range is non-negative.
Only an ALARM outcome is taken from that range (it is the outcome the period
will have when it closes); anything else is decided by the complete periods.

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
MIN_EXTRA_PERIODS = 2


# Comparisons an open period's statistic can only move further past as
# data arrives: a maximum, a count and a sum of non-negative values only grow,
# a minimum only shrinks.
_RISING = ('GreaterThanThreshold', 'GreaterThanOrEqualToThreshold')
_FALLING = ('LessThanThreshold', 'LessThanOrEqualToThreshold')
_DECIDES_EARLY = {'Maximum': _RISING, 'SampleCount': _RISING, 'Sum': _RISING,
                  'Minimum': _FALLING}


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


def may_decide_early(rule: AlarmRule) -> bool:
    """Whether an open period of ``rule`` can ever decide before it closes
    (its statistic and comparison alone; Sum also needs non-negative data)."""
    return rule.comparison_operator in _DECIDES_EARLY.get(rule.statistic or '', ())


def decided_early(rule: AlarmRule, stat: statistics.StatSet, non_negative: bool) -> bool:
    """Whether an open period whose data so far is ``stat`` already breaches
    for good; ``non_negative``: the metric's values are known to be >= 0."""
    if not may_decide_early(rule) or (rule.statistic == 'Sum' and not non_negative):
        return False
    return compare(rule.comparison_operator, statistics.statistic(stat, rule.statistic),
                   rule.threshold)


def _non_negative(buckets: Mapping[int, statistics.StatSet], start: int, end: int) -> bool:
    """Every value seen in [start, end) is >= 0 (the data's own evidence that a
    sum can only grow)."""
    seen = [stat.minimum for bucket, stat in buckets.items() if start <= bucket < end]
    return bool(seen) and min(seen) >= 0


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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _facts(rule: AlarmRule, now: datetime.datetime, kind: str, points: list[_Point],
           missing: list[int], fills: int) -> dict:
    """What decided an evaluation, as the engine records it (its reason data).

    ``datapoints`` are the evaluated ones, newest first, each
    [period start (epoch s), value, sample count, breaching, low sample];
    ``missing`` the starts of the periods evaluated without one. Each API
    words its own reason from these (the CloudWatch API: StateReason and
    StateReasonData as AWS writes them).
    """
    data = {'kind': kind, 'query_time': int(_epoch(now) * 1000), 'period': rule.period,
            'statistic': rule.statistic, 'extended_statistic': rule.extended_statistic,
            'comparison': rule.comparison_operator, 'threshold': float(rule.threshold),
            'evaluation_periods': rule.evaluation_periods, 'datapoints_to_alarm': rule.m,
            'missing_data': rule.treat_missing_data, 'fills': fills,
            'datapoints': [[p.start, p.value, float(p.sample_count), p.breaching,
                            p.low_sample] for p in points],
            'missing': missing}
    return data


def _summary(rule: AlarmRule, state: str | None, data: dict) -> str:
    """The engine's one-line reason (webhooks carry it)."""
    kind, fills, n = data['kind'], data['fills'], rule.evaluation_periods
    if kind == 'low sample':
        low = sum(1 for p in data['datapoints'] if p[4])
        return (f"{_count(low, 'datapoint')} computed from too few samples for "
                f'{rule.extended_statistic}; the state is kept.')
    if kind == 'unknown':
        kept = '' if state else '; the state is kept'
        return f"{_count(fills, 'datapoint')} of {n} unknown{kept}."
    wording = _OPERATORS[rule.comparison_operator][1]
    if kind == 'no data':
        return (f"No datapoint for {_count(n, 'period')}; missing data treated as "
                f'{rule.treat_missing_data}.')
    breaching = sum(1 for p in data['datapoints'] if p[3])
    listed = breaching if state == ALARM else len(data['datapoints']) - breaching
    text = (f"{listed} of the last {n} datapoints {'' if state == ALARM else 'not '}"
            f'{wording} the threshold ({float(rule.threshold)!r})')
    if fills:
        text += f'; {fills} missing treated as {rule.treat_missing_data}'
    return text + '.'


def _missing_starts(rule: AlarmRule, start: int, end: int, points: list[_Point],
                    fills: int) -> list[int]:
    """The ``fills`` most recent periods of the range without a real datapoint."""
    present = {p.start for p in points}
    empty = (b for b in range(end - rule.period, start - 1, -rule.period) if b not in present)
    return list(itertools.islice(empty, fills))


def _decide(rule: AlarmRule, points: list[_Point], fills: int,
            end: int) -> tuple[str | None, str, int | None]:
    """(state or None to keep the current one, kind of reason, premature age)
    for at least one real datapoint."""
    breaching = sum(p.breaching for p in points)
    within = len(points) - breaching
    mode = rule.treat_missing_data if fills else None
    if mode == 'breaching':
        return (ALARM if breaching + fills >= rule.m else OK), 'threshold', None
    if mode in (None, 'notBreaching') or breaching >= rule.m or within:
        return (ALARM if breaching >= rule.m else OK), 'threshold', None
    # missing/ignore, every real datapoint breaching but fewer than M
    age = (end - points[-1].start) // rule.period
    if mode == 'missing' and age >= rule.m:
        return ALARM, 'threshold', age
    return _unknown(mode), 'unknown', None


def _all_missing(rule: AlarmRule) -> tuple[str | None, str]:
    mode = rule.treat_missing_data
    if mode in ('breaching', 'notBreaching'):
        return (ALARM if mode == 'breaching' else OK), 'no data'
    return _unknown(mode), 'unknown'


def _unknown(mode: str) -> str | None:
    """INSUFFICIENT_DATA for ``missing``, keep the state (None) for ``ignore``."""
    return INSUFFICIENT_DATA if mode == 'missing' else None


def evaluate(rule: AlarmRule, buckets: Mapping[int, statistics.StatSet],
             now: datetime.datetime, current_state: str, *,
             lookback_periods: int | None = None, open_period: bool = False) -> Evaluation:
    """Evaluate a metric alarm at ``now`` (the AWS rules in the module docstring).

    ``buckets`` maps the start (epoch seconds, a multiple of ``rule.period``)
    of each period with data to its StatSet; buckets outside
    :func:`evaluation_window` are not looked at, except, with ``open_period``,
    the period ``now`` falls in, which decides ALARM early when its statistic
    can only move further past the threshold (the reason data then has
    ``open_period``, its start). When the alarm must keep its state, the
    result has ``keep_current`` set and ``state == current_state``. The
    reason data (see :func:`_facts`) tells what decided.
    """
    rule.validate()
    start, end = evaluation_window(rule, now, lookback_periods)
    current = buckets.get(end)
    if open_period and current is not None and decided_early(
            rule, current, _non_negative(buckets, start, end + rule.period)):
        early = _evaluate_range(rule, buckets, now, current_state,
                                start + rule.period, end + rule.period)
        if early.state == ALARM and not early.keep_current:
            early.reason_data['open_period'] = end
            return early
    return _evaluate_range(rule, buckets, now, current_state, start, end)


def _evaluate_range(rule: AlarmRule, buckets: Mapping[int, statistics.StatSet],
                    now: datetime.datetime, current_state: str, start: int,
                    end: int) -> Evaluation:
    """Evaluate over the periods of [start, end), the newest ending at ``end``."""
    points = _collect(rule, buckets, start, end)[:rule.evaluation_periods]
    fills = rule.evaluation_periods - len(points)
    missing = _missing_starts(rule, start, end, points, fills)
    if any(p.low_sample for p in points) \
            and rule.evaluate_low_sample_count_percentile == 'ignore':
        data = _facts(rule, now, 'low sample', points, missing, fills)
        data['minimum_samples'] = float(_min_samples(
            statistics.parse_extended_statistic(rule.extended_statistic)))
        return Evaluation(current_state, _summary(rule, None, data), data, keep_current=True)
    premature = None
    if points:
        state, kind, premature = _decide(rule, points, fills, end)
    else:
        state, kind = _all_missing(rule)
    data = _facts(rule, now, kind, points, missing, fills)
    if kind == 'threshold':
        data['state'] = state
    if premature is not None:
        data['premature_age'] = premature
    if state is None:
        return Evaluation(current_state, _summary(rule, None, data), data, keep_current=True)
    return Evaluation(state, _summary(rule, state, data), data)
