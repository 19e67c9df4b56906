"""What heat-watch-push-stats measures, with psutil, in cfn-push-stats'
metric names and units."""

from __future__ import annotations

import os
import socket
import time

import psutil

UNITS = {'bytes': ('Bytes', 1), 'kilobytes': ('Kilobytes', 1024),
         'megabytes': ('Megabytes', 1024 ** 2), 'gigabytes': ('Gigabytes', 1024 ** 3)}


def _scaled(value: float, units: str) -> tuple[float, str]:
    name, divisor = UNITS[units]
    return value / divisor, name


def memory(units: str) -> dict[str, tuple[float, str]]:
    """MemoryUtilization, MemoryUsed, MemoryAvailable."""
    mem = psutil.virtual_memory()
    used = mem.total - mem.available
    return {'MemoryUtilization': (100.0 * used / mem.total, 'Percent'),
            'MemoryUsed': _scaled(used, units), 'MemoryAvailable': _scaled(mem.available, units)}


def swap(units: str) -> dict[str, tuple[float, str]]:
    """SwapUtilization, SwapUsed."""
    info = psutil.swap_memory()
    return {'SwapUtilization': (info.percent, 'Percent'), 'SwapUsed': _scaled(info.used, units)}


def disk(path: str, units: str) -> dict[str, tuple[float, str]]:
    """DiskSpaceUtilization, DiskSpaceUsed, DiskSpaceAvailable of ``path``."""
    usage = psutil.disk_usage(path)
    return {'DiskSpaceUtilization': (usage.percent, 'Percent'),
            'DiskSpaceUsed': _scaled(usage.used, units),
            'DiskSpaceAvailable': _scaled(usage.free, units)}


def _session_cpu_seconds(session: int) -> dict[int, float]:
    """CPU seconds used so far by each process of ``session``."""
    used = {}
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) != session:
                continue
            times = process.cpu_times()
            # A child's time moves to its parent's children_* once reaped:
            # counting both keeps short-lived commands of the session.
            used[process.pid] = (times.user + times.system + times.children_user
                                 + times.children_system)
        except (psutil.Error, OSError):
            continue  # gone, or not ours to look at
    return used


class CpuMeter:
    """CPUUtilization since the previous reading (the first reading waits
    ``window`` seconds).

    ``system`` scope is the machine's, as cfn-push-stats reports it. ``session``
    scope is the CPU of this process's session only, as a percentage of one
    CPU: the local compute driver runs an instance as a session of its own,
    so this is what the instance itself uses, not what the host's other
    tenants do.
    """

    def __init__(self, scope: str = 'system', window: float = 1.0):
        if scope not in ('system', 'session'):
            raise ValueError('cpu scope is system or session, not %r' % scope)
        self.scope = scope
        self.window = window
        self._session = os.getsid(0)
        self._last: tuple[float, dict[int, float]] | None = None

    def _session_reading(self) -> float:
        now, used = time.monotonic(), _session_cpu_seconds(self._session)
        if self._last is None:
            self._last = (now, used)
            time.sleep(self.window)
            now, used = time.monotonic(), _session_cpu_seconds(self._session)
        then, before = self._last
        self._last = (now, used)
        # A process that started since counts from zero; one that ended
        # was reaped into its parent's children_* times.
        spent = sum(seconds - before.get(pid, 0.0) for pid, seconds in used.items())
        return max(0.0, min(100.0, 100.0 * spent / max(now - then, 1e-3)))

    def read(self) -> float:
        """The CPU utilization in percent."""
        if self.scope == 'session':
            return self._session_reading()
        if self._last is None:
            self._last = (time.monotonic(), {})
            return psutil.cpu_percent(interval=self.window)
        return psutil.cpu_percent(interval=None)


def haproxy(socket_path: str, latency: bool) -> dict[str, tuple[float, str]]:
    """HealthyHostCount and UnHealthyHostCount of HAProxy's backends (and
    Latency, the mean response time in seconds, when asked), from its stats
    socket ("show stat")."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(5)
        conn.connect(socket_path)
        conn.sendall(b'show stat\n')
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    lines = b''.join(chunks).decode('utf-8', 'replace').splitlines()
    if not lines or not lines[0].startswith('# '):
        raise ValueError('HAProxy answered no statistics')
    header = lines[0][2:].split(',')
    healthy = unhealthy = 0
    times = []
    for line in lines[1:]:
        row = dict(zip(header, line.split(','), strict=False))
        if row.get('svname') in ('FRONTEND', 'BACKEND', None):
            continue
        if row.get('status', '').startswith('UP'):
            healthy += 1
        else:
            unhealthy += 1
        if row.get('rtime'):
            times.append(float(row['rtime']) / 1000.0)
    result = {'HealthyHostCount': (float(healthy), 'Count'),
              'UnHealthyHostCount': (float(unhealthy), 'Count')}
    if latency:
        result['Latency'] = (sum(times) / len(times) if times else 0.0, 'Seconds')
    return result
