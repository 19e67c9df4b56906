"""GET /v2/alarms: the q filters, the projects read (the caller's, one an
administrator names, or every project), and the answer, rendered from the
engine's alarm rows (:mod:`heat_watch.api.alarm_mapping_rows`)."""

from collections.abc import Callable
from typing import Any

import pecan
import webob
from oslo_utils import strutils

from heat_watch.api import alarm_mapping, policy
from heat_watch.api import alarm_mapping_rows as alarm_rows
from heat_watch.api.controllers.v2.alarm_requests import (
    MAX_ALARMS,
    Refused,
    boolean,
    context_for,
    limit_param,
    own_context,
    queries,
    sort_param,
)
from heat_watch.api.policies import alarms as alarm_policies
from heat_watch.common import alarms as hw_alarms
from heat_watch.watch import model, rows

# Alarms one engine call answers.
ENGINE_PAGE = 1000
SORT_KEYS = {'name': 'name', 'alarm_id': 'id', 'state': 'state',
             'state_timestamp': 'state_timestamp', 'timestamp': 'updated_at'}


def listed() -> webob.Response:
    """The answer to GET /v2/alarms."""
    request = pecan.request
    q, everywhere = all_projects_of(queries())
    everywhere = everywhere and not any(
        query['field'] in ('project_id', 'project') for query in q)
    project_id, filters, late = listing_filters(q, everywhere)
    ctxt, scope = listing_scope(project_id, everywhere)
    limit = limit_param()
    sort_key, direction = sort_param(SORT_KEYS, 'name')
    enough = MAX_ALARMS if 'type' in late else limit
    found = alarm_rows_of(ctxt, scope, filters, sort_key, direction,
                          request.GET.get('marker') or None, row_filter(late), enough)
    found.rows = found.rows[:enough]
    docs = alarm_rows.alarm_docs(found, ids_of_children_rows(ctxt, found, scope))
    if 'type' in late:
        docs = [d for d in docs if d['type'] == late['type']]
    return alarm_rows.json_response(docs[:limit])


def alarm_rows_of(ctxt, project_id: str | None, filters: model.AlarmFilter,
                  sort_key: str, sort_dir: str, marker: str | None,
                  keep: Callable[[list, dict[str, int]], bool], enough: int) -> rows.RowPage:
    """The rows of the alarms of ``project_id`` (None: every project)
    matching ``filters`` that ``keep`` keeps, page after page until
    ``enough`` are kept or MAX_ALARMS read."""
    engine = pecan.request.engine
    found: rows.RowPage | None = None
    read = 0
    while True:
        page = engine.list_alarm_rows(ctxt, project_id, filters, marker=marker,
                                      limit=ENGINE_PAGE, sort_key=sort_key, sort_dir=sort_dir)
        at = page.index()
        kept = [row for row in page.rows if keep(row, at)]
        if found is None:
            found = rows.RowPage(page.columns, kept)
        else:
            # Pages of two engines of different versions may order their
            # columns differently.
            found.rows.extend(kept if page.columns == found.columns else
                              [[row[at[c]] for c in found.columns] for row in kept])
        read += len(page.rows)
        if page.marker is None or read >= MAX_ALARMS or len(found.rows) >= enough:
            return found
        marker = page.marker


def ids_of_children_rows(ctxt, page: rows.RowPage, project_id: str | None) -> dict:
    """project id -> {child alarm name: id} for the combination rules of
    a page of alarm rows."""
    names = sorted(set(alarm_rows.child_names(page)))
    if not names:
        return {}
    children = alarm_rows_of(ctxt, project_id, model.AlarmFilter(names=names), 'name', 'asc',
                             None, lambda _row, _at: True, MAX_ALARMS)
    at = children.index()
    ids: dict[str, dict[str, str]] = {}
    for row in children.rows:
        ids.setdefault(row[at['project_id']], {})[row[at['name']]] = row[at['id']]
    return ids


# -- listing filters --------------------------------------------------------------------


def listing_filters(q: list[dict], everywhere: bool = False,
                    ) -> tuple[str | None, model.AlarmFilter, dict[str, str]]:
    """(project, engine filters, filters applied to the documents) of q;
    the project is the one q names, else the caller's: 403 for a token
    scoped to none (system scope), unless it reads ``everywhere``."""
    project_id = pecan.request.context.project_id if everywhere \
        else own_context().project_id
    engine: dict[str, Any] = {}
    late: dict[str, str] = {}
    for query in q:
        field, op, value = query['field'], query['op'], query['value']
        if op != 'eq':
            raise Refused('q.field=%s: only the operator eq is supported on alarms.' % field)
        if field in ('project_id', 'project'):
            project_id = value
        elif field == 'name':
            engine['name'] = value
        elif field == 'state':
            if value not in alarm_mapping.ENGINE_STATES:
                raise Refused('q.field=state takes one of %s.'
                              % ', '.join(alarm_mapping.ENGINE_STATES))
            engine['state'] = alarm_mapping.ENGINE_STATES[value]
        elif field == 'enabled':
            engine['enabled'] = boolean(field, value)
        elif field == 'severity':
            if value not in hw_alarms.SEVERITIES:
                raise Refused('q.field=severity takes one of %s.'
                              % ', '.join(hw_alarms.SEVERITIES))
            engine['severity'] = value
        elif field == 'type':
            if value not in alarm_mapping.TYPES:
                raise Refused('q.field=type takes one of %s.' % ', '.join(alarm_mapping.TYPES))
            engine['type'] = 'threshold' if value == 'threshold' else 'composite'
            if value != 'threshold':  # the engine's type tells composite from combination
                late['type'] = value
        elif field in ('meter', 'threshold_rule.meter_name'):
            engine['metric_name'] = value
        elif field in ('alarm_id', 'user_id'):
            late[field] = value
        else:
            raise Refused('q.field=%s is not supported on alarms; use name, state, enabled, '
                          'severity, type, meter, alarm_id, user_id or project_id.' % field)
    return project_id, model.AlarmFilter(**engine), late


def all_projects_of(q: list[dict]) -> tuple[list[dict], bool]:
    """(the other q filters, whether all projects are asked): all_projects=true
    as a parameter or, as Aodh reads it, as q.field=all_projects."""
    asked = pecan.request.GET.get('all_projects', '')
    others = []
    for query in q:
        if query['field'] == 'all_projects':
            if query['op'] != 'eq':
                raise Refused('q.field=all_projects takes only the operator eq.')
            asked = query['value']
        else:
            others.append(query)
    if not asked:
        return others, False
    try:
        # As the meters read it (the OpenAPI description's BooleanText).
        return others, strutils.bool_from_string(asked, strict=True)
    except ValueError:
        raise Refused('all_projects takes true or false.') from None


def listing_scope(project_id: str, everywhere: bool) -> tuple[Any, str | None]:
    """(context, project read: None for every project) of a listing,
    authorized: every project as heat_watch:get_alarms:all_projects allows
    (administrators), another project as heat_watch:all_projects does."""
    request = pecan.request
    if everywhere:
        ctxt = request.context
        policy.authorize(request.conf, ctxt, alarm_policies.GET_ALL_ALARMS,
                         {'project_id': ctxt.project_id})
        return ctxt, None
    ctxt = context_for(project_id)
    policy.authorize(request.conf, ctxt, alarm_policies.GET_ALARMS,
                     {'project_id': project_id})
    return ctxt, project_id


def row_filter(late: dict[str, str]) -> Callable[[list, dict[str, int]], bool]:
    """Whether an alarm row passes the filters no engine filter answers."""
    alarm_id, user_id = late.get('alarm_id'), late.get('user_id')

    def keep(row: list, at: dict[str, int]) -> bool:
        return (alarm_id is None or row[at['id']] == alarm_id) and \
            (user_id is None or row[at['user_id']] == user_id)
    return keep
