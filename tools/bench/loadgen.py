"""Fixed-duration closed-loop load: N clients, each on a kept-alive connection.

Every client sends prepared requests back to back (closed loop: the next one
leaves when the previous answer arrived). A run has a warm-up, then a
measured window [t0, t1] of monotonic time shared by all clients (the
monotonic clock is system-wide on Linux, so clients may be threads or
processes); a request counts when its answer arrives inside the window. The
caller samples server CPU at t0 and t1, so CPU and work cover the same
window. After t1 each client finishes the request it has in flight (bounded
by the socket timeout) and stops.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import threading
import time
from collections.abc import Callable, Sequence

import leanclient

MAX_ERROR_SAMPLES = 3


@dataclasses.dataclass
class ClientResult:
    """What one client saw inside the measured window (and in total)."""

    ok: int = 0
    errors: int = 0
    datums: int = 0
    sent_total: int = 0
    reconnects: int = 0
    latencies: list[float] = dataclasses.field(default_factory=list)
    error_samples: list[str] = dataclasses.field(default_factory=list)

    def merge(self, other: ClientResult) -> None:
        """Add ``other``'s counts to this result."""
        self.ok += other.ok
        self.errors += other.errors
        self.datums += other.datums
        self.sent_total += other.sent_total
        self.reconnects += other.reconnects
        self.latencies.extend(other.latencies)
        room = MAX_ERROR_SAMPLES - len(self.error_samples)
        self.error_samples.extend(other.error_samples[:max(room, 0)])


@dataclasses.dataclass(frozen=True)
class Window:
    """The shared schedule of one run, in time.monotonic() seconds."""

    t0: float
    t1: float


def _record(result: ClientResult, status: int, body: bytes, datums: int,
            started: float, done: float, window: Window) -> None:
    if not window.t0 <= done <= window.t1:
        return
    if status == 200:
        result.ok += 1
        result.datums += datums
        result.latencies.append(done - started)
        return
    result.errors += 1
    if len(result.error_samples) < MAX_ERROR_SAMPLES:
        result.error_samples.append('%d %s' % (status, body[:200].decode('utf-8', 'replace')))


def run_client(make_client: Callable[[], leanclient.LeanClient],
               bodies: Sequence[leanclient.Prepared], offset: int,
               window: Window) -> ClientResult:
    """One closed-loop client: send ``bodies`` round-robin until the window ends."""
    client = make_client()
    result = ClientResult()
    index = offset
    try:
        while time.monotonic() < window.t1:
            prepared = bodies[index % len(bodies)]
            index += 1
            started = time.monotonic()
            status, body = client.call(prepared)
            result.sent_total += 1
            _record(result, status, body, prepared.datums, started, time.monotonic(), window)
    finally:
        result.reconnects = client.reconnects
        client.close()
    return result


def _thread_clients(make_client, bodies, clients: int, window: Window) -> Callable:
    results: list[ClientResult] = [ClientResult() for _ in range(clients)]

    def target(i: int) -> None:
        results[i] = run_client(make_client, bodies, i * 7919, window)

    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()

    def join(timeout: float) -> list[ClientResult]:
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = sum(thread.is_alive() for thread in threads)
        if stuck:
            results.append(ClientResult(errors=stuck, error_samples=[
                '%d clients still waiting for an answer after the run' % stuck]))
        return results
    return join


def _process_main(make_client, bodies, offset, window, queue) -> None:
    queue.put(run_client(make_client, bodies, offset, window))


def _process_clients(make_client, bodies, clients: int, window: Window) -> Callable:
    # fork: the prepared bodies are inherited, not pickled.
    context = multiprocessing.get_context('fork')
    queue = context.Queue()
    procs = [context.Process(target=_process_main, daemon=True,
                             args=(make_client, bodies, i * 7919, window, queue))
             for i in range(clients)]
    for proc in procs:
        proc.start()

    def join(timeout: float) -> list[ClientResult]:
        results, deadline = [], time.monotonic() + timeout
        while len(results) < clients and time.monotonic() < deadline:
            try:
                results.append(queue.get(timeout=max(0.01, deadline - time.monotonic())))
            except Exception:  # queue.Empty: give up at the deadline
                break
        for proc in procs:
            if proc.is_alive():
                proc.kill()
            proc.join()
        missing = clients - len(results)
        if missing:
            results.append(ClientResult(errors=missing, error_samples=[
                '%d client processes did not report after the run' % missing]))
        return results
    return join


def start_clients(mode: str, make_client: Callable[[], leanclient.LeanClient],
                  bodies: Sequence[leanclient.Prepared], clients: int,
                  window: Window) -> Callable[[float], list[ClientResult]]:
    """Start ``clients`` clients as threads or processes; returns join(timeout)."""
    if mode == 'process':
        return _process_clients(make_client, bodies, clients, window)
    return _thread_clients(make_client, bodies, clients, window)


def sleep_until(moment: float) -> None:
    """Sleep until time.monotonic() reaches ``moment``."""
    while True:
        left = moment - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.5))


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile of ``values`` (nearest rank); NaN when empty."""
    if not values:
        return float('nan')
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(pct / 100.0 * len(ordered))))
    return ordered[rank - 1]
