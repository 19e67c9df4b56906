"""The engine's wire format of ingested data, and the manager reading both forms."""

import json

from heat_watch.common import context
from heat_watch.watch import manager, points

DIMS = [['AZ', 'a'], ['Host', 'h1']]


def test_a_value_is_a_statistic_set_of_one():
    assert points.point({'n': 'm', 'd': [], 't': 5, 'v': 2.5}) == (
        5, 'None', 60, 1.0, 2.5, 2.5, 2.5, True, None)


def test_a_statistic_set_keeps_raw_values_only_when_all_samples_are_equal():
    spread = points.point({'t': 1, 'u': 'Count', 'r': 1, 's': [4, 10.0, 1.0, 5.0]})
    same = points.point({'t': 1, 's': [3, 6.0, 2.0, 2.0]})
    assert spread == (1, 'Count', 1, 4, 10.0, 1.0, 5.0, False, None)
    assert same[-2:] == (True, None)


def test_values_and_counts_keep_their_pairs_for_percentiles():
    point = points.point({'t': 1, 'vs': [1.0, 3.0, 7.0], 'cs': [2.0, 0.0, 1.0]})
    assert point[3:8] == (3.0, 9.0, 1.0, 7.0, True)
    assert json.loads(point[8]) == [[1.0, 2.0], [7.0, 1.0]]  # zero counts dropped


def test_datums_are_grouped_by_metric_in_order():
    datums = [{'n': 'cpu', 'd': DIMS, 't': 1, 'v': 1.0},
              {'n': 'cpu', 'd': [], 't': 2, 'v': 2.0},
              {'n': 'cpu', 'd': [list(p) for p in DIMS], 't': 3, 'v': 3.0}]
    grouped = points.group(datums)
    assert [(name, dims, [p[0] for p in pts]) for name, dims, pts in grouped] == [
        ('cpu', DIMS, [1, 3]), ('cpu', [], [2])]
    assert points.count(grouped) == 3


class _Writer:
    def __init__(self):
        self.submitted = []

    def submit(self, project_id, namespace, metrics):
        self.submitted.append((project_id, namespace, metrics))


def test_the_manager_takes_grouped_metrics_and_the_1_0_datums():
    writer = _Writer()
    endpoint = manager.WatchEngineManager(store=None, writer=writer)
    ctxt = context.RequestContext(project_id='p1')
    grouped = [['cpu', DIMS, [points.value_point(7, 'None', 60, 1.0)]]]
    assert endpoint.put_metric_data(ctxt, 'ns', metrics=grouped) == 1
    assert endpoint.put_metric_data(
        ctxt, 'ns', datums=[{'n': 'cpu', 'd': DIMS, 't': 7, 'v': 1.0}] * 2) == 2
    assert writer.submitted[0] == ('p1', 'ns', grouped)
    assert writer.submitted[1][2] == [['cpu', DIMS, [grouped[0][2][0]] * 2]]
