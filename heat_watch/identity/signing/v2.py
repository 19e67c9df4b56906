"""Signature Version 2 (boto 2, heat-cfntools): the string to sign over the
host as the client saw it, with or without a port."""

import base64
import hmac
from urllib.parse import quote

from heat_watch.identity.signing.request import V2_METHODS, Credentials, SignedRequest


def candidates(req: SignedRequest, creds: Credentials,
                   secret: str) -> list[str]:
    digest = V2_METHODS[creds.signature_method]
    candidates = []
    for host in _host_variants(req.host):
        mac = hmac.new(secret.encode('utf-8'),
                       v2_string_to_sign(req, host).encode('utf-8'), digest)
        candidates.append(base64.b64encode(mac.digest()).decode('ascii'))
    return candidates


def v2_string_to_sign(req: SignedRequest, host: str) -> str:
    """VERB, lower-cased host, path and the canonical parameters."""
    params = sorted((k, v) for k, v in req.params.items() if k != 'Signature')
    query = '&'.join(f"{quote(k, safe='-_~')}={quote(v, safe='-_~')}" for k, v in params)
    return '\n'.join((req.method.upper(), host.lower(), req.path or '/',
                      query))


def _host_variants(host: str) -> list[str]:
    """The host as sent, then without its port: clients disagree on
    whether a non-default port is part of the signed host."""
    bare = _strip_port(host)
    return [host] if bare == host else [host, bare]


def _strip_port(host: str) -> str:
    if host.startswith('['):  # IPv6 literal: '[::1]:8003'
        return host.partition(']')[0] + ']'
    return host.partition(':')[0]
