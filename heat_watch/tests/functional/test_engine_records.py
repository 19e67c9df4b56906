"""The watch engine answers its RPC callers in its own records: no result of
its metric or alarm methods carries a CloudWatch field name or an ARN (the
CloudWatch API renders those), so that the REST API and the orchestrator
read the same answers without speaking AWS."""

import functools
import time
import uuid

import pytest
from botocore.loaders import Loader

from heat_watch.common import context, exceptions
from heat_watch.watch import model, points, rpcapi

MINUTE = 60_000


@functools.cache
def aws_field_names() -> frozenset[str]:
    """Every member name of every CloudWatch output shape (botocore's model)."""
    service = Loader().load_service_model('cloudwatch', 'service-2')
    shapes = service['shapes']
    names: set[str] = set()
    seen: set[str] = set()

    def walk(shape_name: str) -> None:
        if shape_name in seen:
            return
        seen.add(shape_name)
        shape = shapes[shape_name]
        for member_name, member in shape.get('members', {}).items():
            names.add(member_name)
            walk(member['shape'])
        for part in ('member', 'key', 'value'):
            if part in shape:
                walk(shape[part]['shape'])

    for operation in service['operations'].values():
        if 'output' in operation:
            walk(operation['output']['shape'])
    return frozenset(names)


def aws_leftovers(wire, path: str = '') -> list[str]:
    """Where a wire answer holds an AWS field name (as a key) or an ARN."""
    found = []
    if isinstance(wire, dict):
        for key, value in wire.items():
            if key in aws_field_names():
                found.append('%s.%s' % (path, key))
            found += aws_leftovers(value, '%s.%s' % (path, key))
    elif isinstance(wire, list | tuple):
        for index, item in enumerate(wire):
            found += aws_leftovers(item, '%s[%d]' % (path, index))
    elif isinstance(wire, str) and wire.startswith('arn:'):
        found.append('%s = %s' % (path, wire))
    return found


def test_the_detector_finds_what_the_cloudwatch_api_answers():
    # The shapes the engine answered before 3.0 would fail the test below.
    assert aws_leftovers({'Label': 'm', 'Datapoints': [{'Timestamp': 0, 'Sum': 1.0}]}) == [
        '.Label', '.Datapoints', '.Datapoints[0].Timestamp', '.Datapoints[0].Sum']
    assert aws_leftovers({'MetricDataResults': [], 'NextToken': 'x'})
    assert aws_leftovers({'alarm': 'arn:aws:cloudwatch:r:p:alarm:a'})


@pytest.fixture(scope='module')
def engine(deployment):
    return rpcapi.WatchEngineClient(deployment.conf)


def test_no_result_of_the_engine_carries_aws_field_names(engine, tenant_a, namespace):
    ctxt = context.RequestContext(project_id=tenant_a.project_id)
    now = int(time.time() * 1000)
    datums = [{'n': 'cpu', 'd': [['host', 'web-1']], 't': now - i * MINUTE, 'v': 90.0 + i,
               'u': 'Percent'} for i in range(5)]
    engine.put_metric_data(ctxt, namespace, points.group(datums))
    metric = model.MetricSelector(namespace, 'cpu', (('host', 'web-1'),))
    rule = model.ThresholdRule(metric=metric, period=60, evaluation_periods=2,
                               comparison='GreaterThanThreshold', threshold=50.0,
                               statistic='Average')
    definition = model.AlarmDefinition(project_id=tenant_a.project_id,
                                       name='records-%s' % uuid.uuid4().hex[:8], rule=rule,
                                       actions={'ALARM': ['log://records']})
    composite = model.AlarmDefinition(
        project_id=tenant_a.project_id, name='records-c-%s' % uuid.uuid4().hex[:8],
        rule=model.CompositeRule('ALARM("%s")' % definition.name))
    call = engine._call
    answers = {
        'metric_statistics': call(ctxt, 'metric_statistics', '3.0', metric=metric.to_wire(),
                                  start=now - 10 * MINUTE, end=now + MINUTE, period=60,
                                  percentiles=[50.0, 99.0]),
        'metric_data': call(ctxt, 'metric_data', '3.0', end=now + MINUTE, max_datapoints=2,
                            metric_queries=[model.MetricQuery(
                                'q', metric, 60, now - 10 * MINUTE,
                                statistic='Maximum').to_wire()]),
        'list_metrics': call(ctxt, 'list_metrics', '3.0', namespace=namespace),
        'find_metrics': call(ctxt, 'find_metrics', '3.0', project_id=tenant_a.project_id,
                             namespace=namespace, name=None, dimensions=[], limit=10),
    }
    ids = [m['id'] for m in answers['find_metrics']]
    answers['metric_datapoints'] = call(ctxt, 'metric_datapoints', '3.0',
                                        project_id=tenant_a.project_id, metric_ids=ids,
                                        start=None, end=None, limit=10)
    answers['metric_buckets'] = call(ctxt, 'metric_buckets', '3.0',
                                     project_id=tenant_a.project_id, metric_ids=ids,
                                     start=None, end=None, period=60)
    created = call(ctxt, 'create_alarm', '3.0', definition=definition.to_wire())
    alarm_id = created['definition']['id']
    answers['create_alarm'] = created
    answers['put_alarm'] = call(ctxt, 'put_alarm', '3.0', definition=composite.to_wire())
    answers['set_alarm_state_by_id'] = call(ctxt, 'set_alarm_state_by_id', '3.0',
                                            alarm_id=alarm_id, state='OK', reason='by hand',
                                            reason_data={'kind': 'manual'})
    answers['get_alarm'] = call(ctxt, 'get_alarm', '3.0', alarm_id=alarm_id)
    answers['list_alarms'] = call(ctxt, 'list_alarms', '3.0', filters={}, marker=None,
                                  limit=100, sort_key='name', sort_dir='asc')
    answers['get_alarm_history'] = call(ctxt, 'get_alarm_history', '3.0', alarm_id=alarm_id,
                                        types=None, start=None, end=None, marker=None,
                                        limit=100, ascending=False, alarm_name=None,
                                        alarm_types=None)
    # The answers hold something to look at: points, a partial series, alarms, history.
    assert answers['metric_statistics']['points']
    assert answers['metric_data']['marker'] and answers['metric_data']['results'][0]['values']
    assert answers['get_alarm_history']['items']
    assert {method: aws_leftovers(wire) for method, wire in answers.items()} == {
        method: [] for method in answers}


_METRIC = {'namespace': 'ns', 'metric_name': 'm', 'dimensions': [], 'unit': None}
_QUERY = {'id': 'q', 'metric': _METRIC, 'period': 60, 'start': 0, 'statistic': 'Sum',
          'percentile': None}


@pytest.mark.parametrize('method, arguments', [
    ('metric_statistics', {'metric': {'namespace': 'ns'}, 'start': 0, 'end': 1, 'period': 60}),
    ('metric_statistics', {'metric': _METRIC, 'start': 0, 'end': 1, 'period': 0}),
    ('metric_statistics', {'metric': _METRIC, 'start': 0, 'end': 1, 'period': 60,
                           'percentiles': ['p99']}),
    ('metric_data', {'metric_queries': [dict(_QUERY, statistic='Median')], 'end': 1}),
    ('metric_data', {'metric_queries': [dict(_QUERY, statistic=None, percentile=101)],
                     'end': 1}),
    ('metric_data', {'metric_queries': [dict(_QUERY, Stat='Sum')], 'end': 1}),
    ('metric_data', {'metric_queries': [_QUERY], 'end': 1, 'marker': 'garbage'}),
    ('list_metrics', {'dimensions': [['only-a-name']]}),
    ('list_metrics', {'marker': 'garbage'}),
])
def test_a_metric_read_of_the_wrong_shape_is_invalid_not_a_server_error(
        engine, tenant_a, method, arguments):
    ctxt = context.RequestContext(project_id=tenant_a.project_id)
    with pytest.raises(exceptions.Invalid):
        engine._call(ctxt, method, '3.0', **arguments)
