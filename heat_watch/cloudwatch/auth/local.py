"""Authentication against the local credential store.

The secret is read from the watch engine (still Fernet-encrypted, so it
never crosses the message bus in clear), decrypted here with the shared key
and kept in memory for a short time so that a busy client does not cost an
RPC call per request.
"""

import threading
import time

from oslo_log import log

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch.auth import signature
from heat_watch.common import context as hw_context
from heat_watch.common import crypto, exceptions

LOG = log.getLogger(__name__)

UNKNOWN_KEY = 'The security token included in the request is invalid.'


class LocalAuthenticator:
    """Verifies signatures with secrets from the local credential store."""

    def __init__(self, engine_client, box: crypto.SecretBox, cache_ttl: float = 60.0):
        self._engine = engine_client
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
            record = self._engine.get_credential(hw_context.admin_context(), access)
        except exceptions.CredentialNotFound:
            raise errors.InvalidClientTokenId(UNKNOWN_KEY)
        record = {'secret': self._box.decrypt(record['secret_encrypted']),
                  'project_id': record['project_id'], 'user_id': record['user_id']}
        with self._lock:
            self._cache[access] = (record, now + self._ttl)
        return record

    def authenticate(self, req: signature.SignedRequest,
                     creds: signature.Credentials) -> dict:
        """The identity (project_id, user_id) of a correctly signed request."""
        record = self._lookup(creds.access_key)
        signature.verify(req, creds, record['secret'])
        return {'project_id': record['project_id'], 'user_id': record['user_id'],
                'roles': []}
