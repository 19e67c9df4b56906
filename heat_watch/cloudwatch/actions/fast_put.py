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

_UNITS = v.UNITS
_VALUE_MAX = v.VALUE_MAX
_VALUE_MIN = v.VALUE_MIN_MAGNITUDE
_MAX_DIMENSIONS = v.MAX_DIMENSIONS
_PAST_LIMIT_MS = metrics.PAST_LIMIT_MS
_FUTURE_LIMIT_MS = metrics.FUTURE_LIMIT_MS


def _dimensions(dims: list) -> list | None:
    """Canonical [[name, value], ...] of plainly valid dimensions, else None."""
    if dims.__class__ is not list or len(dims) > _MAX_DIMENSIONS:
        return None
    pairs = []
    for dim in dims:
        if dim.__class__ is not dict:
            return None
        name = dim.get('Name')
        value = dim.get('Value')
        if (name.__class__ is not str or value.__class__ is not str
                or not 0 < len(name) <= 255 or not 0 < len(value) <= 1024):
            return None
        pairs.append([name, value])
    if len(pairs) > 1:
        pairs.sort()
        previous = None
        for name, _ in pairs:  # sorted: a repeated name is next to itself
            if name == previous:
                return None
            previous = name
    return pairs


def _datum(datum, now: int) -> dict | None:
    """One datum in wire format, or None. Written inline on purpose: it runs
    for every datum and each Python call here cost ~5% of the API's CPU."""
    if datum.__class__ is not dict:
        return None
    name = datum.get('MetricName')
    if name.__class__ is not str or not 0 < len(name) <= 255:
        return None
    if 'Values' in datum or 'StatisticValues' in datum or 'Counts' in datum:
        return None
    value = datum.get('Value')
    if value.__class__ is int and abs(value) <= _VALUE_MAX:
        value = float(value)
    elif value.__class__ is not float:
        return None
    magnitude = abs(value)
    # NaN fails both comparisons.
    if not (magnitude <= _VALUE_MAX and (magnitude >= _VALUE_MIN or value == 0.0)):
        return None
    dims = datum.get('Dimensions')
    if dims is None:
        dims = []
    else:
        dims = _dimensions(dims)
        if dims is None:
            return None
    stamp = datum.get('Timestamp')
    if stamp is None:
        stamp = now
    elif stamp.__class__ is float or stamp.__class__ is int:
        # Rounded to the microsecond first, as datetime.fromtimestamp does.
        stamp = round(stamp * 1_000_000) // 1000
        if not now - _PAST_LIMIT_MS <= stamp <= now + _FUTURE_LIMIT_MS:
            return None
    else:
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
