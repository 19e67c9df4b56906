"""Signals to resources (scaling policies, wait-condition handles).

A signal is handled with the stack's lock held, so two signals never adjust
one group at once: a signal that finds the stack locked (another signal or a
stack operation under way) is recorded as an ignored event, as AWS ignores
alarms during a scaling activity (the alarm repeats its action every period
while it stays in ALARM). The work runs on the orchestrator's stack threads;
the caller learns only that the signal was accepted.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from oslo_log import log

from heat_watch.common import exceptions
from heat_watch.orchestration import resources, states
from heat_watch.orchestration.storage.events import EventRecord

if TYPE_CHECKING:
    from heat_watch.orchestration.runtime import Runtime
    from heat_watch.orchestration.stack import Stack
    from heat_watch.orchestration.storage.stacks import StackRecord

LOG = log.getLogger(__name__)
SIGNAL = 'SIGNAL'


class SignalDispatcher:
    """Hands signals to the resources that handle them."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def _event(self, record: StackRecord, name: str, type_name: str,
               physical_id: str | None, status: str, reason: str) -> None:
        self.runtime.events.add(EventRecord(record.id, name, type_name, physical_id, SIGNAL,
                                            status, reason))

    def dispatch(self, record: StackRecord, name: str, details: Any) -> bool:
        """Start handling a signal to resource ``name``; False when it was
        ignored (stack busy). Invalid when the resource takes no signals."""
        stored = self.runtime.resources.get(record.id, name, record.name)
        if getattr(self._plugin(stored.type), 'stores_signals', False):
            # Wait-condition handles: the signal store is the whole effect
            # (their condition reads it), so they need no lock and are
            # taken while the stack is still being created.
            self._event(record, name, stored.type, stored.physical_id, states.COMPLETE,
                        self._received(details))
            return True
        try:
            self.runtime.locker.acquire(record.id, record.name)
        except exceptions.StackLocked:
            self._event(record, name, stored.type, stored.physical_id, states.COMPLETE,
                        'Signal ignored: the stack is busy with another operation')
            return False
        try:
            current = self.runtime.stacks.get(record.id)
            if current.action == states.DELETE or current.status == states.IN_PROGRESS:
                self._event(current, name, stored.type, stored.physical_id, states.COMPLETE,
                            'Signal ignored: the stack is %s_%s'
                            % (current.action, current.status))
                self.runtime.locker.release(record.id)
                return False
            stack = self.runtime.load(current)
            rsrc = stack.resources.get(name)
            if rsrc is None or not hasattr(rsrc, 'handle_signal'):
                raise exceptions.Invalid(
                    reason='Resource %s (%s) does not take signals' % (name, stored.type))
            # Inside the try: a pool that stopped must not keep the lock.
            self.runtime.submit(current, lambda: self._handle(stack, name, details))
        except Exception:
            self.runtime.locker.release(record.id)
            raise
        return True

    @staticmethod
    def _plugin(type_name: str) -> Any:
        try:
            return resources.get(type_name)
        except exceptions.InvalidTemplate:
            return None  # a provider template: takes no signals

    @staticmethod
    def _received(details: Any) -> str:
        status = details.get('Status', details.get('status', 'SUCCESS')) \
            if isinstance(details, dict) else 'SUCCESS'
        reason = details.get('Reason', details.get('reason')) if isinstance(details, dict) \
            else None
        return 'Signal %s received%s' % (status, ': %s' % reason if reason else '')

    def _handle(self, stack: Stack, name: str, details: Any) -> None:
        rsrc = stack.resources[name]
        stored = stack.stored[name]
        before = {n: copy.deepcopy(r.data) for n, r in stack.resources.items()}
        try:
            reason, _changed = rsrc.handle_signal(details)
            status = states.COMPLETE
        except Exception as error:  # the event tells the user; the log, the operator
            LOG.warning('Signal to %s of stack %s failed: %s', name, stack.id, error)
            reason, status = 'Signal failed: %s' % error, states.FAILED
        # Whatever a signal changed (a group half resized, too) is stored,
        # its secrets sealed as every other write of resource data.
        for touched_name, touched in stack.resources.items():
            record = stack.stored.get(touched_name)
            if record is not None and touched.data != before[touched_name]:
                self.runtime.resources.update(
                    record.id, data=self.runtime.actions._sealed(stack, touched)['data'])
        self._event(stack.record, name, stored.type, rsrc.physical_id, status, reason)
