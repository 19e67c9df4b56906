"""Resources of stacks in the orchestration database."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa

from heat_watch.common import exceptions
from heat_watch.orchestration import states
from heat_watch.orchestration.storage import events, models
from heat_watch.orchestration.storage.util import dumps, loads, now_ms

RESOURCES = models.Resource.__table__
STACKS = models.Stack.__table__
_INSERT = sa.insert(RESOURCES)
_STATE_COLUMNS = ('action', 'status', 'status_reason', 'physical_id', 'data', 'properties',
                  'rsrc_metadata', 'updated_at')
# Every state change of every resource: one statement, compiled once.
_WRITE_STATE = (
    sa.update(RESOURCES)
    .where(RESOURCES.c.id == sa.bindparam('_id'),
           sa.exists().where(STACKS.c.id == sa.bindparam('_stack_id'),
                             STACKS.c.engine_id == sa.bindparam('_engine_id')))
    .values({name: sa.bindparam(name) for name in _STATE_COLUMNS}))
# A deleted resource's row goes with its last event, under the same check.
_REMOVE = (
    sa.delete(RESOURCES)
    .where(RESOURCES.c.id == sa.bindparam('_id'),
           sa.exists().where(STACKS.c.id == sa.bindparam('_stack_id'),
                             STACKS.c.engine_id == sa.bindparam('_engine_id'))))
_JSON = {'properties': {}, 'data': {}, 'rsrc_metadata': {}, 'requires': []}


@dataclasses.dataclass
class ResourceRecord:
    """A resource as stored (documents decoded)."""

    stack_id: str
    name: str
    type: str
    physical_id: str | None = None
    action: str = states.INIT
    status: str = states.COMPLETE
    status_reason: str = ''
    properties: dict = dataclasses.field(default_factory=dict)
    data: dict = dataclasses.field(default_factory=dict)
    rsrc_metadata: Any = dataclasses.field(default_factory=dict)
    requires: list = dataclasses.field(default_factory=list)
    created_at: int = 0
    updated_at: int | None = None
    id: int | None = None

    @property
    def state(self) -> str:
        return states.joined(self.action, self.status)

    @classmethod
    def from_row(cls, row: sa.Row) -> ResourceRecord:
        values = dict(row._mapping)
        for name, default in _JSON.items():
            values[name] = loads(values[name], default)
        return cls(**values)


_FIELDS = [f for f in dataclasses.fields(ResourceRecord) if f.name != 'id']


def _encode(values: dict) -> dict:
    for name in _JSON:
        if name in values:
            values[name] = dumps(values[name])
    return values


class ResourceStore:
    """Reads and writes resource rows."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def add(self, record: ResourceRecord) -> ResourceRecord:
        """Insert a resource row; returns it with its id."""
        return self.add_all([record])[0]

    def add_all(self, records: list[ResourceRecord]) -> list[ResourceRecord]:
        """Insert resource rows in one transaction; returns them with their ids."""
        with self.engine.begin() as conn:
            for record in records:
                record.created_at = record.created_at or now_ms()
                values = _encode({f.name: getattr(record, f.name) for f in _FIELDS})
                record.id = conn.execute(_INSERT, values).inserted_primary_key[0]
        return records

    def get(self, stack_id: str, name: str, stack_name: str | None = None) -> ResourceRecord:
        """One resource of a stack; ResourceNotFound otherwise."""
        query = sa.select(RESOURCES).where(RESOURCES.c.stack_id == stack_id,
                                           RESOURCES.c.name == name)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise exceptions.ResourceNotFound(resource_name=name,
                                              stack_name=stack_name or stack_id)
        return ResourceRecord.from_row(row)

    def list(self, stack_id: str) -> list[ResourceRecord]:
        """The resources of a stack, in the order they were added."""
        query = sa.select(RESOURCES).where(RESOURCES.c.stack_id == stack_id) \
            .order_by(RESOURCES.c.id)
        with self.engine.connect() as conn:
            return [ResourceRecord.from_row(row) for row in conn.execute(query)]

    def find_physical(self, physical_id: str) -> list[ResourceRecord]:
        """Resources with this physical id (any stack)."""
        query = sa.select(RESOURCES).where(RESOURCES.c.physical_id == physical_id)
        with self.engine.connect() as conn:
            return [ResourceRecord.from_row(row) for row in conn.execute(query)]

    def update(self, record_id: int, **values: Any) -> None:
        """Write some columns of one resource row."""
        values.setdefault('updated_at', now_ms())
        with self.engine.begin() as conn:
            conn.execute(sa.update(RESOURCES).where(RESOURCES.c.id == record_id)
                         .values(_encode(values)))

    def write_state(self, record: ResourceRecord, engine_id: str,
                    event: events.EventRecord, **stored: Any) -> bool:
        """Write a resource's state, physical id and documents (``stored``
        overrides some: their sealed forms) and record their event in one
        transaction, only while ``engine_id`` holds the stack's lock (one
        statement checks and writes). Returns whether it was written."""
        values = {name: getattr(record, name) for name in _STATE_COLUMNS
                  if name != 'updated_at'}
        values = _encode(dict(values, **stored))
        values.update(updated_at=now_ms(), _id=record.id, _stack_id=record.stack_id,
                      _engine_id=engine_id)
        with self.engine.begin() as conn:
            done = conn.execute(_WRITE_STATE, values)
            if done.rowcount != 1:
                return False
            events.insert(conn, event)
        return True

    def remove(self, record: ResourceRecord, engine_id: str,
               event: events.EventRecord | None) -> bool:
        """Remove a deleted resource's row and record its last event (if
        any: a resource never created has none) in one transaction, only
        while ``engine_id`` holds the stack's lock. Returns whether it was
        done."""
        with self.engine.begin() as conn:
            done = conn.execute(_REMOVE, {'_id': record.id, '_stack_id': record.stack_id,
                                          '_engine_id': engine_id})
            if done.rowcount != 1:
                return False
            if event is not None:
                events.insert(conn, event)
        return True
