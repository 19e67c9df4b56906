"""ListMetrics filters and paging, in both protocols."""

import base64
import datetime
import json

import sqlalchemy as sa

from heat_watch.tests.functional import support
from heat_watch.watch.storage import connection, models


def _put(client, namespace, metrics):
    """Put one datapoint to each (name, {dimension: value}) metric."""
    client.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': name, 'Value': 1.0,
         'Dimensions': [{'Name': k, 'Value': v} for k, v in dims.items()]}
        for name, dims in metrics])


def _listed(client, **filters):
    """Every metric matching the filters, across pages, as comparable tuples."""
    found, token = [], None
    while True:
        answer = client.list_metrics(**filters, **({'NextToken': token} if token else {}))
        found += [(m['Namespace'], m['MetricName'],
                   tuple(sorted((d['Name'], d['Value']) for d in m['Dimensions'])))
                  for m in answer['Metrics']]
        token = answer.get('NextToken')
        if not token:
            return found


def test_namespace_metric_name_and_dimension_filters(client, namespace):
    other = support.unique_namespace('other')
    _put(client, namespace, [('cpu', {'host': 'a'}), ('cpu', {'host': 'b'}),
                             ('cpu', {'host': 'a', 'role': 'web'}), ('mem', {'host': 'a'}),
                             ('cpu', {})])
    _put(client, other, [('cpu', {'host': 'a'})])
    assert sorted(_listed(client, Namespace=namespace)) == [
        (namespace, 'cpu', ()), (namespace, 'cpu', (('host', 'a'),)),
        (namespace, 'cpu', (('host', 'a'), ('role', 'web'))),
        (namespace, 'cpu', (('host', 'b'),)), (namespace, 'mem', (('host', 'a'),))]
    assert len(_listed(client, Namespace=namespace, MetricName='cpu')) == 4
    assert sorted(_listed(client, Namespace=namespace, MetricName='cpu',
                          Dimensions=[{'Name': 'host', 'Value': 'a'}])) == [
        (namespace, 'cpu', (('host', 'a'),)),
        (namespace, 'cpu', (('host', 'a'), ('role', 'web')))]
    assert _listed(client, Namespace=namespace,
                   Dimensions=[{'Name': 'host', 'Value': 'a'},
                               {'Name': 'role', 'Value': 'web'}]) == [
        (namespace, 'cpu', (('host', 'a'), ('role', 'web')))]
    assert _listed(client, Namespace=namespace, MetricName='disk') == []
    assert _listed(client, Namespace=other) == [(other, 'cpu', (('host', 'a'),))]


def test_dimension_filter_with_a_name_only_matches_any_value(client, namespace):
    _put(client, namespace, [('cpu', {'host': 'a'}), ('cpu', {'host': 'b'}),
                             ('cpu', {'role': 'web'}), ('cpu', {})])
    assert sorted(_listed(client, Namespace=namespace, Dimensions=[{'Name': 'host'}])) == [
        (namespace, 'cpu', (('host', 'a'),)), (namespace, 'cpu', (('host', 'b'),))]
    assert _listed(client, Namespace=namespace, Dimensions=[{'Name': 'zone'}]) == []


def test_metrics_of_all_namespaces_are_listed_without_a_namespace_filter(client, namespace):
    _put(client, namespace, [('needle-%s' % namespace[-12:], {})])
    listed = _listed(client, MetricName='needle-%s' % namespace[-12:])
    assert listed == [(namespace, 'needle-%s' % namespace[-12:], ())]


def test_more_than_500_metrics_are_paged_with_next_token(tenant_a, namespace):
    names = ['metric-%04d' % i for i in range(1200)]
    for chunk in (names[:1000], names[1000:]):
        _put(tenant_a.json, namespace, [(name, {'shard': name[-1]}) for name in chunk])
    for client in (tenant_a.json, tenant_a.query):
        pages, token, seen = [], None, []
        while True:
            answer = client.list_metrics(Namespace=namespace,
                                         **({'NextToken': token} if token else {}))
            pages.append(len(answer['Metrics']))
            seen += [m['MetricName'] for m in answer['Metrics']]
            token = answer.get('NextToken')
            if not token:
                break
        assert pages == [500, 500, 200]
        assert sorted(seen) == names


def test_next_token_keeps_the_filters_of_its_listing(client, namespace):
    _put(client, namespace, [('m%03d' % i, {'parity': str(i % 2)}) for i in range(600)])
    odd = _listed(client, Namespace=namespace, Dimensions=[{'Name': 'parity', 'Value': '1'}])
    assert len(odd) == 300
    assert all(dims == (('parity', '1'),) for _, _, dims in odd)


def test_recently_active_lists_only_metrics_put_in_the_last_three_hours(
        deployment, client, namespace):
    _put(client, namespace, [('fresh', {}), ('stale', {})])
    # Nothing can put to a metric four hours ago through the API: age it in the database.
    metrics = models.Metric.__table__
    four_hours_ago = int((support.now() - datetime.timedelta(hours=4)).timestamp() * 1000)
    with connection.get_engine(deployment.conf).begin() as conn:
        conn.execute(sa.update(metrics).where(metrics.c.namespace == namespace,
                                              metrics.c.metric_name == 'stale')
                     .values(last_put_at=four_hours_ago))
    assert sorted(m for _, m, _ in _listed(client, Namespace=namespace)) == ['fresh', 'stale']
    assert [m for _, m, _ in _listed(client, Namespace=namespace,
                                     RecentlyActive='PT3H')] == ['fresh']


def test_recently_active_other_than_pt3h_is_rejected(lenient, namespace):
    code, status, _ = support.aws_error(lenient.list_metrics, Namespace=namespace,
                                        RecentlyActive='PT1H')
    assert (code, status) == ('InvalidParameterValue', 400)


def test_bad_next_token_is_rejected(lenient, namespace):
    out_of_range = [base64.urlsafe_b64encode(json.dumps({'after': after}).encode()).decode()
                    for after in (10 ** 23, -1)]
    for token in ('garbage', 'eyJvZmZzZXQiOjN9', '%%%', *out_of_range):
        code, status, message = support.aws_error(lenient.list_metrics, Namespace=namespace,
                                                  NextToken=token)
        assert (code, status) == ('InvalidNextToken', 400), token
        # Worded as AWS words it (the engine speaks of markers).
        assert message == 'The NextToken is invalid or has expired.'


def test_more_than_ten_dimension_filters_are_rejected(lenient, namespace):
    filters = [{'Name': 'd%d' % i} for i in range(11)]
    code, status, _ = support.aws_error(lenient.list_metrics, Namespace=namespace,
                                        Dimensions=filters)
    assert (code, status) == ('InvalidParameterValue', 400)


def test_aws_namespace_filter_lists_nothing(client):
    """AWS/ namespaces hold no metric here, but naming one is not an error."""
    assert client.list_metrics(Namespace='AWS/EC2')['Metrics'] == []
