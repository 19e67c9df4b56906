"""Metric-alarm evaluation: the AWS rules, StateReason and StateReasonData."""

import dataclasses
import datetime
import json

import pytest

from heat_watch.cloudwatch.actions import alarm_reasons
from heat_watch.common import exceptions
from heat_watch.watch import evaluation, statistics


# The engine records what decided; the CloudWatch API words it as AWS does.
# These tests check both together: the AWS rules and the AWS wording.
def aws_reason(result) -> str:
    return alarm_reasons.render(result.reason, result.reason_data, 'p1', 'RegionOne')[0]


def aws_data(result) -> dict:
    return json.loads(alarm_reasons.render(result.reason, result.reason_data, 'p1',
                                           'RegionOne')[1])

UTC = datetime.UTC
PERIOD = 300
NOW = datetime.datetime(2026, 11, 23, 10, 27, 30, 123000, tzinfo=UTC)
END = int(datetime.datetime(2026, 11, 23, 10, 25, tzinfo=UTC).timestamp())  # last complete
LOW, HIGH = 10.0, 90.0  # around the threshold 50.0
KEEP = 'keep'


def make_rule(m=None, n=3, treat='missing', op='GreaterThanThreshold', threshold=50.0,
              statistic='Average', extended=None, low_sample=None, period=PERIOD):
    return evaluation.AlarmRule(
        statistic=None if extended else statistic, extended_statistic=extended,
        period=period, evaluation_periods=n, datapoints_to_alarm=m, threshold=threshold,
        comparison_operator=op, treat_missing_data=treat,
        evaluate_low_sample_count_percentile=low_sample)


def buckets_from(pattern: str) -> dict[int, statistics.StatSet]:
    """AWS table notation, oldest first: 0 within the threshold, X breaching, - missing."""
    tokens = pattern.split()
    buckets = {}
    for age, token in enumerate(reversed(tokens), start=1):
        if token != '-':
            buckets[END - age * PERIOD] = statistics.from_values([HIGH if token == 'X' else LOW])
    return buckets


def outcome(result: evaluation.Evaluation, current: str = 'OK') -> str:
    if result.keep_current:
        assert result.state == current
        return KEEP
    return result.state


# The two tables of "Configuring how CloudWatch alarms treat missing data" (current and
# earlier revisions), 5 retrieved datapoints, most recent on the right.
AWS_TABLES = [
    # M, pattern, missing, ignore, breaching, notBreaching
    (3, '0 - X - X', 'OK', 'OK', 'OK', 'OK'),
    (3, '0 - - - -', 'OK', 'OK', 'OK', 'OK'),
    (3, '- - - - 0', 'OK', 'OK', 'OK', 'OK'),
    (3, '- - - - -', 'INSUFFICIENT_DATA', KEEP, 'ALARM', 'OK'),
    (3, '0 X X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'),
    (3, '- - - - X', 'INSUFFICIENT_DATA', KEEP, 'ALARM', 'OK'),
    (3, '- - X - -', 'ALARM', KEEP, 'ALARM', 'OK'),
    (3, 'X - - - -', 'ALARM', KEEP, 'ALARM', 'OK'),
    (2, '0 - X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'),
    (2, '0 0 X 0 X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'),
    (2, '0 - X - -', 'OK', 'OK', 'ALARM', 'OK'),
    (2, '- - - - 0', 'OK', 'OK', 'ALARM', 'OK'),
    (2, '- - - - X', 'INSUFFICIENT_DATA', KEEP, 'ALARM', 'OK'),
]


@pytest.mark.parametrize('treat, column', [
    ('missing', 2), ('ignore', 3), ('breaching', 4), ('notBreaching', 5)])
@pytest.mark.parametrize('row', AWS_TABLES, ids=[f'{r[0]}of3 {r[1]}' for r in AWS_TABLES])
def test_missing_data_follows_the_aws_tables(row, treat, column):
    result = evaluation.evaluate(make_rule(m=row[0], treat=treat), buckets_from(row[1]),
                                 NOW, 'OK')
    assert outcome(result) == row[column]


@pytest.mark.parametrize('m, n, pattern, expected', [
    (2, 3, 'X 0 X', 'ALARM'),    # two of three breaching
    (2, 3, 'X X X', 'ALARM'),
    (2, 3, '0 0 X', 'OK'),       # one of three breaching
    (3, 3, 'X X 0', 'OK'),
    (1, 3, '0 0 X', 'ALARM'),
    (1, 1, 'X', 'ALARM'),
    (1, 1, '0', 'OK'),
    (4, 5, 'X X 0 X X', 'ALARM'),
    (4, 5, 'X 0 0 X X', 'OK'),
    (None, 2, '0 X', 'OK'),       # M defaults to N
    (None, 2, 'X X', 'ALARM'),
])
def test_m_out_of_n_with_complete_data(m, n, pattern, expected):
    for treat in evaluation.TREAT_MISSING_DATA:  # irrelevant when nothing is missing
        result = evaluation.evaluate(make_rule(m=m, n=n, treat=treat), buckets_from(pattern),
                                     NOW, 'INSUFFICIENT_DATA')
        assert outcome(result) == expected


@pytest.mark.parametrize('pattern, expected', [
    ('0 X X', 'ALARM'),   # the extra look-back datapoint is older than the N most recent
    ('X 0 0', 'OK'),
    ('X - 0 - 0', 'OK'),  # gaps are skipped: the two most recent real ones are evaluated
    ('0 X - X -', 'ALARM'),
])
def test_most_recent_real_datapoints_are_evaluated_when_enough_exist(pattern, expected):
    result = evaluation.evaluate(make_rule(m=2, n=2, treat='breaching'), buckets_from(pattern),
                                 NOW, 'OK')
    assert result.state == expected


def test_data_outside_the_evaluation_range_is_not_looked_at():
    buckets = {END: statistics.from_values([HIGH]),  # the period in progress
               END - 6 * PERIOD: statistics.from_values([HIGH]),  # before the range
               END - PERIOD: statistics.from_values([LOW])}
    result = evaluation.evaluate(make_rule(m=1, n=1), buckets, NOW, 'ALARM')
    assert result.state == 'OK'
    assert aws_data(result)['recentDatapoints'] == [LOW]


@pytest.mark.parametrize('op, value, expected', [
    ('GreaterThanOrEqualToThreshold', 50.0, True),
    ('GreaterThanOrEqualToThreshold', 49.999, False),
    ('GreaterThanThreshold', 50.0, False),
    ('GreaterThanThreshold', 50.001, True),
    ('LessThanThreshold', 50.0, False),
    ('LessThanThreshold', 49.999, True),
    ('LessThanOrEqualToThreshold', 50.0, True),
    ('LessThanOrEqualToThreshold', 50.001, False),
])
def test_each_operator_at_and_around_the_threshold(op, value, expected):
    assert evaluation.compare(op, value, 50.0) is expected
    buckets = {END - PERIOD: statistics.from_values([value])}
    result = evaluation.evaluate(make_rule(m=1, n=1, op=op), buckets, NOW, 'OK')
    assert result.state == ('ALARM' if expected else 'OK')


def test_unknown_operator_is_rejected():
    with pytest.raises(exceptions.InvalidParameterValue, match='ComparisonOperator'):
        evaluation.compare('GreaterThanUpperThreshold', 1.0, 0.0)


@pytest.mark.parametrize('p, expected', [
    (99, 1000.0), (99.9, 10000.0), (90, 100.0), (95, 200.0), (50, 20.0), (10, 100.0),
    (25, 40.0), (1, 1000.0), (0, 0.0), (100, 0.0)])
def test_minimum_samples_of_a_significant_percentile(p, expected):
    assert evaluation.minimum_samples(p) == expected


def _p99_buckets(samples: int) -> dict[int, statistics.StatSet]:
    return {END - PERIOD: statistics.from_values([HIGH], [samples])}


@pytest.mark.parametrize('low_sample, samples, expected', [
    ('ignore', 999, KEEP),      # too few samples for p99: the state does not change
    ('ignore', 1000, 'ALARM'),  # enough samples
    ('evaluate', 999, 'ALARM'),
    (None, 999, 'ALARM'),       # the default is to evaluate
    (None, 1, 'ALARM'),
])
def test_percentile_low_sample_count_ignore_versus_evaluate(low_sample, samples, expected):
    rule = make_rule(m=1, n=1, extended='p99', low_sample=low_sample)
    result = evaluation.evaluate(rule, _p99_buckets(samples), NOW, 'OK')
    assert outcome(result) == expected


def test_low_sample_reason_names_the_datapoint_and_the_needed_samples():
    rule = make_rule(m=1, n=1, extended='p99', low_sample='ignore')
    result = evaluation.evaluate(rule, _p99_buckets(10), NOW, 'ALARM')
    assert (result.state, result.keep_current) == ('ALARM', True)
    assert aws_reason(result) == (
        'Low Sample Count: 1 datapoint [90.0 (23/11/26 10:20:00)] was computed from fewer '
        'than 1000 samples, too few for a significant p99; the alarm keeps its current state.')


def test_low_sample_datapoints_older_than_the_evaluated_ones_do_not_matter():
    rule = make_rule(m=1, n=1, extended='p50', low_sample='ignore')
    buckets = {END - PERIOD: statistics.from_values([HIGH], [20]),
               END - 2 * PERIOD: statistics.from_values([HIGH], [1])}
    assert outcome(evaluation.evaluate(rule, buckets, NOW, 'OK')) == 'ALARM'


@pytest.mark.parametrize('stat', [
    statistics.from_statistic_values(10, 500.0, 10.0, 90.0),  # statistic set: no raw values
    statistics.from_values([-5.0, 90.0]),                      # negative values
])
@pytest.mark.parametrize('treat, expected', [
    ('missing', 'INSUFFICIENT_DATA'), ('breaching', 'ALARM'), ('notBreaching', 'OK'),
    ('ignore', KEEP)])
def test_unavailable_percentile_counts_as_missing(stat, treat, expected):
    rule = make_rule(m=1, n=1, extended='p90', treat=treat)
    result = evaluation.evaluate(rule, {END - PERIOD: stat}, NOW, 'OK')
    assert outcome(result) == expected


def test_statistic_set_still_serves_simple_statistics():
    rule = make_rule(m=1, n=1, statistic='Maximum')
    stat = statistics.from_statistic_values(10, 500.0, 10.0, 90.0)
    assert evaluation.evaluate(rule, {END - PERIOD: stat}, NOW, 'OK').state == 'ALARM'


@pytest.mark.parametrize('treat, current', [('ignore', 'ALARM'), ('ignore', 'INSUFFICIENT_DATA')])
def test_ignore_keeps_whatever_the_current_state_is(treat, current):
    result = evaluation.evaluate(make_rule(treat=treat), {}, NOW, current)
    assert (result.state, result.keep_current) == (current, True)


RULE_70 = {'op': 'GreaterThanOrEqualToThreshold', 'threshold': 70.0, 'period': 60}
NOW_60 = datetime.datetime(2026, 11, 23, 10, 5, 30, 123000, tzinfo=UTC)
T = int(datetime.datetime(2026, 11, 23, 10, 2, tzinfo=UTC).timestamp())


def _at(*values):
    """Buckets of period 60 from 10:02 on (None: missing)."""
    return {T + 60 * i: statistics.from_values([v]) for i, v in enumerate(values)
            if v is not None}


@pytest.mark.parametrize('rule, buckets, state, reason', [
    (make_rule(m=1, n=1, **RULE_70), _at(None, None, 80.0), 'ALARM',
     ('Threshold Crossed: 1 out of the last 1 datapoints [80.0 (23/11/26 10:04:00)] was '
      'greater than or equal to the threshold (70.0) (minimum 1 datapoint for OK -> ALARM '
      'transition).')),
    (make_rule(m=2, n=3, **RULE_70), _at(10.0, 75.0, 20.5), 'OK',
     ('Threshold Crossed: 2 out of the last 3 datapoints [20.5 (23/11/26 10:04:00), '
      '10.0 (23/11/26 10:02:00)] were not greater than or equal to the threshold (70.0) '
      '(minimum 2 datapoints for ALARM -> OK transition).')),
    (make_rule(m=2, n=3, **RULE_70), _at(70.0, 75.0, 20.5), 'ALARM',
     ('Threshold Crossed: 2 out of the last 3 datapoints [75.0 (23/11/26 10:03:00), '
      '70.0 (23/11/26 10:02:00)] were greater than or equal to the threshold (70.0) '
      '(minimum 2 datapoints for OK -> ALARM transition).')),
    (make_rule(m=1, n=1, **RULE_70), {}, 'INSUFFICIENT_DATA',
      'Insufficient Data: 1 datapoint was unknown.'),
    (make_rule(m=2, n=2, **RULE_70), {}, 'INSUFFICIENT_DATA',
      'Insufficient Data: 2 datapoints were unknown.'),
    (make_rule(m=2, n=3, **RULE_70), _at(None, None, 80.0), 'INSUFFICIENT_DATA',
      'Insufficient Data: 2 datapoints were unknown.'),
    (make_rule(m=1, n=1, treat='breaching', **RULE_70), {}, 'ALARM',
     ('Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint '
      'was treated as [Breaching].')),
    (make_rule(m=2, n=2, treat='notBreaching', **RULE_70), {}, 'OK',
     ('Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints '
      'were treated as [NonBreaching].')),
    (make_rule(m=3, n=3, treat='breaching', **RULE_70), _at(None, 80.0, None), 'ALARM',
     ('Threshold Crossed: 1 out of the last 3 datapoints [80.0 (23/11/26 10:03:00)] was '
      'greater than or equal to the threshold (70.0) and 2 missing datapoints were treated as '
      '[Breaching] (minimum 3 datapoints for OK -> ALARM transition).')),
    (make_rule(m=2, n=2, treat='notBreaching', **RULE_70), _at(None, None, 80.0), 'OK',
     ('Threshold Crossed: 1 missing datapoint was treated as [NonBreaching] (minimum 1 '
      'datapoint for ALARM -> OK transition).')),
    (make_rule(m=2, n=2, **RULE_70), _at(80.0, None, None), 'ALARM',
     ('Threshold Crossed: 1 out of the last 2 datapoints [80.0 (23/11/26 10:02:00)] was '
      'greater than or equal to the threshold (70.0) and 1 missing datapoint was treated as '
      '[Missing]; no datapoint has been within the threshold since the breaching one 3 periods '
      'ago (minimum 2 datapoints for OK -> ALARM transition).')),
])
def test_state_reason_is_worded_like_aws(rule, buckets, state, reason):
    result = evaluation.evaluate(rule, buckets, NOW_60, 'OK')
    assert (result.state, aws_reason(result)) == (state, reason)


def test_ignore_reason_explains_that_the_state_is_kept():
    result = evaluation.evaluate(make_rule(treat='ignore', **RULE_70), {}, NOW_60, 'ALARM')
    assert aws_reason(result) == ('Insufficient Data: 3 datapoints were unknown; missing data are '
                             'ignored, so the alarm keeps its current state.')


def test_reason_data_has_the_aws_shape():
    rule = make_rule(m=2, n=3, treat='breaching', **RULE_70)
    buckets = {T: statistics.from_values([80.0, 60.0]), T + 120: statistics.from_values([75.5])}
    result = evaluation.evaluate(rule, buckets, NOW_60, 'OK')
    assert aws_data(result) == {
        'version': '1.0',
        'queryDate': '2026-11-23T10:05:30.123+0000',
        'startDate': '2026-11-23T10:02:00.000+0000',
        'statistic': 'Average',
        'period': 60,
        'recentDatapoints': [70.0, 75.5],
        'threshold': 70.0,
        'evaluatedDatapoints': [
            {'timestamp': '2026-11-23T10:04:00.000+0000', 'sampleCount': 1.0, 'value': 75.5},
            {'timestamp': '2026-11-23T10:03:00.000+0000'},  # missing, treated as breaching
            {'timestamp': '2026-11-23T10:02:00.000+0000', 'sampleCount': 2.0, 'value': 70.0},
        ],
    }
    assert result.state == 'ALARM'


def test_reason_data_names_the_extended_statistic():
    rule = make_rule(m=1, n=1, extended='p99.9')
    data = aws_data(evaluation.evaluate(rule, _p99_buckets(5), NOW, 'OK'))
    assert data['extendedStatistic'] == 'p99.9' and 'statistic' not in data


def test_reason_data_of_all_missing_lists_the_evaluated_periods():
    data = aws_data(evaluation.evaluate(make_rule(m=1, n=2, **RULE_70), {}, NOW_60, 'OK'))
    assert data['startDate'] == '2026-11-23T10:03:00.000+0000'
    assert data['recentDatapoints'] == []
    assert data['evaluatedDatapoints'] == [{'timestamp': '2026-11-23T10:04:00.000+0000'},
                                           {'timestamp': '2026-11-23T10:03:00.000+0000'}]


@pytest.mark.parametrize('now, period, n, lookback, window', [
    # (now, period, N, lookback) -> (start, end) as UTC 'HH:MM:SS'
    ('10:05:30', 60, 1, None, ('10:02:00', '10:05:00')),
    ('10:05:00', 60, 1, None, ('10:02:00', '10:05:00')),   # a period ending now is complete
    ('10:04:59', 300, 3, None, ('09:35:00', '10:00:00')),  # 5 periods of 5 minutes
    ('10:27:30', 300, 3, 10, ('09:35:00', '10:25:00')),
    ('10:59:59', 3600, 1, None, ('07:00:00', '10:00:00')),
    ('10:00:09', 10, 6, None, ('09:58:40', '10:00:00')),
])
def test_evaluation_window_is_aligned_to_the_period(now, period, n, lookback, window):
    def at(hms):
        return datetime.datetime.combine(datetime.date(2026, 11, 23),
                                         datetime.time.fromisoformat(hms), tzinfo=UTC)
    rule = make_rule(n=n, period=period)
    start, end = evaluation.evaluation_window(rule, at(now), lookback)
    assert (start, end) == tuple(int(at(hms).timestamp()) for hms in window)
    assert start % period == 0 and end % period == 0


@pytest.mark.parametrize('n, periods', [(1, 3), (3, 5), (6, 8), (9, 12), (30, 40)])
def test_default_look_back_adds_extra_periods(n, periods):
    start, end = evaluation.evaluation_window(make_rule(n=n, period=60), NOW)
    assert (end - start) // 60 == periods


def test_naive_now_is_utc():
    rule = make_rule(n=1, period=60)
    naive = NOW.replace(tzinfo=None)
    assert evaluation.evaluation_window(rule, naive) == evaluation.evaluation_window(rule, NOW)


def test_look_back_shorter_than_the_evaluation_periods_is_rejected():
    with pytest.raises(exceptions.Invalid):
        evaluation.evaluation_window(make_rule(n=3), NOW, lookback_periods=2)


def test_a_longer_look_back_finds_older_datapoints():
    rule = make_rule(m=1, n=1)
    buckets = {END - 6 * PERIOD: statistics.from_values([HIGH])}
    assert evaluation.evaluate(rule, buckets, NOW, 'OK').state == 'INSUFFICIENT_DATA'
    assert evaluation.evaluate(rule, buckets, NOW, 'OK', lookback_periods=6).state == 'ALARM'


@pytest.mark.parametrize('changes, error', [
    ({'statistic': 'Average', 'extended_statistic': 'p99'}, exceptions.InvalidParameterCombination),
    ({'statistic': None}, exceptions.InvalidParameterCombination),
    ({'statistic': 'average'}, exceptions.InvalidParameterValue),
    ({'statistic': None, 'extended_statistic': 'p101'}, exceptions.InvalidParameterValue),
    ({'period': 0}, exceptions.InvalidParameterValue),
    ({'evaluation_periods': 0}, exceptions.InvalidParameterValue),
    ({'datapoints_to_alarm': 4}, exceptions.InvalidParameterValue),
    ({'datapoints_to_alarm': 0}, exceptions.InvalidParameterValue),
    ({'threshold': float('nan')}, exceptions.InvalidParameterValue),
    ({'comparison_operator': 'LessThanLowerThreshold'}, exceptions.InvalidParameterValue),
    ({'treat_missing_data': 'Missing'}, exceptions.InvalidParameterValue),
    ({'evaluate_low_sample_count_percentile': 'skip'}, exceptions.InvalidParameterValue),
])
def test_unusable_rules_are_rejected(changes, error):
    rule = dataclasses.replace(make_rule(), **changes)
    with pytest.raises(error):
        evaluation.evaluate(rule, {}, NOW, 'OK')
