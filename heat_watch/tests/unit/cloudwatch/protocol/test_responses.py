"""Our responses, read by botocore's parsers, give back what we answered."""

import datetime
import json
import math
import xml.etree.ElementTree as ET

import pytest

from heat_watch.cloudwatch.protocol import json_protocol, model, query
from heat_watch.tests.unit.cloudwatch.protocol import botocore_helpers as bh

UTC = datetime.UTC
T0 = datetime.datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
NS = '{http://monitoring.amazonaws.com/doc/2010-08-01/}'


def _minute(index):
    return T0 + datetime.timedelta(minutes=index, milliseconds=index % 1000)


METRIC_ALARM = {
    'AlarmName': 'high-cpu', 'AlarmArn': 'arn:aws:cloudwatch:r:1:alarm:high-cpu',
    'AlarmDescription': 'CPU > 80 & <rising>', 'AlarmConfigurationUpdatedTimestamp': T0,
    'ActionsEnabled': False, 'OKActions': [], 'AlarmActions': ['http://h/a?x=1&y=2'],
    'InsufficientDataActions': ['arn:aws:sns:r:1:t'], 'StateValue': 'ALARM',
    'StateReason': 'Threshold Crossed', 'StateReasonData': '{"version":"1.0"}',
    'StateUpdatedTimestamp': _minute(1), 'MetricName': 'CPUUtilization',
    'Namespace': 'AWS/EC2', 'Statistic': 'Average', 'ExtendedStatistic': 'p99',
    'Dimensions': [{'Name': 'InstanceId', 'Value': 'i-1'}], 'Period': 60, 'Unit': 'Percent',
    'EvaluationPeriods': 3, 'DatapointsToAlarm': 2, 'Threshold': 80.5,
    'ComparisonOperator': 'GreaterThanThreshold', 'TreatMissingData': 'missing',
    'EvaluateLowSampleCountPercentile': 'ignore', 'ThresholdMetricId': 'ad1',
    'Metrics': [{'Id': 'm1', 'ReturnData': True, 'MetricStat': {
        'Metric': {'Namespace': 'AWS/EC2', 'MetricName': 'CPUUtilization', 'Dimensions': []},
        'Period': 60, 'Stat': 'p90'}}],
    'EvaluationState': 'PARTIAL_DATA', 'StateTransitionedTimestamp': _minute(2),
}
COMPOSITE_ALARM = {
    'ActionsEnabled': True, 'AlarmActions': ['arn:a'], 'AlarmArn': 'arn:c',
    'AlarmConfigurationUpdatedTimestamp': _minute(3), 'AlarmDescription': 'd',
    'AlarmName': 'comp', 'AlarmRule': 'ALARM("a") AND NOT OK("b")',
    'InsufficientDataActions': [], 'OKActions': ['arn:o'], 'StateReason': 'r',
    'StateReasonData': '{}', 'StateUpdatedTimestamp': _minute(4), 'StateValue': 'OK',
    'StateTransitionedTimestamp': _minute(5), 'ActionsSuppressedBy': 'WaitPeriod',
    'ActionsSuppressedReason': 'waiting', 'ActionsSuppressor': 'arn:s',
    'ActionsSuppressorWaitPeriod': 120, 'ActionsSuppressorExtensionPeriod': 60,
}

RESPONSES = {
    'GetMetricStatistics': {'Label': 'CPUUtilization', 'Datapoints': [
        {'Timestamp': _minute(index), 'SampleCount': 60.0, 'Average': index / 7,
         'Sum': index * 1e-05, 'Minimum': 0.0, 'Maximum': 1e+300, 'Unit': 'Percent',
         'ExtendedStatistics': {'p99': 99.5, 'tm90': 0.25}}
        for index in range(3)]},
    'GetMetricData': {
        'MetricDataResults': [
            {'Id': 'm1', 'Label': 'cpu', 'Timestamps': [_minute(0), _minute(1)],
             'Values': [1.0, 2.5], 'StatusCode': 'Complete'},
            {'Id': 'e1', 'Label': '', 'Timestamps': [], 'Values': [],
             'StatusCode': 'PartialData', 'Messages': [{'Code': 'MaxQueryTimeRangeExceed',
                                                        'Value': 'too long'}]},
        ],
        'NextToken': 'token/+=', 'Messages': [{'Code': 'c', 'Value': 'v'}],
    },
    'ListMetrics': {
        'Metrics': [{'Namespace': 'AWS/EC2', 'MetricName': 'CPUUtilization',
                     'Dimensions': [{'Name': 'InstanceId', 'Value': 'i-1'}]},
                    {'Namespace': 'Heat', 'MetricName': 'm', 'Dimensions': []}],
        'NextToken': 'n', 'OwningAccounts': ['123456789012'],
    },
    'DescribeAlarms': {'MetricAlarms': [METRIC_ALARM], 'CompositeAlarms': [COMPOSITE_ALARM],
                       'NextToken': 'more'},
    'DescribeAlarmHistory': {'AlarmHistoryItems': [
        {'AlarmName': 'high-cpu', 'AlarmType': 'MetricAlarm', 'Timestamp': _minute(7),
         'HistoryItemType': 'StateUpdate', 'HistorySummary': 'Alarm updated from OK to ALARM',
         'HistoryData': '{"oldState":{"stateValue":"OK"}}'}], 'NextToken': 'x'},
}


def _round_trip(protocol, operation, result):
    if protocol == 'query':
        body = query.serialize_response(operation, result, bh.REQUEST_ID)
    else:
        body = json_protocol.serialize_response(operation, result)
    return bh.parse_response(protocol, operation, body)


@pytest.mark.parametrize('protocol', ['query', 'json'])
@pytest.mark.parametrize('operation', sorted(RESPONSES))
def test_botocore_reads_back_our_responses(protocol, operation):
    assert _round_trip(protocol, operation, RESPONSES[operation]) == RESPONSES[operation]


@pytest.mark.parametrize('protocol', ['query', 'json'])
@pytest.mark.parametrize('operation', sorted(model.operation_names()))
def test_every_operation_with_every_member(protocol, operation):
    shape = bh.operation_model(operation).output_shape
    result = bh.Sampler().sample(shape) if shape is not None else {}
    assert _round_trip(protocol, operation, result) == result


def test_every_alarm_field_is_covered():
    shapes = bh.service_model()
    assert set(METRIC_ALARM) | {'EvaluationWindow', 'WarmUpConfiguration', 'EvaluationCriteria',
                                'EvaluationInterval', 'ActionConfiguration'} == set(
        shapes.shape_for('MetricAlarm').members)
    assert set(COMPOSITE_ALARM) | {'ActionConfiguration'} == set(
        shapes.shape_for('CompositeAlarm').members)


def test_query_xml_layout():
    result = {'Label': 'L', 'Datapoints': [{'Timestamp': T0, 'Average': 1.0, 'Sum': None}]}
    body = query.serialize_response('GetMetricStatistics', result, 'rid<1>')
    assert body == (
        b'<GetMetricStatisticsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">'
        b'<GetMetricStatisticsResult><Label>L</Label><Datapoints><member>'
        b'<Timestamp>2026-11-23T10:00:00Z</Timestamp><Average>1.0</Average>'
        b'</member></Datapoints></GetMetricStatisticsResult>'
        b'<ResponseMetadata><RequestId>rid&lt;1&gt;</RequestId></ResponseMetadata>'
        b'</GetMetricStatisticsResponse>')


def test_operation_without_output():
    body = query.serialize_response('PutMetricData', None, bh.REQUEST_ID)
    root = ET.fromstring(body)
    assert root.tag == NS + 'PutMetricDataResponse'
    assert [child.tag for child in root] == [NS + 'ResponseMetadata']
    assert bh.parse_query_metadata('PutMetricData', body)['RequestId'] == bh.REQUEST_ID
    assert bh.parse_response('query', 'PutMetricData', body) == {}
    assert json_protocol.serialize_response('PutMetricData', None) == b'{}'


@pytest.mark.parametrize('stamp', [
    T0, T0.replace(tzinfo=None), T0.timestamp(), int(T0.timestamp()), '2026-11-23T10:00:00Z',
    T0.astimezone(datetime.timezone(datetime.timedelta(hours=-5))),
])
def test_timestamp_inputs(stamp):
    result = {'Datapoints': [{'Timestamp': stamp, 'SampleCount': 1}]}
    xml = query.serialize_response('GetMetricStatistics', result, 'r')
    assert b'<Timestamp>2026-11-23T10:00:00Z</Timestamp>' in xml
    assert b'<SampleCount>1.0</SampleCount>' in xml
    data = json.loads(json_protocol.serialize_response('GetMetricStatistics', result))
    assert data == {'Datapoints': [{'Timestamp': T0.timestamp(), 'SampleCount': 1.0}]}


def test_fractional_timestamps_keep_their_milliseconds():
    stamp = T0 + datetime.timedelta(milliseconds=250)
    assert query.format_timestamp(stamp) == '2026-11-23T10:00:00.250Z'
    assert query.format_timestamp(T0) == '2026-11-23T10:00:00Z'


def test_timestamps_keep_milliseconds():
    stamp = datetime.datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=UTC)
    xml = query.serialize_response('DescribeAlarmHistory', {'AlarmHistoryItems': [
        {'Timestamp': stamp}]}, 'r')
    assert b'<Timestamp>2026-11-23T10:00:00.123Z</Timestamp>' in xml


def test_unknown_result_members_and_none_are_dropped():
    result = {'Label': None, 'Datapoints': [{'Average': 2.0, 'Bogus': 1}], 'Extra': 'x'}
    expected = {'Datapoints': [{'Average': 2.0}]}
    assert _round_trip('query', 'GetMetricStatistics', result) == expected
    assert _round_trip('json', 'GetMetricStatistics', result) == expected


def test_control_characters_still_give_well_formed_xml():
    result = {'Metrics': [{'MetricName': 'a\x00b\x1fc\r\nd\ufffe\ud800\t'}]}
    parsed = _round_trip('query', 'ListMetrics', result)
    assert parsed == {'Metrics': [{'MetricName': 'a\ufffdb\ufffdc\r\nd\ufffd\ufffd\t'}]}


def test_lone_surrogates_in_json_output():
    # json.loads accepts '\\ud800' in requests, so it can come back out.
    result = {'Metrics': [{'MetricName': 'a\ud800'}]}
    assert _round_trip('json', 'ListMetrics', result) == result


def test_large_statistics_answer():
    datapoints = [{'Timestamp': _minute(index), 'Average': index / 3, 'Unit': 'Count'}
                  for index in range(1440)]
    result = {'Label': 'm', 'Datapoints': datapoints}
    assert _round_trip('query', 'GetMetricStatistics', result) == result
    assert _round_trip('json', 'GetMetricStatistics', result) == result


@pytest.mark.parametrize('data', [
    {'Datapoints': [{'Timestamp': 1795000000.25, 'Average': 1 / 3, 'Sum': 0.1 + 0.2,
                     'Minimum': -0.0, 'Maximum': 123456.0, 'Unit': 'Count'}],
     'Label': 'cpu'},
    {'Values': [0.5, 100.0, 2**52 + 0.5, 1e15, 0.0001], 'Flag': True, 'Missing': None},
    {'Text': 'tab\t "quote" back\\slash \x01', 'Numbers': [0, -1, 2**63 - 1]},
])
def test_json_encoding_of_ascii_answers_is_what_json_dumps_writes(data):
    assert json_protocol.encode_json(data) == json.dumps(data, separators=(',', ':')).encode()


@pytest.mark.parametrize('data', [
    {'Label': 'caf\u00e9 \u2603 \U0001f600'},  # non-ASCII: escaped, as before
    {'Label': 'a\ud800'},  # a lone surrogate (orjson refuses it)
    {'Count': 2**70},  # beyond 64 bits (orjson refuses it)
])
def test_json_encoding_falls_back_to_the_json_module(data):
    body = json_protocol.encode_json(data)
    assert body == json.dumps(data, separators=(',', ':')).encode('ascii')
    assert json.loads(body) == data


def test_json_encoding_of_large_and_small_doubles_reads_back_equal():
    data = {'Values': [1e16, 1.5e-7, 1e300, -2.5e-300, 5e-324]}
    assert json.loads(json_protocol.encode_json(data)) == data


@pytest.mark.parametrize('value', [datetime.datetime(2026, 1, 1), object()])
def test_json_encoding_refuses_what_json_dumps_refuses(value):
    with pytest.raises(TypeError):
        json_protocol.encode_json({'Value': value})


def test_non_finite_doubles_and_offset_timestamps_in_json_answers():
    east = datetime.timezone(datetime.timedelta(hours=2))
    result = {'Datapoints': [
        {'Timestamp': T0.astimezone(east), 'Average': math.inf, 'Sum': -math.inf,
         'Minimum': math.nan, 'Maximum': 3, 'SampleCount': 1.5}]}
    data = json.loads(json_protocol.serialize_response('GetMetricStatistics', result))
    assert data == {'Datapoints': [
        {'Timestamp': T0.timestamp(), 'Average': 'Infinity', 'Sum': '-Infinity',
         'Minimum': 'NaN', 'Maximum': 3.0, 'SampleCount': 1.5}]}
