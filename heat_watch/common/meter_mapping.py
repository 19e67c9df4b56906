"""How a Ceilometer sample maps to a CloudWatch metric, both ways.

One store, two dialects: a sample posted to /v2 is a datum of a metric
that ListMetrics and GetMetricStatistics show, and a datum put through the
CloudWatch API is a sample here. A shared meaning (``common/``): the REST
API maps samples and meter alarms with it, and the orchestrator its
OS::Aodh::Alarm resources, without importing the API.

A sample becomes a datum of the metric

* namespace = ``source`` (default "openstack"),
* name = the meter name (``counter_name``),
* dimensions = ``ResourceId`` = ``resource_id``, plus one dimension X for
  each ``metering.X`` key of ``resource_metadata`` (Havana's pattern: Nova
  copies an instance's ``metering.*`` metadata into its samples),
* unit = ``counter_unit`` in CloudWatch's spelling (:data:`UNITS`).

A sample with ``metering.*`` metadata is also a datum of the metric with
only those dimensions (without ResourceId), as AWS publishes EC2 metrics
per instance and per AutoScalingGroupName: one alarm on dimension
AutoScalingGroupName=G watches every instance of the group. The REST API
hides that aggregate metric (its samples are already visible per
resource).

Read back, a metric's ``resource_id`` is its ResourceId dimension, or for a
metric without one (put through CloudWatch) its dimensions written
``Name=Value,...`` ("none" without dimensions); its other dimensions are
``resource_metadata`` entries ``metering.X``.

What a CloudWatch datum cannot hold is not kept: ``counter_type`` (only
"gauge" is accepted), ``user_id``, ``message_id`` and metadata other than
``metering.*``. A statistic set put through CloudWatch reads as one sample
whose volume is its average.
"""

import re

from heat_watch.common import exceptions

_CONTROL = re.compile('[\x00-\x1f\x7f]')
DEFAULT_SOURCE = 'openstack'
RESOURCE_DIMENSION = 'ResourceId'
METERING_PREFIX = 'metering.'
NO_DIMENSIONS = 'none'
COUNTER_TYPES = ('gauge',)
MAX_DIMENSIONS = 30
# The CloudWatch API's window for data (AWS's): older data would be expired
# at once, far-future data would never be.
PAST_LIMIT_MS = 14 * 86400 * 1000
FUTURE_LIMIT_MS = 2 * 3600 * 1000
MAX_NAME = 255
MAX_VALUE = 1024

# Ceilometer's unit spellings -> CloudWatch's; CloudWatch's own names are
# accepted as they are.
UNITS = {
    's': 'Seconds', 'sec': 'Seconds', 'ms': 'Milliseconds', 'us': 'Microseconds',
    'B': 'Bytes', 'KB': 'Kilobytes', 'MB': 'Megabytes', 'GB': 'Gigabytes', 'TB': 'Terabytes',
    'bit': 'Bits', 'Kbit': 'Kilobits', 'Mbit': 'Megabits', 'Gbit': 'Gigabits',
    'Tbit': 'Terabits', '%': 'Percent', 'count': 'Count', 'B/s': 'Bytes/Second',
    'KB/s': 'Kilobytes/Second', 'MB/s': 'Megabytes/Second', 'GB/s': 'Gigabytes/Second',
    'TB/s': 'Terabytes/Second', 'bit/s': 'Bits/Second', 'Kbit/s': 'Kilobits/Second',
    'Mbit/s': 'Megabits/Second', 'Gbit/s': 'Gigabits/Second', 'Tbit/s': 'Terabits/Second',
    'count/s': 'Count/Second', '': 'None',
}
CLOUDWATCH_UNITS = frozenset(UNITS.values())
# Read back in Ceilometer's spelling (the first spelling of each unit).
CEILOMETER_UNITS = {}
for _spelling, _unit in UNITS.items():
    CEILOMETER_UNITS.setdefault(_unit, _spelling)


def cloudwatch_unit(unit: str) -> str:
    """CloudWatch's name of a Ceilometer unit; 400 for a unit it lacks."""
    if unit in CLOUDWATCH_UNITS:
        return unit
    try:
        return UNITS[unit]
    except KeyError:
        raise exceptions.InvalidParameterValue(
            name='counter_unit',
            reason='%r has no CloudWatch unit; use one of %s.'
                   % (unit, ', '.join(sorted(k for k in UNITS if k))))


def ceilometer_unit(unit: str | None) -> str:
    """The Ceilometer spelling of a stored unit."""
    return CEILOMETER_UNITS.get(unit or 'None', unit or '')


def check_text(field: str, text: str, limit: int) -> str:
    """A name or value the store can keep: 1 to ``limit`` characters, no
    control characters (PostgreSQL refuses NUL, and no client means them)."""
    if not isinstance(text, str) or not text or len(text) > limit:
        raise exceptions.InvalidParameterValue(
            name=field, reason='must be a string of 1 to %d characters.' % limit)
    if _CONTROL.search(text):
        raise exceptions.InvalidParameterValue(
            name=field, reason='must not contain control characters.')
    return text


_check_part = check_text


def metering_dimensions(metadata: dict | None) -> list[list[str]]:
    """The dimensions of a sample's ``metering.*`` metadata, canonical."""
    dimensions = []
    for key, value in (metadata or {}).items():
        if isinstance(key, str) and key.startswith(METERING_PREFIX):
            name = _check_part('resource_metadata', key[len(METERING_PREFIX):], MAX_NAME)
            if name == RESOURCE_DIMENSION:
                raise exceptions.InvalidParameterValue(
                    name='resource_metadata',
                    reason='metering.%s is reserved for resource_id.' % RESOURCE_DIMENSION)
            dimensions.append([name, _check_part('resource_metadata', str(value), MAX_VALUE)])
    return sorted(dimensions)


def sample_metrics(resource_id: str, metadata: dict | None) -> list[list[list[str]]]:
    """The dimension sets a sample is written to (see the module's docstring)."""
    _check_part('resource_id', resource_id, MAX_VALUE)
    group = metering_dimensions(metadata)
    if len(group) + 1 > MAX_DIMENSIONS:
        raise exceptions.InvalidParameterValue(
            name='resource_metadata', reason='at most %d metering.* keys.'
                                             % (MAX_DIMENSIONS - 1))
    own = sorted(group + [[RESOURCE_DIMENSION, resource_id]])
    return [own, group] if group else [own]


def check_timestamp(stamp_ms: int, now_ms: int) -> int:
    """A sample time inside the window CloudWatch accepts."""
    if not now_ms - PAST_LIMIT_MS <= stamp_ms <= now_ms + FUTURE_LIMIT_MS:
        raise exceptions.InvalidParameterValue(
            name='timestamp', reason='must be no more than two weeks in the past and no '
                                     'more than two hours in the future.')
    return stamp_ms


def check_source(source: str) -> str:
    """A source usable as a CloudWatch namespace."""
    return _check_part('source', source, MAX_NAME)


def resource_of(dimensions: list[list[str]]) -> str:
    """The resource_id of a metric's dimensions."""
    for name, value in dimensions:
        if name == RESOURCE_DIMENSION:
            return value
    return ','.join('%s=%s' % (name, value) for name, value in dimensions) or NO_DIMENSIONS


def metadata_of(dimensions: list[list[str]]) -> dict[str, str]:
    """The resource_metadata of a metric's dimensions."""
    return {METERING_PREFIX + name: value for name, value in dimensions
            if name != RESOURCE_DIMENSION}


def visible(metrics: list) -> list:
    """The metrics (MetricInfo records) /v2 shows: all but the per-group aggregates this API
    writes beside each resource's metric."""
    per_resource = set()
    for metric in metrics:
        dims = metric.dimensions
        if any(name == RESOURCE_DIMENSION for name, _ in dims):
            rest = tuple(tuple(d) for d in dims if d[0] != RESOURCE_DIMENSION)
            if rest:
                per_resource.add((metric.project_id, metric.namespace, metric.name,
                                  rest))
    return [metric for metric in metrics
            if (metric.project_id, metric.namespace, metric.name,
                tuple(tuple(d) for d in metric.dimensions)) not in per_resource]
