"""Times in signed requests: parsing the forms clients send, and the
validity window a request must fall in."""

import datetime
import email.utils
import functools
import re
from collections.abc import Mapping

from heat_watch.common import exceptions

CLOCK_SKEW = datetime.timedelta(minutes=15)
"""How far a request's own time may be from ours before it is refused."""

MAX_V4_EXPIRES = 7 * 24 * 3600
_AMZ_DATE_FORMAT = '%Y%m%dT%H%M%SZ'
_AMZ_DATE_RE = re.compile(r'^\d{8}T\d{6}Z$')


def parse_amz_date(value: str) -> datetime.datetime:
    if not _AMZ_DATE_RE.match(value):
        raise exceptions.IncompleteSignature(
            f"Date must be in ISO-8601 'basic format'. Got '{value[:40]}'. See "
            "http://en.wikipedia.org/wiki/ISO_8601")
    try:
        return _basic_format_time(value)
    except ValueError:
        raise exceptions.IncompleteSignature(
            f"Date must be in ISO-8601 'basic format'. Got '{value}'.")


@functools.lru_cache(maxsize=64)
def _basic_format_time(value: str) -> datetime.datetime:
    """``YYYYMMDDTHHMMSSZ`` (already matched) as a UTC time; strptime cost
    15 us, and busy clients send the same second many times."""
    return datetime.datetime(int(value[0:4]), int(value[4:6]), int(value[6:8]),
                             int(value[9:11]), int(value[11:13]), int(value[13:15]),
                             tzinfo=datetime.UTC)


def parse_http_date(value: str) -> datetime.datetime:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise exceptions.IncompleteSignature(
            f"Date header '{value[:40]}' is not a valid HTTP date.")
    return as_utc(parsed)


def parse_iso_time(params: Mapping[str, str],
                    name: str) -> datetime.datetime | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        return as_utc(datetime.datetime.fromisoformat(value))
    except ValueError:
        raise exceptions.IncompleteSignature(
            f'Parameter {name} must be an ISO 8601 date, got {value[:40]}.')


def parse_expires_in(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) <= MAX_V4_EXPIRES:
        raise exceptions.IncompleteSignature(
            f'X-Amz-Expires must be a number of seconds between 1 and {MAX_V4_EXPIRES}.')
    return int(value)


def as_utc(moment: datetime.datetime) -> datetime.datetime:
    # A time without a zone is UTC on the wire (AWS never sends local time).
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


@functools.lru_cache(maxsize=64)
def stamp(moment: datetime.datetime) -> str:
    return moment.strftime(_AMZ_DATE_FORMAT)


def check_request_time(creds,
                       now: datetime.datetime | None = None,
                       max_skew: datetime.timedelta = CLOCK_SKEW) -> None:
    """Refuse requests outside their validity window.

    Used by :func:`verify` and before asking Keystone (which cannot know
    about v2 Expires or v4 X-Amz-Expires).

    :raises RequestExpired: too old, too far in the future, or expired.
    :raises SignatureDoesNotMatch: v4 scope date differs from the request
        date.
    """
    now = as_utc(now or datetime.datetime.now(datetime.UTC))
    if creds.version == 4 and creds.scope_date != creds.amz_date[:8]:
        raise exceptions.SignatureDoesNotMatch(
            'Date in Credential scope does not match YYYYMMDD from ISO-8601 '
            f"version of date from HTTP: '{creds.scope_date}' != "
            f"'{creds.amz_date[:8]}', from '{creds.amz_date}'.")
    if creds.expires_at is not None and now > creds.expires_at:
        raise exceptions.RequestExpired(
            f'Request has expired. Expires date is {creds.expires_at.isoformat()}')
    if creds.request_time is not None:
        _check_window(creds.request_time, creds.expires_in, now, max_skew)


def _check_window(signed_at: datetime.datetime, expires_in: int | None,
                  now: datetime.datetime, max_skew: datetime.timedelta) -> None:
    if expires_in is not None:
        # Presigned v4 URLs are valid from X-Amz-Date for X-Amz-Expires.
        deadline = signed_at + datetime.timedelta(seconds=expires_in)
        if now > deadline:
            raise exceptions.RequestExpired(
                f'Request has expired: {stamp(now)} is later than {stamp(deadline)} '
                f'({stamp(signed_at)} + {expires_in} s).')
    elif signed_at < now - max_skew:
        raise exceptions.RequestExpired(
            f'Signature expired: {stamp(signed_at)} is now earlier than '
            f'{stamp(now - max_skew)} ({stamp(now)} - {max_skew}).')
    if signed_at > now + max_skew:
        raise exceptions.RequestExpired(
            f'Signature not yet current: {stamp(signed_at)} is still later than '
            f'{stamp(now + max_skew)} ({stamp(now)} + {max_skew}).')
