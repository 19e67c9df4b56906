"""AWS Signature Version 2 and Version 4, server side, shared by every API.

The CloudWatch API verifies client signatures with it; the REST API verifies
pre-signed webhook and wait-condition URLs; the orchestrator makes those
URLs. Pure functions, no I/O; errors are heat_watch's own
(:mod:`heat_watch.common.exceptions`), mapped by each API to its dialect.

* :mod:`.request`: the request and the signature it claims;
* :mod:`.times`: request times and their validity window;
* :mod:`.v4`, :mod:`.v2`: the two signing algorithms;
* :mod:`.verify`: checking a signature with a secret;
* :mod:`.presign`: making pre-signed URLs;
* :mod:`.keystone`: what Keystone's ec2tokens API needs to check one.
"""

from heat_watch.identity.signing.keystone import keystone_credentials_document
from heat_watch.identity.signing.presign import presign_url
from heat_watch.identity.signing.request import Credentials, SignedRequest, extract_credentials
from heat_watch.identity.signing.times import CLOCK_SKEW, check_request_time
from heat_watch.identity.signing.v4 import canonical_uri, v4_signing_key
from heat_watch.identity.signing.verify import MISMATCH_MESSAGE, verify

__all__ = ['CLOCK_SKEW', 'MISMATCH_MESSAGE', 'Credentials', 'SignedRequest', 'canonical_uri',
           'check_request_time', 'extract_credentials', 'keystone_credentials_document',
           'presign_url', 'v4_signing_key', 'verify']
