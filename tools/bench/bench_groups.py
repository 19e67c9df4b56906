"""Group resize figures (fake compute driver, SQLite, one orchestrator in
this process): an AWS::AutoScaling::AutoScalingGroup (members are servers of
the group resource) and an OS::Heat::AutoScalingGroup (members are resources
of a nested stack) resized 1 -> N -> 1 by stack updates of their
DesiredCapacity / desired_capacity; the wall time of each update.

Usage::

    .venv/bin/python tools/bench/bench_groups.py [--size 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time

sys.path.insert(0, '.')

from heat_watch.common import db  # noqa: E402
from heat_watch.tests.unit.orchestration.conftest import Engine, make_runtime_conf  # noqa: E402


def _aws(size: int) -> dict:
    return {'AWSTemplateFormatVersion': '2010-09-09', 'Resources': {
        'config': {'Type': 'AWS::AutoScaling::LaunchConfiguration',
                   'Properties': {'ImageId': 'cirros', 'InstanceType': 'm1.tiny'}},
        'group': {'Type': 'AWS::AutoScaling::AutoScalingGroup', 'Properties': {
            'LaunchConfigurationName': {'Ref': 'config'}, 'MinSize': 1,
            'MaxSize': 1000, 'DesiredCapacity': size}}}}


def _hot(size: int) -> dict:
    return {'heat_template_version': '2021-04-16', 'resources': {'group': {
        'type': 'OS::Heat::AutoScalingGroup', 'properties': {
            'min_size': 1, 'max_size': 1000, 'desired_capacity': size,
            'resource': {'type': 'OS::Nova::Server',
                         'properties': {'image': 'cirros', 'flavor': 'm1.tiny'}}}}}}


def _timed_update(engine: Engine, name: str, body: dict) -> float:
    start = time.perf_counter()
    engine.ops.update('p1', name, body)
    shown = engine.wait(name, timeout=600)
    assert shown['stack_status'] == 'UPDATE_COMPLETE', shown['stack_status_reason']
    return time.perf_counter() - start


def run(size: int, runs: int) -> dict:
    results = {}
    for kind, make in (('AWS::AutoScaling::AutoScalingGroup', _aws),
                       ('OS::Heat::AutoScalingGroup', _hot)):
        ups, downs = [], []
        for run_index in range(runs):
            with tempfile.TemporaryDirectory() as state:
                engine = Engine(make_runtime_conf(state))
                try:
                    name = 'g%d' % run_index
                    engine.ops.create('p1', None, name, make(1))
                    assert engine.wait(name)['stack_status'] == 'CREATE_COMPLETE'
                    ups.append(_timed_update(engine, name, make(size)))
                    downs.append(_timed_update(engine, name, make(1)))
                finally:
                    engine.runtime.stop()
                    db.dispose_engines()
        results[kind] = {'up_median_s': statistics.median(ups),
                         'down_median_s': statistics.median(downs)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=int, default=100)
    parser.add_argument('--runs', type=int, default=3)
    args = parser.parse_args()
    for kind, figures in run(args.size, args.runs).items():
        print('%-40s 1 -> %d: %6.2f s   %d -> 1: %6.2f s' % (
            kind, args.size, figures['up_median_s'], args.size, figures['down_median_s']))


if __name__ == '__main__':
    main()
