"""Signals sent to resources (wait conditions, scaling-policy webhooks),
kept until the resource handles them."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa

from heat_watch.orchestration.storage import models
from heat_watch.orchestration.storage.util import dumps, loads, now_ms

SIGNALS = models.ResourceSignal.__table__


@dataclasses.dataclass
class SignalRecord:
    """One signal as received."""

    id: int
    stack_id: str
    resource_name: str
    data: Any
    created_at: int
    handled_at: int | None


class SignalStore:
    """Appends signals and hands the unhandled ones to their resource."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def add(self, stack_id: str, resource_name: str, data: Any) -> int:
        """Keep a signal; returns its id."""
        with self.engine.begin() as conn:
            return conn.execute(sa.insert(SIGNALS).values(
                stack_id=stack_id, resource_name=resource_name, data=dumps(data),
                created_at=now_ms())).inserted_primary_key[0]

    def pending(self, stack_id: str, resource_name: str) -> list[SignalRecord]:
        """The resource's signals not handled yet, oldest first."""
        query = sa.select(SIGNALS).where(
            SIGNALS.c.stack_id == stack_id, SIGNALS.c.resource_name == resource_name,
            SIGNALS.c.handled_at.is_(None)).order_by(SIGNALS.c.id)
        with self.engine.connect() as conn:
            return [SignalRecord(**dict(row._mapping, data=loads(row.data)))
                    for row in conn.execute(query)]

    def mark_handled(self, signal_ids: list[int]) -> None:
        """Record that these signals were handled."""
        if signal_ids:
            with self.engine.begin() as conn:
                conn.execute(sa.update(SIGNALS).where(SIGNALS.c.id.in_(signal_ids))
                             .values(handled_at=now_ms()))
