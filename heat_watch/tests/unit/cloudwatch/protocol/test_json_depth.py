"""Bodies nested past MAX_DEPTH are refused before any decoder recurses."""

import json

import pytest

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch.actions import fast_put
from heat_watch.cloudwatch.protocol import json_protocol

DEPTH = json_protocol.MAX_DEPTH


def _nested(levels: int, open_: str = '{"a":', close: str = '}') -> bytes:
    return (open_ * levels + '1' + close * levels).encode()


def _put_body(datums: int = 1000) -> bytes:
    data = [{'MetricName': 'M%d' % (i % 7), 'Value': i, 'Unit': 'Count',
             'Dimensions': [{'Name': 'InstanceId', 'Value': 'i-%d' % i}],
             'Values': [1, 2], 'Counts': [1, 1]} for i in range(datums)]
    return json.dumps({'Namespace': 'Deep/Test', 'MetricData': data}).encode()


@pytest.mark.parametrize('levels', [DEPTH + 1, 1000, 100_000])
def test_deeper_than_the_limit_is_too_deep(levels):
    assert json_protocol.too_deep(_nested(levels))
    assert json_protocol.too_deep(_nested(levels, '[', ']'))


def test_exactly_the_limit_is_accepted_and_decoded():
    body = _nested(DEPTH)
    assert not json_protocol.too_deep(body)
    assert json_protocol.decode_body('ListMetrics', body)['a']['a']


def test_a_large_shallow_body_with_thousands_of_brackets_is_not_too_deep():
    assert not json_protocol.too_deep(_put_body())


def test_brackets_inside_strings_do_not_count():
    shallow = json.dumps({'Namespace': '[' * 100 + '{' * 100, 'Note': ']' * 50}).encode()
    assert not json_protocol.too_deep(shallow)
    escaped = json.dumps({'a': '\\"[[[[' * 40, 'b': [[1]]}).encode()
    assert b'\\' in escaped and not json_protocol.too_deep(escaped)


def test_closing_brackets_in_strings_do_not_hide_depth():
    hidden = ('{"x":' * 20 + '"]]]]]]]]]]]]]]]]]]]]", "y":' + '[' * 20 + '1'
              + ']' * 20 + '}' * 20).encode()
    assert json_protocol.too_deep(hidden)


@pytest.mark.parametrize('operation', ['PutMetricData', 'ListMetrics', 'GetMetricData',
                                       'PutMetricAlarm', 'DescribeAlarms'])
def test_every_operation_answers_serialization_exception(operation):
    with pytest.raises(errors.SerializationException) as raised:
        json_protocol.decode_body(operation, _nested(1000))
    assert 'deeper than %d levels' % DEPTH in raised.value.message


@pytest.mark.parametrize('body', [
    _nested(1000),
    # A valid body whose dimensions nest deeply.
    b'{"Namespace":"N","MetricData":[{"MetricName":"m","Value":1,"Dimensions":'
    + b'[' * 1000 + b']' * 1000 + b'}]}',
    # An unknown member, shallow: the general path decides.
    b'{"Namespace":"N","MetricData":[{"MetricName":"m","Value":1}],"Extra":[[1]]}',
])
def test_the_hot_path_declines_deep_or_unknown_members_instead_of_raising(body):
    assert fast_put.metrics_of(body) is None


def test_the_hot_path_still_takes_plain_bodies():
    body = b'{"Namespace":"N","MetricData":[{"MetricName":"m","Value":1,"Dimensions":' \
           b'[{"Name":"a","Value":"b"}]}]}'
    namespace, metrics = fast_put.metrics_of(body)
    assert namespace == 'N' and metrics[0][:2] == ['m', [['a', 'b']]]
