"""The sender of the action outbox: publishing never blocks evaluation.

A transition writes its actions into ``alarm_action_outbox`` in its own
transaction (:mod:`heat_watch.watch.storage.alarms`) and wakes this sender;
the evaluator goes on at once. The sender's thread publishes the rows in
order to the notifier transport and deletes each batch once published. While
the broker is unreachable the publish blocks (or fails and is retried) in this
thread only: alarms keep transitioning and their actions queue up in the
database, to be sent in order when the broker returns. An engine restarted
under the same host name sends what it had left (delivery is at least once,
as it always was: receivers deduplicate on the payload's action_id, which a
resent action keeps).
"""

import collections
import json
import threading
import time
from collections.abc import Callable
from typing import Protocol

from oslo_log import log

from heat_watch.common import context as hw_context
from heat_watch.common import db_errors
from heat_watch.watch.storage import alarms as alarm_storage

LOG = log.getLogger(__name__)

BATCH = 200
RECENT = 10_000


class ActionPublisher(Protocol):
    """What the outbox publishes through (the notifier client's sender)."""

    def send(self, ctxt, payload: dict) -> None:
        """Publish one action; returns once the transport has it, raises if not."""


class ActionOutbox:
    """Publishes this engine's recorded actions from a thread of its own."""

    def __init__(self, alarms: alarm_storage.AlarmStore, publisher: ActionPublisher,
                 poll_interval: float = 5.0, retry_interval: float = 2.0):
        self._alarms = alarms
        self._publisher = publisher
        self._poll = poll_interval
        self._retry = retry_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False
        # Rows handed over by the transactions that wrote them: published
        # without reading them back while nothing older waits in the table.
        self._handed: collections.deque = collections.deque()
        self._backlog = True  # until a read of the table found it drained
        # Actions published lately: a row both read and handed goes out once.
        self._recent: collections.OrderedDict = collections.OrderedDict()
        alarms.on_actions = self.hand
        # Set by adopt_orphans() when engines share the alarms.
        self._live_hosts: Callable[[], set[str] | None] | None = None
        self._owns: Callable[[str], bool] = lambda _alarm_id: True
        self._grace_ms = 0
        self._now_ms = lambda: int(time.time() * 1000)

    def wake(self) -> None:
        """New actions were recorded: send them now (cheap, never blocks)."""
        self._wake.set()

    def hand(self, rows: list) -> None:
        """Committed outbox rows (id, project_id, payload), to send now."""
        self._handed.extend(rows)
        self._wake.set()

    def start(self) -> None:
        """Start the sending thread (it first sends what a previous run left)."""
        self._stop.clear()
        self._wake.set()
        self._thread = threading.Thread(target=self._run, name='alarm-action-outbox',
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop sending; what is unsent stays recorded for the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                LOG.warning('The alarm action outbox is still publishing; its unsent '
                            'actions are sent at the next start')
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._poll)
            self._wake.clear()
            try:
                while not self._stop.is_set() and self.send_pending():
                    pass
                self.send_orphans()
            except Exception as error:
                # A database outage is logged once (db_errors), not as a
                # traceback every retry.
                if db_errors.unavailable(error, operation='alarm action outbox') is None:
                    LOG.exception('Reading the alarm action outbox failed')
                self._stop.wait(self._retry)

    def _next_batch(self) -> tuple[list, bool]:
        """(rows to publish, whether they were read from the table)."""
        if self._handed and not self._backlog:
            rows = []
            while self._handed and len(rows) < BATCH:
                rows.append(self._handed.popleft())
            return rows, False
        # Older rows wait (a restart, a failed publish): the table has them
        # all, in order, the handed ones included.
        self._handed.clear()
        return self._alarms.pending_actions(BATCH), True

    def send_pending(self) -> int:
        """Publish one batch of recorded actions in order; returns how many
        were published (0 when none is left, or when publishing failed)."""
        rows, read = self._next_batch()
        published, failed = self._publish_rows(rows)
        if failed or self._stop.is_set():
            self._backlog = True  # the table has what was not sent
            self._handed.clear()
        elif read and len(rows) < BATCH:
            self._backlog = False
        return len(published)

    def _publish_rows(self, rows: list, skipped_are_sent: bool = False) -> tuple[list[int], bool]:
        """Publish rows in order, deleting each published one; returns
        (the published row ids, whether publishing failed)."""
        published: list[int] = []
        action_ids: list[str] = []
        failed = False
        try:
            for row in rows:
                if self._stop.is_set():
                    break
                payload = json.loads(row.payload)
                # Read from the table and handed over too: sent once. (Not by
                # row id: SQLite gives a deleted row's id to the next one.)
                if payload.get('action_id') in self._recent:
                    if skipped_are_sent:
                        published.append(row.id)
                    continue
                if not self._publish(row.project_id, payload):
                    failed = True
                    break
                published.append(row.id)
                action_ids.append(payload.get('action_id'))
        finally:
            self._alarms.delete_actions(published)
            self._remember(action_ids)
        return published, failed

    # -- the actions of engines that are gone ----------------------------------

    def adopt_orphans(self, live_hosts: Callable[[], set[str] | None],
                      owns: Callable[[str], bool], grace: float) -> None:
        """Also send the actions that engines no longer in ``live_hosts()``
        recorded and did not send, for the alarms this engine ``owns``.

        An engine killed between a transition and its publish, or during a
        broker outage, left them in the outbox; only a restart under the
        same host name sent them, so an engine that never came back lost a
        decided scaling step. ``grace`` seconds keep this engine off the
        rows of an engine that joined after its last read of the members.
        """
        self._live_hosts = live_hosts
        self._owns = owns
        self._grace_ms = int(grace * 1000)

    def send_orphans(self) -> int:
        """Publish the orphaned actions this engine adopts, page by page (the
        other engines' shares are left for them); returns how many were published."""
        live = self._live_hosts() if self._live_hosts is not None else None
        if not live:
            return 0  # no coordination (or no members read yet): adopt nothing
        before, after, sent = self._now_ms() - self._grace_ms, 0, 0
        while not self._stop.is_set():
            rows = self._alarms.orphaned_actions(live, before, BATCH, after_id=after)
            if not rows:
                break
            after = rows[-1].id
            published, failed = self._publish_rows(
                [row for row in rows if self._owns(row.alarm_id)], skipped_are_sent=True)
            sent += len(published)
            if failed:
                break
        if sent:
            LOG.info('Sent %d alarm actions recorded by engines no longer running', sent)
        return sent

    def _remember(self, action_ids: list[str]) -> None:
        for action_id in action_ids:
            self._recent[action_id] = None
        while len(self._recent) > RECENT:
            self._recent.popitem(last=False)

    def _publish(self, project_id: str, payload: dict) -> bool:
        ctxt = hw_context.RequestContext(project_id=project_id)
        try:
            self._publisher.send(ctxt, payload)
        except Exception as exc:
            if not self._failing:  # once per outage, not once per attempt
                LOG.warning('Cannot publish alarm actions (%s); they wait in the outbox and '
                            'are sent in order when publishing works again', exc)
                self._failing = True
            self._stop.wait(self._retry)
            return False
        if self._failing:
            LOG.info('Publishing alarm actions works again')
            self._failing = False
        return True
