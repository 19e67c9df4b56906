"""/v2/resources: the resources that have samples (as far as metrics tell)."""

import datetime

import pecan
from pecan import rest
from wsme import types as wtypes

from heat_watch.api import policy
from heat_watch.api.controllers.v2 import base
from heat_watch.api.policies import meters as meter_policies
from heat_watch.api.wsme_glue import Boolean, client_error, wsexpose
from heat_watch.common import meter_mapping


class Link(wtypes.Base):
    """A link to a related URL."""

    href = wtypes.text
    rel = wtypes.text


class Resource(wtypes.Base):
    """A resource: what its metrics share."""

    resource_id = wtypes.text
    project_id = wtypes.text
    user_id = wtypes.text
    source = wtypes.text
    first_sample_timestamp = datetime.datetime
    last_sample_timestamp = datetime.datetime
    metadata = {wtypes.text: wtypes.text}
    links = [Link]


def resources_of(chosen: base.Selection, meter_links: bool = True) -> list[Resource]:
    """The resources of the selection's metrics, with their sample range."""
    request = pecan.request
    metrics = chosen.metrics(request.engine, request.context)
    if not metrics:
        return []
    by_id = {metric.id: metric for metric in metrics}
    answer = request.engine.metric_buckets(request.context, chosen.project_id, list(by_id),
                                           chosen.start, chosen.end, None)
    ranges: dict[int, tuple[int, int]] = {}
    for metric_id, _bucket, _unit, _count, _sum, _low, _high, first, last in answer.rows:
        low, high = ranges.get(metric_id, (first, last))
        ranges[metric_id] = (min(low, first), max(high, last))
    found: dict[tuple, Resource] = {}
    for metric in metrics:
        if metric.id not in ranges:
            continue
        first, last = ranges[metric.id]
        resource_id = meter_mapping.resource_of(metric.dimensions)
        key = (metric.project_id, resource_id)
        resource = found.get(key)
        if resource is None:
            resource = found[key] = Resource(
                resource_id=resource_id, project_id=metric.project_id, user_id=None,
                source=metric.namespace, first_sample_timestamp=base.from_ms(first),
                last_sample_timestamp=base.from_ms(last),
                metadata=meter_mapping.metadata_of(metric.dimensions), links=[])
        else:
            resource.first_sample_timestamp = min(resource.first_sample_timestamp,
                                                  base.from_ms(first))
            resource.last_sample_timestamp = max(resource.last_sample_timestamp,
                                                 base.from_ms(last))
        if meter_links:
            resource.links.append(Link(rel=metric.name, href='%s/v2/meters/%s?q.field='
                                       'resource_id&q.value=%s' % (
                                           pecan.request.host_url, metric.name,
                                           resource_id)))
    return list(found.values())


class ResourcesController(rest.RestController):
    """/v2/resources and /v2/resources/{id}."""

    @wsexpose([Resource], [base.Query], int, Boolean, Boolean)
    def get_all(self, q=None, limit=None, meter_links=True, all_projects=False):
        """Resources matching ``q``."""
        request = pecan.request
        policy.authorize(request.conf, request.context, meter_policies.GET_RESOURCES)
        chosen = base.selection(q, all_projects)
        limit = base.check_limit(limit, 10_000)
        return resources_of(chosen, meter_links)[:limit]

    @wsexpose(Resource, wtypes.text)
    def get_one(self, resource_id):
        """One resource of the caller's project."""
        request = pecan.request
        policy.authorize(request.conf, request.context, meter_policies.GET_RESOURCES)
        chosen = base.Selection(request.context.project_id, resource_id=resource_id)
        found = resources_of(chosen)
        if not found:
            raise client_error('Resource %s does not exist.' % resource_id, 404)
        return found[0]
