"""The watch engine's wire format of ingested data: points grouped by metric.

``put_metric_data`` carries ``metrics``, a list of ``[name, dimensions,
points]``: one metric's name, its canonical dimensions ([[name, value],
...] sorted by name), and the points pushed to it. A point is the tail of
a datapoints row, the statistic set of one datum::

    [timestamp_ms, unit, storage_resolution, sample_count, sum, minimum,
     maximum, has_raw, raw_values]

``raw_values`` is None when the raw values are implied (one value, or a set
whose minimum equals its maximum) or unknown (``has_raw`` false), else the
JSON [[value, count], ...] of the pushed values. Grouping by metric lets the
engine find each metric once per request instead of once per datum.

The per-datum form the CloudWatch API's general path builds (``n`` name,
``d`` dimensions, ``t`` time, ``u`` unit, ``r`` resolution and one of ``v``,
``vs``/``cs`` or ``s``) becomes points through :func:`point` and
:func:`group`.
"""

import json

NO_UNIT = 'None'
DEFAULT_RESOLUTION = 60


def value_point(stamp: int, unit: str, resolution: int, value: float) -> tuple:
    """The point of one plain value."""
    return (stamp, unit, resolution, 1.0, value, value, value, True, None)


def point(datum: dict) -> tuple:
    """The point of one per-datum wire dict."""
    unit = datum.get('u') or NO_UNIT
    resolution = datum.get('r') or DEFAULT_RESOLUTION
    value = datum.get('v')
    if value is not None:
        return value_point(datum['t'], unit, resolution, value)
    if 's' in datum:
        count, total, low, high = datum['s']
        # AWS keeps percentiles of a statistic set whose Minimum equals its
        # Maximum (every sample has that value), whatever its Sum says.
        return (datum['t'], unit, resolution, count, total, low, high, low == high, None)
    return (datum['t'], unit, resolution) + _values_tail(datum['vs'], datum.get('cs'))


def _values_tail(values: list[float], counts: list[float] | None) -> tuple:
    counts = counts or [1.0] * len(values)
    pairs = [(v, c) for v, c in zip(values, counts, strict=True) if c > 0]
    low, high = min(v for v, _ in pairs), max(v for v, _ in pairs)
    return (float(sum(c for _, c in pairs)), float(sum(v * c for v, c in pairs)), low, high,
            True, json.dumps(pairs) if low != high else None)


def group(datums: list[dict]) -> list[list]:
    """Per-datum wire dicts as ``metrics`` (see the module's docstring)."""
    groups: dict[tuple, list] = {}
    for datum in datums:
        identity = (datum['n'], *(item for pair in datum['d'] for item in pair))
        found = groups.get(identity)
        if found is None:
            found = groups[identity] = [datum['n'], datum['d'], []]
        found[2].append(point(datum))
    return list(groups.values())


def count(metrics: list[list]) -> int:
    """How many points ``metrics`` holds."""
    return sum(len(points) for _, _, points in metrics)
