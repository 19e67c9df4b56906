"""AWS::IAM::User and AWS::IAM::AccessKey on heat-watch-all's services in
this process: the key is a real credential of the stack's project, scoped to
what the stack's instances do (PutMetricData works through the CloudWatch
API, other actions are refused); its secret is sealed in the orchestration
database; deleting the stack deletes the key."""

import json
import uuid

import botocore.exceptions
import pytest

from heat_watch.common import context
from heat_watch.identity import rpcapi as identity_rpcapi
from heat_watch.orchestration.storage import database
from heat_watch.orchestration.storage.resources import ResourceStore
from heat_watch.tests import clients, services
from heat_watch.tests.functional.orchestration import support

TEMPLATE = {'AWSTemplateFormatVersion': '2010-09-09', 'Resources': {
    'user': {'Type': 'AWS::IAM::User', 'Properties': {'Policies': []}},
    'key': {'Type': 'AWS::IAM::AccessKey', 'Properties': {'UserName': {'Ref': 'user'}}}},
    'Outputs': {'access': {'Value': {'Ref': 'key'}},
                'secret': {'Value': {'Fn::GetAtt': ['key', 'SecretAccessKey']}},
                'user': {'Value': {'Fn::GetAtt': ['key', 'UserName']}},
                'user_ref': {'Value': {'Ref': 'user'}}}}


@pytest.fixture(scope='module')
def running(tmp_path_factory):
    state = str(tmp_path_factory.mktemp('iam-state'))
    # No credential cache in the CloudWatch API: the deleted key's refusal
    # is seen at once (it lasts credential_cache_ttl otherwise).
    with services.deployment(state, **{'orchestration.compute_driver': 'fake',
                                       'cloudwatch_api.credential_cache_ttl': 0}) as dep:
        yield dep


def test_an_access_key_pushes_metrics_only_and_goes_with_the_stack(running):
    ctxt = context.RequestContext(project_id='iam-%s' % uuid.uuid4().hex[:8], user_id='u')
    client = running.orchestrator_client()
    stack_id = support.created_stack(client, ctxt, 'iam', TEMPLATE)['id']

    def output(key):
        return client.show_output(ctxt, stack_id, key)['output_value']

    access, secret = output('access'), output('secret')
    assert output('user') == output('user_ref') and access and secret
    stored = ResourceStore(database.DATABASE.get_engine(running.conf)).get(stack_id, 'key')
    assert secret not in json.dumps(stored.data)
    assert '__sealed__' in json.dumps(stored.data['secret_encrypted'])

    cloudwatch = clients.boto3_client(running.endpoint, access, secret)
    cloudwatch.put_metric_data(Namespace='Test/IAM', MetricData=[
        {'MetricName': 'm', 'Value': 1.0}])
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        cloudwatch.describe_alarms()
    assert refused.value.response['ResponseMetadata']['HTTPStatusCode'] in (400, 403)

    identity = identity_rpcapi.IdentityClient(running.conf)
    assert [c.access for c in identity.list_credentials(ctxt, stack_id=stack_id)] == [access]
    client.delete_stack(ctxt, stack_id)
    support.wait_for(lambda: not [s for s in client.list_stacks(ctxt) if s['id'] == stack_id])
    assert identity.list_credentials(ctxt, stack_id=stack_id) == []
    with pytest.raises(botocore.exceptions.ClientError):
        cloudwatch.put_metric_data(Namespace='Test/IAM', MetricData=[
            {'MetricName': 'm', 'Value': 2.0}])
