"""Cancelling the operation running on a stack, so that a delete can start:
the engine holding the stack's lock is asked to stop it (in this process, or
over RPC on the holder's own server), and the delete waits for the lock.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from oslo_log import log

from heat_watch.common import context, exceptions
from heat_watch.orchestration.storage.stacks import StackRecord

if TYPE_CHECKING:
    from heat_watch.orchestration.runtime import Runtime

LOG = log.getLogger(__name__)


def acquire_cancelling(runtime: Runtime, record: StackRecord) -> None:
    """Take the stack's lock, cancelling the live holder's operation first
    (waiting at most ``[orchestration] cancel_wait``); StackLocked if it
    does not let go in time."""
    try:
        runtime.locker.acquire(record.id, record.name)
        return
    except exceptions.StackLocked:
        holder = runtime.lock_store.holder(record.id)
    deadline = time.monotonic() + runtime.cancel_wait
    if holder == runtime.engine_id:
        runtime.cancel(record.id)
        # Woken as soon as our own operation lets go, not a poll later.
        runtime.wait_for_operation(record.id, runtime.cancel_wait)
    elif holder is not None:
        request_cancel(runtime, holder, record.id)
    while True:
        try:
            runtime.locker.acquire(record.id, record.name)
            return
        except exceptions.StackLocked:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def request_cancel(runtime: Runtime, engine_id: str, stack_id: str) -> None:
    """Ask another orchestrator, on its own RPC server, to cancel."""
    host = runtime.lock_store.host_of(engine_id)
    if host is None:
        return  # it stopped beating: the lock will be taken over
    from heat_watch.orchestration import rpcapi
    LOG.info('Asking orchestrator %s (%s) to cancel its operation on stack %s',
             engine_id, host, stack_id)
    rpcapi.OrchestratorClient(runtime.conf).cancel_stack(
        context.admin_context(), stack_id, engine_id, host)
