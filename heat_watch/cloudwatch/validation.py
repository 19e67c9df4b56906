"""Validation rules shared by the CloudWatch actions, with AWS's messages.

Parameter names in messages use the Query protocol's spelling
(``MetricData.member.1.Value``), as AWS does for both protocols.
"""

import datetime
import math
import re

from heat_watch.cloudwatch import errors

UNITS = frozenset((
    'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes',
    'Terabytes', 'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count',
    'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second',
    'Terabytes/Second', 'Bits/Second', 'Kilobits/Second', 'Megabits/Second',
    'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None'))
# heat-cfntools' cfn-push-stats sends units AWS does not know: 'Counter'
# (--heartbeat, --service-failure, --haproxy) and lower-case byte units
# ('megabytes', from --disk-units). A datum is stored under the AWS unit it
# means, so that every client reads it back, and filters on Count, under one
# name; unit names are matched without regard to case for the same reason.
UNIT_ALIASES = {'Counter': 'Count'}
_UNIT_BY_LOWER = {name.lower(): name for name in UNITS} | {
    alias.lower(): name for alias, name in UNIT_ALIASES.items()}
STATISTICS = ('SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum')
HIGH_RESOLUTION_PERIODS = (1, 5, 10, 20, 30)
# CloudWatch rejects values it cannot store (base-2 limits of its format).
VALUE_MAX = 2.0 ** 360
VALUE_MIN_MAGNITUDE = 2.0 ** -360
MAX_DIMENSIONS = 30
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def member(prefix: str, index: int, field: str | None = None) -> str:
    """Query-style name of a list member: ``Prefix.member.N[.Field]``."""
    name = '%s.member.%d' % (prefix, index + 1)
    return '%s.%s' % (name, field) if field else name


def invalid(name: str, value, reason: str | None = None) -> errors.AWSError:
    """InvalidParameterValue for ``name``, worded as AWS words it."""
    text = 'The value %s for parameter %s is invalid.' % (value, name)
    return errors.InvalidParameterValue('%s %s' % (text, reason) if reason else text)


def require(data: dict, key: str, name: str | None = None):
    """The value of a required parameter, or MissingParameter."""
    value = data.get(key)
    if value is None or value == '' or value == []:
        raise errors.MissingParameter('The parameter %s is required.' % (name or key))
    return value


def string(data: dict, key: str, name: str, low: int = 1, high: int = 255,
           required: bool = False) -> str | None:
    """A string parameter within AWS's length limits."""
    value = require(data, key, name) if required else data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise invalid(name, value, 'Its length must be between %d and %d.' % (low, high))
    return value


def choice(data: dict, key: str, name: str, allowed, required: bool = False):
    """A parameter that takes one of a fixed set of values."""
    value = require(data, key, name) if required else data.get(key)
    if value is not None and value not in allowed:
        raise invalid(name, value, 'Valid values: %s.' % ', '.join(sorted(allowed)))
    return value


def unit(data: dict, key: str, name: str) -> str | None:
    """A unit parameter as the AWS unit it names (``Counter`` is ``Count``)."""
    value = data.get(key)
    if value is None:
        return None
    canonical = _UNIT_BY_LOWER.get(value.lower()) if isinstance(value, str) else None
    if canonical is None:
        raise invalid(name, value, 'Valid values: %s.' % ', '.join(sorted(UNITS)))
    return canonical


def number(value, name: str) -> float:
    """A datapoint value CloudWatch can store."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(name, value, 'It must be a number.')
    value = float(value)
    if math.isnan(value) or math.isinf(value) or abs(value) > VALUE_MAX or (
            value != 0.0 and abs(value) < VALUE_MIN_MAGNITUDE):
        raise invalid(name, value, 'The value must be finite and between -2^360 and 2^360, '
                      'and zero or at least 2^-360 in magnitude.')
    return value


def integer(data: dict, key: str, name: str, low: int, high: int | None = None,
            required: bool = False) -> int | None:
    """An integer parameter within bounds."""
    value = require(data, key, name) if required else data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
            high is not None and value > high):
        bound = 'at least %d' % low if high is None else 'between %d and %d' % (low, high)
        raise invalid(name, value, 'It must be an integer %s.' % bound)
    return value


def period(data: dict, key: str, name: str, required: bool = True) -> int | None:
    """A period: 1, 5, 10, 20, 30 (high resolution) or a multiple of 60 seconds."""
    value = integer(data, key, name, 1, required=required)
    if value is not None and value not in HIGH_RESOLUTION_PERIODS and value % 60:
        raise invalid(name, value, 'The period must be 1, 5, 10, 20, 30, or a multiple of 60.')
    return value


def collection(values, name: str, limit: int) -> None:
    """A list parameter of at most ``limit`` members."""
    if not isinstance(values, list):
        raise invalid(name, values)
    if len(values) > limit:
        raise invalid(name, '[...]', 'The collection %s must not have more than %d members.'
                      % (name, limit))


def dimensions(values: list | None, prefix: str, limit: int = MAX_DIMENSIONS,
               value_required: bool = True) -> list[dict]:
    """Dimensions (or dimension filters), unique by name."""
    values = values or []
    collection(values, prefix, limit)
    seen = set()
    for i, dim in enumerate(values):
        string(dim, 'Name', member(prefix, i, 'Name'), required=True)
        string(dim, 'Value', member(prefix, i, 'Value'), high=1024, required=value_required)
        if dim['Name'] in seen:
            raise errors.InvalidParameterValue(
                'The collection %s must not contain duplicate dimension names (%s).'
                % (prefix, dim['Name']))
        seen.add(dim['Name'])
    return values


def to_ms(value: datetime.datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int((value - EPOCH) / datetime.timedelta(milliseconds=1))


def from_ms(value: int) -> datetime.datetime:
    """Aware UTC datetime of epoch milliseconds."""
    return EPOCH + datetime.timedelta(milliseconds=value)


def timestamp(data: dict, key: str, name: str, required: bool = True) -> int | None:
    """A timestamp parameter as epoch milliseconds."""
    value = require(data, key, name) if required else data.get(key)
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        raise invalid(name, value, 'It must be a timestamp.')
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return to_ms(value)


# The watch engine's rule exactly (no leading zero: p5, not p05), so that no
# percentile passes here only to fail in the engine.
EXTENDED_STATISTIC = re.compile(r'^p(100(\.0{1,2})?|[1-9]?[0-9](\.[0-9]{1,2})?)$')


def extended_statistic(value, name: str) -> str:
    """A percentile statistic ``pNN.NN``."""
    if not isinstance(value, str) or not EXTENDED_STATISTIC.fullmatch(value):
        raise invalid(name, value, 'It must be a percentile pNN.NN between p0.0 and p100.')
    return value


def statistic_or_percentile(value, name: str) -> str:
    """A statistic name or a percentile (GetMetricData's Stat)."""
    if value in STATISTICS:
        return value
    return extended_statistic(value, name)


# -- helpers of the alarm actions (lists of names, booleans, tags) --------------

MAX_TAGS = 50


def boolean(data: dict, key: str, name: str, default: bool) -> bool:
    """A boolean parameter, ``default`` when absent."""
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(name, value, 'It must be true or false.')
    return value


def finite(data: dict, key: str, name: str, required: bool = False) -> float | None:
    """A double parameter that must be a finite number (no NaN or infinity)."""
    value = require(data, key, name) if required else data.get(key)
    if value is None:
        return None
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value):
        raise invalid(name, value, 'It must be a finite number.')
    return float(value)


def string_list(data: dict, key: str, name: str, limit: int, low: int = 1, high: int = 255,
                required: bool = False) -> list[str]:
    """A list of strings: at most ``limit`` members, each within length limits.

    An absent optional list is ``[]``; a required one must have a member.
    """
    values = require(data, key, name) if required else data.get(key) or []
    collection(values, name, limit)
    for i, value in enumerate(values):
        if not isinstance(value, str) or not low <= len(value) <= high:
            raise invalid(member(name, i), value,
                          'Its length must be between %d and %d.' % (low, high))
    return values


def tags(values: list | None, prefix: str = 'Tags', limit: int = MAX_TAGS) -> list[dict]:
    """Tags as CloudWatch takes them: unique Keys of 1-128, Values of 0-256 characters."""
    values = values or []
    collection(values, prefix, limit)
    seen: set[str] = set()
    result = []
    for i, tag in enumerate(values):
        if not isinstance(tag, dict):
            raise invalid(member(prefix, i), tag)
        key = string(tag, 'Key', member(prefix, i, 'Key'), high=128, required=True)
        if tag.get('Value') is None:
            raise errors.MissingParameter(
                'The parameter %s is required.' % member(prefix, i, 'Value'))
        value = string(tag, 'Value', member(prefix, i, 'Value'), low=0, high=256)
        if key in seen:
            raise invalid(member(prefix, i, 'Key'), key, 'Tag keys must be unique.')
        seen.add(key)
        result.append({'Key': key, 'Value': value})
    return result
