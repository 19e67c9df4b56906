"""Requests serialised by botocore parse to the caller's own parameters, in
the Query protocol (old clients) and the JSON protocol (boto3) alike."""

import datetime

import pytest

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch.protocol import json_protocol, model, query
from heat_watch.tests.unit.cloudwatch.protocol import botocore_helpers as bh

UTC = datetime.UTC
T0 = datetime.datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
T1 = datetime.datetime(2026, 11, 23, 11, 30, 15, 250000, tzinfo=UTC)
DIMENSIONS = [{'Name': 'InstanceId', 'Value': 'i-0123'}, {'Name': 'Stack', 'Value': 'a&b <c>'}]

REQUESTS = {
    'PutMetricData': {
        'Namespace': 'Heat/Test',
        'MetricData': [
            {'MetricName': 'CPU', 'Dimensions': DIMENSIONS, 'Timestamp': T0,
             'Value': 12.5, 'Unit': 'Percent', 'StorageResolution': 1},
            {'MetricName': 'Latency', 'Timestamp': T1, 'Unit': 'Milliseconds',
             'Values': [1.0, 2.5, 1e-05, 3e+20], 'Counts': [10.0, 1.0, 2.0, 7.0]},
            {'MetricName': 'Requests', 'Dimensions': [], 'Unit': 'Count',
             'StatisticValues': {'SampleCount': 3.0, 'Sum': 6.0, 'Minimum': 1.0,
                                 'Maximum': 3.0}},
        ],
    },
    'GetMetricStatistics': {
        'Namespace': 'AWS/EC2', 'MetricName': 'CPUUtilization', 'Dimensions': DIMENSIONS,
        'StartTime': T0, 'EndTime': T1, 'Period': 60,
        'Statistics': ['Average', 'Maximum', 'SampleCount'],
        'ExtendedStatistics': ['p99', 'tm90'], 'Unit': 'Percent',
    },
    'GetMetricData': {
        'MetricDataQueries': [
            {'Id': 'm1', 'MetricStat': {
                'Metric': {'Namespace': 'AWS/EC2', 'MetricName': 'CPUUtilization',
                           'Dimensions': DIMENSIONS},
                'Period': 300, 'Stat': 'Average', 'Unit': 'Percent'},
             'ReturnData': False, 'Label': 'cpu'},
            {'Id': 'e1', 'Expression': 'm1 * 2', 'Label': 'double', 'ReturnData': True,
             'Period': 300},
        ],
        'StartTime': T0, 'EndTime': T1, 'NextToken': 'tok==', 'ScanBy': 'TimestampAscending',
        'MaxDatapoints': 1000, 'LabelOptions': {'Timezone': '+0130'},
    },
    'ListMetrics': {
        'Namespace': 'AWS/EC2', 'MetricName': 'CPUUtilization',
        'Dimensions': [{'Name': 'InstanceId', 'Value': 'i-1'}, {'Name': 'AutoScalingGroup'}],
        'NextToken': 'next', 'RecentlyActive': 'PT3H', 'IncludeLinkedAccounts': True,
    },
    'PutMetricAlarm': {
        'AlarmName': 'high-cpu', 'AlarmDescription': 'CPU > 80%', 'ActionsEnabled': False,
        'OKActions': ['http://example.invalid/ok'],
        'AlarmActions': ['http://example.invalid/alarm?x=1&y=2', 'arn:aws:sns:r:1:t'],
        'InsufficientDataActions': [], 'MetricName': 'CPUUtilization', 'Namespace': 'AWS/EC2',
        'Statistic': 'Average', 'Dimensions': DIMENSIONS, 'Period': 60, 'Unit': 'Percent',
        'EvaluationPeriods': 3, 'DatapointsToAlarm': 2, 'Threshold': 80.5,
        'ComparisonOperator': 'GreaterThanThreshold', 'TreatMissingData': 'breaching',
        'Tags': [{'Key': 'team', 'Value': 'heat'}, {'Key': 'env', 'Value': 'prod'}],
    },
    'DescribeAlarms': {
        'AlarmNames': ['a', 'b'], 'AlarmNamePrefix': 'x', 'AlarmTypes': ['MetricAlarm'],
        'StateValue': 'ALARM', 'ActionPrefix': 'arn:', 'MaxRecords': 50, 'NextToken': 't',
    },
    'SetAlarmState': {
        'AlarmName': 'high-cpu', 'StateValue': 'OK', 'StateReason': 'manual',
        'StateReasonData': '{"version": "1.0", "x": [1, 2]}',
    },
}


def _both(operation, params):
    from_query = query.parse_params(operation, bh.query_params(operation, params))
    body, _ = bh.json_request(operation, params)
    from_json = json_protocol.parse_body(operation, body)
    return from_query, from_json


@pytest.mark.parametrize('operation', sorted(REQUESTS))
def test_botocore_requests_parse_to_the_original_params(operation):
    params = REQUESTS[operation]
    from_query, from_json = _both(operation, params)
    assert from_query == params
    assert from_json == params


def test_types_are_converted():
    from_query, from_json = _both('PutMetricData', REQUESTS['PutMetricData'])
    for parsed in (from_query, from_json):
        first, second, _ = parsed['MetricData']
        assert type(first['StorageResolution']) is int
        assert type(first['Value']) is float
        assert first['Timestamp'].tzinfo is UTC
        assert all(type(value) is float for value in second['Values'])


def test_integral_doubles_become_floats():
    params = {'Namespace': 'n', 'MetricData': [{'MetricName': 'm', 'Value': 5}]}
    from_query, from_json = _both('PutMetricData', params)
    assert from_query == from_json == params
    assert type(from_query['MetricData'][0]['Value']) is float
    assert type(from_json['MetricData'][0]['Value']) is float


def test_maps_parse_in_both_protocols():
    params = {'Namespace': 'n', 'StrictEntityValidation': True, 'EntityMetricData': [{
        'Entity': {'KeyAttributes': {'Type': 'Service', 'Name': 'api', 'Environment': 'x'},
                   'Attributes': {'a.b': 'c', 'PlatformType': 'Generic'}},
        'MetricData': [{'MetricName': 'm', 'Value': 1.0}]}]}
    from_query, from_json = _both('PutMetricData', params)
    assert from_query == from_json == params


@pytest.mark.parametrize('operation', sorted(model.operation_names()))
def test_every_operation_with_every_member(operation):
    """Whatever botocore can send, both codecs read back the same."""
    shape = bh.operation_model(operation).input_shape
    params = bh.Sampler().sample(shape) if shape is not None else {}
    from_query, from_json = _both(operation, params)
    assert from_query == params
    assert from_json == params


def test_action_version_auth_and_unknown_params_are_ignored():
    params = {'Action': 'ListMetrics', 'Version': '2010-08-01', 'AWSAccessKeyId': 'AK',
              'SignatureVersion': '2', 'SignatureMethod': 'HmacSHA256', 'Signature': 's',
              'Timestamp': '2026-11-23T10:00:00Z', 'Bogus.member.1': 'x',
              'Namespace': 'ns', 'Dimensions.member.1.Name': 'a', 'Dimensions.member.1.X': 'y'}
    assert query.parse_params('ListMetrics', params) == {
        'Namespace': 'ns', 'Dimensions': [{'Name': 'a'}]}


def test_query_list_gaps_are_ordered_by_number():
    params = {'Namespace': 'n', 'MetricData.member.10.MetricName': 'ten',
              'MetricData.member.2.MetricName': 'two', 'MetricData.member.7.MetricName': 'seven',
              'MetricData.member.7.Values.member.3': '3',
              'MetricData.member.7.Values.member.1': '1'}
    parsed = query.parse_params('PutMetricData', params)
    assert [datum['MetricName'] for datum in parsed['MetricData']] == ['two', 'seven', 'ten']
    assert parsed['MetricData'][1]['Values'] == [1.0, 3.0]


@pytest.mark.parametrize('text', [
    '2026-11-23T10:00:00Z', '2026-11-23T10:00:00', '2026-11-23T10:00:00.000Z',
    '2026-11-23T10:00:00.000000Z', '2026-11-23T12:00:00+02:00', '2026-11-23T05:00:00-0500',
    '1795428000', '1795428000.0', ' 2026-11-23T10:00:00Z ',
])
def test_query_timestamp_forms(text):
    params = {'Namespace': 'n', 'MetricName': 'm', 'StartTime': text}
    parsed = query.parse_params('GetMetricStatistics', params)
    assert parsed['StartTime'] == T0
    assert parsed['StartTime'].tzinfo is UTC


@pytest.mark.parametrize('value', [1795428000, 1795428000.0, '2026-11-23T10:00:00Z',
                                   '2026-11-23T10:00:00.000+00:00', '1795428000'])
def test_json_timestamp_forms(value):
    body = json_protocol.json.dumps({'StartTime': value}).encode()
    assert json_protocol.parse_body('GetMetricStatistics', body)['StartTime'] == T0


@pytest.mark.parametrize('text, expected', [('true', True), ('TRUE', True), ('False', False)])
def test_query_booleans_are_case_insensitive(text, expected):
    parsed = query.parse_params('ListMetrics', {'IncludeLinkedAccounts': text})
    assert parsed == {'IncludeLinkedAccounts': expected}


def test_empty_query_list_and_body():
    assert query.parse_params('DeleteAlarms', {'AlarmNames': ''}) == {'AlarmNames': []}
    assert json_protocol.parse_body('ListMetrics', b'') == {}
    assert json_protocol.parse_body('ListMetrics', b'  \n') == {}
    assert json_protocol.parse_body('ListMetrics', b'{}') == {}


def test_json_nulls_and_unknown_members_are_ignored():
    body = b'{"Namespace": null, "MetricName": "m", "Bogus": [1], "Dimensions": [null]}'
    assert json_protocol.parse_body('ListMetrics', body) == {'MetricName': 'm', 'Dimensions': []}


def test_operation_from_target():
    _, headers = bh.json_request('PutMetricData', REQUESTS['PutMetricData'])
    assert headers['Content-Type'] == json_protocol.CONTENT_TYPE
    assert json_protocol.operation_from_target(headers['X-Amz-Target']) == 'PutMetricData'


def test_missing_required():
    data = {'MetricData': [{'MetricName': 'ok'}, {'Value': 1.0, 'StatisticValues': {
        'Sum': 1.0, 'Minimum': 1.0, 'Maximum': 1.0}}]}
    assert query.missing_required('PutMetricData', data) == [
        'Namespace', 'MetricData.member.2.MetricName',
        'MetricData.member.2.StatisticValues.SampleCount']
    assert query.missing_required('PutMetricData', REQUESTS['PutMetricData']) == []
    assert query.missing_required('DescribeAlarms', {}) == []
    queries = {'MetricDataQueries': [{'Id': 'a', 'MetricStat': {'Metric': {}}}]}
    assert model.missing_required('GetMetricData', queries) == [
        'StartTime', 'EndTime', 'MetricDataQueries.member.1.MetricStat.Period',
        'MetricDataQueries.member.1.MetricStat.Stat']


@pytest.mark.parametrize('body, error, match', [
    (b'{"Namespace": "x", "MetricName": "\\ud800"}',
     errors.SerializationException, 'lone UTF-16 surrogate'),
    (b'{"Namespace": "x", "Dimensions": [{"Name": "\\udfff", "Value": "v"}]}',
     errors.SerializationException, 'lone UTF-16 surrogate'),
    (b'{"Namespace": "x", "\\ud83d": 1, "MetricName": NaN}',  # fallback parser, bad key
     errors.SerializationException, 'lone UTF-16 surrogate'),
    (b'{"Namespace": "x", "MetricName": "a\\u0000b"}', errors.InvalidParameterValue, 'NUL'),
    (b'{"Namespace": "x", "Dimensions": [{"Name": "n", "Value": "\\u0000"}]}',
     errors.InvalidParameterValue, 'NUL'),
    (b'{"Namespace": "x", "MetricName": "\\u0000", "Bad": NaN}',  # fallback parser
     errors.InvalidParameterValue, 'NUL'),
])
def test_json_strings_no_database_can_store_are_refused(body, error, match):
    with pytest.raises(error, match=match):
        json_protocol.parse_body('ListMetrics', body)


def test_json_surrogate_pairs_and_nan_still_parse():
    body = b'{"Namespace": "\\ud83d\\ude00 caf\\u00e9", "MetricName": "m"}'
    assert json_protocol.parse_body('ListMetrics', body)['Namespace'] == '\U0001f600 caf\u00e9'
    decoded = json_protocol.decode_body('PutMetricData', b'{"V": NaN, "s": "\\u00e9"}')
    assert decoded['s'] == '\u00e9'


def test_an_escaped_backslash_before_u0000_is_no_nul():
    body = b'{"Namespace": "x", "MetricName": "a\\\\u0000"}'
    assert json_protocol.parse_body('ListMetrics', body)['MetricName'] == 'a\\u0000'


def test_query_parameters_holding_nul_are_refused():
    with pytest.raises(errors.InvalidParameterValue, match='MetricName holds a NUL'):
        query.parse_params('ListMetrics', {'Namespace': 'x', 'MetricName': 'a\x00'})
    assert query.parse_params('ListMetrics', {'MetricName': 'a%00'})['MetricName'] == 'a%00'
