"""Large alarm listings rendered straight from the engine's rows
(:mod:`heat_watch.watch.rows`) to the Ceilometer v2 / Aodh JSON: the same
documents :mod:`heat_watch.api.alarm_mapping_render` makes of records (and
tested equal to them), without a record per alarm, written with orjson.

GET /v2/alarms and GET /v2/alarms/{id}/history answer thousands of rows; a
record built, sent over RPC, read back, rendered and encoded by pecan's json
renderer cost about 100 us of CPU per alarm and 60 us per history row.
"""

import json
from collections.abc import Callable

import orjson
import webob

from heat_watch.api import alarm_mapping
from heat_watch.api import alarm_mapping_render as alarm_render
from heat_watch.common import alarms as hw_alarms
from heat_watch.watch import model, rows

_ACTION_FIELDS = tuple(alarm_mapping.ACTION_FIELDS.items())
_COMPOSITE = hw_alarms.COMPOSITE


def json_response(docs: list[dict], status: int = 200) -> webob.Response:
    """A JSON answer of documents, encoded by orjson (pecan's json renderer
    took a tenth of a large listing's time)."""
    return webob.Response(body=orjson.dumps(docs), status=status,
                          content_type='application/json', charset=None)


def child_names(page: rows.RowPage) -> list[str]:
    """The child alarm names the combination-shaped composite alarms of a
    page of alarm rows name."""
    at = page.index()
    names = []
    for row in page.rows:
        if row[at['type']] == _COMPOSITE:
            combination = alarm_mapping.combination_of_expression(row[at['expression']])
            if combination is not None:
                names.extend(combination[1])
    return names


def alarm_docs(page: rows.RowPage, ids_of: dict[str, dict[str, str]]) -> list[dict]:
    """The REST documents of a page of alarm rows (as alarm_render.alarm_doc
    renders records); ``ids_of`` maps a project to the ids of its child
    alarms' names."""
    render = _alarm_renderer(page.index(), ids_of)
    return [render(row) for row in page.rows]


def _alarm_renderer(at: dict[str, int],
                    ids_of: dict[str, dict[str, str]]) -> Callable[[list], dict]:
    (i_id, i_project, i_user, i_name, i_description, i_type, i_namespace, i_metric,
     i_dimensions, i_statistic, i_percentile, i_period, i_periods, i_comparison,
     i_threshold, i_expression, i_actions, i_enabled, i_repeat, i_severity, i_created,
     i_updated, i_state, i_reason, i_transitioned) = (at[c] for c in rows.ALARM_COLUMNS)
    iso, states = alarm_mapping.iso, alarm_mapping.STATES
    statistics, comparisons = alarm_mapping.REST_STATISTICS, alarm_mapping.REST_COMPARISONS

    def render(row: list) -> dict:
        project_id = row[i_project]
        actions = row[i_actions]
        doc = {'alarm_id': row[i_id], 'name': row[i_name],
               'description': row[i_description] or '', 'enabled': bool(row[i_enabled]),
               'severity': row[i_severity], 'repeat_actions': bool(row[i_repeat]),
               'time_constraints': [], 'project_id': project_id, 'user_id': row[i_user],
               'timestamp': iso(row[i_updated] or row[i_created])}
        for field, state in _ACTION_FIELDS:
            doc[field] = list(actions.get(state) or [])
        if row[i_type] == _COMPOSITE:
            alarm_render.composite_rule_doc(doc, row[i_expression],
                                            ids_of.get(project_id, {}))
        else:
            doc['type'] = 'threshold'
            doc['threshold_rule'] = {
                'meter_name': row[i_metric],
                'comparison_operator': comparisons[row[i_comparison]],
                'threshold': row[i_threshold],
                'statistic': statistics.get(row[i_statistic] or '') or
                model.percentile_name(row[i_percentile] or 0),
                'period': row[i_period], 'evaluation_periods': row[i_periods],
                'query': alarm_render.query_of(row[i_namespace], row[i_dimensions] or (),
                                               project_id),
                'exclude_outliers': False}
        doc['state'] = states[row[i_state]]
        doc['state_timestamp'] = iso(row[i_transitioned])
        doc['state_reason'] = row[i_reason]
        return doc
    return render


def history_docs(page: rows.RowPage,
                 ids_of_children: Callable[[list[model.AlarmDefinition]], dict[str, str]],
                 ) -> list[dict]:
    """The REST history rows of a page of history rows (as
    alarm_render.history_doc renders items). A state transition's detail is
    read with orjson and written again in two fields; the rare configuration
    items go through their records (``ids_of_children`` maps the child alarm
    names of their definitions to ids)."""
    at = page.index()
    i_type, i_detail = at['type'], at['detail']
    configured = [_item(row, at) for row in page.rows if row[i_type] != 'state transition']
    ids_of = ids_of_children([d for d in map(_definition, configured) if d]) \
        if configured else {}
    configured_docs = iter(alarm_render.history_doc(item, ids_of) for item in configured)
    iso, states = alarm_mapping.iso, alarm_mapping.STATES
    i_id, i_alarm, i_project, i_stamp = at['id'], at['alarm_id'], at['project_id'], \
        at['timestamp']
    docs = []
    for row in page.rows:
        if row[i_type] != 'state transition':
            docs.append(next(configured_docs))
            continue
        detail = _loads(row[i_detail])
        state = detail.get('state')
        docs.append({'event_id': str(row[i_id]), 'alarm_id': row[i_alarm],
                     'type': 'state transition',
                     'detail': orjson.dumps({'state': states.get(state, state),
                                             'transition_reason': detail.get('reason')}
                                            ).decode(),
                     'project_id': row[i_project], 'user_id': None,
                     'on_behalf_of': row[i_project], 'timestamp': iso(row[i_stamp])})
    return docs


def _item(row: list, at: dict[str, int]) -> model.HistoryItem:
    return model.HistoryItem(
        id=row[at['id']], alarm_id=row[at['alarm_id']], alarm_name=row[at['alarm_name']],
        alarm_type=row[at['alarm_type']], project_id=row[at['project_id']],
        timestamp=row[at['timestamp']], type=row[at['type']], summary='',
        detail=_loads(row[at['detail']]))


def _definition(item: model.HistoryItem) -> model.AlarmDefinition | None:
    data = (item.detail or {}).get('definition')
    try:
        return model.AlarmDefinition.from_wire(data) if isinstance(data, dict) else None
    except (KeyError, TypeError, ValueError):
        return None


def _loads(text: str | None) -> dict:
    # orjson, and json for what it refuses (NaN, Infinity in a reason's data).
    if not text:
        return {}
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
