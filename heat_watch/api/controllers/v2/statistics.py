"""Statistics of a meter: the engine's per-metric buckets merged per group
and period, in Ceilometer's Statistics shape."""

import datetime

import pecan
import wsme
from wsme import types as wtypes

from heat_watch.api.controllers.v2 import base
from heat_watch.api.wsme_glue import client_error
from heat_watch.common import meter_mapping
from heat_watch.watch import model

AGGREGATES = ('max', 'min', 'avg', 'sum', 'count')
GROUPBY_FIELDS = ('resource_id', 'project_id', 'source')
# Ten years: longer periods would end past the dates Python represents.
MAX_PERIOD = 10 * 366 * 86400


class Aggregate(wtypes.Base):
    """A selectable aggregate: ``func`` (max, min, avg, sum, count)."""

    func = wsme.wsattr(wtypes.text, mandatory=True)
    param = wtypes.text


class Statistics(wtypes.Base):
    """The statistics of one period (and one group)."""

    groupby = {wtypes.text: wtypes.text}
    unit = wtypes.text
    min = float
    max = float
    avg = float
    sum = float
    count = int
    aggregate = {wtypes.text: float}
    duration = float
    duration_start = datetime.datetime
    duration_end = datetime.datetime
    period = int
    period_start = datetime.datetime
    period_end = datetime.datetime


def _check(groupby: list[str], period, aggregates: list[Aggregate]) -> None:
    for field in groupby:
        if field not in GROUPBY_FIELDS and base.metadata_dimension(field) is None:
            raise client_error('Cannot group by %s; groupby takes %s and '
                               'resource_metadata.<name>.' % (field, ', '.join(GROUPBY_FIELDS)))
    if period is not None and period <= 0:
        raise client_error('Period must be positive.')
    if period is not None and period > MAX_PERIOD:
        raise client_error('Period must be at most %d seconds.' % MAX_PERIOD)
    for aggregate in aggregates:
        if aggregate.func not in AGGREGATES:
            raise client_error('Aggregate %s is not supported; use one of %s.'
                               % (aggregate.func, ', '.join(AGGREGATES)))


def _group_of(metric: model.MetricInfo, groupby: list[str]) -> tuple:
    dimensions = dict(metric.dimensions)
    values = []
    for field in groupby:
        if field == 'resource_id':
            values.append(meter_mapping.resource_of(metric.dimensions))
        elif field == 'project_id':
            values.append(metric.project_id)
        elif field == 'source':
            values.append(metric.namespace)
        else:
            values.append(dimensions.get(base.metadata_dimension(field)))
    return tuple(values)


def compute(chosen: base.Selection, groupby: list[str], period, aggregates: list) -> list:
    """Statistics of the selection (see the module's docstring)."""
    _check(groupby, period, aggregates)
    request = pecan.request
    metrics = chosen.metrics(request.engine, request.context, complete=True)
    if not metrics:
        return []
    by_id = {metric.id: metric for metric in metrics}
    answer = request.engine.metric_buckets(request.context, chosen.project_id, list(by_id),
                                           chosen.start, chosen.end,
                                           period * 1000 if period else None)
    merged: dict[tuple, list] = {}
    for metric_id, bucket, unit, count, total, low, high, first, last in answer.rows:
        key = (bucket, _group_of(by_id[metric_id], groupby), unit or '')
        found = merged.get(key)
        if found is None:
            merged[key] = [count, total, low, high, first, last]
        else:
            found[0] += count
            found[1] += total
            found[2] = min(found[2], low)
            found[3] = max(found[3], high)
            found[4] = min(found[4], first)
            found[5] = max(found[5], last)
    period_ms = answer.period
    return [_statistics(key, values, groupby, period, period_ms, answer.end, aggregates)
            for key, values in sorted(merged.items(), key=lambda item: (
                item[0][0], [v or '' for v in item[0][1]], item[0][2]))]


def _statistics(key: tuple, values: list, groupby: list[str], period, period_ms: int,
                end_ms: int, aggregates: list) -> Statistics:
    bucket, group, unit = key
    count, total, low, high, first, last = values
    average = total / count if count else None
    stats = Statistics(
        groupby=dict(zip(groupby, group, strict=True)) if groupby else None,
        unit=meter_mapping.ceilometer_unit(unit), min=low, max=high, avg=average, sum=total,
        count=int(count), duration=(last - first) / 1000.0,
        duration_start=base.from_ms(first), duration_end=base.from_ms(last),
        period=period or 0, period_start=base.from_ms(bucket),
        period_end=base.from_ms(min(bucket + period_ms, end_ms) if not period
                                else bucket + period_ms))
    if aggregates:
        known = {'max': high, 'min': low, 'avg': average, 'sum': total, 'count': count}
        stats.aggregate = {a.func: known[a.func] for a in aggregates}
    return stats
