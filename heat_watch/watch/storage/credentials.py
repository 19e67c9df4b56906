"""The local credential store: EC2-style access/secret key pairs."""

import secrets
import time

import sqlalchemy as sa

from heat_watch.common import crypto, exceptions
from heat_watch.watch.storage import models

_T = models.Credential.__table__


def _now_ms() -> int:
    return int(time.time() * 1000)


def create(engine: sa.Engine, box: crypto.SecretBox, project_id: str,
           user_id: str | None = None, description: str | None = None) -> dict:
    """Create a key pair for a project; the only time the secret is shown."""
    if not project_id:
        raise exceptions.MissingParameter(name='project_id')
    access = secrets.token_hex(16)
    secret = secrets.token_urlsafe(30)
    with engine.begin() as conn:
        conn.execute(sa.insert(_T).values(
            access_key=access, secret_encrypted=box.encrypt(secret),
            project_id=project_id, user_id=user_id, description=description,
            created_at=_now_ms()))
    return {'access': access, 'secret': secret, 'project_id': project_id,
            'user_id': user_id}


def get(engine: sa.Engine, access: str) -> dict:
    """The stored record of an access key, secret still encrypted."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(_T).where(_T.c.access_key == access)).first()
    if row is None:
        raise exceptions.CredentialNotFound(access=access)
    return {'access': row.access_key, 'secret_encrypted': row.secret_encrypted,
            'project_id': row.project_id, 'user_id': row.user_id}


def list_all(engine: sa.Engine, project_id: str | None = None) -> list[dict]:
    """Key pairs without their secrets, optionally of one project."""
    query = sa.select(_T.c.access_key, _T.c.project_id, _T.c.user_id,
                      _T.c.description, _T.c.created_at).order_by(_T.c.created_at)
    if project_id:
        query = query.where(_T.c.project_id == project_id)
    with engine.connect() as conn:
        return [{'access': r.access_key, 'project_id': r.project_id,
                 'user_id': r.user_id, 'description': r.description,
                 'created_at': r.created_at} for r in conn.execute(query)]


def delete(engine: sa.Engine, access: str) -> None:
    """Delete a key pair; requests signed with it are refused from then on."""
    with engine.begin() as conn:
        deleted = conn.execute(sa.delete(_T).where(_T.c.access_key == access)).rowcount
    if not deleted:
        raise exceptions.CredentialNotFound(access=access)
