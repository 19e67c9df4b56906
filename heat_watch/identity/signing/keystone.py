"""What Keystone's ``POST /v3/ec2tokens`` needs to verify a signature
remotely."""

import hashlib

from heat_watch.identity.signing.request import Credentials, SignedRequest
from heat_watch.identity.signing.v4 import canonical_uri


def keystone_credentials_document(req: SignedRequest,
                                  creds: Credentials) -> dict:
    """The ``credentials`` object of Keystone's ``POST /v3/ec2tokens``.

    Shaped like keystonemiddleware's and heat's ec2token middleware send it,
    so that Keystone's Ec2Signer recomputes the same signature: it reads the
    Authorization and X-Amz-Date headers by their canonical names and uses
    ``path`` verbatim, so v4 gets the botocore canonical URI.
    """
    params = {k: v for k, v in req.params.items()
              if k not in ('Signature', 'X-Amz-Signature')}
    if creds.version == 4:
        path = canonical_uri(req.path)
        headers = _keystone_v4_headers(req, creds)
    else:
        path = req.path or '/'
        headers = {}
    return {
        'access': creds.access_key,
        'signature': creds.signature,
        'host': req.host.lower(),
        'verb': req.method.upper(),
        'path': path,
        'params': params,
        'headers': headers,
        'body_hash': hashlib.sha256(req.body).hexdigest(),
    }


def _keystone_v4_headers(req: SignedRequest,
                         creds: Credentials) -> dict[str, str]:
    lower = req.lower_headers()
    lower.setdefault('host', req.host)
    # Only what the signature covers (plus how it is carried), never
    # unrelated headers such as cookies or tokens.
    wanted = [h.lower() for h in creds.signed_headers] + ['authorization']
    headers = {_header_title(name): lower[name]
               for name in wanted if name in lower}
    # Keystone only understands X-Amz-Date; a Date header was already
    # converted to the basic format the client signed.
    headers['X-Amz-Date'] = creds.amz_date
    return headers


def _header_title(name: str) -> str:
    return '-'.join(part.capitalize() for part in name.split('-'))
