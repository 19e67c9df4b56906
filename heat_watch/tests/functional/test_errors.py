"""Protocol-level answers: unknown actions and targets, API versions, and the
XML namespace of Query answers (raw requests signed with botocore's SigV4)."""

import json
import xml.etree.ElementTree as ElementTree

from heat_watch.tests.functional import support

NS = '{%s}' % support.XML_NAMESPACE


def _query(deployment, tenant, params):
    return support.signed_query(deployment.endpoint, tenant.access, tenant.secret, params)


def test_unknown_query_action_is_invalid_action(deployment, tenant_a):
    response = _query(deployment, tenant_a, {'Action': 'DescribeInstances',
                                             'Version': '2010-08-01'})
    assert response.status_code == 400
    assert support.xml_error(response) == (NS + 'ErrorResponse', 'InvalidAction')


def test_query_without_action_is_a_missing_parameter(deployment, tenant_a):
    response = _query(deployment, tenant_a, {'Version': '2010-08-01'})
    assert response.status_code == 400
    assert support.xml_error(response)[1] == 'MissingParameter'


def test_other_api_version_is_rejected(deployment, tenant_a):
    response = _query(deployment, tenant_a, {'Action': 'ListMetrics', 'Version': '2009-05-15'})
    assert response.status_code == 400
    assert support.xml_error(response)[1] == 'InvalidParameterValue'


def test_unknown_json_target_is_unknown_operation(deployment, tenant_a):
    response = support.signed_json(deployment.endpoint, tenant_a.access, tenant_a.secret,
                                   support.TARGET_PREFIX + 'DescribeInstances', {})
    assert response.status_code == 400
    body = json.loads(response.content)
    assert 'UnknownOperationException' in body['__type']
    assert response.headers['Content-Type'] == support.JSON_TYPE


def test_json_target_of_another_service_is_unknown_operation(deployment, tenant_a):
    response = support.signed_json(deployment.endpoint, tenant_a.access, tenant_a.secret,
                                   'DynamoDB_20120810.ListMetrics', {})
    assert response.status_code == 400
    assert 'UnknownOperationException' in json.loads(response.content)['__type']


def test_malformed_json_body_is_a_serialization_error(deployment, tenant_a):
    response = support.signed_request(
        deployment.endpoint, tenant_a.access, tenant_a.secret, body='{"Namespace": ',
        headers={'Content-Type': support.JSON_TYPE,
                 'X-Amz-Target': support.TARGET_PREFIX + 'ListMetrics'})
    assert response.status_code == 400
    assert 'SerializationException' in json.loads(response.content)['__type']


def test_query_answers_carry_the_2010_08_01_namespace(deployment, tenant_a, namespace):
    tenant_a.json.put_metric_data(Namespace=namespace,
                                  MetricData=[{'MetricName': 'm', 'Value': 1.0}])
    response = _query(deployment, tenant_a, {'Action': 'ListMetrics', 'Version': '2010-08-01',
                                             'Namespace': namespace})
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    assert root.tag == NS + 'ListMetricsResponse'
    members = root.findall('%sListMetricsResult/%sMetrics/%smember' % (NS, NS, NS))
    assert [m.findtext(NS + 'MetricName') for m in members] == ['m']
    assert root.findtext('%sResponseMetadata/%sRequestId' % (NS, NS))


def test_query_get_request_is_served(deployment, tenant_a, namespace):
    tenant_a.json.put_metric_data(Namespace=namespace,
                                  MetricData=[{'MetricName': 'm', 'Value': 1.0}])
    response = support.signed_request(
        deployment.endpoint, tenant_a.access, tenant_a.secret, method='GET',
        params={'Action': 'ListMetrics', 'Version': '2010-08-01', 'Namespace': namespace})
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    assert [e.text for e in root.iter(NS + 'MetricName')] == ['m']


def test_error_answers_carry_the_request_id_header(lenient):
    code, status, _ = support.aws_error(lenient.list_metrics, NextToken='garbage')
    assert (code, status) == ('InvalidNextToken', 400)
    try:
        lenient.list_metrics(NextToken='garbage')
    except lenient.exceptions.ClientError as error:
        assert error.response['ResponseMetadata']['RequestId'].startswith('req-')


def test_wrong_parameter_type_is_rejected_by_both_protocols(lenient, namespace):
    base = support.hour_start()
    code, status, _ = support.aws_error(
        lenient.get_metric_statistics, Namespace=namespace, MetricName='m', StartTime=base,
        EndTime=base + support.MINUTE, Period='sixty', Statistics=['Sum'])
    assert status == 400
    assert code in ('InvalidParameterValue', 'SerializationException')


def test_a_timestamp_too_large_for_milliseconds_is_invalid_not_a_failure(deployment, tenant_a):
    response = support.signed_json(
        deployment.endpoint, tenant_a.access, tenant_a.secret,
        support.TARGET_PREFIX + 'PutMetricData',
        {'Namespace': 'App', 'MetricData': [{'MetricName': 'm', 'Value': 1, 'Timestamp': 1e303}]})
    assert response.status_code == 400
    assert 'InvalidParameterValue' in json.loads(response.content)['__type']
