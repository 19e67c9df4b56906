"""Stack operations as the RPC API offers them: validate, create, update
(PUT and PATCH), delete, preview, and the reads (stacks, outputs, resources,
events, templates). Each takes the caller's project and sees only its stacks.

Create, update and delete validate and lock synchronously (a bad template is
refused, a busy stack is a conflict, before the call returns) and then run
on the runtime's stack threads; the caller polls the stack's status.
"""

from __future__ import annotations

import re
import time
from typing import Any

from oslo_log import log

from heat_watch.common import exceptions
from heat_watch.orchestration import (
    cancelling,
    graph,
    prevalidation,
    records,
    resources,
    states,
    template,
)
from heat_watch.orchestration import properties as props
from heat_watch.orchestration.runtime import LOCK_RELEASED, Runtime
from heat_watch.orchestration.stack import Stack, ValidationContext, is_provider_template
from heat_watch.orchestration.storage.stacks import StackRecord, StackStore

LOG = log.getLogger(__name__)
_STACK_NAME = re.compile(r'^[a-zA-Z][a-zA-Z0-9_.-]{0,254}$')


def check_stack_name(name: Any) -> str:
    """A valid stack name, or Invalid (Heat's rule and wording)."""
    if not isinstance(name, str) or not _STACK_NAME.match(name):
        raise exceptions.Invalid(reason='Invalid stack name %s must contain only alphanumeric '
                                        'or "_-." characters, must start with alpha and must '
                                        'be 255 characters or less.' % name)
    return name


def _arg(args: dict, name: str, kind: str) -> Any:
    try:
        return props.coerce(kind, args[name])
    except (TypeError, ValueError) as error:
        raise exceptions.Invalid(reason='%s: %s' % (name, error))


def check_request(params: Any, files: Any, args: Any) -> dict:
    """Check the shapes of a request's parameters and files; returns its
    args (disable_rollback, timeout_mins) typed."""
    if params is not None and not isinstance(params, dict):
        raise exceptions.Invalid(reason='parameters must be a map')
    if files is not None and (not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items())):
        raise exceptions.Invalid(reason='files must be a map of file names to contents')
    if args is not None and not isinstance(args, dict):
        raise exceptions.Invalid(reason='the stack arguments must be a map')
    checked = {}
    if (args or {}).get('disable_rollback') is not None:
        checked['disable_rollback'] = _arg(args, 'disable_rollback', props.BOOLEAN)
    if (args or {}).get('timeout_mins') is not None:
        checked['timeout_mins'] = _arg(args, 'timeout_mins', props.INTEGER)
        if checked['timeout_mins'] < 1:
            raise exceptions.Invalid(reason='timeout_mins: must be at least 1')
    clear = (args or {}).get('clear_parameters')
    if clear is not None:
        if not isinstance(clear, list) or not all(isinstance(n, str) for n in clear):
            raise exceptions.Invalid(reason='clear_parameters must be a list of names')
        checked['clear_parameters'] = clear
    return checked


def lookup(stacks: StackStore, project_id: str, stack_ref: str | dict,
           show_deleted: bool = False) -> StackRecord:
    """The project's stack that ``stack_ref`` names: a name or id, or the
    identity a /v1 path gives ({'stack_name', 'stack_id'}: the stack of that
    id, whose name must be the path's, or StackNotFound naming it, as Heat
    answers), so that the API needs no identify call of its own."""
    if not isinstance(stack_ref, dict):
        return stacks.find(project_id, stack_ref, show_deleted=show_deleted)
    name, stack_id = stack_ref.get('stack_name'), stack_ref.get('stack_id')
    if not isinstance(name, str) or not isinstance(stack_id, str):
        raise exceptions.Invalid(reason='a stack identity has a stack_name and a stack_id')
    try:
        record = stacks.find(project_id, stack_id, show_deleted=show_deleted, id_first=True)
    except exceptions.StackNotFound:
        raise exceptions.StackNotFound(stack_name=name) from None
    if name not in (record.name, record.id):
        raise exceptions.StackNotFound(stack_name=name)
    return record


DELETE_COMPLETE = states.joined(states.DELETE, states.COMPLETE)


def shown(record: StackRecord, bound: Any, stack: Stack | None = None) -> dict:
    """A stack as show answers it: its record, parameters (hidden ones
    masked), description, and ``stack``'s outputs when given."""
    document = records.stack(record)
    document['parameters'] = bound.shown_parameters()
    document['description'] = bound.template.description
    if stack is not None:
        document['outputs'] = stack.outputs()
    return document


def check_limits(runtime: Runtime, stack: Stack, count_stacks: bool) -> None:
    """LimitExceeded when the template defines too many resources, or the
    project has as many stacks as it may."""
    if len(stack.definitions) > runtime.max_resources:
        raise exceptions.LimitExceeded(
            reason='Maximum resources per stack exceeded (%d).' % runtime.max_resources)
    if count_stacks and runtime.stacks.count(stack.record.project_id) >= runtime.max_stacks:
        raise exceptions.LimitExceeded(
            reason='You have reached the maximum stacks per project, %d. Please delete '
                   'some stacks.' % runtime.max_stacks)


def hidden_parameters(parsed: template.Template) -> set[str]:
    """Names of the parameters whose values are stored encrypted (NoEcho, hidden)."""
    return {name for name, schema in parsed.parameter_schemas().items()
            if str(schema.get('NoEcho', '')).lower() == 'true'}


class Orchestrator:
    """The stack operations of one orchestrator."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.stacks = runtime.stacks
        # Nested stack resources reach the operations through the runtime.
        runtime.orchestrator = self

    # -- building --

    def known_type(self, files: dict) -> Any:
        """The template library's test of a resource type's existence."""
        return lambda name: resources.is_known(name) or is_provider_template(name, files)

    def _build(self, record: StackRecord, raw: dict, env: template.Environment,
               params: dict, files: dict) -> Stack:
        """A stack from a template, validated before anything exists."""
        parsed = template.parse(raw, files)
        bound = parsed.bind(params, env, template.StackIdentity(
            record.name, record.id, record.project_id, self.runtime.region))
        bound.validate(self.known_type(files))
        stack = Stack(record, bound, env, self.runtime,
                      self.runtime.stored_resources(record.id))
        prevalidation.validate_properties(stack)
        return stack

    def _prepare(self, project_id: str, user_id: str | None, name: str, body: Any,
                 params: dict | None, files: dict | None, environment: Any,
                 args: dict | None, owner: StackRecord | None = None) -> Stack:
        check_stack_name(name)
        args = check_request(params, files, args)
        files = files or {}
        parsed = template.parse(body, files)
        env = template.parse_environment(environment)
        hidden = hidden_parameters(parsed)
        depth = 0 if owner is None else owner.nested_depth + 1
        if depth > self.runtime.max_nested_depth:
            raise exceptions.InvalidTemplate(
                'Recursion depth exceeds %d.' % self.runtime.max_nested_depth)
        record = self.runtime.new_record(
            project_id, user_id, name, parsed.raw, self.runtime.stored_environment(env, hidden),
            files,
            self.runtime.stored_parameters(params or {}, hidden),
            bool(args.get('disable_rollback', owner is not None)), args.get('timeout_mins'),
            owner_id=None if owner is None else owner.id, nested_depth=depth)
        stack = self._build(record, parsed.raw, env, params or {}, files)
        check_limits(self.runtime, stack, count_stacks=owner is None)
        return stack

    # -- writes --

    def create(self, project_id: str, user_id: str | None, name: str, body: Any,
               params: dict | None = None, files: dict | None = None,
               environment: Any = None, args: dict | None = None) -> dict:
        """Validate and store a stack, then create it in the background."""
        stack = self._prepare(project_id, user_id, name, body, params, files, environment, args)
        self._store(stack)
        self.runtime.submit(stack.record, lambda: self.runtime.actions.create(stack),
                            answering=True)
        return records.identity(stack.record)

    def _store(self, stack: Stack) -> None:
        self.stacks.create(stack.record)
        self.runtime.actions.add_resource_rows(stack, list(stack.definitions))
        timeout = stack.record.timeout_mins or self.runtime.default_timeout_mins
        stack.deadline = time.monotonic() + timeout * 60

    def create_nested(self, parent: Stack, resource_name: str, body: Any, params: dict,
                      files: dict | None = None, environment: Any = None,
                      stored: Any = None) -> Stack:
        """Create a nested stack now, on this thread (its lock is ours);
        returns it, CREATE_COMPLETE or CREATE_FAILED. ``stored(stack_id)``
        is called once it is stored, before its resources are created."""
        name = '%s-%s' % (parent.name[:100], resource_name[:100])
        name = '%s-%s' % (name, parent.physical_name('x')[-12:])
        env = parent.environment.for_child().to_dict() if environment is None else environment
        stack = self._prepare(parent.record.project_id, parent.record.user_id, name, body,
                              params, dict(parent.record.files, **(files or {})), env,
                              {'disable_rollback': True,
                               'timeout_mins': parent.record.timeout_mins},
                              owner=parent.record)
        stack.operation = parent.operation
        self._store(stack)
        if stored is not None:
            stored(stack.id)
        try:
            self.runtime.actions.create(stack)
        finally:
            self.runtime.locker.release(stack.id)
        return stack

    def delete(self, project_id: str, stack_ref: str | dict) -> dict | None:
        """Delete a stack (and its nested stacks) in the background; an
        operation still running on it is cancelled first. Returns the stack
        as shown when the delete ended within ``answer_wait`` (a deleted
        stack never changes again: the API may answer its polls)."""
        read_at = time.monotonic()
        record = lookup(self.stacks, project_id, stack_ref)
        actions = self.runtime.actions
        # A stack nobody holds (and nobody changed since we read it) is
        # locked and marked in one transaction; it is loaded on the stack
        # thread.
        self.runtime.settle(record, read_at)
        claimed = actions.claim_for_delete(record)
        if not claimed:
            cancelling.acquire_cancelling(self.runtime, record)
            try:
                actions.start_delete_held(record)
            except Exception:
                self.runtime.locker.release(record.id)
                raise

        deleted: list[Stack] = []

        def delete_loaded() -> object:
            stack = self._load_for_delete(record, read_again=not claimed)
            if not actions.delete(stack, started=True, release=True):
                return None
            deleted.append(stack)
            return LOCK_RELEASED
        if self.runtime.submit(record, delete_loaded, answering=True) and deleted:
            return shown(deleted[0].record, deleted[0].bound)
        return None

    def _load_for_delete(self, record: StackRecord, read_again: bool = True) -> Stack:
        if read_again:  # the state we wrote, or what a takeover left
            record = self.stacks.get(record.id)
        try:
            return self.runtime.load(record)
        except exceptions.HeatWatchError as error:
            # A stack must stay deletable even when its template no longer binds.
            LOG.warning('Stack %s is deleted from its stored resources only: %s',
                        record.id, error)
            return self.runtime.load_stored(record)

    def delete_nested(self, parent: Stack, stack_id: str) -> bool:
        """Delete a nested stack now, on this thread; whether it succeeded."""
        try:
            record = self.stacks.get(stack_id)
        except exceptions.StackNotFound:
            return True
        if record.deleted_at:
            return True
        with self.runtime.locker.held(record.id, record.name):
            stack = self._load_for_delete(record)
            stack.operation = parent.operation
            return self.runtime.actions.delete(stack)

    def update(self, project_id: str, stack_ref: str | dict, body: Any = None,
               params: dict | None = None, files: dict | None = None,
               environment: Any = None, args: dict | None = None,
               patch: bool = False) -> dict:
        """Update a stack to a new template and parameters (PATCH: what is
        not given is kept) in the background; rollback on failure unless
        disabled."""
        args = check_request(params, files, args)
        read_at = time.monotonic()
        record = lookup(self.stacks, project_id, stack_ref)
        self.runtime.settle(record, read_at)
        # Lock first: taking a gone engine's lock over ends its operation.
        self.runtime.locker.acquire(record.id, record.name)
        try:
            current = self.stacks.get(record.id)
            if current.status == states.IN_PROGRESS:
                raise exceptions.StackInProgress(stack_name=record.name, action=current.action)
            if current.action == states.DELETE:
                # Half deleted: only another delete makes sense (as in Heat).
                raise exceptions.Conflict(reason='Updating a stack when it is deleting')
            old, new = self._prepare_update(record, body, params, files, environment, args,
                                            patch)
            # IN_PROGRESS before the call returns: a client polling the
            # status must not see the previous state as the outcome.
            self._start_update(new)
        except Exception:
            self.runtime.locker.release(record.id)
            raise
        self.runtime.submit(record, lambda: self._run_update(old, new, started=True),
                            answering=True)
        return records.identity(record)

    def _prepare_update(self, record: StackRecord, body: Any, params: dict | None,
                        files: dict | None, environment: Any, args: dict,
                        patch: bool) -> tuple[Stack, Stack]:
        record = self.stacks.get(record.id)
        old = self.runtime.load(record)
        files = dict(record.files, **(files or {})) if patch else (files or {})
        raw = record.template if body is None and patch else body
        if raw is None:
            raise exceptions.InvalidTemplate('A template is required to update a stack.')
        parsed = template.parse(raw, files)
        env = template.parse_environment(environment)
        if patch:
            env = old.environment.merged(env)
            merged = self.runtime.parameters_of(record)
            # PATCH's clear_parameters: back to their defaults.
            for name in args.get('clear_parameters') or []:
                merged.pop(name, None)
                env.parameters.pop(name, None)
            merged.update(params or {})
            params = merged
        hidden = hidden_parameters(parsed)
        new_record = StackRecord(**dict(vars(record)))
        new_record.template = parsed.raw
        new_record.environment = self.runtime.stored_environment(env, hidden)
        new_record.files = files
        new_record.parameters = self.runtime.stored_parameters(params or {}, hidden)
        if 'disable_rollback' in args:
            new_record.disable_rollback = bool(args['disable_rollback'])
        if args.get('timeout_mins'):
            new_record.timeout_mins = args['timeout_mins']
        new = self._build(new_record, parsed.raw, env, params or {}, files)
        check_limits(self.runtime, new, count_stacks=False)
        new.deadline = old.deadline
        return old, new

    def _start_update(self, new: Stack) -> None:
        new_record = new.record
        self.stacks.update(new.id, self.runtime.engine_id, template=new_record.template,
                           environment=new_record.environment, files=new_record.files,
                           parameters=new_record.parameters,
                           disable_rollback=new_record.disable_rollback,
                           timeout_mins=new_record.timeout_mins)
        self.runtime.actions.set_stack_state(new, states.UPDATE, states.IN_PROGRESS,
                                             'Stack UPDATE started')

    def _run_update(self, old: Stack, new: Stack, started: bool = False) -> None:
        run = self.runtime.actions
        new_record = new.record
        if not started:
            self._start_update(new)
        failed = run.update(old, new)
        if failed is None:
            run.set_stack_state(new, states.UPDATE, states.COMPLETE,
                                'Stack successfully updated')
            return
        run.set_stack_state(new, states.UPDATE, states.FAILED,
                            'Resource UPDATE failed: %s' % failed)
        if new_record.disable_rollback or self.runtime.stopping.is_set() \
                or self.runtime.is_cancelled(new):
            return
        # Roll back: the old definitions against what exists now.
        run.set_stack_state(new, states.ROLLBACK, states.IN_PROGRESS, 'Stack ROLLBACK started')
        back = Stack(old.record, old.bound, old.environment, self.runtime, new.stored)
        for name, rsrc in new.resources.items():
            if name in back.resources and back.stored.get(name) is not None \
                    and rsrc.physical_id:
                back.resources[name] = rsrc
        back.deadline, back.operation = new.deadline, new.operation
        failed = run.update(new, back, states.ROLLBACK)
        if failed is None:
            self.stacks.update(new.id, self.runtime.engine_id, template=old.record.template,
                               environment=old.record.environment, files=old.record.files,
                               parameters=old.record.parameters)
            run.set_stack_state(new, states.ROLLBACK, states.COMPLETE,
                                'Stack ROLLBACK completed successfully')
        else:
            run.set_stack_state(new, states.ROLLBACK, states.FAILED,
                                'Resource ROLLBACK failed: %s' % failed)

    def update_nested(self, parent: Stack, stack_id: str, body: Any, params: dict,
                      files: dict | None = None) -> str | None:
        """Update a nested stack now, on this thread; the failure, if any."""
        record = self.stacks.get(stack_id)
        with self.runtime.locker.held(record.id, record.name):
            old, new = self._prepare_update(record, body, params, files,
                                            self.runtime.environment_of(record), {}, False)
            old.operation = new.operation = parent.operation
            self._run_update(old, new)
            current = self.stacks.get(stack_id)
        return None if current.status == states.COMPLETE else current.status_reason

    # -- reads --

    def find(self, project_id: str, stack_ref: str | dict) -> StackRecord:
        """A live stack of the project by name or id (see ``lookup``)."""
        return lookup(self.stacks, project_id, stack_ref, show_deleted=True)

    def show(self, project_id: str, stack_ref: str | dict,
             resolve_outputs: bool = True) -> dict:
        """A stack with its parameters (hidden ones masked) and outputs."""
        record = self.find(project_id, stack_ref)
        # As Heat: a deleted stack shows no outputs (its resources are gone).
        resolve_outputs = resolve_outputs and record.state != DELETE_COMPLETE
        try:
            # Without outputs the parameters need the template bound, not
            # the resources loaded (a status poll of a large stack).
            stack = self.runtime.load(record) if resolve_outputs else None
            bound = stack.bound if stack is not None else self.runtime.bind(record)[0]
        except exceptions.HeatWatchError:
            return records.stack(record)  # its template no longer binds: no outputs
        return shown(record, bound, stack)

    def preview(self, project_id: str, user_id: str | None, name: str, body: Any,
                params: dict | None = None, files: dict | None = None,
                environment: Any = None, args: dict | None = None) -> dict:
        """What create would make, nothing stored."""
        stack = self._prepare(project_id, user_id, name, body, params, files, environment,
                              args)
        previewed = shown(stack.record, stack.bound)
        context = ValidationContext(stack)
        required_by = graph.reversed_graph(stack.requires())
        previewed['resources'] = [
            {'resource_name': name, 'resource_type': d.type,
             'required_by': sorted(required_by[name]),
             'properties': d.resolved_properties(context), 'metadata':
             d.resolved_metadata(context), 'stack_name': stack.name,
             'resource_identity': {'stack_name': stack.name, 'stack_id': stack.id,
                                   'path': '/resources/%s' % name},
             'resource_action': states.INIT, 'resource_status': states.COMPLETE}
            for name, d in stack.definitions.items()]
        return previewed
