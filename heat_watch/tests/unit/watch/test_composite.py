"""Composite alarm rules: parsing, precedence, limits and evaluation."""

import datetime
import inspect
import json
import sys

import pytest

from heat_watch.cloudwatch.actions import alarm_reasons
from heat_watch.common import exceptions
from heat_watch.watch import composite

UTC = datetime.UTC
ARN = 'arn:aws:cloudwatch:RegionOne:0123456789ab:alarm:'


@pytest.mark.parametrize('text, parsed', [
    ('ALARM(a)', 'ALARM("a")'),
    ('OK("a")', 'OK("a")'),
    ('INSUFFICIENT_DATA( a )', 'INSUFFICIENT_DATA("a")'),
    ('TRUE', 'TRUE'),
    ('FALSE', 'FALSE'),
    ('ALARM(a) OR ALARM(b) AND ALARM(c)', '(ALARM("a") OR (ALARM("b") AND ALARM("c")))'),
    ('ALARM(a) AND ALARM(b) OR ALARM(c)', '((ALARM("a") AND ALARM("b")) OR ALARM("c"))'),
    ('(ALARM(a) OR ALARM(b)) AND ALARM(c)', '((ALARM("a") OR ALARM("b")) AND ALARM("c"))'),
    ('NOT ALARM(a) AND ALARM(b)', '(NOT ALARM("a") AND ALARM("b"))'),
    ('NOT (ALARM(a) AND ALARM(b))', 'NOT (ALARM("a") AND ALARM("b"))'),
    ('NOT NOT OK(a)', 'NOT NOT OK("a")'),
    ('ALARM(a) AND ALARM(b) AND ALARM(c)', '(ALARM("a") AND ALARM("b") AND ALARM("c"))'),
    ('((TRUE))', 'TRUE'),
    ('ALARM(a)AND(OK(b))', '(ALARM("a") AND OK("b"))'),
    ('\tALARM(a)\nOR  OK(b) ', '(ALARM("a") OR OK("b"))'),
])
def test_precedence_is_not_then_and_then_or(text, parsed):
    assert str(composite.parse(text)) == parsed


@pytest.mark.parametrize('text, names', [
    ('ALARM(CPUUtilizationTooHigh)', {'CPUUtilizationTooHigh'}),
    ('ALARM("name with spaces (and parentheses)")', {'name with spaces (and parentheses)'}),
    (r'OK("say \"hi\" \\ bye")', {'say "hi" \\ bye'}),
    ('ALARM(web-1.cpu/high:5m)', {'web-1.cpu/high:5m'}),
    (f'ALARM({ARN}cpu)', {'cpu'}),
    (f'ALARM("{ARN}my alarm")', {'my alarm'}),
    ('ALARM(arn:aws-cn:cloudwatch:cn-north-1:1:alarm:a:b)', {'a:b'}),
    ('ALARM(a) OR OK(a) OR ALARM(b)', {'a', 'b'}),
    ('TRUE', set()),
])
def test_quoted_bare_and_arn_references_give_alarm_names(text, names):
    assert composite.parse(text).alarm_names() == names


@pytest.mark.parametrize('ref, name', [
    ('cpu', 'cpu'),
    (ARN + 'cpu', 'cpu'),
    ('arn:aws-us-gov:cloudwatch:us-gov-west-1:123:alarm:x:y', 'x:y'),
    ('arn:aws:sns:r:1:alarm:cpu', 'arn:aws:sns:r:1:alarm:cpu'),  # not a CloudWatch alarm ARN
    ('prefix arn:aws:cloudwatch:r:1:alarm:cpu', 'prefix arn:aws:cloudwatch:r:1:alarm:cpu'),
])
def test_alarm_name_from_reference_strips_only_an_alarm_arn_prefix(ref, name):
    assert composite.alarm_name_from_reference(ref) == name


@pytest.mark.parametrize('text, message', [
    ('', 'the rule is empty at position 1'),
    ('   ', 'the rule is empty at position 4'),
    ('ALARM(a) and OK(b)', "'and' must be written in upper case (AND) at position 10"),
    ('alarm(a)', "'alarm' must be written in upper case (ALARM) at position 1"),
    ('not ALARM(a)', "'not' must be written in upper case (NOT) at position 1"),
    ('True', "'True' must be written in upper case (TRUE) at position 1"),
    ('ALARM(a', ('expected ")" after the alarm name of ALARM, found the end of the rule '
                 'at position 8')),
    ('(ALARM(a) OR OK(b)', 'expected ")" to close the "(" at position 1'),
    ('ALARM(a))', "expected AND, OR or the end of the rule, found ')' at position 9"),
    ('ALARM(a) OK(b)', "expected AND, OR or the end of the rule, found 'OK(b)' at position 10"),
    ('ALARM(a) AND', 'found the end of the rule at position 13'),
    ('ALARM a', "expected \"(\" after ALARM, found 'a' at position 7"),
    ('ALARM()', "expected an alarm name, found ')' at position 7"),
    ('ALARM("")', 'the alarm name must have 1 to 255 characters at position 7'),
    ('ALARM("abc', 'unterminated quoted alarm name at position 7'),
    ('ALARM(a b)', 'expected ")" after the alarm name of ALARM, found \'b)\' at position 9'),
    ('ALERT(a)', "found 'ALERT(a)' at position 1"),
    ('NOT', 'found the end of the rule at position 4'),
    ('()', "found ')' at position 2"),
    (f"ALARM({'x' * 256})", 'the alarm name must have 1 to 255 characters'),
])
def test_syntax_errors_are_reported_with_their_position(text, message):
    with pytest.raises(exceptions.InvalidParameterValue) as caught:
        composite.parse(text)
    assert 'AlarmRule' in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize('text, message', [
    ('(' * 101 + 'TRUE' + ')' * 101, 'deeper than 100 levels'),
    ('NOT ' * 101 + 'TRUE', 'deeper than 100 levels'),
    (' OR '.join(['TRUE'] * 501), 'more than 500 elements'),
    (' OR '.join(f'ALARM(a{i})' for i in range(101)), 'more than 100 alarms'),
    ('TRUE' + ' ' * 10240, 'at most 10240 characters'),
])
def test_limits_are_enforced(text, message):
    with pytest.raises(exceptions.InvalidParameterValue, match=message):
        composite.parse(text)


@pytest.mark.parametrize('text', [
    '(' * 100 + 'TRUE' + ')' * 100,
    'NOT ' * 100 + 'TRUE',
    ' OR '.join(f'ALARM(a{i})' for i in range(100)),
    ' AND '.join(['TRUE'] * 500),
])
def test_rules_at_the_limits_parse_and_evaluate(text):
    rule = composite.parse(text)
    assert rule.evaluate(lambda name: 'ALARM') in (True, False)


def test_deepest_rule_needs_little_stack():
    text = '(NOT ' * 49 + 'ALARM(a)' + ')' * 49 + ' AND ' + '(' * 99 + 'OK(b)' + ')' * 99
    limit = sys.getrecursionlimit()
    # Leave only 500 frames: about half of what a caller usually has left.
    sys.setrecursionlimit(len(inspect.stack(0)) + 500)
    try:
        rule = composite.parse(text)
        assert composite.evaluate_composite(rule, {'a': 'OK', 'b': 'OK'}.get)[0] == 'ALARM'
        assert str(rule).count('NOT') == 49
    finally:
        sys.setrecursionlimit(limit)


STATES = {'cpu': 'ALARM', 'disk': 'OK', 'net': 'INSUFFICIENT_DATA', 'deploy': 'ALARM'}


@pytest.mark.parametrize('text, holds', [
    ('ALARM(cpu)', True),
    ('OK(cpu)', False),
    ('OK(disk)', True),
    ('INSUFFICIENT_DATA(net)', True),
    ('ALARM(cpu) AND ALARM(disk)', False),
    ('ALARM(cpu) OR ALARM(disk)', True),
    ('ALARM(cpu) AND NOT ALARM(deploy)', False),
    ('ALARM(disk) AND ALARM(disk) OR ALARM(cpu)', True),     # (F AND F) OR T
    ('ALARM(disk) AND (ALARM(disk) OR ALARM(cpu))', False),  # F AND (F OR T)
    ('NOT ALARM(disk) AND ALARM(cpu)', True),                # (NOT F) AND T
    ('NOT (ALARM(cpu) AND ALARM(deploy))', False),
    ('TRUE AND NOT FALSE', True),
    ('FALSE OR FALSE', False),
    (f'ALARM("{ARN}cpu")', True),
    ('ALARM(gone)', False),             # an unknown child counts as INSUFFICIENT_DATA
    ('INSUFFICIENT_DATA(gone)', True),
])
def test_rule_evaluation(text, holds):
    assert composite.parse(text).evaluate(STATES.get) is holds


def test_each_child_state_is_looked_up_once():
    calls = []

    def state_of(name):
        calls.append(name)
        return 'OK'
    composite.parse('OK(a) AND OK(a) AND NOT ALARM(a) AND OK(b)').evaluate(state_of)
    assert sorted(calls) == ['a', 'b']


def _child(name, state, minute):
    stamp = datetime.datetime(2020, 12, 4, 19, minute, 10, 148000, tzinfo=UTC)
    return composite.ChildState(state, stamp)


CHILDREN = {'cpu': _child('cpu', 'ALARM', 34), 'disk': _child('disk', 'ALARM', 40),
            'net': _child('net', 'OK', 10)}


@pytest.mark.parametrize('text, state, triggering', [
    ('ALARM(cpu)', 'ALARM', ['cpu']),
    ('ALARM(cpu) AND ALARM(disk)', 'ALARM', ['disk', 'cpu']),  # most recent first
    ('ALARM(cpu) OR ALARM(disk)', 'ALARM', ['cpu']),           # the first sufficient one
    ('ALARM(net) OR ALARM(cpu)', 'ALARM', ['cpu']),
    ('ALARM(cpu) AND ALARM(net)', 'OK', ['net']),              # the one that fails the AND
    ('ALARM(net) OR OK(cpu)', 'OK', ['cpu', 'net']),           # every OR operand is false
    ('ALARM(cpu) AND NOT OK(net)', 'OK', ['net']),
    ('TRUE', 'ALARM', []),
])
def test_composite_state_names_the_triggering_children(text, state, triggering):
    result_state, _reason, data = composite.evaluate_composite(
        composite.parse(text), CHILDREN.get)
    assert result_state == state
    # Named as the rule names them: an ARN is the CloudWatch API's to write.
    assert [entry['name'] for entry in data['triggering']] == triggering


OUR_ARN = 'arn:openstack:cloudwatch:RegionOne:p1:alarm:'


def _aws(reason: str, data: dict) -> tuple[str, dict]:
    # The CloudWatch API words the engine's reason data as AWS does.
    text, aws_data = alarm_reasons.render(reason, data, 'p1', 'RegionOne')
    return text, json.loads(aws_data)


def test_composite_reason_and_data_are_worded_like_aws():
    state, reason, data = composite.evaluate_composite(
        composite.parse('ALARM(cpu) AND ALARM(disk)'), CHILDREN.get)
    reason, data = _aws(reason, data)
    assert state == 'ALARM'
    assert reason == (
        f'{OUR_ARN}disk transitioned to ALARM at Friday 04 December, 2020 19:40:10 UTC; '
        f'{OUR_ARN}cpu transitioned to ALARM at Friday 04 December, 2020 19:34:10 UTC')
    assert data == {'triggeringAlarms': [
        {'arn': OUR_ARN + 'disk', 'state': {'value': 'ALARM',
                                            'timestamp': '2020-12-04T19:40:10.148+0000'}},
        {'arn': OUR_ARN + 'cpu', 'state': {'value': 'ALARM',
                                           'timestamp': '2020-12-04T19:34:10.148+0000'}}]}


@pytest.mark.parametrize('states, text, reason', [
    ({'a': 'ALARM'}, 'ALARM(a)', OUR_ARN + 'a is in ALARM state'),
    ({}, 'ALARM(a)', OUR_ARN + 'a does not exist (counted as INSUFFICIENT_DATA)'),
    ({}, 'FALSE', 'The alarm rule is False without any child alarm.'),
])
def test_composite_reason_with_plain_states(states, text, reason):
    _state, result, data = composite.evaluate_composite(composite.parse(text), states.get)
    result, data = _aws(result, data)
    assert result == reason
    if data['triggeringAlarms']:
        assert 'timestamp' not in data['triggeringAlarms'][0]['state']


def test_composite_reason_names_at_most_five_children():
    text = ' AND '.join(f'ALARM(c{i})' for i in range(8))
    state, reason, data = composite.evaluate_composite(composite.parse(text),
                                                       lambda name: 'ALARM')
    reason, data = _aws(reason, data)
    assert state == 'ALARM'
    assert reason.count('is in ALARM state') == 5 and reason.endswith('; and 3 more')
    assert len(data['triggeringAlarms']) == 8


def test_a_bad_rule_is_rejected_with_a_non_string():
    with pytest.raises(exceptions.InvalidParameterValue, match='AlarmRule'):
        composite.parse(None)
