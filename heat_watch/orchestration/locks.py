"""Stack locks held by one orchestrator at a time, with takeover.

A stack is locked by writing the holder's engine id into its row
(compare-and-set). A lock whose holder has stopped beating (no heartbeat for
``[orchestration] engine_stale_seconds``) is taken over: the new holder marks
the interrupted operation FAILED ("Engine <id> went down during ...") and
then proceeds. Two engines never hold one stack: the takeover itself is a
compare-and-set on the old holder's id.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from oslo_log import log

from heat_watch.common import exceptions
from heat_watch.orchestration.liveness import DatabaseLiveness
from heat_watch.orchestration.storage.locks import LockStore

LOG = log.getLogger(__name__)


class StackLocker:
    """Acquires and releases stack locks for one engine id."""

    def __init__(self, store: LockStore, engine_id: str, stale_after_ms: int,
                 on_takeover: Callable[[str, str], None], liveness=None):
        self.store = store
        self.engine_id = engine_id
        self.stale_after_ms = stale_after_ms
        # What tells a live engine from a gone one (liveness.DatabaseLiveness
        # or ToozLiveness); the database's heartbeats by default.
        self.liveness = liveness or DatabaseLiveness(store, stale_after_ms)
        # Called with (stack id, old holder) after a takeover, lock held.
        self.on_takeover = on_takeover

    def acquire(self, stack_id: str, stack_name: str) -> None:
        """Take the stack's lock (taking it over from a dead engine);
        StackLocked when a live engine holds it."""
        for _ in range(3):  # the holder may change between our reads
            if self.store.try_acquire(stack_id, self.engine_id):
                return
            holder = self.store.holder(stack_id)
            if holder is None:
                continue
            if holder == self.engine_id or self.liveness.is_alive(holder):
                raise exceptions.StackLocked(stack_name=stack_name, engine_id=holder)
            if self.store.try_steal(stack_id, holder, self.engine_id):
                LOG.warning('Took over stack %s from engine %s, which is gone',
                            stack_id, holder)
                try:
                    self.on_takeover(stack_id, holder)
                except Exception:
                    self.release(stack_id)
                    raise
                return
        raise exceptions.StackLocked(stack_name=stack_name, engine_id='(changing)')

    def release(self, stack_id: str) -> None:
        """Free the lock if this engine holds it."""
        if not self.store.release(stack_id, self.engine_id):
            LOG.warning('Stack %s was not locked by this engine (%s) on release',
                        stack_id, self.engine_id)

    @contextlib.contextmanager
    def held(self, stack_id: str, stack_name: str) -> Iterator[None]:
        """The lock for the block."""
        self.acquire(stack_id, stack_name)
        try:
            yield
        finally:
            self.release(stack_id)
