"""Tables of the benchmark results, and the profile summary."""

from __future__ import annotations

import io
import math
import os
import pstats
import site
import sys

TARGET_RATIO = 5.0
TARGET_BATCH_1000 = 50_000.0


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '-'
    return '{:,.{}f}'.format(value, digits)


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    if not ours or not theirs:
        return None
    return ours / theirs


def _x(ratio: float | None) -> str:
    return '-' if ratio is None else '%.3gx' % ratio


def put_progress(row: dict) -> str:
    """One line of progress while the runs go."""
    return ('batch %4d clients %2d %-10s %10s dp/s %8s req/s  CPU %s us/dp  errors %d'
            % (row['batch'], row['clients'], row['backend'], _num(row['datapoints_per_s']),
               _num(row['requests_per_s'], 1), _num(row['server_cpu_us_per_datapoint'], 1),
               row['errors']))


PUT_HEADER = ('batch clients server      datapoints/s     req/s   p50 ms   p95 ms  CPU us/dp '
              'CPU ms/req srv cores gen cores oth cores errors | dp/s hw/moto  CPU/dp hw/moto  5x?')


def _put_line(row: dict) -> str:
    return ('%5d %7d %-10s %13s %9s %8s %8s %10s %10s %9s %9s %9s %6s' % (
        row['batch'], row['clients'], row['backend'], _num(row['datapoints_per_s']),
        _num(row['requests_per_s'], 1), _num(row['latency_p50_ms'], 1),
        _num(row['latency_p95_ms'], 1), _num(row['server_cpu_us_per_datapoint'], 1),
        _num(row['server_cpu_ms_per_request'], 2), _num(row['server_cores'], 2),
        _num(row['generator_cores'], 2), _num(row['other_cores'], 2), row['errors']))


def _line_key(row: dict) -> tuple:
    """What makes two rows the same workload (on different servers)."""
    return (row['query'],) if 'query' in row else (row['batch'], row['clients'])


def _pairs(rows: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """(heat_watch row, moto row) of every workload, in the order they ran."""
    by_key: dict[tuple, dict[str, dict]] = {}
    for row in rows:
        by_key.setdefault(_line_key(row), {})[row['backend']] = row
    return [(pair.get('heat_watch'), pair.get('moto')) for pair in by_key.values()]


def put_table(rows: list[dict]) -> list[str]:
    """The PutMetricData lines: each server, then the heat_watch/moto ratios."""
    lines = [PUT_HEADER, '-' * len(PUT_HEADER)]
    for hw, moto in _pairs(rows):
        for row in (hw, moto):
            if row is not None:
                lines.append(_put_line(row) + ('' if row is moto or moto is None
                                               else _put_ratios(hw, moto)))
    return lines


def _put_ratios(hw: dict, moto: dict) -> str:
    speed = _ratio(hw['datapoints_per_s'], moto['datapoints_per_s'])
    cpu = _ratio(hw['server_cpu_us_per_datapoint'], moto['server_cpu_us_per_datapoint'])
    verdict = 'yes' if speed is not None and speed >= TARGET_RATIO and not hw['errors'] \
        else 'MISS'
    return ' | %12s %15s  %s' % (_x(speed), _x(cpu), verdict)


QUERY_HEADER = ('query                            server     calls    p50 ms    p95 ms   mean ms '
                'CPU ms/call errors  answer                                  | p95 hw/moto  5x?')


def _query_line(row: dict) -> str:
    answer = row['answer'] + ('' if row['answer_correct'] else ' (WRONG)')
    return '%-32s %-10s %5d %9s %9s %9s %11s %6d  %-39s' % (
        row['query'], row['backend'], row['calls'], _num(row['p50_ms'], 2),
        _num(row['p95_ms'], 2),
        _num(row['mean_ms'], 2), _num(row['server_cpu_ms_per_call'], 2), row['errors'],
        answer[:39])


def _query_ratio(hw: dict, moto: dict) -> str:
    ratio = _ratio(hw['p95_ms'], moto['p95_ms'])
    if not moto['answer_correct']:
        verdict = 'n/a (moto answer wrong)'
    elif ratio is not None and ratio <= 1 / TARGET_RATIO and hw['answer_correct'] \
            and not hw['errors']:
        verdict = 'yes'
    else:
        verdict = 'MISS'
    return ' | %11s  %s' % (_x(ratio), verdict)


def query_table(rows: list[dict]) -> list[str]:
    """The read-latency lines: each server, then the p95 ratio heat_watch/moto."""
    lines = [QUERY_HEADER, '-' * len(QUERY_HEADER)]
    for hw, moto in _pairs(rows):
        for row in (hw, moto):
            if row is None:
                continue
            line = _query_line(row)
            if row is hw and moto is not None:
                line += _query_ratio(hw, moto)
            lines.append(line)
    return lines


def target_lines(rows: list[dict]) -> list[str]:
    """The absolute target: 50,000 datapoints/s at batch 1000 through heat-watch-all."""
    lines = []
    for row in rows:
        if row['backend'] == 'heat_watch' and row['batch'] == 1000:
            met = row['datapoints_per_s'] >= TARGET_BATCH_1000 and not row['errors']
            lines.append('  batch 1000, %2d clients: %s datapoints/s -> %s' % (
                row['clients'], _num(row['datapoints_per_s']), 'met' if met else 'MISSED'))
    return lines


def _machine_lines(results: dict) -> list[str]:
    m = results['machine']
    return ['Machine: %s, %d logical CPUs, %.1f GB, Linux %s, Python %s; load average at '
            'start %s' % (m['cpu_model'], m['logical_cpus'], m['memory_gb'], m['kernel'],
                          m['python'], ', '.join('%.2f' % x for x in m['load_average_at_start'])),
            'Packages: %s; checkout %s (%d modified files)' % (
                ', '.join('%s %s' % kv for kv in m['packages'].items()), m['git']['commit'],
                m['git']['modified_files'])]


def _problem_lines(results: dict) -> list[str]:
    lines = []
    for row in results.get('puts', []) + results.get('reads', {}).get('rows', []):
        if row['errors']:
            what = row.get('query') or 'batch %d clients %d' % (row['batch'], row['clients'])
            lines.append('  %s %s: %d errors %s' % (row['backend'], what, row['errors'],
                                                    row.get('error_samples', [])[:2]))
    for name, failures in results.get('reads', {}).get('load_failures', {}).items():
        if failures:
            lines.append('  %s: %d data-loading requests failed' % (name, failures))
    for name, found in results.get('server_log_problems', {}).items():
        lines.extend('  %s log: %s' % (name, line) for line in found[:10])
    return lines


def render(results: dict) -> str:
    """Everything a reader needs, as text."""
    settings = results['settings']
    out = _machine_lines(results)
    out.append('Idle server CPU (cores): %s' % ', '.join(
        '%s %.3f' % kv for kv in results.get('idle_server_cores', {}).items()))
    out += ['', 'Read latency, %d GetMetricStatistics / %d ListMetrics calls each, sequential, '
            'lean client (latency includes signing and the loopback round trip):'
            % (settings['query_calls'], settings['list_calls'])]
    out += query_table(results.get('reads', {}).get('rows', []))
    out += ['', 'PutMetricData, %.0f s measured windows, %s clients, closed loop; CPU is the '
            'server process tree\'s user+system time in the window:'
            % (settings['duration'], settings['client_mode'])]
    out += put_table(results.get('puts', []))
    out += ['', 'Target >= %s datapoints/s at batch 1000 through heat-watch-all:'
            % _num(TARGET_BATCH_1000)] + target_lines(results.get('puts', []))
    problems = _problem_lines(results)
    out += ['', 'Problems:'] + (problems or ['  none seen'])
    if results.get('profile'):
        out += _profile_lines(results['profile'])
    return '\n'.join(out)


def _profile_lines(profile: dict) -> list[str]:
    run = profile['run_under_profiler']
    return ['', 'Profile of heat-watch-all at batch 1000, %d clients, %.0f s (cProfile on every '
            'thread, thread CPU time; the profiler slows the server, so only the proportions '
            'mean anything): %s datapoints/s, %s us CPU/datapoint under the profiler; '
            'pstats file %s' % (run['clients'], run['window_s'], _num(run['datapoints_per_s']),
                                _num(run['server_cpu_us_per_datapoint'], 1), profile['pstats']),
            profile['summary']]


def had_errors(results: dict) -> bool:
    """True when any measured request failed or a load step failed."""
    rows = results.get('puts', []) + results.get('reads', {}).get('rows', [])
    return any(r['errors'] for r in rows) or any(
        results.get('reads', {}).get('load_failures', {}).values())


def _shorten(text: str) -> str:
    prefixes = sorted({p for p in site.getsitepackages() + [site.getusersitepackages()]
                       if p} | {os.path.dirname(os.__file__)}, key=len, reverse=True)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for prefix in prefixes:
        text = text.replace(prefix + os.sep, '')
    return text.replace(repo + os.sep, '')


def profile_summary(path: str, top: int = 25) -> str:
    """Top ``top`` functions by cumulative and by own time, from a pstats file."""
    if not os.path.exists(path):
        return '(no profile was written: %s)' % path
    out = io.StringIO()
    stats = pstats.Stats(path, stream=out)
    out.write('Total: %d calls, %.2f s of profiled time over all threads\n'
              % (stats.total_calls, stats.total_tt))
    for order in ('cumulative', 'tottime'):
        out.write('\n=== top %d by %s ===\n' % (top, order))
        stats.sort_stats(order).print_stats(top)
    return _shorten(out.getvalue())


if __name__ == '__main__':
    print(profile_summary(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25))
