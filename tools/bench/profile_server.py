"""Run heat-watch-all with cProfile on every thread; merge the profiles at exit.

``python -m cProfile`` only profiles the main thread, and heat-watch-all
does its work on cheroot's worker threads, the RPC executor's threads and
the ingestion writer. This wrapper installs a ``threading.setprofile`` hook
that gives each new thread its own ``cProfile.Profile`` (a profiler object
must not be shared between threads), runs ``heat_watch.cmd.all.main`` with
the remaining arguments, and when it returns (SIGTERM stops it cleanly)
merges every thread's statistics into one pstats file. The timer is
``time.thread_time``: the figures are CPU time of each thread, not wall
time (a thread waiting on a lock or a socket costs nothing).

Usage: profile_server.py OUTPUT.pstats [--entry=MODULE:FUNCTION] [arguments...]

``--entry`` profiles another console script's main the same way (default
``heat_watch.cmd.all:main``), e.g. ``heat_watch.cmd.engine:main``.
"""

from __future__ import annotations

import cProfile
import importlib
import pstats
import sys
import threading
import time

_PROFILES: list[cProfile.Profile] = []
_LOCK = threading.Lock()


def _start_thread_profile(*_args) -> None:
    """First profile event of a new thread: switch it to its own cProfile."""
    profile = cProfile.Profile(time.thread_time)
    with _LOCK:
        _PROFILES.append(profile)
    profile.enable()  # replaces this hook for the current thread


def _merged(main: cProfile.Profile) -> pstats.Stats | None:
    stats = None
    with _LOCK:
        profiles = [main] + _PROFILES
    for profile in profiles:
        try:
            profile.create_stats()
            if not profile.stats:
                continue
            if stats is None:
                stats = pstats.Stats(profile)
            else:
                stats.add(profile)
        except Exception as error:  # a thread still running at exit
            print('profile_server: skipped one thread: %s' % error, file=sys.stderr)
    return stats


def main() -> int:
    """Profile heat-watch-all (or --entry); write the merged statistics to argv[1]."""
    output, argv = sys.argv[1], sys.argv[2:]
    entry = 'heat_watch.cmd.all:main'
    if argv and argv[0].startswith('--entry='):
        entry = argv.pop(0)[len('--entry='):]
    module, function = entry.split(':')
    target = getattr(importlib.import_module(module), function)
    threading.setprofile(_start_thread_profile)
    main_profile = cProfile.Profile(time.thread_time)
    main_profile.enable()
    try:
        status = target(argv)
    finally:
        main_profile.disable()
        threading.setprofile(None)
        stats = _merged(main_profile)
        if stats is not None:
            stats.dump_stats(output)
    return status


if __name__ == '__main__':
    sys.exit(main())
