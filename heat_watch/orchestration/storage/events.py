"""Events: every state change of a stack or resource, in order."""

from __future__ import annotations

import dataclasses
import uuid

import sqlalchemy as sa

from heat_watch.orchestration.storage import models
from heat_watch.orchestration.storage.util import dumps, loads, now_ms

EVENTS = models.Event.__table__
_INSERT = sa.insert(EVENTS)


@dataclasses.dataclass
class EventRecord:
    """One recorded state change."""

    stack_id: str
    resource_name: str
    resource_type: str
    physical_id: str | None
    action: str
    status: str
    reason: str
    properties: dict | None = None
    uuid: str = ''
    created_at: int = 0
    id: int | None = None

    @classmethod
    def from_row(cls, row: sa.Row) -> EventRecord:
        values = dict(row._mapping)
        values['properties'] = loads(values['properties'])
        return cls(**values)


def insert(conn: sa.Connection, event: EventRecord) -> EventRecord:
    """Insert an event within the caller's transaction (with the state
    change it records)."""
    event.uuid = event.uuid or str(uuid.uuid4())
    event.created_at = event.created_at or now_ms()
    # Shallow (asdict would deep-copy the properties snapshot).
    values = {f.name: getattr(event, f.name) for f in _FIELDS}
    values['properties'] = None if event.properties is None else dumps(event.properties)
    # Values as parameters: one compiled statement serves every event.
    event.id = conn.execute(_INSERT, values).inserted_primary_key[0]
    return event


_FIELDS = [f for f in dataclasses.fields(EventRecord) if f.name != 'id']


class EventStore:
    """Appends and reads events."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def add(self, event: EventRecord) -> EventRecord:
        """Record one event (its uuid and time filled in)."""
        with self.engine.begin() as conn:
            return insert(conn, event)

    def trim(self, stack_id: str, keep: int) -> int:
        """Delete a stack's oldest events beyond the newest ``keep``;
        returns how many went."""
        with self.engine.begin() as conn:
            # Two statements: MySQL refuses a subquery on the table a DELETE writes.
            oldest_kept = conn.execute(
                sa.select(EVENTS.c.id).where(EVENTS.c.stack_id == stack_id)
                .order_by(EVENTS.c.id.desc()).limit(1).offset(keep - 1)).scalar()
            if oldest_kept is None:
                return 0
            return conn.execute(sa.delete(EVENTS).where(
                EVENTS.c.stack_id == stack_id, EVENTS.c.id < oldest_kept)).rowcount

    def get(self, stack_id: str, event_uuid: str,
            resource_name: str | None = None) -> EventRecord | None:
        """One event of a stack by its uuid (of that resource when named),
        or None."""
        query = sa.select(EVENTS).where(EVENTS.c.uuid == event_uuid,
                                        EVENTS.c.stack_id == stack_id)
        if resource_name is not None:
            query = query.where(EVENTS.c.resource_name == resource_name)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else EventRecord.from_row(row)

    def list(self, stack_id: str | list[str], resource_name: str | None = None,
             marker: str | None = None, limit: int | None = None,
             newest_first: bool = False) -> list[EventRecord]:
        """Events of a stack or of several (of one resource when named),
        oldest first unless ``newest_first``; ``marker`` is the uuid of the
        last one already seen."""
        stack_ids = [stack_id] if isinstance(stack_id, str) else stack_id
        query = sa.select(EVENTS).where(EVENTS.c.stack_id.in_(stack_ids))
        if resource_name is not None:
            query = query.where(EVENTS.c.resource_name == resource_name)
        with self.engine.connect() as conn:
            if marker:
                seen = conn.execute(sa.select(EVENTS.c.id).where(EVENTS.c.uuid == marker)).scalar()
                if seen is not None:
                    query = query.where(EVENTS.c.id < seen if newest_first
                                        else EVENTS.c.id > seen)
            query = query.order_by(EVENTS.c.id.desc() if newest_first else EVENTS.c.id)
            if limit:
                query = query.limit(limit)
            return [EventRecord.from_row(row) for row in conn.execute(query)]
