"""Alarm history in the watch database: one row per configuration change,
state transition or action outcome, kept for ``alarm_history_ttl``."""

import json

import sqlalchemy as sa

from heat_watch.watch.storage import models
from heat_watch.watch.storage.metrics import now_ms

HISTORY = models.AlarmHistory.__table__
# The columns history(narrow=True) reads, in this order: those of
# rows.HISTORY_COLUMNS, but item_type in place of the type it tells.
NARROW_COLUMNS = ('id', 'alarm_id', 'alarm_name', 'alarm_type', 'project_id', 'timestamp',
                  'item_type', 'data')
_NARROW = sa.select(*(HISTORY.c[c] for c in NARROW_COLUMNS))


def history_item(alarm: dict, item_type: str, summary: str, data: dict | str,
                 stamp: int | None = None) -> dict:
    """A row of alarm history (``data``: its detail, or the detail's JSON)."""
    return {'alarm_id': alarm['id'], 'project_id': alarm['project_id'],
            'alarm_name': alarm['name'], 'alarm_type': alarm['alarm_type'],
            'timestamp': stamp or now_ms(), 'item_type': item_type,
            'summary': summary[:255], 'data': data if isinstance(data, str) else json.dumps(data)}


def with_json(data: dict, **raw: str | None) -> str:
    """``data`` as JSON with members whose values are JSON texts already
    (None: null), spliced in rather than parsed and encoded again: a mass
    transition writes ten thousand history items, and decoding and
    re-encoding their reason data was a tenth of its cost."""
    text = json.dumps(data)
    members = ''.join(', %s: %s' % (json.dumps(key), value or 'null')
                      for key, value in raw.items())
    return text[:-1] + members + '}' if data else '{' + members[2:] + '}'


class HistoryMixin:
    """History reads and writes of :class:`heat_watch.watch.storage.alarms.AlarmStore`."""

    engine: sa.Engine

    def add_history(self, items: list[dict]) -> None:
        """Append history items (built with :func:`history_item`)."""
        if items:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(HISTORY), items)

    def history(self, project_id: str | None, *, name: str | None, types: tuple[str, ...],
                item_type: str | tuple[str, ...] | None, start: int | None, end: int | None,
                ascending: bool, after_id: int | None, limit: int,
                alarm_id: str | None = None, narrow: bool = False) -> list[sa.Row]:
        """History items of a project (None: of every project), of the stored
        ``item_type`` (or types) given, newest first unless ``ascending``;
        with ``narrow``, only NARROW_COLUMNS, in their order (read by
        position: a 1,000-row page spent more time reading rows' attributes
        by name than SQLite spent finding them)."""
        query = (_NARROW if narrow else sa.select(HISTORY)).where(
            HISTORY.c.alarm_type.in_(types))
        if project_id is not None:
            query = query.where(HISTORY.c.project_id == project_id)
        if name:
            query = query.where(HISTORY.c.alarm_name == name)
        if alarm_id:
            query = query.where(HISTORY.c.alarm_id == alarm_id)
        if isinstance(item_type, str):
            query = query.where(HISTORY.c.item_type == item_type)
        elif item_type:
            query = query.where(HISTORY.c.item_type.in_(item_type))
        if start is not None:
            query = query.where(HISTORY.c.timestamp >= start)
        if end is not None:
            query = query.where(HISTORY.c.timestamp <= end)
        if ascending:
            if after_id is not None:
                query = query.where(HISTORY.c.id > after_id)
            query = query.order_by(HISTORY.c.timestamp, HISTORY.c.id)
        else:
            if after_id is not None:
                query = query.where(HISTORY.c.id < after_id)
            query = query.order_by(HISTORY.c.timestamp.desc(), HISTORY.c.id.desc())
        with self.engine.connect() as conn:
            return conn.execute(query.limit(limit)).all()

    def expire_history(self, before_ms: int, batch: int = 10_000) -> int:
        """Delete history items older than ``before_ms``, in batches."""
        total = 0
        while True:
            with self.engine.begin() as conn:
                ids = [r.id for r in conn.execute(sa.select(HISTORY.c.id).where(
                    HISTORY.c.timestamp < before_ms).limit(batch))]
                if not ids:
                    return total
                conn.execute(sa.delete(HISTORY).where(HISTORY.c.id.in_(ids)))
            total += len(ids)
