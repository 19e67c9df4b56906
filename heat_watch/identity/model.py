"""Credentials and their scopes, as every part of heat_watch sees them."""

import dataclasses
import json

# Operation names a scope may list. CloudWatch actions are
# 'cloudwatch:<Action>'; the orchestration ones name what an instance does.
PUT_METRIC_DATA = 'cloudwatch:PutMetricData'
SIGNAL = 'orchestration:signal'
READ_METADATA = 'orchestration:metadata'
INSTANCE_OPERATIONS = (PUT_METRIC_DATA, SIGNAL, READ_METADATA)


@dataclasses.dataclass(frozen=True)
class Scope:
    """What a credential may do within its project.

    ``operations`` None means every operation of the project (a user's own
    key); a tuple lists the only ones allowed. ``stack_id`` confines the
    stack operations (signals, metadata) to one stack.
    """

    operations: tuple[str, ...] | None = None
    stack_id: str | None = None

    def allows(self, operation: str, stack_id: str | None = None) -> bool:
        """Whether ``operation`` (on ``stack_id``, for stack operations) is allowed."""
        if self.operations is not None and operation not in self.operations:
            return False
        if self.stack_id is not None and operation.startswith('orchestration:'):
            return stack_id == self.stack_id
        return True

    @property
    def unrestricted(self) -> bool:
        return self.operations is None and self.stack_id is None

    def to_json(self) -> str | None:
        """The stored form (None for an unrestricted scope)."""
        if self.unrestricted:
            return None
        return json.dumps({'operations': list(self.operations) if self.operations is not None
                           else None, 'stack_id': self.stack_id}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> 'Scope':
        if not text:
            return cls()
        data = json.loads(text)
        operations = data.get('operations')
        return cls(operations=tuple(operations) if operations is not None else None,
                   stack_id=data.get('stack_id'))


UNRESTRICTED = Scope()


@dataclasses.dataclass(frozen=True)
class Credential:
    """An access key of the store. ``secret_encrypted`` is the Fernet token
    of the secret (heat_watch.common.crypto): the secret never crosses RPC or
    reaches the database in clear."""

    access: str
    project_id: str
    user_id: str | None
    description: str | None
    created_at: int  # epoch milliseconds
    scope: Scope = UNRESTRICTED
    secret_encrypted: str = dataclasses.field(default='', repr=False)

    def to_wire(self, with_secret: bool = False) -> dict:
        """Plain JSON for RPC; the encrypted secret only when asked for."""
        wire = {'access': self.access, 'project_id': self.project_id,
                'user_id': self.user_id, 'description': self.description,
                'created_at': self.created_at, 'scope': self.scope.to_json()}
        if with_secret:
            wire['secret_encrypted'] = self.secret_encrypted
        return wire

    @classmethod
    def from_wire(cls, wire: dict) -> 'Credential':
        return cls(access=wire['access'], project_id=wire['project_id'],
                   user_id=wire.get('user_id'), description=wire.get('description'),
                   created_at=wire.get('created_at') or 0,
                   scope=Scope.from_json(wire.get('scope')),
                   secret_encrypted=wire.get('secret_encrypted') or '')
