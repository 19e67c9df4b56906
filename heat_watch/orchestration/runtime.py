"""What every stack operation of one orchestrator shares: its engine id, the
stores, the compute driver, the lock, the threads actions run on; and the
loading of a stored stack into a :class:`~heat_watch.orchestration.stack.Stack`.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import uuid
from collections.abc import Callable

from oslo_config import cfg
from oslo_log import log

from heat_watch.common import crypto, exceptions, ids
from heat_watch.orchestration import actions, compute, liveness, locks, sealing, states, template
from heat_watch.orchestration import credentials as instance_credentials
from heat_watch.orchestration.stack import Stack, identity
from heat_watch.orchestration.storage import database
from heat_watch.orchestration.storage.events import EventRecord, EventStore
from heat_watch.orchestration.storage.locks import LockStore
from heat_watch.orchestration.storage.members import MemberStore
from heat_watch.orchestration.storage.resources import ResourceRecord, ResourceStore
from heat_watch.orchestration.storage.signals import SignalStore
from heat_watch.orchestration.storage.stacks import StackRecord, StackStore
from heat_watch.orchestration.storage.util import now_ms

LOG = log.getLogger(__name__)
# What an operation given to Runtime.submit returns when its last write
# freed the stack's lock itself.
LOCK_RELEASED = object()

GROUP = 'orchestration'
OPTS = [
    cfg.FloatOpt('heartbeat_interval', default=5.0, min=0.1,
                 help='Seconds between an orchestrator\'s heartbeats in the '
                      'orchestration database.'),
    cfg.FloatOpt('engine_stale_seconds', default=30.0, min=0.5,
                 help='An orchestrator whose last heartbeat is older than this is '
                      'gone: another takes over the stacks it had locked and marks '
                      'their interrupted operations FAILED. Keep it several '
                      'heartbeat intervals long.'),
    cfg.IntOpt('max_concurrent_resources', default=8, min=1,
               help='Resources of one stack acted on at once (independent '
                    'resources are created and deleted concurrently).'),
    cfg.IntOpt('max_concurrent_stacks', default=16, min=1,
               help='Stack operations one orchestrator runs at once; more wait.'),
    cfg.FloatOpt('poll_interval', default=0.5, min=0.01,
                 help='Longest pause between two checks of a resource that is '
                      'not complete yet (the checks start faster).'),
    cfg.IntOpt('max_nested_depth', default=5, min=1,
               help='How deep nested stacks and provider templates may go.'),
    cfg.IntOpt('max_resources_per_stack', default=1000, min=1,
               help='Most resources one template may define (nested stacks count '
                    'on their own).'),
    cfg.IntOpt('max_stacks_per_project', default=100, min=1,
               help='Most live top-level stacks a project may have.'),
    cfg.IntOpt('max_events_per_stack', default=1000, min=0,
               help='Events kept per stack: when an operation ends, older ones '
                    'are deleted (0 keeps them all).'),
    cfg.IntOpt('default_timeout_mins', default=60, min=1,
               help='Timeout of a stack operation when the request gives none.'),
    cfg.FloatOpt('stop_timeout', default=20.0, min=0,
                 help='Seconds a stopping orchestrator lets running stack operations '
                      'finish; those still running then fail ("Engine <id> stopped") '
                      'and their stacks are unlocked.'),
    cfg.FloatOpt('cancel_wait', default=30.0, min=0,
                 help='Seconds a delete waits for the operation it cancels (a create '
                      'or update still running on the stack) to stop; keep it below '
                      'the APIs\' rpc_timeout.'),
    cfg.FloatOpt('answer_wait', default=0.05, min=0,
                 help='Seconds a create, update or delete request waits for the '
                      'operation it started to end before answering (the operation '
                      'goes on either way): a small stack\'s operation ends within '
                      'it, and the client\'s first status poll finds it ended rather '
                      'than IN_PROGRESS. 0 answers as soon as the operation started.'),
    cfg.StrOpt('region_name', default='RegionOne',
               help='Region the templates see (AWS::Region).'),
]


class Runtime:
    """The shared state of one orchestrator."""

    def __init__(self, conf: cfg.ConfigOpts, engine_id: str | None = None):
        self.conf = conf
        options = conf[GROUP]
        self.engine_id = engine_id or '%s-%s' % (conf.host, uuid.uuid4().hex[:8])
        db_engine = database.DATABASE.get_engine(conf)
        self.stacks = StackStore(db_engine)
        self.resources = ResourceStore(db_engine)
        self.events = EventStore(db_engine)
        self.signals = SignalStore(db_engine)
        self.members = MemberStore(db_engine)
        self.lock_store = LockStore(db_engine)
        self.instance_credentials = instance_credentials.InstanceCredentials(self)
        self.compute = instance_credentials.CredentialingDriver(
            compute.get_driver(conf), self.instance_credentials)
        self.poll_interval = options.poll_interval
        self.max_concurrent = options.max_concurrent_resources
        self.region = options.region_name
        self.max_nested_depth = options.max_nested_depth
        self.default_timeout_mins = options.default_timeout_mins
        self.max_resources = options.max_resources_per_stack
        self.max_stacks = options.max_stacks_per_project
        self.max_events = options.max_events_per_stack
        stale_ms = int(options.engine_stale_seconds * 1000)
        if conf.coordination.backend_url:
            self.liveness = liveness.ToozLiveness(conf.coordination.backend_url,
                                                  self.engine_id)
        else:
            self.liveness = liveness.DatabaseLiveness(self.lock_store, stale_ms)
        self.locker = locks.StackLocker(self.lock_store, self.engine_id, stale_ms,
                                        self.mark_interrupted, self.liveness)
        self.actions = actions.StackActions(self)
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=options.max_concurrent_stacks, thread_name_prefix='stack')
        self._box: crypto.SecretBox | None = None
        self.stop_timeout = options.stop_timeout
        # Set when the orchestrator stops: resources still waiting give up.
        self.stopping = threading.Event()
        self._running: set[concurrent.futures.Future] = set()
        # The operation running here on each stack (its lock is ours until it ends).
        self._operations: dict[str, concurrent.futures.Future] = {}
        self._running_lock = threading.Lock()
        self.cancel_wait = options.cancel_wait
        self.answer_wait = options.answer_wait
        # Stacks whose running operation is asked to stop.
        self._cancelled: set[str] = set()
        self.orchestrator = None  # set by operations.Orchestrator

    # -- secrets --

    @property
    def box(self) -> crypto.SecretBox:
        if self._box is None:
            crypto.ensure_key_file(self.conf)
            self._box = crypto.SecretBox(self.conf)
        return self._box

    def stored_parameters(self, params: dict, hidden: frozenset[str] | set[str]) -> dict:
        """Parameters as stored: hidden (NoEcho) values encrypted."""
        values = {}
        encrypted = []
        for name, value in (params or {}).items():
            if name in hidden:
                values[name] = self.box.encrypt(value if isinstance(value, str)
                                                else str(value))
                encrypted.append(name)
            else:
                values[name] = value
        return {'values': values, 'encrypted': sorted(encrypted)}

    def stored_environment(self, env: template.Environment,
                           hidden: frozenset[str] | set[str]) -> dict:
        """An environment as stored: values of hidden parameters (in
        parameters and parameter_defaults) sealed."""
        stored = env.to_dict()
        for section in ('parameters', 'parameter_defaults'):
            values = stored.get(section) or {}
            for name in hidden & set(values):
                values[name] = sealing.seal(self.box, values[name])
        return stored

    def environment_of(self, record: StackRecord) -> dict:
        """A stack's stored environment, its sealed values opened."""
        opened = dict(record.environment or {})
        for section in ('parameters', 'parameter_defaults'):
            if isinstance(opened.get(section), dict):
                opened[section] = {k: sealing.unseal(self.box, v) if sealing.is_sealed(v)
                                   else v for k, v in opened[section].items()}
        return opened

    def parameters_of(self, record: StackRecord) -> dict:
        """The parameter values a stack was given (decrypted)."""
        stored = record.parameters or {}
        values = dict(stored.get('values') or {})
        for name in stored.get('encrypted') or []:
            values[name] = self.box.decrypt(values[name])
        return values

    # -- loading --

    def bind(self, record: StackRecord, raw_template: dict | None = None,
             env: dict | None = None, params: dict | None = None,
             files: dict | None = None) -> tuple[template.BoundTemplate, template.Environment]:
        """The stack's template bound to its parameters (or to the ones given)."""
        files = record.files if files is None else files
        parsed = template.parse(record.template if raw_template is None else raw_template, files)
        environment = template.parse_environment(
            self.environment_of(record) if env is None else env)
        values = self.parameters_of(record) if params is None else params
        return parsed.bind(values, environment, identity(record, self.region)), environment

    def stored_resources(self, stack_id: str) -> dict[str, ResourceRecord]:
        """A stack's resource rows by name, their sealed values opened."""
        stored = {}
        for row in self.resources.list(stack_id):
            # The key is read only where something is sealed.
            if sealing.is_sealed(row.properties):
                row.properties = sealing.unseal(self.box, row.properties)
            row.data = {k: sealing.unseal(self.box, v) if sealing.is_sealed(v) else v
                        for k, v in row.data.items()}
            stored[row.name] = row
        return stored

    def load(self, record: StackRecord, **overrides) -> Stack:
        """A stored stack ready to act on (its resources' stored state loaded)."""
        bound, environment = self.bind(record, **overrides)
        stored = self.stored_resources(record.id)
        stack = Stack(record, bound, environment, self, stored)
        timeout = record.timeout_mins or self.default_timeout_mins
        stack.deadline = time.monotonic() + timeout * 60
        return stack

    def load_stored(self, record: StackRecord) -> Stack:
        """A stack whose template no longer binds, for deleting it: no
        definitions, its stored resources only."""
        try:
            environment = template.parse_environment(self.environment_of(record))
        except exceptions.HeatWatchError:
            environment = template.parse_environment(None)
        empty = template.parse({'heat_template_version': '2013-05-23'})
        bound = empty.bind({}, environment, identity(record, self.region))
        stored = self.stored_resources(record.id)
        stack = Stack(record, bound, environment, self, stored)
        timeout = record.timeout_mins or self.default_timeout_mins
        stack.deadline = time.monotonic() + timeout * 60
        return stack

    # -- running actions --

    def submit(self, record: StackRecord, work: Callable[[], object],
               answering: bool = False) -> bool:
        """Run ``work`` (an action on a stack whose lock we hold) on the
        stack threads; the lock is released when it ends (unless ``work``
        returns LOCK_RELEASED: its last write freed it). ``answering``: a
        request waits for the answer; give the operation ``answer_wait``
        seconds to end first. Returns whether it ended."""
        def run() -> None:
            released = False
            try:
                released = work() is LOCK_RELEASED
            except actions.LockLost:
                LOG.warning('Stack %s was taken over while this engine acted on it',
                            record.id)
            except Exception:
                LOG.exception('Stack %s: %s failed', record.id, record.action)
                self.fail_quietly(record, 'Internal error: see the orchestrator log')
            finally:
                self._cancelled.discard(record.id)
                if not released:
                    self.locker.release(record.id)
        future = self._pool.submit(run)
        with self._running_lock:
            future.registered_at = time.monotonic()  # see settle()
            self._running.add(future)
            self._operations[record.id] = future
        future.add_done_callback(lambda done: self._forget(done, record.id))
        if answering and self.answer_wait:
            try:
                future.result(self.answer_wait)
            except concurrent.futures.TimeoutError:
                return False  # still running: the client polls
            except Exception:  # noqa: BLE001 - run() logged it; the stack shows it
                pass
        return future.done()

    def cancel(self, stack_id: str) -> None:
        """Ask the operation running on a stack (here) to stop: resources
        still waiting fail with "Operation cancelled", no rollback runs."""
        self._cancelled.add(stack_id)

    def is_cancelled(self, stack: Stack) -> bool:
        """Whether the operation ``stack`` is part of was cancelled."""
        return stack.operation in self._cancelled

    def _forget(self, future: concurrent.futures.Future, stack_id: str) -> None:
        with self._running_lock:
            self._running.discard(future)
            if self._operations.get(stack_id) is future:
                del self._operations[stack_id]

    def settle(self, record: StackRecord, read_at: float, timeout: float = 5.0) -> None:
        """Before taking a stack's lock: when the stored state (``record``,
        read at monotonic time ``read_at``) says that no operation runs but
        ours is still ending (it wrote its last state and is releasing the
        lock), wait for it rather than answer busy. An operation that began
        after the read is not waited for: the stack is busy (a concurrent
        request's), and taking the lock will say so."""
        if record.status == states.IN_PROGRESS:
            return
        with self._running_lock:
            future = self._operations.get(record.id)
        if future is not None and future.registered_at < read_at:
            self.wait_for_operation(record.id, timeout)

    def wait_for_operation(self, stack_id: str, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) for the operation this engine
        runs on a stack to end and free its lock; whether none runs now. A
        client that saw the stack COMPLETE may act on it at once, while the
        operation that wrote that state is still releasing the lock."""
        with self._running_lock:
            future = self._operations.get(stack_id)
        if future is None:
            return True
        try:
            future.result(timeout)
        except concurrent.futures.TimeoutError:
            return False
        except Exception:  # noqa: BLE001 - the operation logged its own failure
            pass
        return True

    def fail_quietly(self, record: StackRecord, reason: str) -> None:
        """Mark an operation that broke FAILED (the lock is still ours)."""
        current = self.stacks.get(record.id)
        if current.status == states.IN_PROGRESS:
            self.stacks.set_state(record.id, self.engine_id, current.action, states.FAILED,
                                  reason, EventRecord(record.id, record.name,
                                                      actions.STACK_TYPE, record.id,
                                                      current.action, states.FAILED, reason))

    def mark_interrupted(self, stack_id: str, old_holder: str) -> None:
        """After a takeover: the operation the dead engine ran is FAILED, and
        so are its resources caught IN_PROGRESS."""
        record = self.stacks.get(stack_id)
        reason = 'Engine %s went down during stack %s' % (old_holder, record.action)
        for rsrc in self.resources.list(stack_id):
            if rsrc.status == states.IN_PROGRESS:
                self.resources.update(rsrc.id, status=states.FAILED, status_reason=reason)
                self.events.add(EventRecord(stack_id, rsrc.name, rsrc.type, rsrc.physical_id,
                                            rsrc.action, states.FAILED, reason))
        if record.status == states.IN_PROGRESS:
            self.stacks.set_state(stack_id, self.engine_id, record.action, states.FAILED,
                                  reason, EventRecord(stack_id, record.name,
                                                      actions.STACK_TYPE, stack_id,
                                                      record.action, states.FAILED, reason))

    def take_over_stale(self) -> list[str]:
        """Take over (and release) every stack locked by a gone engine;
        returns their ids."""
        try:
            alive = self.liveness.alive() | {self.engine_id}
        except Exception:  # the coordination backend is out: take nothing over
            LOG.warning('Cannot tell which orchestrators are alive', exc_info=True)
            return []
        taken = []
        for record in self.stacks.locked():
            if record.engine_id in alive:
                continue
            try:
                self.locker.acquire(record.id, record.name)
            except exceptions.StackLocked:
                continue
            self.locker.release(record.id)
            taken.append(record.id)
        return taken

    def forget_previous_lives(self) -> list[str]:
        """At start: engines of this host that are not this one are this
        orchestrator before a restart (host names are distinct per
        orchestrator); they are gone at once, not after engine_stale_seconds."""
        gone = self.lock_store.forget_host(self.conf.host, self.engine_id)
        if gone:
            LOG.info('Earlier lives of this orchestrator are gone: %s', ', '.join(gone))
        return gone

    def forget_gone_engines(self) -> int:
        """Remove the heartbeats of engines silent for ten staleness periods
        that hold no lock (each start of an orchestrator adds one)."""
        return self.lock_store.purge(10 * self.locker.stale_after_ms)

    def heartbeat(self) -> None:
        """Record that this orchestrator is alive."""
        self.lock_store.heartbeat(self.engine_id, self.conf.host)

    def stop(self) -> None:
        """Let running actions finish (within ``stop_timeout``; then they
        fail), then forget this engine's heartbeat."""
        with self._running_lock:
            running = set(self._running)
        if running:
            LOG.info('Waiting up to %ss for %d stack operations', self.stop_timeout,
                     len(running))
            concurrent.futures.wait(running, timeout=self.stop_timeout)
        self.stopping.set()
        self._pool.shutdown(wait=True)
        self.liveness.stop()
        self.lock_store.forget(self.engine_id)

    def new_record(self, project_id: str, user_id: str | None, name: str, raw: dict,
                   env: dict, files: dict, stored_params: dict,
                   disable_rollback: bool, timeout_mins: int | None,
                   owner_id: str | None = None, nested_depth: int = 0) -> StackRecord:
        """A new stack's record, CREATE_IN_PROGRESS, locked by this engine."""
        return StackRecord(
            id=ids.time_ordered_uuid(), name=name, project_id=project_id, user_id=user_id,
            owner_id=owner_id, nested_depth=nested_depth, template=raw,
            environment=env, files=files or {}, parameters=stored_params,
            action=states.CREATE, status=states.IN_PROGRESS, status_reason='Stack CREATE started',
            disable_rollback=disable_rollback, timeout_mins=timeout_mins,
            engine_id=self.engine_id, created_at=now_ms(), updated_at=None, deleted_at=None)
