"""Which orchestrators are alive: the ones whose heartbeat in the
orchestration database is fresh, or, when ``[coordination] backend_url``
names a tooz backend (Redis, etcd, ZooKeeper), the members of the
orchestrators' tooz group (the backend expires a member that stops beating).

A stack's lock is taken over only from an engine that is not alive.
"""

from __future__ import annotations

from oslo_log import log
from tooz import coordination as tooz_coordination

from heat_watch.orchestration.storage.locks import LockStore

LOG = log.getLogger(__name__)
GROUP = b'heat-watch-orchestrators'


class DatabaseLiveness:
    """Alive: a heartbeat in the ``engines`` table within the staleness limit."""

    def __init__(self, store: LockStore, stale_after_ms: int):
        self.store = store
        self.stale_after_ms = stale_after_ms

    def start(self) -> None:
        """Nothing to join."""

    def stop(self) -> None:
        """Nothing to leave."""

    def is_alive(self, engine_id: str) -> bool:
        """Whether ``engine_id`` beat recently."""
        return self.store.is_alive(engine_id, self.stale_after_ms)

    def alive(self) -> set[str]:
        """Every engine that beat recently."""
        return self.store.alive(self.stale_after_ms)


class ToozLiveness:
    """Alive: a member of the orchestrators' tooz group."""

    def __init__(self, url: str, engine_id: str):
        self._url = url
        self._member = engine_id.encode()
        self._coordinator = None

    def start(self) -> None:
        """Join the group (the backend's heartbeat keeps us in it)."""
        self._coordinator = tooz_coordination.get_coordinator(self._url, self._member)
        self._coordinator.start(start_heart=True)
        try:
            self._coordinator.create_group(GROUP).get()
        except tooz_coordination.GroupAlreadyExist:
            pass
        self._coordinator.join_group(GROUP).get()
        LOG.info('Joined the orchestrators\' group as %s', self._member.decode())

    def stop(self) -> None:
        """Leave the group: the others may take our stacks over at once."""
        if self._coordinator is None:
            return
        try:
            self._coordinator.leave_group(GROUP).get()
        except tooz_coordination.ToozError:
            LOG.warning('Leaving the orchestrators\' group failed', exc_info=True)
        self._coordinator.stop()
        self._coordinator = None

    def alive(self) -> set[str]:
        """The group's members (this engine's view; an unreadable group
        counts every engine alive: no takeover on a coordination outage)."""
        if self._coordinator is None:
            raise RuntimeError('the tooz group was not joined')
        members = self._coordinator.get_members(GROUP).get()
        return {member.decode() for member in members}

    def is_alive(self, engine_id: str) -> bool:
        """Whether ``engine_id`` is a member of the group."""
        try:
            return engine_id in self.alive()
        except tooz_coordination.ToozError:
            LOG.warning('Reading the orchestrators\' group failed: taking %s for alive',
                        engine_id, exc_info=True)
            return True
