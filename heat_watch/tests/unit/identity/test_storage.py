"""The credential store: secrets encrypted, scopes kept, per-stack deletion,
and the identity RPC endpoint's project checks."""

import oslo_messaging as messaging
import pytest
import sqlalchemy as sa
from cryptography import fernet

from heat_watch.common import context, crypto, exceptions
from heat_watch.identity import manager, model
from heat_watch.identity import storage as credential_storage


class _Box(crypto.SecretBox):
    def __init__(self):  # noqa: D107 - a key of its own, no configuration
        self._fernet = fernet.MultiFernet([fernet.Fernet(fernet.Fernet.generate_key())])


@pytest.fixture
def store(watch_engine):
    return credential_storage.CredentialStore(watch_engine, _Box())


def _refused(kind: type, call, *args, **kwargs) -> None:
    """``call`` raises ``kind`` (which the RPC endpoint hands the caller)."""
    with pytest.raises(messaging.ExpectedException) as raised:
        call(*args, **kwargs)
    assert isinstance(raised.value.exc_info[1], kind)


def _ctx(project: str | None = None, admin: bool = False) -> context.RequestContext:
    return context.RequestContext(project_id=project, is_admin=admin)


def test_the_secret_is_stored_encrypted_and_given_once(store, watch_engine):
    credential, secret = store.create('p1', 'u1', 'mine')
    with watch_engine.connect() as conn:
        stored = conn.execute(sa.text('SELECT * FROM credentials')).mappings().one()
    assert secret not in str(dict(stored))
    assert store._secret_box().decrypt(store.get(credential.access).secret_encrypted) == secret


def test_a_scope_is_kept_and_listed(store):
    scope = model.Scope(operations=(model.PUT_METRIC_DATA,), stack_id='s1')
    credential, _ = store.create('p1', scope=scope)
    assert store.get(credential.access).scope == scope
    assert [c.access for c in store.list(stack_id='s1')] == [credential.access]
    assert store.list(project_id='p2') == []


def test_deleting_a_stack_deletes_only_its_credentials(store):
    mine, _ = store.create('p1', scope=model.Scope(stack_id='s1'))
    other_stack, _ = store.create('p1', scope=model.Scope(stack_id='s2'))
    users, _ = store.create('p1')
    assert store.delete_stack_credentials('p1', 's1') == 1
    assert {c.access for c in store.list()} == {other_stack.access, users.access}
    with pytest.raises(exceptions.CredentialNotFound):
        store.get(mine.access)


def test_a_store_without_a_key_refuses_to_create(watch_engine):
    with pytest.raises(exceptions.ConfigurationError):
        credential_storage.CredentialStore(watch_engine).create('p1')


def test_a_project_never_reads_lists_or_deletes_another_projects_credentials(store):
    endpoint = manager.IdentityManager(store)
    theirs = endpoint.create_credential(_ctx(admin=True), project_id='p2')
    _refused(exceptions.CredentialNotFound, endpoint.get_credential, _ctx('p1'),
             theirs['access'])
    assert endpoint.list_credentials(_ctx('p1'), project_id=None) == []
    _refused(exceptions.Forbidden, endpoint.list_credentials, _ctx('p1'), project_id='p2')
    _refused(exceptions.CredentialNotFound, endpoint.delete_credential, _ctx('p1'),
             theirs['access'])
    _refused(exceptions.Forbidden, endpoint.create_credential, _ctx('p1'), project_id='p2')
    assert endpoint.get_credential(_ctx('p2'), theirs['access'])['project_id'] == 'p2'


def test_a_project_creates_scoped_credentials_of_its_own_project(store):
    endpoint = manager.IdentityManager(store)
    scope = model.Scope(operations=model.INSTANCE_OPERATIONS, stack_id='s1')
    wire = endpoint.create_credential(_ctx('p1'), project_id='p1', scope=scope.to_json())
    assert model.Credential.from_wire(wire).scope == scope
    assert wire['secret_encrypted']
    assert endpoint.delete_stack_credentials(_ctx('p1'), 's1') == 1
