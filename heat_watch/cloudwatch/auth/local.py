"""Authentication against heat_watch's own credential store.

The credential is read through the identity RPC API (its secret still
Fernet-encrypted, so it never crosses the message bus in clear), decrypted
here with the shared key and kept in memory for a short time so that a busy
client does not cost an RPC call per request.
"""

import threading
import time

from heat_watch.common import context as hw_context
from heat_watch.common import crypto, exceptions
from heat_watch.identity import rpcapi, signing


class LocalAuthenticator:
    """Verifies signatures with secrets from the credential store."""

    def __init__(self, identity: rpcapi.IdentityClient, box: crypto.SecretBox,
                 cache_ttl: float = 60.0):
        self._identity = identity
        self._box = box
        self._ttl = cache_ttl
        self._cache: dict[str, tuple[dict, float]] = {}
        self._lock = threading.Lock()

    def _lookup(self, access: str) -> dict:
        now = time.monotonic()
        with self._lock:
            entry = self._cache.get(access)
        if entry and entry[1] > now:
            return entry[0]
        try:
            credential = self._identity.get_credential(hw_context.admin_context(), access)
        except exceptions.CredentialNotFound:
            raise exceptions.UnknownAccessKey()
        record = {'secret': self._box.decrypt(credential.secret_encrypted),
                  'project_id': credential.project_id, 'user_id': credential.user_id,
                  'scope': credential.scope}
        with self._lock:
            self._cache[access] = (record, now + self._ttl)
        return record

    def authenticate(self, req: signing.SignedRequest, creds: signing.Credentials) -> dict:
        """The identity (project_id, user_id, roles, scope) of a correctly
        signed request."""
        record = self._lookup(creds.access_key)
        signing.verify(req, creds, record['secret'])
        return {'project_id': record['project_id'], 'user_id': record['user_id'],
                'roles': [], 'scope': record['scope']}

