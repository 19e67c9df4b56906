"""Aodh's complex-query filter language, as /v2/query/alarms applies it."""

import pytest

from heat_watch.api.controllers.v2 import query
from heat_watch.api.controllers.v2.alarm_requests import Refused

DOCS = [
    {'name': 'a', 'state': 'ok', 'severity': 'low', 'timestamp': '2026-01-01T00:00:00',
     'threshold_rule': {'threshold': 10.0}},
    {'name': 'b', 'state': 'alarm', 'severity': 'critical',
     'timestamp': '2026-01-02T00:00:00', 'threshold_rule': {'threshold': 20.0}},
    {'name': 'c', 'state': 'insufficient data', 'severity': 'critical',
     'timestamp': '2026-01-03T00:00:00+00:00'},
]


def _names(tree: dict) -> list[str]:
    predicate = query.compile_filter(tree, query.ALARM_FIELDS)
    return [d['name'] for d in DOCS if predicate(d)]


@pytest.mark.parametrize('tree, names', [
    ({'=': {'severity': 'critical'}}, ['b', 'c']),
    ({'!=': {'severity': 'critical'}}, ['a']),
    ({'>': {'threshold_rule.threshold': 15}}, ['b']),
    ({'<=': {'threshold_rule.threshold': 20}}, ['a', 'b']),
    ({'>=': {'timestamp': '2026-01-02T00:00:00Z'}}, ['b', 'c']),
    ({'<': {'timestamp': '2026-01-02T00:00:00'}}, ['a']),
    ({'in': {'name': ['a', 'c']}}, ['a', 'c']),
    ({'=~': {'state': '^in'}}, ['c']),
    ({'and': [{'=': {'severity': 'critical'}}, {'not': {'=': {'state': 'alarm'}}}]}, ['c']),
    ({'or': [{'=': {'name': 'a'}}, {'=': {'name': 'c'}}]}, ['a', 'c']),
    ({'AND': [{'=': {'name': 'a'}}, {'=': {'state': 'OK'}}]}, ['a']),
])
def test_filters_select_what_aodh_would(tree, names):
    assert _names(tree) == names


@pytest.mark.parametrize('tree', [
    [], {'=': {'name': 'a'}, '!=': {'name': 'b'}}, {'~': {'name': 'a'}},
    {'=': {'colour': 'red'}}, {'=': {'name': ['a']}}, {'in': {'name': []}},
    {'and': [{'=': {'name': 'a'}}]}, {'=~': {'name': '['}},
    {'>': {'timestamp': 'yesterday'}},
])
def test_malformed_filters_are_refused(tree):
    with pytest.raises(Refused):
        query.compile_filter(tree, query.ALARM_FIELDS)


def test_nesting_is_bounded():
    tree: dict = {'=': {'name': 'a'}}
    for _ in range(query.MAX_DEPTH + 2):
        tree = {'not': tree}
    with pytest.raises(Refused, match='deeply'):
        query.compile_filter(tree, query.ALARM_FIELDS)


def test_the_named_project_is_read_from_the_top_only():
    assert query.named_project({'=': {'project_id': 'p'}}) == 'p'
    assert query.named_project({'and': [{'=': {'name': 'x'}},
                                        {'=': {'project_id': 'p'}}]}) == 'p'
    assert query.named_project({'or': [{'=': {'project_id': 'p'}},
                                       {'=': {'name': 'x'}}]}) is None
    assert query.named_project({'not': {'=': {'project_id': 'p'}}}) is None
    assert query.named_value({'and': [{'=': {'name': 'x'}}, {'=': {'state': 'ok'}}]},
                             'name') == 'x'
    assert query.named_value({'or': [{'=': {'name': 'x'}}, {'=': {'name': 'y'}}]},
                             'name') is None


def test_orderby_sorts_by_each_key_missing_values_last():
    order = query.orderings([{'severity': 'asc'}, {'threshold_rule.threshold': 'desc'}],
                            query.ALARM_FIELDS)
    assert [d['name'] for d in query.sort_documents(list(DOCS), order)] == ['b', 'c', 'a']
    with pytest.raises(Refused):
        query.orderings([{'name': 'up'}], query.ALARM_FIELDS)
