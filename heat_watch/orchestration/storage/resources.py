"""Resources of stacks in the orchestration database."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa

from heat_watch.common import exceptions
from heat_watch.orchestration import states
from heat_watch.orchestration.storage import models
from heat_watch.orchestration.storage.util import dumps, loads, now_ms

RESOURCES = models.Resource.__table__
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
        record.created_at = record.created_at or now_ms()
        values = _encode(dataclasses.asdict(record))
        values.pop('id')
        with self.engine.begin() as conn:
            record.id = conn.execute(sa.insert(RESOURCES).values(values)).inserted_primary_key[0]
        return record

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

    def delete(self, record_id: int) -> None:
        """Remove a resource row (the resource is gone from its stack)."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(RESOURCES).where(RESOURCES.c.id == record_id))
