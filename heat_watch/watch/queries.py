"""Answers to the metric read operations, computed in the watch engine.

Arguments arrive as the engine's records (:mod:`heat_watch.watch.model`),
checked by the API that took the request, with times as epoch
milliseconds; answers go back as records too (statistics per period, a
series per query, a page of metrics), which each API renders in its own
dialect.
"""

import base64
import binascii
import collections
import json
import operator
from collections.abc import Iterable, Sequence

from heat_watch.common import exceptions
from heat_watch.watch import model, statistics
from heat_watch.watch.storage import metrics as metric_storage

LIST_METRICS_PAGE = 500
RECENTLY_ACTIVE_MS = 3 * 3600 * 1000
# The most values a series read answers at once (AWS's GetMetricData limit).
MAX_DATAPOINTS = 100_800


def encode_token(state: dict) -> str:
    """An opaque continuation marker."""
    return base64.urlsafe_b64encode(json.dumps(state, separators=(',', ':')).encode()).decode()


def decode_token(token: str | None, *fields: str) -> dict:
    """The state inside a marker from :func:`encode_token`; checks its fields."""
    if not token:
        return {}
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, AttributeError):
        raise exceptions.InvalidNextToken()
    if not isinstance(state, dict) or any(not _is_position(state.get(f)) for f in fields):
        raise exceptions.InvalidNextToken()
    return state


def _is_position(value) -> bool:
    """An offset or an id a marker may carry: what the database's 64-bit
    integers hold (a larger one failed in the driver as a server error)."""
    return type(value) is int and 0 <= value < 2 ** 63


def _metric_id(store: metric_storage.MetricStore, project_id: str,
               metric: model.MetricSelector) -> int | None:
    return store.find_metric_id(project_id, metric.namespace, metric.metric_name,
                                [list(d) for d in metric.dimensions])


def _stat_sets_of(store: metric_storage.MetricStore, metric_ids: list[int], start: int,
                  end: int, period_ms: int, unit: str | None,
                  need_raw: bool) -> dict[int, dict[tuple, statistics.StatSet]]:
    """metric id -> (bucket, unit) -> StatSet over [start, end), of several
    metrics in one read of each table (on SQLite the unindexed ingestion
    buffer is scanned once, whatever the number of metrics)."""
    rows = store.bucket_aggregates(metric_ids, start, end, period_ms, unit)
    raws = store.raw_values(metric_ids, start, end, period_ms, unit) if need_raw else {}
    sets: dict[int, dict[tuple, statistics.StatSet]] = {metric_id: {} for metric_id in metric_ids}
    # Rows unpacked as tuples: a Row's attribute access costs ~0.4 us per column.
    for metric_id, bucket, row_unit, count, total, low, high, no_raw in rows:
        values = None
        if need_raw and not no_raw:
            values = raws.get((metric_id, bucket, row_unit), [])
        sets[metric_id][(bucket, row_unit)] = statistics.StatSet(
            sample_count=count, sum=total, minimum=low, maximum=high, values=values)
    return sets


def _stat_sets(store: metric_storage.MetricStore, metric_id: int, start: int, end: int,
               period_ms: int, unit: str | None, need_raw: bool) -> dict[tuple, statistics.StatSet]:
    """(bucket, unit) -> StatSet of one metric over [start, end)."""
    return _stat_sets_of(store, [metric_id], start, end, period_ms, unit, need_raw)[metric_id]


# bucket_aggregates rows by (bucket, unit).
_BY_BUCKET = operator.itemgetter(1, 2)


def simple_points(rows: Iterable[Sequence]) -> list[model.StatisticsPoint]:
    """Statistics points by (bucket, unit), read straight off
    :meth:`MetricStore.bucket_aggregates` rows of one metric, without a
    StatSet: there are up to 1,440 per call, and objects per bucket were
    most of its cost."""
    # tuple.__new__ rather than the named tuple's own __new__, a Python
    # function call per point; one shared empty tuple of percentiles.
    new, point, none = tuple.__new__, model.StatisticsPoint, ()
    return [new(point, (bucket, unit, count, total, low, high, total / count, none))
            for _id, bucket, unit, count, total, low, high, _no_raw in sorted(rows, key=_BY_BUCKET)]


def metric_statistics(store: metric_storage.MetricStore, project_id: str,
                      metric: model.MetricSelector, start: int, end: int, period: int,
                      percentiles: Sequence[float] = ()) -> model.StatisticsResult:
    """The statistics of one metric per ``period`` seconds (and unit) with
    data in [start, end), with the ``percentiles`` asked for (0..100)."""
    percentiles = list(percentiles)
    result = model.StatisticsResult(percentiles, [])
    metric_id = _metric_id(store, project_id, metric)
    if metric_id is None:
        return result
    period_ms = period * 1000
    if not percentiles:
        rows = store.bucket_aggregates([metric_id], start, end, period_ms, metric.unit,
                                       count_raw=False)
        return model.StatisticsResult(percentiles, simple_points(rows))
    sets = _stat_sets(store, metric_id, start, end, period_ms, metric.unit, need_raw=True)
    distinct = sorted(set(percentiles))
    for (bucket, unit), stat_set in sorted(sets.items()):
        values = statistics.percentiles(stat_set, distinct)
        result.points.append(model.StatisticsPoint(
            bucket, unit, stat_set.sample_count, stat_set.sum, stat_set.minimum,
            stat_set.maximum, stat_set.average, [values[p] for p in percentiles]))
    return result


def _stat_value(stat_set: statistics.StatSet, query: model.MetricQuery) -> float | None:
    if query.percentile is None:
        return statistics.statistic(stat_set, query.statistic)
    return statistics.percentiles(stat_set, [query.percentile])[query.percentile]


def _series(sets: dict[tuple, statistics.StatSet],
            query: model.MetricQuery) -> list[tuple[int, float]]:
    merged: dict[int, statistics.StatSet] = {}
    for (bucket, _unit), stat_set in sets.items():
        merged[bucket] = merged[bucket].merge(stat_set) if bucket in merged else stat_set
    series = []
    for bucket in sorted(merged):
        value = _stat_value(merged[bucket], query)
        if value is not None:
            series.append((bucket, value))
    return series


def _queries_series(store, project_id: str, queries: list[model.MetricQuery],
                    end: int) -> dict[str, list[tuple[int, float]]]:
    """Query id -> series of each query. Queries that share a start, period,
    unit and need of raw values are read together."""
    groups: dict[tuple, list[tuple[model.MetricQuery, int]]] = collections.defaultdict(list)
    series: dict[str, list[tuple[int, float]]] = {}
    for query in queries:
        if query.percentile is None:
            statistics.check_statistic(query.statistic)
        metric_id = _metric_id(store, project_id, query.metric)
        series[query.id] = []
        if metric_id is None:
            continue
        key = (query.start, query.period * 1000, query.metric.unit, query.percentile is not None)
        groups[key].append((query, metric_id))
    for (query_start, period_ms, unit, need_raw), members in groups.items():
        sets = _stat_sets_of(store, sorted({m for _, m in members}), query_start, end,
                             period_ms, unit, need_raw)
        for query, metric_id in members:
            series[query.id] = _series(sets[metric_id], query)
    return series


def metric_data(store: metric_storage.MetricStore, project_id: str,
                queries: list[model.MetricQuery], end: int, ascending: bool = False,
                max_datapoints: int | None = None,
                marker: str | None = None) -> model.MetricData:
    """The series of each query up to ``end``, newest first unless
    ``ascending``, paged by ``max_datapoints`` values across all queries."""
    offset = decode_token(marker, 'offset').get('offset', 0)
    budget = max_datapoints or MAX_DATAPOINTS
    results, position, more, taken = [], 0, False, 0
    all_series = _queries_series(store, project_id, queries, end)
    for query in queries:
        series = all_series[query.id]
        if not ascending:
            series.reverse()
        skip = min(max(offset - position, 0), len(series))
        take = series[skip:skip + budget]
        budget -= len(take)
        taken += len(take)
        position += len(series)
        complete = skip + len(take) == len(series)
        more = more or not complete
        results.append(model.MetricDataResult(query.id, [t for t, _ in take],
                                              [v for _, v in take], complete))
    return model.MetricData(results, encode_token({'offset': offset + taken}) if more else None)


def list_metrics(store: metric_storage.MetricStore, project_id: str, namespace: str | None,
                 metric_name: str | None, dimensions: list[list], recently_active: bool,
                 marker: str | None, now_ms: int) -> model.MetricListing:
    """A page of 500 metrics in creation order; a dimension filter
    [name, None] matches any value."""
    after = decode_token(marker, 'after').get('after', 0)
    active_since = now_ms - RECENTLY_ACTIVE_MS if recently_active else None
    rows = store.list_metrics(project_id, namespace, metric_name,
                              [(name, value) for name, value in dimensions or []],
                              active_since, after, LIST_METRICS_PAGE + 1)
    page = rows[:LIST_METRICS_PAGE]
    listed = model.ListedMetric
    # Stored dimensions are canonical already.
    metrics = [listed(r.namespace, r.metric_name, json.loads(r.dimensions)) for r in page]
    return model.MetricListing(metrics, encode_token({'after': page[-1].id})
                               if len(rows) > LIST_METRICS_PAGE else None)
