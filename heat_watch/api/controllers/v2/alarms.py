"""/v2/alarms: alarms in the Ceilometer v2 / Aodh dialect, on the alarms the
CloudWatch API manages (see :mod:`heat_watch.api.alarm_mapping`).

Bodies are read and written as plain JSON rather than WSME types: both
clients send back every field GET returns (they update by GET, merge,
PUT), the state is a bare JSON string, and each refusal must name the field
in this dialect's words; :mod:`heat_watch.api.alarm_mapping` checks them, and
:mod:`heat_watch.api.alarm_mapping_render` writes the answers. The two long
answers, the listing (:mod:`.alarm_listing`) and the history, are written
from the engine's rows by :mod:`heat_watch.api.alarm_mapping_rows`.
"""

import functools
from collections.abc import Iterator
from typing import Any

import pecan
import webob
from pecan import rest
from wsme import exc as wsme_exc

from heat_watch.api import alarm_mapping, policy
from heat_watch.api import alarm_mapping_render as alarm_render
from heat_watch.api import alarm_mapping_rows as alarm_rows
from heat_watch.api.controllers.v2 import alarm_listing, base
from heat_watch.api.controllers.v2.alarm_requests import (
    MAX_ALARMS,
    Refused,
    answers,
    body,
    context_for,
    limit_param,
    own_context,
    queries,
    sort_param,
)
from heat_watch.api.policies import alarms as alarm_policies
from heat_watch.api.policies import base as base_policies
from heat_watch.common import exceptions
from heat_watch.watch import model

ENGINE_PAGE = alarm_listing.ENGINE_PAGE
HISTORY_TYPES = ('creation', 'rule change', 'state transition', 'deletion')
_TIME_OPS = ('lt', 'le', 'gt', 'ge', 'eq')


# -- engine reads -----------------------------------------------------------------------


def iter_alarms(ctxt, filters: model.AlarmFilter, sort_key: str = 'name',
                sort_dir: str = 'asc', marker: str | None = None) -> Iterator[model.Alarm]:
    """Every alarm of the context's project matching ``filters``, page
    after page, at most MAX_ALARMS."""
    engine = pecan.request.engine
    read = 0
    while read < MAX_ALARMS:
        page = engine.list_alarms(ctxt, filters, marker=marker, limit=ENGINE_PAGE,
                                  sort_key=sort_key, sort_dir=sort_dir)
        yield from page.items
        read += len(page.items)
        if page.marker is None:
            return
        marker = page.marker


def ids_of_children(ctxt, definitions: list[model.AlarmDefinition]) -> dict[str, str]:
    """Alarm ids of the child alarm names combination rules name."""
    names = sorted({n for d in definitions for n in alarm_render.child_names(d)})
    if not names:
        return {}
    found = iter_alarms(ctxt, model.AlarmFilter(names=names))
    return {a.definition.name: a.definition.id for a in found}


def documents(ctxt, alarms: list[model.Alarm]) -> list[dict]:
    """REST documents of alarms of one project."""
    ids_of = ids_of_children(ctxt, [a.definition for a in alarms])
    return [alarm_render.alarm_doc(a, ids_of) for a in alarms]


def names_of(ctxt, alarm_ids: list[str]) -> list[str]:
    """The names of a combination's child alarms (400 if one is unknown here)."""
    names = []
    for alarm_id in alarm_ids:
        try:
            names.append(pecan.request.engine.get_alarm(ctxt, alarm_id).definition.name)
        except exceptions.NotFound:
            raise Refused('combination_rule.alarm_ids: alarm %s not found.'
                          % alarm_id) from None
    return names


def checked_definition(ctxt, data: Any,
                       current: model.AlarmDefinition | None = None) -> model.AlarmDefinition:
    """The engine definition of a POST/PUT body (in ``ctxt``'s project)."""
    if not isinstance(data, dict):
        raise Refused('The body must be a JSON object (an alarm).')
    children = None
    if data.get('type') == 'combination':
        children = names_of(ctxt, alarm_mapping.combination_ids(data))
    user_id = current.user_id if current is not None else ctxt.user_id
    given_user = data.get('user_id')
    if given_user is not None and given_user != user_id:
        if not isinstance(given_user, str) or not given_user or len(given_user) > 255:
            raise Refused('user_id must be a string of 1 to 255 characters.')
        # Naming another user than oneself is an administrator's act.
        policy.authorize(pecan.request.conf, pecan.request.context,
                         base_policies.ALL_PROJECTS, {'project_id': ctxt.project_id})
        user_id = given_user
    return alarm_mapping.definition_of(data, ctxt.project_id, user_id, children, current)


def target_project(data: Any, own: str) -> str:
    """The project a POST body names (its project_id, else the caller's)."""
    project_id = data.get('project_id') if isinstance(data, dict) else None
    if project_id is None:
        return own
    if not isinstance(project_id, str) or not project_id or len(project_id) > 255:
        raise Refused('project_id must be a string of 1 to 255 characters.')
    return project_id


def set_state(ctxt, alarm_id: str, state: Any, reason: str) -> model.AlarmState:
    """A state given in this dialect, set as a real transition."""
    if state not in alarm_mapping.ENGINE_STATES:
        raise Refused('state must be one of %s.' % ', '.join(alarm_mapping.ENGINE_STATES))
    return pecan.request.engine.set_alarm_state_by_id(
        ctxt, alarm_id, alarm_mapping.ENGINE_STATES[state], reason,
        {'source': 'REST API', 'state': state})


# -- controllers ------------------------------------------------------------------------


class AlarmController(rest.RestController):
    """/v2/alarms/{alarm_id}, its state and its history."""

    _custom_actions = {'state': ['GET', 'PUT'], 'history': ['GET']}

    def __init__(self, alarm_id: str):
        self.alarm_id = alarm_id

    def _alarm(self, rule: str) -> tuple[Any, model.Alarm]:
        request = pecan.request
        ctxt = own_context()
        policy.authorize(request.conf, ctxt, rule)
        return ctxt, request.engine.get_alarm(ctxt, self.alarm_id)

    @pecan.expose('json')
    @answers
    def get(self):
        """The alarm."""
        ctxt, alarm = self._alarm(alarm_policies.GET_ALARM)
        return documents(ctxt, [alarm])[0]

    @pecan.expose('json')
    @answers
    def put(self):
        """Replace the alarm (a state differing from the current one is set)."""
        ctxt, alarm = self._alarm(alarm_policies.CHANGE_ALARM)
        data = body()
        if target_project(data, ctxt.project_id) != ctxt.project_id:
            raise Refused('An alarm cannot move to another project.')
        definition = checked_definition(ctxt, data, alarm.definition)
        engine = pecan.request.engine
        updated = engine.update_alarm(ctxt, self.alarm_id, definition)
        state = data.get('state')
        if state is not None and alarm_mapping.ENGINE_STATES.get(state) != \
                updated.state.state:
            set_state(ctxt, self.alarm_id, state, 'State set by an alarm update')
            updated = engine.get_alarm(ctxt, self.alarm_id)
        return documents(ctxt, [updated])[0]

    @pecan.expose('json')
    @answers
    def delete(self):
        """Delete the alarm (its history stays readable)."""
        ctxt, _alarm = self._alarm(alarm_policies.DELETE_ALARM)
        pecan.request.engine.delete_alarm(ctxt, self.alarm_id)
        # A response of its own: the json renderer would write "null" into a
        # 204, which breaks the client's kept-alive connection.
        return webob.Response(status=204)

    @pecan.expose('json')
    @answers
    def get_state(self):
        """The alarm's state ("ok", "alarm" or "insufficient data")."""
        _ctxt, alarm = self._alarm(alarm_policies.GET_ALARM_STATE)
        return alarm_mapping.STATES[alarm.state.state]

    @pecan.expose('json')
    @answers
    def put_state(self):
        """Set the alarm's state (a real transition: history, actions)."""
        ctxt, _alarm = self._alarm(alarm_policies.CHANGE_ALARM_STATE)
        state = body()
        changed = set_state(ctxt, self.alarm_id, state, 'State set through the REST API')
        return alarm_mapping.STATES[changed.state]

    @pecan.expose('json')
    @answers
    def history(self):
        """The alarm's history, newest first (q on timestamp and type)."""
        request = pecan.request
        ctxt = own_context()
        policy.authorize(request.conf, ctxt, alarm_policies.ALARM_HISTORY)
        types, start, end = history_filters(queries())
        _key, direction = sort_param({'timestamp': 'timestamp'}, 'timestamp')
        direction = direction if request.GET.getall('sort') else 'desc'
        page = request.engine.alarm_history_rows(
            ctxt, ctxt.project_id, alarm_id=self.alarm_id, types=types, start=start,
            end=end, marker=request.GET.get('marker') or None,
            limit=limit_param(1000, 1000), ascending=direction == 'asc')
        return alarm_rows.json_response(alarm_rows.history_docs(
            page, functools.partial(ids_of_children, ctxt)))


def history_definition(item: model.HistoryItem) -> model.AlarmDefinition | None:
    """The definition a creation, rule change or deletion item records."""
    data = (item.detail or {}).get('definition')
    try:
        return model.AlarmDefinition.from_wire(data) if isinstance(data, dict) else None
    except (KeyError, TypeError, ValueError):
        return None


def history_filters(q: list[dict]) -> tuple[list[str], int | None, int | None]:
    """(types, start ms, end ms) of history q filters (timestamp, type)."""
    types = list(HISTORY_TYPES)
    start = end = None
    for query in q:
        field, op, value = query['field'], query['op'], query['value']
        if field == 'type':
            if op != 'eq' or value not in HISTORY_TYPES:
                raise Refused('q.field=type takes op eq and one of %s.'
                              % ', '.join(HISTORY_TYPES))
            types = [t for t in types if t == value]
        elif field == 'timestamp':
            if op not in _TIME_OPS:
                raise Refused('q.field=timestamp takes the operators %s.' % ', '.join(_TIME_OPS))
            try:
                ms = base.to_ms(base.parse_time(value))
            except wsme_exc.ClientSideError:
                raise Refused('q.field=timestamp: %r is not an ISO 8601 time.' % value) from None
            low = {'ge': ms, 'gt': ms + 1, 'eq': ms}.get(op)
            high = {'le': ms, 'lt': ms - 1, 'eq': ms}.get(op)
            if low is not None:
                start = low if start is None else max(start, low)
            if high is not None:
                end = high if end is None else min(end, high)
        else:
            raise Refused('q.field=%s is not supported on history; use timestamp or type.'
                          % field)
    return types, start, end


class AlarmsController(rest.RestController):
    """/v2/alarms."""

    @pecan.expose()
    def _lookup(self, alarm_id, *remainder):
        return AlarmController(alarm_id), remainder

    @pecan.expose('json')
    @answers
    def get_all(self, **_params):
        """Alarms matching the q filters (limit, marker, sort=key:dir); an
        administrator's all_projects=true (or q.field=all_projects) lists
        every project's."""
        return alarm_listing.listed()

    @pecan.expose('json')
    @answers
    def post(self):
        """Create an alarm; evaluated at once (a state given is then set)."""
        request = pecan.request
        data = body()
        # An administrator may create an alarm in another project (as
        # --project-id asks); anybody else naming one is refused (403).
        ctxt = context_for(target_project(data, own_context().project_id))
        policy.authorize(request.conf, ctxt, alarm_policies.CREATE_ALARM,
                         {'project_id': ctxt.project_id})
        definition = checked_definition(ctxt, data)
        state = data.get('state')
        created = request.engine.create_alarm(ctxt, definition)
        if state is not None and alarm_mapping.ENGINE_STATES[state] != created.state.state:
            set_state(ctxt, created.definition.id, state, 'State given at creation')
            created = request.engine.get_alarm(ctxt, created.definition.id)
        pecan.response.status = 201
        return documents(ctxt, [created])[0]
