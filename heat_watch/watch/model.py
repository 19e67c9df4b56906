"""The watch engine's own records: typed, protocol-neutral, JSON on the wire.

These are the records the engine's RPC contract carries (see
:mod:`heat_watch.watch.rpcapi`): alarms, their history, and the answers of
metric reads (statistics, series, listings); every API renders them in its
own dialect: the CloudWatch API as AWS shapes (ARNs, Describe shapes,
StateReasonData, Datapoints, NextToken), the REST API as Ceilometer/Aodh.
Field names are the engine's; the enumerated values of a threshold rule
(statistic, comparison, missing-data and low-sample-count policies) and of
a metric query's statistic use the engine's evaluation vocabulary, which
is CloudWatch's (``GreaterThanThreshold``, ``Average``,
``notBreaching``): an API speaking another dialect maps them (Aodh's ``gt``,
``avg``) with :data:`COMPARISONS` and :data:`STATISTICS` below.

Every record converts to and from plain JSON-able dicts in one place:
``to_wire()`` and ``from_wire()``. Times are epoch milliseconds.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any, NamedTuple

from heat_watch.common import alarms as hw_alarms

STATISTICS = ('SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum')
COMPARISONS = ('GreaterThanOrEqualToThreshold', 'GreaterThanThreshold',
               'LessThanThreshold', 'LessThanOrEqualToThreshold')
MISSING_DATA = ('missing', 'ignore', 'breaching', 'notBreaching')
LOW_SAMPLE_COUNT = ('evaluate', 'ignore')
HISTORY_TYPES = ('creation', 'rule change', 'state transition', 'deletion', 'action')


def percentile_name(p: float) -> str:
    """A percentile as its statistic's name: 90.0 -> 'p90', 99.9 -> 'p99.9'."""
    return 'p%d' % p if float(p).is_integer() else 'p%s' % repr(float(p))


@functools.cache
def _field_names(record_type: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(record_type))


def _fields(record) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _field_names(type(record))}


@dataclasses.dataclass(frozen=True)
class MetricSelector:
    """Which metric a threshold rule reads: exact, canonical dimensions."""

    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...] = ()
    unit: str | None = None

    def to_wire(self) -> dict:
        """Plain JSON."""
        return {'namespace': self.namespace, 'metric_name': self.metric_name,
                'dimensions': [list(d) for d in self.dimensions], 'unit': self.unit}

    @classmethod
    def from_wire(cls, data: dict) -> MetricSelector:
        """From :meth:`to_wire`'s form (dimensions canonicalised again)."""
        return cls(data['namespace'], data['metric_name'],
                   tuple(tuple(d) for d in hw_alarms.canonical_dimensions(
                       data.get('dimensions') or ())), data.get('unit'))


class _OfAMetric:
    """The wire form of a record holding a :class:`MetricSelector` in ``metric``."""

    def to_wire(self) -> dict:
        """Plain JSON."""
        return dict(_fields(self), metric=self.metric.to_wire())

    @classmethod
    def from_wire(cls, data: dict):
        """From :meth:`to_wire`'s form."""
        return cls(**dict(data, metric=MetricSelector.from_wire(data['metric'])))


@dataclasses.dataclass(frozen=True)
class ThresholdRule(_OfAMetric):
    """A metric compared with a static threshold over evaluation periods.

    Exactly one of ``statistic`` and ``percentile`` (0..100) is set.
    """

    metric: MetricSelector
    period: int
    evaluation_periods: int
    comparison: str
    threshold: float
    statistic: str | None = None
    percentile: float | None = None
    datapoints_to_alarm: int | None = None
    missing_data: str = 'missing'
    low_sample_count: str | None = None

    type = hw_alarms.THRESHOLD


@dataclasses.dataclass(frozen=True)
class CompositeRule:
    """A boolean expression over other alarms' states (the AlarmRule grammar
    of :mod:`heat_watch.watch.composite`)."""

    expression: str

    type = hw_alarms.COMPOSITE

    def to_wire(self) -> dict:
        """Plain JSON."""
        return {'expression': self.expression}

    @classmethod
    def from_wire(cls, data: dict) -> CompositeRule:
        """From :meth:`to_wire`'s form."""
        return cls(data['expression'])


RULES = {hw_alarms.THRESHOLD: ThresholdRule, hw_alarms.COMPOSITE: CompositeRule}


@dataclasses.dataclass(frozen=True)
class AlarmDefinition:
    """What a user configures: everything but the changing state.

    ``actions`` maps each state of :data:`heat_watch.common.alarms.STATES`
    to the URLs run when the alarm enters it.
    """

    project_id: str
    name: str
    rule: ThresholdRule | CompositeRule
    id: str | None = None
    user_id: str | None = None
    description: str | None = None
    actions: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    actions_enabled: bool = True
    repeat_actions: bool = False
    severity: str = hw_alarms.DEFAULT_SEVERITY
    tags: list[dict] = dataclasses.field(default_factory=list)
    created_at: int | None = None
    updated_at: int | None = None

    def __post_init__(self) -> None:
        # Every state has its list, so that equal definitions compare equal.
        object.__setattr__(self, 'actions', {s: list(self.actions.get(s) or [])
                                             for s in hw_alarms.STATES})

    @property
    def type(self) -> str:
        """threshold or composite (the rule's type)."""
        return self.rule.type

    def actions_for(self, state: str) -> list[str]:
        """The URLs of one state (empty when actions are disabled)."""
        return list(self.actions.get(state) or []) if self.actions_enabled else []

    def to_wire(self) -> dict:
        """Plain JSON, with ``type`` beside the rule it tells how to read."""
        return dict(_fields(self), type=self.type, rule=self.rule.to_wire(),
                    actions={s: list(urls) for s, urls in self.actions.items()})

    @classmethod
    def from_wire(cls, data: dict) -> AlarmDefinition:
        """From :meth:`to_wire`'s form."""
        fields = _field_names(cls)
        values = {k: v for k, v in data.items() if k in fields}
        values['rule'] = RULES[data['type']].from_wire(data['rule'])
        return cls(**values)


@dataclasses.dataclass(frozen=True)
class AlarmState:
    """The changing part of an alarm.

    ``reason`` is the engine's one-line summary; ``reason_data`` holds what
    decided it, ``kind`` telling how: ``threshold``, ``no data``,
    ``unknown``, ``low sample`` (a threshold rule's evaluation: the evaluated
    datapoints, the missing periods, the rule's settings, the query time; see
    heat_watch.watch.evaluation), ``composite`` (the triggering children) or
    ``manual`` (set by an operator, ``data`` as given) or ``created`` (not
    evaluated yet). Each API words its own reason from it.
    """

    state: str
    version: int
    updated_at: int
    transitioned_at: int
    reason: str
    reason_data: dict | None = None
    actions_run_at: int | None = None

    def to_wire(self) -> dict:
        """Plain JSON."""
        return _fields(self)

    @classmethod
    def from_wire(cls, data: dict) -> AlarmState:
        """From :meth:`to_wire`'s form."""
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class Alarm:
    """An alarm as reads return it: its definition and its state."""

    definition: AlarmDefinition
    state: AlarmState

    def to_wire(self) -> dict:
        """Plain JSON."""
        return {'definition': self.definition.to_wire(), 'state': self.state.to_wire()}

    @classmethod
    def from_wire(cls, data: dict) -> Alarm:
        """From :meth:`to_wire`'s form."""
        return cls(AlarmDefinition.from_wire(data['definition']),
                   AlarmState.from_wire(data['state']))


@dataclasses.dataclass(frozen=True)
class Transition:
    """One state change: from, to, why, when (a state transition's history
    detail)."""

    alarm_id: str
    previous: str
    state: str
    reason: str
    reason_data: dict | None
    timestamp: int
    previous_reason: str | None = None
    previous_reason_data: dict | None = None

    def to_wire(self) -> dict:
        """Plain JSON."""
        return _fields(self)

    @classmethod
    def from_wire(cls, data: dict) -> Transition:
        """From :meth:`to_wire`'s form."""
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class HistoryItem:
    """One item of an alarm's history.

    ``type`` is one of :data:`HISTORY_TYPES`; ``detail`` is structured data
    of that type: a creation ``{'definition'}`` and a rule change
    ``{'definition', 'original'}`` (AlarmDefinition wire forms); a state
    transition a :class:`Transition`; an action ``{'outcome', 'url', 'action_id', 'attempt',
    'status', 'error'}``. Items written before revision 005 keep the detail
    they were stored with (CloudWatch's HistoryData).
    """

    id: int
    alarm_id: str
    alarm_name: str
    alarm_type: str
    project_id: str
    timestamp: int
    type: str
    summary: str
    detail: dict

    def to_wire(self) -> dict:
        """Plain JSON."""
        return _fields(self)

    @classmethod
    def from_wire(cls, data: dict) -> HistoryItem:
        """From :meth:`to_wire`'s form."""
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class Page:
    """One page of a listing; ``marker`` continues it (None: the last page)."""

    items: list
    marker: str | None = None

    def to_wire(self) -> dict:
        """Plain JSON."""
        return {'items': [i.to_wire() for i in self.items], 'marker': self.marker}

    @classmethod
    def from_wire(cls, data: dict, item_type: type) -> Page:
        """From :meth:`to_wire`'s form, items of ``item_type``."""
        return cls([item_type.from_wire(i) for i in data['items']], data.get('marker'))


@dataclasses.dataclass(frozen=True)
class AlarmFilter:
    """The generic filters of an alarm listing (all optional, ANDed)."""

    name: str | None = None
    names: list[str] | None = None
    name_prefix: str | None = None
    state: str | None = None
    type: str | None = None
    enabled: bool | None = None
    severity: str | None = None
    namespace: str | None = None
    metric_name: str | None = None
    # The exact dimensions of the metric ([[name, value], ...], any order).
    dimensions: list[list[str]] | None = None
    # An action URL of any state starts with it.
    action_prefix: str | None = None
    # The alarms a composite alarm's rule names / the composites naming one.
    children_of: str | None = None
    parents_of: str | None = None

    def to_wire(self) -> dict:
        """Plain JSON, only the filters given."""
        return {k: v for k, v in _fields(self).items() if v is not None}

    @classmethod
    def from_wire(cls, data: dict | None) -> AlarmFilter:
        """From :meth:`to_wire`'s form; unknown filters are refused."""
        return cls(**(data or {}))


# -- metric reads ------------------------------------------------------------------------


class StatisticsPoint(NamedTuple):
    """The statistics of one period (and unit) of a metric.

    A named tuple: a result holds up to 1,440 of them, and its wire form is
    the tuple itself (a JSON array). ``percentiles`` holds one value per
    percentile the query asked for, in its order (None where it cannot be
    computed: statistic sets, negative values); without percentiles asked,
    the engine gives every point one shared empty tuple.
    """

    timestamp: int
    unit: str | None
    sample_count: float
    sum: float
    minimum: float
    maximum: float
    average: float
    percentiles: Sequence[float | None]


@dataclasses.dataclass(frozen=True)
class StatisticsResult:
    """The statistics of one metric per period with data, oldest first."""

    percentiles: list[float]
    points: list[StatisticsPoint]

    def to_wire(self) -> dict:
        """Plain JSON (each point an array in its fields' order)."""
        return {'percentiles': list(self.percentiles), 'points': list(self.points)}

    @classmethod
    def from_wire(cls, data: dict) -> StatisticsResult:
        """From :meth:`to_wire`'s form."""
        points = data['points']
        # The in-process transport hands the engine's points over as they
        # are; only arrays from a broker need making into points (0.5 ms of
        # 1,440, a tenth of such a call's CPU).
        if points and type(points[0]) is not StatisticsPoint:
            point = StatisticsPoint._make
            points = [point(p) for p in points]
        return cls(data['percentiles'], points)


class ListedMetric(NamedTuple):
    """A metric of a listing: namespace, name and canonical dimensions
    ([[name, value], ...] sorted by name). A named tuple: a listing holds up
    to 500, and its wire form is the tuple itself."""

    namespace: str
    metric_name: str
    dimensions: list[list[str]]


@dataclasses.dataclass(frozen=True)
class MetricListing:
    """A page of metrics in creation order; ``marker`` continues it (None:
    the last page)."""

    metrics: list[ListedMetric]
    marker: str | None = None

    def to_wire(self) -> dict:
        """Plain JSON (each metric an array in its fields' order)."""
        return {'metrics': list(self.metrics), 'marker': self.marker}

    @classmethod
    def from_wire(cls, data: dict) -> MetricListing:
        """From :meth:`to_wire`'s form."""
        metrics = data['metrics']
        if metrics and type(metrics[0]) is not ListedMetric:  # arrays from a broker
            listed = ListedMetric._make
            metrics = [listed(m) for m in metrics]
        return cls(metrics, data.get('marker'))


@dataclasses.dataclass(frozen=True)
class MetricQuery(_OfAMetric):
    """One series to read: a metric's ``statistic`` (one of :data:`STATISTICS`)
    or ``percentile`` per ``period`` seconds from ``start`` (epoch ms).
    The selector's unit, when set, keeps only the datapoints of that unit."""

    id: str
    metric: MetricSelector
    period: int
    start: int
    statistic: str | None = None
    percentile: float | None = None


@dataclasses.dataclass(frozen=True)
class MetricDataResult:
    """The series of one :class:`MetricQuery`, or the part of it that fitted
    the page: ``complete`` is False when the rest follows the continuation."""

    id: str
    timestamps: list[int]
    values: list[float]
    complete: bool = True

    def to_wire(self) -> dict:
        """Plain JSON."""
        return _fields(self)

    @classmethod
    def from_wire(cls, data: dict) -> MetricDataResult:
        """From :meth:`to_wire`'s form."""
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class MetricData:
    """The series of several queries, paged by a budget of values across them;
    ``marker`` continues it (None: nothing more)."""

    results: list[MetricDataResult]
    marker: str | None = None

    def to_wire(self) -> dict:
        """Plain JSON."""
        return {'results': [r.to_wire() for r in self.results], 'marker': self.marker}

    @classmethod
    def from_wire(cls, data: dict) -> MetricData:
        """From :meth:`to_wire`'s form."""
        return cls([MetricDataResult.from_wire(r) for r in data['results']], data.get('marker'))


# -- reads across metrics by filters (the REST API's meters, samples, statistics) ---------


@dataclasses.dataclass(frozen=True)
class MetricInfo:
    """A metric found by filters: its identity and owner, when points were
    last put to it, and the unit of its newest datapoint."""

    id: int
    project_id: str
    namespace: str
    name: str
    dimensions: list[list[str]]
    last_put_at: int | None = None
    unit: str | None = None

    def to_wire(self) -> dict:
        """Plain JSON."""
        return _fields(self)

    @classmethod
    def from_wire(cls, data: dict) -> MetricInfo:
        """From :meth:`to_wire`'s form."""
        return cls(**data)


class Datapoint(NamedTuple):
    """One stored datapoint (an aggregate of the samples of one put) of a metric."""

    metric_id: int
    timestamp: int
    unit: str | None
    sample_count: float
    sum: float
    minimum: float
    maximum: float


class Bucket(NamedTuple):
    """The aggregate of a metric's datapoints of one unit in one period
    starting at ``start``, with the times of its first and last datapoint."""

    metric_id: int
    start: int
    unit: str | None
    sample_count: float
    sum: float
    minimum: float
    maximum: float
    first_timestamp: int
    last_timestamp: int


@dataclasses.dataclass(frozen=True)
class Buckets:
    """Aggregates of several metrics per period over [start, end) (those of
    the data when not asked), oldest first; ``period`` in milliseconds."""

    start: int | None
    end: int | None
    period: int | None
    rows: list[Bucket]

    def to_wire(self) -> dict:
        """Plain JSON (each row an array in its fields' order)."""
        return {'start': self.start, 'end': self.end, 'period': self.period,
                'rows': list(self.rows)}

    @classmethod
    def from_wire(cls, data: dict) -> Buckets:
        """From :meth:`to_wire`'s form."""
        bucket = Bucket._make
        return cls(data['start'], data['end'], data['period'], [bucket(r) for r in data['rows']])
