"""The orchestrator's records rendered as Heat's /v1 documents, in one
place: statuses joined (``CREATE_COMPLETE``), times in ISO 8601, links."""

import datetime
from typing import Any

from heat_watch.api.controllers.v1 import base


def isotime(epoch_ms: Any) -> str | None:
    """Heat's time format (``2016-01-01T00:00:00Z``) of an epoch in ms."""
    if epoch_ms is None:
        return None
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000.0, tz=datetime.UTC)
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def _joined(action: str | None, status: str | None) -> str | None:
    if not action:
        return status
    return '%s_%s' % (action, status)


def stack_summary(record: dict) -> dict:
    """A stack as GET /stacks lists it."""
    identity = record['stack_identity']
    return {
        'id': record['id'], 'stack_name': record['stack_name'],
        'links': [base.link(base.stack_url(identity['tenant'], record['stack_name'],
                                           record['id']))],
        'description': record.get('description') or '',
        'stack_status': _joined(record['action'], record['status']),
        'stack_status_reason': record.get('stack_status_reason') or '',
        'creation_time': isotime(record.get('creation_time')),
        'updated_time': isotime(record.get('updated_time')),
        'deletion_time': isotime(record.get('deletion_time')),
        'stack_owner': record.get('stack_owner'), 'parent': record.get('parent'),
        'stack_user_project_id': None, 'tags': None,
    }


def stack_detail(record: dict) -> dict:
    """A stack as GET /stacks/{name}/{id} shows it."""
    shown = stack_summary(record)
    shown.update({
        'parameters': record.get('parameters', {}),
        'outputs': [output(o) for o in record.get('outputs', [])],
        'template_description': record.get('description') or '',
        'timeout_mins': record.get('timeout_mins'),
        'disable_rollback': record.get('disable_rollback'),
        'capabilities': [], 'notification_topics': [],
    })
    return shown


def identity_of(identity: dict) -> dict:
    """POST /stacks' answer: the new stack's id and link."""
    return {'id': identity['stack_id'], 'links': [base.link(base.stack_url(
        identity['tenant'], identity['stack_name'], identity['stack_id']))]}


def output(item: dict) -> dict:
    """One output (with its value, or the error resolving it)."""
    shown = {'output_key': item['output_key'],
             'description': item.get('description') or 'No description given',
             'output_value': item.get('output_value')}
    if item.get('output_error'):
        shown['output_error'] = item['output_error']
    return shown


def resource(record: dict, tenant_id: str, detail: bool = False) -> dict:
    """A resource, as listed (``detail``: as shown, with attributes)."""
    identity = record['stack_identity']
    stack = (tenant_id, identity['stack_name'], identity['stack_id'])
    shown = {
        'resource_name': record['resource_name'],
        'logical_resource_id': record['resource_name'],
        'physical_resource_id': record.get('physical_resource_id') or '',
        'resource_type': record['resource_type'],
        'resource_status': _joined(record['resource_action'], record['resource_status']),
        'resource_status_reason': record.get('resource_status_reason') or '',
        'required_by': record.get('required_by', []),
        'creation_time': isotime(record.get('creation_time')),
        'updated_time': isotime(record.get('updated_time')),
        'links': [base.link(base.stack_url(*stack, 'resources', record['resource_name'])),
                  base.link(base.stack_url(*stack), 'stack')],
    }
    if detail:
        shown['attributes'] = record.get('attributes', {})
        shown['description'] = record.get('description') or ''
    return shown


def event(record: dict, tenant_id: str, detail: bool = False) -> dict:
    """An event, as listed (``detail``: with the resource's properties)."""
    identity = record['stack_identity']
    stack = (tenant_id, identity['stack_name'], identity['stack_id'])
    name = record['resource_name']
    shown = {
        'id': record['id'], 'event_time': isotime(record.get('event_time')),
        'resource_name': name, 'logical_resource_id': name,
        'physical_resource_id': record.get('physical_resource_id') or '',
        'resource_status': _joined(record['resource_action'], record['resource_status']),
        'resource_status_reason': record.get('resource_status_reason') or '',
        'links': [base.link(base.stack_url(*stack, 'resources', name, 'events',
                                           record['id'])),
                  base.link(base.stack_url(*stack, 'resources', name), 'resource'),
                  base.link(base.stack_url(*stack), 'stack')],
    }
    if detail:
        shown['resource_type'] = record.get('resource_type')
        shown['resource_properties'] = record.get('resource_properties', {})
    return shown


def preview(record: dict) -> dict:
    """POST /stacks/preview's stack: the summary and the resources it would make."""
    shown = stack_detail(record)
    shown.pop('outputs', None)
    shown['resources'] = [dict(r, resource_status=_joined(r.get('resource_action'),
                                                           r.get('resource_status')))
                          for r in record.get('resources', [])]
    for item in shown['resources']:
        item.pop('resource_action', None)
    return shown
