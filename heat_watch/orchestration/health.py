"""Marking a resource unhealthy, as Heat's ``resource_mark_unhealthy`` does.

Marked, a resource is ``CHECK_FAILED`` with the caller's reason; unmarked,
a ``CHECK_FAILED`` resource is ``CHECK_COMPLETE`` again; anything else is
left as it is (a resource being deleted is not marked). The state and its
event are written in one transaction under the stack's lock, so a stack busy
with an operation is a conflict. A later stack update (PUT, or PATCH with
the existing template) replaces a resource marked unhealthy: the update
remakes every FAILED resource (``StackActions.update_resource``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from heat_watch.common import exceptions
from heat_watch.orchestration import states
from heat_watch.orchestration.storage.events import EventRecord
from heat_watch.orchestration.storage.resources import ResourceRecord
from heat_watch.orchestration.storage.stacks import StackRecord

if TYPE_CHECKING:
    from heat_watch.orchestration.operations import Orchestrator
    from heat_watch.orchestration.runtime import Runtime

DEFAULT_REASON = 'state changed by resource_mark_unhealthy api'


def new_state(record: ResourceRecord, mark_unhealthy: bool) -> tuple[str, str] | None:
    """The (action, status) the resource goes to, or None: no change."""
    if mark_unhealthy:
        return None if record.action == states.DELETE else (states.CHECK, states.FAILED)
    if (record.action, record.status) == (states.CHECK, states.FAILED):
        return states.CHECK, states.COMPLETE
    return None


def find_resource(runtime: Runtime, stack: StackRecord, name: str) -> ResourceRecord:
    """A resource of the stack by its name, or else by its physical id (as
    Heat finds it); ResourceNotFound otherwise."""
    try:
        return runtime.resources.get(stack.id, name, stack.name)
    except exceptions.ResourceNotFound:
        for record in runtime.resources.list(stack.id):
            if record.physical_id and record.physical_id == name:
                return record
        raise


def mark_unhealthy(orchestrator: Orchestrator, project_id: str, stack_ref: Any,
                   resource_name: str, mark_unhealthy: Any,
                   reason: str | None = None) -> None:
    """Mark a resource of the project's stack unhealthy (or healthy again)."""
    if not isinstance(mark_unhealthy, bool):
        raise exceptions.Invalid(reason='mark_unhealthy is not a boolean')
    if reason is not None and not isinstance(reason, str):
        raise exceptions.Invalid(reason='resource_status_reason is not a string')
    read_at = time.monotonic()
    stack = orchestrator.find(project_id, stack_ref)
    runtime = orchestrator.runtime
    record = find_resource(runtime, stack, resource_name)
    runtime.settle(stack, read_at)
    with runtime.locker.held(stack.id, stack.name):
        record = runtime.resources.get(stack.id, record.name, stack.name)  # as locked
        state = new_state(record, mark_unhealthy)
        if state is None:
            return
        record.action, record.status = state
        record.status_reason = reason or DEFAULT_REASON
        event = EventRecord(stack.id, record.name, record.type, record.physical_id,
                            record.action, record.status, record.status_reason)
        if not runtime.resources.write_state(record, runtime.engine_id, event):
            # Taken over while held: the engine that holds it now is the answer.
            raise exceptions.StackLocked(stack_name=stack.name,
                                         engine_id=runtime.lock_store.holder(stack.id))
