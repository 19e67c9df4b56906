"""Verifying a signature with the secret the caller looked up."""

import datetime
import hmac

from heat_watch.common import exceptions
from heat_watch.identity.signing import times, v2, v4
from heat_watch.identity.signing.request import Credentials, SignedRequest

MISMATCH_MESSAGE = (
    'The request signature we calculated does not match the signature you '
    'provided. Check your AWS Secret Access Key and signing method. Consult '
    'the service documentation for details.')


def verify(req: SignedRequest, creds: Credentials, secret: str,
           now: datetime.datetime | None = None, *,
           max_skew: datetime.timedelta = times.CLOCK_SKEW, check_time: bool = True) -> None:
    """Check the request's signature with ``secret`` and its time.

    ``check_time=False`` is for pre-signed URLs that live as long as their
    credential (scaling-policy webhooks, wait-condition handles): deleting
    the credential is what revokes them.

    :raises RequestExpired: see :func:`times.check_request_time`.
    :raises SignatureDoesNotMatch: the signature is not the one computed.
    """
    if check_time:
        times.check_request_time(creds, now, max_skew)
    if creds.version == 4:
        candidates = v4.candidates(req, creds, secret)
    else:
        candidates = v2.candidates(req, creds, secret)
    claimed = creds.signature.encode('utf-8')
    # Every candidate is compared so that timing says nothing about which.
    matches = [hmac.compare_digest(c.encode('utf-8'), claimed)
               for c in candidates]
    if not any(matches):
        raise exceptions.SignatureDoesNotMatch(MISMATCH_MESSAGE)
