"""Metric actions: PutMetricData, GetMetricStatistics, GetMetricData, ListMetrics.

Each action validates its input as AWS documents it, turns it into the
engine's records (times in epoch milliseconds), calls the watch engine, and
renders the engine's answer (:mod:`heat_watch.watch.model`) as AWS shapes.
"""

import re
import time

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch import validation as v
from heat_watch.watch import model, points

MAX_METRIC_DATA = 1000
MAX_VALUES = 150
MAX_STATISTIC_DATAPOINTS = 1440
MAX_QUERIES = 500
MAX_QUERY_DATAPOINTS = 100_800
PAST_LIMIT_MS = 14 * 86400 * 1000
FUTURE_LIMIT_MS = 2 * 3600 * 1000
DAY_MS = 86400 * 1000
QUERY_ID = re.compile(r'^[a-z][a-zA-Z0-9_]*$')


def _namespace(data: dict, required: bool = True, name: str = 'Namespace') -> str | None:
    """A namespace to read from: AWS/ ones may be named (they are merely empty)."""
    namespace = v.string(data, 'Namespace', name, required=required)
    if namespace is not None and namespace.startswith(':'):
        raise v.invalid(name, namespace, 'A namespace must not begin with ":".')
    return namespace


# Heat's LoadBalancer is an instance running HAProxy whose agent
# (cfn-push-stats --haproxy) reports the load balancer's metrics as AWS's
# own service would: under AWS/ELB, the only AWS/ namespace a tenant writes.
AGENT_NAMESPACES = frozenset(('AWS/ELB',))


def _own_namespace(data: dict) -> str:
    """A namespace to put to: those beginning with AWS/ are reserved."""
    namespace = _namespace(data)
    if namespace.startswith('AWS/') and namespace not in AGENT_NAMESPACES:
        raise v.invalid('Namespace', namespace, 'Namespaces beginning with AWS/ are reserved.')
    return namespace


def _datum_value(datum: dict, name: str, wire: dict) -> None:
    given = [k for k in ('Value', 'Values', 'StatisticValues') if datum.get(k) is not None]
    if not given:
        raise errors.MissingParameter(
            'At least one of the parameters %s.Value, %s.StatisticValues or %s.Values must '
            'be specified.' % (name, name, name))
    if len(given) > 1:
        raise errors.InvalidParameterCombination(
            'The parameters %s are mutually exclusive.' % ' and '.join(
                '%s.%s' % (name, k) for k in given))
    if given[0] == 'Value':
        wire['v'] = v.number(datum['Value'], name + '.Value')
    elif given[0] == 'Values':
        _values(datum, name, wire)
    else:
        _statistic_values(datum['StatisticValues'], name + '.StatisticValues', wire)


def _values(datum: dict, name: str, wire: dict) -> None:
    values, counts = datum['Values'], datum.get('Counts')
    if not values or len(values) > MAX_VALUES:
        raise v.invalid(name + '.Values', '[...]',
                        'It must hold between 1 and %d values.' % MAX_VALUES)
    wire['vs'] = [v.number(x, v.member(name + '.Values', i)) for i, x in enumerate(values)]
    if counts:
        if len(counts) != len(values):
            raise errors.InvalidParameterCombination(
                'The parameters %s.Values and %s.Counts must be arrays of the same length.'
                % (name, name))
        wire['cs'] = [v.number(c, v.member(name + '.Counts', i)) for i, c in enumerate(counts)]
        if any(c < 0 for c in wire['cs']):
            raise v.invalid(name + '.Counts', counts, 'Counts must not be negative.')
        if not any(c > 0 for c in wire['cs']):
            raise v.invalid(name + '.Counts', counts, 'At least one count must be positive.')


def _statistic_values(stats: dict, name: str, wire: dict) -> None:
    parts = [v.number(v.require(stats, k, '%s.%s' % (name, k)), '%s.%s' % (name, k))
             for k in ('SampleCount', 'Sum', 'Minimum', 'Maximum')]
    if parts[0] <= 0:
        raise v.invalid(name + '.SampleCount', parts[0], 'It must be positive.')
    if parts[2] > parts[3]:
        raise errors.InvalidParameterCombination(
            'The parameter %s.Minimum must not be greater than %s.Maximum.' % (name, name))
    wire['s'] = parts


def _datum(datum: dict, index: int, now: int) -> dict:
    name = v.member('MetricData', index)
    if not isinstance(datum, dict):
        raise v.invalid(name, datum)
    wire = {'n': v.string(datum, 'MetricName', name + '.MetricName', required=True)}
    dims = v.dimensions(datum.get('Dimensions'), name + '.Dimensions')
    wire['d'] = sorted([d['Name'], d['Value']] for d in dims)
    stamp = v.timestamp(datum, 'Timestamp', name + '.Timestamp', required=False)
    if stamp is None:
        stamp = now
    elif stamp < now - PAST_LIMIT_MS or stamp > now + FUTURE_LIMIT_MS:
        raise v.invalid(name + '.Timestamp', v.from_ms(stamp).isoformat(),
                        'The timestamp must be no more than two weeks in the past and no '
                        'more than two hours in the future.')
    wire['t'] = stamp
    unit = v.unit(datum, 'Unit', name + '.Unit')
    if unit and unit != 'None':
        wire['u'] = unit
    resolution = datum.get('StorageResolution')
    if resolution is not None:
        if resolution not in (1, 60):
            raise v.invalid(name + '.StorageResolution', resolution, 'It must be 1 or 60.')
        wire['r'] = resolution
    _datum_value(datum, name, wire)
    return wire


def put_metric_data(ctxt, engine, data: dict) -> dict:
    """PutMetricData: acknowledged once the datapoints are committed."""
    namespace = _own_namespace(data)
    metric_data = v.require(data, 'MetricData')
    if not isinstance(metric_data, list) or len(metric_data) > MAX_METRIC_DATA:
        raise v.invalid('MetricData', '[...]', 'The collection MetricData must not have more '
                        'than %d members.' % MAX_METRIC_DATA)
    now = int(time.time() * 1000)
    datums = [_datum(d, i, now) for i, d in enumerate(metric_data)]
    engine.put_metric_data(ctxt, namespace, points.group(datums))
    return {}


def _statistics(data: dict) -> tuple[list[str], list[str]]:
    stats = data.get('Statistics') or []
    extended = data.get('ExtendedStatistics') or []
    if not stats and not extended:
        raise errors.MissingParameter('Must specify either Statistics or ExtendedStatistics.')
    if stats and extended:
        raise errors.InvalidParameterCombination(
            'Must specify either Statistics or ExtendedStatistics, but not both.')
    if len(stats) > 5 or len(extended) > 10:
        raise errors.InvalidParameterCombination(
            'At most 5 Statistics and 10 ExtendedStatistics may be requested.')
    for i, stat in enumerate(stats):
        if stat not in v.STATISTICS:
            raise v.invalid(v.member('Statistics', i), stat,
                            'Valid values: %s.' % ', '.join(v.STATISTICS))
    for i, stat in enumerate(extended):
        v.extended_statistic(stat, v.member('ExtendedStatistics', i))
    return stats, extended


def _time_range(data: dict) -> tuple[int, int]:
    start = v.timestamp(data, 'StartTime', 'StartTime')
    end = v.timestamp(data, 'EndTime', 'EndTime')
    if start >= end:
        raise errors.InvalidParameterValue(
            'The parameter StartTime must be less than the parameter EndTime.')
    return start, end


def _round_start(start: int, period: int, now: int) -> int:
    """StartTime as AWS rounds it: down to a multiple of a sub-minute period,
    else to the minute (to 5 minutes past 15 days, to the hour past 63 days).
    Periods then begin at the rounded StartTime; earlier data stays out."""
    if period < 60:
        step = period * 1000
    elif now - start > 63 * DAY_MS:
        step = 3600 * 1000
    elif now - start > 15 * DAY_MS:
        step = 300 * 1000
    else:
        step = 60 * 1000
    return start - start % step


def _selector(namespace: str, name: str, dimensions: list[dict] | None,
              unit: str | None = None) -> model.MetricSelector:
    """The engine's selector of an AWS metric (Namespace, MetricName, Dimensions)."""
    return model.MetricSelector.from_wire({
        'namespace': namespace, 'metric_name': name, 'unit': unit,
        'dimensions': [[d['Name'], d['Value']] for d in dimensions or []]})


def _percentile(name: str) -> float:
    """The percentile of a validated extended statistic ('p99.9' -> 99.9)."""
    return float(name[1:])


# The position of each AWS statistic in a StatisticsPoint (read by index:
# up to 1,440 points a call).
_POINT_FIELDS = {aws: model.StatisticsPoint._fields.index(field) for aws, field in (
    ('SampleCount', 'sample_count'), ('Sum', 'sum'), ('Minimum', 'minimum'),
    ('Maximum', 'maximum'), ('Average', 'average'))}
_PERCENTILES = model.StatisticsPoint._fields.index('percentiles')


def datapoints(result: model.StatisticsResult, wanted: list[str],
               extended: list[str]) -> list[dict]:
    """GetMetricStatistics Datapoints of the engine's statistics, with the
    statistics asked for (protocols write members in their shape's order,
    not the dict's); a percentile that cannot be computed is left out, as
    AWS leaves it."""
    fields = [(name, _POINT_FIELDS[name]) for name in wanted]
    from_ms = v.from_ms
    rendered = []
    for point in result.points:
        datapoint = {'Timestamp': from_ms(point[0]), 'Unit': point[1]}
        for name, field in fields:
            datapoint[name] = point[field]
        if extended:
            datapoint['ExtendedStatistics'] = {
                name: value for name, value in zip(extended, point[_PERCENTILES], strict=True)
                if value is not None}
        rendered.append(datapoint)
    return rendered


def get_metric_statistics(ctxt, engine, data: dict) -> dict:
    """GetMetricStatistics: at most 1,440 datapoints per call."""
    namespace = _namespace(data)
    name = v.string(data, 'MetricName', 'MetricName', required=True)
    dimensions = v.dimensions(data.get('Dimensions'), 'Dimensions')
    period = v.period(data, 'Period', 'Period')
    unit = v.unit(data, 'Unit', 'Unit')
    wanted, extended = _statistics(data)
    start, end = _time_range(data)
    start = _round_start(start, period, int(time.time() * 1000))
    requested = -(-(end - start) // (period * 1000))
    if requested > MAX_STATISTIC_DATAPOINTS:
        raise errors.InvalidParameterCombination(
            f'You have requested up to {requested:,} datapoints, which exceeds the limit of '
            f'{MAX_STATISTIC_DATAPOINTS:,}. You may reduce the datapoints requested by '
            'increasing Period, or decreasing the time range.')
    result = engine.metric_statistics(ctxt, _selector(namespace, name, dimensions, unit),
                                      start, end, period, [_percentile(p) for p in extended])
    return {'Label': name, 'Datapoints': datapoints(result, wanted, extended)}


def _metric_query(query: dict, index: int, start: int, end: int, ids: set,
                  now: int) -> dict:
    name = v.member('MetricDataQueries', index)
    query_id = v.string(query, 'Id', name + '.Id', required=True)
    if not QUERY_ID.fullmatch(query_id):
        raise v.invalid(name + '.Id', query_id, 'It must start with a lower-case letter and '
                        'hold only letters, digits and underscores.')
    if query_id in ids:
        raise v.invalid(name + '.Id', query_id, 'Ids must be unique.')
    ids.add(query_id)
    if query.get('Expression') is not None:
        raise v.invalid(name + '.Expression', query['Expression'],
                        'Metric math expressions are not supported by this service.')
    stat = v.require(query, 'MetricStat', name + '.MetricStat')
    metric = v.require(stat, 'Metric', name + '.MetricStat.Metric')
    namespace = _namespace(metric, name=name + '.MetricStat.Metric.Namespace')
    metric_name = v.string(metric, 'MetricName', name + '.MetricStat.Metric.MetricName',
                           required=True)
    dimensions = v.dimensions(metric.get('Dimensions'), name + '.MetricStat.Metric.Dimensions')
    period = v.period(stat, 'Period', name + '.MetricStat.Period')
    stat_name = v.statistic_or_percentile(v.require(stat, 'Stat', name + '.MetricStat.Stat'),
                                          name + '.MetricStat.Stat')
    unit = v.unit(stat, 'Unit', name + '.MetricStat.Unit') if stat.get('Unit') is not None \
        else None
    start = _round_start(start, period, now)
    if (end - start) // (period * 1000) > MAX_QUERY_DATAPOINTS:
        raise errors.InvalidParameterCombination(
            'The query %s requests more than %d datapoints.' % (query_id, MAX_QUERY_DATAPOINTS))
    simple = stat_name in v.STATISTICS
    return {'Id': query_id, 'Label': query.get('Label') or metric_name,
            'ReturnData': query.get('ReturnData', True),
            'query': model.MetricQuery(
                query_id, _selector(namespace, metric_name, dimensions, unit), period, start,
                statistic=stat_name if simple else None,
                percentile=None if simple else _percentile(stat_name))}


def get_metric_data(ctxt, engine, data: dict) -> dict:
    """GetMetricData with MetricStat queries (no metric math)."""
    queries = v.require(data, 'MetricDataQueries')
    if not isinstance(queries, list) or len(queries) > MAX_QUERIES:
        raise v.invalid('MetricDataQueries', '[...]',
                        'At most %d queries may be given.' % MAX_QUERIES)
    start, end = _time_range(data)
    ids: set[str] = set()
    now = int(time.time() * 1000)
    asked = [_metric_query(q, i, start, end, ids, now) for i, q in enumerate(queries)]
    # AWS's default order is newest first.
    scan_by = v.choice(data, 'ScanBy', 'ScanBy', ('TimestampDescending', 'TimestampAscending'))
    returned = [q for q in asked if q['ReturnData'] is not False]
    answer = engine.metric_data(
        ctxt, [q['query'] for q in returned], end, ascending=scan_by == 'TimestampAscending',
        max_datapoints=v.integer(data, 'MaxDatapoints', 'MaxDatapoints', 1),
        marker=data.get('NextToken'))
    rendered = {'MetricDataResults': [_series_result(q['Label'], series) for q, series in zip(
        returned, answer.results, strict=True)], 'Messages': []}
    if answer.marker is not None:
        rendered['NextToken'] = answer.marker
    return rendered


def _series_result(label: str, series: model.MetricDataResult) -> dict:
    """One MetricDataResult as AWS shapes it."""
    from_ms = v.from_ms
    return {'Id': series.id, 'Label': label, 'Timestamps': [from_ms(t) for t in series.timestamps],
            'Values': series.values,
            'StatusCode': 'Complete' if series.complete else 'PartialData'}


def list_metrics(ctxt, engine, data: dict) -> dict:
    """ListMetrics: pages of 500 with NextToken."""
    page = engine.list_metrics(
        ctxt, _namespace(data, required=False), v.string(data, 'MetricName', 'MetricName'),
        [[d['Name'], d.get('Value')] for d in v.dimensions(
            data.get('Dimensions'), 'Dimensions', limit=10, value_required=False)],
        v.choice(data, 'RecentlyActive', 'RecentlyActive', ('PT3H',)) is not None,
        data.get('NextToken'))
    answer = {'Metrics': [{'Namespace': namespace, 'MetricName': name,
                           'Dimensions': [{'Name': n, 'Value': value} for n, value in dims]}
                          for namespace, name, dims in page.metrics]}
    if page.marker is not None:
        answer['NextToken'] = page.marker
    return answer


ACTIONS = {
    'PutMetricData': put_metric_data,
    'GetMetricStatistics': get_metric_statistics,
    'GetMetricData': get_metric_data,
    'ListMetrics': list_metrics,
}
