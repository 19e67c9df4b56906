"""Server side of the orchestrator's RPC API (see rpcapi for the contract).

Every method acts within the caller's project; a request without one is
refused.
"""

import oslo_messaging as messaging

from heat_watch.common import exceptions, rpc
from heat_watch.orchestration import health, operations, queries, records, rpcapi, signals


@rpc.answers_project_errors
class OrchestratorManager:
    """RPC endpoint of the orchestrator."""

    target = messaging.Target(version=rpcapi.RPC_API_VERSION)

    def __init__(self, orchestrator: operations.Orchestrator):
        self.ops = orchestrator
        self.reads = queries.Queries(orchestrator)
        self.signals = signals.SignalDispatcher(orchestrator.runtime)

    def list_stacks(self, ctxt, show_nested=False, limit=None, filters=None, marker=None,
                    sort_dir='desc'):
        """The project's stacks."""
        return self.reads.list_stacks(rpc.project_of(ctxt), show_nested, limit, filters, marker,
                                      sort_dir)

    def create_stack(self, ctxt, stack_name, template, params=None, files=None,
                     environment=None, args=None):
        """Validate, store and start creating a stack."""
        return self.ops.create(rpc.project_of(ctxt), ctxt.user_id, stack_name, template, params,
                               files, environment, args)

    def identify_stack(self, ctxt, stack_ref):
        """A stack's identity by name or id."""
        return records.identity(self.ops.find(rpc.project_of(ctxt), stack_ref))

    def show_stack(self, ctxt, stack_ref, resolve_outputs=True):
        """A stack with parameters and outputs."""
        return self.ops.show(rpc.project_of(ctxt), stack_ref, resolve_outputs)

    def preview_stack(self, ctxt, stack_name, template, params=None, files=None,
                      environment=None, args=None):
        """What create would make."""
        return self.ops.preview(rpc.project_of(ctxt), ctxt.user_id, stack_name, template, params,
                                files, environment, args)

    def update_stack(self, ctxt, stack_ref, template=None, params=None, files=None,
                     environment=None, args=None, patch=False):
        """Start updating (or patching) a stack."""
        return self.ops.update(rpc.project_of(ctxt), stack_ref, template, params, files,
                               environment, args, patch)

    def delete_stack(self, ctxt, stack_ref):
        """Start deleting a stack; the stack as shown if it ended already."""
        return self.ops.delete(rpc.project_of(ctxt), stack_ref)

    def get_template(self, ctxt, stack_ref):
        """The stack's template."""
        return self.reads.get_template(rpc.project_of(ctxt), stack_ref)

    def get_environment(self, ctxt, stack_ref):
        """The stack's environment."""
        return self.reads.get_environment(rpc.project_of(ctxt), stack_ref)

    def list_outputs(self, ctxt, stack_ref):
        """Output keys and descriptions."""
        return self.reads.list_outputs(rpc.project_of(ctxt), stack_ref)

    def show_output(self, ctxt, stack_ref, output_key):
        """One output with its value."""
        return self.reads.show_output(rpc.project_of(ctxt), stack_ref, output_key)

    def list_resources(self, ctxt, stack_ref, nested_depth=0):
        """The stack's resources."""
        return self.reads.list_resources(rpc.project_of(ctxt), stack_ref, nested_depth)

    def show_resource(self, ctxt, stack_ref, resource_name, with_attr=None):
        """One resource with attributes."""
        return self.reads.show_resource(rpc.project_of(ctxt), stack_ref, resource_name, with_attr)

    def resource_metadata(self, ctxt, stack_ref, resource_name):
        """A resource's metadata."""
        return self.reads.resource_metadata(rpc.project_of(ctxt), stack_ref, resource_name)

    def resource_signal(self, ctxt, stack_ref, resource_name, details=None):
        """Record a signal for a resource and start handling it (scaling
        policies); returns whether it was acted on (False: the stack was busy)."""
        project = rpc.project_of(ctxt)
        self.reads.signal(project, stack_ref, resource_name, details)
        return self.signals.dispatch(self.ops.find(project, stack_ref), resource_name,
                                     details)

    def list_events(self, ctxt, stack_ref, resource_name=None, marker=None, limit=None,
                    sort_dir='asc', nested_depth=0):
        """The stack's events."""
        return self.reads.list_events(rpc.project_of(ctxt), stack_ref, resource_name, marker,
                                      limit, sort_dir, nested_depth)

    def show_event(self, ctxt, stack_ref, event_id, resource_name=None):
        """One event by its id, or None."""
        return self.reads.show_event(rpc.project_of(ctxt), stack_ref, event_id, resource_name)

    def resource_mark_unhealthy(self, ctxt, stack_ref, resource_name, mark_unhealthy,
                                resource_status_reason=None):
        """Mark a resource CHECK_FAILED (or a CHECK_FAILED one CHECK_COMPLETE)."""
        health.mark_unhealthy(self.ops, rpc.project_of(ctxt), stack_ref, resource_name,
                              mark_unhealthy, resource_status_reason)

    def validate_template(self, ctxt, template, params=None, files=None, environment=None):
        """Validate a template; its parameters."""
        return self.reads.validate(template, params, files, environment,
                                   project_id=rpc.project_of(ctxt))

    def cancel_stack(self, ctxt, stack_id, engine_id):
        """Stop this orchestrator's operation on a stack (asked by another
        orchestrator that deletes the stack)."""
        if not ctxt.is_admin:
            raise exceptions.AuthenticationFailed(reason='only orchestrators cancel')
        if engine_id == self.ops.runtime.engine_id:
            self.ops.runtime.cancel(stack_id)

    def list_resource_types(self, ctxt):
        """Every resource type."""
        return self.reads.list_resource_types()

    def resource_schema(self, ctxt, type_name):
        """A resource type's schema."""
        return self.reads.resource_schema(type_name)

    def list_template_versions(self, ctxt):
        """Every template version."""
        return self.reads.list_template_versions()

    def list_template_functions(self, ctxt, version):
        """A template version's functions."""
        return self.reads.list_template_functions(version)
