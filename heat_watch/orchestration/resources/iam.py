"""AWS::IAM::User and AWS::IAM::AccessKey, backed by the credential store.

A user is a name within the stack (there is no user database here: a stack's
users act in the stack's project). An access key is a credential of the
identity service (over its RPC client) in the stack's project, scoped to
what an instance of that stack does: PutMetricData, signalling the stack's
resources and reading the stack's metadata. Its Ref is the access key id;
``SecretAccessKey`` is the secret, kept sealed in the orchestration database
(it arrives Fernet-encrypted and is stored in ``secret_data``). Deleting the
key (or the stack) deletes the credential: requests it signs fail from then
on.
"""

from __future__ import annotations

from typing import Any

from heat_watch.common import context as hw_context
from heat_watch.common import exceptions
from heat_watch.identity import model as identity_model
from heat_watch.orchestration import clients, resource
from heat_watch.orchestration import properties as props


def instance_scope(stack_id: str) -> identity_model.Scope:
    """What a stack's access keys may do: what its instances do."""
    return identity_model.Scope(operations=identity_model.INSTANCE_OPERATIONS,
                                stack_id=stack_id)


class User(resource.Resource):
    """AWS::IAM::User: a name the stack's access keys belong to."""

    description = 'A user of the stack (a name for its access keys).'
    properties_schema = {
        'Path': props.Property(props.STRING, 'Path (accepted).', default='/'),
        'Groups': props.Property(props.LIST, 'Groups (accepted).', default=[]),
        'LoginProfile': props.Property(props.MAP, 'Console password (accepted, unused: '
                                       'there is no console).'),
        'Policies': props.Property(props.LIST, 'Policies (accepted: the access keys are '
                                   'scoped to the stack whatever they say).', default=[]),
    }

    def handle_create(self) -> None:
        self.physical_id = self.stack.physical_name(self.name)


class AccessKey(resource.Resource):
    """AWS::IAM::AccessKey: an access key of a user of this stack."""

    description = 'An access key scoped to what the stack\'s instances do.'
    properties_schema = {
        'UserName': props.Property(props.STRING, 'The user (its Ref).', required=True),
        'Serial': props.Property(props.INTEGER, 'Accepted.'),
        'Status': props.Property(props.STRING, 'Only Active keys exist here.',
                                 default='Active', allowed_values=('Active',)),
    }
    attributes_schema = {'UserName': 'The user the key belongs to.',
                         'SecretAccessKey': 'The secret of the key.'}
    secret_data = ('secret_encrypted',)

    def _context(self) -> hw_context.RequestContext:
        return hw_context.RequestContext(project_id=self.stack.record.project_id,
                                         user_id=self.stack.record.user_id)

    def _user(self) -> User:
        wanted = self.properties['UserName']
        for rsrc in self.stack.resources.values():
            if isinstance(rsrc, User) and wanted in (rsrc.name, rsrc.physical_id):
                return rsrc
        raise exceptions.ResourceFailure(
            reason='UserName %s names no AWS::IAM::User of this stack' % wanted)

    def handle_create(self) -> None:
        user = self._user()
        credential = clients.identity(self.stack.runtime).create_credential(
            self._context(), self.stack.record.project_id,
            description='access key of %s of stack %s' % (user.physical_id,
                                                          self.stack.name),
            scope=instance_scope(self.stack.id))
        self.physical_id = credential.access
        self.data.update(user=user.physical_id, secret_encrypted=credential.secret_encrypted)

    def handle_delete(self) -> None:
        if self.physical_id and self.data.get('secret_encrypted'):
            try:
                clients.identity(self.stack.runtime).delete_credential(self._context(),
                                                                       self.physical_id)
            except exceptions.CredentialNotFound:
                pass
            self.data.pop('secret_encrypted', None)

    def resolve_attribute(self, name: str) -> Any:
        if name == 'UserName':
            return self.data.get('user')
        encrypted = self.data.get('secret_encrypted')
        return self.stack.runtime.box.decrypt(encrypted) if encrypted else None
