"""Pre-signed URLs: a URL that carries its own Signature Version 2.

The orchestrator hands such URLs out as scaling-policy webhooks and
wait-condition handles (Heat's form: ``AWSAccessKeyId``, ``SignatureMethod``,
``SignatureVersion``, ``Timestamp`` and ``Signature`` in the query); the REST
API verifies them with :func:`heat_watch.identity.signing.verify.verify` and
``check_time=False``. The signature covers the method, host, path and every
query parameter, so nothing in the URL can be changed without breaking it.
The path is signed decoded, as a WSGI server hands the verifier its
``PATH_INFO``, so that names with spaces or non-ASCII letters verify.
"""

import base64
import datetime
import hmac
import urllib.parse

from heat_watch.identity.signing import v2
from heat_watch.identity.signing.request import V2_METHODS, SignedRequest

METHOD = 'HmacSHA256'


def presign_url(method: str, url: str, access: str, secret: str,
                now: datetime.datetime | None = None) -> str:
    """``url`` with a Version 2 signature of ``method`` added to its query."""
    parts = urllib.parse.urlsplit(url)
    params = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    moment = now or datetime.datetime.now(datetime.UTC)
    params.update({'AWSAccessKeyId': access, 'SignatureMethod': METHOD,
                   'SignatureVersion': '2',
                   'Timestamp': moment.strftime('%Y-%m-%dT%H:%M:%SZ')})
    path = urllib.parse.unquote(parts.path or '/')
    request = SignedRequest(method=method, host=parts.netloc, path=path,
                            params=params)
    mac = hmac.new(secret.encode('utf-8'),
                   v2.v2_string_to_sign(request, parts.netloc).encode('utf-8'),
                   V2_METHODS[METHOD])
    params['Signature'] = base64.b64encode(mac.digest()).decode('ascii')
    query = urllib.parse.urlencode(sorted(params.items()), quote_via=urllib.parse.quote)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, query, ''))
