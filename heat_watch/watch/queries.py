"""Answers to the metric read operations, computed in the watch engine.

Arguments arrive validated by the API, in the CloudWatch shapes, with
times as epoch milliseconds; results go back in the same shapes.
"""

import base64
import binascii
import collections
import json
import operator
from collections.abc import Iterable, Sequence

from heat_watch.common import exceptions
from heat_watch.watch import statistics
from heat_watch.watch.storage import metrics as metric_storage

LIST_METRICS_PAGE = 500
RECENTLY_ACTIVE_MS = 3 * 3600 * 1000


def encode_token(state: dict) -> str:
    """An opaque pagination token."""
    return base64.urlsafe_b64encode(json.dumps(state, separators=(',', ':')).encode()).decode()


def decode_token(token: str | None, *fields: str) -> dict:
    """The state inside a token from :func:`encode_token`; checks its fields."""
    if not token:
        return {}
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise exceptions.InvalidNextToken()
    if not isinstance(state, dict) or any(not isinstance(state.get(f), int) for f in fields):
        raise exceptions.InvalidNextToken()
    return state


def _dims(dimensions: list[dict] | None) -> list[list[str]]:
    return metric_storage.canonical_dimensions(
        (d['Name'], d['Value']) for d in dimensions or [])


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


def simple_datapoints(rows: Iterable[Sequence], wanted: list[str]) -> list[dict]:
    """GetMetricStatistics datapoints of simple statistics, by (bucket, unit).

    ``rows`` are :meth:`MetricStore.bucket_aggregates` rows of one metric.
    Each datapoint is read straight off its row, without a StatSet: there
    are up to 1,440 per call, and objects per bucket were most of its cost.
    A point holds every statistic, less those not wanted (the protocols
    write members in their shape's order, not the dict's).
    """
    for name in wanted:
        statistics.check_statistic(name)
    average = 'Average' in wanted
    unwanted = [name for name in statistics.STATISTICS if name not in wanted]
    points = []
    for _id, bucket, unit, count, total, low, high, _no_raw in sorted(rows, key=_BY_BUCKET):
        point = {'Timestamp': bucket, 'Unit': unit, 'SampleCount': count,
                 'Average': total / count if average else None, 'Sum': total,
                 'Minimum': low, 'Maximum': high}
        for name in unwanted:
            del point[name]
        points.append(point)
    return points


def metric_statistics(store: metric_storage.MetricStore, project_id: str, args: dict) -> dict:
    """GetMetricStatistics: one datapoint per period (and unit) with data."""
    metric_id = store.find_metric_id(project_id, args['Namespace'], args['MetricName'],
                                     _dims(args.get('Dimensions')))
    result = {'Label': args['MetricName'], 'Datapoints': []}
    if metric_id is None:
        return result
    period_ms = args['Period'] * 1000
    wanted = args.get('Statistics') or []
    extended = args.get('ExtendedStatistics') or []
    if not extended:
        rows = store.bucket_aggregates([metric_id], args['StartTime'], args['EndTime'],
                                       period_ms, args.get('Unit'), count_raw=False)
        result['Datapoints'] = simple_datapoints(rows, wanted)
        return result
    sets = _stat_sets(store, metric_id, args['StartTime'], args['EndTime'], period_ms,
                      args.get('Unit'), need_raw=True)
    for (bucket, unit), stat_set in sorted(sets.items()):
        point = {'Timestamp': bucket, 'Unit': unit}
        for name in wanted:
            point[name] = statistics.statistic(stat_set, name)
        point['ExtendedStatistics'] = _extended(stat_set, extended)
        result['Datapoints'].append(point)
    return result


def _extended(stat_set: statistics.StatSet, names: list[str]) -> dict[str, float]:
    wanted = {name: statistics.parse_extended_statistic(name) for name in names}
    values = statistics.percentiles(stat_set, sorted(set(wanted.values())))
    # AWS leaves out a percentile it cannot compute (e.g. statistic sets).
    return {name: values[p] for name, p in wanted.items() if values.get(p) is not None}


def _stat_value(stat_set: statistics.StatSet, stat: str) -> float | None:
    if stat in statistics.STATISTICS:
        return statistics.statistic(stat_set, stat)
    percentile = statistics.parse_extended_statistic(stat)
    return statistics.percentiles(stat_set, [percentile])[percentile]


def _series(sets: dict[tuple, statistics.StatSet], stat: str) -> list[tuple[int, float]]:
    merged: dict[int, statistics.StatSet] = {}
    for (bucket, _unit), stat_set in sets.items():
        merged[bucket] = merged[bucket].merge(stat_set) if bucket in merged else stat_set
    series = []
    for bucket in sorted(merged):
        value = _stat_value(merged[bucket], stat)
        if value is not None:
            series.append((bucket, value))
    return series


def _queries_series(store, project_id: str, queries: list[dict], start: int,
                    end: int) -> dict[str, list[tuple[int, float]]]:
    """Query id -> series of each MetricStat query. Queries that share a
    start, period, unit and need of raw values are read together."""
    groups: dict[tuple, list[tuple[dict, int]]] = collections.defaultdict(list)
    series: dict[str, list[tuple[int, float]]] = {}
    for query in queries:
        metric_stat = query['MetricStat']
        metric = metric_stat['Metric']
        metric_id = store.find_metric_id(project_id, metric['Namespace'], metric['MetricName'],
                                         _dims(metric.get('Dimensions')))
        series[query['Id']] = []
        if metric_id is None:
            continue
        # The API rounds StartTime per query (sub-minute periods round further).
        key = (query.get('StartTime', start), metric_stat['Period'] * 1000,
               metric_stat.get('Unit'), metric_stat['Stat'] not in statistics.STATISTICS)
        groups[key].append((query, metric_id))
    for (query_start, period_ms, unit, need_raw), members in groups.items():
        sets = _stat_sets_of(store, sorted({m for _, m in members}), query_start, end,
                             period_ms, unit, need_raw)
        for query, metric_id in members:
            series[query['Id']] = _series(sets[metric_id], query['MetricStat']['Stat'])
    return series


def metric_data(store: metric_storage.MetricStore, project_id: str, args: dict) -> dict:
    """GetMetricData: the series of each MetricStat query, paged by
    MaxDatapoints across all queries."""
    # AWS's default order is newest first; the API passes ScanBy=None when omitted.
    descending = (args.get('ScanBy') or 'TimestampDescending') == 'TimestampDescending'
    offset = decode_token(args.get('NextToken'), 'offset').get('offset', 0)
    budget = args.get('MaxDatapoints') or 100_800
    results, position, more = [], 0, False
    wanted = [q for q in args['MetricDataQueries'] if q.get('ReturnData') is not False]
    all_series = _queries_series(store, project_id, wanted, args['StartTime'], args['EndTime'])
    for query in wanted:
        series = all_series[query['Id']]
        if descending:
            series.reverse()
        skip = min(max(offset - position, 0), len(series))
        take = series[skip:skip + budget]
        budget -= len(take)
        position += len(series)
        complete = skip + len(take) == len(series)
        more = more or not complete
        results.append({'Id': query['Id'], 'Label': query.get('Label') or
                        query['MetricStat']['Metric']['MetricName'],
                        'Timestamps': [t for t, _ in take], 'Values': [v for _, v in take],
                        'StatusCode': 'Complete' if complete else 'PartialData'})
    answer = {'MetricDataResults': results, 'Messages': []}
    if more:
        answer['NextToken'] = encode_token({'offset': offset + sum(
            len(r['Timestamps']) for r in results)})
    return answer


def list_metrics(store: metric_storage.MetricStore, project_id: str, args: dict,
                 now_ms: int) -> dict:
    """ListMetrics: pages of 500 metrics in creation order."""
    after = decode_token(args.get('NextToken'), 'after').get('after', 0)
    active_since = now_ms - RECENTLY_ACTIVE_MS if args.get('RecentlyActive') else None
    filters = [(d['Name'], d.get('Value')) for d in args.get('Dimensions') or []]
    rows = store.list_metrics(project_id, args.get('Namespace'), args.get('MetricName'),
                              filters, active_since, after, LIST_METRICS_PAGE + 1)
    page = rows[:LIST_METRICS_PAGE]
    answer = {'Metrics': [{'Namespace': r.namespace, 'MetricName': r.metric_name,
                           'Dimensions': [{'Name': n, 'Value': v}
                                          for n, v in json.loads(r.dimensions)]}
                          for r in page]}
    if len(rows) > LIST_METRICS_PAGE:
        answer['NextToken'] = encode_token({'after': page[-1].id})
    return answer
