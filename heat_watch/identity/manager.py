"""Server side of the identity RPC API (see rpcapi for the contract)."""

import oslo_messaging as messaging

from heat_watch.common import exceptions, rpc
from heat_watch.identity import model, rpcapi
from heat_watch.identity import storage as credential_storage


def _project_of(ctxt, project_id: str | None) -> str | None:
    """The project a call may act on: its own, or any for the service."""
    if ctxt.is_admin:
        return project_id
    if not ctxt.project_id:
        raise exceptions.AuthenticationFailed(reason='the request carries no project')
    if project_id and project_id != ctxt.project_id:
        raise exceptions.Forbidden(reason='credentials of another project')
    return ctxt.project_id


@rpc.answers_project_errors
class IdentityManager:
    """RPC endpoint of the credential store (namespace ``identity``)."""

    target = messaging.Target(namespace=rpcapi.NAMESPACE, version=rpcapi.RPC_API_VERSION)

    def __init__(self, store: credential_storage.CredentialStore):
        self.store = store

    def create_credential(self, ctxt, project_id: str, user_id: str | None = None,
                          description: str | None = None, scope: str | None = None) -> dict:
        """Create a credential of ``project_id``; returns it with its secret
        encrypted (the caller decrypts it with the shared key)."""
        project = _project_of(ctxt, project_id)
        credential, _secret = self.store.create(project, user_id, description,
                                                model.Scope.from_json(scope))
        return credential.to_wire(with_secret=True)

    def get_credential(self, ctxt, access: str) -> dict:
        """A credential with its encrypted secret; the service's own use
        (verifying signatures) or the caller's project's."""
        credential = self.store.get(access)
        if not ctxt.is_admin and credential.project_id != ctxt.project_id:
            raise exceptions.CredentialNotFound(access=access)
        return credential.to_wire(with_secret=True)

    def list_credentials(self, ctxt, project_id: str | None = None,
                         stack_id: str | None = None) -> list[dict]:
        """Credentials without secrets."""
        return [credential.to_wire() for credential in
                self.store.list(_project_of(ctxt, project_id), stack_id)]

    def delete_credential(self, ctxt, access: str) -> None:
        """Delete a credential of the caller's project (any, for the service)."""
        self.store.delete(access, None if ctxt.is_admin else _project_of(ctxt, None))

    def delete_stack_credentials(self, ctxt, stack_id: str) -> int:
        """Delete the credentials scoped to a stack of the caller's project."""
        return self.store.delete_stack_credentials(_project_of(ctxt, None), stack_id)
