"""Coalescing of concurrent calls into one: the API's side of group commit.

An RPC over a broker costs far more CPU (publish, consume, reply, in three
processes) than the work one small PutMetricData asks for. A
:class:`Coalescer` lets concurrent callers share one: a caller queues its
item and, when fewer than ``max_in_flight`` sends are under way, sends
itself everything queued so far (its own item first among them). Items that
arrive meanwhile wait; when a send returns, its sender hands the role to
the thread of the oldest waiting item, which sends everything queued behind
it. Alone, a caller sends on its own thread with no hand-over.

Each item gets its own outcome: ``send`` returns one result or exception
per item, so one item's error is raised to its caller only. A failed send
(a timeout, a broker outage) fails every item it carried, none other. A
caller returns only when the send carrying its item answered, so nothing
is acknowledged before the receiving side says it is done.

A sender may linger (``linger`` seconds, at most) before it takes its
batch, while fewer items are queued than callers were lately under way at
once: with a few closed-loop clients, the caller answered last comes back
a fraction of a millisecond later, and without the pause every other send
would carry it alone (PostgreSQL's commit_delay and commit_siblings, on
the API's side). A lone caller never waits: the recent peak of callers
under way is then one.

A caller may give a timeout: the whole of its wait, queue included. An item
still queued at its deadline leaves the queue unsent (``timed_out()`` is
raised to its caller); a send is given the earliest remaining time of the
items it carries, so no caller waits past its own timeout for the send that
carries it either.
"""

import collections
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

MIN_SEND_SECONDS = 0.1
# The peak of callers under way counts over this many seconds (two windows,
# so it forgets a burst within two).
PEAK_WINDOW = 1.0


class _Waiter:
    """One caller's item and how its thread learns what to do next."""

    __slots__ = ('item', 'size', 'deadline', 'sent', 'wake', 'finished', 'lead', 'result',
                 'error')

    def __init__(self, item: Any, size: int, deadline: float | None):
        self.item = item
        self.size = size
        self.deadline = deadline
        self.sent = False  # taken into a send: no longer withdrawable
        self.wake = threading.Event()  # finished, or the role was handed over
        self.finished = False
        self.lead = False
        self.result: Any = None
        self.error: BaseException | None = None

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error, self.finished = result, error, True
        self.wake.set()


class Coalescer:
    """Sends the items of concurrent :meth:`submit` calls together.

    ``send`` takes a list of items and the seconds it may take (None: no
    caller set a timeout) and returns a sequence of the same length: per
    item, its result or the exception to raise to its caller.
    ``size`` weighs an item (datapoints, say); a send carries items until
    their weight reaches ``max_size`` (at least one item).
    """

    def __init__(self, send: Callable[[list, float | None], Sequence[Any]],
                 max_in_flight: int = 1, max_size: int = 20000,
                 size: Callable[[Any], int] = lambda item: 1,
                 timed_out: Callable[[], BaseException] = TimeoutError,
                 linger: float = 0.0):
        self._send = send
        self._linger = linger
        self._timed_out = timed_out
        self._max_in_flight = max_in_flight
        self._max_size = max_size
        self._size = size
        self._lock = threading.Lock()
        self._waiting: collections.deque[_Waiter] = collections.deque()
        self._in_flight = 0
        self._arrived = threading.Condition(self._lock)  # an item was queued
        self._active = 0  # callers inside submit
        self._sending = 0  # items carried by sends under way
        self._peak = (0.0, 0, 0)  # window start, its peak, the previous window's

    def submit(self, item: Any, timeout: float | None = None) -> Any:
        """Send ``item`` with whatever else is queued; its own result, or
        raise its own error (``timed_out()`` after ``timeout`` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        waiter = _Waiter(item, self._size(item), deadline)
        with self._lock:
            self._waiting.append(waiter)
            self._active += 1
            self._note_peak()
            if self._in_flight < self._max_in_flight:
                self._in_flight += 1
                waiter.lead = True
            elif self._linger:
                self._arrived.notify()
        try:
            return self._await(waiter)
        finally:
            with self._lock:
                self._active -= 1

    def _note_peak(self) -> None:
        """With the lock held: count the callers now under way into the peak."""
        began, peak, previous = self._peak
        now = time.monotonic()
        if now - began >= PEAK_WINDOW:
            began, previous, peak = now, (peak if now - began < 2 * PEAK_WINDOW else 0), 0
        self._peak = (began, max(peak, self._active), previous)

    def _await(self, waiter: _Waiter) -> Any:
        """Wait for ``waiter``'s outcome, sending when offered a slot."""
        while True:
            # Cleared before looking: a finish or an offered slot after this
            # point sets it again, so the wait below cannot miss it.
            waiter.wake.clear()
            with self._lock:
                if waiter.finished:
                    break
                leading, waiter.lead = waiter.lead, False
                wait = self._patience(waiter) if not leading else None
            if leading:
                self._lead(waiter)
            else:
                waiter.wake.wait(wait)
        if waiter.error is not None:
            raise waiter.error
        return waiter.result

    def _patience(self, waiter: _Waiter) -> float | None:
        """With the lock held: how long a queued ``waiter`` may still wait
        (None: until woken). Past its deadline an unsent item is withdrawn
        and its caller gets the timeout; a sent one waits for its send,
        which is bounded by the earliest deadline it carries."""
        if waiter.deadline is None or waiter.sent:
            return None
        left = waiter.deadline - time.monotonic()
        if left > 0:
            return left
        self._waiting.remove(waiter)
        raise self._timed_out()

    def _lead(self, own: _Waiter) -> None:
        """Holding a send slot: send batches until ``own`` is answered, then
        pass the slot to the oldest waiter (or give it back)."""
        while True:
            with self._lock:
                if own.finished or not self._waiting:
                    self._pass_slot()
                    return
                if self._linger:
                    self._await_siblings()
                    # Another sender lingering beside this one may have taken
                    # the queue (own included) meanwhile: nothing to send.
                    if own.finished or not self._waiting:
                        continue
                batch = self._take_batch()
                self._sending += len(batch)
            try:
                self._send_batch(batch)
            finally:
                with self._lock:
                    self._sending -= len(batch)

    def _await_siblings(self) -> None:
        """With the lock held: linger while fewer items are queued than
        callers were lately under way (less those riding other sends)."""
        _began, peak, previous = self._peak
        expected = max(peak, previous) - self._sending
        deadline = None
        while self._waiting and len(self._waiting) < expected:
            now = time.monotonic()
            deadline = deadline or now + self._linger
            if now >= deadline:
                return
            self._arrived.wait(deadline - now)

    def _pass_slot(self) -> None:
        """With the lock held, as a sender stops sending: offer its slot to
        the oldest waiter not offered one yet, else give it back."""
        for waiter in self._waiting:
            if not waiter.lead:
                waiter.lead = True
                waiter.wake.set()
                return
        self._in_flight -= 1

    def _take_batch(self) -> list[_Waiter]:
        batch, size, offered = [], 0, 0
        while self._waiting and (not batch or size + self._waiting[0].size <= self._max_size):
            waiter = self._waiting.popleft()
            if waiter.lead:  # offered a slot it has not taken up: pass it on
                waiter.lead = False
                offered += 1
            waiter.sent = True
            batch.append(waiter)
            size += waiter.size
        for _ in range(offered):
            self._pass_slot()
        return batch

    @staticmethod
    def _time_left(batch: list[_Waiter]) -> float | None:
        deadlines = [waiter.deadline for waiter in batch if waiter.deadline is not None]
        if not deadlines:
            return None
        # Never zero: a send of items already due still gets a brief chance.
        return max(min(deadlines) - time.monotonic(), MIN_SEND_SECONDS)

    def _send_batch(self, batch: list[_Waiter]) -> None:
        try:
            outcomes = self._send([waiter.item for waiter in batch], self._time_left(batch))
            if len(outcomes) != len(batch):
                raise RuntimeError('%d outcomes for %d items' % (len(outcomes), len(batch)))
        except BaseException as error:  # every caller of the batch must learn it
            for waiter in batch:
                waiter.finish(error=error)
            return
        for waiter, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                waiter.finish(error=outcome)
            else:
                waiter.finish(result=outcome)
