"""POST /v2/query/alarms and /v2/query/alarms/history: Aodh's complex query.

The body is ``{"filter": JSON text, "orderby": JSON text, "limit": n}``; the
filter language is Aodh's: ``{"=": {"field": value}}`` with the operators
=, !=, <, <=, >, >=, =~ (a regular expression), ``{"in": {"field": [..]}}``,
``{"and": [..]}``, ``{"or": [..]}`` and ``{"not": {..}}``; orderby is a list
of ``{"field": "asc"|"desc"}``.

The filter is checked whole before anything is read, then applied to the
REST documents of the caller's project (at most MAX_ALARMS alarms or
history rows are read). An administrator reads another project's by naming
it: ``{"=": {"project_id": "..."}}`` at the top of the filter or of its
top-level "and"; anybody else naming another project is refused (403).
"""

import datetime
import json
import re
from collections.abc import Callable
from typing import Any

import pecan
from oslo_utils import timeutils

from heat_watch.api import alarm_mapping_render as alarm_render
from heat_watch.api import policy
from heat_watch.api.controllers.v2 import alarm_requests, alarms
from heat_watch.api.controllers.v2.alarm_requests import Refused, answers
from heat_watch.api.policies import alarms as alarm_policies
from heat_watch.watch import model

COMPARISONS = {'=': lambda a, b: a == b, '!=': lambda a, b: a != b,
               '<': lambda a, b: a < b, '<=': lambda a, b: a <= b,
               '>': lambda a, b: a > b, '>=': lambda a, b: a >= b}
_ORDERED = ('<', '<=', '>', '>=')
ALARM_FIELDS = ('alarm_id', 'name', 'description', 'type', 'enabled', 'state', 'severity',
                'repeat_actions', 'project_id', 'user_id', 'timestamp', 'state_timestamp',
                'state_reason', 'alarm_actions', 'ok_actions', 'insufficient_data_actions')
HISTORY_FIELDS = ('event_id', 'alarm_id', 'type', 'detail', 'project_id', 'user_id',
                  'on_behalf_of', 'timestamp')
TIME_FIELDS = ('timestamp', 'state_timestamp')
RULE_PREFIXES = ('threshold_rule.', 'combination_rule.', 'composite_rule.')
MAX_DEPTH = 20
MAX_LIMIT = alarm_requests.MAX_ALARMS

Predicate = Callable[[dict], bool]


def _field_value(doc: dict, field: str) -> Any:
    value: Any = doc
    for part in field.split('.'):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _time(value: Any, field: str) -> datetime.datetime:
    try:
        return timeutils.normalize_time(timeutils.parse_isotime(str(value)))
    except ValueError:
        raise Refused('%s: %r is not an ISO 8601 time.' % (field, value)) from None


def _comparable(value: Any, field: str) -> Any:
    if field in TIME_FIELDS and value is not None:
        return _time(value, field)
    if field == 'state' and isinstance(value, str):
        return value.lower()
    return value


def _check_field(field: Any, fields: tuple[str, ...]) -> str:
    rule_field = fields is ALARM_FIELDS and isinstance(field, str) and \
        field.startswith(RULE_PREFIXES)
    if not isinstance(field, str) or not (field in fields or rule_field):
        raise Refused('The field %r cannot be queried; use one of %s.'
                      % (field, ', '.join(fields)))
    return field


def _single(node: Any, op: str) -> tuple[str, Any]:
    if not isinstance(node, dict) or len(node) != 1:
        raise Refused('The operator %r takes one {field: value}.' % op)
    return next(iter(node.items()))


def compile_filter(node: Any, fields: tuple[str, ...], depth: int = 0) -> Predicate:
    """A predicate on documents of an Aodh filter (400 if malformed)."""
    if depth > MAX_DEPTH:
        raise Refused('The filter is nested too deeply.')
    if not isinstance(node, dict) or len(node) != 1:
        raise Refused('Each filter expression is an object with one operator.')
    op, operand = next(iter(node.items()))
    op = op.lower() if isinstance(op, str) else op
    if op in ('and', 'or'):
        if not isinstance(operand, list) or len(operand) < 2:
            raise Refused('%r takes a list of at least two expressions.' % op)
        parts = [compile_filter(n, fields, depth + 1) for n in operand]
        combine = all if op == 'and' else any
        return lambda doc: combine(p(doc) for p in parts)
    if op == 'not':
        inner = compile_filter(operand, fields, depth + 1)
        return lambda doc: not inner(doc)
    if op == 'in':
        field, values = _single(operand, op)
        _check_field(field, fields)
        if not isinstance(values, list) or not values:
            raise Refused('"in" takes a non-empty list of values.')
        wanted = [_comparable(v, field) for v in values]
        return lambda doc: _comparable(_field_value(doc, field), field) in wanted
    if op == '=~':
        field, pattern = _single(operand, op)
        _check_field(field, fields)
        try:
            regex = re.compile(str(pattern))
        except re.error as exc:
            raise Refused('=~: %r is not a regular expression (%s).' % (pattern, exc)) \
                from None
        return lambda doc: _field_value(doc, field) is not None and bool(
            regex.search(str(_field_value(doc, field))))
    if op in COMPARISONS:
        field, value = _single(operand, op)
        _check_field(field, fields)
        if isinstance(value, (dict, list)):
            raise Refused('%r compares with a single value.' % op)
        wanted = _comparable(value, field)
        compare = COMPARISONS[op]

        def matches(doc: dict) -> bool:
            have = _comparable(_field_value(doc, field), field)
            if have is None or (op in _ORDERED and isinstance(have, str) != isinstance(
                    wanted, str)):
                return op == '!=' and have != wanted
            try:
                return compare(have, wanted)
            except TypeError:
                return False
        return matches
    raise Refused('Unknown operator %r; use =, !=, <, <=, >, >=, =~, in, and, or, not.' % op)


def named_value(node: Any, field: str) -> str | None:
    """The value a filter requires of ``field`` with = at its top (or in
    its top "and"): every match has it."""
    if not isinstance(node, dict) or len(node) != 1:
        return None
    op, operand = next(iter(node.items()))
    if op == '=' and isinstance(operand, dict) and set(operand) == {field}:
        return str(operand[field])
    if op == 'and' and isinstance(operand, list):
        for part in operand:
            found = named_value(part, field)
            if found is not None:
                return found
    return None


def named_project(node: Any) -> str | None:
    """The project_id a filter names with = at its top (or its top "and")."""
    return named_value(node, 'project_id')


def _json_field(data: dict, field: str) -> Any:
    text = data.get(field)
    if text is None or text == '':
        return None
    if not isinstance(text, str):
        return text  # some callers send the structure itself
    try:
        return json.loads(text)
    except ValueError:
        raise Refused('%s is not valid JSON.' % field) from None


def orderings(orderby: Any, fields: tuple[str, ...]) -> list[tuple[str, bool]]:
    """(field, descending) pairs of an orderby list."""
    if orderby is None:
        return []
    if not isinstance(orderby, list):
        raise Refused('orderby is a list of {field: "asc"|"desc"}.')
    found = []
    for item in orderby:
        if not isinstance(item, dict) or len(item) != 1:
            raise Refused('orderby is a list of {field: "asc"|"desc"}.')
        field, direction = next(iter(item.items()))
        _check_field(field, fields)
        if not isinstance(direction, str) or direction.lower() not in ('asc', 'desc'):
            raise Refused('orderby direction of %s must be asc or desc.' % field)
        found.append((field, direction.lower() == 'desc'))
    return found


def sort_documents(docs: list[dict], order: list[tuple[str, bool]]) -> list[dict]:
    """Documents sorted by each (field, descending), None last."""
    for field, descending in reversed(order):
        present = [d for d in docs if _field_value(d, field) is not None]
        absent = [d for d in docs if _field_value(d, field) is None]
        present.sort(key=lambda d, f=field: _sort_key(_comparable(_field_value(d, f), f)),
                     reverse=descending)
        docs = present + absent
    return docs


def _sort_key(value: Any) -> tuple:
    return (str(type(value)), value if not isinstance(value, (list, dict)) else str(value))


class Query:
    """A parsed complex query: filter predicate, order, limit, project."""

    def __init__(self, data: Any, fields: tuple[str, ...]):
        if not isinstance(data, dict):
            raise Refused('The body is {"filter", "orderby", "limit"}.')
        unknown = set(data) - {'filter', 'orderby', 'limit'}
        if unknown:
            raise Refused('Unknown query fields: %s.' % ', '.join(sorted(unknown)))
        tree = _json_field(data, 'filter')
        self.predicate = compile_filter(tree, fields) if tree is not None else (lambda d: True)
        self.order = orderings(_json_field(data, 'orderby'), fields)
        limit = data.get('limit')
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or limit <= 0):
            raise Refused('limit must be a positive integer.')
        self.limit = min(limit or MAX_LIMIT, MAX_LIMIT)
        self.project_id = named_project(tree) if tree is not None else None
        # Finding an alarm by name (as aodhclient does) asks the engine for
        # that name only, rather than reading the project's every alarm.
        self.name = named_value(tree, 'name') if tree is not None else None

    def context(self):
        """The context of the project the query reads."""
        own = alarm_requests.own_context()
        return alarm_requests.context_for(self.project_id or own.project_id)

    def answer(self, docs: list[dict]) -> list[dict]:
        """The matching documents, ordered and limited."""
        return sort_documents([d for d in docs if self.predicate(d)], self.order)[:self.limit]


def _history_items(ctxt) -> list[model.HistoryItem]:
    engine = pecan.request.engine
    items: list[model.HistoryItem] = []
    marker = None
    while len(items) < alarm_requests.MAX_ALARMS:
        page = engine.get_alarm_history(ctxt, types=list(alarms.HISTORY_TYPES),
                                        marker=marker, limit=alarms.ENGINE_PAGE)
        items.extend(page.items)
        if page.marker is None:
            break
        marker = page.marker
    return items


def _authorized_query(fields, rule: str):
    """(the POSTed query, the context it acts in), once the policy allows ``rule``."""
    request = pecan.request
    if request.method != 'POST':
        raise Refused('Use POST.', 405)
    query = Query(alarm_requests.body(), fields)
    ctxt = query.context()
    policy.authorize(request.conf, ctxt, rule, {'project_id': ctxt.project_id})
    return query, ctxt


class AlarmHistoryQueryController:
    """POST /v2/query/alarms/history."""

    @pecan.expose('json')
    @answers
    def index(self):
        """History rows of the caller's project matching the query."""
        query, ctxt = _authorized_query(HISTORY_FIELDS, alarm_policies.QUERY_ALARM_HISTORY)
        items = _history_items(ctxt)
        definitions = [d for d in map(alarms.history_definition, items) if d]
        ids_of = alarms.ids_of_children(ctxt, definitions)
        return query.answer([alarm_render.history_doc(i, ids_of) for i in items])


class AlarmQueryController:
    """POST /v2/query/alarms."""

    history = AlarmHistoryQueryController()

    @pecan.expose('json')
    @answers
    def index(self):
        """Alarms of the caller's project matching the query."""
        query, ctxt = _authorized_query(ALARM_FIELDS, alarm_policies.QUERY_ALARMS)
        found = list(alarms.iter_alarms(ctxt, model.AlarmFilter(name=query.name)))
        return query.answer(alarms.documents(ctxt, found))


class QueryController:
    """/v2/query."""

    alarms = AlarmQueryController()
