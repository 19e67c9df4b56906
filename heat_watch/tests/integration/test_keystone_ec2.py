"""The CloudWatch API's Keystone backend: boto3 signs with EC2 credentials
made through Keystone's API, the API verifies them through Keystone's
/v3/ec2tokens, and the data lands in the Keystone project (visible through
the REST API with that project's token)."""

import datetime

import botocore.exceptions
import pytest
import requests

from heat_watch.tests import clients, services
from heat_watch.tests.functional.api.conftest import query, unique


@pytest.fixture(scope='module')
def accounts(keystone):
    suffix = unique('ec2')
    return {
        'service': keystone.account('svc-' + suffix, 'service-' + suffix, role='service'),
        'a': keystone.account('carol-' + suffix, 'proj-c-' + suffix),
        'b': keystone.account('dave-' + suffix, 'proj-d-' + suffix),
    }


@pytest.fixture(scope='module')
def deployment(keystone, accounts, tmp_path_factory):
    """Both APIs of heat-watch-all authenticating with the real Keystone."""
    state = tmp_path_factory.mktemp('keystone-ec2')
    config = state / 'heat_watch.conf'
    config.write_text(keystone.authtoken_config(accounts['service']))
    with services.deployment(str(state), [str(config)], **{
            'api.auth_strategy': 'keystone',
            'cloudwatch_api.auth_backend': 'keystone'}) as running:
        yield running


def _metric_data(name: str, value: float) -> list[dict]:
    return [{'MetricName': name, 'Value': value, 'Unit': 'Count',
             'Timestamp': datetime.datetime.now(datetime.UTC),
             'Dimensions': [{'Name': 'ResourceId', 'Value': 'vm-1'}]}]


def test_keystone_ec2_credentials_sign_cloudwatch_requests(deployment, keystone, accounts):
    access, secret = keystone.ec2_credentials(accounts['a'])
    cloudwatch = clients.boto3_client(deployment.endpoint, access, secret)
    name = unique('Requests')
    cloudwatch.put_metric_data(Namespace='openstack', MetricData=_metric_data(name, 7.0))
    listed = cloudwatch.list_metrics(Namespace='openstack', MetricName=name)['Metrics']
    assert [m['MetricName'] for m in listed] == [name]
    # The datum belongs to the Keystone project of the credentials.
    token = keystone.account_token(accounts['a'])
    samples = requests.get(deployment.rest_endpoint + '/v2/meters/%s' % name,
                           headers={'X-Auth-Token': token}, timeout=30).json()
    assert [(s['project_id'], s['counter_volume']) for s in samples] == [
        (accounts['a'].project_id, 7.0)]


def test_another_projects_credentials_see_nothing_of_it(deployment, keystone, accounts):
    access_a, secret_a = keystone.ec2_credentials(accounts['a'])
    access_b, secret_b = keystone.ec2_credentials(accounts['b'])
    name = unique('Private')
    clients.boto3_client(deployment.endpoint, access_a, secret_a).put_metric_data(
        Namespace='openstack', MetricData=_metric_data(name, 1.0))
    other = clients.boto3_client(deployment.endpoint, access_b, secret_b)
    assert other.list_metrics(MetricName=name)['Metrics'] == []
    token_b = keystone.account_token(accounts['b'])
    assert requests.get(deployment.rest_endpoint + '/v2/meters', params=query(meter=name),
                        headers={'X-Auth-Token': token_b}, timeout=30).json() == []


def test_a_wrong_secret_or_unknown_key_is_refused(deployment, keystone, accounts):
    access, _secret = keystone.ec2_credentials(accounts['a'])
    wrong = clients.boto3_client(deployment.endpoint, access, 'not-the-secret')
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        wrong.list_metrics()
    assert raised.value.response['Error']['Code'] == 'SignatureDoesNotMatch'
    unknown = clients.boto3_client(deployment.endpoint, 'AKIANOSUCHKEY0000000', 'x')
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        unknown.list_metrics()
    assert raised.value.response['Error']['Code'] == 'InvalidClientTokenId'
