"""Server side of the watch engine's id-based alarm methods (see rpcapi).

The methods every API and the orchestrator use, in the engine's own records
(:mod:`heat_watch.watch.model`): create, get, list (generic filters, marker
and limit, sort), update (a whole definition), delete, set state and history,
each alarm addressed by its id and confined to the caller's project. The
checks every write shares (:class:`AlarmWrites`) serve the by-name methods
of :mod:`heat_watch.watch.alarm_manager` too.
"""

import json

import oslo_messaging as messaging

from heat_watch.common import alarms as hw_alarms
from heat_watch.common import exceptions, rpc
from heat_watch.notifier import netpolicy
from heat_watch.watch import composite, evaluator, meter_reads, model, rows, rpcapi, rules
from heat_watch.watch.storage import alarms as alarm_storage
from heat_watch.watch.storage import records

SORT_KEYS = {'name': 'name', 'id': 'id', 'state': 'state',
             'state_timestamp': 'state_updated_at', 'updated_at': 'configuration_updated_at'}
MAX_LIMIT = 1000



def _late_match(alarm: model.Alarm, filters: model.AlarmFilter) -> bool:
    """The filters no column answers, applied after the query."""
    definition = alarm.definition
    if filters.action_prefix and not any(
            url.startswith(filters.action_prefix)
            for urls in definition.actions.values() for url in urls):
        return False
    metric = getattr(definition.rule, 'metric', None)
    return filters.dimensions is None or (metric is not None and [
        list(d) for d in metric.dimensions] == hw_alarms.canonical_dimensions(
        filters.dimensions))


def _checked_filters(filters: dict | None, sort_key: str, sort_dir: str) -> model.AlarmFilter:
    """The AlarmFilter of a listing's wire filters, its sort checked."""
    try:
        wanted = model.AlarmFilter.from_wire(filters)
        hw_alarms.canonical_dimensions(wanted.dimensions or [])
    except (TypeError, ValueError) as exc:
        raise exceptions.InvalidParameterValue(name='filters', reason=str(exc)) from None
    if sort_key not in SORT_KEYS or sort_dir not in ('asc', 'desc'):
        raise exceptions.InvalidParameterValue(
            name='sort', reason='sort by one of %s, asc or desc.' % ', '.join(SORT_KEYS))
    if wanted.type is not None and wanted.type not in hw_alarms.TYPES:
        raise exceptions.InvalidParameterValue(name='type', reason='unknown alarm type.')
    return wanted


def limited(limit) -> int:
    """A page size within 1..MAX_LIMIT."""
    try:
        return max(1, min(int(limit), MAX_LIMIT))
    except (TypeError, ValueError):
        raise exceptions.InvalidParameterValue(name='limit', reason='must be a number.') from None


class AlarmWrites:
    """The checks and side effects every alarm write shares."""

    def __init__(self, alarms: alarm_storage.AlarmStore,
                 alarm_evaluator: evaluator.AlarmEvaluator):
        self.alarms = alarms
        self.evaluator = alarm_evaluator

    def get(self, project_id: str, alarm_id: str) -> dict:
        """A stored alarm of the project, or AlarmNotFound."""
        alarm = self.alarms.get_by_id(alarm_id)
        if alarm is None or alarm['project_id'] != project_id:
            raise exceptions.AlarmNotFound(name=alarm_id)
        return alarm

    def checked(self, project_id: str, wire: dict) -> model.AlarmDefinition:
        """A definition from the wire, validated by its rule type's plugin."""
        if not isinstance(wire, dict) or not isinstance(wire.get('actions', {}), dict):
            raise exceptions.InvalidParameterValue(
                name='alarm', reason='an alarm definition is a map, its actions a map of '
                'state to URLs.')
        try:
            definition = model.AlarmDefinition.from_wire(dict(wire, project_id=project_id))
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise exceptions.InvalidParameterValue(
                name='alarm', reason='malformed alarm definition (%s).' % exc) from None
        if definition.type not in rules.names():
            raise exceptions.InvalidParameterValue(
                name='type', reason='must be one of %s.' % ', '.join(rules.names()))
        if definition.severity not in hw_alarms.SEVERITIES:
            raise exceptions.InvalidParameterValue(
                name='severity', reason='must be one of %s.' % ', '.join(hw_alarms.SEVERITIES))
        for state, urls in definition.actions.items():
            hw_alarms.check_actions('actions.%s' % state, urls)
            for url in urls:  # the notifier would refuse it: say so now
                netpolicy.check_alarm_action(self.evaluator.conf, 'actions.%s' % state, url)
        try:
            rules.get(definition.type).validate(definition)
        except (TypeError, ValueError) as exc:  # a field of the wrong type
            raise exceptions.InvalidParameterValue(
                name='rule', reason='malformed rule (%s).' % exc) from None
        self._refuse_cycle(definition)
        return definition

    def _refuse_cycle(self, definition: model.AlarmDefinition) -> None:
        children = rules.get(definition.type).children(definition)
        if not children:
            return
        graph = {a['name']: composite.parse(a['rule']).alarm_names()
                 for a in self.alarms.find(definition.project_id, types=(records.COMPOSITE,))}
        graph[definition.name] = children
        seen, stack = set(), list(children)
        while stack:
            child = stack.pop()
            if child == definition.name:
                raise exceptions.InvalidParameterValue(
                    name='rule', reason='the rule refers back to the alarm %s itself '
                    '(circular dependency).' % definition.name)
            if child not in seen:
                seen.add(child)
                stack.extend(graph.get(child, ()))

    def stored(self, definition: model.AlarmDefinition, alarm_id: str | None = None,
               replace: bool = True) -> tuple[dict, bool]:
        """Store a checked definition (by id, or create/replace by name),
        then evaluate it at once; returns (alarm, created)."""
        plugin = rules.get(definition.type)
        key = plugin.metric_key(definition)
        if alarm_id is not None:
            alarm, created = self.alarms.update(alarm_id, definition, key), False
        else:
            if not replace and self.alarms.states(definition.project_id, [definition.name]):
                raise exceptions.Conflict(
                    reason='an alarm named %s exists already' % definition.name)
            alarm, created = self.alarms.put(definition, key)
        if key is not None:
            self.evaluator.watch(key)
        plugin.evaluate(self.evaluator, [alarm])
        return self.get(definition.project_id, alarm['id']), created

    def set_state(self, project_id: str, alarm_id: str, state: str, reason: str,
                  reason_data: dict | None) -> dict:
        """A real transition (history, actions); retried if an evaluation
        moved the alarm meanwhile."""
        if state not in hw_alarms.STATES:
            raise exceptions.InvalidParameterValue(
                name='state', reason='must be one of %s.' % ', '.join(hw_alarms.STATES))
        # Marked as given by an operator: each API shows it as it was given.
        data = None if reason_data is None else json.dumps({'kind': 'manual',
                                                            'data': reason_data})
        for _ in range(3):
            updated = self.evaluator.change_state(self.get(project_id, alarm_id), state,
                                                  reason, data)
            if updated is not None:
                return updated
        raise exceptions.Conflict(reason='the alarm %s changes too often; try again' % alarm_id)

    def related(self, project_id: str, filters: model.AlarmFilter) -> model.AlarmFilter:
        """Filters with children_of / parents_of turned into alarm names."""
        if filters.children_of is not None:
            parents = self.alarms.find(project_id, names=[filters.children_of],
                                       types=(records.COMPOSITE, records.METRIC))
            if not parents:
                raise exceptions.AlarmNotFound(name=filters.children_of)
            names = sorted(composite.parse(parents[0]['rule']).alarm_names()) \
                if parents[0]['alarm_type'] == records.COMPOSITE else []
            return model.AlarmFilter(**{**filters.to_wire(), 'children_of': None,
                                        'names': names})
        if filters.parents_of is not None:
            names = [a['name'] for a in self.alarms.find(project_id, types=(records.COMPOSITE,))
                     if filters.parents_of in composite.parse(a['rule']).alarm_names()]
            return model.AlarmFilter(**{**filters.to_wire(), 'parents_of': None,
                                        'names': names})
        return filters

    def listing(self, project_id: str, filters: model.AlarmFilter, marker: str | None,
                limit: int, sort_key: str, descending: bool) -> model.Page:
        """One page of alarms matching every filter."""
        filters = self.related(project_id, filters)
        if filters.names == []:
            return model.Page([])
        found: list[model.Alarm] = []
        after = marker
        # Filters inside the definition apply after the query: read on until
        # a page is full.
        while len(found) <= limit:
            rows = self.alarms.listing(project_id, filters, sort_key=SORT_KEYS[sort_key],
                                       descending=descending, marker=after, limit=limit + 1)
            if not rows:
                break
            after = rows[-1]['id']
            found.extend(a for a in map(records.alarm_of, rows) if _late_match(a, filters))
            if len(rows) <= limit:
                break
        return model.Page(found[:limit],
                          found[limit - 1].definition.id if len(found) > limit else None)


@rpc.answers_project_errors
class AlarmRecordManager:
    """RPC endpoint of the watch engine: alarms by id, as engine records."""

    target = messaging.Target(version=rpcapi.RPC_API_VERSION)

    def __init__(self, writes: AlarmWrites):
        self.writes = writes

    def create_alarm(self, ctxt, definition: dict) -> dict:
        """Create an alarm from an AlarmDefinition (wire form; its id is
        ignored) and evaluate it at once. A name taken in the project is a
        Conflict. Returns the Alarm."""
        checked = self.writes.checked(rpc.project_of(ctxt), dict(definition, id=None))
        return records.alarm_of(self.writes.stored(checked, replace=False)[0]).to_wire()

    def get_alarm(self, ctxt, alarm_id: str) -> dict:
        """One Alarm of the caller's project, or AlarmNotFound."""
        return records.alarm_of(self.writes.get(rpc.project_of(ctxt), alarm_id)).to_wire()

    def list_alarms(self, ctxt, filters: dict | None = None, marker: str | None = None,
                    limit: int = 100, sort_key: str = 'name',
                    sort_dir: str = 'asc') -> dict:
        """A Page of Alarms of the caller's project matching ``filters``
        (AlarmFilter wire form), sorted by ``sort_key`` (name, id, state,
        state_timestamp, updated_at) ``asc`` or ``desc``, after the alarm id
        ``marker``; the page's marker continues the listing."""
        project_id = rpc.project_of(ctxt)
        wanted = _checked_filters(filters, sort_key, sort_dir)
        return self.writes.listing(project_id, wanted, marker, limited(limit), sort_key,
                                   sort_dir == 'desc').to_wire()

    def list_alarm_rows(self, ctxt, project_id: str | None, filters: dict | None = None,
                        marker: str | None = None, limit: int = 1000, sort_key: str = 'name',
                        sort_dir: str = 'asc') -> dict:
        """As list_alarms, as a RowPage of rows.ALARM_COLUMNS, of ``project_id``
        (None: of every project; another project or all: admin contexts
        only); only the filters held in columns (not dimensions,
        action_prefix, children_of, parents_of) (2.3)."""
        meter_reads.check_scope(ctxt, project_id)
        wanted = _checked_filters(filters, sort_key, sort_dir)
        if any(v is not None for v in (wanted.dimensions, wanted.action_prefix,
                                       wanted.children_of, wanted.parents_of)):
            raise exceptions.InvalidParameterValue(
                name='filters', reason='rows are filtered by columns only: use list_alarms.')
        limit = limited(limit)
        found = self.writes.alarms.listing_rows(
            project_id, wanted, sort_key=SORT_KEYS[sort_key], descending=sort_dir == 'desc',
            marker=marker, limit=limit + 1)
        return rows.RowPage(list(rows.ALARM_COLUMNS), found[:limit], found[limit - 1][0]
                            if len(found) > limit else None).to_wire()

    def update_alarm(self, ctxt, alarm_id: str, definition: dict) -> dict:
        """Replace an alarm's whole definition (PUT); its state stays, the
        next evaluation (at once) may change it. Returns the Alarm."""
        project_id = rpc.project_of(ctxt)
        current = self.writes.get(project_id, alarm_id)
        checked = self.writes.checked(project_id, dict(definition, id=alarm_id))
        if checked.type != current['alarm_type']:
            raise exceptions.InvalidParameterValue(
                name='type', reason='the type of an alarm cannot change.')
        return records.alarm_of(self.writes.stored(checked, alarm_id)[0]).to_wire()

    def delete_alarm(self, ctxt, alarm_id: str) -> None:
        """Delete one alarm (its history keeps a deletion item)."""
        self.writes.alarms.delete_ids(rpc.project_of(ctxt), [alarm_id])

    def set_alarm_state_by_id(self, ctxt, alarm_id: str, state: str, reason: str,
                              reason_data: dict | None = None) -> dict:
        """Set a state as a real transition (history, actions); the next
        evaluation corrects it. Returns the new AlarmState."""
        updated = self.writes.set_state(rpc.project_of(ctxt), alarm_id, state, reason, reason_data)
        return records.state_of(updated).to_wire()

    def get_alarm_history(self, ctxt, alarm_id: str | None = None,
                          types: list[str] | None = None, start: int | None = None,
                          end: int | None = None, marker: str | None = None,
                          limit: int = 100, ascending: bool = False,
                          alarm_name: str | None = None,
                          alarm_types: list[str] | None = None) -> dict:
        """A Page of HistoryItems of the caller's project (of one alarm by id
        or name when given; still readable after its deletion), newest first
        unless ``ascending``; ``types`` among model.HISTORY_TYPES,
        ``alarm_types`` among threshold and composite, ``start``/``end``
        epoch ms (inclusive)."""
        limit = limited(limit)
        found = [records.history_of(row) for row in self._history(
            rpc.project_of(ctxt), alarm_id, types, start, end, marker, limit, ascending,
            alarm_name, alarm_types, narrow=False)]
        return model.Page(found[:limit], str(found[limit - 1].id)
                          if len(found) > limit else None).to_wire()

    def alarm_history_rows(self, ctxt, project_id: str | None, alarm_id: str | None = None,
                           types: list[str] | None = None, start: int | None = None,
                           end: int | None = None, marker: str | None = None,
                           limit: int = 1000, ascending: bool = False,
                           alarm_name: str | None = None,
                           alarm_types: list[str] | None = None) -> dict:
        """As get_alarm_history, as a RowPage of rows.HISTORY_COLUMNS (each
        detail the stored JSON text), of ``project_id`` (None: of every
        project; another project or all: admin contexts only) (2.3)."""
        meter_reads.check_scope(ctxt, project_id)
        limit = limited(limit)
        found = self._history(project_id, alarm_id, types, start, end, marker, limit,
                              ascending, alarm_name, alarm_types, narrow=True)
        return rows.RowPage(list(rows.HISTORY_COLUMNS), found[:limit], str(found[limit - 1][0])
                            if len(found) > limit else None).to_wire()

    def _history(self, project_id: str | None, alarm_id: str | None, types: list[str] | None,
                 start: int | None, end: int | None, marker: str | None, limit: int,
                 ascending: bool, alarm_name: str | None, alarm_types: list[str] | None,
                 narrow: bool) -> list:
        """Up to limit + 1 of the items asked: stored rows, or with ``narrow``
        rows of rows.HISTORY_COLUMNS."""
        kinds = set(types or model.HISTORY_TYPES)
        if not kinds <= set(model.HISTORY_TYPES):
            raise exceptions.InvalidParameterValue(
                name='types', reason='must be among %s.' % ', '.join(model.HISTORY_TYPES))
        # Read only the stored types asked for (a REST history page asks for
        # no action items: an alarm with actions has as many as transitions).
        stored_kinds = tuple(sorted({records.STORED_HISTORY_TYPES[k] for k in kinds}))
        try:
            after = None if marker is None else int(marker)
        except (TypeError, ValueError):
            raise exceptions.InvalidNextToken() from None
        if after is not None and not 0 <= after < 2 ** 63:  # a history row's id
            raise exceptions.InvalidNextToken()
        found: list = []
        while len(found) <= limit:
            stored = self.writes.alarms.history(
                project_id, name=alarm_name, alarm_id=alarm_id,
                types=tuple(alarm_types or hw_alarms.TYPES), item_type=stored_kinds,
                start=start, end=end, ascending=ascending, after_id=after, limit=limit + 1,
                narrow=narrow)
            if not stored:
                break
            after = stored[-1][0]
            found.extend(_kept(stored, kinds, narrow))
            if len(stored) <= limit:
                break
        return found


def _kept(stored: list, kinds: set[str], narrow: bool) -> list:
    """The stored history rows of the types wanted (with ``narrow``, as rows
    of rows.HISTORY_COLUMNS: item_type replaced by the type it tells)."""
    kind_of = records.history_kind
    if not narrow:
        return [row for row in stored if kind_of(row.item_type, row.data) in kinds]
    kept = []
    for row in stored:
        kind = kind_of(row[6], row[7])
        if kind in kinds:
            kept.append([row[0], row[1], row[2], row[3], row[4], row[5], kind, row[7]])
    return kept
