"""Sharing work among several engines through tooz (Redis, etcd, ZooKeeper).

Each engine joins a group; an item (an alarm id) belongs to the member a
consistent hash ring over the current members picks. Without a backend URL
there is one engine and it owns everything.
"""

import threading
import time

from oslo_config import cfg
from oslo_log import log
from tooz import coordination, hashring

LOG = log.getLogger(__name__)

GROUP = 'coordination'
OPTS = [
    cfg.StrOpt('backend_url', secret=True,
               help='tooz URL (e.g. redis://127.0.0.1:6379) through which several '
                    'watch engines share the alarms. Unset: this engine evaluates '
                    'every alarm.'),
    cfg.FloatOpt('membership_refresh', default=5.0, min=0.5,
                 help='Seconds between reads of the group\'s members.'),
]


class Partitioner:
    """Tells whether an item belongs to this member of a group."""

    def __init__(self, backend_url: str | None, group: str, member_id: str,
                 refresh: float = 5.0):
        self._url = backend_url
        self._group = group.encode()
        self._member = member_id.encode()
        self._refresh = refresh
        self._coordinator = None
        self._ring: hashring.HashRing | None = None
        self._members: set[bytes] = set()
        self._read_at = 0.0
        self._lock = threading.Lock()

    def start(self) -> None:
        """Join the group (no-op without a backend)."""
        if not self._url:
            return
        self._coordinator = coordination.get_coordinator(self._url, self._member)
        self._coordinator.start(start_heart=True)
        try:
            self._coordinator.create_group(self._group).get()
        except coordination.GroupAlreadyExist:
            pass
        self._coordinator.join_group(self._group).get()
        LOG.info('Joined the group %s as %s', self._group.decode(), self._member.decode())

    def stop(self) -> None:
        """Leave the group so the others take over at once."""
        if self._coordinator is None:
            return
        try:
            self._coordinator.leave_group(self._group).get()
        except coordination.ToozError:
            LOG.warning('Leaving the group %s failed', self._group.decode(), exc_info=True)
        self._coordinator.stop()
        self._coordinator = None

    def _current_ring(self) -> hashring.HashRing | None:
        with self._lock:
            now = time.monotonic()
            if self._ring is None or now - self._read_at > self._refresh:
                try:
                    members = self._coordinator.get_members(self._group).get()
                    self._members = members | {self._member}
                    self._ring = hashring.HashRing(self._members)
                    self._read_at = now
                except coordination.ToozError:
                    # Keep the last ring: better a stale share than none.
                    LOG.warning('Reading the members of %s failed', self._group.decode(),
                                exc_info=True)
            return self._ring

    def members(self) -> set[str] | None:
        """The live members as last read (this one included); None without
        a backend or before the first read succeeded."""
        if self._coordinator is None or self._current_ring() is None:
            return None
        return {member.decode() for member in self._members}

    def owns(self, item: str) -> bool:
        """Whether this member is responsible for ``item``."""
        if self._coordinator is None:
            return True
        ring = self._current_ring()
        if ring is None:
            return True
        return self._member in ring.get_nodes(item.encode())
