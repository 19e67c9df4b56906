"""The durable outbox of alarm actions in the watch database.

Rows are written in the transaction of the transition (or repeat) that runs
them and deleted once published (:mod:`heat_watch.watch.outbox`).
"""

import datetime
from collections.abc import Callable

import sqlalchemy as sa

from heat_watch.common import alarms as hw_alarms
from heat_watch.watch.storage import alarm_history, models

OUTBOX = models.ActionOutbox.__table__


def _when(stamp_ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(stamp_ms / 1000, datetime.UTC)


def outbox_rows(engine_host: str, alarm: dict, previous: str, actions, stamp: int) -> list[dict]:
    """Outbox rows running ``actions`` for ``alarm`` (as updated) that left ``previous``."""
    when = _when(alarm['state_updated_at'])
    rows = []
    for action in actions:
        payload = hw_alarms.action_payload(
            action=action, alarm_id=alarm['id'], alarm_name=alarm['name'],
            project_id=alarm['project_id'], previous=previous, current=alarm['state'],
            reason=alarm['state_reason'], reason_data=None, severity=alarm['severity'],
            timestamp=when)
        del payload['reason_data']  # spliced in as the JSON text it is
        rows.append({'engine': engine_host, 'alarm_id': alarm['id'],
                     'project_id': alarm['project_id'], 'created_at': stamp,
                     'payload': alarm_history.with_json(
                         payload, reason_data=alarm['state_reason_data'] or '{}')})
    return rows


class OutboxMixin:
    """Outbox reads and deletes of :class:`heat_watch.watch.storage.alarms.AlarmStore`."""

    engine: sa.Engine
    host: str
    on_actions: Callable[[list], None] | None

    def insert_actions(self, conn: sa.Connection, rows: list[dict]) -> list:
        """Insert outbox rows in ``conn``'s transaction; returns them as
        (id, project_id, payload) rows where the database tells the ids of
        a multi-row insert (SQLite, PostgreSQL, MariaDB 10.5+), else []."""
        if not rows:
            return []
        if not self.engine.dialect.insert_executemany_returning:
            conn.execute(sa.insert(OUTBOX), rows)
            return []
        return list(conn.execute(
            sa.insert(OUTBOX).returning(OUTBOX.c.id, OUTBOX.c.project_id, OUTBOX.c.payload,
                                        sort_by_parameter_order=True), rows))

    def hand_actions(self, rows: list) -> None:
        """After the commit: hand the rows to the sender (saves it reading them)."""
        if rows and self.on_actions is not None:
            self.on_actions(rows)

    def pending_actions(self, limit: int) -> list[sa.Row]:
        """This engine's unpublished actions, oldest first."""
        query = (sa.select(OUTBOX.c.id, OUTBOX.c.alarm_id, OUTBOX.c.project_id,
                           OUTBOX.c.payload)
                 .where(OUTBOX.c.engine == self.host).order_by(OUTBOX.c.id).limit(limit))
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def orphaned_actions(self, live_hosts: set[str], before_ms: int, limit: int,
                         after_id: int = 0) -> list[sa.Row]:
        """Unpublished actions that engines other than ``live_hosts``
        recorded before ``before_ms``, oldest first from ``after_id`` on."""
        query = (sa.select(OUTBOX.c.id, OUTBOX.c.alarm_id, OUTBOX.c.project_id,
                           OUTBOX.c.payload)
                 .where(OUTBOX.c.engine.not_in(sorted(live_hosts | {self.host})),
                        OUTBOX.c.created_at < before_ms, OUTBOX.c.id > after_id)
                 .order_by(OUTBOX.c.id).limit(limit))
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def delete_actions(self, ids: list[int]) -> None:
        """Forget published actions."""
        if ids:
            with self.engine.begin() as conn:
                conn.execute(sa.delete(OUTBOX).where(OUTBOX.c.id.in_(ids)))
