"""Metric actions: PutMetricData, GetMetricStatistics, GetMetricData, ListMetrics.

Each action validates its input as AWS documents it, turns times into epoch
milliseconds, calls the watch engine, and shapes the answer.
"""

import re
import time

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch import validation as v
from heat_watch.watch import points

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


def get_metric_statistics(ctxt, engine, data: dict) -> dict:
    """GetMetricStatistics: at most 1,440 datapoints per call."""
    args = {'Namespace': _namespace(data),
            'MetricName': v.string(data, 'MetricName', 'MetricName', required=True),
            'Dimensions': v.dimensions(data.get('Dimensions'), 'Dimensions'),
            'Period': v.period(data, 'Period', 'Period'),
            'Unit': v.unit(data, 'Unit', 'Unit')}
    args['Statistics'], args['ExtendedStatistics'] = _statistics(data)
    start, end = _time_range(data)
    period_ms = args['Period'] * 1000
    start = _round_start(start, args['Period'], int(time.time() * 1000))
    requested = -(-(end - start) // period_ms)
    if requested > MAX_STATISTIC_DATAPOINTS:
        raise errors.InvalidParameterCombination(
            f'You have requested up to {requested:,} datapoints, which exceeds the limit of '
            f'{MAX_STATISTIC_DATAPOINTS:,}. You may reduce the datapoints requested by '
            'increasing Period, or decreasing the time range.')
    args['StartTime'], args['EndTime'] = start, end
    result = engine.get_metric_statistics(ctxt, args)
    for point in result['Datapoints']:
        point['Timestamp'] = v.from_ms(point['Timestamp'])
    return result


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
    _namespace(metric, name=name + '.MetricStat.Metric.Namespace')
    v.string(metric, 'MetricName', name + '.MetricStat.Metric.MetricName', required=True)
    v.dimensions(metric.get('Dimensions'), name + '.MetricStat.Metric.Dimensions')
    period = v.period(stat, 'Period', name + '.MetricStat.Period')
    v.statistic_or_percentile(v.require(stat, 'Stat', name + '.MetricStat.Stat'),
                              name + '.MetricStat.Stat')
    if stat.get('Unit') is not None:
        stat = dict(stat, Unit=v.unit(stat, 'Unit', name + '.MetricStat.Unit'))
    start = _round_start(start, period, now)
    if (end - start) // (period * 1000) > MAX_QUERY_DATAPOINTS:
        raise errors.InvalidParameterCombination(
            'The query %s requests more than %d datapoints.' % (query_id, MAX_QUERY_DATAPOINTS))
    return {'Id': query_id, 'MetricStat': stat, 'Label': query.get('Label'),
            'ReturnData': query.get('ReturnData', True), 'StartTime': start}


def get_metric_data(ctxt, engine, data: dict) -> dict:
    """GetMetricData with MetricStat queries (no metric math)."""
    queries = v.require(data, 'MetricDataQueries')
    if not isinstance(queries, list) or len(queries) > MAX_QUERIES:
        raise v.invalid('MetricDataQueries', '[...]',
                        'At most %d queries may be given.' % MAX_QUERIES)
    start, end = _time_range(data)
    ids: set[str] = set()
    now = int(time.time() * 1000)
    args = {'MetricDataQueries': [_metric_query(q, i, start, end, ids, now)
                                  for i, q in enumerate(queries)],
            'StartTime': start, 'EndTime': end,
            'ScanBy': v.choice(data, 'ScanBy', 'ScanBy',
                               ('TimestampDescending', 'TimestampAscending')),
            'MaxDatapoints': v.integer(data, 'MaxDatapoints', 'MaxDatapoints', 1),
            'NextToken': data.get('NextToken')}
    result = engine.get_metric_data(ctxt, args)
    for series in result['MetricDataResults']:
        series['Timestamps'] = [v.from_ms(t) for t in series['Timestamps']]
    return result


def list_metrics(ctxt, engine, data: dict) -> dict:
    """ListMetrics: pages of 500 with NextToken."""
    args = {'Namespace': _namespace(data, required=False),
            'MetricName': v.string(data, 'MetricName', 'MetricName'),
            'Dimensions': v.dimensions(data.get('Dimensions'), 'Dimensions', limit=10,
                                       value_required=False),
            'RecentlyActive': v.choice(data, 'RecentlyActive', 'RecentlyActive', ('PT3H',)),
            'NextToken': data.get('NextToken')}
    return engine.list_metrics(ctxt, args)


ACTIONS = {
    'PutMetricData': put_metric_data,
    'GetMetricStatistics': get_metric_statistics,
    'GetMetricData': get_metric_data,
    'ListMetrics': list_metrics,
}
