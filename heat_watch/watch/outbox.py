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

import json
import threading
from typing import Protocol

from oslo_log import log

from heat_watch.common import context as hw_context
from heat_watch.watch.storage import alarms as alarm_storage

LOG = log.getLogger(__name__)

BATCH = 200


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

    def wake(self) -> None:
        """New actions were recorded: send them now (cheap, never blocks)."""
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
            except Exception:
                LOG.exception('Reading the alarm action outbox failed')
                self._stop.wait(self._retry)

    def send_pending(self) -> int:
        """Publish one batch of recorded actions in order; returns how many
        were published (0 when none is left, or when publishing failed)."""
        rows = self._alarms.pending_actions(BATCH)
        published: list[int] = []
        try:
            for row in rows:
                if self._stop.is_set():
                    break
                if not self._publish(row):
                    break
                published.append(row.id)
        finally:
            self._alarms.delete_actions(published)
        return len(published)

    def _publish(self, row) -> bool:
        ctxt = hw_context.RequestContext(project_id=row.project_id)
        try:
            self._publisher.send(ctxt, json.loads(row.payload))
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
