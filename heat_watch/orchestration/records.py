"""The orchestrator's records as they cross RPC: plain dicts with the field
names of Heat's engine API (the REST API renders them; times are epoch ms)."""

from typing import Any

from heat_watch.orchestration import states
from heat_watch.orchestration.storage.events import EventRecord
from heat_watch.orchestration.storage.resources import ResourceRecord
from heat_watch.orchestration.storage.stacks import StackRecord


def identity(record: StackRecord) -> dict:
    """Who a stack is: {'stack_id', 'stack_name', 'tenant', 'path'}."""
    return {'stack_id': record.id, 'stack_name': record.name, 'tenant': record.project_id,
            'path': ''}


def stack(record: StackRecord) -> dict:
    """A stack's summary (stack list; show adds parameters and outputs)."""
    return {
        'id': record.id, 'stack_name': record.name, 'stack_identity': identity(record),
        'project': record.project_id, 'stack_owner': record.user_id,
        'parent': record.owner_id, 'nested_depth': record.nested_depth,
        'action': record.action, 'status': record.status,
        'stack_status': states.joined(record.action, record.status),
        'stack_status_reason': record.status_reason,
        'creation_time': record.created_at, 'updated_time': record.updated_at,
        'deletion_time': record.deleted_at, 'disable_rollback': record.disable_rollback,
        'timeout_mins': record.timeout_mins, 'description': '',
    }


def resource(record: ResourceRecord, stack_record: StackRecord,
             required_by: list[str] | None = None) -> dict:
    """A resource of a stack."""
    return {
        'resource_name': record.name, 'logical_resource_id': record.name,
        'physical_resource_id': record.physical_id or '',
        'resource_type': record.type, 'resource_action': record.action,
        'resource_status': record.status,
        'resource_status_reason': record.status_reason,
        'stack_identity': identity(stack_record), 'stack_name': stack_record.name,
        'required_by': required_by or [], 'creation_time': record.created_at,
        'updated_time': record.updated_at or record.created_at,
    }


def event(record: EventRecord, stack_record: StackRecord) -> dict:
    """An event of a stack."""
    return {
        'event_identity': {'stack_id': stack_record.id, 'stack_name': stack_record.name,
                           'event_id': record.uuid, 'resource_name': record.resource_name},
        'id': record.uuid, 'stack_identity': identity(stack_record),
        'stack_name': stack_record.name, 'resource_name': record.resource_name,
        'logical_resource_id': record.resource_name,
        'physical_resource_id': record.physical_id or '',
        'resource_type': record.resource_type, 'resource_action': record.action,
        'resource_status': record.status, 'resource_status_reason': record.reason,
        'resource_properties': record.properties or {}, 'event_time': record.created_at,
    }


def output(item: dict) -> dict[str, Any]:
    """An output as show_output returns it."""
    return dict(item)
