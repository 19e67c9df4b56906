"""How a Ceilometer v2 / Aodh alarm maps to the watch engine's alarm, both ways.

One store, two dialects: an alarm made through /v2/alarms is the alarm
DescribeAlarms shows, and an alarm made through PutMetricAlarm is one
/v2/alarms shows. The engine's records (:mod:`heat_watch.watch.model`) are
the common ground; this module turns a REST body into an
:class:`AlarmDefinition` and an :class:`Alarm` into a REST document.

threshold_rule -> ThresholdRule:

* ``meter_name`` is the metric name; the ``query`` picks the metric as
  :mod:`heat_watch.common.meter_mapping` writes samples: ``resource_id`` (or
  ``resource``) is the dimension ResourceId, ``metadata.user_metadata.X``,
  ``metadata.metering.X``, ``resource_metadata.X`` are the dimension X (the
  group pattern: one alarm on AutoScalingGroupName sees every instance),
  ``source`` is the namespace (default "openstack"), ``project_id`` may
  only name the alarm's own project; every operator but eq is refused.
* ``comparison_operator`` gt/ge/lt/le, ``statistic`` avg/sum/min/max/count
  (a percentile alarm made through CloudWatch reads as ``pNN`` and is
  accepted back), ``threshold``, ``period``, ``evaluation_periods``.
* ``exclude_outliers`` true, eq/ne comparisons and ``time_constraints``
  have no counterpart in the engine: a 400, never a silent change.

combination_rule (``alarm_ids``, ``operator`` and/or) is the composite rule
``ALARM("a") AND ALARM("b")`` over the named alarms; a composite alarm made
through CloudWatch reads as a combination when its expression has that
form, otherwise as type composite with ``composite_rule`` = ``{"expression":
...}``, which is accepted back. Aodh's composite_rule of inline threshold
rules has no engine counterpart: a 400.

What the engine keeps beyond the REST fields (missing-data and
low-sample-count policies, datapoints to alarm, unit, tags) is kept by a
PUT: a PUT replaces only what this dialect says.
"""

import datetime
import functools
import math
import re
from typing import Any

from heat_watch.common import alarms as hw_alarms
from heat_watch.common import exceptions, meter_mapping
from heat_watch.watch import model

STATES = {hw_alarms.OK: 'ok', hw_alarms.ALARM: 'alarm',
          hw_alarms.INSUFFICIENT_DATA: 'insufficient data'}
ENGINE_STATES = {v: k for k, v in STATES.items()}
COMPARISONS = {'gt': 'GreaterThanThreshold', 'ge': 'GreaterThanOrEqualToThreshold',
               'lt': 'LessThanThreshold', 'le': 'LessThanOrEqualToThreshold'}
REST_COMPARISONS = {v: k for k, v in COMPARISONS.items()}
STATISTICS = {'avg': 'Average', 'sum': 'Sum', 'min': 'Minimum', 'max': 'Maximum',
              'count': 'SampleCount'}
REST_STATISTICS = {v: k for k, v in STATISTICS.items()}
TYPES = ('threshold', 'combination', 'composite')
ACTION_FIELDS = {'alarm_actions': hw_alarms.ALARM, 'ok_actions': hw_alarms.OK,
                 'insufficient_data_actions': hw_alarms.INSUFFICIENT_DATA}
# Fields GET returns that a body may carry back but that a write ignores
# (the server sets them).
READ_ONLY = ('alarm_id', 'timestamp', 'state_timestamp', 'state_reason', 'project_id',
             'user_id', 'rule')
WRITABLE = ('name', 'description', 'type', 'enabled', 'state', 'severity', 'repeat_actions',
            'time_constraints', 'threshold_rule', 'combination_rule', 'composite_rule',
            *ACTION_FIELDS)
RESOURCE_FIELDS = ('resource_id', 'resource')
_METADATA_PREFIXES = ('metadata.user_metadata.', 'metadata.metering.',
                      'resource_metadata.metering.', 'resource_metadata.user_metadata.',
                      'resource_metadata.', 'metadata.')
_PERCENTILE = re.compile(r'^p(\d+(\.\d+)?)$')
_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_COMBINATION = re.compile(r'^ALARM\(%s\)(?:\s+(AND|OR)\s+ALARM\(%s\))*$' % (_QUOTED, _QUOTED))
_CHILD = re.compile(r'ALARM\(%s\)' % _QUOTED)
_JOINER = re.compile(r'\)\s+(AND|OR)\s+ALARM\(')
MAX_NAME = 255
MAX_DESCRIPTION = 1024
MAX_ACTIONS = 5


def invalid(field: str, reason: str) -> exceptions.InvalidParameterValue:
    """The 400 of a field this dialect cannot take."""
    return exceptions.InvalidParameterValue(name=field, reason=reason)


_EPOCH = datetime.datetime(1970, 1, 1)


def iso(stamp_ms: int | None) -> str | None:
    """Ceilometer's timestamp text (naive UTC) of epoch milliseconds."""
    if stamp_ms is None:
        return None
    # A large listing writes two times per alarm, mostly within a few
    # seconds of each other: each second's text is made once.
    seconds, millis = divmod(stamp_ms, 1000)
    text = _second(seconds)
    return '%s.%03d000' % (text, millis) if millis else text


@functools.lru_cache(maxsize=4096)
def _second(seconds: int) -> str:
    return (_EPOCH + datetime.timedelta(seconds=seconds)).isoformat()


# -- REST -> engine ---------------------------------------------------------------------


def _text(body: dict, field: str, limit: int, required: bool = False) -> str | None:
    value = body.get(field)
    if value is None:
        if required:
            raise invalid(field, 'is required.')
        return None
    if not isinstance(value, str) or (required and not value) or len(value) > limit:
        raise invalid(field, 'must be a string of %s to %d characters.'
                      % ('1' if required else '0', limit))
    return value


def _bool(body: dict, field: str, default: bool) -> bool:
    value = body.get(field)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(field, 'must be true or false.')
    return value


def _number(rule: dict, field: str, default: Any = None, integer: bool = False,
            minimum: float | None = None) -> Any:
    value = rule.get(field, default)
    if value is None:
        raise invalid('threshold_rule.%s' % field, 'is required.')
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value) or (integer and value != int(value)):
        raise invalid('threshold_rule.%s' % field,
                      'must be %s.' % ('an integer' if integer else 'a number'))
    if minimum is not None and value < minimum:
        raise invalid('threshold_rule.%s' % field, 'must be at least %s.' % minimum)
    return int(value) if integer else float(value)


def _actions(body: dict) -> dict[str, list[str]]:
    actions = {}
    for field, state in ACTION_FIELDS.items():
        urls = body.get(field) or []
        if not isinstance(urls, list) or not all(isinstance(u, str) and u for u in urls):
            raise invalid(field, 'must be a list of URLs.')
        if len(urls) > MAX_ACTIONS:
            raise invalid(field, 'at most %d actions.' % MAX_ACTIONS)
        hw_alarms.check_actions(field, urls)
        actions[state] = list(dict.fromkeys(urls))
    return actions


def metadata_dimension(field: str) -> str | None:
    """The dimension a query field on resource metadata names."""
    for prefix in _METADATA_PREFIXES:
        if field.startswith(prefix) and len(field) > len(prefix):
            return field[len(prefix):]
    return None


def metric_of_query(meter_name: str, query: Any, project_id: str) -> model.MetricSelector:
    """The metric a threshold rule's meter_name and query pick."""
    meter_mapping.check_text('threshold_rule.meter_name', meter_name, meter_mapping.MAX_NAME)
    if query is None:
        query = []
    if not isinstance(query, list):
        raise invalid('threshold_rule.query', 'must be a list of {field, op, value}.')
    namespace = meter_mapping.DEFAULT_SOURCE
    dimensions: dict[str, str] = {}
    for item in query:
        if not isinstance(item, dict) or not isinstance(item.get('field'), str):
            raise invalid('threshold_rule.query', 'each filter is {field, op, value}.')
        field, op = item['field'], item.get('op') or 'eq'
        value = item.get('value')
        if value is None or isinstance(value, (dict, list)):
            raise invalid('threshold_rule.query', 'the filter on %s has no value.' % field)
        value = str(value) if not isinstance(value, bool) else str(value).lower()
        if op != 'eq':
            raise invalid('threshold_rule.query', 'the filter on %s uses %r: a CloudWatch '
                          'metric is picked by equal dimensions only (op eq).' % (field, op))
        name = meter_mapping.RESOURCE_DIMENSION if field in RESOURCE_FIELDS \
            else metadata_dimension(field)
        if field == 'source':
            namespace = meter_mapping.check_source(value)
        elif field in ('project_id', 'project'):
            if value != project_id:
                raise invalid('threshold_rule.query', 'an alarm reads the data of its '
                              'own project only.')
        elif name is None:
            raise invalid('threshold_rule.query', 'the field %r is not supported; use '
                          'resource_id, source, project_id or metadata.user_metadata.<name>.'
                          % field)
        else:
            meter_mapping.check_text('threshold_rule.query', name, meter_mapping.MAX_NAME)
            meter_mapping.check_text('threshold_rule.query', value, meter_mapping.MAX_VALUE)
            if dimensions.get(name, value) != value:
                raise invalid('threshold_rule.query', 'two values for %s.' % field)
            dimensions[name] = value
    if len(dimensions) > meter_mapping.MAX_DIMENSIONS:
        raise invalid('threshold_rule.query', 'at most %d dimensions.'
                      % meter_mapping.MAX_DIMENSIONS)
    return model.MetricSelector(namespace, meter_name,
                                tuple(tuple(d) for d in sorted(dimensions.items())))


def threshold_rule_of(rule: Any, project_id: str,
                      kept: model.ThresholdRule | None = None) -> model.ThresholdRule:
    """The engine's ThresholdRule of a REST threshold_rule (``kept``: the
    current rule, whose engine-only settings a PUT keeps)."""
    if not isinstance(rule, dict):
        raise invalid('threshold_rule', 'is required for a threshold alarm (an object).')
    if rule.get('exclude_outliers'):
        raise invalid('threshold_rule.exclude_outliers', 'true is not supported: the watch '
                      'engine keeps no per-sample deviation to exclude outliers by.')
    comparison = rule.get('comparison_operator') or 'eq'
    if comparison not in COMPARISONS:
        raise invalid('threshold_rule.comparison_operator',
                      '%r is not supported; use one of gt, ge, lt, le (the engine '
                      'has no eq or ne comparison).' % comparison)
    statistic, percentile = _statistic_of(rule.get('statistic') or 'avg')
    meter_name = rule.get('meter_name')
    if not isinstance(meter_name, str):
        raise invalid('threshold_rule.meter_name', 'is required.')
    period = _number(rule, 'period', 60, integer=True, minimum=1)
    if period % 60 and period not in (10, 30):
        raise invalid('threshold_rule.period', 'must be 10, 30 or a multiple of 60 seconds.')
    extra = {}
    if kept is not None:
        extra = {'datapoints_to_alarm': kept.datapoints_to_alarm,
                 'missing_data': kept.missing_data, 'low_sample_count': kept.low_sample_count}
    evaluation_periods = _number(rule, 'evaluation_periods', 1, integer=True, minimum=1)
    # CloudWatch's bound on the window an evaluation reads (the engine reads
    # every period of it).
    limit = hw_alarms.max_evaluation_range(period)
    if period * evaluation_periods > limit:
        raise invalid('threshold_rule.evaluation_periods', 'period times evaluation_periods '
                      'must not exceed %d seconds (one day for periods under an hour, seven '
                      'days otherwise).' % limit)
    kept_datapoints = extra.get('datapoints_to_alarm')
    if kept_datapoints is not None and kept_datapoints > evaluation_periods:
        raise invalid('threshold_rule.evaluation_periods', 'the alarm needs %d breaching '
                      'periods (DatapointsToAlarm, set through CloudWatch): at least that '
                      'many evaluation periods.' % kept_datapoints)
    metric = metric_of_query(meter_name, rule.get('query'), project_id)
    if kept is not None and kept.metric.unit:
        metric = model.MetricSelector(metric.namespace, metric.metric_name,
                                      metric.dimensions, kept.metric.unit)
    return model.ThresholdRule(
        metric=metric, period=period,
        evaluation_periods=evaluation_periods,
        comparison=COMPARISONS[comparison], threshold=_number(rule, 'threshold'),
        statistic=statistic, percentile=percentile, **extra)


def _statistic_of(text: Any) -> tuple[str | None, float | None]:
    if text in STATISTICS:
        return STATISTICS[text], None
    matched = _PERCENTILE.match(text) if isinstance(text, str) else None
    if matched and 0 <= float(matched.group(1)) <= 100:
        return None, float(matched.group(1))
    raise invalid('threshold_rule.statistic', '%r is not supported; use one of %s or pNN '
                  '(a percentile).' % (text, ', '.join(STATISTICS)))


def combination_expression(operator: Any, names: list[str]) -> str:
    """The engine's composite expression of a combination rule."""
    if operator not in ('and', 'or'):
        raise invalid('combination_rule.operator', 'must be and or or.')
    quoted = ['ALARM("%s")' % n.replace('\\', '\\\\').replace('"', '\\"') for n in names]
    return (' %s ' % operator.upper()).join(quoted)


def combination_of_expression(expression: str) -> tuple[str, list[str]] | None:
    """(operator, child alarm names) when an expression is a flat AND or OR
    of ALARM(...) checks, else None."""
    if not _COMBINATION.match(expression):
        return None
    joiners = set(_JOINER.findall(expression))
    if len(joiners) > 1:
        return None
    names = [re.sub(r'\\(.)', r'\1', n) for n in _CHILD.findall(expression)]
    return (joiners.pop().lower() if joiners else 'and'), names


def composite_expression_of(rule: Any) -> str:
    """The expression of a composite_rule this API accepts ({"expression"})."""
    if isinstance(rule, dict) and set(rule) == {'expression'} and \
            isinstance(rule['expression'], str) and rule['expression']:
        return rule['expression']
    raise invalid('composite_rule', 'Aodh composite rules of inline threshold rules cannot '
                  'be expressed by the watch engine; combine existing alarms with a '
                  'combination_rule, or give {"expression": "ALARM(\\"a\\") OR ..."} in the '
                  'CloudWatch AlarmRule grammar.')


def definition_of(body: Any, project_id: str, user_id: str | None,
                  child_names: list[str] | None = None,
                  current: model.AlarmDefinition | None = None) -> model.AlarmDefinition:
    """The engine definition of a REST alarm body. ``child_names`` are the
    names of a combination's alarm_ids (the caller looks them up);
    ``current`` the definition a PUT replaces (whose engine-only settings it
    keeps)."""
    if not isinstance(body, dict):
        raise invalid('alarm', 'the body must be a JSON object.')
    kind = body.get('type') or ('threshold' if 'threshold_rule' in body else None)
    if kind not in TYPES:
        raise invalid('type', 'must be one of %s (%r has no counterpart in the watch '
                      'engine).' % (', '.join(TYPES), kind))
    # aodhclient may send the (empty) rules of every type it knows.
    unknown = {k for k in set(body) - set(WRITABLE) - set(READ_ONLY)
               if not (k.endswith('_rule') and not body[k])}
    if unknown:
        raise invalid('alarm', 'unknown fields: %s.' % ', '.join(sorted(unknown)))
    if body.get('time_constraints'):
        raise invalid('time_constraints', 'are not supported: the watch engine evaluates '
                      'alarms at all times.')
    name = _text(body, 'name', MAX_NAME, required=True)
    meter_mapping.check_text('name', name, MAX_NAME)
    severity = body.get('severity') or hw_alarms.DEFAULT_SEVERITY
    if severity not in hw_alarms.SEVERITIES:
        raise invalid('severity', 'must be one of %s.' % ', '.join(hw_alarms.SEVERITIES))
    state = body.get('state')
    if state is not None and state not in ENGINE_STATES:
        raise invalid('state', 'must be one of %s.' % ', '.join(ENGINE_STATES))
    if kind == 'threshold':
        kept = current.rule if current is not None and isinstance(
            current.rule, model.ThresholdRule) else None
        rule: model.ThresholdRule | model.CompositeRule = threshold_rule_of(
            body.get('threshold_rule'), project_id, kept)
    elif kind == 'combination':
        combination = body.get('combination_rule')
        if not isinstance(combination, dict):
            raise invalid('combination_rule', 'is required for a combination alarm.')
        rule = model.CompositeRule(combination_expression(
            combination.get('operator') or 'and', child_names or []))
    else:
        rule = model.CompositeRule(composite_expression_of(body.get('composite_rule')))
    description = _text(body, 'description', MAX_DESCRIPTION)
    return model.AlarmDefinition(
        project_id=project_id, name=name, rule=rule,
        id=current.id if current is not None else None, user_id=user_id,
        description=description if description is not None else _default_description(body),
        actions=_actions(body), actions_enabled=_bool(body, 'enabled', True),
        repeat_actions=_bool(body, 'repeat_actions', False), severity=severity,
        tags=list(current.tags) if current is not None else [])


def combination_ids(body: dict) -> list[str]:
    """The alarm ids of a combination body (checked: a non-empty list)."""
    rule = body.get('combination_rule')
    ids = rule.get('alarm_ids') if isinstance(rule, dict) else None
    if not isinstance(ids, list) or not ids or \
            not all(isinstance(i, str) and i for i in ids):
        raise invalid('combination_rule.alarm_ids', 'must be a non-empty list of alarm ids.')
    return list(dict.fromkeys(ids))


def _default_description(body: dict) -> str:
    rule = body.get('threshold_rule')
    if isinstance(rule, dict):  # Ceilometer's default wording
        return 'Alarm when %s is %s a %s of %s over %s seconds' % (
            rule.get('meter_name'), rule.get('comparison_operator') or 'eq',
            rule.get('statistic') or 'avg', rule.get('threshold'), rule.get('period') or 60)
    return 'Combined state of alarms'
