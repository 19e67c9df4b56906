"""Error answers as botocore reads them, and how bad input is refused."""

import json

import pytest

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch.protocol import json_protocol, model, query
from heat_watch.tests.unit.cloudwatch.protocol import botocore_helpers as bh

NOT_A_TIMESTAMP = 'must be a timestamp (ISO 8601 or epoch seconds).'
OUT_OF_RANGE = ('The value 99999999999 for parameter MetricData.member.1.StorageResolution'
                ' is out of range.')
ATTRIBUTE = 'EntityMetricData.member.1.Entity.Attributes.entry.2.value'
ERRORS = [
    errors.InvalidParameterValue('The parameter Period must be an integer & <positive>.'),
    errors.MissingParameter('The parameter Namespace is required.'),
    errors.ResourceNotFound('Alarm x does not exist.'),
    errors.LimitExceeded('Too many alarms.'),
    errors.InvalidClientTokenId('The security token included in the request is invalid.'),
    errors.SerializationException('bad body'),
    errors.InternalFailure('oops'),
    errors.ServiceUnavailable(''),
]


def _fault(error):
    return 'Sender' if error.sender_fault else 'Receiver'


@pytest.mark.parametrize('error', ERRORS, ids=lambda error: error.code)
def test_query_errors_read_by_botocore(error):
    body = query.serialize_error(error, bh.REQUEST_ID)
    parsed = bh.parsers.create_parser('query').parse(
        {'body': body, 'headers': {}, 'status_code': error.status}, None)
    # botocore reads an empty <Message/> as None.
    assert parsed['Error'] == {'Type': _fault(error), 'Code': error.code,
                               'Message': error.message or None}
    assert parsed['ResponseMetadata']['RequestId'] == bh.REQUEST_ID
    assert parsed['ResponseMetadata']['HTTPStatusCode'] == error.status


@pytest.mark.parametrize('error', ERRORS, ids=lambda error: error.code)
def test_json_errors_read_by_botocore(error):
    body, headers = json_protocol.serialize_error(error)
    headers = {**headers, 'x-amzn-requestid': bh.REQUEST_ID}
    parsed = bh.parsers.create_parser('json').parse(
        {'body': body, 'headers': headers, 'status_code': error.status}, None)
    assert parsed['Error']['Code'] == error.code
    assert parsed['Error']['Type'] == _fault(error)
    assert parsed['Error']['Message'] == error.message
    assert parsed['ResponseMetadata']['HTTPStatusCode'] == error.status
    assert parsed['ResponseMetadata']['RequestId'] == bh.REQUEST_ID


def test_json_error_type_is_what_cloudwatch_sends():
    body, headers = json_protocol.serialize_error(errors.InvalidParameterValue('m'))
    assert json.loads(body) == {
        '__type': 'com.amazonaws.cloudwatch#InvalidParameterValueException', 'message': 'm'}
    assert headers == {'x-amzn-query-error': 'InvalidParameterValue;Sender'}
    body, _ = json_protocol.serialize_error(errors.ResourceNotFound('m'))
    assert json.loads(body)['__type'] == 'com.amazonaws.cloudwatch#ResourceNotFound'
    body, headers = json_protocol.serialize_error(errors.InternalFailure('m'))
    assert json.loads(body)['__type'] == 'InternalFailure'
    assert headers == {'x-amzn-query-error': 'InternalFailure;Receiver'}


def _query_error(operation, params):
    with pytest.raises(errors.AWSError) as caught:
        query.parse_params(operation, params)
    return caught.value


def _json_error(operation, body):
    with pytest.raises(errors.AWSError) as caught:
        json_protocol.parse_body(operation, body)
    return caught.value


@pytest.mark.parametrize('key, value, message', [
    ('MetricData.member.1.Value', 'abc',
     'The parameter MetricData.member.1.Value must be a double.'),
    ('MetricData.member.1.Value', '1_0',
     'The parameter MetricData.member.1.Value must be a double.'),
    ('MetricData.member.1.Value', 'NaN',
     'The value nan for parameter MetricData.member.1.Value is invalid.'),
    ('MetricData.member.1.Values.member.2', '-Infinity',
     'The value -inf for parameter MetricData.member.1.Values.member.2 is invalid.'),
    ('MetricData.member.1.StatisticValues.Sum', '',
     'The parameter MetricData.member.1.StatisticValues.Sum must be a double.'),
    ('MetricData.member.1.Timestamp', 'yesterday',
     f'The parameter MetricData.member.1.Timestamp {NOT_A_TIMESTAMP}'),
    ('MetricData.member.1.Timestamp', '1e300',
     f'The parameter MetricData.member.1.Timestamp {NOT_A_TIMESTAMP}'),
    ('MetricData.member.1.StorageResolution', '1.5',
     'The parameter MetricData.member.1.StorageResolution must be an integer.'),
    ('MetricData.member.1.StorageResolution', '99999999999',
     OUT_OF_RANGE),
    ('StrictEntityValidation', 'yes',
     "The parameter StrictEntityValidation must be a boolean ('true' or 'false')."),
    ('MetricData.member.x.Value', '1',
     'The parameter MetricData.member.x is not a valid item index.'),
    ('EntityMetricData.member.1.Entity.KeyAttributes.entry.1.value', 'v',
     'The parameter EntityMetricData.member.1.Entity.KeyAttributes.entry.1.key is required.'),
])
def test_bad_query_values(key, value, message):
    params = {'Namespace': 'n', 'MetricData.member.1.MetricName': 'm',
              'MetricData.member.1.Values.member.1': '1', key: value}
    error = _query_error('PutMetricData', params)
    assert isinstance(error, errors.InvalidParameterValue)
    assert error.message == message
    assert error.status == 400


def test_unknown_query_action():
    error = _query_error('Frobnicate', {'Action': 'Frobnicate'})
    assert isinstance(error, errors.InvalidAction)
    assert error.message == 'Could not find operation Frobnicate for version 2010-08-01.'


@pytest.mark.parametrize('body, error_class, message', [
    (b'{"Namespace": "n",', errors.SerializationException, 'The request body is not valid JSON.'),
    (b'\xff\xfe{', errors.SerializationException, 'The request body is not valid JSON.'),
    (b'[' * 100000, errors.SerializationException, 'The request body is not valid JSON.'),
    (b'[]', errors.SerializationException,
     'Expected an object for the request but found an array.'),
    (b'{"MetricData": "m"}', errors.SerializationException,
     'Expected an array for MetricData but found a string.'),
    (b'{"MetricData": [{"MetricName": 5}]}', errors.SerializationException,
     'Expected a string for MetricData.member.1.MetricName but found a number.'),
    (b'{"MetricData": [{}, {"Value": "1.5"}]}', errors.SerializationException,
     'Expected a number for MetricData.member.2.Value but found a string.'),
    (b'{"MetricData": [{"Value": true}]}', errors.SerializationException,
     'Expected a number for MetricData.member.1.Value but found a boolean.'),
    (b'{"MetricData": [{"StorageResolution": 1.5}]}', errors.SerializationException,
     'Expected an integer for MetricData.member.1.StorageResolution but found a number.'),
    (b'{"StrictEntityValidation": "true"}', errors.SerializationException,
     'Expected a boolean for StrictEntityValidation but found a string.'),
    (b'{"MetricData": [{"Dimensions": {"Name": "a"}}]}', errors.SerializationException,
     'Expected an array for MetricData.member.1.Dimensions but found an object.'),
    (b'{"MetricData": [{"Values": [1, 2, "NaN"]}]}', errors.InvalidParameterValue,
     'The value nan for parameter MetricData.member.1.Values.member.3 is invalid.'),
    (b'{"MetricData": [{"Timestamp": "soon"}]}', errors.InvalidParameterValue,
     f'The parameter MetricData.member.1.Timestamp {NOT_A_TIMESTAMP}'),
    (b'{"MetricData": [{"Timestamp": 1e300}]}', errors.InvalidParameterValue,
     f'The parameter MetricData.member.1.Timestamp {NOT_A_TIMESTAMP}'),
    (b'{"EntityMetricData": [{"Entity": {"Attributes": {"a": "b", "c": 1}}}]}',
     errors.SerializationException, f'Expected a string for {ATTRIBUTE} but found a number.'),
])
def test_bad_json_bodies(body, error_class, message):
    error = _json_error('PutMetricData', body)
    assert type(error) is error_class
    assert error.message == message
    assert error.status == 400


def test_json_accepts_integral_floats_for_integers():
    body = b'{"MetricData": [{"MetricName": "m", "StorageResolution": 60.0}]}'
    parsed = json_protocol.parse_body('PutMetricData', body)
    assert parsed['MetricData'][0]['StorageResolution'] == 60
    assert type(parsed['MetricData'][0]['StorageResolution']) is int


@pytest.mark.parametrize('target', [
    'GraniteServiceVersion20100801.Frobnicate', 'Other.PutMetricData', 'PutMetricData', '',
    'GraniteServiceVersion20100801.',
])
def test_unknown_targets(target):
    with pytest.raises(errors.UnknownOperationException) as caught:
        json_protocol.operation_from_target(target)
    assert caught.value.status == 400


def test_unknown_operation_body():
    with pytest.raises(errors.UnknownOperationException):
        json_protocol.parse_body('Frobnicate', b'{}')


def test_model_lookup():
    assert {'PutMetricData', 'GetMetricData', 'DescribeAlarms'} <= model.operation_names()
    assert model.output_shape('PutMetricData') is None
    assert model.input_shape('PutMetricData').members['MetricData'].type == 'list'
    assert model.result_wrapper('ListMetrics') == 'ListMetricsResult'
    with pytest.raises(KeyError):
        model.input_shape('Frobnicate')


def test_json_integer_too_big_for_a_double():
    body = b'{"MetricData": [{"Value": 1%s}]}' % (b'0' * 400)
    error = _json_error('PutMetricData', body)
    assert error.message == 'The parameter MetricData.member.1.Value must be a double.'
