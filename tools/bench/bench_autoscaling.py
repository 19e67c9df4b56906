"""Autoscaling benchmarks: breach to new instance, group resize, groups under the sweep.

Every part runs heat-watch-all's services in this process
(:func:`heat_watch.tests.services.deployment`, SQLite, in-process transport)
and drives them through the loop's real path: stacks created over the
orchestrator's RPC client from an AWS::AutoScaling::* + AWS::CloudWatch::Alarm
template, datapoints through the CloudWatch API (boto3), the alarm's action
through the notifier to the policy's pre-signed webhook on the REST API.

Part 1 (breach): ``--breaches`` stacks, local compute driver (a server is a
process), each a group of 1 whose user data writes ``started`` and sleeps, a
60 s Maximum > 80 alarm (EvaluationPeriods 1) whose action is a +1 policy
(Cooldown 0). One at a time, one datum of 95 is put for a group; the figure
is the time from just before that PutMetricData call to the new server's
``started`` file (its process running). The datum's period is still open, so
this measures the open-period decision on the datum's arrival
(doc/source/alarms.rst), not the close of the period.

Part 2 (resize): one group, fake driver, ExactCapacity policies signalled
over RPC: 1 -> 100 -> 1, time until the group reports the new size.

Part 3 (sweep): ``--groups`` stacks (fake driver), each a group with a high
and a low alarm; one datum per group in the last complete minute and in the
open one; then sweeps of every alarm by the engine's evaluator, timed one by
one (wall and this process's CPU), and the process's CPU over a window of
``--steady`` seconds with the engine's periodic sweep running
(``evaluation_interval`` 10 s).

Usage::

    .venv/bin/python tools/bench/bench_autoscaling.py [--breaches 20] [--groups 1000]

Results are printed and written as JSON to tools/bench/results/.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import statistics
import sys
import tempfile
import time
import uuid

from heat_watch.common import context
from heat_watch.tests import clients, services, templates

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS_DIR = os.path.join(HERE, 'results')
NAMESPACE = 'Bench/Autoscaling'
STARTED_SCRIPT = '#!/bin/sh\ntouch started\nexec sleep 3600\n'


def _template(period: int = 60, user_data: str = '', max_size: int = 3,
              low_alarm: bool = False, exact_policies: bool = False) -> dict:
    """The loop's template: launch configuration, group, policies, alarms."""
    def policy(adjustment: int, kind: str = 'ChangeInCapacity') -> dict:
        return templates.scaling_policy(adjustment, kind, Cooldown=0)

    def alarm(comparison: str, threshold: float, name: str) -> dict:
        return templates.cpu_alarm(NAMESPACE, period, comparison, threshold, name)

    resources = {'config': templates.launch_config(UserData=user_data),
                 'group': templates.scaling_group(1, max_size),
                 'up': policy(1), 'high': alarm('GreaterThanThreshold', 80, 'up')}
    if low_alarm:
        resources['down'] = policy(-1)
        resources['low'] = alarm('LessThanThreshold', 20, 'down')
    if exact_policies:
        resources['to_max'] = policy(max_size, 'ExactCapacity')
        resources['to_one'] = policy(1, 'ExactCapacity')
    return {'AWSTemplateFormatVersion': templates.CFN, 'Resources': resources,
            'Outputs': {'size': templates.output({'Fn::GetAtt': ['group', 'CurrentSize']}),
                        'group_name': templates.output({'Ref': 'group'})}}


def _wait(predicate, timeout: float, interval: float = 0.005):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError('condition not met in %.0f s' % timeout)
        time.sleep(interval)


class _Stacks:
    """Creates stacks of one project over RPC and reads their outputs."""

    def __init__(self, running, project: str):
        self.ctxt = context.RequestContext(project_id=project, user_id='bench')
        self.client = running.orchestrator_client()
        creds = running.credentials(project)
        self.cloudwatch = clients.boto3_client(running.endpoint, creds['access'],
                                               creds['secret'])

    def create_many(self, template: dict, count: int, timeout: float = 1800) -> list[str]:
        """Create ``count`` stacks (all queued first), wait for all; their ids."""
        ids = [self.client.create_stack(self.ctxt, 'bench-%s' % uuid.uuid4().hex[:10],
                                        template)['stack_id'] for _ in range(count)]
        pending = set(ids)
        deadline = time.monotonic() + timeout
        while pending:
            for stack_id in list(pending):
                shown = self.client.show_stack(self.ctxt, stack_id, resolve_outputs=False)
                if shown['status'] != 'IN_PROGRESS':
                    if shown['stack_status'] != 'CREATE_COMPLETE':
                        raise RuntimeError(shown['stack_status_reason'])
                    pending.discard(stack_id)
            if time.monotonic() > deadline:
                raise TimeoutError('%d stacks not created' % len(pending))
            time.sleep(0.2)
        return ids

    def output(self, stack_id: str, key: str):
        return self.client.show_output(self.ctxt, stack_id, key)['output_value']

    def put(self, group: str, value: float, when: datetime.datetime | None = None) -> None:
        self.cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=[{
            'MetricName': 'cpu', 'Value': value,
            'Timestamp': when or datetime.datetime.now(datetime.UTC),
            'Dimensions': [{'Name': 'AutoScalingGroupName', 'Value': group}]}])


def _percentiles(values: list[float]) -> dict:
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]
    return {'count': len(ordered), 'p50': rank(0.50), 'p95': rank(0.95),
            'max': ordered[-1], 'mean': statistics.fmean(ordered)}


def run_breaches(count: int, workdir: str, open_period: bool = True) -> dict:
    """Part 1: breaching datum to the new server's process running
    (``open_period`` False: complete periods only, as AWS)."""
    state = os.path.join(workdir, 'breach-%s' % open_period)
    with services.deployment(state, **{'orchestration.compute_driver': 'local',
                                       'watch_engine.evaluate_open_period': open_period}) \
            as running:
        stacks = _Stacks(running, 'bench-breach')
        ids = stacks.create_many(_template(user_data=STARTED_SCRIPT), count)
        groups = [stacks.output(i, 'group_name') for i in ids]
        servers = os.path.join(state, 'servers')
        _wait(lambda: len(glob.glob(os.path.join(servers, '*', 'started'))) >= count, 120)
        seconds = []
        for group in groups:
            before = set(glob.glob(os.path.join(servers, '*', 'started')))
            # Keep clear of a period's end, so that no close can decide.
            left = 60 - time.time() % 60
            if left < 5:
                time.sleep(left + 0.2)
            started = time.time()
            stacks.put(group, 95.0)
            new = _wait(lambda b=before: set(glob.glob(os.path.join(servers, '*', 'started')))
                        - b, 90)
            seconds.append(min(os.stat(p).st_mtime for p in new) - started)
        for stack_id in ids:
            stacks.client.delete_stack(stacks.ctxt, stack_id)
        _wait(lambda: not glob.glob(os.path.join(servers, '*')), 120, 0.2)
    return {'breach_to_running_s': _percentiles(seconds), 'samples': seconds}


def run_resize(size: int, workdir: str) -> dict:
    """Part 2: ExactCapacity 1 -> size -> 1 with the fake driver."""
    with services.deployment(os.path.join(workdir, 'resize'),
                             **{'orchestration.compute_driver': 'fake'}) as running:
        stacks = _Stacks(running, 'bench-resize')
        stack_id = stacks.create_many(_template(max_size=size, exact_policies=True), 1)[0]
        result = {}
        for policy, wanted in (('to_max', size), ('to_one', 1)):
            started = time.monotonic()
            stacks.client.resource_signal(stacks.ctxt, stack_id, policy, {})
            _wait(lambda w=wanted: stacks.output(stack_id, 'size') == w, 600, 0.05)
            result['1_to_%d_s' % size if wanted == size else '%d_to_1_s' % size] = \
                time.monotonic() - started
    return result


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def run_sweep(groups: int, sweeps: int, steady: float, workdir: str) -> dict:
    """Part 3: ``groups`` groups with two alarms each, under the sweep."""
    with services.deployment(os.path.join(workdir, 'sweep'),
                             **{'orchestration.compute_driver': 'fake',
                                'orchestration.max_stacks_per_project': groups + 1}) as running:
        stacks = _Stacks(running, 'bench-sweep')
        started = time.monotonic()
        ids = stacks.create_many(_template(low_alarm=True), groups)
        created = time.monotonic() - started
        names = [stacks.output(i, 'group_name') for i in ids]
        now = time.time()
        last_minute = datetime.datetime.fromtimestamp(now // 60 * 60 - 30, datetime.UTC)
        for group in names:  # within both thresholds: the alarms settle in OK
            stacks.put(group, 50.0, last_minute)
            stacks.put(group, 50.0)
        evaluator = running.engine.evaluator
        alarms = evaluator.sweep()
        walls, cpus = [], []
        for _ in range(sweeps):
            wall, cpu = time.monotonic(), _cpu()
            evaluator.sweep()
            walls.append(time.monotonic() - wall)
            cpus.append(_cpu() - cpu)
        wall, cpu = time.monotonic(), _cpu()
        time.sleep(steady)
        steady_cpu = (_cpu() - cpu) / (time.monotonic() - wall)
        states = [a['StateValue'] for page in stacks.cloudwatch.get_paginator(
            'describe_alarms').paginate() for a in page['MetricAlarms']]
    return {'groups': groups, 'alarms': alarms, 'create_s': created,
            'sweep_wall_s': _percentiles(walls), 'sweep_cpu_s': _percentiles(cpus),
            'steady_cpu_fraction': steady_cpu,
            'alarm_states': {s: states.count(s) for s in set(states)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--breaches', type=int, default=20)
    parser.add_argument('--closed-breaches', type=int, default=0,
                        help='also this many breaches with evaluate_open_period = false')
    parser.add_argument('--resize', type=int, default=100)
    parser.add_argument('--groups', type=int, default=1000)
    parser.add_argument('--sweeps', type=int, default=5)
    parser.add_argument('--steady', type=float, default=60.0,
                        help='seconds of steady state measured under the periodic sweep')
    parser.add_argument('--skip', default='', help='comma-separated parts to skip: '
                        'breach,resize,sweep')
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(',')))
    results: dict = {'when': time.strftime('%Y-%m-%dT%H:%M:%S%z'), 'cpus': os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix='bench-autoscaling-') as workdir:
        if 'breach' not in skip:
            results['breach'] = run_breaches(args.breaches, workdir)
            print('breach -> new instance running (s):',
                  json.dumps(results['breach']['breach_to_running_s']), flush=True)
        if args.closed_breaches:
            results['closed_breach'] = run_breaches(args.closed_breaches, workdir, False)
            print('breach -> new instance running, complete periods only (s):',
                  json.dumps(results['closed_breach']['breach_to_running_s']), flush=True)
        if 'resize' not in skip:
            results['resize'] = run_resize(args.resize, workdir)
            print('group resize (s):', json.dumps(results['resize']), flush=True)
        if 'sweep' not in skip:
            results['sweep'] = run_sweep(args.groups, args.sweeps, args.steady, workdir)
            print('groups under the sweep:', json.dumps(results['sweep']), flush=True)
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, 'autoscaling-%s.json' % time.strftime('%Y%m%d-%H%M%S'))
    with open(path, 'w') as out:
        json.dump(results, out, indent=2)
    print('results:', path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
