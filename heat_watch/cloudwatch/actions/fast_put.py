"""PutMetricData straight from the JSON body's bytes: the ingestion hot path.

The general path decodes the body into Python objects, walks it with the
botocore-shape parser, then validates it datum by datum: ~35 us a datum,
most of the API's CPU at 1000 datums a request. Here msgspec decodes the
body into typed structs, checking types and lengths as it reads (in C), one
loop checks what is left (value range, time window, unit) and groups the
points by metric (:mod:`heat_watch.watch.points`); each distinct list of
dimensions is decoded and checked once per request, not once per datum.

It only ever accepts: whatever it does not recognise as plainly valid (an
error of any kind, Values/Counts, StatisticValues, string timestamps,
nulls, escaped characters) makes it answer None and the general path takes
the whole request, so errors keep their exact AWS wording. ``test_fast_put``
checks that both paths agree on generated valid and invalid bodies.
"""

import time
from typing import Annotated, Any, Literal

import msgspec

from heat_watch.cloudwatch import validation as v
from heat_watch.cloudwatch.actions import metrics
from heat_watch.watch import points

_Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
# Checked by msgspec as it decodes.
_Unit = Literal[tuple(sorted(v.UNITS))]


class _Dimension(msgspec.Struct, forbid_unknown_fields=True):
    Name: _Name
    Value: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class _Datum(msgspec.Struct, forbid_unknown_fields=True):
    MetricName: _Name
    Value: float
    # Kept as raw JSON: datums of one metric repeat the same bytes, which
    # are decoded once per request.
    Dimensions: msgspec.Raw = msgspec.Raw(b'[]')
    Timestamp: float | None = None
    Unit: _Unit | None = None
    StorageResolution: Literal[1, 60] | None = None
    # Present, these need the general path.
    Values: Any | msgspec.UnsetType = msgspec.UNSET
    Counts: Any | msgspec.UnsetType = msgspec.UNSET
    StatisticValues: Any | msgspec.UnsetType = msgspec.UNSET


class _Body(msgspec.Struct, forbid_unknown_fields=True):
    Namespace: _Name
    MetricData: Annotated[list[_Datum], msgspec.Meta(min_length=1,
                                                     max_length=metrics.MAX_METRIC_DATA)]


_BODY = msgspec.json.Decoder(_Body)
_DIMENSIONS = msgspec.json.Decoder(
    Annotated[list[_Dimension], msgspec.Meta(max_length=v.MAX_DIMENSIONS)])
_UNSET = msgspec.UNSET
_VALUE_MAX = v.VALUE_MAX
_VALUE_MIN = v.VALUE_MIN_MAGNITUDE
_PAST_LIMIT_MS = metrics.PAST_LIMIT_MS
_FUTURE_LIMIT_MS = metrics.FUTURE_LIMIT_MS
_NO_UNIT = points.NO_UNIT
_DEFAULT_RESOLUTION = points.DEFAULT_RESOLUTION


# Canonical dimensions by their JSON bytes: clients send the same few lists
# over and over. Bounded; the lists are shared, so nothing may change them.
_DIMENSIONS_SEEN: dict[bytes, list] = {}
_DIMENSIONS_SEEN_MAX = 20_000


def _known_dimensions(raw: bytes) -> list | None:
    """:func:`_dimensions`, remembered for valid lists."""
    dims = _DIMENSIONS_SEEN.get(raw)
    if dims is None:
        dims = _dimensions(raw)
        if dims is not None:
            if len(_DIMENSIONS_SEEN) >= _DIMENSIONS_SEEN_MAX:
                _DIMENSIONS_SEEN.clear()
            _DIMENSIONS_SEEN[raw] = dims
    return dims


def _dimensions(raw: bytes) -> list | None:
    """Canonical [[name, value], ...] of plainly valid dimensions, else None."""
    try:
        dims = _DIMENSIONS.decode(raw)
    except (msgspec.MsgspecError, ValueError, RecursionError):
        return None
    pairs = sorted([dim.Name, dim.Value] for dim in dims)
    for index in range(1, len(pairs)):  # sorted: a repeated name is next to itself
        if pairs[index][0] == pairs[index - 1][0]:
            return None
    return pairs


def _decode(content: bytes) -> _Body | None:
    # Escapes may hide NUL characters or lone surrogates, which the general
    # path refuses; plain bodies hold none. One byte, not b'\\u': memchr
    # finds it a hundred times faster in a 200 KB body.
    if b'\\' in content:
        return None
    try:
        return _BODY.decode(content)
    # msgspec recurses into what it skips (Raw dimensions, Values): a body
    # nested a thousand levels deep goes to the general path, which refuses
    # it (json_protocol.too_deep). Unknown members are refused above, so
    # nothing accepted here nests deeper than the shape itself.
    except (msgspec.MsgspecError, ValueError, RecursionError):
        return None


def metrics_of(content: bytes, now: int | None = None) -> tuple[str, list[list]] | None:
    """(namespace, metrics in the engine's wire format) of a plainly valid
    body, else None. Written inline on purpose: the loop runs for every datum."""
    body = _decode(content)
    if body is None or body.Namespace.startswith((':', 'AWS/')):
        return None
    if now is None:
        now = int(time.time() * 1000)
    earliest, latest = now - _PAST_LIMIT_MS, now + _FUTURE_LIMIT_MS
    earliest_s, latest_s = earliest / 1000 - 1, latest / 1000 + 1
    groups: dict[tuple, list] = {}
    for datum in body.MetricData:
        if (datum.Values is not _UNSET or datum.Counts is not _UNSET
                or datum.StatisticValues is not _UNSET):
            return None
        value = datum.Value
        magnitude = abs(value)
        # NaN fails both comparisons.
        if not (magnitude <= _VALUE_MAX and (magnitude >= _VALUE_MIN or value == 0.0)):
            return None
        stamp = datum.Timestamp
        if stamp is None:
            stamp = now
        else:
            # Compared in seconds first: a huge number (1e303) would
            # overflow to infinity in the rounding below.
            if not earliest_s <= stamp <= latest_s:
                return None
            # Rounded to the microsecond first, as datetime.fromtimestamp does.
            stamp = round(stamp * 1_000_000) // 1000
            if not earliest <= stamp <= latest:
                return None
        unit = datum.Unit
        if unit is None:
            unit = _NO_UNIT
        resolution = datum.StorageResolution
        if resolution is None:
            resolution = _DEFAULT_RESOLUTION
        identity = (datum.MetricName, bytes(datum.Dimensions))
        group = groups.get(identity)
        if group is None:
            dims = _known_dimensions(identity[1])
            if dims is None:
                return None
            group = groups[identity] = [datum.MetricName, dims, []]
        group[2].append((stamp, unit, resolution, 1.0, value, value, value, True, None))
    return body.Namespace, list(groups.values())


def put_metric_data(ctxt, engine, content: bytes) -> dict | None:
    """PutMetricData of a JSON body; None when the general path must run."""
    found = metrics_of(content)
    if found is None:
        return None
    engine.put_metric_data(ctxt, *found)
    return {}


# Operations with a hot path over the JSON body's bytes: None declines.
JSON_FAST_PATHS = {'PutMetricData': put_metric_data}
