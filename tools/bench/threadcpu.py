"""CPU of each thread of a server process over a window, grouped by role.

A sampling profiler attached to a server on a loaded machine counts a
thread waiting for a core as busy; a thread's own CPU time (``psutil``,
from ``/proc``) does not, so this is the per-stage split the benchmarks
print. Threads are named by ``py-spy dump`` when py-spy is installed
(``pip install py-spy``: Python does not give its thread names to the
system), else by their ids. A thread that ended inside the window takes
its CPU with it: the process's own total shows it as ``other``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import psutil

_DUMP_LINE = re.compile(r'Thread (\d+) \([^)]*\): "(.*)"')
_NUMBERS = re.compile(r'[-_ ]?\d+')


def py_spy() -> str | None:
    """The py-spy executable beside this Python, or on PATH (None: absent)."""
    beside = os.path.join(os.path.dirname(sys.executable), 'py-spy')
    return beside if os.access(beside, os.X_OK) else shutil.which('py-spy')


def snapshot(pid: int) -> dict[int, float]:
    """CPU seconds so far of each thread of ``pid`` (native id), and the
    process's total under key 0."""
    try:
        process = psutil.Process(pid)
        cpu = {thread.id: thread.user_time + thread.system_time
               for thread in process.threads()}
        times = process.cpu_times()
    except psutil.Error:
        return {}
    cpu[0] = times.user + times.system
    return cpu


def thread_names(pid: int) -> dict[int, str]:
    """Native thread id -> Python thread name (empty without py-spy)."""
    executable = py_spy()
    if executable is None:
        return {}
    try:
        out = subprocess.run([executable, 'dump', '--nonblocking', '-p', str(pid)],
                             capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    return {int(match.group(1)): match.group(2)
            for match in map(_DUMP_LINE.match, out.splitlines()) if match}


def role(name: str) -> str:
    """A thread name without its numbers: 'CP Server Thread-12' -> 'CP Server Thread'."""
    return _NUMBERS.sub('', name).strip() or name


def split(before: dict[int, float], after: dict[int, float],
          names: dict[int, str]) -> list[tuple[str, float]]:
    """CPU seconds per role over the window, largest first; ``other`` is
    what the process spent beyond its threads still alive."""
    roles: dict[str, float] = {}
    for tid, cpu in after.items():
        if tid == 0:
            continue
        label = role(names.get(tid, 'thread'))
        roles[label] = roles.get(label, 0.0) + cpu - before.get(tid, 0.0)
    other = after.get(0, 0.0) - before.get(0, 0.0) - sum(roles.values())
    if other > 0.005:
        roles['other'] = other
    return sorted(roles.items(), key=lambda item: -item[1])


def text(process: str, parts: list[tuple[str, float]], per: float, unit: str,
         top: int = 5) -> str:
    """'api: CP Server Thread 165, rpc-call 61 ...' in ``unit`` per ``per``."""
    shown = ', '.join('%s %.1f' % (name, cpu * 1e6 / per) for name, cpu in parts[:top]
                      if cpu * 1e6 / per >= 0.05)
    return '%s (%s): %s' % (process, unit, shown or '-')
