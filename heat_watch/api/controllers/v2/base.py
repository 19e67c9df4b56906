"""What the /v2 controllers share: the Query type of ``q`` filters and their
meaning as a selection of metrics, scoped by the policy."""

import dataclasses
import datetime

import pecan
import wsme
from oslo_utils import timeutils
from wsme import types as wtypes

from heat_watch.api import policy
from heat_watch.api.policies import base as base_policies
from heat_watch.api.wsme_glue import client_error
from heat_watch.common import exceptions, meter_mapping
from heat_watch.watch import model

OPERATORS = ('eq', 'ne', 'lt', 'le', 'gt', 'ge')
# Metrics one request reads at most.
MAX_METRICS = 10_000
_METADATA_PREFIXES = ('resource_metadata.', 'metadata.')
_METADATA_INNER = ('metering.', 'user_metadata.')


class Query(wtypes.Base):
    """One ``q`` filter: field, op (empty means eq), value and type (empty:
    guessed from the value)."""

    field = wsme.wsattr(wtypes.text, mandatory=True)
    op = wtypes.text
    value = wsme.wsattr(wtypes.text, mandatory=True)
    type = wtypes.text

    def operator(self) -> str:
        """The operator (eq when empty); checks that field and value are given
        (WSME does not enforce mandatory attributes of query parameters)."""
        if not isinstance(self.field, str) or not self.field:
            raise client_error('Every q filter needs a q.field.')
        if not isinstance(self.value, str):
            raise client_error('q.field=%s has no q.value.' % self.field)
        op = self.op if isinstance(self.op, str) and self.op else 'eq'
        if op not in OPERATORS:
            raise client_error('Operator %r of q.field=%s is not one of %s.'
                               % (op, self.field, ', '.join(OPERATORS)))
        return op


def parse_time(text: str, field: str = 'timestamp') -> datetime.datetime:
    """A naive UTC datetime of an ISO 8601 text."""
    try:
        stamp = timeutils.parse_isotime(text)
    except ValueError:
        raise client_error('%s=%r is not an ISO 8601 time.' % (field, text))
    return timeutils.normalize_time(stamp)


def to_ms(stamp: datetime.datetime) -> int:
    """Epoch milliseconds of a naive UTC datetime."""
    return int(stamp.replace(tzinfo=datetime.UTC).timestamp() * 1000)


def from_ms(stamp: int) -> datetime.datetime:
    """A naive UTC datetime of epoch milliseconds."""
    return datetime.datetime.fromtimestamp(stamp / 1000, datetime.UTC).replace(tzinfo=None)


@dataclasses.dataclass
class Selection:
    """The metrics and time range a request reads."""

    project_id: str | None
    namespace: str | None = None
    name: str | None = None
    dimensions: list[list[str]] = dataclasses.field(default_factory=list)
    resource_id: str | None = None
    start: int | None = None
    end: int | None = None

    def metrics(self, engine, ctxt, complete: bool = False) -> list[model.MetricInfo]:
        """The visible metrics of the selection (see meter_mapping), at most
        MAX_METRICS; with ``complete``, more is a 400 rather than an answer
        computed over part of them (statistics, newest samples)."""
        dimensions = list(self.dimensions)
        if self.resource_id is not None and '=' not in self.resource_id and \
                self.resource_id != meter_mapping.NO_DIMENSIONS:
            # Only a ResourceId dimension can hold such a resource_id: ask the
            # engine for it (the filter below still applies).
            dimensions = sorted(dimensions + [[meter_mapping.RESOURCE_DIMENSION,
                                               self.resource_id]])
        found = engine.find_metrics(ctxt, self.project_id, self.namespace, self.name,
                                    dimensions, MAX_METRICS + 1)
        if len(found) > MAX_METRICS:
            if complete:
                raise client_error('More than %d metrics match: narrow the query with q '
                                   'filters (meter, resource_id, source, '
                                   'resource_metadata.<name>).' % MAX_METRICS)
            found = found[:MAX_METRICS]
        found = meter_mapping.visible(found)
        if self.resource_id is not None:
            found = [m for m in found
                     if meter_mapping.resource_of(m.dimensions) == self.resource_id]
        return found


def metadata_dimension(field: str) -> str | None:
    for prefix in _METADATA_PREFIXES:
        if field.startswith(prefix):
            inner = field[len(prefix):]
            for known in _METADATA_INNER:
                if inner.startswith(known):
                    inner = inner[len(known):]
            return inner or None
    return None


def _only_eq(query: Query, op: str) -> None:
    if op != 'eq':
        raise client_error('q.field=%s takes only the operator eq.' % query.field)


def selection(q: list[Query] | None, all_projects: bool = False,
              meter: str | None = None, fields=('meter', 'project_id', 'resource_id',
                                                'source', 'timestamp')) -> Selection:
    """The Selection of ``q`` filters for the caller of this request.

    The caller's own project unless the policy lets it name another project
    (q.field=project_id) or every project (all_projects=true).
    """
    request = pecan.request
    ctxt = request.context
    if meter is not None:
        _checked('meter', meter, meter_mapping.MAX_NAME)
    chosen = Selection(project_id=ctxt.project_id, name=meter)
    other_project = all_projects
    if all_projects:
        chosen.project_id = None
    for query in q or []:
        op = query.operator()
        _checked('q.value', query.value, meter_mapping.MAX_VALUE)
        field = query.field
        dimension = metadata_dimension(field)
        if dimension is not None:
            _only_eq(query, op)
            chosen.dimensions.append([dimension, query.value])
        elif field not in fields:
            raise client_error('q.field=%s is not supported here; supported fields: %s '
                               'and resource_metadata.<name>.' % (field, ', '.join(fields)))
        elif field == 'timestamp':
            _time_filter(chosen, op, parse_time(query.value))
        else:
            _only_eq(query, op)
            if field == 'project_id':
                chosen.project_id = query.value
                other_project = other_project or query.value != ctxt.project_id
            elif field == 'meter':
                _checked('meter', query.value, meter_mapping.MAX_NAME)
                if meter is not None and query.value != meter:
                    raise client_error('q.field=meter contradicts the meter of the URL.')
                chosen.name = query.value
            elif field == 'resource_id':
                chosen.resource_id = query.value
            elif field == 'source':
                chosen.namespace = _checked('source', query.value, meter_mapping.MAX_NAME)
    if chosen.project_id is None and not all_projects:
        # A token without a project (system scope) names no data of its own:
        # reading everything must be asked for, never the default.
        raise client_error('The token is scoped to no project: name one with '
                           'q.field=project_id or ask all_projects=true.', 403)
    if other_project:
        policy.authorize(request.conf, ctxt, base_policies.ALL_PROJECTS)
    chosen.dimensions.sort()
    return chosen


def _checked(field: str, text: str, limit: int) -> str:
    try:
        return meter_mapping.check_text(field, text, limit)
    except exceptions.Invalid as error:
        raise client_error(str(error))


def _time_filter(chosen: Selection, op: str, stamp: datetime.datetime) -> None:
    ms = to_ms(stamp)
    if op in ('ge', 'gt'):
        start = ms if op == 'ge' else ms + 1
        chosen.start = start if chosen.start is None else max(chosen.start, start)
    elif op in ('le', 'lt'):
        end = ms if op == 'lt' else ms + 1
        chosen.end = end if chosen.end is None else min(chosen.end, end)
    elif op == 'eq':
        chosen.start, chosen.end = ms, ms + 1
    else:
        raise client_error('q.field=timestamp takes the operators lt, le, gt, ge and eq.')


def check_limit(limit: int | None, default: int, maximum: int = 10_000) -> int:
    """A valid limit: positive, at most ``maximum``."""
    if limit is None or limit is wsme.Unset:
        return default
    if limit <= 0:
        raise client_error('Limit must be positive.')
    return min(limit, maximum)
