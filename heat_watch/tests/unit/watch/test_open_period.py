"""The open period: decides ALARM early only when its statistic can only move
further past the threshold; every other case waits for the period to close."""

import datetime

import pytest

from heat_watch.watch import evaluation, statistics

UTC = datetime.UTC
PERIOD = 60
# 20 s into the period that starts at OPEN; the last complete one starts at OPEN - 60.
OPEN = int(datetime.datetime(2026, 12, 5, 8, 0, tzinfo=UTC).timestamp())
NOW = datetime.datetime.fromtimestamp(OPEN + 20, UTC)
GT, GE = 'GreaterThanThreshold', 'GreaterThanOrEqualToThreshold'
LT, LE = 'LessThanThreshold', 'LessThanOrEqualToThreshold'


def rule(statistic: str, op: str, threshold: float = 50.0, n: int = 1, m: int | None = None,
         treat: str = 'missing') -> evaluation.AlarmRule:
    return evaluation.AlarmRule(
        statistic=statistic, extended_statistic=None, period=PERIOD, evaluation_periods=n,
        datapoints_to_alarm=m, threshold=threshold, comparison_operator=op,
        treat_missing_data=treat)


def run(alarm: evaluation.AlarmRule, buckets: dict, state: str = 'OK',
        open_period: bool = True) -> evaluation.Evaluation:
    return evaluation.evaluate(alarm, buckets, NOW, state, open_period=open_period)


def open_only(*values: float) -> dict:
    """Data in the open period only."""
    return {OPEN: statistics.from_values(list(values))}


# Open period data that breaches a threshold of 50 (3 for SampleCount), for each
# statistic x comparison: whether it decides ALARM now or waits for the close.
BREACHING_SO_FAR = {
    ('Maximum', GT): ((10.0, 90.0), True),
    ('Maximum', GE): ((10.0, 50.0), True),
    ('Maximum', LT): ((10.0, 20.0), False),   # a later 95 lifts the maximum
    ('Maximum', LE): ((10.0, 50.0), False),
    ('Minimum', LT): ((90.0, 10.0), True),
    ('Minimum', LE): ((90.0, 50.0), True),
    ('Minimum', GT): ((90.0, 60.0), False),   # a later 5 lowers the minimum
    ('Minimum', GE): ((90.0, 50.0), False),
    ('SampleCount', GT): ((1.0, 1.0, 1.0, 1.0), True),
    ('SampleCount', GE): ((1.0, 1.0, 1.0), True),
    ('SampleCount', LT): ((1.0,), False),     # more samples come
    ('SampleCount', LE): ((1.0, 1.0), False),
    ('Sum', GT): ((30.0, 30.0), True),        # non-negative: the sum only grows
    ('Sum', GE): ((25.0, 25.0), True),
    ('Sum', LT): ((10.0, 20.0), False),
    ('Sum', LE): ((10.0, 20.0), False),
    ('Average', GT): ((90.0, 80.0), False),   # a later 0 lowers the average
    ('Average', GE): ((90.0,), False),
    ('Average', LT): ((10.0,), False),
    ('Average', LE): ((10.0,), False),
}


@pytest.mark.parametrize(('statistic', 'op'), sorted(BREACHING_SO_FAR))
def test_open_period_decides_only_when_its_statistic_cannot_come_back(statistic, op):
    values, decides = BREACHING_SO_FAR[(statistic, op)]
    threshold = 3.0 if statistic == 'SampleCount' else 50.0
    alarm = rule(statistic, op, threshold)
    buckets = open_only(*values)
    assert evaluation.compare(op, statistics.statistic(buckets[OPEN], statistic), threshold)
    result = run(alarm, buckets)
    if decides:
        assert result.state == 'ALARM' and not result.keep_current
        assert result.reason_data['open_period'] == OPEN
        assert result.reason_data['datapoints'][0][0] == OPEN
    else:
        # Without a complete period the alarm waits, as it did before.
        assert result.state == 'INSUFFICIENT_DATA'
        assert 'open_period' not in result.reason_data


@pytest.mark.parametrize(('statistic', 'op', 'values'), [
    ('Maximum', GT, (10.0, 40.0)), ('Minimum', LT, (90.0, 60.0)),
    ('SampleCount', GT, (1.0, 1.0)), ('Sum', GT, (20.0, 20.0))])
def test_open_period_not_yet_breaching_waits(statistic, op, values):
    threshold = 3.0 if statistic == 'SampleCount' else 50.0
    result = run(rule(statistic, op, threshold), open_only(*values))
    assert result.state == 'INSUFFICIENT_DATA'
    assert 'open_period' not in result.reason_data


def test_sum_waits_when_the_metric_has_negative_values():
    buckets = open_only(30.0, 30.0)
    buckets[OPEN - PERIOD] = statistics.from_values([-5.0])
    result = run(rule('Sum', GT, n=2, m=1), buckets)
    assert result.state == 'OK' and 'open_period' not in result.reason_data


def test_sum_with_a_negative_value_in_the_open_period_waits():
    assert run(rule('Sum', GT), open_only(80.0, -1.0)).state == 'INSUFFICIENT_DATA'


def test_without_the_option_only_complete_periods_count():
    result = run(rule('Maximum', GT), open_only(90.0), open_period=False)
    assert result.state == 'INSUFFICIENT_DATA'


def test_open_period_counts_as_one_breaching_datapoint_of_datapoints_to_alarm():
    # 2 of 3: one complete breaching period plus the open one make two.
    buckets = open_only(90.0)
    buckets[OPEN - PERIOD] = statistics.from_values([10.0])
    buckets[OPEN - 2 * PERIOD] = statistics.from_values([95.0])
    result = run(rule('Maximum', GT, n=3, m=2), buckets)
    assert result.state == 'ALARM'
    assert [p[0] for p in result.reason_data['datapoints']] == [
        OPEN, OPEN - PERIOD, OPEN - 2 * PERIOD]


def test_open_period_alone_is_not_enough_when_more_datapoints_must_breach():
    buckets = open_only(90.0)
    buckets[OPEN - PERIOD] = statistics.from_values([10.0])
    buckets[OPEN - 2 * PERIOD] = statistics.from_values([20.0])
    result = run(rule('Maximum', GT, n=3, m=2), buckets)
    # Decided by the complete periods as before: OK, not a premature ALARM.
    assert result.state == 'OK' and 'open_period' not in result.reason_data


def test_open_period_never_turns_an_alarm_ok():
    # The complete period breaches, the open one does not (yet): ALARM stays.
    buckets = open_only(10.0)
    buckets[OPEN - PERIOD] = statistics.from_values([90.0])
    result = run(rule('Maximum', GT), buckets, state='ALARM')
    assert result.state == 'ALARM' and 'open_period' not in result.reason_data


def test_open_breach_keeps_an_alarm_whose_last_complete_period_was_fine():
    buckets = open_only(90.0)
    buckets[OPEN - PERIOD] = statistics.from_values([10.0])
    assert run(rule('Maximum', GT), buckets, state='ALARM', open_period=False).state == 'OK'
    assert run(rule('Maximum', GT), buckets, state='ALARM').state == 'ALARM'


def test_the_early_decision_is_the_one_the_closed_period_gets():
    buckets = open_only(90.0)
    buckets[OPEN - 3 * PERIOD] = statistics.from_values([95.0])
    early = run(rule('Maximum', GT, n=3, m=2), buckets)
    closed = evaluation.evaluate(rule('Maximum', GT, n=3, m=2), buckets,
                                 NOW + datetime.timedelta(seconds=PERIOD), 'OK')
    assert early.state == closed.state == 'ALARM'
    assert early.reason_data['datapoints'] == closed.reason_data['datapoints']


@pytest.mark.parametrize(('statistic', 'op', 'expected'), [
    ('Maximum', GT, True), ('Minimum', LE, True), ('SampleCount', GE, True),
    ('Sum', GT, True), ('Maximum', LT, False), ('Average', GT, False), (None, GT, False)])
def test_may_decide_early_by_statistic_and_comparison(statistic, op, expected):
    alarm = rule('Maximum', op)
    alarm.statistic = statistic
    if statistic is None:
        alarm.extended_statistic = 'p100'
    assert evaluation.may_decide_early(alarm) is expected
