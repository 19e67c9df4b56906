"""How fast this machine runs Python right now: one fixed workload, timed.

The reference VM's speed drifts (the same benchmark moved 2x within an
hour), so each benchmark times this workload at its start and end and
prints both: figures taken while the workload ran slow were taken on a slow
machine. The workload looks like the server's: it builds, encodes, decodes
and walks small dicts, in pure Python.
"""

from __future__ import annotations

import json
import statistics
import time

ROUNDS = 5


def _workload() -> int:
    total = 0
    for i in range(20_000):
        datum = {'MetricName': 'm%d' % (i % 100), 'Value': i * 0.5,
                 'Dimensions': [{'Name': 'Host', 'Value': 'h%d' % (i % 7)}]}
        decoded = json.loads(json.dumps(datum))
        total += len(decoded['Dimensions'][0]['Value']) + int(decoded['Value'])
    return total


def machine_speed() -> dict:
    """CPU milliseconds of the fixed workload: median and spread of ROUNDS."""
    times = []
    for _ in range(ROUNDS):
        started = time.process_time()
        _workload()
        times.append((time.process_time() - started) * 1000)
    return {'workload_cpu_ms_median': round(statistics.median(times), 1),
            'workload_cpu_ms_min': round(min(times), 1),
            'workload_cpu_ms_max': round(max(times), 1)}


def describe(speed: dict) -> str:
    """One line for the report."""
    return ('machine speed: fixed workload %.1f ms of CPU (median of %d; %.1f-%.1f); '
            'lower is faster' % (speed['workload_cpu_ms_median'], ROUNDS,
                                 speed['workload_cpu_ms_min'], speed['workload_cpu_ms_max']))
