"""Alarms and alarm history in the watch database.

A state change is a compare-and-set on the alarm's ``version`` and writes its
history item in the same transaction, so that when several engines evaluate
the same alarm, exactly one records the transition and runs its actions.
"""

import datetime
import json
from typing import NamedTuple

import sqlalchemy as sa
from oslo_db import exception as db_exc

from heat_watch.common import alarms as hw_alarms
from heat_watch.common import exceptions, ids
from heat_watch.watch import model
from heat_watch.watch.storage import models, records
from heat_watch.watch.storage.metrics import now_ms

ALARMS = models.Alarm.__table__
HISTORY = models.AlarmHistory.__table__
OUTBOX = models.ActionOutbox.__table__
METRIC = records.METRIC
COMPOSITE = records.COMPOSITE
INITIAL_REASON = 'Unchecked: Initial alarm creation'
_CAS_COLUMNS = ('state', 'state_reason', 'state_reason_data', 'state_updated_at',
                'state_transitioned_at', 'actions_run_at', 'version')
# One statement for every transition: compiled once, cached by SQLAlchemy.
_CAS_UPDATE = (sa.update(ALARMS)
               .where(ALARMS.c.id == sa.bindparam('_id'),
                      ALARMS.c.version == sa.bindparam('_version'))
               .values({c: sa.bindparam(c) for c in _CAS_COLUMNS}))


class _SomeLost(Exception):
    """A batch compare-and-set found an alarm changed by another writer."""


class Transition(NamedTuple):
    """A state change to record: the alarm as read, and where it goes."""

    alarm: dict
    state: str
    reason: str
    reason_data: str | None
    run_actions: bool
    # The URLs to run (recorded in the outbox with the transition).
    actions: tuple[str, ...] = ()

    def values(self, stamp: int) -> dict:
        """The alarm columns this change writes (every CAS column, so one
        compiled UPDATE serves all; unchanged ones keep their value)."""
        alarm = self.alarm
        moved = self.state != alarm['state']
        return {'state': self.state, 'state_reason': self.reason,
                'state_reason_data': self.reason_data, 'state_updated_at': stamp,
                'state_transitioned_at': stamp if moved else alarm['state_transitioned_at'],
                'actions_run_at': stamp if self.run_actions else alarm['actions_run_at'],
                'version': alarm['version'] + 1}

    def history_item(self, stamp: int) -> dict:
        """Its StateUpdate history row."""
        alarm = self.alarm
        data = {'version': '1.0',
                'oldState': {'stateValue': alarm['state'],
                             'stateReason': alarm['state_reason']},
                'newState': {'stateValue': self.state, 'stateReason': self.reason}}
        if self.reason_data:
            data['newState']['stateReasonData'] = json.loads(self.reason_data)
        summary = 'Alarm updated from %s to %s' % (alarm['state'], self.state)
        return history_item(alarm, 'StateUpdate', summary, data, stamp)


def record(row: sa.Row) -> dict:
    """An alarm row as a dict, its definition decoded."""
    alarm = dict(row._mapping)
    alarm['definition'] = json.loads(alarm['definition'])
    return alarm


def history_item(alarm: dict, item_type: str, summary: str, data: dict,
                 stamp: int | None = None) -> dict:
    """A row of alarm history."""
    return {'alarm_id': alarm['id'], 'project_id': alarm['project_id'],
            'alarm_name': alarm['name'], 'alarm_type': alarm['alarm_type'],
            'timestamp': stamp or now_ms(), 'item_type': item_type,
            'summary': summary[:255], 'data': json.dumps(data)}


def _when(stamp_ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(stamp_ms / 1000, datetime.UTC)


def outbox_rows(engine_host: str, alarm: dict, previous: str, actions, stamp: int) -> list[dict]:
    """Outbox rows running ``actions`` for ``alarm`` (as updated) that left ``previous``."""
    reason_data = json.loads(alarm['state_reason_data']) if alarm['state_reason_data'] \
        else {}
    when = _when(alarm['state_updated_at'])
    severity = alarm['definition'].get('Severity') or hw_alarms.DEFAULT_SEVERITY
    return [{'engine': engine_host, 'alarm_id': alarm['id'], 'project_id': alarm['project_id'],
             'created_at': stamp, 'payload': json.dumps(hw_alarms.action_payload(
                 action=action, alarm_id=alarm['id'], alarm_name=alarm['name'],
                 project_id=alarm['project_id'], previous=previous, current=alarm['state'],
                 reason=alarm['state_reason'], reason_data=reason_data, severity=severity,
                 timestamp=when))} for action in actions]


class AlarmStore:
    """Reads and writes alarms, their history and their outbox of actions."""

    def __init__(self, engine: sa.Engine, host: str = 'localhost'):
        self.engine = engine
        # Names this engine's rows of the action outbox.
        self.host = host

    # -- configuration -------------------------------------------------------

    def put(self, project_id: str, alarm_type: str, definition: dict,
            metric_key: str | None) -> tuple[dict, bool]:
        """Create or replace an alarm by name; returns (alarm, created).

        Replacing keeps the state, as AWS does; both write a
        ConfigurationUpdate history item.
        """
        try:
            return self._put(project_id, alarm_type, definition, metric_key)
        except db_exc.DBDuplicateEntry:
            # Created concurrently by another request: now it is an update.
            return self._put(project_id, alarm_type, definition, metric_key)

    def _put(self, project_id, alarm_type, definition, metric_key) -> tuple[dict, bool]:
        name = definition['AlarmName']
        stamp = now_ms()
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(ALARMS).where(
                ALARMS.c.project_id == project_id, ALARMS.c.name == name)).first()
            values = {'definition': json.dumps(definition), 'metric_key': metric_key,
                      'actions_enabled': definition.get('ActionsEnabled', True),
                      'configuration_updated_at': stamp, 'alarm_type': alarm_type}
            if row is None:
                alarm = dict(values, id=ids.time_ordered_uuid(), project_id=project_id, name=name,
                             state=hw_alarms.INSUFFICIENT_DATA, state_reason=INITIAL_REASON,
                             state_reason_data=None, state_updated_at=stamp,
                             state_transitioned_at=stamp, actions_run_at=None, version=1)
                conn.execute(sa.insert(ALARMS).values(**alarm))
                summary, data = 'Alarm "%s" created' % name, {
                    'version': '1.0', 'type': 'Create', 'createdAlarm': definition}
            else:
                alarm = dict(row._mapping, **values)
                alarm['version'] = row.version + 1
                conn.execute(sa.update(ALARMS).where(ALARMS.c.id == row.id).values(
                    version=alarm['version'], **values))
                summary, data = 'Alarm "%s" updated' % name, {
                    'version': '1.0', 'type': 'Update', 'updatedAlarm': definition,
                    'originalAlarm': json.loads(row.definition)}
            alarm['definition'] = definition
            conn.execute(sa.insert(HISTORY).values(
                **history_item(alarm, 'ConfigurationUpdate', summary, data, stamp)))
        return alarm, row is None

    def update(self, project_id: str, alarm_id: str, alarm_type: str, definition: dict,
               metric_key: str | None) -> dict:
        """Replace the definition of one alarm by id (its name may change; the
        state stays); a ConfigurationUpdate history item records it."""
        stamp = now_ms()
        name = definition['AlarmName']
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(ALARMS).where(
                ALARMS.c.project_id == project_id, ALARMS.c.id == alarm_id)).first()
            if row is None:
                raise exceptions.AlarmNotFound(name=alarm_id)
            if name != row.name and conn.execute(sa.select(ALARMS.c.id).where(
                    ALARMS.c.project_id == project_id, ALARMS.c.name == name)).first():
                raise exceptions.Conflict(reason='an alarm named %s exists already' % name)
            values = {'definition': json.dumps(definition), 'metric_key': metric_key,
                      'actions_enabled': definition.get('ActionsEnabled', True),
                      'configuration_updated_at': stamp, 'alarm_type': alarm_type,
                      'name': name, 'version': row.version + 1}
            conn.execute(sa.update(ALARMS).where(ALARMS.c.id == alarm_id).values(**values))
            alarm = dict(row._mapping, **values)
            alarm['definition'] = definition
            conn.execute(sa.insert(HISTORY).values(**history_item(
                alarm, 'ConfigurationUpdate', 'Alarm "%s" updated' % name,
                {'version': '1.0', 'type': 'Update', 'updatedAlarm': definition,
                 'originalAlarm': json.loads(row.definition)}, stamp)))
        return alarm

    def delete_ids(self, project_id: str, alarm_ids: list[str]) -> None:
        """Delete alarms by id; if one is unknown (in this project), none is deleted."""
        with self.engine.begin() as conn:
            rows = list(conn.execute(sa.select(ALARMS.c.name).where(
                ALARMS.c.project_id == project_id, ALARMS.c.id.in_(alarm_ids))))
            if len(rows) != len(set(alarm_ids)):
                found = {r.id for r in conn.execute(sa.select(ALARMS.c.id).where(
                    ALARMS.c.id.in_(alarm_ids), ALARMS.c.project_id == project_id))}
                raise exceptions.AlarmNotFound(
                    name=', '.join(sorted(set(alarm_ids) - found)))
        self.delete(project_id, [r.name for r in rows])

    def delete(self, project_id: str, names: list[str]) -> None:
        """Delete alarms; if one name is unknown, none is deleted."""
        with self.engine.begin() as conn:
            rows = list(conn.execute(sa.select(ALARMS).where(
                ALARMS.c.project_id == project_id, ALARMS.c.name.in_(names))))
            missing = set(names) - {r.name for r in rows}
            if missing:
                raise exceptions.AlarmNotFound(name=', '.join(sorted(missing)))
            conn.execute(sa.delete(ALARMS).where(ALARMS.c.id.in_([r.id for r in rows])))
            conn.execute(sa.insert(HISTORY), [history_item(
                record(r), 'ConfigurationUpdate', 'Alarm "%s" deleted' % r.name,
                {'version': '1.0', 'type': 'Delete'}) for r in rows])

    def set_actions_enabled(self, project_id: str, names: list[str], enabled: bool) -> None:
        """Enable or disable the actions of named alarms (unknown names are
        ignored, as AWS does)."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(ALARMS).where(
                ALARMS.c.project_id == project_id, ALARMS.c.name.in_(names)).values(
                actions_enabled=enabled, version=ALARMS.c.version + 1))

    # -- reads -----------------------------------------------------------------

    def get(self, project_id: str, name: str) -> dict:
        """One alarm by name, or AlarmNotFound."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(ALARMS).where(
                ALARMS.c.project_id == project_id, ALARMS.c.name == name)).first()
        if row is None:
            raise exceptions.AlarmNotFound(name=name)
        return record(row)

    def get_by_id(self, alarm_id: str) -> dict | None:
        """One alarm by id, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(ALARMS).where(ALARMS.c.id == alarm_id)).first()
        return record(row) if row else None

    def find(self, project_id: str, *, names: list[str] | None = None,
             prefix: str | None = None, state: str | None = None,
             types: tuple[str, ...] = (METRIC,), after_name: str | None = None,
             limit: int | None = None) -> list[dict]:
        """Alarms of a project ordered by name, filtered."""
        query = sa.select(ALARMS).where(ALARMS.c.project_id == project_id,
                                        ALARMS.c.alarm_type.in_(types))
        if names is not None:
            query = query.where(ALARMS.c.name.in_(names))
        if prefix:
            query = query.where(ALARMS.c.name.startswith(prefix, autoescape=True))
        if state:
            query = query.where(ALARMS.c.state == state)
        if after_name is not None:
            query = query.where(ALARMS.c.name > after_name)
        query = query.order_by(ALARMS.c.name)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [record(r) for r in conn.execute(query)]

    def listing(self, project_id: str, filters: model.AlarmFilter, *, sort_key: str,
                descending: bool, marker: str | None, limit: int) -> list[dict]:
        """Alarms of a project matching the filters held in columns, in
        (sort_key, id) order after the alarm ``marker`` (an id)."""
        column = ALARMS.c[sort_key]
        query = sa.select(ALARMS).where(ALARMS.c.project_id == project_id)
        if filters.name is not None:
            query = query.where(ALARMS.c.name == filters.name)
        if filters.names is not None:
            query = query.where(ALARMS.c.name.in_(filters.names))
        if filters.name_prefix:
            query = query.where(ALARMS.c.name.startswith(filters.name_prefix, autoescape=True))
        if filters.state is not None:
            query = query.where(ALARMS.c.state == filters.state)
        if filters.type is not None:
            query = query.where(ALARMS.c.alarm_type == records.STORED_TYPES[filters.type])
        if filters.enabled is not None:
            query = query.where(ALARMS.c.actions_enabled == filters.enabled)
        with self.engine.connect() as conn:
            if marker is not None:
                after = conn.execute(sa.select(column).where(
                    ALARMS.c.project_id == project_id, ALARMS.c.id == marker)).first()
                if after is None:
                    raise exceptions.InvalidNextToken()
                position = sa.tuple_(column, ALARMS.c.id)
                bound = sa.tuple_(sa.literal(after[0]), sa.literal(marker))
                query = query.where(position < bound if descending else position > bound)
            order = (column.desc(), ALARMS.c.id.desc()) if descending else (column, ALARMS.c.id)
            return [record(r) for r in conn.execute(query.order_by(*order).limit(limit))]

    def for_metric_keys(self, keys) -> list[dict]:
        """Metric alarms watching any of these metrics (the fast path)."""
        alarms = []
        keys = list(keys)
        with self.engine.connect() as conn:
            for i in range(0, len(keys), 500):
                alarms.extend(record(r) for r in conn.execute(sa.select(ALARMS).where(
                    ALARMS.c.metric_key.in_(keys[i:i + 500]))))
        return alarms

    def composites_of(self, project_ids: list[str]) -> list[dict]:
        """Composite alarms of these projects (parents of changed alarms)."""
        alarms = []
        with self.engine.connect() as conn:
            for i in range(0, len(project_ids), 500):
                alarms.extend(record(r) for r in conn.execute(sa.select(ALARMS).where(
                    ALARMS.c.alarm_type == COMPOSITE,
                    ALARMS.c.project_id.in_(project_ids[i:i + 500]))))
        return alarms

    def page(self, alarm_type: str, after_id: str, limit: int) -> list[dict]:
        """Alarms of one type in id order after ``after_id`` (the sweep)."""
        query = (sa.select(ALARMS).where(ALARMS.c.alarm_type == alarm_type,
                                         ALARMS.c.id > after_id)
                 .order_by(ALARMS.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [record(r) for r in conn.execute(query)]

    def states(self, project_id: str, names) -> dict[str, str]:
        """Current state of named alarms of a project."""
        with self.engine.connect() as conn:
            return {r.name: r.state for r in conn.execute(
                sa.select(ALARMS.c.name, ALARMS.c.state).where(
                    ALARMS.c.project_id == project_id, ALARMS.c.name.in_(list(names))))}

    # -- state -----------------------------------------------------------------

    def transition(self, alarm: dict, state: str, reason: str, reason_data: str | None,
                   run_actions: bool) -> dict | None:
        """Move an alarm to ``state`` unless another writer changed it first.

        Returns the updated alarm, or None when the compare-and-set lost.
        """
        return self.transitions([Transition(alarm, state, reason, reason_data, run_actions)])[0]

    def transitions(self, changes: list[Transition]) -> list[dict | None]:
        """Record several transitions in one transaction (a sweep's batch).

        Each is a compare-and-set on its alarm's version; the result lists,
        in order, the updated alarm or None where another writer won.
        """
        stamp = now_ms()
        values = [c.values(stamp) for c in changes]
        params = [dict(v, _id=c.alarm['id'], _version=c.alarm['version'])
                  for c, v in zip(changes, values, strict=True)]
        if len(changes) > 1 and self.engine.dialect.supports_sane_multi_rowcount:
            try:
                return self._record(changes, values, params, stamp, all_at_once=True)
            except _SomeLost:
                pass  # Rolled back: another writer moved one of them first.
        return self._record(changes, values, params, stamp, all_at_once=False)

    def _record(self, changes: list[Transition], values: list[dict], params: list[dict],
                stamp: int, all_at_once: bool) -> list[dict | None]:
        """The CAS updates (one executemany when ``all_at_once``, which
        raises _SomeLost if any lost) and the winners' history rows."""
        with self.engine.begin() as conn:
            if all_at_once:
                if conn.execute(_CAS_UPDATE, params).rowcount != len(params):
                    raise _SomeLost()
                won = [True] * len(params)
            else:
                won = [conn.execute(_CAS_UPDATE, p).rowcount == 1 for p in params]
            history = [c.history_item(stamp) for c, ok in zip(changes, won, strict=True) if ok]
            if history:
                conn.execute(sa.insert(HISTORY), history)
            updated = [dict(c.alarm, **v) if ok else None
                       for c, v, ok in zip(changes, values, won, strict=True)]
            actions = [row for c, alarm in zip(changes, updated, strict=True)
                       if alarm is not None and c.run_actions and c.actions
                       for row in outbox_rows(self.host, alarm, c.alarm['state'], c.actions,
                                              stamp)]
            if actions:
                conn.execute(sa.insert(OUTBOX), actions)
        return updated

    def mark_actions_run(self, alarm: dict, actions=()) -> bool:
        """Claim a repeat of the current state's actions (compare-and-set)
        and record them in the outbox, in the same transaction."""
        stamp = now_ms()
        with self.engine.begin() as conn:
            won = bool(conn.execute(sa.update(ALARMS).where(
                ALARMS.c.id == alarm['id'], ALARMS.c.version == alarm['version'])
                .values(actions_run_at=stamp, version=alarm['version'] + 1)).rowcount)
            if won and actions:
                conn.execute(sa.insert(OUTBOX), outbox_rows(
                    self.host, alarm, alarm['state'], actions, stamp))
        return won

    # -- the action outbox -----------------------------------------------------

    def pending_actions(self, limit: int) -> list[sa.Row]:
        """This engine's unpublished actions, oldest first."""
        query = (sa.select(OUTBOX.c.id, OUTBOX.c.alarm_id, OUTBOX.c.project_id,
                           OUTBOX.c.payload)
                 .where(OUTBOX.c.engine == self.host).order_by(OUTBOX.c.id).limit(limit))
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def delete_actions(self, ids: list[int]) -> None:
        """Forget published actions."""
        if ids:
            with self.engine.begin() as conn:
                conn.execute(sa.delete(OUTBOX).where(OUTBOX.c.id.in_(ids)))

    # -- history ---------------------------------------------------------------

    def add_history(self, items: list[dict]) -> None:
        """Append history items (built with :func:`history_item`)."""
        if items:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(HISTORY), items)

    def history(self, project_id: str, *, name: str | None, types: tuple[str, ...],
                item_type: str | None, start: int | None, end: int | None,
                ascending: bool, after_id: int | None, limit: int,
                alarm_id: str | None = None) -> list[sa.Row]:
        """History items of a project, newest first unless ``ascending``."""
        query = sa.select(HISTORY).where(HISTORY.c.project_id == project_id,
                                         HISTORY.c.alarm_type.in_(types))
        if name:
            query = query.where(HISTORY.c.alarm_name == name)
        if alarm_id:
            query = query.where(HISTORY.c.alarm_id == alarm_id)
        if item_type:
            query = query.where(HISTORY.c.item_type == item_type)
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
            return list(conn.execute(query.limit(limit)))

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


def metric_ids(engine: sa.Engine, keys: list[str]) -> dict[str, int]:
    """metric_key -> metric id for the metrics that exist."""
    metrics = models.Metric.__table__
    found = {}
    with engine.connect() as conn:
        for i in range(0, len(keys), 500):
            for row in conn.execute(sa.select(metrics.c.metric_key, metrics.c.id).where(
                    metrics.c.metric_key.in_(keys[i:i + 500]))):
                found[row.metric_key] = row.id
    return found
