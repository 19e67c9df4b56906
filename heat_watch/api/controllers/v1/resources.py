"""/v1/{tenant_id}/stacks/{name}/{id}/resources: list, show, metadata,
signal; and the events of a stack or of one resource."""

import pecan
import webob

from heat_watch.api.controllers.v1 import base, stacks, views

# Filters of GET .../resources Heat accepts, and the field each reads.
_RESOURCE_FILTERS = {'name': 'resource_name', 'type': 'resource_type',
                     'status': 'resource_status', 'action': 'resource_action',
                     'id': 'physical_resource_id',
                     'physical_resource_id': 'physical_resource_id'}
_EVENT_FILTERS = {'resource_name': 'resource_name', 'resource_type': 'resource_type',
                  'resource_status': 'resource_status', 'resource_action': 'resource_action'}


def _matches(record: dict, filters: dict[str, list[str]], fields: dict) -> bool:
    for name, values in filters.items():
        if str(record.get(fields[name])) not in values:
            return False
    return True


def _filters(fields: dict) -> dict[str, list[str]]:
    return {name: pecan.request.GET.getall(name) for name in fields
            if pecan.request.GET.getall(name)}


@base.answers_heat_errors
def index(tenant_id: str, params: dict, name: str, stack_id: str) -> webob.Response:
    """GET .../resources (``nested_depth``: with nested stacks' resources;
    filters by name, type, status, action, physical id)."""
    ctxt = base.context_for(tenant_id, 'resource:index')
    ref = stacks.identified(ctxt, name, stack_id)
    listed = base.orchestrator().list_resources(
        ctxt, ref, nested_depth=base.query_int(params, 'nested_depth') or 0)
    filters = _filters(_RESOURCE_FILTERS)
    detail = base.query_bool(params, 'with_detail')
    return base.json_response({'resources': [
        views.resource(r, tenant_id, detail) for r in listed
        if _matches(r, filters, _RESOURCE_FILTERS)]})


@base.answers_heat_errors
def show(tenant_id: str, params: dict, name: str, stack_id: str,
         resource_name: str) -> webob.Response:
    """GET .../resources/{resource}: with its attributes (``with_attr`` adds some)."""
    ctxt = base.context_for(tenant_id, 'resource:show')
    ref = stacks.identified(ctxt, name, stack_id)
    shown = base.orchestrator().show_resource(
        ctxt, ref, resource_name, with_attr=pecan.request.GET.getall('with_attr') or None)
    return base.json_response({'resource': views.resource(shown, tenant_id, detail=True)})


_MARK_FIELDS = ('mark_unhealthy', 'resource_status_reason')


def _mark_request(body: dict) -> tuple[bool, str]:
    """(mark_unhealthy, reason) of a PATCH body, checked as Heat's API does."""
    invalid = sorted(set(body) - set(_MARK_FIELDS))
    if invalid:
        raise base.HTTPError(400, 'Invalid keys in resource mark unhealthy %s' % invalid)
    if 'mark_unhealthy' not in body:
        raise base.HTTPError(400, 'Missing mandatory (mark_unhealthy) key from mark '
                             'unhealthy request')
    mark = body['mark_unhealthy']
    if str(mark).lower() not in ('true', 'false'):  # Heat's extract_bool
        raise base.HTTPError(400, 'Unrecognized value "%s" for "mark_unhealthy", acceptable '
                             'values are: true, false.' % mark)
    mark = str(mark).lower() == 'true'
    reason = body.get('resource_status_reason')
    if reason is None:
        reason = ''
    if not isinstance(reason, str):
        raise base.HTTPError(400, 'resource_status_reason must be a string.')
    return mark, reason


@base.answers_heat_errors
def mark_unhealthy(tenant_id: str, params: dict, name: str, stack_id: str,
                   resource_name: str) -> webob.Response:
    """PATCH .../resources/{resource}: Heat's mark-unhealthy. The resource
    becomes CHECK_FAILED with the reason; unmarked, CHECK_COMPLETE again."""
    ctxt = base.context_for(tenant_id, 'resource:mark_unhealthy')
    mark, reason = _mark_request(base.json_body())
    base.orchestrator().resource_mark_unhealthy(
        ctxt, stacks.identified(ctxt, name, stack_id), resource_name, mark, reason or None)
    return base.json_response(None, 200)


@base.answers_heat_errors
def metadata(tenant_id: str, params: dict, name: str, stack_id: str,
             resource_name: str) -> webob.Response:
    """GET .../resources/{resource}/metadata."""
    ctxt = base.context_for(tenant_id, 'resource:metadata')
    ref = stacks.identified(ctxt, name, stack_id)
    return base.json_response({'metadata': base.orchestrator().resource_metadata(
        ctxt, ref, resource_name)})


@base.answers_heat_errors
def signal(tenant_id: str, params: dict, name: str, stack_id: str,
           resource_name: str) -> webob.Response:
    """POST .../resources/{resource}/signal: the body is the signal's details."""
    ctxt = base.context_for(tenant_id, 'resource:signal')
    ref = stacks.identified(ctxt, name, stack_id)
    details = base.json_body() or None
    base.orchestrator().resource_signal(ctxt, ref, resource_name, details)
    return base.json_response(None, 200)


@base.answers_heat_errors
def events(tenant_id: str, params: dict, name: str, stack_id: str,
           resource_name: str | None = None) -> webob.Response:
    """GET .../events and .../resources/{resource}/events (marker, limit,
    sort_dir, nested_depth; filters by resource name, type, status, action)."""
    ctxt = base.context_for(tenant_id, 'events:index')
    ref = stacks.identified(ctxt, name, stack_id)
    listed = base.orchestrator().list_events(
        ctxt, ref, resource_name=resource_name, marker=params.get('marker') or None,
        limit=base.query_int(params, 'limit'), sort_dir=params.get('sort_dir') or 'asc',
        nested_depth=base.query_int(params, 'nested_depth') or 0)
    filters = _filters(_EVENT_FILTERS)
    shown = [views.event(e, tenant_id) for e in listed]
    return base.json_response({'events': [
        e for e, raw in zip(shown, listed, strict=True)
        if _matches(dict(raw, resource_status=e['resource_status']), filters,
                    _EVENT_FILTERS)]})


@base.answers_heat_errors
def event(tenant_id: str, params: dict, name: str, stack_id: str, resource_name: str | None,
          event_id: str) -> webob.Response:
    """GET .../events/{id} and .../resources/{resource}/events/{id}."""
    ctxt = base.context_for(tenant_id, 'events:show')
    shown = base.orchestrator().show_event(ctxt, stacks.identified(ctxt, name, stack_id),
                                           event_id, resource_name=resource_name)
    if shown is None:
        raise base.HTTPError(404, 'The Event (%s) could not be found.' % event_id,
                             'EntityNotFound')
    return base.json_response({'event': views.event(shown, tenant_id, detail=True)})
