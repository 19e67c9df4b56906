"""Orchestrator heartbeats and stack locks in the orchestration database.

An orchestrator writes its heartbeat into ``engines`` every few seconds. A
stack's lock is its ``engine_id`` column, taken with a compare-and-set
(``UPDATE ... WHERE engine_id IS NULL``); a lock whose holder's heartbeat is
older than the staleness limit (or absent) is taken over with another
compare-and-set on the old holder's id, so that of two engines stealing at
once exactly one wins.
"""

import sqlalchemy as sa
from oslo_db import exception as db_exc

from heat_watch.orchestration.storage import models
from heat_watch.orchestration.storage.util import now_ms

ENGINES = models.Engine.__table__
STACKS = models.Stack.__table__


class LockStore:
    """Heartbeats of orchestrators and compare-and-set on stack locks."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def heartbeat(self, engine_id: str, host: str) -> None:
        """Record that ``engine_id`` is alive now."""
        stamp = now_ms()
        if self._beat(engine_id, stamp):
            return
        # The first beat inserts, in a transaction of its own: InnoDB's UPDATE
        # of a missing key holds a gap lock to the end of its transaction,
        # and two orchestrators starting at once, each updating then
        # inserting in one, deadlocked (one of them exited on it).
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(ENGINES).values(
                    engine_id=engine_id, host=host, started_at=stamp, heartbeat_at=stamp))
        except db_exc.DBDuplicateEntry:
            self._beat(engine_id, stamp)  # another beat of this engine inserted first

    def _beat(self, engine_id: str, stamp: int) -> bool:
        """Update ``engine_id``'s heartbeat; whether it had one."""
        with self.engine.begin() as conn:
            return conn.execute(sa.update(ENGINES).where(ENGINES.c.engine_id == engine_id)
                                .values(heartbeat_at=stamp)).rowcount > 0

    def forget(self, engine_id: str) -> None:
        """Remove an engine's heartbeat (it stops)."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(ENGINES).where(ENGINES.c.engine_id == engine_id))

    def forget_host(self, host: str, keep: str) -> list[str]:
        """Remove the heartbeats of the other engines of ``host`` (earlier
        lives of a restarted orchestrator); returns their ids."""
        with self.engine.begin() as conn:
            gone = list(conn.execute(sa.select(ENGINES.c.engine_id).where(
                ENGINES.c.host == host, ENGINES.c.engine_id != keep)).scalars())
            if gone:
                conn.execute(sa.delete(ENGINES).where(ENGINES.c.engine_id.in_(gone)))
        return gone

    def is_alive(self, engine_id: str, stale_after_ms: int) -> bool:
        """Whether ``engine_id`` beat within ``stale_after_ms``."""
        query = sa.select(ENGINES.c.heartbeat_at).where(ENGINES.c.engine_id == engine_id)
        with self.engine.connect() as conn:
            beat = conn.execute(query).scalar()
        return beat is not None and now_ms() - beat <= stale_after_ms

    def alive(self, stale_after_ms: int) -> set[str]:
        """Engines that beat within ``stale_after_ms``."""
        query = sa.select(ENGINES.c.engine_id).where(
            ENGINES.c.heartbeat_at >= now_ms() - stale_after_ms)
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def purge(self, older_than_ms: int) -> int:
        """Forget engines silent for longer than ``older_than_ms`` that hold no lock."""
        held = sa.select(STACKS.c.engine_id).where(STACKS.c.engine_id.is_not(None))
        with self.engine.begin() as conn:
            return conn.execute(sa.delete(ENGINES).where(
                ENGINES.c.heartbeat_at < now_ms() - older_than_ms,
                ENGINES.c.engine_id.not_in(held))).rowcount

    def host_of(self, engine_id: str) -> str | None:
        """The host (RPC server name) of an engine that beats."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(ENGINES.c.host)
                                .where(ENGINES.c.engine_id == engine_id)).scalar()

    def holder(self, stack_id: str) -> str | None:
        """The engine holding the stack's lock, if any."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(STACKS.c.engine_id)
                                .where(STACKS.c.id == stack_id)).scalar()

    def try_acquire(self, stack_id: str, engine_id: str) -> bool:
        """Take a free lock; False when someone holds it."""
        return self._swap(stack_id, None, engine_id)

    def try_steal(self, stack_id: str, old_holder: str, engine_id: str) -> bool:
        """Take the lock from ``old_holder``; False when it changed meanwhile."""
        return self._swap(stack_id, old_holder, engine_id)

    def release(self, stack_id: str, engine_id: str) -> bool:
        """Free the lock if ``engine_id`` holds it."""
        return self._swap(stack_id, engine_id, None)

    def _swap(self, stack_id: str, expected: str | None, new: str | None) -> bool:
        holder = (STACKS.c.engine_id.is_(None) if expected is None
                  else STACKS.c.engine_id == expected)
        with self.engine.begin() as conn:
            done = conn.execute(sa.update(STACKS).where(STACKS.c.id == stack_id, holder)
                                .values(engine_id=new))
        return done.rowcount == 1
