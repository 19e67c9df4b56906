"""Stack actions: create, update (with replacement), delete, rollback.

Every state change of the stack and of each resource is written with its
event. The caller holds the stack's lock; a state write that finds the lock
in another engine's hands raises :class:`LockLost` and the action stops (the
new holder has marked it FAILED). Resources run over the dependency graph
(:mod:`heat_watch.orchestration.graph`), independent ones concurrently.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from oslo_log import log

from heat_watch.common import exceptions
from heat_watch.orchestration import graph, sealing, states
from heat_watch.orchestration.resource import Resource
from heat_watch.orchestration.stack import Stack
from heat_watch.orchestration.storage.events import EventRecord
from heat_watch.orchestration.storage.resources import ResourceRecord
from heat_watch.orchestration.storage.stacks import StackRecord
from heat_watch.orchestration.storage.util import now_ms

if TYPE_CHECKING:
    from heat_watch.orchestration.runtime import Runtime

LOG = log.getLogger(__name__)
STACK_TYPE = 'OS::Heat::Stack'
DELETE_STARTED = 'Stack DELETE started'
CHANGED = 'state changed'


class LockLost(exceptions.HeatWatchError):
    """Another engine took the stack over; this one must stop writing."""

    msg_fmt = 'Stack %(stack_id)s was taken over by another engine'


def failure_reason(name: str, error: BaseException) -> str:
    """A resource's failure as Heat words it ("Error: resources.r: why")."""
    if isinstance(error, ResourceActionError):
        return str(error)
    return '%s: resources.%s: %s' % (type(error).__name__, name, error)


class ResourceActionError(exceptions.HeatWatchError):
    """A resource action failed; the message is the resource's status reason."""

    msg_fmt = '%(reason)s'


class StackActions:
    """Runs the actions of stacks for one engine."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.stacks = runtime.stacks
        self.resources = runtime.resources
        self.events = runtime.events

    # -- states and events --

    def set_stack_state(self, stack: Stack, action: str, status: str, reason: str) -> None:
        """Write the stack's state and its event (the lock must be ours)."""
        event = EventRecord(stack.id, stack.name, STACK_TYPE, stack.id, action, status, reason)
        if not self.stacks.set_state(stack.id, self.runtime.engine_id, action, status, reason,
                                     event):
            raise LockLost(stack_id=stack.id)
        stack.record.action, stack.record.status = action, status
        stack.record.status_reason = reason
        if status != states.IN_PROGRESS and self.runtime.max_events:
            self.events.trim(stack.id, self.runtime.max_events)

    def set_resource_state(self, stack: Stack, name: str, rsrc: Resource, action: str,
                           status: str, reason: str, snapshot: bool = False) -> None:
        """Write a resource's state, physical id and data, and its event
        (LockLost when the stack is no longer ours)."""
        record = stack.stored[name]
        event = EventRecord(stack.id, name, record.type, rsrc.physical_id, action, status,
                            reason, sealing.mask(rsrc.properties, stack.secrets)
                            if snapshot else None)
        record.action, record.status, record.status_reason = action, status, reason
        record.physical_id, record.data = rsrc.physical_id, rsrc.data
        record.properties = rsrc.properties
        if not self.resources.write_state(record, self.runtime.engine_id, event,
                                          **self._sealed(stack, rsrc)):
            raise LockLost(stack_id=stack.id)

    def _sealed(self, stack: Stack, rsrc: Resource) -> dict:
        """The properties and data of a resource as stored: secrets sealed."""
        properties = rsrc.properties
        if sealing.holds(properties, stack.secrets):
            properties = sealing.seal(self.runtime.box, properties)
        data = {key: sealing.seal(self.runtime.box, value)
                if key in rsrc.secret_data or sealing.holds(value, stack.secrets)
                else value for key, value in rsrc.data.items()}
        return {'properties': properties, 'data': data}

    def check_lock(self, stack: Stack) -> None:
        """LockLost when another engine took the stack over."""
        if self.runtime.lock_store.holder(stack.id) != self.runtime.engine_id:
            raise LockLost(stack_id=stack.id)

    def add_resource_rows(self, stack: Stack, names: list[str]) -> None:
        """The rows of resources about to be created (INIT_COMPLETE)."""
        records = self.resources.add_all([
            ResourceRecord(stack_id=stack.id, name=name, type=stack.definitions[name].type,
                           requires=sorted(stack.requires()[name])) for name in names])
        for record in records:
            stack.stored[record.name] = record

    # -- one resource --

    def persist_physical(self, stack: Stack, name: str, rsrc: Resource) -> None:
        """Store a resource's physical id and data as soon as they exist, so
        that an engine dying before the resource completes leaves what to
        delete to the one taking over."""
        sealed = self._sealed(stack, rsrc)
        stack.stored[name].physical_id = rsrc.physical_id
        self.resources.update(stack.stored[name].id, physical_id=rsrc.physical_id,
                              data=sealed['data'])

    def _steps(self, stack: Stack, start: Any, check: Any,
               started: Any = None) -> None:
        """handle_* then check_*_complete until True, within the stack's
        timeout; ``started`` is called between the two."""
        cookie = start()
        if started is not None:
            started()
        delay = 0.005
        deadline = stack.deadline
        checked_lock = time.monotonic()
        while not check(cookie):
            now = time.monotonic()
            if now > deadline:
                raise exceptions.ResourceFailure(reason='Stack timed out')
            if self.runtime.stopping.is_set():
                raise exceptions.ResourceFailure(
                    reason='Engine %s stopped' % self.runtime.engine_id)
            if self.runtime.is_cancelled(stack):
                raise exceptions.ResourceFailure(reason='Operation cancelled')
            if now - checked_lock > 1.0:  # a long wait stops once taken over
                self.check_lock(stack)
                checked_lock = now
            time.sleep(delay)
            delay = min(delay * 2, self.runtime.poll_interval)

    def _resolve(self, stack: Stack, name: str, rsrc: Resource) -> tuple[dict, Any]:
        definition = stack.definitions[name]
        properties = rsrc.validate_properties(stack.properties_path(name),
                                              definition.resolved_properties(stack))
        return properties, definition.resolved_metadata(stack)

    def create_resource(self, stack: Stack, name: str, action: str = states.CREATE) -> None:
        """Create one resource (its requirements are complete)."""
        rsrc = stack.resources[name]
        self.set_resource_state(stack, name, rsrc, action, states.IN_PROGRESS, CHANGED)
        try:
            rsrc.properties, metadata = self._resolve(stack, name, rsrc)
            stack.stored[name].rsrc_metadata = metadata  # written with the next state
            self._steps(stack, rsrc.handle_create, rsrc.check_create_complete,
                        lambda: self.persist_physical(stack, name, rsrc))
        except LockLost:
            raise
        except Exception as error:
            reason = failure_reason(name, error)
            self.set_resource_state(stack, name, rsrc, action, states.FAILED, reason)
            raise ResourceActionError(reason=reason) from error
        self.set_resource_state(stack, name, rsrc, action, states.COMPLETE, CHANGED,
                                snapshot=True)

    def delete_resource(self, stack: Stack, name: str, rsrc: Resource,
                        action: str = states.DELETE, remove_row: bool = False) -> None:
        """Delete one resource's physical resource (Retain keeps it)."""
        record = stack.stored[name]
        if record.action == states.INIT and not rsrc.physical_id:
            if remove_row:  # under the lock, as every other write
                if not self.resources.remove(record, self.runtime.engine_id, None):
                    raise LockLost(stack_id=stack.id)
                del stack.stored[name]
            return  # never created: nothing to delete, no event
        definition = stack.definitions.get(name)
        retain = definition is not None and definition.deletion_policy == 'Retain'
        self.set_resource_state(stack, name, rsrc, action, states.IN_PROGRESS, CHANGED)
        try:
            if not retain:
                self._steps(stack, rsrc.handle_delete, rsrc.check_delete_complete)
        except LockLost:
            raise
        except Exception as error:
            reason = failure_reason(name, error)
            self.set_resource_state(stack, name, rsrc, action, states.FAILED, reason)
            raise ResourceActionError(reason=reason) from error
        if remove_row:
            self._remove_resource(stack, name, rsrc, action)
        else:
            self.set_resource_state(stack, name, rsrc, action, states.COMPLETE, CHANGED)

    def _remove_resource(self, stack: Stack, name: str, rsrc: Resource, action: str) -> None:
        """A deleted resource's ``<action>_COMPLETE`` event and the removal of
        its row: one transaction (LockLost when the stack is no longer ours)."""
        record = stack.stored[name]
        event = EventRecord(stack.id, name, record.type, rsrc.physical_id, action,
                            states.COMPLETE, CHANGED)
        if not self.resources.remove(record, self.runtime.engine_id, event):
            raise LockLost(stack_id=stack.id)
        del stack.stored[name]

    # -- stack actions --

    def _run(self, requires: dict[str, set[str]], work) -> str | None:
        """Run ``work`` over the graph; the first failure's reason, if any."""
        failures = graph.run(requires, work, self.runtime.max_concurrent)
        for error in failures.values():
            if isinstance(error, LockLost):
                raise error
        if failures:
            return str(next(iter(failures.values())))
        return None

    def create(self, stack: Stack) -> None:
        """CREATE every resource; rollback (delete them) on failure unless
        the stack disables rollback."""
        self.set_stack_state(stack, states.CREATE, states.IN_PROGRESS, 'Stack CREATE started')
        failed = self._run(stack.requires(), lambda name: self.create_resource(stack, name))
        if failed is None:
            self.set_stack_state(stack, states.CREATE, states.COMPLETE,
                                 'Stack CREATE completed successfully')
            return
        self.set_stack_state(stack, states.CREATE, states.FAILED,
                             'Resource CREATE failed: %s' % failed)
        # A stopping engine leaves the rollback to a later delete; a
        # cancelled create is followed by the delete that cancelled it.
        if not stack.record.disable_rollback and not self.runtime.stopping.is_set() \
                and not self.runtime.is_cancelled(stack):
            self.rollback_create(stack)

    def rollback_create(self, stack: Stack) -> None:
        """Delete what a failed create made; ROLLBACK_COMPLETE or _FAILED."""
        self.set_stack_state(stack, states.ROLLBACK, states.IN_PROGRESS,
                             'Stack ROLLBACK started')
        # The rows go with the resources: a later update creates them anew.
        failed = self._delete_all(stack, states.ROLLBACK, remove_rows=True)
        if failed is None:
            self.set_stack_state(stack, states.ROLLBACK, states.COMPLETE,
                                 'Stack ROLLBACK completed successfully')
        else:
            self.set_stack_state(stack, states.ROLLBACK, states.FAILED,
                                 'Resource DELETE failed: %s' % failed)

    def _instance(self, stack: Stack, name: str) -> Resource:
        if name in stack.resources:
            return stack.resources[name]
        record = stack.stored[name]
        try:
            return stack.instantiate(name, record.type)
        except exceptions.InvalidTemplate:
            # Its type no longer resolves (a stack loaded without its
            # template): a nested stack is still found by its id; anything
            # else can only be forgotten.
            from heat_watch.orchestration.resources import heat, nested
            try:
                self.stacks.get(record.physical_id or '')
            except exceptions.StackNotFound:
                cls = heat.NoneResource
            else:
                cls = nested.TemplateResource
            LOG.warning('Stack %s: resource %s of unknown type %s deleted as %s',
                        stack.id, name, record.type, cls.__name__)
            return cls(name, record.type, stack, record.physical_id, record.data)

    def _delete_all(self, stack: Stack, action: str, names: set[str] | None = None,
                    remove_rows: bool = False) -> str | None:
        names = set(stack.stored) if names is None else names
        requires = {name: set(stack.stored[name].requires) & names for name in names}
        instances = {name: self._instance(stack, name) for name in names}
        return self._run(graph.reversed_graph(requires), lambda name: self.delete_resource(
            stack, name, instances[name], action, remove_rows))

    def start_delete(self, stack: Stack) -> None:
        """DELETE_IN_PROGRESS (before the request returns)."""
        self.set_stack_state(stack, states.DELETE, states.IN_PROGRESS, DELETE_STARTED)

    def claim_for_delete(self, record: StackRecord) -> bool:
        """Lock a stack that nobody holds and write its DELETE_IN_PROGRESS
        with the event, in one transaction, while it is as ``record`` read
        it (which then holds the new state); False when it is held or
        changed."""
        return self.stacks.claim(record, self.runtime.engine_id,
                                 self._delete_started_event(record), action=states.DELETE,
                                 status=states.IN_PROGRESS, status_reason=DELETE_STARTED)

    def start_delete_held(self, record: StackRecord) -> None:
        """DELETE_IN_PROGRESS of a stack whose lock this engine took."""
        if not self.stacks.set_state(record.id, self.runtime.engine_id, states.DELETE,
                                     states.IN_PROGRESS, DELETE_STARTED,
                                     self._delete_started_event(record)):
            raise LockLost(stack_id=record.id)

    @staticmethod
    def _delete_started_event(record: StackRecord) -> EventRecord:
        return EventRecord(record.id, record.name, STACK_TYPE, record.id, states.DELETE,
                           states.IN_PROGRESS, DELETE_STARTED)

    def delete(self, stack: Stack, started: bool = False, release: bool = False) -> bool:
        """DELETE every resource in reverse dependency order; the stack is
        then DELETE_COMPLETE and hidden. Returns whether it succeeded
        (``release``: the last write also frees the lock, one round trip
        fewer)."""
        if not started:
            self.start_delete(stack)
        failed = self._delete_all(stack, states.DELETE, remove_rows=True)
        if failed is not None:
            self.set_stack_state(stack, states.DELETE, states.FAILED,
                                 'Resource DELETE failed: %s' % failed)
            return False
        try:
            # Its instances' key stops working with the stack (only drivers
            # that deliver keys made one).
            if getattr(self.runtime.compute, 'delivers_credentials', False):
                self.runtime.instance_credentials.revoke(stack.record.project_id, stack.id)
        except exceptions.HeatWatchError as error:
            self.set_stack_state(stack, states.DELETE, states.FAILED,
                                 'Deleting the stack\'s credentials failed: %s' % error)
            return False
        reason = 'Stack DELETE completed successfully'
        deleted_at = now_ms()
        # One write: the state, its event, and the name freed.
        if not self.stacks.update(stack.id, self.runtime.engine_id, EventRecord(
                stack.id, stack.name, STACK_TYPE, stack.id, states.DELETE, states.COMPLETE,
                reason), action=states.DELETE, status=states.COMPLETE, status_reason=reason,
                deleted_at=deleted_at, updated_at=deleted_at, release=release):
            raise LockLost(stack_id=stack.id)
        record = stack.record  # as stored now
        record.action, record.status, record.status_reason = states.DELETE, states.COMPLETE, reason
        record.deleted_at = record.updated_at = deleted_at
        if release:
            record.engine_id = None
        return True

    def update(self, old: Stack, new: Stack, action: str = states.UPDATE) -> str | None:
        """Bring the stack from ``old``'s definitions to ``new``'s: create the
        added resources, update the changed ones in place or replace them,
        delete the removed ones. Returns the failure's reason, if any."""
        failed = self._run(new.requires(), lambda name: self.update_resource(new, name, action))
        if failed is None:
            removed = set(new.stored) - set(new.definitions)
            failed = self._delete_all(new, action, removed, remove_rows=True)
        return failed

    def update_resource(self, stack: Stack, name: str, action: str) -> None:
        """One resource of an update: create, update in place, replace or keep."""
        stored = stack.stored.get(name)
        definition = stack.definitions[name]
        if stored is None:
            self.add_resource_rows(stack, [name])
            return self.create_resource(stack, name, action)
        rsrc = stack.resources[name]
        if stored.type != definition.type or not rsrc.physical_id \
                or stored.status == states.FAILED:
            # A failed resource (or one an engine left when it went down)
            # is made again, as Heat does.
            return self.replace_resource(stack, name, action)
        try:
            properties, metadata = self._resolve(stack, name, rsrc)
        except Exception as error:
            reason = failure_reason(name, error)
            self.set_resource_state(stack, name, rsrc, action, states.FAILED, reason)
            raise ResourceActionError(reason=reason) from error
        changed = rsrc.changed_properties(properties)
        if metadata != stored.rsrc_metadata:
            stored.rsrc_metadata = metadata
            self.resources.update(stored.id, rsrc_metadata=metadata)
            rsrc.handle_metadata_update(metadata)
        requires = sorted(stack.requires()[name])
        if requires != stored.requires:
            self.resources.update(stored.id, requires=requires)
            stored.requires = requires
        if not changed:
            return None
        if rsrc.needs_replacement(changed):
            return self.replace_resource(stack, name, action)
        self.set_resource_state(stack, name, rsrc, action, states.IN_PROGRESS, CHANGED)
        try:
            self._steps(stack, lambda: rsrc.handle_update(properties, changed),
                        rsrc.check_update_complete)
            rsrc.properties = properties
        except LockLost:
            raise
        except Exception as error:
            reason = failure_reason(name, error)
            self.set_resource_state(stack, name, rsrc, action, states.FAILED, reason)
            raise ResourceActionError(reason=reason) from error
        self.set_resource_state(stack, name, rsrc, action, states.COMPLETE, CHANGED,
                                snapshot=True)
        return None

    def replace_resource(self, stack: Stack, name: str, action: str) -> None:
        """Create the new resource, then delete the old one (its row is reused)."""
        old = stack.resources[name]
        stored = stack.stored[name]
        cls, mapped = stack.plugin_class(stack.definitions[name].type, name)
        new = cls(name, mapped, stack)
        new.template_type = stack.definitions[name].type
        old_type, stored.type = stored.type, new.template_type
        self.resources.update(stored.id, type=stored.type,
                              requires=sorted(stack.requires()[name]))
        stack.resources[name] = new
        self.create_resource(stack, name)
        if old.physical_id:
            try:
                self._steps(stack, old.handle_delete, old.check_delete_complete)
            except Exception as error:
                LOG.warning('Deleting the replaced %s of stack %s failed: %s', name, stack.id,
                            error)
                self.events.add(EventRecord(stack.id, name, old_type, old.physical_id,
                                            states.DELETE, states.FAILED,
                                            failure_reason(name, error)))
            else:
                self.events.add(EventRecord(stack.id, name, old_type, old.physical_id,
                                            states.DELETE, states.COMPLETE, 'replaced'))
