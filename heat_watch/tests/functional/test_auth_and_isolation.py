"""Signature checks as clients see them, and projects that never see each
other's metrics."""

import datetime
import json
import urllib.parse

import pytest
import requests

from heat_watch.tests import clients
from heat_watch.tests.functional import support

HOUR = datetime.timedelta(hours=1)
PUT = {'Namespace': 'Functional/Auth', 'MetricData': [{'MetricName': 'm', 'Value': 1.0}]}


@pytest.fixture
def wrong_secret(deployment, tenant_a, botocore_data):
    secret = tenant_a.secret[:-1] + ('x' if tenant_a.secret[-1] != 'x' else 'y')
    return {'json': clients.boto3_client(deployment.endpoint, tenant_a.access, secret),
            'query': clients.query_client(deployment.endpoint, tenant_a.access, secret,
                                          botocore_data),
            'boto2': clients.boto2_connection(deployment.endpoint, tenant_a.access, secret)}


@pytest.fixture
def unknown_key(deployment, botocore_data):
    access, secret = 'AKIDNOSUCHKEY0000000', 'not-a-secret-of-anyone'
    return {'json': clients.boto3_client(deployment.endpoint, access, secret),
            'query': clients.query_client(deployment.endpoint, access, secret, botocore_data),
            'boto2': clients.boto2_connection(deployment.endpoint, access, secret)}


@pytest.mark.parametrize('protocol', ['json', 'query'])
def test_wrong_secret_is_signature_does_not_match(wrong_secret, protocol):
    code, status, _ = support.aws_error(wrong_secret[protocol].put_metric_data, **PUT)
    assert (code, status) == ('SignatureDoesNotMatch', 403)


def test_wrong_secret_is_signature_does_not_match_for_boto2(wrong_secret):
    code, status = support.boto2_error(wrong_secret['boto2'].list_metrics)
    assert (code, status) == ('SignatureDoesNotMatch', 403)


@pytest.mark.parametrize('protocol', ['json', 'query'])
def test_unknown_access_key_is_invalid_client_token_id(unknown_key, protocol):
    code, status, _ = support.aws_error(unknown_key[protocol].list_metrics)
    assert (code, status) == ('InvalidClientTokenId', 403)


def test_unknown_access_key_is_invalid_client_token_id_for_boto2(unknown_key):
    code, status = support.boto2_error(unknown_key['boto2'].put_metric_data,
                                       'Functional/Auth', 'm', 1.0)
    assert (code, status) == ('InvalidClientTokenId', 403)


def test_unsigned_query_post_is_missing_authentication_token(deployment):
    body = urllib.parse.urlencode({'Action': 'ListMetrics', 'Version': '2010-08-01'})
    response = requests.post(deployment.endpoint, data=body,
                             headers={'Content-Type': support.FORM_TYPE}, timeout=30)
    assert response.status_code == 403
    assert response.headers['Content-Type'].startswith('text/xml')
    tag, code = support.xml_error(response)
    assert tag == '{%s}ErrorResponse' % support.XML_NAMESPACE
    assert code == 'MissingAuthenticationToken'


def test_unsigned_query_get_is_missing_authentication_token(deployment):
    response = requests.get(deployment.endpoint, params={'Action': 'ListMetrics'}, timeout=30)
    assert response.status_code == 403
    assert support.xml_error(response)[1] == 'MissingAuthenticationToken'


def test_unsigned_json_post_is_missing_authentication_token(deployment):
    response = requests.post(deployment.endpoint, data='{}', timeout=30, headers={
        'Content-Type': support.JSON_TYPE,
        'X-Amz-Target': support.TARGET_PREFIX + 'ListMetrics'})
    assert response.status_code == 403
    assert response.headers['x-amzn-query-error'].startswith('MissingAuthenticationToken;')
    assert 'MissingAuthenticationToken' in json.loads(response.content)['__type']


def test_tampered_body_is_signature_does_not_match(deployment, tenant_a):
    """The signature covers the body: one changed byte after signing is refused."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    body = urllib.parse.urlencode({'Action': 'ListMetrics', 'Version': '2010-08-01',
                                   'Namespace': 'a'})
    request = botocore.awsrequest.AWSRequest(
        method='POST', url=deployment.endpoint, data=body,
        headers={'Content-Type': support.FORM_TYPE})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(tenant_a.access, tenant_a.secret),
                            support.SIGNING_NAME, clients.REGION).add_auth(request)
    prepared = request.prepare()
    response = requests.post(prepared.url, data=body[:-1] + 'b', timeout=30,
                             headers=dict(prepared.headers))
    assert response.status_code == 403
    assert support.xml_error(response)[1] == 'SignatureDoesNotMatch'


# -- isolation between projects ---------------------------------------------------

def _put_same_metric(tenant, namespace, values):
    base = support.hour_start()
    tenant.json.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'shared', 'Value': v, 'Timestamp': base + i * support.MINUTE,
         'Dimensions': [{'Name': 'host', 'Value': 'same'}]} for i, v in enumerate(values)])
    return base


def _sum(client, namespace, base):
    points = support.statistics(client, namespace, 'shared', base, base + HOUR, period=3600,
                                dimensions=[{'Name': 'host', 'Value': 'same'}])
    return [(p['SampleCount'], p['Sum']) for p in points]


def test_project_b_never_sees_project_a_metrics(tenant_a, tenant_b, namespace):
    base = _put_same_metric(tenant_a, namespace, [1.0, 2.0, 3.0])
    for client in (tenant_b.json, tenant_b.query):
        assert client.list_metrics(Namespace=namespace)['Metrics'] == []
        assert client.list_metrics(MetricName='shared',
                                   Dimensions=[{'Name': 'host', 'Value': 'same'}])[
            'Metrics'] == []
        assert _sum(client, namespace, base) == []
        answer = client.get_metric_data(
            StartTime=base, EndTime=base + HOUR, MetricDataQueries=[{'Id': 'q', 'MetricStat': {
                'Metric': {'Namespace': namespace, 'MetricName': 'shared',
                           'Dimensions': [{'Name': 'host', 'Value': 'same'}]},
                'Period': 60, 'Stat': 'Sum'}}])
        assert answer['MetricDataResults'][0]['Values'] == []
    assert [m.name for m in tenant_b.boto2.list_metrics(namespace=namespace)] == []
    assert _sum(tenant_a.json, namespace, base) == [(3.0, 6.0)]


def test_puts_of_project_b_do_not_change_project_a_statistics(tenant_a, tenant_b, namespace):
    base = _put_same_metric(tenant_a, namespace, [1.0, 2.0])
    _put_same_metric(tenant_b, namespace, [100.0, 200.0, 300.0])
    assert _sum(tenant_a.json, namespace, base) == [(2.0, 3.0)]
    assert _sum(tenant_b.query, namespace, base) == [(3.0, 600.0)]
    assert len(tenant_a.json.list_metrics(Namespace=namespace)['Metrics']) == 1
    assert len(tenant_b.json.list_metrics(Namespace=namespace)['Metrics']) == 1


def test_next_token_of_project_a_shows_project_b_nothing_of_a(tenant_a, tenant_b, namespace):
    tenant_a.json.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'm%03d' % i, 'Value': 1.0} for i in range(501)])
    token = tenant_a.json.list_metrics(Namespace=namespace)['NextToken']
    answer = tenant_b.json.list_metrics(Namespace=namespace, NextToken=token)
    assert answer['Metrics'] == []
