"""The credential store: the ``credentials`` table of the watch database."""

import secrets
import time
from collections.abc import Callable

import sqlalchemy as sa

from heat_watch.common import crypto, exceptions
from heat_watch.identity import model

_METADATA = sa.MetaData()
# Created by the watch database's migrations (001, scope columns in 010).
CREDENTIALS = sa.Table(
    'credentials', _METADATA,
    sa.Column('access_key', sa.String(64), primary_key=True),
    sa.Column('secret_encrypted', sa.Text, nullable=False),
    sa.Column('project_id', sa.String(64), nullable=False),
    sa.Column('user_id', sa.String(64)),
    sa.Column('description', sa.String(255)),
    sa.Column('created_at', sa.BigInteger, nullable=False),
    sa.Column('scope', sa.Text),
    sa.Column('stack_id', sa.String(64)),
)
_T = CREDENTIALS


def _now_ms() -> int:
    return int(time.time() * 1000)


def _record(row) -> model.Credential:
    return model.Credential(access=row.access_key, project_id=row.project_id,
                            user_id=row.user_id, description=row.description,
                            created_at=row.created_at,
                            scope=model.Scope.from_json(row.scope),
                            secret_encrypted=row.secret_encrypted)


class CredentialStore:
    """Creates, finds and deletes credentials; secrets stored encrypted."""

    def __init__(self, engine: sa.Engine,
                 box: Callable[[], crypto.SecretBox] | crypto.SecretBox | None = None):
        """``box`` (or a function that makes it, on first use: a process
        that only reads never needs the key) encrypts new secrets."""
        self.engine = engine
        self._box = box

    def _secret_box(self) -> crypto.SecretBox:
        if self._box is None:
            raise exceptions.ConfigurationError(reason='no credential key to encrypt with')
        if not isinstance(self._box, crypto.SecretBox):
            self._box = self._box()
        return self._box

    def create(self, project_id: str, user_id: str | None = None,
               description: str | None = None,
               scope: model.Scope = model.UNRESTRICTED) -> tuple[model.Credential, str]:
        """A new key pair for a project and its secret in clear (the only
        time it is available in clear)."""
        if not project_id:
            raise exceptions.MissingParameter(name='project_id')
        box = self._secret_box()
        access, secret = secrets.token_hex(16), secrets.token_urlsafe(30)
        credential = model.Credential(
            access=access, project_id=project_id, user_id=user_id, description=description,
            created_at=_now_ms(), scope=scope, secret_encrypted=box.encrypt(secret))
        with self.engine.begin() as conn:
            conn.execute(sa.insert(_T).values(
                access_key=access, secret_encrypted=credential.secret_encrypted,
                project_id=project_id, user_id=user_id, description=description,
                created_at=credential.created_at, scope=scope.to_json(),
                stack_id=scope.stack_id))
        return credential, secret

    def get(self, access: str) -> model.Credential:
        """The credential of an access key, its secret still encrypted."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(_T).where(_T.c.access_key == access)).first()
        if row is None:
            raise exceptions.CredentialNotFound(access=access)
        return _record(row)

    def list(self, project_id: str | None = None,
             stack_id: str | None = None) -> list[model.Credential]:
        """Credentials, oldest first, optionally of one project or stack."""
        query = sa.select(_T).order_by(_T.c.created_at, _T.c.access_key)
        if project_id:
            query = query.where(_T.c.project_id == project_id)
        if stack_id:
            query = query.where(_T.c.stack_id == stack_id)
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(query)]

    def delete(self, access: str, project_id: str | None = None) -> None:
        """Delete a key pair (of ``project_id`` when given); requests signed
        with it, and URLs pre-signed with it, are refused from then on."""
        query = sa.delete(_T).where(_T.c.access_key == access)
        if project_id is not None:
            query = query.where(_T.c.project_id == project_id)
        with self.engine.begin() as conn:
            if not conn.execute(query).rowcount:
                raise exceptions.CredentialNotFound(access=access)

    def delete_stack_credentials(self, project_id: str | None, stack_id: str) -> int:
        """Delete every credential scoped to a stack (of ``project_id``
        when given)."""
        query = sa.delete(_T).where(_T.c.stack_id == stack_id)
        if project_id is not None:
            query = query.where(_T.c.project_id == project_id)
        with self.engine.begin() as conn:
            return conn.execute(query).rowcount
