"""What resources that hand out a pre-signed signal URL share (scaling
policies, wait-condition handles): a credential of their own, scoped to
signalling their stack, created with them and deleted with them (which
revokes the URL)."""

from __future__ import annotations

import time

from heat_watch.common import context as hw_context
from heat_watch.common import exceptions
from heat_watch.orchestration import clients, resource


class SignedResource(resource.Resource):
    """A resource whose signal route is a URL pre-signed with its own
    credential."""

    def _context(self) -> hw_context.RequestContext:
        return hw_context.RequestContext(project_id=self.stack.record.project_id,
                                         user_id=self.stack.record.user_id)

    def create_signal_credential(self) -> None:
        """A credential that may signal this stack, and when the URL is signed."""
        credential = clients.identity(self.stack.runtime).create_credential(
            self._context(), self.stack.record.project_id,
            description='signals %s of stack %s' % (self.name, self.stack.name),
            scope=clients.signal_scope(self.stack.id))
        self.data.update(access=credential.access,
                         secret_encrypted=credential.secret_encrypted,
                         signed_at=int(time.time()))

    def delete_signal_credential(self) -> None:
        """Delete the credential: the URL stops working at once."""
        access = self.data.get('access')
        if access:
            try:
                clients.identity(self.stack.runtime).delete_credential(self._context(),
                                                                       access)
            except exceptions.CredentialNotFound:
                pass
        for key in ('access', 'secret_encrypted', 'signed_at'):
            self.data.pop(key, None)

    def signal_url(self) -> str | None:
        """The pre-signed URL of this resource's signal route (None before
        its creation)."""
        if not self.data.get('access'):
            return None
        return clients.presigned_signal_url(self.stack, self.name, self.data['access'],
                                            self.data['secret_encrypted'],
                                            self.data.get('signed_at', 0))

    def handle_create(self) -> None:
        self.physical_id = self.stack.physical_name(self.name)
        self.create_signal_credential()

    def handle_delete(self) -> None:
        self.delete_signal_credential()
