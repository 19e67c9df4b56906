"""The dependency graph runner: order, concurrency bound, failures."""

import threading
import time

import pytest

from heat_watch.common import exceptions
from heat_watch.orchestration import graph


def test_order_puts_requirements_first_and_refuses_cycles():
    assert graph.order({'c': {'b'}, 'b': {'a'}, 'a': set()}) == ['a', 'b', 'c']
    with pytest.raises(exceptions.InvalidTemplate) as raised:
        graph.order({'a': {'b'}, 'b': {'a'}, 'c': set()})
    assert 'a, b' in str(raised.value)


def test_reversed_graph_lists_who_requires_each_node():
    assert graph.reversed_graph({'a': set(), 'b': {'a'}, 'c': {'a', 'b'}}) == {
        'a': {'b', 'c'}, 'b': {'c'}, 'c': set()}


def test_run_honours_requirements_and_the_worker_bound():
    done, lock = [], threading.Lock()
    running, peak = [0], [0]

    def work(name):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
            done.append(name)

    requires = {'root': set(), **{'leaf%d' % i: {'root'} for i in range(6)},
                'last': {'leaf%d' % i for i in range(6)}}
    assert graph.run(requires, work, max_workers=3) == {}
    assert done[0] == 'root' and done[-1] == 'last'
    assert peak[0] == 3


def test_after_a_failure_nothing_new_starts_and_running_work_finishes():
    started = []

    def work(name):
        started.append(name)
        if name == 'bad':
            raise ValueError('broken')
        time.sleep(0.1 if name == 'slow' else 0)

    failures = graph.run({'bad': set(), 'slow': set(), 'after': {'bad'},
                          'after_slow': {'slow'}}, work, max_workers=4)
    assert list(failures) == ['bad']
    assert isinstance(failures['bad'], ValueError)
    assert 'after' not in started and 'after_slow' not in started
    assert 'slow' in started


def test_a_lone_node_runs_on_the_calling_thread_and_its_failure_is_reported():
    threads = []

    def work(name):
        threads.append(threading.current_thread())
        if name == 'bad':
            raise ValueError('broken')

    assert graph.run({'only': set()}, work, max_workers=4) == {}
    failures = graph.run({'bad': set()}, work, max_workers=4)
    assert list(failures) == ['bad'] and isinstance(failures['bad'], ValueError)
    assert threads == [threading.current_thread()] * 2
    with pytest.raises(exceptions.InvalidTemplate):
        graph.run({'self': {'self'}}, work, max_workers=4)  # a cycle is still refused
