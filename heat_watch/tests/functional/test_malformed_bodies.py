"""Deeply nested JSON and text that is not UTF-8, through the real API:
400 in the protocol's format, nothing stored, never a 500."""

import json
import urllib.parse

import pytest

from heat_watch.cloudwatch.protocol import json_protocol
from heat_watch.tests.functional import support

NS = '{%s}' % support.XML_NAMESPACE
OPERATIONS = ['PutMetricData', 'ListMetrics', 'GetMetricData', 'GetMetricStatistics',
              'PutMetricAlarm', 'DescribeAlarms', 'DeleteAlarms']


def _json(deployment, tenant, operation: str, body: bytes):
    return support.signed_request(
        deployment.endpoint, tenant.access, tenant.secret, body=body,
        headers={'Content-Type': support.JSON_TYPE,
                 'X-Amz-Target': support.TARGET_PREFIX + operation})


def _query(deployment, tenant, body: str):
    return support.signed_request(deployment.endpoint, tenant.access, tenant.secret,
                                  body=body, headers={'Content-Type': support.FORM_TYPE})


@pytest.mark.parametrize('operation', OPERATIONS)
def test_a_thousand_levels_of_nesting_is_a_serialization_exception(deployment, tenant_a,
                                                                   operation):
    response = _json(deployment, tenant_a, operation, b'{"a":' * 1000 + b'1' + b'}' * 1000)
    assert response.status_code == 400, response.text
    assert 'SerializationException' in json.loads(response.content)['__type']
    assert response.headers['x-amzn-query-error'] == 'SerializationException;Sender'


def test_nesting_one_past_the_limit_in_a_valid_put_is_refused_and_nothing_stored(
        deployment, tenant_a, namespace):
    extra = '[' * json_protocol.MAX_DEPTH + ']' * json_protocol.MAX_DEPTH
    body = ('{"Namespace":"%s","MetricData":[{"MetricName":"m","Value":1}],"Extra":%s}'
            % (namespace, extra)).encode()
    response = _json(deployment, tenant_a, 'PutMetricData', body)
    assert response.status_code == 400, response.text
    assert 'deeper than %d levels' % json_protocol.MAX_DEPTH in response.text
    assert tenant_a.json.list_metrics(Namespace=namespace)['Metrics'] == []


def test_invalid_utf8_in_a_query_parameter_is_refused_and_nothing_stored(
        deployment, tenant_a, namespace):
    bad = namespace + '%ff%feNS'
    body = ('Action=PutMetricData&Version=2010-08-01&Namespace=%s'
            '&MetricData.member.1.MetricName=m&MetricData.member.1.Value=1' % bad)
    response = _query(deployment, tenant_a, body)
    assert response.status_code == 400, response.text
    assert support.xml_error(response) == (NS + 'ErrorResponse', 'InvalidParameterValue')
    assert 'The parameter Namespace is not valid UTF-8 text.' in response.text
    listed = tenant_a.json.list_metrics()['Metrics']
    assert not [m for m in listed if m['Namespace'].startswith(namespace)]


def test_invalid_utf8_in_a_parameter_name_or_a_get_query_string_is_refused(deployment,
                                                                          tenant_a):
    body = 'Action=ListMetrics&Version=2010-08-01&Name%ff=1'
    response = _query(deployment, tenant_a, body)
    assert response.status_code == 400
    assert 'The parameter Name? is not valid UTF-8 text.' in response.text
    response = support.signed_request(
        deployment.endpoint, tenant_a.access, tenant_a.secret, method='GET',
        params={'Action': 'ListMetrics', 'Version': '2010-08-01',
                'Namespace': b'Bad\xff\xfeNS'})
    assert response.status_code == 400
    assert support.xml_error(response)[1] == 'InvalidParameterValue'


def test_valid_utf8_in_a_query_parameter_is_stored_as_sent(deployment, tenant_a, namespace):
    name = namespace + '/été'
    body = urllib.parse.urlencode({
        'Action': 'PutMetricData', 'Version': '2010-08-01', 'Namespace': name,
        'MetricData.member.1.MetricName': 'm', 'MetricData.member.1.Value': '1'})
    assert _query(deployment, tenant_a, body).status_code == 200
    listed = tenant_a.json.list_metrics(Namespace=name)['Metrics']
    assert [m['Namespace'] for m in listed] == [name]


def test_invalid_utf8_in_a_json_body_is_refused_too(deployment, tenant_a, namespace):
    body = ('{"Namespace":"%s","MetricData":[{"MetricName":"m","Value":1}]}'
            % namespace).encode().replace(b'"m"', b'"m\xff\xfe"')
    response = _json(deployment, tenant_a, 'PutMetricData', body)
    assert response.status_code == 400
    assert 'SerializationException' in json.loads(response.content)['__type']
    assert tenant_a.json.list_metrics(Namespace=namespace)['Metrics'] == []
