"""PutMetricData straight from a decoded JSON body: the ingestion hot path.

The general path walks the body twice (the botocore-shape parser, then the
validation of :mod:`heat_watch.cloudwatch.actions.metrics`) at ~35 us per
datum, most of the API's CPU at 1000 datums a request. Here one loop checks
and converts the common datum (MetricName, Dimensions, numeric Timestamp,
Value, Unit, StorageResolution) into the engine's wire format in ~3 us.

It only ever accepts: whatever it does not recognise as plainly valid (an
error of any kind, Values/Counts, StatisticValues, string timestamps,
nulls) makes it answer None and the general path takes the whole request,
so errors keep their exact AWS wording. ``test_fast_put`` checks that both
paths agree on generated valid and invalid bodies.
"""

import time

from heat_watch.cloudwatch import validation as v
from heat_watch.cloudwatch.actions import metrics

_SLOW_KEYS = ('Values', 'Counts', 'StatisticValues')
_UNITS = v.UNITS
_VALUE_MAX = v.VALUE_MAX
_VALUE_MIN = v.VALUE_MIN_MAGNITUDE


def _dimensions(dims) -> list | None:
    """Canonical [[name, value], ...] of plainly valid dimensions, else None."""
    if dims is None:
        return []
    if dims.__class__ is not list or len(dims) > v.MAX_DIMENSIONS:
        return None
    pairs = []
    for dim in dims:
        if dim.__class__ is not dict:
            return None
        name, value = dim.get('Name'), dim.get('Value')
        if (name.__class__ is not str or value.__class__ is not str
                or not 0 < len(name) <= 255 or not 0 < len(value) <= 1024):
            return None
        pairs.append([name, value])
    if len(pairs) > 1:
        pairs.sort()
        if len({name for name, _ in pairs}) != len(pairs):
            return None
    return pairs


def _value(value) -> float | None:
    if value.__class__ is int:
        if abs(value) > _VALUE_MAX:
            return None
        value = float(value)
    elif value.__class__ is not float:
        return None
    magnitude = abs(value)
    # NaN fails both comparisons.
    if magnitude <= _VALUE_MAX and (magnitude >= _VALUE_MIN or value == 0.0):
        return value
    return None


def _timestamp(stamp, now: int) -> int | None:
    if stamp is None:
        return now
    if stamp.__class__ is not float and stamp.__class__ is not int:
        return None
    # Rounded to the microsecond first, as datetime.fromtimestamp does.
    stamp = round(stamp * 1_000_000) // 1000
    if now - metrics.PAST_LIMIT_MS <= stamp <= now + metrics.FUTURE_LIMIT_MS:
        return stamp
    return None


def _datum(datum, now: int) -> dict | None:
    if datum.__class__ is not dict:
        return None
    name = datum.get('MetricName')
    if name.__class__ is not str or not 0 < len(name) <= 255:
        return None
    for key in _SLOW_KEYS:
        if key in datum:
            return None
    value = _value(datum.get('Value'))
    dims = _dimensions(datum.get('Dimensions'))
    stamp = _timestamp(datum.get('Timestamp'), now)
    if value is None or dims is None or stamp is None:
        return None
    wire = {'n': name, 'd': dims, 't': stamp, 'v': value}
    unit = datum.get('Unit')
    if unit is not None:
        if unit.__class__ is not str or unit not in _UNITS:
            return None
        if unit != 'None':
            wire['u'] = unit
    resolution = datum.get('StorageResolution')
    if resolution is not None:
        if resolution.__class__ is not int or resolution not in (1, 60):
            return None
        wire['r'] = resolution
    return wire


def wire_datums(body: dict, now: int | None = None) -> tuple[str, list[dict]] | None:
    """(namespace, wire datums) of a plainly valid body, else None."""
    namespace = body.get('Namespace')
    metric_data = body.get('MetricData')
    if (namespace.__class__ is not str or not 0 < len(namespace) <= 255
            or namespace.startswith((':', 'AWS/'))):
        return None
    if metric_data.__class__ is not list or not 0 < len(metric_data) <= metrics.MAX_METRIC_DATA:
        return None
    if now is None:
        now = int(time.time() * 1000)
    datums = []
    for datum in metric_data:
        wire = _datum(datum, now)
        if wire is None:
            return None
        datums.append(wire)
    return namespace, datums


def put_metric_data(ctxt, engine, body: dict) -> dict | None:
    """PutMetricData of a decoded JSON body; None when the general path must run."""
    found = wire_datums(body)
    if found is None:
        return None
    engine.put_metric_data(ctxt, *found)
    return {}


# Operations with a JSON hot path: each answers None to decline.
JSON_FAST_PATHS = {'PutMetricData': put_metric_data}
