"""/v2/meters: meters, their samples (GET, POST) and statistics."""

import base64
import datetime
import math

import pecan
from oslo_utils import timeutils
from pecan import rest
from wsme import types as wtypes

from heat_watch.api import policy
from heat_watch.api.controllers.v2 import base, statistics
from heat_watch.api.policies import base as base_policies
from heat_watch.api.policies import meters as meter_policies
from heat_watch.api.wsme_glue import Boolean, client_error, unset_to_none, wsexpose
from heat_watch.common import meter_mapping
from heat_watch.watch import model, points

MAX_POST_SAMPLES = 1000
DEFAULT_LIMIT = 100


class Meter(wtypes.Base):
    """A meter: one metric of one resource."""

    name = wtypes.text
    type = wtypes.text
    unit = wtypes.text
    resource_id = wtypes.text
    project_id = wtypes.text
    user_id = wtypes.text
    source = wtypes.text
    meter_id = wtypes.text


class OldSample(wtypes.Base):
    """A sample in the shape of /v2/meters/{name} (counter_* fields)."""

    counter_name = wtypes.text
    counter_type = wtypes.text
    counter_unit = wtypes.text
    counter_volume = float
    user_id = wtypes.text
    project_id = wtypes.text
    resource_id = wtypes.text
    timestamp = datetime.datetime
    recorded_at = datetime.datetime
    source = wtypes.text
    message_id = wtypes.text
    message_signature = wtypes.text
    resource_metadata = {wtypes.text: wtypes.text}


def meter_of(metric: model.MetricInfo) -> Meter:
    """The Meter of an engine metric record."""
    resource_id = meter_mapping.resource_of(metric.dimensions)
    return Meter(name=metric.name, type='gauge',
                 unit=meter_mapping.ceilometer_unit(metric.unit),
                 resource_id=resource_id, project_id=metric.project_id, user_id=None,
                 source=metric.namespace,
                 meter_id=base64.b64encode(('%s+%s' % (resource_id, metric.name))
                                           .encode()).decode())


def sample_rows(selection: base.Selection,
                limit: int) -> list[tuple[model.MetricInfo, model.Datapoint]]:
    """(metric, datapoint row) pairs of a selection, newest first."""
    request = pecan.request
    metrics = selection.metrics(request.engine, request.context, complete=True)
    if not metrics:
        return []
    by_id = {metric.id: metric for metric in metrics}
    rows = request.engine.metric_datapoints(request.context, selection.project_id,
                                            list(by_id), selection.start, selection.end,
                                            limit)
    return [(by_id[row.metric_id], row) for row in rows if row.metric_id in by_id]


def volume(row: model.Datapoint) -> float:
    """A datapoint's value as one sample: its average."""
    _id, _stamp, _unit, count, total, _low, _high = row
    return total / count if count else total


def _old_sample(metric: model.MetricInfo, row: model.Datapoint) -> OldSample:
    return OldSample(
        counter_name=metric.name, counter_type='gauge',
        counter_unit=meter_mapping.ceilometer_unit(row.unit), counter_volume=volume(row),
        user_id=None, project_id=metric.project_id,
        resource_id=meter_mapping.resource_of(metric.dimensions),
        timestamp=base.from_ms(row.timestamp), recorded_at=None, source=metric.namespace,
        message_id='%d.%d' % (row.metric_id, row.timestamp),
        resource_metadata=meter_mapping.metadata_of(metric.dimensions))


class StatisticsController(rest.RestController):
    """/v2/meters/{name}/statistics."""

    def __init__(self, meter_name: str):
        self.meter_name = meter_name

    @wsexpose([statistics.Statistics], [base.Query], [str], int, [statistics.Aggregate],
              Boolean)
    def get_all(self, q=None, groupby=None, period=None, aggregate=None,
                all_projects=False):
        """Statistics of this meter per period (and per group)."""
        request = pecan.request
        policy.authorize(request.conf, request.context, meter_policies.GET_STATISTICS)
        chosen = base.selection(q, all_projects, meter=self.meter_name)
        return statistics.compute(chosen, groupby or [], period, aggregate or [])


class MeterController(rest.RestController):
    """/v2/meters/{name}: its samples and statistics."""

    def __init__(self, meter_name: str):
        self.meter_name = meter_name
        self.statistics = StatisticsController(meter_name)

    @wsexpose([OldSample], [base.Query], int, Boolean)
    def get_all(self, q=None, limit=None, all_projects=False):
        """Samples of this meter, newest first."""
        request = pecan.request
        policy.authorize(request.conf, request.context, meter_policies.GET_SAMPLES)
        chosen = base.selection(q, all_projects, meter=self.meter_name)
        limit = base.check_limit(limit, DEFAULT_LIMIT)
        return [_old_sample(metric, row) for metric, row in sample_rows(chosen, limit)]

    @wsexpose([OldSample], body=[OldSample], status_code=201)
    def post(self, samples):
        """Store samples of this meter (all are checked before any is written)."""
        request = pecan.request
        ctxt = request.context
        policy.authorize(request.conf, ctxt, meter_policies.CREATE_SAMPLES)
        if not samples:
            raise client_error('The body must be a non-empty list of samples.')
        if len(samples) > MAX_POST_SAMPLES:
            raise client_error('At most %d samples per request.' % MAX_POST_SAMPLES)
        writes: dict[tuple[str, str], list] = {}
        for sample in samples:
            self._complete(sample, ctxt)
            point = points.value_point(base.to_ms(sample.timestamp),
                                       meter_mapping.cloudwatch_unit(sample.counter_unit),
                                       points.DEFAULT_RESOLUTION, sample.counter_volume)
            batch = writes.setdefault((sample.project_id, sample.source), [])
            for dimensions in meter_mapping.sample_metrics(sample.resource_id,
                                                           sample.resource_metadata):
                batch.append([self.meter_name, dimensions, [point]])
        for (project_id, namespace), metrics in writes.items():
            target = ctxt if project_id == ctxt.project_id else _context_of(ctxt, project_id)
            request.engine.put_metric_data(target, namespace, metrics)
        return samples

    def _complete(self, sample: OldSample, ctxt) -> None:
        """Check one sample and fill its defaults (Ceilometer's rules)."""
        request = pecan.request
        name = unset_to_none(sample.counter_name)
        if name is not None and name != self.meter_name:
            raise client_error('counter_name %r does not match the meter %r of the URL.'
                               % (name, self.meter_name))
        sample.counter_name = meter_mapping.check_text('counter_name', self.meter_name,
                                                       meter_mapping.MAX_NAME)
        counter_type = unset_to_none(sample.counter_type) or 'gauge'
        if counter_type not in meter_mapping.COUNTER_TYPES:
            raise client_error('counter_type %r is not supported: CloudWatch metrics keep '
                               'gauge samples only.' % counter_type)
        sample.counter_type = counter_type
        for field in ('counter_unit', 'counter_volume', 'resource_id'):
            if unset_to_none(getattr(sample, field)) is None:
                raise client_error('The sample field %s is required.' % field)
        for field in ('project_id', 'user_id'):
            value = unset_to_none(getattr(sample, field))
            if value is not None:
                meter_mapping.check_text(field, value, 64)
        if not math.isfinite(sample.counter_volume):
            raise client_error('counter_volume must be a finite number.')
        meter_mapping.cloudwatch_unit(sample.counter_unit)
        sample.source = meter_mapping.check_source(
            unset_to_none(sample.source) or meter_mapping.DEFAULT_SOURCE)
        sample.project_id = unset_to_none(sample.project_id) or ctxt.project_id
        sample.user_id = unset_to_none(sample.user_id) or ctxt.user_id
        if sample.project_id != ctxt.project_id or sample.user_id != ctxt.user_id:
            policy.authorize(request.conf, ctxt, base_policies.ALL_PROJECTS,
                             {'project_id': sample.project_id})
        stamp = unset_to_none(sample.timestamp)
        sample.timestamp = (timeutils.normalize_time(stamp) if stamp is not None
                            else timeutils.utcnow())
        meter_mapping.check_timestamp(base.to_ms(sample.timestamp),
                                      base.to_ms(timeutils.utcnow()))
        sample.resource_metadata = unset_to_none(sample.resource_metadata) or {}
        meter_mapping.sample_metrics(sample.resource_id, sample.resource_metadata)
        sample.recorded_at = timeutils.utcnow()


def _context_of(ctxt, project_id: str):
    """The caller's context acting on another project (policy checked)."""
    other = ctxt.__class__.from_dict(ctxt.to_dict())
    other.project_id = project_id
    return other


class MetersController(rest.RestController):
    """/v2/meters."""

    @pecan.expose()
    def _lookup(self, meter_name, *remainder):
        return MeterController(meter_name), remainder

    @wsexpose([Meter], [base.Query], int, Boolean, Boolean, Boolean)
    def get_all(self, q=None, limit=None, unique=False, meter_links=False,
                all_projects=False):
        """The meters (metric per resource) matching ``q``."""
        request = pecan.request
        policy.authorize(request.conf, request.context, meter_policies.GET_METERS)
        chosen = base.selection(q, all_projects)
        limit = base.check_limit(limit, 10_000)
        meters = [meter_of(metric) for metric in
                  chosen.metrics(request.engine, request.context)]
        if unique:
            seen, distinct = set(), []
            for meter in meters:
                if meter.name not in seen:
                    seen.add(meter.name)
                    distinct.append(meter)
            meters = distinct
        return meters[:limit]

