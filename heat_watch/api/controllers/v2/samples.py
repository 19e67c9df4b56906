"""/v2/samples: samples of every meter, in the newer Sample shape."""

import datetime

import pecan
from pecan import rest
from wsme import types as wtypes

from heat_watch.api import policy
from heat_watch.api.controllers.v2 import base, meters
from heat_watch.api.policies import meters as meter_policies
from heat_watch.api.wsme_glue import Boolean, client_error, wsexpose
from heat_watch.common import meter_mapping
from heat_watch.watch import model


class Sample(wtypes.Base):
    """One sample (id, meter, type, unit, volume, ...)."""

    id = wtypes.text
    meter = wtypes.text
    type = wtypes.text
    unit = wtypes.text
    volume = float
    user_id = wtypes.text
    project_id = wtypes.text
    resource_id = wtypes.text
    timestamp = datetime.datetime
    recorded_at = datetime.datetime
    source = wtypes.text
    metadata = {wtypes.text: wtypes.text}


def _sample(metric: model.MetricInfo, row: model.Datapoint) -> Sample:
    return Sample(id='%d.%d' % (row.metric_id, row.timestamp), meter=metric.name, type='gauge',
                  unit=meter_mapping.ceilometer_unit(row.unit), volume=meters.volume(row),
                  user_id=None, project_id=metric.project_id,
                  resource_id=meter_mapping.resource_of(metric.dimensions),
                  timestamp=base.from_ms(row.timestamp), recorded_at=None,
                  source=metric.namespace,
                  metadata=meter_mapping.metadata_of(metric.dimensions))


class SamplesController(rest.RestController):
    """/v2/samples and /v2/samples/{id}."""

    @wsexpose([Sample], [base.Query], int, Boolean)
    def get_all(self, q=None, limit=None, all_projects=False):
        """Samples matching ``q``, newest first."""
        request = pecan.request
        policy.authorize(request.conf, request.context, meter_policies.GET_SAMPLES)
        chosen = base.selection(q, all_projects)
        limit = base.check_limit(limit, meters.DEFAULT_LIMIT)
        return [_sample(metric, row) for metric, row in meters.sample_rows(chosen, limit)]

    @wsexpose(Sample, wtypes.text)
    def get_one(self, sample_id):
        """One sample by the id /v2/samples gave it (metric id.timestamp)."""
        request = pecan.request
        policy.authorize(request.conf, request.context, meter_policies.GET_SAMPLES)
        try:
            metric_id, stamp = (int(part) for part in sample_id.split('.'))
        except ValueError:
            raise client_error('Sample %s does not exist.' % sample_id, 404)
        if not (0 < metric_id < 2 ** 63 and abs(stamp) < 2 ** 62):
            raise client_error('Sample %s does not exist.' % sample_id, 404)
        ctxt = request.context
        metrics = request.engine.find_metrics(ctxt, ctxt.project_id, None, None, [], 1,
                                              ids=[metric_id])
        rows = request.engine.metric_datapoints(ctxt, ctxt.project_id, [metric_id], stamp,
                                                stamp + 1, 1) if metrics else []
        if not rows:
            raise client_error('Sample %s does not exist.' % sample_id, 404)
        return _sample(metrics[0], rows[0])
