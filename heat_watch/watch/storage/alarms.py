"""Alarms, their states, history and action outbox in the watch database.

A definition lives in the typed columns of ``alarms``, its changing state in
the narrow ``alarm_states`` row. A state change is a compare-and-set on that
row's ``version`` and writes its history item (and its actions, into the
outbox) in the same transaction, so that when several engines evaluate the
same alarm, exactly one records the transition and runs its actions.
Reads return flat dicts: the definition's columns and the state's.
"""

import json
from typing import NamedTuple

import orjson
import sqlalchemy as sa
from oslo_db import exception as db_exc

from heat_watch.common import alarms as hw_alarms
from heat_watch.common import exceptions, ids
from heat_watch.watch import model, rows
from heat_watch.watch.storage import action_outbox, alarm_history, models, records
from heat_watch.watch.storage import metrics as metric_storage
from heat_watch.watch.storage.metrics import now_ms

ALARMS = models.Alarm.__table__
STATES = models.AlarmState.__table__
HISTORY = alarm_history.HISTORY
OUTBOX = action_outbox.OUTBOX
history_item = alarm_history.history_item
METRIC = records.METRIC
COMPOSITE = records.COMPOSITE
INITIAL_STATE = hw_alarms.INSUFFICIENT_DATA
INITIAL_REASON = 'Created; not evaluated yet.'
INITIAL_REASON_DATA = json.dumps({'kind': 'created'})
_CAS_COLUMNS = ('state', 'state_reason', 'state_reason_data', 'state_updated_at',
                'state_transitioned_at', 'actions_run_at', 'version')
# One statement for every transition: compiled once, cached by SQLAlchemy.
_CAS_UPDATE = (sa.update(STATES)
               .where(STATES.c.alarm_id == sa.bindparam('_id'),
                      STATES.c.version == sa.bindparam('_version'))
               .values({c: sa.bindparam(c) for c in _CAS_COLUMNS}))
# An alarm as reads return it: its definition's columns and its state's.
_SELECT = (sa.select(ALARMS, *(STATES.c[c] for c in _CAS_COLUMNS))
           .join(STATES, STATES.c.alarm_id == ALARMS.c.id))

# An alarm as listing_rows returns it: the columns of rows.ALARM_COLUMNS, in order.
_ROW_SOURCES = {'type': ALARMS.c.alarm_type, 'expression': ALARMS.c.rule,
                'updated_at': ALARMS.c.configuration_updated_at}
_ROWS_SELECT = (sa.select(*(_ROW_SOURCES.get(c, STATES.c[c] if c in STATES.c else
                                             ALARMS.c.get(c)).label(c)
                            for c in rows.ALARM_COLUMNS))
                .join_from(ALARMS, STATES, STATES.c.alarm_id == ALARMS.c.id))
# Where the two JSON columns of a row are.
_ROW_JSON = (rows.ALARM_COLUMNS.index('dimensions'), rows.ALARM_COLUMNS.index('actions'))

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
        # A model.Transition; both reason data are JSON texts already.
        data = alarm_history.with_json(
            {'alarm_id': alarm['id'], 'previous': alarm['state'], 'state': self.state,
             'reason': self.reason, 'timestamp': stamp, 'previous_reason': alarm['state_reason']},
            reason_data=self.reason_data, previous_reason_data=alarm['state_reason_data'])
        summary = 'Alarm updated from %s to %s' % (alarm['state'], self.state)
        return history_item(alarm, 'StateUpdate', summary, data, stamp)


def record(row: sa.Row) -> dict:
    """An alarm row (definition and state columns) as a dict."""
    return dict(row._mapping)


def _listing_query(conn, select: sa.Select, project_id: str | None,
                   filters: model.AlarmFilter, sort_key: str, descending: bool,
                   marker: str | None) -> sa.Select:
    """``select`` narrowed to the alarms of a project (None: of every
    project) matching the filters held in columns, ordered by (sort_key, id),
    after the alarm ``marker``."""
    column = STATES.c[sort_key] if sort_key in STATES.c else ALARMS.c[sort_key]
    query = select
    if project_id is not None:
        query = query.where(ALARMS.c.project_id == project_id)
    if filters.name is not None:
        query = query.where(ALARMS.c.name == filters.name)
    if filters.names is not None:
        query = query.where(ALARMS.c.name.in_(filters.names))
    if filters.name_prefix:
        query = query.where(ALARMS.c.name.startswith(filters.name_prefix, autoescape=True))
    if filters.state is not None:
        query = query.where(STATES.c.state == filters.state)
    if filters.type is not None:
        query = query.where(ALARMS.c.alarm_type == filters.type)
    if filters.enabled is not None:
        query = query.where(ALARMS.c.actions_enabled == filters.enabled)
    for column_name in ('severity', 'namespace', 'metric_name'):
        if getattr(filters, column_name) is not None:
            query = query.where(ALARMS.c[column_name] == getattr(filters, column_name))
    if project_id is not None and None not in (filters.namespace, filters.metric_name,
                                               filters.dimensions):
        # The exact metric: its digest is indexed.
        query = query.where(ALARMS.c.metric_key == metric_storage.metric_key(
            project_id, filters.namespace, filters.metric_name,
            hw_alarms.canonical_dimensions(filters.dimensions)))
    if marker is not None:
        chosen = _SELECT.with_only_columns(column).where(ALARMS.c.id == marker)
        if project_id is not None:
            chosen = chosen.where(ALARMS.c.project_id == project_id)
        after = conn.execute(chosen).first()
        if after is None:
            raise exceptions.InvalidNextToken()
        position = sa.tuple_(column, ALARMS.c.id)
        bound = sa.tuple_(sa.literal(after[0]), sa.literal(marker))
        query = query.where(position < bound if descending else position > bound)
    order = (column.desc(), ALARMS.c.id.desc()) if descending else (column, ALARMS.c.id)
    return query.order_by(*order)


class AlarmStore(alarm_history.HistoryMixin, action_outbox.OutboxMixin):
    """Reads and writes alarms, their history and their outbox of actions."""

    def __init__(self, engine: sa.Engine, host: str = 'localhost'):
        self.engine = engine
        # Names this engine's rows of the action outbox.
        self.host = host
        # Called with the outbox rows of each committed transaction.
        self.on_actions = None

    # -- configuration -------------------------------------------------------

    def put(self, definition: model.AlarmDefinition,
            metric_key: str | None) -> tuple[dict, bool]:
        """Create or replace an alarm by project and name; returns (alarm, created).

        Replacing keeps the state (its version moves on, so that an
        evaluation of the old definition loses its compare-and-set); both
        write a ConfigurationUpdate history item.
        """
        try:
            return self._put(definition, metric_key)
        except db_exc.DBDuplicateEntry:
            # Created concurrently by another request: now it is an update.
            return self._put(definition, metric_key)

    def _put(self, definition: model.AlarmDefinition,
             metric_key: str | None) -> tuple[dict, bool]:
        with self.engine.begin() as conn:
            row = conn.execute(_SELECT.where(ALARMS.c.project_id == definition.project_id,
                                             ALARMS.c.name == definition.name)).first()
            if row is not None:
                return self._replace(conn, record(row), definition, metric_key), False
            stamp = now_ms()
            alarm = dict(records.columns_of(definition, metric_key), id=ids.time_ordered_uuid(),
                         project_id=definition.project_id, created_at=stamp,
                         configuration_updated_at=stamp)
            conn.execute(sa.insert(ALARMS).values(**alarm))
            state = {'state': INITIAL_STATE, 'state_reason': INITIAL_REASON,
                     'state_reason_data': INITIAL_REASON_DATA, 'state_updated_at': stamp,
                     'state_transitioned_at': stamp, 'actions_run_at': None, 'version': 1}
            conn.execute(sa.insert(STATES).values(alarm_id=alarm['id'], **state))
            alarm.update(state)
            conn.execute(sa.insert(HISTORY).values(**history_item(
                alarm, 'ConfigurationUpdate', 'Alarm "%s" created' % definition.name,
                {'version': '1.0', 'type': 'Create',
                 'definition': records.definition_of(alarm).to_wire()}, stamp)))
        return alarm, True

    @staticmethod
    def _replace(conn, current: dict, definition: model.AlarmDefinition,
                 metric_key: str | None) -> dict:
        stamp = now_ms()
        values = dict(records.columns_of(definition, metric_key),
                      configuration_updated_at=stamp)
        conn.execute(sa.update(ALARMS).where(ALARMS.c.id == current['id']).values(**values))
        conn.execute(sa.update(STATES).where(STATES.c.alarm_id == current['id'])
                     .values(version=STATES.c.version + 1))
        alarm = dict(current, **values, version=current['version'] + 1)
        conn.execute(sa.insert(HISTORY).values(**history_item(
            alarm, 'ConfigurationUpdate', 'Alarm "%s" updated' % definition.name,
            {'version': '1.0', 'type': 'Update',
             'definition': records.definition_of(alarm).to_wire(),
             'original': records.definition_of(current).to_wire()}, stamp)))
        return alarm

    def update(self, alarm_id: str, definition: model.AlarmDefinition,
               metric_key: str | None) -> dict:
        """Replace the definition of one alarm by id (its name may change; the
        state stays); a ConfigurationUpdate history item records it."""
        with self.engine.begin() as conn:
            row = conn.execute(_SELECT.where(ALARMS.c.project_id == definition.project_id,
                                             ALARMS.c.id == alarm_id)).first()
            if row is None:
                raise exceptions.AlarmNotFound(name=alarm_id)
            if definition.name != row.name and conn.execute(sa.select(ALARMS.c.id).where(
                    ALARMS.c.project_id == definition.project_id,
                    ALARMS.c.name == definition.name)).first():
                raise exceptions.Conflict(
                    reason='an alarm named %s exists already' % definition.name)
            return self._replace(conn, record(row), definition, metric_key)

    def delete_ids(self, project_id: str, alarm_ids: list[str]) -> None:
        """Delete alarms by id; if one is unknown (in this project), none is deleted."""
        with self.engine.connect() as conn:
            names = {r.id: r.name for r in conn.execute(sa.select(ALARMS.c.id, ALARMS.c.name)
                     .where(ALARMS.c.project_id == project_id, ALARMS.c.id.in_(alarm_ids)))}
        missing = set(alarm_ids) - set(names)
        if missing:
            raise exceptions.AlarmNotFound(name=', '.join(sorted(missing)))
        self.delete(project_id, list(names.values()))

    def delete(self, project_id: str, names: list[str]) -> None:
        """Delete alarms; if one name is unknown, none is deleted."""
        with self.engine.begin() as conn:
            rows = [record(r) for r in conn.execute(_SELECT.where(
                ALARMS.c.project_id == project_id, ALARMS.c.name.in_(names)))]
            missing = set(names) - {r['name'] for r in rows}
            if missing:
                raise exceptions.AlarmNotFound(name=', '.join(sorted(missing)))
            doomed = [r['id'] for r in rows]
            conn.execute(sa.delete(STATES).where(STATES.c.alarm_id.in_(doomed)))
            conn.execute(sa.delete(ALARMS).where(ALARMS.c.id.in_(doomed)))
            conn.execute(sa.insert(HISTORY), [history_item(
                r, 'ConfigurationUpdate', 'Alarm "%s" deleted' % r['name'],
                {'version': '1.0', 'type': 'Delete',
                 # Kept so that a deletion's history says what was deleted
                 # (Aodh's clients read its severity).
                 'definition': records.definition_of(r).to_wire()}) for r in rows])

    def set_actions_enabled(self, project_id: str, names: list[str], enabled: bool) -> None:
        """Enable or disable the actions of named alarms (unknown names are
        ignored, as AWS does)."""
        chosen = sa.select(ALARMS.c.id).where(ALARMS.c.project_id == project_id,
                                              ALARMS.c.name.in_(names))
        with self.engine.begin() as conn:
            conn.execute(sa.update(ALARMS).where(ALARMS.c.id.in_(chosen))
                         .values(actions_enabled=enabled))
            # Evaluations that read the old setting lose their compare-and-set.
            conn.execute(sa.update(STATES).where(STATES.c.alarm_id.in_(chosen))
                         .values(version=STATES.c.version + 1))

    # -- reads -----------------------------------------------------------------

    def get(self, project_id: str, name: str) -> dict:
        """One alarm by name, or AlarmNotFound."""
        with self.engine.connect() as conn:
            row = conn.execute(_SELECT.where(
                ALARMS.c.project_id == project_id, ALARMS.c.name == name)).first()
        if row is None:
            raise exceptions.AlarmNotFound(name=name)
        return record(row)

    def get_by_id(self, alarm_id: str) -> dict | None:
        """One alarm by id, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(_SELECT.where(ALARMS.c.id == alarm_id)).first()
        return record(row) if row else None

    def find(self, project_id: str, *, names: list[str] | None = None,
             prefix: str | None = None, state: str | None = None,
             types: tuple[str, ...] = (METRIC,), after_name: str | None = None,
             limit: int | None = None) -> list[dict]:
        """Alarms of a project ordered by name, filtered."""
        query = _SELECT.where(ALARMS.c.project_id == project_id,
                              ALARMS.c.alarm_type.in_(types))
        if names is not None:
            query = query.where(ALARMS.c.name.in_(names))
        if prefix:
            query = query.where(ALARMS.c.name.startswith(prefix, autoescape=True))
        if state:
            query = query.where(STATES.c.state == state)
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
        with self.engine.connect() as conn:
            query = _listing_query(conn, _SELECT, project_id, filters, sort_key, descending,
                                   marker)
            return [record(r) for r in conn.execute(query.limit(limit))]

    def listing_rows(self, project_id: str | None, filters: model.AlarmFilter, *,
                     sort_key: str, descending: bool, marker: str | None,
                     limit: int) -> list[list]:
        """As :meth:`listing` (``project_id`` None: every project), each alarm
        a list of the values of :data:`heat_watch.watch.rows.ALARM_COLUMNS`:
        no dict, no record, the JSON columns read with orjson."""
        with self.engine.connect() as conn:
            query = _listing_query(conn, _ROWS_SELECT, project_id, filters, sort_key,
                                   descending, marker)
            found = conn.execute(query.limit(limit)).all()
        dimensions, actions = _ROW_JSON
        listed = []
        for row in found:
            values = list(row)
            values[dimensions] = orjson.loads(values[dimensions]) if values[dimensions] else None
            values[actions] = orjson.loads(values[actions])
            listed.append(values)
        return listed

    def for_metric_keys(self, keys) -> list[dict]:
        """Metric alarms watching any of these metrics (the fast path)."""
        alarms = []
        keys = list(keys)
        with self.engine.connect() as conn:
            for i in range(0, len(keys), 500):
                alarms.extend(record(r) for r in conn.execute(_SELECT.where(
                    ALARMS.c.metric_key.in_(keys[i:i + 500]))))
        return alarms

    def composites_of(self, project_ids: list[str]) -> list[dict]:
        """Composite alarms of these projects (parents of changed alarms)."""
        alarms = []
        with self.engine.connect() as conn:
            for i in range(0, len(project_ids), 500):
                alarms.extend(record(r) for r in conn.execute(_SELECT.where(
                    ALARMS.c.alarm_type == COMPOSITE,
                    ALARMS.c.project_id.in_(project_ids[i:i + 500]))))
        return alarms

    def page(self, alarm_type: str, after_id: str, limit: int) -> list[dict]:
        """Alarms of one type in id order after ``after_id`` (the sweep)."""
        query = (_SELECT.where(ALARMS.c.alarm_type == alarm_type, ALARMS.c.id > after_id)
                 .order_by(ALARMS.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [record(r) for r in conn.execute(query)]

    def states(self, project_id: str, names) -> dict[str, str]:
        """Current state of named alarms of a project."""
        with self.engine.connect() as conn:
            return {r.name: r.state for r in conn.execute(
                _SELECT.with_only_columns(ALARMS.c.name, STATES.c.state).where(
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
                       for row in action_outbox.outbox_rows(
                           self.host, alarm, c.alarm['state'], c.actions, stamp)]
            handed = self.insert_actions(conn, actions)
        self.hand_actions(handed)
        return updated

    def mark_actions_run(self, alarm: dict, actions=()) -> bool:
        """Claim a repeat of the current state's actions (compare-and-set)
        and record them in the outbox, in the same transaction."""
        stamp = now_ms()
        with self.engine.begin() as conn:
            won = bool(conn.execute(sa.update(STATES).where(
                STATES.c.alarm_id == alarm['id'], STATES.c.version == alarm['version'])
                .values(actions_run_at=stamp, version=alarm['version'] + 1)).rowcount)
            if won and actions:
                handed = self.insert_actions(conn, action_outbox.outbox_rows(
                    self.host, alarm, alarm['state'], actions, stamp))
        if won and actions:
            self.hand_actions(handed)
        return won

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
