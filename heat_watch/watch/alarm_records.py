"""Server side of the watch engine's id-based alarm methods (rpcapi 1.3).

The methods every API and the orchestrator use, in the engine's own records
(:mod:`heat_watch.watch.model`): create, get, list (generic filters, marker
and limit, sort), update (a whole definition), delete, set state and history,
each alarm addressed by its id and confined to the caller's project.
"""

import json

import oslo_messaging as messaging

from heat_watch.common import alarms as hw_alarms
from heat_watch.common import exceptions, rpc
from heat_watch.notifier import netpolicy
from heat_watch.watch import evaluator, model, rpcapi, rules
from heat_watch.watch.storage import alarms as alarm_storage
from heat_watch.watch.storage import records

SORT_KEYS = {'name': 'name', 'id': 'id', 'state': 'state',
             'state_timestamp': 'state_updated_at', 'updated_at': 'configuration_updated_at'}
MAX_LIMIT = 1000
# Filters that live inside the stored definition: applied after the query.
_LATE_FILTERS = ('severity', 'namespace', 'metric_name')


def _project(ctxt) -> str:
    if not ctxt.project_id:
        raise exceptions.AuthenticationFailed(reason='the request carries no project')
    return ctxt.project_id


def _late_match(alarm: model.Alarm, filters: model.AlarmFilter) -> bool:
    definition = alarm.definition
    if filters.severity is not None and definition.severity != filters.severity:
        return False
    metric = getattr(definition.rule, 'metric', None)
    if filters.namespace is not None and (metric is None
                                          or metric.namespace != filters.namespace):
        return False
    return filters.metric_name is None or (metric is not None
                                           and metric.metric_name == filters.metric_name)


@rpc.answers_project_errors
class AlarmRecordManager:
    """RPC endpoint of the watch engine: alarms by id, as engine records."""

    target = messaging.Target(version=rpcapi.RPC_API_VERSION)

    def __init__(self, alarms: alarm_storage.AlarmStore,
                 alarm_evaluator: evaluator.AlarmEvaluator):
        self.alarms = alarms
        self.evaluator = alarm_evaluator

    # -- helpers -------------------------------------------------------------

    def _get(self, project_id: str, alarm_id: str) -> dict:
        alarm = self.alarms.get_by_id(alarm_id)
        if alarm is None or alarm['project_id'] != project_id:
            raise exceptions.AlarmNotFound(name=alarm_id)
        return alarm

    def _checked(self, project_id: str, wire: dict) -> model.AlarmDefinition:
        try:
            definition = model.AlarmDefinition.from_wire(dict(wire, project_id=project_id))
        except (KeyError, TypeError, ValueError) as exc:
            raise exceptions.InvalidParameterValue(
                name='alarm', reason='malformed alarm definition (%s).' % exc) from None
        if definition.type not in rules.names():
            raise exceptions.InvalidParameterValue(
                name='type', reason='must be one of %s.' % ', '.join(rules.names()))
        if definition.severity not in hw_alarms.SEVERITIES:
            raise exceptions.InvalidParameterValue(
                name='severity', reason='must be one of %s.' % ', '.join(hw_alarms.SEVERITIES))
        for state, urls in definition.actions.items():
            if state not in hw_alarms.STATES:
                raise exceptions.InvalidParameterValue(
                    name='actions', reason='%s is not an alarm state.' % state)
            hw_alarms.check_actions('actions.%s' % state, urls)
            for url in urls:
                netpolicy.check_alarm_action(self.evaluator.conf, 'actions.%s' % state, url)
        rules.get(definition.type).validate(definition)
        return definition

    def _refuse_cycle(self, project_id: str, definition: model.AlarmDefinition) -> None:
        plugin = rules.get(definition.type)
        children = plugin.children(definition)
        if not children:
            return
        graph = {a['name']: rules.get(records.TYPES[a['alarm_type']]).children(
            records.definition_of(a))
            for a in self.alarms.find(project_id, types=(records.COMPOSITE,))}
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

    def _evaluate_now(self, definition: model.AlarmDefinition, stored: dict,
                      key: str | None) -> None:
        if key is not None:
            self.evaluator.watch(key)
        rules.get(definition.type).evaluate(self.evaluator, [stored])

    # -- methods -------------------------------------------------------------------

    def create_alarm(self, ctxt, definition: dict) -> dict:
        """Create an alarm from an AlarmDefinition (wire form; its id is
        ignored) and evaluate it at once. A name taken in the project is a
        Conflict. Returns the Alarm."""
        project_id = _project(ctxt)
        checked = self._checked(project_id, dict(definition, id=None))
        if self.alarms.states(project_id, [checked.name]):
            raise exceptions.Conflict(reason='an alarm named %s exists already' % checked.name)
        self._refuse_cycle(project_id, checked)
        key = rules.get(checked.type).metric_key(checked)
        stored, _ = self.alarms.put(project_id, records.STORED_TYPES[checked.type],
                                    records.stored_definition(checked), key)
        self._evaluate_now(checked, stored, key)
        return records.alarm_of(self._get(project_id, stored['id'])).to_wire()

    def get_alarm(self, ctxt, alarm_id: str) -> dict:
        """One Alarm of the caller's project, or AlarmNotFound."""
        return records.alarm_of(self._get(_project(ctxt), alarm_id)).to_wire()

    def list_alarms(self, ctxt, filters: dict | None = None, marker: str | None = None,
                    limit: int = 100, sort_key: str = 'name',
                    sort_dir: str = 'asc') -> dict:
        """A Page of Alarms of the caller's project matching ``filters``
        (AlarmFilter wire form), sorted by ``sort_key`` (name, id, state,
        state_timestamp, updated_at) ``asc`` or ``desc``, after the alarm id
        ``marker``; the page's marker continues the listing."""
        project_id = _project(ctxt)
        try:
            wanted = model.AlarmFilter.from_wire(filters)
        except TypeError as exc:
            raise exceptions.InvalidParameterValue(name='filters', reason=str(exc)) from None
        if sort_key not in SORT_KEYS or sort_dir not in ('asc', 'desc'):
            raise exceptions.InvalidParameterValue(
                name='sort', reason='sort by one of %s, asc or desc.' % ', '.join(SORT_KEYS))
        if wanted.type is not None and wanted.type not in records.STORED_TYPES:
            raise exceptions.InvalidParameterValue(name='type', reason='unknown alarm type.')
        limit = max(1, min(int(limit), MAX_LIMIT))
        found: list[model.Alarm] = []
        after = marker
        # Filters inside the definition apply after the query: read on until
        # a page is full.
        while len(found) <= limit:
            rows = self.alarms.listing(project_id, wanted, sort_key=SORT_KEYS[sort_key],
                                       descending=sort_dir == 'desc', marker=after,
                                       limit=limit + 1)
            if not rows:
                break
            after = rows[-1]['id']
            found.extend(a for a in map(records.alarm_of, rows) if _late_match(a, wanted))
            if len(rows) <= limit:
                break
        page = model.Page(found[:limit], found[limit - 1].definition.id
                          if len(found) > limit else None)
        return page.to_wire()

    def update_alarm(self, ctxt, alarm_id: str, definition: dict) -> dict:
        """Replace an alarm's whole definition (PUT); its state stays, the
        next evaluation (at once) may change it. Returns the Alarm."""
        project_id = _project(ctxt)
        current = self._get(project_id, alarm_id)
        checked = self._checked(project_id, dict(definition, id=alarm_id))
        if records.STORED_TYPES[checked.type] != current['alarm_type']:
            raise exceptions.InvalidParameterValue(
                name='type', reason='the type of an alarm cannot change.')
        self._refuse_cycle(project_id, checked)
        key = rules.get(checked.type).metric_key(checked)
        stored = self.alarms.update(project_id, alarm_id, current['alarm_type'],
                                    records.stored_definition(checked), key)
        self._evaluate_now(checked, stored, key)
        return records.alarm_of(self._get(project_id, alarm_id)).to_wire()

    def delete_alarm(self, ctxt, alarm_id: str) -> None:
        """Delete one alarm (its history keeps a deletion item)."""
        self.alarms.delete_ids(_project(ctxt), [alarm_id])

    def set_alarm_state_by_id(self, ctxt, alarm_id: str, state: str, reason: str,
                              reason_data: dict | None = None) -> dict:
        """Set a state as a real transition (history, actions); the next
        evaluation corrects it. Returns the new AlarmState."""
        project_id = _project(ctxt)
        if state not in hw_alarms.STATES:
            raise exceptions.InvalidParameterValue(
                name='state', reason='must be one of %s.' % ', '.join(hw_alarms.STATES))
        data = None if reason_data is None else json.dumps(reason_data)
        for _ in range(3):
            updated = self.evaluator.change_state(self._get(project_id, alarm_id), state,
                                                  reason, data)
            if updated is not None:
                return records.state_of(updated).to_wire()
        raise exceptions.Conflict(reason='the alarm %s changes too often; try again' % alarm_id)

    def get_alarm_history(self, ctxt, alarm_id: str, types: list[str] | None = None,
                          start: int | None = None, end: int | None = None,
                          marker: str | None = None, limit: int = 100,
                          ascending: bool = False) -> dict:
        """A Page of HistoryItems of one alarm (still readable after its
        deletion), newest first unless ``ascending``; ``types`` among
        model.HISTORY_TYPES, ``start``/``end`` epoch ms (inclusive)."""
        project_id = _project(ctxt)
        kinds = set(types or model.HISTORY_TYPES)
        if not kinds <= set(model.HISTORY_TYPES):
            raise exceptions.InvalidParameterValue(
                name='types', reason='must be among %s.' % ', '.join(model.HISTORY_TYPES))
        stored_kinds = {records.STORED_HISTORY_TYPES[k] for k in kinds}
        item_type = next(iter(stored_kinds)) if len(stored_kinds) == 1 else None
        limit = max(1, min(int(limit), MAX_LIMIT))
        found: list[model.HistoryItem] = []
        try:
            after = None if marker is None else int(marker)
        except (TypeError, ValueError):
            raise exceptions.InvalidNextToken() from None
        while len(found) <= limit:
            rows = self.alarms.history(
                project_id, name=None, alarm_id=alarm_id,
                types=(records.METRIC, records.COMPOSITE),
                item_type=item_type,
                start=start, end=end, ascending=ascending, after_id=after, limit=limit + 1)
            if not rows:
                break
            after = rows[-1].id
            found.extend(i for i in map(records.history_of, rows) if i.type in kinds)
            if len(rows) <= limit:
                break
        return model.Page(found[:limit], str(found[limit - 1].id)
                          if len(found) > limit else None).to_wire()
