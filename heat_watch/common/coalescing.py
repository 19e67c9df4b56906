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
"""

import collections
import threading
from collections.abc import Callable, Sequence
from typing import Any


class _Waiter:
    """One caller's item and how its thread learns what to do next."""

    __slots__ = ('item', 'size', 'wake', 'finished', 'lead', 'result', 'error')

    def __init__(self, item: Any, size: int):
        self.item = item
        self.size = size
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

    ``send`` takes a list of items and returns a sequence of the same
    length: per item, its result or the exception to raise to its caller.
    ``size`` weighs an item (datapoints, say); a send carries items until
    their weight reaches ``max_size`` (at least one item).
    """

    def __init__(self, send: Callable[[list], Sequence[Any]], max_in_flight: int = 1,
                 max_size: int = 20000, size: Callable[[Any], int] = lambda item: 1):
        self._send = send
        self._max_in_flight = max_in_flight
        self._max_size = max_size
        self._size = size
        self._lock = threading.Lock()
        self._waiting: collections.deque[_Waiter] = collections.deque()
        self._in_flight = 0

    def submit(self, item: Any) -> Any:
        """Send ``item`` with whatever else is queued; its own result, or
        raise its own error."""
        waiter = _Waiter(item, self._size(item))
        with self._lock:
            self._waiting.append(waiter)
            if self._in_flight < self._max_in_flight:
                self._in_flight += 1
                waiter.lead = True
        while True:
            # Cleared before looking: a finish or an offered slot after this
            # point sets it again, so the wait below cannot miss it.
            waiter.wake.clear()
            with self._lock:
                if waiter.finished:
                    break
                leading, waiter.lead = waiter.lead, False
            if leading:
                self._lead(waiter)
            else:
                waiter.wake.wait()
        if waiter.error is not None:
            raise waiter.error
        return waiter.result

    def _lead(self, own: _Waiter) -> None:
        """Holding a send slot: send batches until ``own`` is answered, then
        pass the slot to the oldest waiter (or give it back)."""
        while True:
            with self._lock:
                if own.finished or not self._waiting:
                    self._pass_slot()
                    return
                batch = self._take_batch()
            self._send_batch(batch)

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
            batch.append(waiter)
            size += waiter.size
        for _ in range(offered):
            self._pass_slot()
        return batch

    def _send_batch(self, batch: list[_Waiter]) -> None:
        try:
            outcomes = self._send([waiter.item for waiter in batch])
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
