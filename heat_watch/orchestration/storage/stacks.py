"""Stacks in the orchestration database.

State changes are written only by the engine holding the stack's lock: each
update names the holder (``engine_id``) and changes nothing when another
engine holds it, so that an engine that lost its lock (taken over while it
hung) can no longer overwrite what the new holder writes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from oslo_db import exception as db_exc

from heat_watch.common import exceptions
from heat_watch.orchestration import states
from heat_watch.orchestration.storage import events, models
from heat_watch.orchestration.storage.util import dumps, loads, now_ms

STACKS = models.Stack.__table__


@dataclasses.dataclass
class StackRecord:
    """A stack as stored (documents decoded; parameters still encrypted)."""

    id: str
    name: str
    project_id: str
    user_id: str | None
    owner_id: str | None
    nested_depth: int
    template: dict
    environment: dict
    files: dict
    parameters: dict  # {"values": {...}, "encrypted": [...]}
    action: str
    status: str
    status_reason: str
    disable_rollback: bool
    timeout_mins: int | None
    engine_id: str | None
    created_at: int
    updated_at: int | None
    deleted_at: int | None

    @property
    def state(self) -> str:
        return states.joined(self.action, self.status)

    @classmethod
    def from_row(cls, row: sa.Row) -> StackRecord:
        values = dict(row._mapping)
        values.pop('name_key')
        for name in ('template', 'environment', 'files', 'parameters'):
            values[name] = loads(values[name], {})
        return cls(**values)


def _row_values(record: StackRecord) -> dict:
    values = dataclasses.asdict(record)
    values['name_key'] = None if record.deleted_at else record.name
    for name in ('template', 'environment', 'files', 'parameters'):
        values[name] = dumps(values[name])
    return values


class StackStore:
    """Reads and writes stack rows."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def create(self, record: StackRecord) -> None:
        """Insert a new stack; StackExists when the project has one of that name."""
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(STACKS).values(_row_values(record)))
        except db_exc.DBDuplicateEntry:
            raise exceptions.StackExists(stack_name=record.name)

    def get(self, stack_id: str) -> StackRecord:
        """The stack with this id, deleted or not; StackNotFound otherwise."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(STACKS).where(STACKS.c.id == stack_id)).first()
        if row is None:
            raise exceptions.StackNotFound(stack_name=stack_id)
        return StackRecord.from_row(row)

    def find(self, project_id: str, name_or_id: str, show_deleted: bool = False,
             id_first: bool = False) -> StackRecord:
        """A live stack of the project by name or id (by id also when
        deleted if ``show_deleted``); StackNotFound otherwise. ``id_first``:
        try the id before the name (one query when it is an id, as in a /v1
        path)."""
        query = sa.select(STACKS).where(STACKS.c.project_id == project_id)
        by_name = query.where(STACKS.c.name_key == name_or_id)
        by_id = query.where(STACKS.c.id == name_or_id)
        if not show_deleted:
            by_id = by_id.where(STACKS.c.deleted_at.is_(None))
        with self.engine.connect() as conn:
            row = None
            for attempt in ((by_id, by_name) if id_first else (by_name, by_id)):
                row = conn.execute(attempt).first()
                if row is not None:
                    break
        if row is None:
            raise exceptions.StackNotFound(stack_name=name_or_id)
        return StackRecord.from_row(row)

    def list(self, project_id: str | None, show_nested: bool = False,
             owner_id: str | None = None, show_deleted: bool = False,
             limit: int | None = None, filters: dict | None = None,
             marker: str | None = None, newest_first: bool = False) -> list[StackRecord]:
        """Stacks of a project (every project when None), oldest first unless
        ``newest_first``; top-level only unless ``show_nested``; or the
        children of ``owner_id``. ``filters``: name, action, status (each a
        value or a list; status also as ``CREATE_COMPLETE``); ``marker``: the
        id of the last stack of the previous page."""
        if newest_first:
            query = sa.select(STACKS).order_by(STACKS.c.created_at.desc(), STACKS.c.id.desc())
        else:
            query = sa.select(STACKS).order_by(STACKS.c.created_at, STACKS.c.id)
        query = self._filtered(query, filters or {})
        if marker is not None:
            query = self._after(query, marker, newest_first)
        if project_id is not None:
            query = query.where(STACKS.c.project_id == project_id)
        if owner_id is not None:
            query = query.where(STACKS.c.owner_id == owner_id)
        elif not show_nested:
            query = query.where(STACKS.c.owner_id.is_(None))
        if not show_deleted:
            query = query.where(STACKS.c.deleted_at.is_(None))
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [StackRecord.from_row(row) for row in conn.execute(query)]

    @staticmethod
    def _filtered(query: sa.Select, filters: dict) -> sa.Select:
        def values(key: str) -> list:
            value = filters.get(key)
            return [] if value is None else value if isinstance(value, list) else [value]

        if values('name'):
            query = query.where(STACKS.c.name.in_(values('name')))
        if values('action'):
            query = query.where(STACKS.c.action.in_(values('action')))
        statuses = values('status')
        if statuses:
            conditions = []
            for status in statuses:
                action, _, plain = str(status).rpartition('_')
                if action in states.ACTIONS and plain in ('COMPLETE', 'FAILED'):
                    conditions.append(sa.and_(STACKS.c.action == action,
                                              STACKS.c.status == plain))
                elif str(status).endswith('IN_PROGRESS') and str(status) != 'IN_PROGRESS':
                    conditions.append(sa.and_(
                        STACKS.c.action == str(status)[:-len('_IN_PROGRESS')],
                        STACKS.c.status == states.IN_PROGRESS))
                else:
                    conditions.append(STACKS.c.status == str(status))
            query = query.where(sa.or_(*conditions))
        return query

    def _after(self, query: sa.Select, marker: str, newest_first: bool) -> sa.Select:
        with self.engine.connect() as conn:
            seen = conn.execute(sa.select(STACKS.c.created_at, STACKS.c.id)
                                .where(STACKS.c.id == marker)).first()
        if seen is None:
            raise exceptions.Invalid(reason='marker %s is not a stack' % marker)
        if newest_first:
            return query.where(sa.or_(STACKS.c.created_at < seen.created_at, sa.and_(
                STACKS.c.created_at == seen.created_at, STACKS.c.id < seen.id)))
        return query.where(sa.or_(STACKS.c.created_at > seen.created_at, sa.and_(
            STACKS.c.created_at == seen.created_at, STACKS.c.id > seen.id)))

    def count(self, project_id: str) -> int:
        """Live top-level stacks of a project."""
        query = sa.select(sa.func.count()).select_from(STACKS).where(
            STACKS.c.project_id == project_id, STACKS.c.owner_id.is_(None),
            STACKS.c.deleted_at.is_(None))
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def update(self, stack_id: str, engine_id: str | None,
               event: events.EventRecord | None = None, release: bool = False,
               **values: Any) -> bool:
        """Write ``values`` if ``engine_id`` holds the stack's lock (None: only
        while nobody holds it), with ``event`` in the same transaction
        (``release``: and free the lock). Returns whether the row was written."""
        if release:
            values['engine_id'] = None
        for name in ('template', 'environment', 'files', 'parameters'):
            if name in values:
                values[name] = dumps(values[name])
        if values.get('deleted_at'):
            values['name_key'] = None
        values.setdefault('updated_at', now_ms())
        holder = (STACKS.c.engine_id.is_(None) if engine_id is None
                  else STACKS.c.engine_id == engine_id)
        return self._write(stack_id, holder, event, values)

    def claim(self, record: StackRecord, engine_id: str,
              event: events.EventRecord | None = None, **values: Any) -> bool:
        """Take the free lock of a live stack for ``engine_id`` and write
        ``values`` with ``event``, in one transaction (a delete's first
        write: one round trip where lock-then-write takes two), only while
        the row is still as ``record`` read it (its last write's time): the
        claimer then knows the stack without reading it again. Returns
        whether the row was written (False: held, deleted or changed);
        ``record`` then holds what was written."""
        values['engine_id'] = engine_id
        values.setdefault('updated_at', now_ms())
        unchanged = (STACKS.c.updated_at.is_(None) if record.updated_at is None
                     else STACKS.c.updated_at == record.updated_at)
        free = sa.and_(STACKS.c.engine_id.is_(None), STACKS.c.deleted_at.is_(None), unchanged)
        if not self._write(record.id, free, event, values):
            return False
        for name, value in values.items():
            setattr(record, name, value)
        return True

    def _write(self, stack_id: str, condition: Any, event: events.EventRecord | None,
               values: dict) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(sa.update(STACKS).where(STACKS.c.id == stack_id, condition)
                                .values(values))
            if done.rowcount != 1:
                return False
            if event is not None:
                events.insert(conn, event)
        return True

    def set_state(self, stack_id: str, engine_id: str | None, action: str, status: str,
                  reason: str, event: events.EventRecord | None = None) -> bool:
        """Move the stack to a new state (see :meth:`update`)."""
        return self.update(stack_id, engine_id, event, action=action, status=status,
                           status_reason=reason)

    def held_by(self, engine_ids: list[str]) -> list[StackRecord]:
        """Live stacks whose lock one of these engines holds."""
        if not engine_ids:
            return []
        query = sa.select(STACKS).where(STACKS.c.engine_id.in_(engine_ids))
        with self.engine.connect() as conn:
            return [StackRecord.from_row(row) for row in conn.execute(query)]

    def locked(self) -> list[StackRecord]:
        """Every stack whose lock someone holds."""
        query = sa.select(STACKS).where(STACKS.c.engine_id.is_not(None))
        with self.engine.connect() as conn:
            return [StackRecord.from_row(row) for row in conn.execute(query)]
