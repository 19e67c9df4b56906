"""Credential scopes: which operations a credential may perform."""

import pytest

from heat_watch.identity import model

PUT = model.PUT_METRIC_DATA
INSTANCE = model.Scope(operations=model.INSTANCE_OPERATIONS, stack_id='stack-1')


@pytest.mark.parametrize('scope, operation, stack_id, allowed', [
    (model.UNRESTRICTED, 'cloudwatch:ListMetrics', None, True),
    (model.UNRESTRICTED, model.SIGNAL, 'any-stack', True),
    (model.Scope(operations=(PUT,)), PUT, None, True),
    (model.Scope(operations=(PUT,)), 'cloudwatch:ListMetrics', None, False),
    (model.Scope(operations=(PUT,)), 'cloudwatch:DeleteAlarms', None, False),
    (INSTANCE, PUT, None, True),
    (INSTANCE, model.SIGNAL, 'stack-1', True),
    (INSTANCE, model.READ_METADATA, 'stack-1', True),
    (INSTANCE, model.SIGNAL, 'stack-2', False),
    (INSTANCE, model.SIGNAL, None, False),
    (INSTANCE, 'cloudwatch:PutMetricAlarm', None, False),
    (model.Scope(stack_id='stack-1'), 'cloudwatch:ListMetrics', None, True),
    (model.Scope(stack_id='stack-1'), model.SIGNAL, 'stack-2', False),
    (model.Scope(operations=()), PUT, None, False),
])
def test_a_scope_allows_only_its_operations_on_its_stack(scope, operation, stack_id, allowed):
    assert scope.allows(operation, stack_id) is allowed


@pytest.mark.parametrize('scope', [model.UNRESTRICTED, INSTANCE,
                                   model.Scope(operations=(PUT,)),
                                   model.Scope(operations=()),
                                   model.Scope(stack_id='s')])
def test_a_scope_survives_its_stored_form(scope):
    assert model.Scope.from_json(scope.to_json()) == scope


def test_an_unrestricted_scope_is_stored_as_nothing():
    assert model.UNRESTRICTED.to_json() is None
    assert model.Scope.from_json(None) == model.UNRESTRICTED


def test_a_credential_crosses_rpc_without_its_secret_unless_asked():
    credential = model.Credential(access='a', project_id='p', user_id=None,
                                  description=None, created_at=1, scope=INSTANCE,
                                  secret_encrypted='token')
    assert 'secret_encrypted' not in credential.to_wire()
    assert model.Credential.from_wire(credential.to_wire(with_secret=True)) == credential
    assert 'token' not in repr(credential)
