"""Scoped credentials made over the identity RPC API, enforced by the
CloudWatch API in both protocols."""

import botocore.exceptions
import pytest

from heat_watch.common import context, crypto
from heat_watch.identity import model, rpcapi
from heat_watch.tests import clients

PUT_ONLY = model.Scope(operations=(model.PUT_METRIC_DATA,))


@pytest.fixture(scope='module')
def identity(deployment):
    return rpcapi.IdentityClient(deployment.conf)


def _clients(deployment, credential: model.Credential, botocore_data: str) -> list:
    secret = crypto.SecretBox(deployment.conf).decrypt(credential.secret_encrypted)
    return [clients.boto3_client(deployment.endpoint, credential.access, secret),
            clients.query_client(deployment.endpoint, credential.access, secret,
                                 botocore_data)]


def test_a_put_only_credential_puts_and_is_refused_everything_else(deployment, identity,
                                                                  botocore_data):
    ctxt = context.RequestContext(project_id='scoped-project')
    credential = identity.create_credential(ctxt, 'scoped-project', scope=PUT_ONLY)
    assert credential.scope == PUT_ONLY
    for client in _clients(deployment, credential, botocore_data):
        client.put_metric_data(Namespace='Scoped', MetricData=[
            {'MetricName': 'cpu', 'Value': 1.0}])
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            client.list_metrics(Namespace='Scoped')
        assert raised.value.response['Error']['Code'] == 'AccessDenied'
        assert raised.value.response['ResponseMetadata']['HTTPStatusCode'] == 403
        assert 'ListMetrics' in raised.value.response['Error']['Message']


def test_a_credential_deleted_with_its_stack_is_refused(deployment, identity, botocore_data):
    ctxt = context.RequestContext(project_id='stack-project')
    scope = model.Scope(operations=model.INSTANCE_OPERATIONS, stack_id='stack-9')
    credential = identity.create_credential(ctxt, 'stack-project', scope=scope)
    listed = identity.list_credentials(ctxt, stack_id='stack-9')
    assert [c.access for c in listed] == [credential.access]
    assert all(c.secret_encrypted == '' for c in listed)
    # Never used, so not in the API's credential cache: refused at once.
    client = _clients(deployment, credential, botocore_data)[0]
    assert identity.delete_stack_credentials(ctxt, 'stack-9') == 1
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client.put_metric_data(Namespace='Scoped', MetricData=[
            {'MetricName': 'cpu', 'Value': 1.0}])
    assert raised.value.response['Error']['Code'] == 'InvalidClientTokenId'


def test_a_project_cannot_make_credentials_for_another(deployment, identity):
    from heat_watch.common import exceptions
    with pytest.raises(exceptions.Forbidden):
        identity.create_credential(context.RequestContext(project_id='a'), 'b')
