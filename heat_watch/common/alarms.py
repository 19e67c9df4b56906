"""The meanings every floor shares about alarms, defined once.

The watch engine, both APIs and the notifier import these; none of them
imports another's internals for them (the notifier must not depend on the
engine, the APIs must not depend on the notifier's plugins):

* the alarm states and alarm types;
* which action URLs are deliverable (the schemes of the installed notifier
  plugins, read from their entry points without importing them);
* the canonical form of a metric's dimensions;
* the payload of one run of one alarm action, as the engine publishes it and
  the notifier reads it.
"""

import datetime
import functools
import urllib.parse
import uuid
from collections.abc import Iterable
from importlib import metadata

from heat_watch.common import exceptions

OK = 'OK'
ALARM = 'ALARM'
INSUFFICIENT_DATA = 'INSUFFICIENT_DATA'
STATES = (OK, ALARM, INSUFFICIENT_DATA)

# Alarm types, as the engine stores them and the rule plugins are named.
THRESHOLD = 'threshold'
COMPOSITE = 'composite'
TYPES = (THRESHOLD, COMPOSITE)

SEVERITIES = ('low', 'moderate', 'critical')

# The longest window one evaluation reads (CloudWatch's bound, seconds):
# one day for periods under an hour, seven days otherwise. The engine reads
# every period of it, so every API and the engine itself refuse more.
MAX_RANGE_SHORT_PERIOD = 86400
MAX_RANGE_LONG_PERIOD = 604800
LONG_PERIOD = 3600


def max_evaluation_range(period: int) -> int:
    """The longest period times evaluation periods allowed for ``period``."""
    return MAX_RANGE_SHORT_PERIOD if period < LONG_PERIOD else MAX_RANGE_LONG_PERIOD
DEFAULT_SEVERITY = 'low'

NOTIFIER_NAMESPACE = 'heat_watch.notifier'
# The schemes the notifier has always delivered, when no entry point is found
# (a source tree that was never installed).
DEFAULT_SCHEMES = frozenset(('log', 'http', 'https'))


@functools.cache
def supported_schemes() -> frozenset[str]:
    """URL schemes an alarm action may use: the notifier plugins' names."""
    names = frozenset(ep.name for ep in metadata.entry_points(group=NOTIFIER_NAMESPACE))
    return names or DEFAULT_SCHEMES


def action_scheme(url: str) -> str:
    """The lower-cased scheme of an action URL ('' when it has none)."""
    try:
        return urllib.parse.urlsplit(url).scheme.lower()
    except ValueError:
        return ''


def unsupported_action(urls: Iterable[str]) -> str | None:
    """The first URL no notifier plugin can deliver, or None."""
    schemes = supported_schemes()
    for url in urls:
        if action_scheme(url) not in schemes:
            return url
    return None


def check_actions(field: str, urls: Iterable[str]) -> None:
    """Refuse an action URL no notifier plugin can deliver
    (InvalidParameterValue naming ``field``; the URL's query, which may hold
    secrets, is not repeated)."""
    bad = unsupported_action(urls)
    if bad is not None:
        raise exceptions.InvalidParameterValue(
            name=field, reason='the action %s has no supported scheme (%s).'
            % (bad.split('?', 1)[0], ', '.join(sorted(supported_schemes()))))


def canonical_dimensions(dimensions: Iterable) -> list[list[str]]:
    """Dimensions (name, value) pairs as [[name, value], ...] sorted by name:
    the one form in which a metric's identity is compared and digested."""
    return sorted([str(n), str(v)] for n, v in dimensions)


def action_payload(*, action: str, alarm_id: str, alarm_name: str, project_id: str,
                   previous: str, current: str, reason: str, reason_data: dict,
                   severity: str | None = None, timestamp: datetime.datetime | None = None,
                   action_id: str | None = None) -> dict:
    """The payload of one run of one alarm action (a fresh action_id unless given).

    States are those of :data:`STATES`; ``action`` is the URL as the alarm
    stores it, secrets included; ``timestamp`` is the transition's time.
    Receivers deduplicate on ``action_id``, so a resent action keeps it.
    """
    when = timestamp or datetime.datetime.now(datetime.UTC)
    payload = {
        'action': action, 'action_id': action_id or str(uuid.uuid4()), 'alarm_id': alarm_id,
        'alarm_name': alarm_name, 'project_id': project_id, 'previous': previous,
        'current': current, 'reason': reason, 'reason_data': reason_data,
        'timestamp': when.isoformat(),
    }
    if severity is not None:
        payload['severity'] = severity
    return payload
